"""Best quality: the hole synthesised from the photo's own patches, at every scale, on the default's structure.

The default content-aware fill keeps a smooth structure and copies only the finest (1-px) detail band
(until stop 39 its structure at 256² was made at 48–128 px and scaled up; since stop 40 it is
coherence transport at the crop's size there, app/ml/inpaint/coherence.py). This method fills the
hole the way exemplar-based completion does (Wexler,
Shechtman & Irani 2007, "Space-time completion of video"; the core of content-aware fill): every
patch that touches the hole should look like some patch of the known region, and every hole pixel is
the agreement of the patches that cover it. Solved coarse to fine by expectation–maximisation:

- a pyramid, halving until the hole is at most two patch radii (6 px) deep, so the coarsest level is a small
  completion problem that patches from the edge can solve;
- the hole starts from the structure fill (the content-aware fill's structure: coherence
  transport, or on crops up to 64 px its weighed learned / frequency-selective / coherence fill) at
  the coarsest level, and every patch is also matched on that fill
  blurred (a 3 × 3 grid of it, the guide): strongly (`GUIDE_WEIGHT`) at the scales the structure was
  made at (≤ 64 px), weakly (`GUIDE_FINE`) above, where the patches draw the detail (since stop 42
  crops over 64 px: `GUIDE_LARGE` at every level, below). Unguided, the synthesis copied the
  astronaut's face and hair into the wall behind her;
- patches come from near the hole: a source d px away costs (`NEAR` · d)² more (crops over 64 px since
  stop 42: `NEAR_LARGE`) (as content-aware
  fill samples around the hole); without it, hair was copied into the table under the shuttle;
- each iteration: every patch touching the hole finds its nearest fully known patch (PatchMatch on
  the whole 7 × 7 × 3 patch plus the guide, started from the previous match field), then every hole
  pixel becomes the mean of the colours those patches put on it, each patch weighed by
  exp(−distance / 2σ²), σ² the 75th percentile of the distances (Wexler et al.'s weighting). Both
  steps are compiled (app/ml/inpaint/kernels.py, numba; until stop 37 numpy, on the patches' first 24
  principal components: 2–2.6 s for a 256² crop instead of 0.3–0.5 s);
- the match field is carried up to the next level (each pixel's parent's source, doubled), so the
  texture chosen at a coarse scale keeps its place at the fine ones;
- at the end the structure's broad light (its difference from the synthesis, blurred by `LOW_SIGMA`
  px) is added back, so where copies from two sides of the hole meet, the brightness step between
  them (a hard vertical seam in the shuttle's wall) becomes the structure's smooth gradient; and the
  1-px grain is copied as in the default fill (the mean of the votes is a little soft).

Chosen on the bench's held-out photo crops (experiment scripts outside the bench: 24 crops per 64²
set, 6 per 256² set; gain inside the holes over the better of Telea / Navier–Stokes; the content-aware
fill on the same crops +1.27 / +0.59 / +0.95 / +0.17 dB for 64² rectangles / 64² blobs / 256² blobs /
256² strokes): guide 2 everywhere — / +0.35 / +1.20 / +0.91 dB (and the face copied into the
wall); 8 everywhere +1.39 / +0.83 / +1.07 / +0.44; 16 +1.35 / +0.83 / +1.00 / +0.32; 8 at ≤ 64 px and 2
above, with the near term, +1.33 / +0.76 / +1.22 / +1.16 dB; with the broad light added back
(σ 16 px) — / +0.79 / +1.17 / +1.25 dB and texture kept at 256² 42 → 57 % / 41 → 42 % (shipped; σ 8:
— / +0.79 / +1.05 / +1.04 dB). Copying each match's centre
pixel instead of the mean of the votes (guide 4): sharper, −0.1 to −0.7 dB. The bench's figures: README.

Stop 42, crops larger than 64 px (`GUIDE_SIDE`; their structure is coherence transport made at the
crop's own size, so the reason for a strong guide at ≤ 64 px, a structure drawn there, is gone): the
guide is `GUIDE_LARGE` (2) at every level, the pull towards near sources `NEAR_LARGE` (0.5 instead of
4), and each finer level starts from the coarse match field's copies at its own scale (`field_start`)
instead of the coarse estimate scaled up, whose nearest patches were the photo's smoothest: grass and
gravel had come out as a flat grey disc with fine grain (a helper, stop 41), now they show blades and
stones. Paired on 48 + 48 256² crops of the training photos (blobs / strokes; experiment script, gain
over the better classical fill): −0.09 ± 0.09 / +0.13 ± 0.09 dB, texture kept 84 → 91 % / 89 → 88 %
(on 16 + 16 other crops +0.41 / +0.29 dB); a weaker guide above 64 px (1, 0.5) drew more contrast on a
synthetic stone texture but lost 0.2–0.8 dB on the photos; the near term at 1 without the field start
more dB (+0.07 / +0.26) but as flat to the eye. Crops up to 64 px keep the settings above (the field
start and a weaker near term there: −0.01 to −0.08 dB on 64² crops).

Slower than the default (0.3–0.6 s for a 256² crop on 2 cores, the default 0.13–0.35 s; the first
fill after installing also compiles the kernels, ≈ 5 s once); its progress is shown and it can be
cancelled. Outside the hole the crop is untouched. A crop the content-aware fill gave to the
generator prior (a face in the generator's frame) keeps the prior's fill: copied patches would only
spoil that face. A thin hole (its median pixel at most a patch radius, `SYNTH_DEPTH`, from the known
ones: brush strokes at 64²) keeps the default's fill: most of each patch over it is known, and the
structure drawn at the crop's size already continues what is around it (on the bench's 64² photo
strokes the synthesis lost 0.4 dB to the default, 16 crops; stop 37).
"""

from __future__ import annotations

from collections.abc import Generator

import cv2
import numpy as np

from latentbrush.core.jobs import drain
from latentbrush.ml.inpaint import methods
from latentbrush.ml.inpaint.filler import Check, Filler, fill_crop, scale_back, shrink_hole
from latentbrush.ml.inpaint.masks import hole_depth
from latentbrush.ml.inpaint.quilt import quilt_verdict
from latentbrush.ml.inpaint.texture import add_detail, grid_descriptors

RADIUS = 3            # 7 × 7 patches
COARSEST_DEPTH = 2.0  # halve until the hole is at most this many patch radii deep …
MIN_SIDE = 24         # … but keep the coarsest level at least this large
EM_COARSE, EM_FINE = 8, 3     # rounds at the coarsest scale; each finer one 2 fewer, at least EM_FINE
GUIDE_SIGMA = 2.0     # the structure guide: the start fill blurred by this (px at each level) …
GUIDE_WEIGHT = 8.0    # … its 3 × 3 grid around a pixel counted this much (per component; squared: 64×)
GUIDE_SIDE = 64       # … at the levels up to this side (where the structure fill was made); above it
GUIDE_FINE = 2.0      # … this much: the finer scales are the patches' to draw (these three: crops up to 64 px,
#                      and the default's own synthesis, off since stop 40)
PRIOR_ALONE = [0.0, 0.0, 1.0]     # the content-aware fill's weights when the generator prior is the structure
NEAR = 4.0            # a source d px (at full size) away costs (NEAR · d)² more: patches come from near the hole
LOW_SIGMA = 16.0      # the structure's light above this many px (at full size) replaces the patches'
PM_ITERS = 2          # PatchMatch rounds per EM round (2 more where it starts at random)
# the best-quality fill of crops larger than GUIDE_SIDE (their structure made at the crop's size: coherence
# transport since stop 40, the learned mix where a face's features hold the hole):
GUIDE_LARGE = 2.0     # … the guide at every level,
NEAR_LARGE = 0.5      # … a weaker pull towards near sources, and each finer level started from the carried
#                      match field's copies (module docstring, stop 42)
VOTE_PCT = 75.0       # the votes' weights exp(−distance / 2σ²), σ² this percentile of the patches' distances
SYNTH_DEPTH = float(RADIUS)   # a hole whose median pixel is at most a patch radius deep is left to the structure


def pyramid_levels(hole: np.ndarray, r: int = RADIUS) -> int:
    """How many times to halve: until the hole's deepest pixel is ≤ COARSEST_DEPTH · r px from the
    known region, the coarsest side staying ≥ MIN_SIDE."""
    depth = float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3).max())
    n, side = 0, min(hole.shape)
    while depth / 2 ** n > COARSEST_DEPTH * r and side / 2 ** (n + 1) >= MIN_SIDE:
        n += 1
    return n


def _level(img: np.ndarray, hole: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    """(targets: pixels whose patch touches the hole, sources: pixels whose whole patch is known
    and inside the image)."""
    k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    targets = cv2.dilate(hole.astype(np.uint8), k) > 0
    sources = cv2.erode((~hole).astype(np.uint8), k, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    return targets, sources


def synthesise(crop: np.ndarray, hole: np.ndarray, start: np.ndarray, *, r: int = RADIUS,
               em_coarse: int = EM_COARSE, em_fine: int = EM_FINE, seed: int = 0,
               guide_weight: float = GUIDE_WEIGHT, guide_fine: float = GUIDE_FINE, guide_side: int = GUIDE_SIDE,
               pm_iters: int = PM_ITERS, near: float = NEAR, field_start: bool = False,
               check: Check | None = None) -> Generator[tuple[float, str], None, np.ndarray]:
    """Yields (fraction done, what it does); returns the crop (h, w, 3) uint8 with the hole synthesised.
    `start`: a fill of the hole (h, w, 3) uint8 the coarsest level starts from. `near`: the pull towards
    sources near each target (crop px); `field_start`: each finer level starts from the carried match
    field's copies at its own scale (else from the coarser estimate scaled up)."""
    # numba: imported (and compiled, or loaded from its cache) on first use
    from latentbrush.ml.inpaint import kernels

    if not kernels.ready():
        yield 0.0, ("preparing the texture synthesis (loading its compiled loops; a few seconds the first time "
                    "after installing)")
        kernels.warm_up()
    hole = hole.astype(bool)
    n = pyramid_levels(hole, r)
    # the pyramid of the crop with the start in its hole: what was in the hole (the object to remove)
    # never bleeds into the known pixels of a coarser scale
    imgs, holes = [np.where(hole[..., None], start, crop).astype(np.float32)], [hole]
    for _ in range(n):
        a, m = imgs[-1], holes[-1]
        size = ((a.shape[1] + 1) // 2, (a.shape[0] + 1) // 2)
        imgs.append(cv2.resize(a, size, interpolation=cv2.INTER_AREA))
        holes.append(cv2.resize(m.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0)
    starts = imgs                   # the structure guide is matched on the same images, blurred
    est = imgs[-1]
    field: tuple[np.ndarray, np.ndarray] | None = None
    # the share of the work at each scale, coarsest first: ∝ its pixels × its rounds
    rounds = [em_coarse if k == 0 else max(em_fine, em_coarse - 2 * k) for k in range(n + 1)]
    work = [4 ** k * rounds[k] for k in range(n + 1)]
    done = 0.0
    for k, level in enumerate(range(n, -1, -1)):
        img, m = imgs[level], holes[level]
        if est.shape != img.shape:      # from the coarser level: its estimate scaled up as the start
            up = cv2.resize(est, img.shape[1::-1], interpolation=cv2.INTER_CUBIC)
            est = np.where(m[..., None], up, img)
        targets, sources = _level(img, m, r)
        if sources.sum() < 16:          # nothing to copy from at this scale: the estimate stays
            done += work[k]
            field = None
            continue
        ty, tx = (a.astype(np.int64) for a in np.nonzero(targets))
        carried = _carry(field, ty, tx, img.shape[:2], sources) if field is not None else None
        if carried is not None and field_start:
            # the finer level starts from the coarse match field's copies at this scale, not from the
            # coarse estimate scaled up (a blur, whose nearest patches are the photo's smoothest)
            ok = carried[0] >= 0
            if ok.any():
                est = kernels.vote(np.ascontiguousarray(est, np.float32), m, ty[ok], tx[ok], carried[0][ok],
                                   carried[1][ok], np.ones(int(ok.sum())), r)
        # where the structure fill says the hole is light, dark, an edge: every patch is matched on that too
        gw = guide_weight if max(img.shape[:2]) <= guide_side else guide_fine
        extra = gw * grid_descriptors(cv2.GaussianBlur(starts[level], (0, 0), GUIDE_SIGMA), r)
        if near:            # where the patch lies (in the crop's own px): far sources cost more
            yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]].astype(np.float32) * (near * 2 ** level)
            extra = np.concatenate([extra, yy[..., None], xx[..., None]], axis=2)
        extra = np.ascontiguousarray(extra, np.float32)
        sy, sx = carried if carried is not None else (np.full_like(ty, -1),) * 2
        iters = rounds[k]
        for i in range(iters):
            if check is not None:
                check()
            yield (done + work[k] * i / iters) / sum(work), f"synthesising texture: scale {k + 1} of {n + 1}"
            est = np.ascontiguousarray(est, np.float32)
            sy, sx, dist = kernels.patch_match(est, extra, ty, tx, sources, sy, sx,
                                               pm_iters if field is not None or i else pm_iters + 2, r,
                                               seed + 97 * level + i)
            s2 = max(float(np.percentile(dist, VOTE_PCT)), 1e-6)
            est = kernels.vote(est, m, ty, tx, sy, sx, np.exp(-dist / (2 * s2)), r)
        init = (sy, sx)
        field = (np.full(img.shape[:2], -1, np.int64), np.full(img.shape[:2], -1, np.int64))
        field[0][ty, tx], field[1][ty, tx] = init
        done += work[k]
    return np.where(hole[..., None], np.clip(np.rint(est), 0, 255), crop).astype(np.uint8)


def _carry(field, ty, tx, shape, sources) -> tuple[np.ndarray, np.ndarray]:
    """A coarse level's match field carried to this level's targets: a pixel's parent's source,
    doubled, plus its offset from the parent's doubled position; −1 where the parent had none or
    the carried source is not one here (patch_match draws those at random)."""
    fy, fx = field
    ch, cw = fy.shape
    h, w = shape
    py, px = np.minimum(ty // 2, ch - 1), np.minimum(tx // 2, cw - 1)
    has = fy[py, px] >= 0
    sy = np.clip(2 * fy[py, px] + (ty - 2 * py), 0, h - 1)
    sx = np.clip(2 * fx[py, px] + (tx - 2 * px), 0, w - 1)
    ok = has & sources[sy, sx]
    return np.where(ok, sy, -1), np.where(ok, sx, -1)


class ExemplarFiller(Filler):
    """The best-quality fill: `structure` (a ContentAwareFiller, or any filler with `structure()` /
    `fill()`) gives the start; the exemplar synthesis does the rest. Works at the crop's own size up
    to `max_side` (larger crops are scaled down for it). It synthesises every hole, on faces too;
    the default's face check (ContentAwareFiller.prepare_area) only chooses the structure there (the
    learned mix on a face's features, not coherence transport)."""

    def __init__(self, structure: Filler, *, max_side: int = 640, guide_weight: float = GUIDE_WEIGHT,
                 grain: bool = True) -> None:
        self.structure, self.max_side, self.guide_weight, self.grain = structure, max_side, guide_weight, grain
        self.fine_grain = grain         # a crop synthesised smaller gets the photo's finest grain back (fill_crop)
        self.large_side = GUIDE_SIDE        # crops larger than this get the settings of stop 42 (GUIDE_LARGE …)
        self.grow_side = getattr(structure, "grow_side", 128)
        self.device = structure.device
        self.title = methods.TITLES[methods.EXEMPLAR]
        self.log = getattr(structure, "log", [])
        self.area: tuple | None = None          # prepare_area's, for the structure's face check
        self.quilted: bool | str = False    # the last fill quilted (quilt.py)? "any way": leaning; for scale_back

    def prepare_area(self, image, box, hole, mask=None):
        self.area = (image, box, hole, mask)

    def fill_whole(self, crop, hole):
        """A hole on one side of a face filled from its other side (an eye from the other eye, half the mouth
        from the other half), as the default fill does it (`ContentAwareFiller.fill_whole`), or None."""
        out = self.structure.fill_whole(crop, hole, self.area) if hasattr(self.structure, "fill_whole") else None
        if out is not None:
            self.area = None
        return out

    def on_cpu(self) -> ExemplarFiller:
        f = ExemplarFiller(self.structure.on_cpu(), max_side=self.max_side, guide_weight=self.guide_weight,
                           grain=self.grain)
        f.large_side = self.large_side
        return f

    def fill(self, crop, hole, check=None):
        return drain(self.fill_steps(crop, hole, check))[0]

    def fill_steps(self, crop, hole, check=None) -> Generator[tuple[float, str], None, np.ndarray]:
        """fill(), yielding (fraction done, what it is doing)."""
        area, self.area = self.area, None       # this fill's alone
        hole = hole.astype(bool)
        if not hole.any():
            return crop.copy()
        face = hasattr(self.structure, "on_features") and self.structure.on_features(area, hole, synthesis=False)
        h, w = hole.shape
        s = self.max_side / max(h, w)
        if s < 1 and hasattr(self.structure, "structure") and hole_depth(hole) > SYNTH_DEPTH:
            # all of it made at the synthesis's size and scaled back with the texture's finer band: the structure
            # was found at the crop's own (two minutes on a 12-MP hole, Esc unheard meanwhile, helper 75); a thin
            # hole (strokes) still at its own size: it is not synthesised, and scaled it lost its lines (helper 76)
            small, hs = shrink_hole(crop, hole, (max(8, round(w * s)), max(8, round(h * s))))
            out = yield from self._fill_steps(small, hs, check, face)
            yield 1.0, "putting back the finer texture"
            return scale_back(out, hs, crop, hole, grain=self.grain, texture=self.quilted, check=check, log=self.log)
        return (yield from self._fill_steps(crop, hole, check, face))

    def _fill_steps(self, crop, hole, check, face: bool) -> Generator[tuple[float, str], None, np.ndarray]:
        self.quilted = False
        yield 0.0, "finding the structure"
        if hasattr(self.structure, "structure"):
            start, best = self.structure.structure(crop, hole, check, **({"face": True} if face else {}))
            if getattr(self.structure, "last_weights", None) == PRIOR_ALONE:
                # a face the generator draws: its fill is that face's, which patches copied from
                # around the hole would only spoil (the content-aware fill's own result)
                return add_detail(crop, hole, start) if self.grain else start
            if hole_depth(hole) <= SYNTH_DEPTH:
                # a thin hole (brush strokes): most of each patch over it is known, and the structure,
                # drawn at the crop's size, already continues what is around it; the default's fill
                return add_detail(crop, hole, start, guide=best) if self.grain else start
            if self.grain and not face:
                # a deep hole in a texture that runs every way (gravel, grass) or is random along its lean: quilted
                # from around it, as the default does (quilt.py's texture mode; the patch synthesis's votes came out
                # softer, stop 63)
                yield 0.1, "looking for a texture to quilt from around the hole"
                quilted, verdict = quilt_verdict(crop, hole, add_detail(crop, hole, start, guide=best), 1.0,
                                                 texture=True, check=check)
                if quilted is not None:     # ("quilted along": a texture leaning one way, random along it)
                    self.quilted = "any way" if verdict == "quilted along" else True
                    if self.log:
                        self.log[-1] = (*self.log[-1][:2], "quilted")
                    return quilted
        else:
            start = fill_crop(self.structure, crop, hole, check)       # its working size; known pixels kept
        # a crop larger than GUIDE_SIDE: its structure was made at its own size (module docstring, stop 42);
        # a caller's stronger guide is capped at GUIDE_LARGE there
        large = max(crop.shape[:2]) > self.large_side
        guide = min(self.guide_weight, GUIDE_LARGE) if large else self.guide_weight
        out = yield from synthesise_fill(crop, hole, start, max_side=self.max_side, check=check, guide_weight=guide,
                                         guide_fine=GUIDE_LARGE if large else GUIDE_FINE,
                                         near=NEAR_LARGE if large else NEAR, field_start=large)
        if check is not None:
            check()
        if hasattr(self.structure, "structure") and self.log:
            self.log[-1] = (*self.log[-1][:2], True)     # redrawn from patches (what the report says)
        yield 1.0, "copying the fine grain"
        return add_detail(crop, hole, out) if self.grain else out


def synthesise_fill(crop: np.ndarray, hole: np.ndarray, start: np.ndarray, *, max_side: int,
                    check: Check | None = None, near: float = NEAR,
                    **synth) -> Generator[tuple[float, str], None, np.ndarray]:
    """The crop with its hole synthesised on the structure `start` (both (h, w, 3) uint8), the
    structure's broad light laid under it; no grain yet. Crops larger than `max_side` are synthesised
    scaled down (their grain is copied at full size afterwards). `synth`: synthesise()'s settings."""
    h, w = hole.shape
    s = min(1.0, max_side / max(h, w))
    if s < 1:
        size = (max(8, round(w * s)), max(8, round(h * s)))
        small, st = (cv2.resize(a, size, interpolation=cv2.INTER_AREA) for a in (crop, start))
        hs = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    else:
        small, hs, st = crop, hole, start
    out = yield from synthesise(small, hs, st, check=check, near=near / s, **synth)
    # the structure's broad light (above LOW_SIGMA px) under the patches' detail: where copies from
    # two sides of the hole meet, their brightness step becomes the structure's smooth gradient
    shift = cv2.GaussianBlur(st.astype(np.float32) - out.astype(np.float32), (0, 0), LOW_SIGMA * s)
    out = np.where(hs[..., None], np.clip(np.rint(out + shift), 0, 255), small).astype(np.uint8)
    if s < 1:
        out = np.where(hole[..., None], cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC), crop)
    return out
