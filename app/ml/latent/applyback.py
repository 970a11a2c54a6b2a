"""Apply a latent edit back onto the full-resolution photo.

The generator only sees a small crop (64×64). The edit is carried to the photo as a delta:
    out = photo + up(edit − projection) · W
where W is a feathered mask of where the edit changed things, tapered to 0 at the region's
border (optionally also limited to a region such as the painted strokes). Where W is 0 the
photo's bytes are copied untouched.
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.ml.latent import align

CHANGE_LO = 4.0     # |delta| (0..255) below which a pixel counts as unchanged
CHANGE_HI = 16.0    # |delta| above which the edit applies fully


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def change_weight(delta: np.ndarray, size: tuple[int, int], *, feather: float = 1.0) -> np.ndarray:
    """delta (r, r, 3) float → weight (h, w) in [0, 1]: 1 where the edit changed the image,
    falling smoothly to exactly 0 around it. `feather` is in generator pixels."""
    mag = np.abs(delta).max(axis=2).astype(np.float32)
    mag = cv2.GaussianBlur(mag, (0, 0), 0.7)
    w_lo = _smoothstep(mag, CHANGE_LO, CHANGE_HI).astype(np.float32)
    if feather > 0:
        k = int(2 * round(feather) + 1)
        w_lo = cv2.dilate(w_lo, np.ones((k, k), np.uint8))
        w_lo = cv2.GaussianBlur(w_lo, (0, 0), feather)
    h, w = size
    return cv2.resize(w_lo, (w, h), interpolation=cv2.INTER_LINEAR)


def region_weight(alpha: np.ndarray, *, grow: float, feather: float) -> np.ndarray:
    """A painted alpha (h, w) uint8/float → weight (h, w): the painted area grown by `grow`
    pixels and feathered by `feather` pixels; exactly 0 far from the paint."""
    a = (alpha.astype(np.float32) / (255.0 if alpha.dtype == np.uint8 else 1.0) > 0.02).astype(np.uint8)
    if grow > 0:
        k = int(2 * round(grow) + 1)
        a = cv2.dilate(a, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    w = a.astype(np.float32)
    if feather > 0:
        w = cv2.GaussianBlur(w, (0, 0), feather)
    return w


def border_taper(h: int, w: int, fraction: float = 0.08) -> np.ndarray:
    """(h, w) weight that is 1 inside and falls smoothly to 0 at the region's edges, so an edit
    never shows the region's square outline."""
    def ramp(n: int) -> np.ndarray:
        b = max(1.0, fraction * n)
        d = np.minimum(np.arange(n), np.arange(n)[::-1]).astype(np.float32)
        return _smoothstep(d, 0.0, b)
    return ramp(h)[:, None] * ramp(w)[None, :]


def is_grey(photo: np.ndarray, tolerance: int = 3) -> bool:
    """Whether an RGB uint8 image is black-and-white (its channels differ by at most `tolerance`)."""
    p = photo.astype(np.int16)
    return bool(np.abs(p[..., 0] - p[..., 1]).max(initial=0) <= tolerance
                and np.abs(p[..., 1] - p[..., 2]).max(initial=0) <= tolerance)


def apply_back(photo: np.ndarray, projection: np.ndarray, edit: np.ndarray, *,
               limit: np.ndarray | None = None, feather: float = 1.0, taper: float = 0.08,
               gated: bool = True, warp: np.ndarray | None = None) -> np.ndarray:
    """photo (h, w, 3) uint8; projection, edit (r, r, 3) float (0..255) renders of the latent
    before / after the edit; limit (h, w) optional weight in [0, 1]. Returns (h, w, 3) uint8;
    wherever the final weight is 0 the photo's pixels are returned unchanged. `gated=False`
    skips the "only where the edit changed things" weight (the limit alone decides).
    `warp` (2, 3): the photo crop → generator frame alignment (app/ml/latent/align.py); the change
    is computed in the frame and warped back (0 outside the frame square); None: the crop is the
    frame, stretched."""
    if photo.ndim != 3 or photo.shape[2] != 3 or photo.dtype != np.uint8:
        raise ValueError(f"photo must be (h, w, 3) uint8, got {photo.shape} {photo.dtype}")
    if projection.shape != edit.shape:
        raise ValueError(f"projection {projection.shape} and edit {edit.shape} differ in shape")
    h, w = photo.shape[:2]
    delta = edit.astype(np.float32) - projection.astype(np.float32)
    if is_grey(photo):      # a black-and-white photo stays black-and-white: only the brightness changes
        delta = np.repeat(delta @ np.array([[0.299], [0.587], [0.114]], np.float32), 3, axis=2)
    if warp is not None:
        return _apply_warped(photo, delta, warp, limit=limit, feather=feather, taper=taper, gated=gated)
    weight = change_weight(delta, (h, w), feather=feather) if gated else np.ones((h, w), np.float32)
    if taper > 0:
        weight = weight * border_taper(h, w, taper)
    if limit is not None:
        if limit.shape != (h, w):
            raise ValueError(f"limit mask {limit.shape} must match the photo {(h, w)}")
        weight = weight * limit.astype(np.float32)
    weight[weight < 1.0 / 512] = 0.0
    up = cv2.resize(delta, (w, h), interpolation=cv2.INTER_CUBIC)
    return add_weighted(photo, up, weight)


def add_weighted(photo: np.ndarray, up: np.ndarray, weight: np.ndarray) -> np.ndarray:
    out = np.clip(photo.astype(np.float32) + up * weight[..., None], 0, 255)
    out = np.rint(out).astype(np.uint8)
    untouched = weight == 0
    out[untouched] = photo[untouched]
    return out


def _apply_warped(photo: np.ndarray, delta: np.ndarray, warp: np.ndarray, *, limit: np.ndarray | None,
                  feather: float, taper: float, gated: bool) -> np.ndarray:
    h, w = photo.shape[:2]
    weight = warped_weight(delta if gated else None, warp, (h, w), R=delta.shape[0], limit=limit,
                           feather=feather, taper=taper)
    up = align.from_frame(delta, warp, (h, w))
    return add_weighted(photo, up, weight)


def warped_weight(change: np.ndarray | None, warp: np.ndarray, shape: tuple[int, int], *, R: int,
                  limit: np.ndarray | None, feather: float, taper: float) -> np.ndarray:
    """The apply-back weight over the crop (h, w): where `change` (r, r, c) in the frame is large
    (None: everywhere), feathered, tapered at the frame's border, carried through the warp, times
    `limit`; exactly 0 below 1/512 (those pixels keep their bytes)."""
    h, w = shape
    F = align.frame_size(warp, R)
    wf = change_weight(change, (F, F), feather=feather) if change is not None else np.ones((F, F), np.float32)
    if taper > 0:
        wf = wf * border_taper(F, F, taper)
    weight = align.from_frame(wf, warp, (h, w), smooth=False)
    if limit is not None:
        if limit.shape != (h, w):
            raise ValueError(f"limit mask {limit.shape} must match the photo {(h, w)}")
        weight = weight * limit.astype(np.float32)
    weight[weight < 1.0 / 512] = 0.0
    return weight
