"""The photo's own fine texture quilted into a fill made at a much smaller size (stop 62).

A hole in a large photo is filled at the content-aware fill's working size (512 px on the long side) and scaled
up: on a 12-MP photo about 8 ×. Everything finer than a working pixel is then missing. Until now it was put back
as noise of the surroundings' strength and colour (`texture.fine_grain`): right for sensor grain, but gravel,
grass, bark or weave came out as a flat, noisy plastic, and the texture copied at the working size, magnified,
showed as blocky speckle (stop 61's finding on a 48-MP fill).

Here the band the small fill cannot hold well — the photo less its Gaussian blur of `SPLIT` × the scale — is
copied from the known pixels around the hole in square blocks of `BLOCK` × the scale, each sharing `OVERLAP` of
its side with its neighbours, where they are blended under a raised cosine (image quilting, Efros & Freeman 2001,
without the minimum-error cut). Each block's source is the best of `TRIES` random known blocks near the hole by
how close its blurred colour is to the fill's there, how near it lies, how strong its band is against the
strength carried into the hole from its edge, and — laid in raster order — how well it agrees with the blocks
already laid where they overlap (`_agreeing`; chosen without it, the blocks met in a visible grid of seams). So
the texture of a lawn goes where the fill continues the lawn and the path's where it continues the path. The
fill's own band there (its magnified speckle) is dropped; its coarser structure is kept.

Only around a texture: where the band's strength around the hole is about even (`SPREAD`) and more than noise
(`FLOOR`). Around smooth areas
with a few sharp outlines (a wall, a suit, a rocket: the astronaut), fragments of the outlines scattered over the
fill read as droplets; there the fine grain's noise stays. Scaled up less than `MIN_SCALE` ×, the working size's
own texture pass holds the texture (`texture.add_detail`).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from latentbrush.ml.inpaint.surround import oriented, periodic, uneven

SPLIT = 3.0         # the band copied: finer than a Gaussian blur of this × the scale (full-size px)
BLOCK = 6.0         # block side, × the scale (at least MIN_BLOCK px)
MIN_BLOCK = 12
OVERLAP = 0.25      # of a block, shared with each neighbour (blended there; the rest is one source's)
MIN_SCALE = 3.0     # below this the fine grain's noise does (texture.fine_grain)
TRIES = 64          # random sources per block, the closest in colour (and place) taken
NEAR = 3.0          # the weight of a source's distance (in blocks, squared) against its colour's (levels²)
REACH = 6           # sources within this many blocks of the hole's box
STRENGTH = 300.0    # the weight of the band's log strength differing (a 3 × weaker or stronger texture ≈ 22 levels)
SPREAD = float(np.log(4.0))   # at most this between the sources' 10th and 90th-percentile log band energy
FLOOR = 4.0         # grey levels: the band's RMS in at least 90 % of the surround (a sky's noise is no texture,
#                     and quilting it blurred a horizon running through the hole, helper 76)
SEED = 62
DEPTH_PER_SCALE = 8.0   # texture mode (stop 63): the scale is the hole's depth / this …
SIDE_PER_SCALE = 48.0   # … and at most the crop's shorter side / this (a block ≤ 1/8 of it)
TEXTURE_MIN = 2.0       # texture mode below this scale: none (the grain pass holds a thin hole's texture)
BUDGET = 60_000_000     # beyond EVERY blocks: random sources tried × their agreement's pixels, over all blocks
REGULAR = 0.27         # texture mode: none where the texture is this regular (surround.periodic: grass, gravel
#                        0.10–0.25, bricks 0.3+; "regular": the caller redraws it from patches) …
ORIENTED = 0.3         # … (a texture whose edges run one way more than this, random along them: quilted, "along")
UNEVEN = 0.6           # … nor where the broad light changes more than this against the texture's strength (`uneven`)
FINE = 24              # the agreement is judged on a copy about this many px a block
REPEAT = 2.0           # a source within a block of one already taken costs this × the median candidate's more, a time
HEAL = 1.0             # texture mode: the step at the hole's edge faded out over this × the scale (px)
EVERY = 400            # blocks up to which each is matched against every clean source (`_agreeing`)
TOLERANCE = 0.1         # a block's source: at random among those within this of the best cost (no verbatim repeats)


def _blur(plane: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of a float plane; a wide one (σ over 8 px: 47 px on 48 MP) on a copy shrunk by σ / 4 and
    scaled back (the same to a fraction of a level on a texture's band; the direct one took seconds a pass)."""
    d = int(sigma // 4)
    h, w = plane.shape
    if d < 2 or min(h, w) < 8 * d:
        return cv2.GaussianBlur(plane, (0, 0), sigma)
    # padded to whole d × d cells, so that the small copy lines up with the plane when scaled back
    big = cv2.copyMakeBorder(plane, 0, -h % d, 0, -w % d, cv2.BORDER_REFLECT_101)
    hh, ww = big.shape
    small = cv2.resize(big, (ww // d, hh // d), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), float(np.sqrt(max(sigma * sigma - d * d / 12.0, 1.0))) / d)
    return cv2.resize(small, (ww, hh), interpolation=cv2.INTER_LINEAR)[:h, :w]


def _carried(values: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """`values` with its `unknown` cells set from the known ones around them: the known values' Gaussian-weighted
    mean at the smallest width (2, 4, 8, … cells) where a cell has known cells about it (normalised
    convolution; smooth across the hole, and no solver)."""
    known = (~unknown).astype(np.float32)
    out = values.astype(np.float32).copy()
    todo = unknown.copy()
    sigma = 2.0
    while todo.any():
        wsum = cv2.GaussianBlur(known, (0, 0), sigma)
        vsum = cv2.GaussianBlur(values.astype(np.float32) * known, (0, 0), sigma)
        ready = todo & (wsum > 0.05)
        out[ready] = vsum[ready] / wsum[ready]
        todo &= ~ready
        if sigma > 2 * max(values.shape):
            out[todo] = float(values[~unknown].mean())
            break
        sigma *= 2
    return out


def _window(n: int, taper: int) -> np.ndarray:
    """A block's weight: 1 in its middle, a raised cosine over `taper` px at each side (where blocks overlap)."""
    ramp = np.sin(0.5 * np.pi * (np.arange(taper) + 0.5) / taper) ** 2
    w = np.ones(n, np.float32)
    w[:taper], w[n - taper:] = ramp, ramp[::-1]
    return np.outer(w, w)


def _agreeing(band: np.ndarray, unknown: np.ndarray, origin: tuple[int, int], oy: np.ndarray, ox: np.ndarray,
              ty: np.ndarray, tx: np.ndarray, costs: Callable[[int], tuple[np.ndarray, np.ndarray]], b: int, r: int,
              win: np.ndarray, rng: np.random.Generator, check: Callable[[], None] | None, *,
              every: bool = False) -> np.ndarray:
    """Each block's source, in raster order: of its candidates (`costs(t)`: their indices and colour, place and
    strength terms), the one whose grey band agrees best with the blocks already laid where they overlap (mean
    squared difference, on a copy `r` × smaller). Chosen on colour alone, neighbouring blocks met in visible
    seams. `every`: the candidates are every source, their agreement read off one masked template match of the
    laid overlap over the whole copy (stop 63: a few milliseconds a block, where gathering each candidate's pixels
    had limited a 12-MP fill to about a thousand random ones a block, and its blocks met the photo in a seam)."""
    small = cv2.resize(band, (band.shape[1] // r, band.shape[0] // r), interpolation=cv2.INTER_AREA)
    k = b // r
    sw = cv2.resize(win, (k, k), interpolation=cv2.INTER_AREA)
    ty0, tx0 = int(ty.min()), int(tx.min())
    canvas = np.zeros(((int(ty.max()) - ty0) // r + k + 1, (int(tx.max()) - tx0) // r + k + 1), np.float32)
    weight = np.zeros_like(canvas)
    # the photo's own band around the hole is laid first: the blocks at the hole's edge agree with it too
    iy, ix = (ty0 - origin[0]) // r, (tx0 - origin[1]) // r
    kn = cv2.resize((1 - unknown).astype(np.float32), (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
    kn = (kn > 0.999).astype(np.float32)[iy:iy + canvas.shape[0], ix:ix + canvas.shape[1]]
    hh, ww = kn.shape
    canvas[:hh, :ww] = small[iy:iy + hh, ix:ix + ww] * kn
    weight[:hh, :ww] = kn
    pick = np.empty(len(ty), np.int64)
    sy = np.clip((oy - origin[0]) // r, 0, small.shape[0] - k)
    sx = np.clip((ox - origin[1]) // r, 0, small.shape[1] - k)
    offs = np.arange(k)
    # where sources were already taken (cells of half a block): taken again costs more (a lawn's one clover
    # copied three times into the hole reads as a pattern)
    cell = max(1, b // 2)
    used = np.zeros(((int(oy.max()) - origin[0]) // cell + 2, (int(ox.max()) - origin[1]) // cell + 2), np.float32)
    uy, ux = (oy - origin[0] + b // 2) // cell, (ox - origin[1] + b // 2) // cell
    for t in range(len(ty)):
        if check is not None and (every or t % 256 == 255):
            check()
        cy, cx = (int(ty[t]) - ty0) // r, (int(tx[t]) - tx0) // r
        wv = weight[cy:cy + k, cx:cx + k]
        cand, cost = costs(t)
        if wv.any():
            seen = wv > 0.05
            laid = np.where(seen, canvas[cy:cy + k, cx:cx + k] / np.maximum(wv, 1e-6), 0.0).astype(np.float32)
            if every:
                ssd = cv2.matchTemplate(small, laid, cv2.TM_SQDIFF, mask=seen.astype(np.float32))
                cost = cost + np.maximum(ssd[sy[cand], sx[cand]], 0.0) / max(int(seen.sum()), 1)
            else:
                blocks = small[sy[cand][:, None, None] + offs[None, :, None],
                               sx[cand][:, None, None] + offs[None, None, :]]
                cost = cost + ((blocks[:, seen] - laid[seen]) ** 2).mean(axis=1)
        cost = cost + REPEAT * float(np.median(cost)) * used[uy[cand], ux[cand]]
        # at random among the near-best (Efros & Freeman: the single best repeats one patch of the photo)
        good = np.flatnonzero(cost <= cost.min() + TOLERANCE * abs(float(cost.min())) + 1e-6)
        j = cand[int(good[rng.integers(len(good))])]
        used[max(0, uy[j] - 1):uy[j] + 2, max(0, ux[j] - 1):ux[j] + 2] += 1.0
        canvas[cy:cy + k, cx:cx + k] += small[sy[j]:sy[j] + k, sx[j]:sx[j] + k] * sw
        weight[cy:cy + k, cx:cx + k] += sw
        pick[t] = j
    return pick


def texture_scale(hole: np.ndarray) -> float:
    """Texture mode's scale (full-size px): the hole's depth / DEPTH_PER_SCALE, at most its crop's shorter side /
    SIDE_PER_SCALE (the texture's elements do not grow with the hole; a block stays a small part of the crop)."""
    depth = float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5).max()) if hole.any() else 0.0
    return min(depth / DEPTH_PER_SCALE, min(hole.shape) / SIDE_PER_SCALE)


def quilt_band(crop: np.ndarray, hole: np.ndarray, filled: np.ndarray, scale: float, *, texture: bool = False,
               seed: int = SEED, check: Callable[[], None] | None = None) -> np.ndarray | None:
    """`filled` (uint8, `crop` with its hole filled, made `scale` × smaller and scaled up) with the band finer
    than the small fill's resolution replaced, inside the hole, by the known pixels' own (module docstring).
    `texture` (texture mode, stop 63): the band finer than the hole's own texture scale (`texture_scale`), where
    that is coarser — everything but the fill's broad light, so a lawn's or gravel's blades and stones are the
    photo's own, not the smooth fill's streaks. None where there is too little known texture to copy from (the
    caller falls back to the fine grain)."""
    return quilt_verdict(crop, hole, filled, scale, texture=texture, seed=seed, check=check)[0]


def quilt_verdict(crop: np.ndarray, hole: np.ndarray, filled: np.ndarray, scale: float, *, texture: bool = False,
                  seed: int = SEED, check: Callable[[], None] | None = None,
                  any_way: bool = False) -> tuple[np.ndarray | None, str]:
    """`quilt_band`'s result and, for texture mode, why: "quilted", "quilted along" (its edges run one way but it is
    random along them: grass leaning, wood grain), "regular" (bricks, planks, tiles — the caller may redraw it from
    patches; `surround.periodic` ≥ REGULAR), "scene" (uneven light, a few edges, too weak a texture, too few
    sources) or "shallow" (no texture scale: a thin hole). `any_way`: quilted without asking whether it is regular
    (a full-size pass after "quilted along" at the working size)."""
    hole = hole.astype(bool)
    if not hole.any():
        return None, "shallow"
    t = texture_scale(hole) if texture else 0.0
    scales = ([t] if t >= TEXTURE_MIN and t > scale else []) + ([scale] if scale >= MIN_SCALE else [])
    verdict = "scene" if texture and scales and scales[0] == t else "shallow"
    for s in scales:        # texture mode where the photo allows it, else the band finer than the fill's pixels
        out = _quilt(hole, np.where(hole[..., None], filled, crop), s, seed, check, broad=s > scale, any_way=any_way)
        if not isinstance(out, str):
            return out[0], ("quilted along" if out[1] else "quilted") if s > scale else verdict
        if s > scale:
            verdict = out
    return None, verdict


def _broad_light(filled: np.ndarray, hole: np.ndarray, sigma: float) -> np.ndarray:
    """Texture mode's broad light (small, (h/d, w/d, 3) float32, d = σ / 4): the known pixels' blur carried across
    the hole as a membrane, not the fill's. Inside a texture the structure fill's streaks, blurred, still drew a
    dark smear where it had pulled a dark stone in; the texture's broad light has no such thing to continue."""
    from latentbrush.ml.inpaint.biharmonic import harmonic

    d = max(1, int(sigma // 4))
    h, w = hole.shape
    size = (max(4, w // d), max(4, h // d))
    small = cv2.resize(filled, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    hs = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.01
    rest = float(np.sqrt(max(sigma * sigma - d * d / 12, 1.0))) / d        # (the shrinking blurred by about d)
    return cv2.GaussianBlur(harmonic(small, hs), (0, 0), max(0.5, rest))


def _quilt(hole: np.ndarray, filled: np.ndarray, scale: float, seed: int, check: Callable[[], None] | None, *,
           broad: bool = False, any_way: bool = False) -> tuple[np.ndarray, bool] | str:
    """`filled` with the band finer than a blur of SPLIT × `scale` quilted into the hole, and whether its texture's
    edges run one way (random along them: quilted all the same); else why not ("scene", "regular")."""
    from latentbrush.ml.inpaint.cuts import block_mask

    h, w = hole.shape
    b = max(MIN_BLOCK, int(round(BLOCK * scale)))
    if b >= min(h, w):
        return "scene"
    half = b // 2
    sigma = SPLIT * scale
    ys, xs = np.nonzero(hole.any(axis=1))[0], np.nonzero(hole.any(axis=0))[0]
    y0, y1, x0, x1 = int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1
    # known blocks near the hole's box (no hole pixel, none within half a block): the sources. The band is taken
    # of the photo with its hole filled, so a source's blur may reach into the fill (its broad light only).
    pad = min(int(np.ceil(3 * sigma)), half)
    sy0, sy1 = max(0, y0 - REACH * b), min(h, y1 + REACH * b)
    sx0, sx1 = max(0, x0 - REACH * b), min(w, x1 + REACH * b)
    near = np.ascontiguousarray(hole[sy0:sy1, sx0:sx1]).astype(np.uint8)
    touched = cv2.dilate(near, np.ones((2 * pad + 1, 2 * pad + 1), np.uint8)) if pad else near
    bad = cv2.integral(touched)
    stride = max(1, half // 8)      # (a brick wall's courses line up only within a pixel or two)
    oy, ox = np.mgrid[0:sy1 - sy0 - b + 1:stride, 0:sx1 - sx0 - b + 1:stride]
    oy, ox = oy.ravel(), ox.ravel()
    clean = (bad[oy + b, ox + b] - bad[oy, ox + b] - bad[oy + b, ox] + bad[oy, ox]) == 0
    oy, ox = oy[clean] + sy0, ox[clean] + sx0
    if len(oy) < 4:
        return "scene"
    if check is not None:
        check()
    # the fill's and the sources' blurred colours, compared per block on a coarse copy (a block's mean)
    region = (slice(sy0, sy1), slice(sx0, sx1))
    low_fill = cv2.resize(filled[region], None, fx=1 / half, fy=1 / half, interpolation=cv2.INTER_AREA)
    low_fill = low_fill.astype(np.float32)

    def cell(yy: np.ndarray, xx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:    # a block's cell, by its centre
        return (np.clip(((yy - sy0 + half) / half).astype(int), 0, low_fill.shape[0] - 1),
                np.clip(((xx - sx0 + half) / half).astype(int), 0, low_fill.shape[1] - 1))

    # the band's strength, per block: where the hole is, carried in from its edge by the membrane (a smooth wall
    # gets a smooth wall's grain, not fragments of the hair's edges that happen to share its colour)
    grey = cv2.cvtColor(np.ascontiguousarray(filled[region]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    grey -= _blur(grey, sigma)
    cells = cv2.resize(grey * grey, (low_fill.shape[1], low_fill.shape[0]), interpolation=cv2.INTER_AREA)
    cells = np.log1p(cv2.blur(cells, (3, 3)))
    unknown = cv2.resize(touched.astype(np.float32), (cells.shape[1], cells.shape[0]), interpolation=cv2.INTER_AREA) > 0
    if not unknown.all():
        cells = _carried(cells, unknown)

    # only around a texture: where the band is about as strong everywhere around the hole (gravel, grass, a
    # weave, sensor grain); around smooth areas and a few edges (a wall, an object's outline) the grain's noise
    # is the better guess — fragments of edges scattered over a wall read as droplets; and a hole across a lawn's
    # horizon drew squares of grass and sky along it (the 10th percentile, not the median: 5.2 there, 0.1–0.8 on
    # gravel, grass and brick)
    lo, hi = np.percentile(cells[cell(oy, ox)], (10, 90))
    if hi - lo > SPREAD or np.expm1(lo) < FLOOR ** 2:
        return "scene"
    along = False
    if broad and uneven(low_fill, cells, unknown) > UNEVEN:
        return "scene"
    if broad and not any_way:
        # a regular texture (bricks, boards, tiles) is redrawn by the caller: blocks break its courses (stop 64: also
        # where its edges do not run one way, helper 80's stroke down the brick photo); one random along a lean
        # (stretched grass, wood grain) is quilted all the same, and said so (it was surveyed twice, stop 63)
        if periodic(filled[region], hole[region], sigma) >= REGULAR:
            return "regular"
        along = oriented(grey, touched == 0) > ORIENTED

    def mean_at(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:       # a block's blurred colour
        return low_fill[cell(yy, xx)]

    def strength_at(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        return cells[cell(yy, xx)]

    src_colour, src_strength = mean_at(oy, ox), strength_at(oy, ox)
    rng = np.random.default_rng(seed)
    step = b - max(2, int(round(OVERLAP * b)))
    win = _window(b, b - step)
    by0, bx0 = max(0, y0 - (b - step)), max(0, x0 - (b - step))
    gy = np.arange(by0, max(by0 + 1, y1), step)
    gx = np.arange(bx0, max(bx0 + 1, x1), step)
    gy, gx = np.minimum(gy, h - b), np.minimum(gx, w - b)
    ty, tx = np.meshgrid(gy, gx, indexing="ij")
    ty, tx = ty.ravel(), tx.ravel()
    # texture mode: the broad light is the known pixels' membrane (`_broad_light`), so the blocks are chosen to
    # match it, not the fill's (helper 77: blocks dark against the fill's light, laid on the membrane, darkened
    # the hole by 15 levels)
    light = _broad_light(filled[region], hole[region], sigma) if broad else None
    if light is not None:
        small_light = cv2.resize(light, (low_fill.shape[1], low_fill.shape[0]), interpolation=cv2.INTER_LINEAR)
        low_fill = np.where(cv2.resize(unknown.astype(np.uint8), (low_fill.shape[1], low_fill.shape[0]),
                                       interpolation=cv2.INTER_NEAREST)[..., None] > 0, small_light, low_fill)
    want = mean_at(ty, tx)
    want_strength = strength_at(ty, tx)
    # every clean source for each of a few hundred blocks (one template match a block); beyond, a random draw per
    # block, the agreement on a copy coarse enough to keep the gathered pixels within BUDGET
    every = len(ty) <= EVERY
    k_max = max(6, int(np.sqrt(BUDGET / (len(ty) * TRIES))))
    r = max(1, b // FINE, -(-b // k_max) if not every else 1)
    n_try = len(oy) if every else min(len(oy), max(TRIES, BUDGET // (len(ty) * (b // r) ** 2)))
    tries = None if every else rng.integers(0, len(oy), (len(ty), n_try))
    everyone = np.arange(len(oy))

    def costs(t: int) -> tuple[np.ndarray, np.ndarray]:
        # colour first, then nearness: a source 10 blocks further costs as much as 10 levels in each channel
        cand = everyone if tries is None else tries[t]
        far = ((oy[cand] - ty[t]) ** 2 + (ox[cand] - tx[t]) ** 2) / float(b * b)
        return cand, (((src_colour[cand] - want[t]) ** 2).sum(-1) + NEAR * far
                      + STRENGTH * (src_strength[cand] - want_strength[t]) ** 2)
    pick = _agreeing(grey, touched, (sy0, sx0), oy, ox, ty, tx, costs, b, r, win, rng, check, every=every)
    # where blocks meet, each keeps its side of the path where they differ least (cuts.py), found on the grey band
    # with the photo's own band around the hole laid first; the colour planes then laid with the same shares
    known = ~hole[region]
    canvas = np.where(known, grey, 0.0).astype(np.float32)
    laid = known.copy()
    ov, soft = b - step, float(np.clip(0.03 * b, 0.7, 1.5))     # (wider ghosted two stones over each other)
    shares = np.empty((len(ty), b, b), np.float16)
    at = [(int(ty[t]) - sy0, int(tx[t]) - sx0, int(oy[pick[t]]) - sy0, int(ox[pick[t]]) - sx0) for t in range(len(ty))]
    for t, (ay, ax, sy, sx) in enumerate(at):
        if check is not None and t % 1024 == 1023:
            check()
        old, was = canvas[ay:ay + b, ax:ax + b], laid[ay:ay + b, ax:ax + b]
        new = grey[sy:sy + b, sx:sx + b]
        m = np.where(known[ay:ay + b, ax:ax + b], 0.0, block_mask(old, new, was, ov, soft))
        canvas[ay:ay + b, ax:ax + b] = old + m * (new - old)
        was[:] = True
        shares[t] = m
    del canvas, laid, grey
    # the known band, a channel at a time over the sources' region (a 48-MP photo's float copies are GBs)
    out = filled.copy()
    by, bx = slice(y0 - sy0, y1 - sy0), slice(x0 - sx0, x1 - sx0)
    light = _broad_light(filled[region], hole[region], sigma) if broad else None
    inner = hole[y0:y1, x0:x1]
    for c in range(3):
        if check is not None:
            check()
        plane = filled[region][..., c].astype(np.float32)
        blur = _blur(plane, sigma)
        if light is not None:       # texture mode: the known pixels' broad light across the hole, not the fill's
            blur = np.where(hole[region], cv2.resize(light[..., c], blur.shape[::-1], interpolation=cv2.INTER_LINEAR),
                            blur)
        band = plane - blur
        lay = np.where(known, band, 0.0).astype(np.float32)
        for t, (ay, ax, sy, sx) in enumerate(at):
            old = lay[ay:ay + b, ax:ax + b]
            old += shares[t].astype(np.float32) * (band[sy:sy + b, sx:sx + b] - old)
        detail = lay[by, bx]
        if broad:       # (the band is the light's deviation: its mean inside the hole is the light's, not the blocks')
            detail = detail - float(detail[inner].mean())
        plane_out = out[y0:y1, x0:x1, c]
        plane_out[inner] = np.clip(np.rint(blur[by, bx] + detail), 0, 255)[inner]
    if broad:       # the blocks meet the photo at the hole's edge uncut: that step taken out near it (blend.heal_edge)
        from latentbrush.ml.inpaint.blend import heal_edge

        if check is not None:
            check()
        ey0, ey1, ex0, ex1 = max(0, y0 - 2), min(h, y1 + 2), max(0, x0 - 2), min(w, x1 + 2)
        out[ey0:ey1, ex0:ex1] = heal_edge(out[ey0:ey1, ex0:ex1], filled[ey0:ey1, ex0:ex1], hole[ey0:ey1, ex0:ex1],
                                          HEAL * scale)
    return out, along
