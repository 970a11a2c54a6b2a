"""Faces in a photo's fill: an eye filled from the person's other eye, mirrored (or half the mouth from its
other half). Whether a face's features hold a hole at all is face_gate.py's check.

An eye masked on a real portrait got a smooth patch of skin and brow from every fill (the content-aware
fill +0.8 dB over the better classical fill on 7 portraits, the tuned 64-px generator +1.2 dB as a
blurred, blocky blob at the photo's size): none has this person's eye. The other eye has it:
- reflected along the mouth corners' line (parallel to the eyes'; the detector guesses a hidden eye's
  place, and the eyes' line leans with the guess), the other eye's centre onto this one's, scaled along
  the line by the ratio of the corners' distances from the nose tip (a face turned a little shows its
  far side narrower), and shifted (up to `SEARCH` × the eye distance) to fit the ring of known pixels
  around the hole;
- the light corrected by a plane fitted, per channel, to the ratio of the photo and the reflection on
  that ring (light multiplies; one side of a face is lit differently; a surface through the ring
  itself carried the skin's grain in as colour blotches);
- bent by the optical flow read on that ring, spread inwards (`bent_to_edge`): a crease the other side draws
  a pixel or two higher meets the photo's own instead of doubling it at the hole's edge; and handed to
  the blend with the reflection beyond the hole as well, so the seam correction evens out what still
  differs along the edge (the photo's own pixels there hid the step from it, and a ring showed).
A hole off the eyes on one side of the face's features (half the mouth, a nostril's side; `mirrored_side`,
stop 51) is reflected across a line fitted to the ring (through the eyes' midpoint square to them, moved and
turned a little), then lit and bent the same way (the default smeared half a mouth). The shift's fit reads the
ring's pixels whose reflection is known (by a mouth the ring's inner side reflects into the hole itself,
and its white pulled the fit a pixel off), and a reflection that predicts the ring worse than the ring's own
blur does (`FIT_MAX`) is not used: the face is turned more than the landmarks found on the holed photo say.
On a face turned a little more (stop 52, up to `SIDE_YAW_MAX`) the side's reflection is also scaled across the
line (the far side is narrower; `SCALES`). There is no mirror, and the fill is the default's, where the face is
turned (an eye: the nose tip off the mouth's middle by more than `YAW_MAX` × its width: a reflection then puts
the near eye's shape and gaze into the far one; a side: more than `SIDE_YAW_MAX`), the hole is on neither an
eye nor one side of the features, or the reflection lands on pixels that are not known (both eyes masked, a
hole across the face's middle).
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.core.bbox import BBox
from latentbrush.ml.inpaint.face_gate import eye_under, side_under

TURNED, COVERED, UNLIKE = "turned", "covered", "unlike"     # why a hole on a face's feature is not mirrored:
#                      the face turned, the reflection on masked pixels, the reflection unlike the hole's surroundings
YAW_MAX = 0.10       # `turned` above which a face is too far turned to mirror (chosen on 7 portraits: 0.02–0.09 fine;
#                      0.17, 0.34 lost 0.4–4.5 dB; Biden's 0.12–0.15 gained, but a helper saw his hooded eye opened)
K_MAX = 1.25         # the reflection's scale along the mouth's line kept within [1 / this, this]
MIN_SOURCE = 0.98    # at least this share of the hole's reflection lands on known pixels inside the photo
RING = 0.15          # the light is matched on a ring this × the eye distance wide around the hole …
FIT_MAX = 2.0        # … and none used whose mean misfit there, lit, is over this × the ring's to its own blur (σ = half
#                      the ring): 0.88–1.87 for the mirrors kept on 7 portraits, 2.39 for a half mouth on a turned face
SEARCH = 0.15        # … and the reflection shifted by up to this × the eye distance to fit it: the detector
#                      places a masked eye by guess (10 px off on a 106-px eye distance)


def _best_fit(image: np.ndarray, mask: np.ndarray, want: np.ndarray, at: list[tuple[np.ndarray, np.ndarray]]) -> int:
    """Which of the places `at` (each (x, y) float32 in the image's coordinates, one per pixel of `want`, the
    ring's known pixels (N, 3)) the photo fits `want` best: the variance of the difference (the light may differ
    by a constant) over the pixels every place reads known (`mask`: the photo's holes; by a mouth the ring's
    reflection reaches into the hole itself, and its white pulled the fit a pixel off). The same pixels for all:
    each place scored on the pixels it read known let a line that reflected the mouth's edge into the hole win
    on the plain skin left (3.5 px off on a test face, stop 52); where under a quarter of the ring is common to
    all, each place's own. (On 14 half-mouth holes of 3 portraits, landmarks found on the holed photos, the
    mirror alone: 20.64 → 20.84 dB inside the holes; a line fitted to the detail of the whole lower face's middle
    instead 20.21, the two costs summed 20.06: the face is not that symmetric; an experiment script.)"""
    holes = _mask_read(mask)
    known = [cv2.remap(holes, x.reshape(1, -1), y.reshape(1, -1), cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                       borderValue=1)[0] <= 0 for x, y in at]
    common = np.logical_and.reduce(known)
    use = [common] * len(at) if common.sum() >= max(8, len(want) // 4) and not STOP51 else known
    costs = []
    for (x, y), k in zip(at, use, strict=True):
        if k.sum() < 8:
            costs.append(np.inf)
            continue
        got = cv2.remap(image, x[k].reshape(1, -1), y[k].reshape(1, -1), cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REFLECT)[0].astype(np.float64)
        costs.append(float((want[k] - got).var(axis=0).sum()))
    return int(np.argmin(costs))


def _register(image: np.ndarray, mask: np.ndarray, crop: np.ndarray, ring: np.ndarray, sx: np.ndarray,
              sy: np.ndarray, reach: int) -> tuple[int, int]:
    """The shift (dx, dy), within ± `reach` px, of the reflection (`sx`, `sy`: where each pixel of the
    crop reads the photo) that best fits the crop's known `ring` (`_best_fit`); coarse (every other px),
    then ± 1 px."""
    ys, xs = np.nonzero(ring)
    px, py = sx[ys, xs], sy[ys, xs]

    def best(shifts: list[tuple[int, int]]) -> tuple[int, int]:
        return shifts[_best_fit(image, mask, crop[ys, xs], [(px + np.float32(dx), py + np.float32(dy))
                                                           for dx, dy in shifts])]
    coarse = best([(dx, dy) for dx in range(-reach, reach + 1, 2) for dy in range(-reach, reach + 1, 2)])
    return best([(coarse[0] + dx, coarse[1] + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)])


STOP51 = False       # True: stop 51's mirror (8-bit mask reads, each candidate fitted on its own pixels, the strip
#                      bridged by Telea after the bend, no side of a turned face), a variant of `bench inpaint_wide`
BEND = True          # the reflection bent to meet the lines crossing the hole's edge (`bent_to_edge`) …
SEAM = True          # … and returned beyond the hole too, so the blend's seam correction sees the mismatch there
#                      (both off: the mirror of stop 50, a variant of `bench inpaint_wide`)
BEND_REACH = 0.3     # the ring's misfit carried into the hole over about this × the eye distance …
BEND_MAX = 0.06      # … by at most this × the eye distance,
BEND_NOISE = 0.75    # … and not under this many px (the flow's noise where both sides match; `bent_to_edge`)


def bent_to_edge(lit: np.ndarray, crop: np.ndarray, hole: np.ndarray, ring: np.ndarray, iod: float) -> np.ndarray:
    """The reflection `lit` (the crop's size, light matched) bent to meet the lines that cross the hole's
    edge: the optical flow (DIS) from the photo, with the reflection in its hole, to the reflection is read
    on the known `ring` where the photo has structure (weighted by its squared gradient), spread by
    normalised convolution (σ = `BEND_REACH` / 2 × the eye distance), faded where the ring showed little
    structure nearby, and capped at `BEND_MAX` × the eye distance. The shift alone fits the ring as a
    whole; a lid's crease or a wrinkle that the other side draws a pixel or two higher met the photo's
    own at the hole's edge as a doubled line (a helper, the third Obama)."""
    def grey(a):
        return cv2.cvtColor(np.clip(np.rint(a), 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    a, b = grey(np.where(hole[..., None], lit, crop)), grey(lit)
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(a, b, None)
    gx = cv2.Sobel(a.astype(np.float32), cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(a.astype(np.float32), cv2.CV_32F, 0, 1)
    w = cv2.GaussianBlur(gx * gx + gy * gy, (0, 0), 2) * ring
    s = max(1.0, BEND_REACH * iod / 2)
    den = cv2.GaussianBlur(w, (0, 0), s) + 1e-6
    f = np.stack([cv2.GaussianBlur(w * flow[..., i], (0, 0), s) / den for i in range(2)], -1)
    f *= np.clip(den / max(float(np.percentile(den[ring], 50)), 1e-6), 0, 1)[..., None]
    # the flow's noise where the two sides match (grain, flat skin: 0.4 px median on a ring that fits exactly)
    # gated out (none under `BEND_NOISE`, all of it from twice that), so a reflection that fits is not
    # resampled at all; the rest capped
    norm = np.linalg.norm(f, axis=-1, keepdims=True)
    f *= np.clip(norm / BEND_NOISE - 1, 0, 1) * np.minimum(1, BEND_MAX * iod / np.maximum(norm, 1e-6))
    if not f.any():
        return lit
    yy, xx = np.mgrid[0:hole.shape[0], 0:hole.shape[1]].astype(np.float32)
    return cv2.remap(lit.astype(np.float32), xx + f[..., 0].astype(np.float32), yy + f[..., 1].astype(np.float32),
                     cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT).astype(np.float64)


def turned(lm: np.ndarray, *, by_eyes: bool = False) -> float:
    """How far a face is turned: the nose tip's distance from the mouth corners' perpendicular bisector,
    over the corners' distance (0 for a frontal face). Read off the landmarks a masked eye does not move
    (the detector places a hidden eye by guess); `by_eyes`: off the eyes' instead (a hole over a mouth
    corner; on the 7 portraits it reads 0.00–0.17 where the corners read 0.02–0.34, not in step)."""
    a, b = (np.asarray(lm[i], np.float64) for i in ((0, 1) if by_eyes else (3, 4)))
    d = max(float(np.linalg.norm(b - a)), 1e-6)
    return abs(float((np.asarray(lm[2], np.float64) - (a + b) / 2) @ (b - a))) / d ** 2


def mirrored_eye(image: np.ndarray, mask: np.ndarray, box: BBox, lm: np.ndarray) -> np.ndarray | None:
    """`_eye`'s fill, or None."""
    out = _eye(image, mask, box, lm)
    return out[0] if isinstance(out, tuple) else None


def _eye(image: np.ndarray, mask: np.ndarray, box: BBox, lm: np.ndarray) -> tuple[np.ndarray, float] | str | None:
    """The area `box` of `image` (H, W, 3 uint8) with its part of `mask` (H, W bool: every hole in the
    photo) filled from the face's other eye (`lm`: its five landmarks in the image), the light matched
    and the reflection bent to the lines at the hole's edge (module docstring); beyond the hole the area
    holds the reflection too wherever it reads known pixels (for the blend's seam correction: only the
    hole is the fill; `SEAM`), and the share of the hole `bridged`; None where the hole is not on an eye, else
    why it is not mirrored (`TURNED`,
    `COVERED`: the reflection lands on unknown pixels, `UNLIKE`)."""
    hole = mask[box.y0:box.y1, box.x0:box.x1]
    which = eye_under(hole, box, lm)
    if which is None:
        return None
    if turned(lm) > YAW_MAX:
        return TURNED
    lm = np.asarray(lm, np.float64)
    iod = float(np.linalg.norm(lm[1] - lm[0]))
    here, there, nose = lm[which], lm[1 - which], lm[2]
    # the reflection's direction and scale from what a masked eye does not move: the mouth corners' line
    # (parallel to the eyes'; the detector guesses the hidden eye, and its line leans with the guess), and,
    # a face turned a little showing its far side narrower, the corners' distances from the nose tip
    near, far = sorted(lm[3:5], key=lambda c: -float((c - there) @ (here - there)))   # this eye's side first
    u = (near - far) / max(float(np.linalg.norm(near - far)), 1e-6)
    n = np.array([-u[1], u[0]])
    k = float(np.clip(abs((far - nose) @ u) / max(abs((near - nose) @ u), 1e-6), 1 / K_MAX, K_MAX))
    gx, gy = np.meshgrid(np.arange(box.x0, box.x1, dtype=np.float64), np.arange(box.y0, box.y1, dtype=np.float64))
    a, b = (gx - here[0]) * u[0] + (gy - here[1]) * u[1], (gx - here[0]) * n[0] + (gy - here[1]) * n[1]
    sx = (there[0] - k * a * u[0] + b * n[0]).astype(np.float32)
    sy = (there[1] - k * a * u[1] + b * n[1]).astype(np.float32)
    return _reflected(image, mask, box, sx, sy, iod)


SIDE = True          # a hole off the eyes mirrored too (off: stop 50's fill, a variant of `bench inpaint_wide`) …
TILT = 6             # the mirror's line turned by up to this many degrees from square to the eyes, and moved by up to
#                      `SEARCH` / 2 × the eye distance, to fit the ring
SIDE_SOURCE = 0.8    # a hole reaching across the middle: its part whose reflection is known (at least this share)
#                      mirrored, the rest (a strip along the middle) bridged from both sides (`bridged`)
SIDE_YAW_MAX = 0.3   # a hole on one side of a face turned by up to this (`turned`; over `YAW_MAX`) is mirrored too …
SCALES = (0.7, 0.8, 0.9, 1.0, 1.12, 1.25, 1.4)   # … its reflection scaled by one of these across the line (the far
#                      side is narrower), fitted with the line, over twice the reach (every other px, then ± 1)


def mirrored_side(image: np.ndarray, mask: np.ndarray, box: BBox, lm: np.ndarray) -> np.ndarray | None:
    """`_side`'s fill, or None."""
    out = _side(image, mask, box, lm)
    return out[0] if isinstance(out, tuple) else None


def _side(image: np.ndarray, mask: np.ndarray, box: BBox, lm: np.ndarray) -> tuple[np.ndarray, float] | str | None:
    """As `_eye`, for a hole off the eyes on one side of a face (half the mouth, a nostril's side, a cheek's
    fold, the chin's side): reflected across the line through the eyes' midpoint square to them, moved and
    turned to fit the ring (`TILT`) — on a face turned over `YAW_MAX` also scaled across the line (`SCALES`: the
    far side is narrower) — then lit and bent as an eye is. None where the hole is on an eye or outside the
    face's middle (`face_gate.side_under`: hair, ears and backdrop are not symmetric); `COVERED`
    where it reaches across the middle (its reflection lands on itself), `TURNED` where the face is turned over
    `SIDE_YAW_MAX` (by the mouth corners or by the eyes, whichever reads more: a hole over a corner leaves its
    place a guess), `UNLIKE`. (Stop 52, turned sides: on 13 half-mouth holes of 4 turned portraits, through the
    editor's path, 20.15 → 23.35 dB inside the holes, 12 gained 1.2–6.4 dB, the painting's face lost 3.0; the
    exhaustive search 23.30 at twice the time; an experiment script.)"""
    hole = mask[box.y0:box.y1, box.x0:box.x1]
    lm = np.asarray(lm, np.float64)
    if not side_under(hole, box, lm):
        return None
    yaw = max(turned(lm), turned(lm, by_eyes=True))
    if yaw > (YAW_MAX if STOP51 else SIDE_YAW_MAX):
        return TURNED                               # (by the eyes too: a hidden mouth corner is placed by guess)
    scales = SCALES if yaw > YAW_MAX else (1.0,)
    iod = float(np.linalg.norm(lm[1] - lm[0]))
    u = (lm[1] - lm[0]) / iod
    mid = (lm[0] + lm[1]) / 2
    # the line fitted to the ring (moved along the eyes' line, turned a little): a reflection keeps the points
    # on its line where they are, so the half meets the photo across the middle without a step (a shift put
    # a smile's raised half 4–5 px up against the other half, a helper saw the seam through a tooth)
    crop, ring = _area(image, mask, box, iod)
    if ring.sum() < 8:
        return COVERED
    ry, rx = np.nonzero(ring)
    reach = max(1, int(round(SEARCH * iod / 2)))
    step = 2 if yaw > YAW_MAX else 1
    reach *= step
    lines = [(o, t, k) for o in range(-reach, reach + 1, step) for t in np.radians(np.arange(-TILT, TILT + 1, 1.0))
             for k in scales]

    def across(o: float, t: float, k: float, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v = np.array([u[0] * np.cos(t) - u[1] * np.sin(t), u[0] * np.sin(t) + u[1] * np.cos(t)])
        c = mid + o * u
        a = (xs - c[0]) * v[0] + (ys - c[1]) * v[1]
        return (xs - (1 + k) * a * v[0]).astype(np.float32), (ys - (1 + k) * a * v[1]).astype(np.float32)
    def best(cands: list[tuple[float, float, float]]) -> tuple[float, float, float]:
        return cands[_best_fit(image, mask, crop[ry, rx], [across(*ln, rx + float(box.x0), ry + float(box.y0))
                                                           for ln in cands])]
    o, t, k = best(lines)
    if step > 1:        # (a turned face: twice the reach, searched every other px, then ± 1 px around the best)
        o, t, k = best([(o + do, t, k) for do in (-1, 0, 1)])
    gx, gy = np.meshgrid(np.arange(box.x0, box.x1, dtype=np.float64), np.arange(box.y0, box.y1, dtype=np.float64))
    sx, sy = across(o, t, k, gx, gy)
    return _reflected(image, mask, box, sx, sy, iod, shift=False, rest=SIDE_SOURCE)


def mirrored(image: np.ndarray, mask: np.ndarray, box: BBox, lm: np.ndarray) -> tuple[np.ndarray, str] | None:
    """The area filled from the face's other side and which: "eye" or "side" (`mirror_of`); None where not."""
    m = mirror_of(image, mask, box, lm)
    return m if m is not None and isinstance(m[0], np.ndarray) else None


def mirror_of(image: np.ndarray, mask: np.ndarray, box: BBox, lm: np.ndarray) -> tuple[np.ndarray | str, str] | None:
    """(The area filled from the face's other side (`_eye` for a hole on an eye, else `_side`) or why it is not:
    `TURNED`, `COVERED`, `UNLIKE`; which: "eye", "side", or "side, bridged" where a strip along the middle
    (over 1 % of the hole) was only `bridged`), or None where the hole is on neither."""
    hole = mask[box.y0:box.y1, box.x0:box.x1]
    kind = "eye" if eye_under(hole, box, lm) is not None else "side"
    out = _eye(image, mask, box, lm) if kind == "eye" else _side(image, mask, box, lm) if SIDE else None
    if isinstance(out, tuple):
        return out[0], kind + (", bridged" if kind == "side" and out[1] > 0.01 else "")
    return None if out is None else (out, kind)


def _area(image: np.ndarray, mask: np.ndarray, box: BBox, iod: float) -> tuple[np.ndarray, np.ndarray]:
    """The area's crop (float64) and the ring of known pixels `RING` × the eye distance wide around its hole."""
    hole = mask[box.y0:box.y1, box.x0:box.x1]
    r = max(2, int(round(RING * iod)))
    ring = (cv2.dilate(hole.astype(np.uint8), np.ones((2 * r + 1,) * 2, np.uint8)) > 0) & ~hole
    return image[box.y0:box.y1, box.x0:box.x1].astype(np.float64), ring


def _reflected(image: np.ndarray, mask: np.ndarray, box: BBox, sx: np.ndarray, sy: np.ndarray,
               iod: float, *, shift: bool = True, rest: float | None = None) -> tuple[np.ndarray, float] | str:
    """(The area `box` with its hole filled by the photo read at (`sx`, `sy`) (the reflection, float32 in the
    image's coordinates), shifted to fit the ring of known pixels (`shift`), its light matched, bent to the
    lines at the hole's edge, and beyond the hole where it reads known pixels (`SEAM`); the share of the hole
    `bridged`); `COVERED` where the ring
    is too thin or the reflection lands on unknown pixels: on more than 1 − `MIN_SOURCE` of the hole, or with
    `rest` more than 1 − `rest` of it (the rest then `bridged`); `UNLIKE` where it predicts the ring worse than
    the ring's own blur (`FIT_MAX`)."""
    hole = mask[box.y0:box.y1, box.x0:box.x1]
    crop, ring = _area(image, mask, box, iod)
    if ring.sum() < 8:
        return COVERED
    if shift:
        dx, dy = _register(image, mask, crop, ring, sx, sy, max(1, int(round(SEARCH * iod))))
        sx, sy = sx + np.float32(dx), sy + np.float32(dy)
    unknown = cv2.remap(_mask_read(mask), sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                        borderValue=1) > 0
    if (~unknown[hole]).mean() < (MIN_SOURCE if rest is None else rest):
        return COVERED
    ring &= ~unknown
    edge = ring.copy()      # (the lines the reflection misses are what bends it)
    mirror = cv2.remap(image, sx, sy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT).astype(np.float64)
    # (read linearly where the cubic's wider footprint reaches a hole: its white showed as a pale streak)
    near = cv2.remap(cv2.dilate(mask.astype(np.float32), np.ones((3, 3), np.uint8)), sx, sy, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=1) > 0
    if (near & ~unknown).any() and not STOP51:
        linear = cv2.remap(image, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT).astype(np.float64)
        mirror = np.where((near & ~unknown)[..., None], linear, mirror)
    # the light's ratio on the ring (light multiplies), a plane fitted to it per channel (a ramp of light
    # across the face is carried exactly; the biharmonic surface through the ring carried its grain in as
    # colour blotches)
    ratio = np.log1p(crop) - np.log1p(mirror)
    # (not where the two sides differ in shape rather than light: a line the reflection misses by a pixel)
    off = np.abs(ratio - np.median(ratio[ring], axis=0)).sum(-1)
    ring &= off <= np.median(off[ring]) + 3 * max(float(np.median(np.abs(off[ring] - np.median(off[ring])))), 0.01)
    ys, xs = np.nonzero(ring)
    basis = np.stack([np.ones(len(xs)), (xs - xs.mean()) / iod, (ys - ys.mean()) / iod], 1)
    coef = np.linalg.lstsq(basis, ratio[ys, xs], rcond=None)[0]               # (3, channels)
    gy, gx = np.mgrid[0:hole.shape[0], 0:hole.shape[1]]
    gain = np.stack([np.ones(hole.shape), (gx - xs.mean()) / iod, (gy - ys.mean()) / iod], -1) @ coef
    lit = np.expm1(np.log1p(mirror) + gain)
    # a reflection that predicts the known ring worse than the ring's own blur does is another place, not
    # this one's other side (a face turned more than the landmarks on the holed photo say)
    known = (~mask[box.y0:box.y1, box.x0:box.x1]).astype(np.float64)
    sg = max(1.0, RING * iod / 2)
    blur = cv2.GaussianBlur(crop * known[..., None], (0, 0), sg) / np.maximum(
        cv2.GaussianBlur(known, (0, 0), sg), 1e-6)[..., None]
    if np.abs(crop - lit)[edge].mean() > FIT_MAX * np.abs(crop - blur)[edge].mean():
        return UNLIKE
    # (beyond the hole, where the reflection reads the hole itself, the photo: by a mouth the reflection of
    # the ring's inner side reaches into it, and the flow read there was the hole's white)
    lit = np.where((unknown & ~hole)[..., None], crop, lit)
    left = hole & unknown
    if left.any() and not STOP51:
        # the strip whose reflection is in the hole as well, bridged before the bend (which would carry the
        # hole's white from it into the pixels next to it)
        lit = np.where(left[..., None], bridged(_uint8(np.where(hole[..., None], lit, crop)), left, iod), lit)
    if BEND:
        lit = bent_to_edge(lit, crop, hole, edge, iod)
    if left.any() and STOP51:
        lit = bridged(_uint8(np.where(hole[..., None], lit, crop)), left, iod)
    # (beyond the hole too, where the reflection reads known pixels: the blend's seam correction then sees
    # the mismatch along the hole's edge and spreads it inwards; the photo's own there left a ring)
    return (_uint8(np.where((hole | ~unknown)[..., None], lit, crop) if SEAM else np.where(hole[..., None], lit, crop)),
            float(left.sum()) / max(int(hole.sum()), 1))


def _mask_read(mask: np.ndarray) -> np.ndarray:
    """The photo's holes as the remaps read them: float (8-bit, a remap rounds a pixel reading a hole by under
    half to 0, and the hole's white showed as a pale arc along the mask's edge; `STOP51`)."""
    return mask.astype(np.uint8 if STOP51 else np.float32)


def _uint8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def bridged(out: np.ndarray, left: np.ndarray, iod: float) -> np.ndarray:
    """The pixels `left` of the mirrored area (the strip along the face's middle whose reflection is in the
    hole as well) filled from around them by Navier–Stokes (stop 52: half-mouth masks 0.03–0.07 × the eye distance
    past the middle on 3 portraits, 5 holes, 20.49 dB inside the hole with Telea, 20.47 with coherence transport,
    20.66 with Navier–Stokes, which kept the gap between two front teeth that the others merged; an experiment
    script, not a bench)."""
    return cv2.inpaint(out, left.astype(np.uint8), max(3, int(round(0.05 * iod))),
                       cv2.INPAINT_TELEA if STOP51 else cv2.INPAINT_NS)
