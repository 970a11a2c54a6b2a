"""The default fill: structure fills weighed, in each part of the hole, by how well each predicts
the known pixels near it, then the photo's own texture.

- Since stop 40 the structure of a crop larger than 64 px (every fill of a real photo: crops grow to
  128 px) is **coherence transport** alone (app/ml/inpaint/coherence.py, Bornemann & März 2007;
  since stop 41 softened deep in the hole where no edge leads, the texture matched on the sharp fill):
  the known colours carried into the hole along the edges that run into it. Paired on the same
  crops and masks, through the editor's path (an experiment script before the bench run; gain
  inside the hole over the better of Telea / Navier–Stokes, Poisson seams), against stop 39's fill
  (the completion network and the frequency-selective fill weighed at a 48-px probe, patches
  synthesised at 64 / 128 px): the benchmark's held-out 256² crops blobs +1.02 → +1.88 dB, strokes
  +0.29 → +1.35 dB; crops of the training photos (not the benchmark's) +0.52 → +0.97, −0.24 → +0.86;
  of the real portraits' frames +0.14 → +0.87, +0.50 → +0.90. Weighing it in with the other two at
  the probe instead: +1.78 / +0.98, +1.19 / +0.70, +0.15 / +0.83 (the probe, at 48 px, cannot see
  what makes it better at full size) and 3–5× slower. On it the patch synthesis (below) lost on 4 of
  these 6 sets (−0.13 to −0.62 dB), gained +0.08 / +0.12 dB on the portraits' frames, and lost
  −1.2 / −1.8 dB on the training photos' 64² rectangles / blobs; `latentbrush bench inpaint_scales`
  finds it a wash on 256² blobs: `synthesis` is off.
  Where the hole lies on a face's features (the face check below), the learned fill and the
  frequency-selective one are weighed as before (coherence transport alone: the real portraits' eyes
  +0.81 → +0.50 dB, mouths +0.64 → +0.13 dB).
- Crops up to 64 px (probed as they are): the completion network (learned on faces and photo crops;
  best on faces), the frequency-selective reconstruction (classical; best on photos, edges and
  gradients) and coherence transport. None wins everywhere (resources/reports/inpaint-bench.json),
  and which one wins is a property of
  the image, so it is measured on the image: each fills the hole grown by a ring of *known* pixels
  (at a small probe size), and each candidate's weight at a hole pixel falls with its squared error
  on the nearby ring (below). The structure is the weighted mean of the candidates' fills of the
  real hole (a self-validated ensemble; on a face the learned fill dominates, on a wall the
  classical ones). Since stop 49 a fourth: the biharmonic fill (app/ml/inpaint/biharmonic.py; the
  smoothest surface through the ring, which carries its slopes across a brush stroke). Paired, with
  grain and Poisson seams, gain over the better of Telea / Navier–Stokes: the bench's held-out 64²
  photo crops rectangles / strokes / blobs +1.39 / +0.68 / +1.15 → +1.42 / +0.95 / +1.07 dB (strokes
  +0.27 ± 0.07), 32 crops of the real portraits' frames (another mask stream than `inpaint_wide`'s)
  +0.12 / +0.13 / +0.16 → +0.77 / +0.64 / +0.66 dB; the 64² generator faces −0.06 / −0.06 / +0.01
  (noise). On 256² crops, weighed with coherence transport by a full-size ring (structure alone), it
  lost 1.24 / 0.21 dB on the held-out blobs / strokes and 0.30 on the portraits' blobs, gained 0.30 on
  their strokes: crops over 64 px do without it.
- The generator prior where the crop can be a face in the generator's frame (square, at most 64 px,
  i.e. probed as it is): fast (encoder + 30 projection steps, no tuning), run once on the real hole.
  Its render is fitted to the known pixels, so its error on the ring is no fair prediction score, but
  it says whether the generator can draw this crop at all. Where that fit error is at most
  `PRIOR_GATE` × the other candidates' (unbiased) ring error — or `CLOSE_GATE` × where the fit is
  close in absolute terms (an eye masked on a face: the others predict the brow and cheek around it
  fairly well but erase the eye; fit 102, ratio 0.41) — the crop is a face the generator draws and
  the prior's fill is the structure alone (mixing it with the weaker fills cost 1–3 dB on the
  bench's faces); elsewhere it is left out. On the bench's 64² sets, where the gate was chosen, the
  fit ratio is 0.04–0.8 on generator faces (median 0.2–0.4) and ≥ 0.44 on photo crops (median 2–3;
  ≥ 0.85 where the fit is within `CLOSE_FIT`);
  on 8 other faces (tests/unit/test_content_aware.py) the fill gains +4.1 / +3.2 dB (rectangles /
  strokes) over the better classical fill.
- The others are weighed by 1 / ring error² (sharper than inverse variance: their errors are
  correlated, and the better one should dominate), and the error is local: each candidate's
  squared error on the ring is spread into the hole by a Gaussian (σ = the probe's side / 8, e.g.
  8 px on a 64² crop) and normalised by the ring's own spread, so a hole that runs from a wall onto
  a table takes the candidate that predicts the wall near the wall and the one that predicts the
  table near the table. On the bench's 64² held-out photo crops (a whole-crop experiment outside
  the bench, mean gain over the better of Telea / Navier–Stokes, with grain): rectangles +0.80 →
  +0.82, strokes +0.35 → +0.54, blobs +1.15 → +1.16 dB. Tried: σ 2 / 4 / 16 px (less or the
  same), leaning towards the whole ring's error where little ring is near (strokes +0.48), Telea
  and Navier–Stokes as further locally weighed candidates (−0.1 to −0.15 dB), 1 / error⁴ (±0.03 dB).
  Through the editor's path (`latentbrush bench inpaint_quality inpaint_gate inpaint_wide`) it moves
  the photo sets by −0.08 to +0.17 dB, ≈ 0 on average (README): kept for the two-surface case.
- (Where the mix runs on a crop larger than 64 px: a face's features, or `coherence` off.)
  Thin holes (brush strokes: `hole_depth` ≤ `THIN_DEPTH`) that the frequency-selective fill would
  fill at under half the crop's size (a large hole: its cost grows with the hole's pixels): strokes
  19–38 px wide on a 256² crop, filled at about a third of the size, lost 2.8 dB against the better
  classical fill on the bench's 256² stroke crops, which the 48-px probe cannot see; Telea at the
  crop's own size stands in for it (stroke crops −1.26 → −0.18 dB, blobs +1.01 → +0.88 dB; faster).
  Navier–Stokes in its place (stop 39, paired on the `inpaint_scales` crops) was a wash: strokes
  +0.01 to +0.36 dB, thin blobs −0.07 to 0 dB (one bench crop −1.5 dB); Navier–Stokes as the whole
  structure there −0.02 to −0.15 dB.
  Small holes, which the frequency-selective fill handles at (nearly) full size, keep it.
- Synthesis (off since stop 40, `synthesis`; stops 37–39): an object-sized hole (median depth over a
  patch radius at the first of `SYNTH_SIDES`, 64 / 128 px) redrawn from the photo's own 7 × 7 patches on
  the structure (app/ml/inpaint/exemplar.py, `SYNTH_EM` coarsest rounds), the structure's broad light
  laid under it. On coherence transport it lost on 4 of 6 sets of 256² crops (README, issue #19, has
  the paired comparisons that chose its sides and rounds).
- Faces in photos (stop 39): where most of the hole lies on a face's features (near an eye, the nose
  tip or the mouth of a face the detector finds in a window `face_gate.FACE_WINDOW` × the area's side around
  it), the hole is not synthesised: patches from elsewhere put skin, brow or hair into an eye or a
  mouth. The real portraits' faces with an eye or the mouth masked (7 photos, `latentbrush bench
  inpaint_wide`, same masks, an experiment before the bench run): eye +0.42 → +0.86 dB, mouth +0.44 →
  +0.51 dB over the better classical fill. A first rule, "most of the hole inside a face's box (+10 %)",
  also gated 5 of the 112 crops of the portraits' frames, among them a blob mostly on the flag beside
  Grace Hopper's face (−1.07 dB there); the features rule gates one (a rectangle over an eye and the
  cheek, −0.37 dB) and none of the held-out photo crops. The bench run (README) gave eye +0.37 →
  +0.81 dB, mouth +0.60 → +0.65 dB (through the editor's path, its default blend). The detector
  (3–40 ms per area) runs where the hole would be synthesised and, since stop 40, on every area
  larger than 64 px (there it chooses the learned mix over coherence transport); without the
  landmark detector's weights (the Haar fallback has no landmarks) there is no check.
- An eye masked on a face the detector finds, frontal enough: the person's other eye, mirrored and
  matched to the light around the hole (faces.py, stop 50), before any of the above; since stop 51 also a
  hole on one side of the face's features off the eyes (half the mouth, a nostril's side): the face's
  other side, mirrored across its middle.
- Texture: the weighted mean is smooth; the detail band of the known region is copied in by
  PatchMatch (app/ml/inpaint/texture.py), at the crop's own resolution (up to `max_side`); the
  patches are matched on the candidate with the best ring error where the crop is filled at its own
  size (it keeps more of the structure's edges than the mean, so textured sources are found for
  textured places: on the 64² photo crops 53 → 63 % texture kept, no loss in PSNR).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import drain
from latentbrush.ml.inpaint import methods
from latentbrush.ml.inpaint.biharmonic import fade_to_membrane
from latentbrush.ml.inpaint.coherence import CoherenceFiller
from latentbrush.ml.inpaint.exemplar import GUIDE_LARGE, NEAR_LARGE, SYNTH_DEPTH, synthesise_fill
from latentbrush.ml.inpaint.face_gate import holding_face, mouth_under
from latentbrush.ml.inpaint.faces import mirror_of
from latentbrush.ml.inpaint.filler import BiharmonicFiller, Check, ClassicalFiller, Filler, FsrFiller, fill_crop
from latentbrush.ml.inpaint.masks import hole_depth
from latentbrush.ml.inpaint.quilt import quilt_verdict
from latentbrush.ml.inpaint.texture import add_detail

PRIOR_GATE = 0.35     # the prior's fit / the best other ring error below which the crop is a face
CLOSE_FIT = 150.0     # … or, where the prior reproduces the ring this closely (MSE, ≈ 12 levels RMS),
CLOSE_GATE = 0.6      # … below this
ONE_WAY_SIDE = 512    # a deep hole in bricks or planks is redrawn from patches this large at most (quilt.REGULAR)
WEIGHT_POWER = 2.0   # candidates' weights: 1 / ring error ** this
THIN_DEPTH = 12.0    # a hole whose pixels lie a median ≤ this many px from its edge is thin (brush strokes)
SYNTH_SIDES = (64, 128)   # the texture synthesis works at the first of these sides (at most: smaller crops
#                      as they are) where the hole's median pixel is more than SYNTH_DEPTH (a patch radius) px deep
SYNTH_EM = 6         # … with this many EM rounds at its coarsest scale (2 fewer per finer one, ≥ 3)


def ring_probe(crop: np.ndarray, hole: np.ndarray, *, side: int = 48, ring: int = 3
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The probe: (the crop, as it is up to 64 px, else scaled to `side` px; its hole grown by `ring`
    px; the grown part = the known pixels the candidates are scored on). Tried: probing thin holes
    (brush strokes) at a larger scale so they stay strokes — no gain on the bench's 256² stroke crops."""
    h, w = hole.shape
    s = 1.0 if max(h, w) <= 64 else side / max(h, w)
    size = (max(8, round(w * s)), max(8, round(h * s)))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA) if s < 1 else crop
    hs = (cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0) if s < 1 else hole
    grown = cv2.dilate(hs.astype(np.uint8), np.ones((2 * ring + 1, 2 * ring + 1), np.uint8)) > 0
    return small, grown, grown & ~hs


def ring_error(filled: np.ndarray, small: np.ndarray, band: np.ndarray) -> float:
    """Mean squared error (0–255 scale) of a fill of the grown hole on the ring of known pixels."""
    if not band.any():
        return 1.0
    return float(np.mean((filled[band].astype(np.float64) - small[band]) ** 2))


def local_shares(probe_fills: list[np.ndarray], small: np.ndarray, band: np.ndarray,
                 shape: tuple[int, int], *, sigma: float | None = None) -> np.ndarray:
    """(K, h, w) float weights summing to 1 at each pixel of a crop of `shape`: each candidate's
    squared error on the ring (its fill of the grown hole, at the probe's size) spread by a Gaussian
    of `sigma` probe px (default: the probe's side / 8) and normalised by the ring's own spread (a
    normalised convolution), so a hole pixel sees the error of the ring near it, the middle of a
    large hole a wide stretch of it. Weight = 1 / error ** `WEIGHT_POWER`."""
    sigma = sigma if sigma is not None else max(small.shape[:2]) / 8
    bf = band.astype(np.float64)
    den = cv2.GaussianBlur(bf, (0, 0), sigma)
    eps = 1e-6 * max(float(den.max()), 1e-12)     # beyond the kernel's reach: the whole ring's error
    weights = []
    for f in probe_fills:
        err = ((f.astype(np.float64) - small) ** 2).mean(axis=-1) * bf
        whole = float(err[band].mean()) if band.any() else 1.0
        local = (cv2.GaussianBlur(err, (0, 0), sigma) + eps * whole) / (den + eps)
        weights.append(1.0 / np.maximum(local, 1e-3) ** WEIGHT_POWER)
    w = np.stack(weights)
    w /= w.sum(axis=0, keepdims=True)
    if w.shape[1:] != tuple(shape):
        w = np.stack([cv2.resize(x, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR) for x in w])
    return w


class ContentAwareFiller(Filler):
    """`learned`: the completion network's filler (None: coherence transport and the
    frequency-selective fill; `coherence` False as well: the frequency-selective fill alone).
    `fsr_budget`: the frequency-selective fill (≈ 0.15 ms per hole pixel) works where the hole has at
    most this many pixels but never below 64 px: crops up to 64² as they are, a 256² crop at 64².
    The probe: crops up to 64² as they are, larger ones (where the mix runs on them) at 48 px (≈ 0.1 s).
    Larger crops are filled by coherence transport alone unless a face's features hold the hole."""

    def __init__(self, learned: Filler | None, *, max_side: int = 512, ring: int = 3,
                 texture: bool = True, fsr_budget: int | None = 1024, prior: Filler | None = None,
                 synthesis: bool = False, synth_sides: tuple[int, ...] = SYNTH_SIDES,
                 faces: Callable[[np.ndarray], list[np.ndarray]] | None = None, coherence: bool = True,
                 biharmonic: bool = True) -> None:
        self.learned, self.texture, self.prior, self.synthesis = learned, texture, prior, synthesis
        self.coherence = CoherenceFiller() if coherence else None
        # weighed in on crops up to the probe's size (the crop is its own probe; module docstring)
        self.biharmonic = BiharmonicFiller() if biharmonic else None
        self.synth_sides, self.faces = synth_sides, faces
        # (the whole photo, the area's box, its hole, every hole in the photo) for the next fill's face check
        self.area: tuple[np.ndarray, BBox, np.ndarray, np.ndarray | None] | None = None
        self.area_face: tuple | None = None     # (the area, its face, mirror_of's answer) by fill_whole, for fill
        self.synthesised = False          # whether the last fill's hole was synthesised from patches
        # whether the last fill allowed texture mode (quilt.py; scale_back reads it): False, True or "any way" (its
        # one-way texture was quilted all the same)
        self.quilts_texture: bool | str = False
        self.fsr = FsrFiller(max_side=None, hole_budget=fsr_budget)
        self.telea = ClassicalFiller(methods.TELEA)
        self.max_side, self.ring, self.fsr_budget = max_side, ring, fsr_budget
        # crops grow to the learned fill's working size (free context), not to the texture pass's
        self.grow_side = learned.max_side if learned is not None else 128
        self.device = learned.device if learned is not None else self.device
        self.title = methods.TITLES[methods.CONTENT_AWARE]
        self.fine_grain = texture       # a crop filled smaller gets the photo's finest grain back (fill_crop)
        self.last_weights: list[float] = []           # what the last fill did
        # every fill's shares (learned, frequency-selective, prior, Telea, coherence transport; each its
        # mean weight over the hole), hole size and, where it was synthesised, True, where a face's
        # features kept it from being synthesised, "face" (the runner reports them)
        self.log: list[tuple] = []

    def on_cpu(self) -> ContentAwareFiller:
        return ContentAwareFiller(self.learned.on_cpu() if self.learned is not None else None,
                                  max_side=self.max_side, ring=self.ring,
                                  texture=self.texture, fsr_budget=self.fsr_budget,
                                  prior=self.prior.on_cpu() if self.prior is not None else None,
                                  synthesis=self.synthesis, synth_sides=self.synth_sides, faces=self.faces,
                                  coherence=self.coherence is not None, biharmonic=self.biharmonic is not None)

    def prepare_area(self, image, box, hole, mask=None):
        self.area = (image, box, hole, mask)     # for the face check (on_features), where its answer matters

    def _report(self, weights: list[float], hole: np.ndarray) -> None:
        self.last_weights = weights
        self.log.append((weights, int(hole.sum())))

    def frame_like(self, crop: np.ndarray) -> bool:
        """Whether the crop can be a face in the generator's frame: square (within 10 %), ≤ 64 px."""
        h, w = crop.shape[:2]
        return self.prior is not None and max(h, w) <= 64 and max(h, w) <= 1.1 * min(h, w)

    def structure(self, crop: np.ndarray, hole: np.ndarray, check: Check | None = None, *, face: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(the structure: the candidates' fills weighed by their ring errors, or coherence transport
        softened by depth alone; the texture pass's guide: the best candidate's fill, coherence transport
        as transported, not softened): uint8 crops with the hole filled. `face`: the hole lies on a face's
        features (the learned fill is weighed in at every crop size)."""
        small, grown, band = ring_probe(crop, hole, ring=self.ring)
        # coherence transport needs known pixels to carry in (not where the grown hole covers the probe)
        coherence = self.coherence if not grown.all() else None
        if coherence is not None and small is not crop and not face:
            # larger than the probe: coherence transport alone (module docstring: the mix, probed at
            # 48 px, lost to it on 5 of 6 sets of 256² crops, and costs 3–5× as much)
            soft, sharp = coherence.fill_pair(crop, hole)       # sharp: the texture's guide (coherence.py)
            self._report([0.0, 0.0, 0.0, 0.0, 1.0], hole)
            return soft, sharp
        if grown.all() or self.learned is None and coherence is None:     # (no ring to weigh the candidates on)
            self._report([0.0, 1.0, 0.0, 0.0, 0.0], hole)
            out = fill_crop(self.fsr, crop, hole, check)
            if grown.all():         # (a hole nearly the whole crop: deep inside, the fit has nothing to go on)
                out = fade_to_membrane(out, crop, hole, check=check)
            return out, out
        face_crop = self.frame_like(crop)
        # a thin hole the frequency-selective fill would fill well below the crop's size (brush
        # strokes on a photo): it loses the strokes' structure there; Telea at full size stands in
        thin = self.fsr.scale(hole) < 0.5 and hole_depth(hole) <= THIN_DEPTH
        second = self.telea if thin else self.fsr
        # candidates and where their shares go in the log (learned, frequency-selective, prior, Telea,
        # coherence transport)
        cands = [(c, i) for c, i in ((self.learned, 0), (second, 3 if thin else 1),
                                     (None if face else coherence, 4),
                                     (self.biharmonic if small is crop else None, 5)) if c is not None]
        # the OpenCV fills release the GIL: they run beside the net; the probes first, then the prior's
        # gate, and the others fill the real hole only where the prior is not the structure alone
        with ThreadPoolExecutor(2) as pool:
            second_probe_job = pool.submit(fill_crop, second, small, grown)
            second_job = pool.submit(fill_crop, second, crop, hole)
            probes = [second_probe_job.result() if c is second else fill_crop(c, small, grown, check)
                      for c, _ in cands]
            errs = [ring_error(p, small, band) for p in probes]
            if face_crop:           # probed as it is: `small` is the crop, `band` its ring
                prior_fill = self.prior.fill(crop, hole, check)
                fit = ring_error(prior_fill, small, band)
                if fit <= PRIOR_GATE * min(errs) or (fit <= CLOSE_FIT and fit <= CLOSE_GATE * min(errs)):
                    self._report([0.0, 0.0, 1.0], hole)
                    return prior_fill, prior_fill
            pairs = [coherence.fill_pair(crop, hole) if c is coherence else
                     (second_job.result() if c is second else fill_crop(c, crop, hole, check),) * 2 for c, _ in cands]
        fills, guides = [p[0] for p in pairs], [p[1] for p in pairs]
        shares = local_shares(probes, small, band, hole.shape)
        report = [0.0] * 6
        for w, (_, i) in zip(shares, cands, strict=True):
            report[i] = float(w[hole].mean()) if hole.any() else 1.0 / len(cands)      # over the hole
        self._report(report, hole)
        mixed = np.clip(np.rint(sum(f.astype(np.float64) * w[..., None] for f, w in zip(fills, shares, strict=True))),
                        0, 255).astype(np.uint8)
        # the best candidate guides the texture where it was made at the crop's own resolution (it keeps
        # more of the structure's edges than the mean; on 256² crops, filled at 128 px and scaled up, it
        # found less texture than the mean: 50 vs 69 %)
        return mixed, guides[int(np.argmin(errs))] if small is crop else mixed

    def fill(self, crop, hole, check=None):
        area, self.area = self.area, None   # this fill's alone, even where it is cancelled or fails
        hole = hole.astype(bool)
        # a face's features in a crop larger than the probe: the learned fill is weighed in (it was
        # trained on faces; coherence transport alone lost 0.3–0.5 dB on the real portraits' eyes and
        # mouths) and nothing is synthesised from the photo's other patches
        seen, self.area_face = self.area_face, None
        face = seen[1] if seen is not None and seen[0] is area else self.face_on(area, hole, synthesis=self.synthesis)
        on_face = face is not None
        # an eye or a side of the features the mirror (fill_whole) could not fill (both eyes masked, the face
        # turned, the hole across the middle), or a whole mouth (nothing to copy): said so (report.py)
        lost = None
        if on_face and seen is not None and seen[0] is area:
            lost = (("eye:" if seen[2][1] == "eye" else "half:") + str(seen[2][0]) if seen[2] is not None else
                    "mouth" if mouth_under(area[2], area[1], face) else None)
        self.quilts_texture = False
        smooth, best = self.structure(crop, hole, check, face=on_face)
        if check is not None:
            check()
        if not self.texture:
            return smooth
        prior_alone = self.last_weights == [0.0, 0.0, 1.0]
        side = self.synthesis_side(hole, self.synth_sides) if self.synthesis and not prior_alone else None
        if on_face:     # (said even where nothing would be synthesised: no advice to redraw a face's texture)
            side = None
            self.log[-1] = (*self.log[-1][:2], lost or "face")
        self.synthesised = side is not None
        if side is not None:        # the hole redrawn from the photo's own patches, small, on that structure
            smooth = best = drain(synthesise_fill(crop, hole, smooth, max_side=side, check=check,
                                                   em_coarse=SYNTH_EM))[0]
            self.log[-1] = (*self.log[-1][:2], True)
        out = add_detail(crop, hole, smooth, guide=best)
        if on_face or prior_alone or side is not None:
            return out
        # a deep hole in a texture (a lawn, gravel, a weave): the texture quilted from around it, all but the
        # structure's broad light (quilt.py's texture mode; the transported streaks had drawn a starburst)
        self.quilts_texture = True
        quilted, verdict = quilt_verdict(crop, hole, out, 1.0, texture=True, check=check)
        if quilted is not None:
            self.log[-1] = (*self.log[-1][:2], "quilted")        # (what the report says: report.quilted)
            if verdict == "quilted along":      # (edges one way, random along them: scale_back quilts them too)
                self.quilts_texture = "any way"
            return quilted
        if verdict == "regular":
            # a regular texture (bricks, boards): blocks would break its courses; redrawn from the photo's patches
            # as the best-quality fill does (the transported streaks drew a starburst over bricks)
            out = add_detail(crop, hole, drain(synthesise_fill(
                crop, hole, smooth, max_side=ONE_WAY_SIDE, check=check, guide_weight=GUIDE_LARGE,
                guide_fine=GUIDE_LARGE, near=NEAR_LARGE, field_start=True))[0])
            self.log[-1] = (*self.log[-1][:2], True)
        return out

    def on_features(self, area: tuple | None, hole: np.ndarray, *, synthesis: bool) -> bool:
        """Whether a face's features hold the hole of `area` (prepare_area's; `face_on`)."""
        return self.face_on(area, hole, synthesis=synthesis) is not None

    def face_on(self, area: tuple | None, hole: np.ndarray, *, synthesis: bool) -> np.ndarray | None:
        """The landmarks of the face whose features hold the hole of `area` (prepare_area's), checked only
        where the answer matters: the structure of a crop larger than the probe, or (`synthesis`) whether
        to synthesise it; else None."""
        if area is None or self.faces is None or not ((self.coherence is not None and max(hole.shape) > 64)
                                                     or synthesis):
            return None
        return holding_face(self.faces, *area[:3])

    def fill_whole(self, crop: np.ndarray, hole: np.ndarray, area: tuple | None = None) -> np.ndarray | None:
        """The area's crop (its box, at the photo's own size: `fill_crop` would scale a large one down and
        up again, and a helper saw the mirrored eye at half its sharpness) with the hole filled from the
        face's other side (`faces.mirrored`: an eye from the other eye, half the mouth from the other half;
        beyond the hole the reflection too, for the blend's seam correction), or None (then `fill` as usual;
        the face found is kept for it). `area`: prepare_area's (default this filler's own)."""
        area = self.area if area is None else area
        if area is None or area[3] is None or crop.shape[:2] != area[2].shape:
            return None
        face = self.face_on(area, hole.astype(bool), synthesis=self.synthesis)     # (as fill would: it reuses it)
        m = None if face is None else mirror_of(area[0], area[3].astype(bool), area[1], face)
        self.area_face = (area, face, m)        # (m: what fill says when it was not mirrored)
        if m is None or not isinstance(m[0], np.ndarray):
            return None
        self.area = self.area_face = None
        self._report([0.0] * 6 + ([1.0] if m[1] == "eye" else [0.0, 1.0]), hole)
        self.log[-1] = (*self.log[-1][:2], "bridged" if m[1].endswith("bridged") else "face")
        return m[0]

    @staticmethod
    def synthesis_side(hole: np.ndarray, sides: tuple[int, ...] = SYNTH_SIDES) -> int | None:
        """The side the synthesis works at (at most; smaller crops as they are): the first of
        `sides` where the hole lies a median of more than a patch radius (`SYNTH_DEPTH`) from the
        known pixels; None where it is thinner at all of them: where most patches over it are known
        (brush strokes) the structure already continues them, and the synthesis lost to it (module
        docstring)."""
        depth = hole_depth(hole) if hole.any() else 0.0
        return next((s for s in sides if depth * min(1.0, s / max(hole.shape)) > SYNTH_DEPTH), None)
