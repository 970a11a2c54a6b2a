"""Texture for a smooth fill: the finest detail band copied from the photo's own known patches.

A fill that is right on average (a learned net, a frequency-selective reconstruction) is smooth inside
the hole; a person sees a blur where the surroundings have grain, weave or foliage. Content-aware fill
(Barnes et al. 2009, PatchMatch) takes texture from the known region. Here the smooth fill keeps the
structure (its low-pass band) and only the detail band (image − Gaussian(σ)) is copied: for each hole
pixel, the known patch whose low-pass neighbourhood looks most like the fill's there is found with a
PatchMatch (random init, propagation in scan order, shrinking random search; compiled), and that patch's centre
detail is added. Neighbouring hole pixels come to point at neighbouring sources, so the copied grain
is coherent, not noise; where the surroundings are smooth their detail band is ≈ 0 and nothing changes.
Near the hole's edge a hole pixel's patch still holds known pixels: their own detail is matched as
well (a masked distance), so the copy continues the grain it meets there instead of starting a new
one (on the bench's 64² photo crops, rectangles / strokes / blobs: +0.02 / +0.03 / +0.03 dB inside
the holes, texture kept 56 / 43 / 57 → 56 / 44 / 56 %; on its faces +0.09 dB, texture 65 → 68 %;
`latentbrush bench inpaint_quality`; holes matched at half resolution are unchanged).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from latentbrush.ml.inpaint.masks import grid_step

KNOWN_REACH = 2          # add_detail: the known detail within this many px of a hole pixel is matched too …
KNOWN_WEIGHT = 2.0       # … its features scaled by this (so 4× per component in the squared distance)
MATCH_SIGMA = 2.0        # holes matched at half resolution: sources matched on the image blurred by this (px)
GRAIN_RING = (2, 6)      # the copied grain brought up towards the grain of the known pixels 2–6 px around the
GRAIN_GAIN = 1.2         # … hole (median magnitudes), by at most this factor


def grid_descriptors(low: np.ndarray, r: int) -> np.ndarray:
    """(h, w, 27): the low-pass image at the 3 × 3 grid of offsets {−r, 0, r}² around each pixel."""
    p = cv2.copyMakeBorder(low, r, r, r, r, cv2.BORDER_REFLECT)
    h, w = low.shape[:2]
    parts = [p[r + dy:r + dy + h, r + dx:r + dx + w] for dy in (-r, 0, r) for dx in (-r, 0, r)]
    return np.concatenate(parts, axis=2)


def patch_match(feat: np.ndarray, targets: np.ndarray, sources: np.ndarray, *, iters: int = 4,
                seed: int = 0, weights: np.ndarray | None = None,
                init: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nearest source pixel (by descriptor distance) for every target pixel.

    feat (h, w, d) float32; targets, sources (h, w) bool (a source's descriptor must be fully
    known); `weights` (n_targets, d), targets in np.nonzero order: how much each descriptor
    component of a target counts (0 for the parts of its patch in the hole). Returns (sy, sx) int
    arrays, one entry per target pixel in np.nonzero order. `init` (sy, sx) in the same order: the
    matches to start from (a source each, or −1: a random one), e.g. a coarser scale's field.
    The compiled PatchMatch of the synthesis (app/ml/inpaint/kernels.py) on the descriptors alone
    (until stop 38 a vectorised numpy one: 45–55 ms of a 256² fill, now ≈ 10 ms).
    """
    # numba: imported (and compiled, or loaded from its cache) on first use, never at start-up
    from latentbrush.ml.inpaint import kernels

    h, w = targets.shape
    ty, tx = (a.astype(np.int64) for a in np.nonzero(targets))
    iy, ix = init if init is not None else (np.full(len(ty), -1, np.int64),) * 2
    sy, sx, _ = kernels.patch_match(np.zeros((h, w, 3), np.float32), np.ascontiguousarray(feat, np.float32),
                                    ty, tx, sources, np.asarray(iy, np.int64), np.asarray(ix, np.int64),
                                    iters, 0, seed, weights=weights)
    return sy, sx


def _matching_features(low: np.ndarray, detail: np.ndarray, hole: np.ndarray, radius: int,
                       reach: int = KNOWN_REACH) -> tuple[np.ndarray, np.ndarray]:
    """(h, w, 27 + 3·K) descriptors — the low-pass grid of `grid_descriptors`, then the detail band at
    the K = (2·reach + 1)² offsets around each pixel (× `KNOWN_WEIGHT`, 0 in the hole) — and the
    hole pixels' weights (n, 27 + 3·K): 1 for the low-pass part, for the detail part 1 where that
    offset is known, 0 where it is in the hole or off the crop."""
    h, w = hole.shape
    r = reach
    offs = [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1)]
    low_feat = grid_descriptors(low, radius)
    n_low = low_feat.shape[2]
    feat = np.empty((h, w, n_low + 3 * len(offs)), np.float32)
    feat[..., :n_low] = low_feat
    det = cv2.copyMakeBorder(np.where(hole[..., None], 0.0, KNOWN_WEIGHT * detail).astype(np.float32),
                             r, r, r, r, cv2.BORDER_REFLECT)
    known = cv2.copyMakeBorder((~hole).astype(np.float32), r, r, r, r, cv2.BORDER_CONSTANT, value=0.0)
    ty, tx = np.nonzero(hole)
    weights = np.ones((len(ty), feat.shape[2]), np.float32)
    for k, (dy, dx) in enumerate(offs):
        feat[..., n_low + 3 * k:n_low + 3 * k + 3] = det[r + dy:r + dy + h, r + dx:r + dx + w]
        weights[:, n_low + 3 * k:n_low + 3 * k + 3] = known[r + dy + ty, r + dx + tx][:, None]
    return feat, weights


def add_detail(crop: np.ndarray, hole: np.ndarray, smooth: np.ndarray, *, guide: np.ndarray | None = None,
               sigma: float = 1.0, radius: int = 3, iters: int = 4, seed: int = 0,
               full_res_px: int = 4096, refine_rounds: int = 1, match_sigma: float = MATCH_SIGMA,
               allowed: np.ndarray | None = None) -> np.ndarray:
    """The smooth fill with the known region's detail band copied into the hole (`allowed` (h, w) bool:
    from these pixels only, e.g. a photo's hair; default every known one).

    crop (h, w, 3) uint8 (its hole pixels are ignored), hole (h, w) bool, smooth (h, w, 3) uint8: a
    fill of the hole; `guide` (same shape, default `smooth`): the fill whose low-pass neighbourhoods
    the sources are matched on. Returns (h, w, 3) uint8, equal to `crop` outside the hole. Holes larger than
    `full_res_px` pixels are matched at half resolution (4× cheaper) and the match field is doubled:
    each source keeps its neighbours within a 2 × 2 block, but neighbouring blocks jump, which left rows
    of 2 × 2 speckle in large holes (a helper removing the astronaut's helmet, stop 41); since stop 41
    `refine_rounds` PatchMatch rounds at full resolution (low-pass descriptors, started from the doubled
    field) mend the jumps: on 256² crops of the training photos +0.02 / +0.03 dB (strokes / blobs), the
    texture figure 68 → 60 % / 61 → 51 % (the speckle had counted as texture), +10–30 ms.
    Such holes are matched on the image blurred by `MATCH_SIGMA` px, not by `sigma`: inside a hole the
    guide is smooth, and its finer band made the match prefer smooth sources (stop 42: on 256² crops of
    the training photos the copied grain had 0.80 / 0.72 × the true grain's RMS, strokes / blobs; on the
    benchmark's held-out 256² crops 0.65 / 0.58 — a hole visibly smoother than its surroundings); on
    the blurred image 0.92 / 0.83, −0.04 / −0.07 dB (exp: σ 1.5 / 2 / 2.5; an added channel matching the
    surroundings' grain strength moved along the same line of grain for dB). Holes matched at full
    resolution keep `sigma`: there the known grain around a hole pixel is matched as well, the copy was
    0.85 × as strong, and the blur lost 0.07–0.2 dB on 64² crops.
    """
    hole = hole.astype(bool)
    f = np.where(hole[..., None], smooth, crop).astype(np.float32)
    low = cv2.GaussianBlur(f, (0, 0), sigma)
    detail = f - low
    if guide is not None and guide is not smooth:
        f_guide = np.where(hole[..., None], guide, crop).astype(np.float32)
        low_guide = cv2.GaussianBlur(f_guide, (0, 0), sigma)
        detail_guide = f_guide - low_guide
    else:
        low_guide, detail_guide = low, detail
    # a source's patch and its blur footprint (a large hole's: the match's wider blur) must not touch
    # the hole (its old pixels are unknown)
    blur = max(sigma, match_sigma) if int(hole.sum()) > full_res_px else sigma
    reach = max(radius, int(np.ceil(3 * blur)), KNOWN_REACH)
    sources = cv2.erode((~hole).astype(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8),
                        borderType=cv2.BORDER_REPLICATE) > 0
    if allowed is not None:
        sources &= allowed
    if not hole.any() or sources.sum() < 16:
        return np.where(hole[..., None], smooth, crop)
    ty, tx = np.nonzero(hole)
    sy, sx = detail_sources(low_guide, detail_guide, hole, sources, radius=radius, iters=iters, seed=seed,
                            full_res_px=full_res_px, refine_rounds=refine_rounds,
                            sigma=sigma, match_sigma=match_sigma)
    copied = detail[sy, sx] * grain_gain(detail, hole, detail[sy, sx])
    out = f.copy()
    out[ty, tx] = low[ty, tx] + copied
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def grain_gain(detail: np.ndarray, hole: np.ndarray, copied: np.ndarray) -> float:
    """How much to strengthen the grain copied into a hole: the median magnitude of the known detail
    `GRAIN_RING` px around the hole over that of the copy, within [1, `GRAIN_GAIN`]. The match prefers
    sources whose low band looks like the smooth fill's, i.e. smooth ones: the copy came out at 0.85 ×
    the surroundings' strength and the hole read as a smoother patch. Stop 43, holes matched at full
    resolution (on 48 × 3 64² crops of the training photos, rectangles / strokes / blobs: texture kept
    72 / 65 / 82 → 88 / 76 / 96 %, −0.10 / −0.07 / −0.11 dB inside the holes; the root mean square
    instead of the median about the same; up to 1.5 × overshot on blobs, 119 %). Stop 44, holes matched
    at half resolution too (their wider match blur had brought the copy to 0.92 / 0.83 of the truth's
    strength on training crops, 0.65 / 0.58 on the benchmark's held-out 256² crops, whose strokes kept
    52 % of the texture): on 24 × 2 256² crops of the training photos, strokes / blobs, texture kept
    72 → 87 % / 93 → 104 %, −0.04 ± 0.01 / −0.05 ± 0.02 dB."""
    h8 = hole.astype(np.uint8)
    near, far = (cv2.dilate(h8, np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0 for r in GRAIN_RING)
    ring = far & ~near
    if ring.sum() < 16 or not len(copied):
        return 1.0
    target, have = float(np.median(np.abs(detail[ring]))), float(np.median(np.abs(copied)))
    return float(np.clip(target / max(have, 1e-3), 1.0, GRAIN_GAIN))


def detail_sources(low: np.ndarray, detail: np.ndarray, hole: np.ndarray, sources: np.ndarray, *, radius: int = 3,
                   iters: int = 4, seed: int = 0, full_res_px: int = 4096, refine_rounds: int = 1,
                   sigma: float = 1.0, match_sigma: float = MATCH_SIGMA) -> tuple[np.ndarray, np.ndarray]:
    """add_detail's match: the source (sy, sx) of each hole pixel (np.nonzero order). `low`: the guide
    blurred by `sigma`; holes over `full_res_px` pixels are matched on it blurred on to `match_sigma`."""
    if int(hole.sum()) > full_res_px:
        if match_sigma > sigma:         # matched on a coarser blur (add_detail's docstring)
            low = cv2.GaussianBlur(low, (0, 0), float(np.sqrt(match_sigma ** 2 - sigma ** 2)))
        sy, sx = _half_resolution_match(low, hole, sources, radius, iters, seed)
        if refine_rounds:
            sy, sx = patch_match(grid_descriptors(low, radius), hole, sources, iters=refine_rounds, seed=seed,
                                 init=(sy, sx))
        return sy, sx
    # near the hole's edge the known grain around a hole pixel is matched as well: the copy continues
    # it (see the module's docstring); holes matched at half resolution do not do this
    feat, weights = _matching_features(low, detail, hole, radius)
    return patch_match(feat, hole, sources, iters=iters, seed=seed, weights=weights)


def _half_resolution_match(low, hole, sources, radius, iters, seed):
    """patch_match on the image halved, its field doubled back: (sy, sx) for each full-res hole pixel."""
    h, w = hole.shape
    hh, hw = (h + 1) // 2, (w + 1) // 2
    half = cv2.resize(low, (hw, hh), interpolation=cv2.INTER_AREA)
    hole_h = cv2.resize(hole.astype(np.uint8), (hw, hh), interpolation=cv2.INTER_NEAREST) > 0
    src_h = np.zeros((hh, hw), bool)
    src_h[:h // 2, :w // 2] = sources[0:2 * (h // 2):2, 0:2 * (w // 2):2] & sources[1::2, 1::2][:h // 2, :w // 2]
    ty, tx = np.nonzero(hole)
    hole_h[np.minimum(ty // 2, hh - 1), np.minimum(tx // 2, hw - 1)] = True      # every full-res pixel has a parent
    src_h &= ~hole_h
    py, px = np.nonzero(hole_h)
    if src_h.sum() < 16:
        return patch_match(grid_descriptors(low, radius), hole, sources, iters=iters, seed=seed)
    my, mx = patch_match(grid_descriptors(half, max(1, radius // 2)), hole_h, src_h, iters=iters, seed=seed)
    field_y = np.zeros((hh, hw), np.int64)
    field_x = np.zeros((hh, hw), np.int64)
    field_y[py, px], field_x[py, px] = my, mx
    cy, cx = np.minimum(ty // 2, hh - 1), np.minimum(tx // 2, hw - 1)
    sy = np.clip(2 * field_y[cy, cx] + (ty - 2 * cy), 0, h - 1)
    sx = np.clip(2 * field_x[cy, cx] + (tx - 2 * cx), 0, w - 1)
    ok = sources[sy, sx]                     # a doubled source that fell off the known region: its parent's
    return (np.where(ok, sy, np.clip(2 * field_y[cy, cx], 0, h - 1)),
            np.where(ok, sx, np.clip(2 * field_x[cy, cx], 0, w - 1)))


FINE_SEED = 20_261_206   # the fine grain's noise: the same fill twice gives the same pixels


def fine_grain(crop: np.ndarray, hole: np.ndarray, filled: np.ndarray, scale: float, *,
               seed: int = FINE_SEED, check: Callable[[], None] | None = None) -> np.ndarray:
    """The grain finer than a fill made `scale` × smaller and scaled up: a helper's 1200-px hole in a 24-MP
    photo, filled at 512 px, came out smooth (its finest band 0.61 against the surroundings' 2.88 grey levels).
    The band above the small fill's resolution (the image less its Gaussian blur of 0.5 · `scale` px) of the
    known pixels around the hole (a ring `scale` to 9 · `scale` px out) gives the grain's strength and colour
    (its 3 × 3 covariance); noise of that band and covariance, less what the fill already has, is added in the
    hole. Sensor and film grain is noise of this kind; the coarser texture (weave, foliage) came with the fill.
    Returns `filled` with the hole's pixels changed (uint8). `check` is called between its passes over the
    crop (each a second or two on 48 MP): Esc during a whole-photo fill took effect only at its end."""
    hole = hole.astype(bool)
    sigma = 0.5 * scale
    if sigma < 0.75 or not hole.any():
        return filled

    def band(plane: np.ndarray) -> np.ndarray:       # one channel at a time: a 45-MP hole's float copies are GBs
        if check is not None:
            check()
        f = plane.astype(np.float32)
        return f - cv2.GaussianBlur(f, (0, 0), sigma)

    def cov(img: np.ndarray, where: np.ndarray) -> np.ndarray:       # on a grid of at most about 2^20 of them
        k = grid_step(where, 1 << 20)
        at = where[::k, ::k]
        return np.cov(np.stack([band(img[..., c])[::k, ::k][at] for c in range(3)]).astype(np.float64))

    h8 = hole.astype(np.uint8)
    near, far = (cv2.dilate(h8, np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0
                 for r in (max(1, int(round(scale))), max(3, int(round(9 * scale)))))
    ring = far & ~near
    if ring.sum() < 64:
        return filled
    want = cov(crop, ring)
    have = cov(filled, hole) if hole.sum() > 3 else np.zeros((3, 3))
    vals, vecs = np.linalg.eigh(want - have)
    colour = (vecs * np.sqrt(np.clip(vals, 0, None))).astype(np.float32)   # add = colour @ colour.T (what is missing)
    if not np.any(vals > 1e-3):
        return filled
    rng = np.random.default_rng(seed)
    # drawn over the hole's box alone (a whole-photo crop's hole is often well under half of it)
    ys, xs = np.nonzero(hole.any(axis=1))[0], np.nonzero(hole.any(axis=0))[0]
    m = int(np.ceil(3 * sigma))        # (with the band's reach around it: a one-pixel hole's box alone has no band)
    box = (slice(max(0, int(ys[0]) - m), int(ys[-1]) + 1 + m), slice(max(0, int(xs[0]) - m), int(xs[-1]) + 1 + m))
    inner = hole[box]
    add = np.zeros((int(inner.sum()), 3), np.float32)
    power = 0.0
    for c in range(3):        # white noise in the band, each channel its own draw, mixed into the colours
        noise = band(rng.standard_normal(inner.shape, dtype=np.float32))
        power += cv2.norm(noise, cv2.NORM_L2SQR) / noise.size / 3     # (summed in double precision)
        add += noise[inner][:, None] * colour[:, c]
    add /= max(np.sqrt(power), 1e-6)
    add += filled[box][inner]
    out = filled.copy()
    out[box][inner] = np.clip(np.rint(add, out=add), 0, 255, out=add)
    return out
