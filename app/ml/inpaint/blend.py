"""Compositing a fill into the photo: Poisson (OpenCV seamlessClone, or `_membrane` on large boxes), feathered
offset, or none.

Every mode writes only where the mask is painted: pixels with alpha 0 keep their exact bytes.
Inside, the result is alpha·fill' + (1 − alpha)·original, where fill' is the fill after the seam
correction of the chosen mode:
- poisson: seamlessClone of the fill into the original over the hole, dilated 6 px: OpenCV takes
  the destination's gradients on the outer 3 px of its mask (it erodes the mask internally), so the
  margin keeps the hole's own pixels — e.g. the object being removed — out of the solution. A fill that
  already equals the original around the hole (what the fills hand over) is returned as it is (OpenCV's
  truncation made it a grey level darker); a mask's box over `CV_POISSON_MAX` is solved by `_membrane`.
- feather: the mismatch (original − fill) measured on a ring just outside the hole is spread into
  the hole by normalized Gaussian smoothing and added to the fill: a cheap membrane correction
  that removes visible seams without touching the fill's detail.
- none: the fill as the model made it.
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.ml.inpaint.biharmonic import harmonic

BLENDS = ("poisson", "feather", "none")
MIN_POISSON_SIDE = 3
CV_POISSON_MAX = 1 << 22     # a mask's box over this many pixels gets `_membrane`, not OpenCV's solver


def _ring(hole: np.ndarray, width: int) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    return (cv2.dilate(hole.astype(np.uint8), k) > 0) & ~hole


def poisson(fill: np.ndarray, original: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """seamlessClone of `fill` into `original` over `hole` (all the same size). Where Poisson
    cannot run (a side under 3 px: OpenCV has no interior to solve on) the fill is kept as is."""
    if min(hole.shape[:2]) < MIN_POISSON_SIDE:
        return fill.copy()
    near = _ring(hole, 7)
    if np.array_equal(fill[near], original[near]):
        # the fill already meets the photo around the hole (a fill made inside the hole only): the solution
        # is the fill itself. OpenCV would return it about one grey level darker (it truncates its float
        # result) and, on a box of several megapixels, a few levels off (its solver's float error).
        return fill.copy()
    pad = 12
    # the destination carries the fill inside the hole: where a hole touches the image border the
    # boundary condition is then the fill itself, not the hole's old pixels
    naive = np.where(hole[..., None], fill, original)
    src = cv2.copyMakeBorder(fill, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    dst = cv2.copyMakeBorder(naive, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    m = cv2.copyMakeBorder(hole.astype(np.uint8), pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    m = cv2.dilate(m, np.ones((13, 13), np.uint8))
    m[:pad] = 0
    m[-pad:] = 0
    m[:, :pad] = 0
    m[:, -pad:] = 0
    x, y, w, h = cv2.boundingRect(m)
    if w == 0 or h == 0:
        return fill.copy()
    if w * h > CV_POISSON_MAX:
        return _membrane(src, dst, m, (x, y, w, h))[pad:-pad, pad:-pad]
    center = (x + w // 2, y + h // 2)     # OpenCV places the mask's box at center − size // 2
    try:
        out = cv2.seamlessClone(src, dst, m * 255, center, cv2.NORMAL_CLONE)
    except cv2.error:          # degenerate geometry OpenCV refuses: no seam blending
        return fill.copy()
    return out[pad:-pad, pad:-pad]


MEMBRANE_MARGIN = 48    # known pixels kept around the box: they anchor the coarse scales of the solve (with one
#                         px, a rectangle's half-size hole covered the whole crop: 5.5 grey levels off, helper 72)


def _membrane(src: np.ndarray, dst: np.ndarray, m: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """seamlessClone's answer, solved here: inside the mask less its outer 3 px (where OpenCV takes the
    destination's gradients) the source plus the membrane (Δc = 0) through the destination's mismatch with it
    around that. OpenCV's solver holds about 280 bytes per pixel of the mask's box (5.8 GB for a 4000 × 5000-px
    hole) and is a few grey levels off on such boxes; this one, a channel at a time, about 30."""
    x, y, w, h = box
    H, W = m.shape
    e = MEMBRANE_MARGIN
    sl = np.s_[max(y - e, 0):min(y + h + e, H), max(x - e, 0):min(x + w + e, W)]
    hole = cv2.erode(m[sl], np.ones((7, 7), np.uint8)) > 0
    out = dst.copy()
    for ch in range(src.shape[2]):
        c = dst[sl][..., ch].astype(np.float32) - src[sl][..., ch]
        c = harmonic(c, hole)
        out[sl][..., ch] = np.where(hole, np.clip(src[sl][..., ch] + c + 0.5, 0, 255), dst[sl][..., ch])
    return out


FEATHER_SIGMA = 32.0    # feather: wider blurs run on the image scaled down (the correction is smooth)


def _spread(diff: np.ndarray, ring: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Both blurred by `sigma`: where it is wider than `FEATHER_SIGMA`, at a scale where it is that wide, and
    scaled back up (a 3000-tap blur of a 4000 × 3000 hole took two minutes, a helper; an 8000 × 6000 one ran past
    nine and ignored SIGTERM)."""
    if sigma <= FEATHER_SIGMA:
        return cv2.GaussianBlur(diff, (0, 0), sigma), cv2.GaussianBlur(ring, (0, 0), sigma)[..., None]
    h, w = ring.shape
    f = FEATHER_SIGMA / sigma
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = [cv2.GaussianBlur(cv2.resize(a, size, interpolation=cv2.INTER_AREA), (0, 0), FEATHER_SIGMA)
             for a in (diff, ring)]
    num, den = (cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR) for a in small)
    return num, den[..., None]


def feather(fill: np.ndarray, original: np.ndarray, hole: np.ndarray) -> np.ndarray:
    side = max(hole.shape)
    ring = _ring(hole, max(2, side // 64)).astype(np.float32)
    if ring.sum() == 0:
        return fill.copy()
    diff = (original.astype(np.float32) - fill.astype(np.float32)) * ring[..., None]
    sigma = max(2.0, side / 16)
    num, den = _spread(diff, ring, sigma)
    # far from any ring pixel the estimate is unreliable: fade the correction out there
    conf = np.clip(den / max(float(den.max()), 1e-6) * 4, 0, 1)
    offset = num / np.maximum(den, 1e-6) * conf
    return np.clip(fill.astype(np.float32) + offset + 0.5, 0, 255).astype(np.uint8)


def composite(fill: np.ndarray, original: np.ndarray, alpha: np.ndarray, blend: str = "poisson") -> np.ndarray:
    """fill, original (h, w, 3) uint8; alpha (h, w) uint8 mask (0 = keep, 255 = fill)."""
    if blend not in BLENDS:
        raise ValueError(f"unknown blend {blend!r}; expected one of {', '.join(BLENDS)}")
    hole = alpha > 0
    if not hole.any():
        return original.copy()
    if blend == "poisson":
        fill = poisson(fill, original, hole)
    elif blend == "feather":
        fill = feather(fill, original, hole)
    out = original.copy()
    whole = alpha == 255
    out[whole] = fill[whole]
    part = hole & ~whole       # a soft mask's edge: mixed, pixel by pixel (a float copy of a large crop is GBs)
    a = alpha[part].astype(np.float32)[:, None] / 255.0
    out[part] = np.clip(fill[part].astype(np.float32) * a + original[part].astype(np.float32) * (1 - a) + 0.5,
                        0, 255).astype(np.uint8)
    return out
