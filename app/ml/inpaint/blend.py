"""Compositing a fill into the photo: Poisson (OpenCV seamlessClone, or `_membrane` on large boxes), feathered
offset, or none.

Every mode writes only where the mask is painted: pixels with alpha 0 keep their exact bytes.
Inside, the result is alpha·fill' + (1 − alpha)·original, where fill' is the fill after the seam
correction of the chosen mode:
- poisson: for a fill that brings its own surroundings (the mirrored eye), seamlessClone of the fill into the
  original over the hole, dilated 6 px: OpenCV takes the destination's gradients on the outer 3 px of its
  mask (it erodes the mask internally), so the margin keeps the hole's own pixels — e.g. the object being
  removed — out of the solution; a mask's box over `CV_POISSON_MAX` is solved by `_membrane`. For a fill
  made inside the hole only (what the fills hand over: the photo around it), the step between the fill's
  edge and the photo beside it is spread into the hole as a membrane (`_step_membrane`). Until stop 61 such
  fills went through seamlessClone unchanged (there was no step for it to see) but a grey level darker.
- own: the fill's own seams — the first case as poisson, the second kept as made (the content-aware fills,
  which run the photo's texture up to the hole's edge).
- feather: the mismatch (original − fill) measured on a ring just outside the hole is spread into the hole by
  normalized Gaussian smoothing and added to the fill; for a fill made inside the hole only, the step at its
  edge is spread by a push-pull pyramid (`_push_pull`, stop 62: each edge pixel's own step beside it, coarser
  averages deeper in). A cheap membrane correction that keeps the fill's detail.
- none: the fill as the model made it.
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.ml.inpaint.biharmonic import harmonic

BLENDS = ("poisson", "feather", "none", "own")   # own: seamless only where the fill brings its own surroundings
MIN_POISSON_SIDE = 3
CV_POISSON_MAX = 1 << 22     # a mask's box over this many pixels gets `_membrane`, not OpenCV's solver


def _ring(hole: np.ndarray, width: int) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    return (cv2.dilate(hole.astype(np.uint8), k) > 0) & ~hole


_K4 = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], np.float32)


def _step(fill: np.ndarray, original: np.ndarray, hole: np.ndarray, ch: int) -> tuple[np.ndarray, np.ndarray]:
    """The step at a hole's edge of a fill that hands over the photo around it, in channel `ch`: the known pixels
    next to the hole (4-neighbours; (h, w) bool) and, there, ((h, w) float32, 0 elsewhere) the photo less the
    fill across the edge, both carried to the edge by one slope — the smaller of the photo's (its pixel and the
    one behind it) and the fill's (its pixel and the next one in), 0 where they disagree in sign (minmod) —
    averaged over the pixel's neighbours in the hole. A fill that continues the photo's shading has no step, one
    off by an offset has that offset, and an edge beside the hole is not carried across it (helper 74: a
    straight line through both pairs doubled an edge 1 px from the hole)."""
    h, w = hole.shape
    f = np.pad(fill[..., ch].astype(np.float32), 2, mode="edge")
    o = np.pad(original[..., ch].astype(np.float32), 2, mode="edge")
    H = np.pad(hole, 2)                       # (off the picture: neither side)
    K = np.pad(~hole, 2)
    num = np.zeros(hole.shape, np.float32)
    den = np.zeros(hole.shape, np.float32)

    def at(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
        return a[2 + dy:2 + dy + h, 2 + dx:2 + dx + w]

    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        edge = at(H, dy, dx) & ~hole                         # a known pixel whose neighbour this way is in the hole
        if not edge.any():
            continue
        to_o = np.where(at(K, -dy, -dx), at(o, 0, 0) - at(o, -dy, -dx), 0)          # the photo's slope
        to_f = np.where(at(H, 2 * dy, 2 * dx), at(f, 2 * dy, 2 * dx) - at(f, dy, dx), 0)   # the fill's
        slope = np.where(to_o * to_f > 0, np.sign(to_o) * np.minimum(np.abs(to_o), np.abs(to_f)), 0)
        num += np.where(edge, at(o, 0, 0) - at(f, dy, dx) + slope, 0)
        den += edge
    layer = den > 0
    step = np.zeros(hole.shape, np.float32)
    step[layer] = num[layer] / den[layer]
    return layer, step


def _step_membrane(fill: np.ndarray, original: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Poisson blending of a fill made inside the hole only: the fill keeps its own gradients inside, and across
    the hole's edge it takes none of its own (it is continued from the photo), so the step there is spread into
    the hole as a membrane (Δc = 0, c = the step on the pixels next to the hole). A fill that is right but for
    an offset loses the offset; a fill whose texture runs on from the photo's (the content-aware fill) has its
    texture's steps smoothed in, which costs it on photos: its default keeps the fill as made ("own")."""
    ys, xs = np.nonzero(cv2.dilate(hole.astype(np.uint8), _K4.astype(np.uint8)))
    e = MEMBRANE_MARGIN
    sl = np.s_[max(ys.min() - e, 0):ys.max() + e + 1, max(xs.min() - e, 0):xs.max() + e + 1]
    inside = hole[sl]
    out = fill.copy()
    nearest = None
    for ch in range(fill.shape[2]):          # a channel at a time (a 48-MP hole's planes are 190 MB each)
        layer, c = _step(fill[sl], original[sl], inside, ch)
        if not layer.any():             # a hole over the whole picture: no photo to meet
            return fill.copy()
        if nearest is None:         # the known pixels away from the hole start at the step nearest them (they
            #                         only start the solve's coarse scales; at 0 a 3000² hole ended 6 levels off)
            _, lab = cv2.distanceTransformWithLabels((~layer).astype(np.uint8), cv2.DIST_L2, 5,
                                                     labelType=cv2.DIST_LABEL_PIXEL)
            ly, lx = np.nonzero(layer)
            index = np.zeros(int(lab.max()) + 1, np.int32)
            index[lab[ly, lx]] = np.arange(len(ly))
            nearest = index[lab]
            far = ~(layer | inside)
        vals = c[layer]                     # (the order of np.nonzero(layer), as `index`)
        c = np.where(far, vals[nearest], c).astype(np.float32)
        c = harmonic(c, inside)
        out[sl][..., ch] = np.where(inside, np.clip(fill[sl][..., ch] + c + 0.5, 0, 255), fill[sl][..., ch])
    return out


def poisson(fill: np.ndarray, original: np.ndarray, hole: np.ndarray, *, step: bool = True) -> np.ndarray:
    """seamlessClone of `fill` into `original` over `hole` (all the same size). A fill that already meets the
    photo around the hole (one made inside the hole only: what the fills hand over) is blended by
    `_step_membrane`, or, with `step` False, kept as it is (OpenCV returned it a grey level darker: it truncates
    its float result; on a box of several megapixels also a few levels off). Where Poisson cannot run (a side
    under 3 px: OpenCV has no interior to solve on) the fill is kept as is."""
    if min(hole.shape[:2]) < MIN_POISSON_SIDE:
        return fill.copy()
    near = _ring(hole, 7)
    if np.array_equal(fill[near], original[near]):
        return _step_membrane(fill, original, hole) if step else fill.copy()
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


def _push_pull(values: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(h, w, c) `values` known where `weight` (h, w) is 1, spread everywhere: a pyramid of weighted means halved
    down to a few pixels (pull), then each level taken where it has known pixels and the coarser one scaled up
    where it has not, blended by how much of a pixel is known (push; Gortler et al. 1996). Exact on the known
    pixels, smooth away from them, and a dozen resizes whatever the size."""
    nums, dens = [values * weight[..., None]], [weight]
    while min(dens[-1].shape) > 4:
        h, w = dens[-1].shape
        size = ((w + 1) // 2, (h + 1) // 2)
        nums.append(cv2.resize(nums[-1], size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1))
        dens.append(cv2.resize(dens[-1], size, interpolation=cv2.INTER_AREA))
    d = dens[-1]
    top = nums[-1].reshape(-1, values.shape[2]).sum(0) / max(float(d.sum()), 1e-6)
    est = np.where(d[..., None] > 1e-6, nums[-1] / np.maximum(d, 1e-6)[..., None], top)
    for num, den in zip(nums[-2::-1], dens[-2::-1], strict=True):
        h, w = den.shape
        up = cv2.resize(est, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
        a = np.clip(den * 4.0, 0.0, 1.0)[..., None]       # a quarter of a pixel known is enough to trust it
        est = a * (num / np.maximum(den, 1e-6)[..., None]) + (1.0 - a) * up
    return est.astype(np.float32)


def heal_edge(fill: np.ndarray, original: np.ndarray, hole: np.ndarray, reach: float) -> np.ndarray:
    """A fill made inside the hole with the step at the hole's edge taken out near the edge only: each edge pixel's
    own step (`_step`) spread by the push-pull pyramid and faded by exp(−distance / `reach`) into the hole. For a
    texture laid in blocks (quilt.py): the blocks' pattern met the photo's in a hard outline (2.1 × the texture's
    usual gradient across it, helper 77), while a Poisson seam, which carries the mean step all the way in, shifted
    the whole hole's colour."""
    out = fill.copy()
    fade = None
    for ch in range(fill.shape[2]):         # a channel at a time (a 48-MP fill's float copies are GBs)
        layer, step = _step(fill, original, hole, ch)
        if not layer.any():
            return out
        if fade is None:
            fade = np.exp(-cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)[hole] / max(reach, 0.5))
        offset = _push_pull(step[..., None], layer.astype(np.float32))[..., 0][hole]
        plane = out[..., ch]
        plane[hole] = np.clip(plane[hole].astype(np.float32) + offset * fade + 0.5, 0, 255).astype(np.uint8)
    return out


def feather(fill: np.ndarray, original: np.ndarray, hole: np.ndarray) -> np.ndarray:
    side = max(hole.shape)
    ring = _ring(hole, max(2, side // 64)).astype(np.float32)
    if ring.sum() == 0:
        return fill.copy()
    diff = (original.astype(np.float32) - fill.astype(np.float32)) * ring[..., None]
    if not diff.any():      # a fill made inside the hole only: the step is between its edge and the photo beside it
        steps = [_step(fill, original, hole, ch) for ch in range(fill.shape[2])]
        layer = steps[0][0]
        if not layer.any():
            return fill.copy()
        # each edge pixel's own step at the edge, coarser averages of it deeper in (helper 75: one wide blur
        # corrected only the average step, 12.8 → 11.1 grey levels at a learned fill's edge; Poisson 2.6)
        offset = _push_pull(np.stack([st for _, st in steps], -1), layer.astype(np.float32))
        out = fill.astype(np.float32)
        out[hole] += offset[hole]
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)
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
    if blend in ("poisson", "own"):
        fill = poisson(fill, original, hole, step=blend == "poisson")
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
