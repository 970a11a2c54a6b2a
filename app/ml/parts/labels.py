"""Part label maps without torch: scripted edits (for tests and the benchmark), painted labels
→ an optimisation target at the generator's resolution.

Conventions: a part map holds part indices 0…P−1; a target holds −1 where nothing is painted.
The document's parts layer and palette PNGs store index + 1 (0 = unlabelled / unchanged).
"""

from __future__ import annotations

import cv2
import numpy as np

EDITS = ("grow_mouth", "close_eyes", "grow_hair", "paste_lower")
LOWER_FACE = (0.5, 0.85, 0.25, 0.75)     # rows, columns (fractions of the frame) of the pasted box


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def scripted_edit(labels: np.ndarray, kind: str, names: list[str], amount: int = 2,
                  donor: np.ndarray | None = None) -> np.ndarray:
    """A label edit a user might paint, as a target (−1 = not painted):
    grow_mouth  the mouth grown by `amount` px (the ring is painted "mouth");
    close_eyes  the eyes painted "skin";
    grow_hair   the hair grown by `amount`+1 px over skin (painted "hair");
    paste_lower another face's part map (`donor`) pasted over the lower face (LOWER_FACE box)."""
    idx = {n: i for i, n in enumerate(names)}
    if kind == "paste_lower":
        if donor is None or donor.shape != labels.shape:
            raise ValueError("paste_lower needs a donor part map of the same size")
        n = labels.shape[0]
        y0, y1, x0, x1 = (int(round(f * n)) for f in LOWER_FACE)
        target = np.full(labels.shape, -1, np.int64)
        target[y0:y1, x0:x1] = donor[y0:y1, x0:x1]
        return target
    target = np.full(labels.shape, -1, np.int64)
    if kind == "grow_mouth":
        m = (labels == idx["mouth"]).astype(np.uint8)
        ring = (cv2.dilate(m, _disk(amount)) > 0) & (m == 0)
        target[ring] = idx["mouth"]
    elif kind == "close_eyes":
        target[labels == idx["eyes"]] = idx["skin"]
    elif kind == "grow_hair":
        h = (labels == idx["hair"]).astype(np.uint8)
        ring = (cv2.dilate(h, _disk(amount + 1)) > 0) & (labels == idx["skin"])
        target[ring] = idx["hair"]
    else:
        raise ValueError(f"unknown scripted edit {kind!r}; use {', '.join(EDITS)}")
    return target


def layer_to_target(layer: np.ndarray, size: int, n_parts: int, *, min_cover: float = 0.5,
                    warp: np.ndarray | None = None) -> np.ndarray:
    """A painted parts layer crop (h, w) uint8 (index + 1, 0 = unpainted) → target (size, size)
    int64: per generator pixel the part covering most of it, if painted over ≥ `min_cover`.
    `warp` (2, 3): the crop's alignment to the generator's frame (None: the crop stretched)."""
    if layer.ndim != 2:
        raise ValueError(f"a part label layer is 2-D, got shape {layer.shape}")
    if int(layer.max(initial=0)) > n_parts:
        raise ValueError(f"label {int(layer.max())} is not a part (there are {n_parts})")
    if warp is None:
        cover = np.stack([cv2.resize((layer == p + 1).astype(np.float32), (size, size),
                                     interpolation=cv2.INTER_AREA) for p in range(n_parts)])
    else:
        from latentbrush.ml.latent.align import to_frame
        cover = np.stack([to_frame((layer == p + 1).astype(np.float32), warp, size) for p in range(n_parts)])
    best = cover.argmax(0)
    return np.where(cover.max(0) >= min_cover, best, -1).astype(np.int64)


def upscale_labels(labels: np.ndarray, w: int, h: int) -> np.ndarray:
    return cv2.resize(labels.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)


def drop_slivers(labels: np.ndarray, cell: float) -> np.ndarray:
    """Remove painted bits thinner than about one generator pixel (`cell` image pixels): where a
    whole map is compared with the current one, such slivers are boundary noise, not edits."""
    k = max(1, int(round(cell)))
    painted = (labels > 0).astype(np.uint8)
    opened = cv2.morphologyEx(painted, cv2.MORPH_OPEN, np.ones((k + 1, k + 1), np.uint8))
    return np.where(opened > 0, labels, 0).astype(np.uint8)
