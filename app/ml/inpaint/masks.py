"""Random hole masks for training and evaluation: rectangles, free-form strokes and object-sized blobs
(the outline of a thing a person removes: a few overlapping ellipses).

Masks are uint8 (H, W) arrays, 1 = fill. `random_mask` draws until the coverage lies in the
requested range, so a held-out set made from a fixed seed is the same on every machine.
"""

from __future__ import annotations

import cv2
import numpy as np


def rect_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 3))):
        rh = int(h * rng.uniform(0.2, 0.6))
        rw = int(w * rng.uniform(0.2, 0.6))
        y = int(rng.integers(0, h - rh + 1))
        x = int(rng.integers(0, w - rw + 1))
        m[y:y + rh, x:x + rw] = 1
    return m


def stroke_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Free-form: a few thick polylines with random turns (like a person's brush strokes)."""
    m = np.zeros((h, w), np.uint8)
    side = min(h, w)
    for _ in range(int(rng.integers(1, 5))):
        x, y = float(rng.uniform(0, w)), float(rng.uniform(0, h))
        angle = float(rng.uniform(0, 2 * np.pi))
        thick = max(2, int(side * rng.uniform(0.05, 0.14)))
        for _ in range(int(rng.integers(3, 9))):
            angle += float(rng.uniform(-1.2, 1.2))
            length = side * rng.uniform(0.1, 0.35)
            nx = float(np.clip(x + length * np.cos(angle), 0, w - 1))
            ny = float(np.clip(y + length * np.sin(angle), 0, h - 1))
            cv2.line(m, (int(x), int(y)), (int(nx), int(ny)), 1, thick)
            x, y = nx, ny
    return m


def blob_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """An object-sized blob: 1–3 overlapping rotated ellipses around one centre."""
    m = np.zeros((h, w), np.uint8)
    side = min(h, w)
    cx, cy = float(rng.uniform(0.25, 0.75)) * w, float(rng.uniform(0.25, 0.75)) * h
    for _ in range(int(rng.integers(1, 4))):
        ax = (int(side * rng.uniform(0.1, 0.3)), int(side * rng.uniform(0.08, 0.22)))
        off = rng.normal(0, side * 0.06, 2)
        cv2.ellipse(m, (int(cx + off[0]), int(cy + off[1])), ax, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    return m


MASKS = {"rect": rect_mask, "stroke": stroke_mask, "blob": blob_mask}


def random_mask(h: int, w: int, rng: np.random.Generator, kind: str = "mixed",
                coverage: tuple[float, float] = (0.10, 0.40)) -> np.ndarray:
    """A mask whose hole covers `coverage` of the image (kind: rect | stroke | blob | mixed, where
    mixed is rect or stroke)."""
    if kind != "mixed" and kind not in MASKS:
        raise ValueError(f"unknown mask kind {kind!r}; one of {', '.join(MASKS)} or mixed")
    lo, hi = coverage
    for _ in range(200):
        k = kind if kind != "mixed" else ("rect" if rng.random() < 0.5 else "stroke")
        m = MASKS[k](h, w, rng)
        if lo <= m.mean() <= hi:
            return m
    raise RuntimeError(f"could not draw a {kind} mask with coverage in {coverage}")


def hole_box(mask: np.ndarray, side: int) -> tuple[int, int]:
    """Top-left corner of the side×side square centred on the hole's bounding box, inside the image."""
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    if len(xs) == 0:
        cy, cx = h // 2, w // 2
    else:
        cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
    x0 = int(np.clip(cx - side // 2, 0, w - side))
    y0 = int(np.clip(cy - side // 2, 0, h - side))
    return x0, y0


def grid_step(where: np.ndarray, points: int) -> int:
    """The step of a grid on which about `points` of `where`'s set pixels at most are read: 1 (every pixel) up to
    that many. A 45-MP hole's pixel coordinates alone are 760 MB."""
    return max(1, int(np.ceil(np.sqrt(np.count_nonzero(where) / points))))


def hole_depth(hole: np.ndarray) -> float:
    """Median distance (px) of the hole's pixels from the known pixels, ≈ a quarter of a brush
    stroke's width (the bench's 256² stroke masks: 4.8–9.6 px; its object blobs: 10.5–20.5 px; a disc
    of radius r: 0.29 r; a hole on the crop's edge counts from its known side only). The content-aware
    fill's `THIN_DEPTH` leans towards "thin": the scaled frequency-selective fill of a stroke loses
    ≈ 3 dB, Telea on a small blob ≈ 0.1–0.5 dB."""
    return float(np.median(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)[hole.astype(bool)]))


DEEP_PX = 32        # px: a hole pixel this far from every kept pixel is filled by a guess (softened, coherence.py)
DEEP_WARN = 0.25    # deep_share at or above this: the editor says so (a disc over 128 px across; the bench's model
                    # shuttle 0.49; the suit patch 0.11, painted with one 104-px dab 0.15; the spoon 0.06; brush
                    # strokes under 64 px wide: 0)


def deep_share(mask: np.ndarray) -> float:
    """The share of a hole's pixels (mask > 0) more than `DEEP_PX` px from every pixel outside it."""
    hole = (mask > 0).astype(np.uint8)
    if not hole.any():
        return 0.0
    dist = cv2.distanceTransform(hole, cv2.DIST_L2, 5)     # beyond the image's edge nothing is known, as for the fill
    return float(np.mean(dist[hole > 0] > DEEP_PX))


TEXTURE_DEPTH = 6.0    # px: a hole this deep (median; a disc ≥ 42 px across, a stroke ≥ ≈ 25 px wide) in surroundings …
TEXTURE_BAND = 6.0     # … whose mid-scale band has a median magnitude of at least this: the editor points to the
#                        best-quality fill (grass 13, gravel 15, brick 9, the astronaut's suit 8, a flag 7; a smooth
#                        wall or sky 0.1–3, the cat's fur beside its eye 5)
TEXTURE_RING = (3, 19)  # px: the ring around the hole it is read on


def ring_texture(image: np.ndarray, mask: np.ndarray) -> float:
    """How textured the surroundings of a hole are: the median magnitude (grey levels) of the
    mid-scale band — a 1.5-px blur less a 6-px one: blades, stones, weave, mortar; not the 1-px grain,
    and an edge or two barely moves a median — over the ring `TEXTURE_RING` px around the hole.
    image (H, W, 3) uint8, mask (H, W), > 0 = hole; 0 where there is no ring."""
    hole = (mask > 0).astype(np.uint8)
    if not hole.any():
        return 0.0
    ys, xs = np.nonzero(hole)
    pad = TEXTURE_RING[1] + 20           # the ring and the blurs' reach
    y0, x0 = max(int(ys.min()) - pad, 0), max(int(xs.min()) - pad, 0)
    y1, x1 = min(int(ys.max()) + pad + 1, hole.shape[0]), min(int(xs.max()) + pad + 1, hole.shape[1])
    hole = hole[y0:y1, x0:x1]
    dist = cv2.distanceTransform((hole == 0).astype(np.uint8), cv2.DIST_L2, 5)      # px from the hole
    ring = (dist > TEXTURE_RING[0]) & (dist <= TEXTURE_RING[1])
    if not ring.any():
        return 0.0
    grey = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    band = cv2.GaussianBlur(grey, (0, 0), 1.5) - cv2.GaussianBlur(grey, (0, 0), 6.0)
    return float(np.median(np.abs(band[ring])))


RIM_INNER, RIM_GAP, RIM_OUTER, RIM_BOX = 3, 5, 10, 21   # px: the rings around a hole the rim check compares
RIM_WARN = 0.6      # rim_left at or above this: the editor suggests painting the mask wider


def rim_left(image: np.ndarray, mask: np.ndarray) -> float:
    """How much of a hole's edge runs along a rim of another colour — an object's border the mask
    left outside (a patch's rim, a halo): the share of the pixels within `RIM_INNER` px outside the
    hole whose CIELAB colour is far (more than twice the median, and > 10) from the mean colour of
    the ring `RIM_GAP`–`RIM_OUTER` px out within `RIM_BOX` px of them, where the median is that of
    the outer ring's own pixels against the same mean (so a textured surrounding raises the bar).
    image (H, W, 3) uint8, mask (H, W), > 0 = hole. 0 where there is no ring to compare."""
    hole = (mask > 0).astype(np.uint8)
    if not hole.any():
        return 0.0
    ys, xs = np.nonzero(hole)
    pad = RIM_OUTER + RIM_BOX
    y0, x0 = max(int(ys.min()) - pad, 0), max(int(xs.min()) - pad, 0)
    y1, x1 = min(int(ys.max()) + pad + 1, hole.shape[0]), min(int(xs.max()) + pad + 1, hole.shape[1])
    hole, img = hole[y0:y1, x0:x1], image[y0:y1, x0:x1]

    dist = cv2.distanceTransform((hole == 0).astype(np.uint8), cv2.DIST_L2, 5)     # px from the hole
    inner = (dist > 0) & (dist <= RIM_INNER)
    outer = (dist > RIM_GAP) & (dist <= RIM_OUTER)
    # only the two rings' colours are read: a float copy of a large hole's box would be GBs
    den = cv2.boxFilter(outer.astype(np.float32), -1, (RIM_BOX, RIM_BOX), normalize=False)
    band = (inner | outer) & (den > 0.5)
    if not band.any():          # nothing known 5 px past the hole (a mask up to a thin border): nothing to compare
        return 0.0
    lab = cv2.cvtColor(img[band].reshape(-1, 1, 3).astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    mean = np.empty_like(lab)
    on_outer = outer[band]
    for ch in range(3):                               # each ring pixel's outer-ring mean, a channel at a time
        plane = np.zeros(den.shape, np.float32)
        plane[band] = np.where(on_outer, lab[:, ch], 0)
        mean[:, ch] = cv2.boxFilter(plane, -1, (RIM_BOX, RIM_BOX), normalize=False)[band] / den[band]
    dist_lab = np.linalg.norm(lab - mean, axis=1)    # each pixel's distance from its outer ring's mean
    near_ring, ring = dist_lab[inner[band]], dist_lab[on_outer]
    if not len(near_ring) or not len(ring):
        return 0.0
    return float(np.mean(near_ring > max(2 * float(np.median(ring)), 10.0)))
