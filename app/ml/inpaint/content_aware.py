"""The default fill: two structure fills weighed per image by how well each predicts known pixels,
then the photo's own texture.

- Structure candidates: the project's completion network (learned on faces and photo crops; best on
  faces) and the frequency-selective reconstruction (classical; best on photos, edges and gradients).
  Neither wins everywhere (resources/reports/inpaint-bench.json), and which one wins is a property of
  the image, so it is measured on the image: both fill the hole grown by a ring of *known* pixels
  (at a small probe size), and each candidate's weight is 1 / its mean squared error on that ring. The
  structure is the weighted mean of the candidates' fills of the real hole (a self-validated ensemble;
  on a face the learned fill dominates, on a wall the frequency-selective one).
- A third candidate where the crop can be a face in the generator's frame (square, at most 64 px,
  i.e. probed as it is): the generator prior, fast (encoder + 30 projection steps, no tuning), run
  once on the ring-grown hole, so its ring error and its fill come from one run. It joins the
  weighting only if it predicts the ring at least as well as the best of the other two — on a face
  it usually does, on a wall or a table it does not (a face generator cannot draw them).
- Texture: the weighted mean is smooth; the detail band of the known region is copied in by
  PatchMatch (app/ml/inpaint/texture.py), at the crop's own resolution (up to `max_side`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from latentbrush.ml.inpaint import methods
from latentbrush.ml.inpaint.filler import Check, Filler, FsrFiller, fill_crop
from latentbrush.ml.inpaint.texture import add_detail


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


class ContentAwareFiller(Filler):
    """`learned`: the completion network's filler (None: the frequency-selective fill alone).
    `fsr_budget`: the frequency-selective fill (≈ 0.15 ms per hole pixel) works where the hole has at
    most this many pixels but never below 64 px: crops up to 64² as they are, a 256² crop at 64².
    The probe: crops up to 64² as they are, larger ones at 48 px (≈ 0.1 s)."""

    def __init__(self, learned: Filler | None, *, max_side: int = 512, ring: int = 3,
                 texture: bool = True, fsr_budget: int | None = 1024, prior: Filler | None = None) -> None:
        self.learned, self.texture, self.prior = learned, texture, prior
        self.fsr = FsrFiller(max_side=None, hole_budget=fsr_budget)
        self.max_side, self.ring, self.fsr_budget = max_side, ring, fsr_budget
        # crops grow to the learned fill's working size (free context), not to the texture pass's
        self.grow_side = learned.max_side if learned is not None else 128
        self.device = learned.device if learned is not None else self.device
        self.title = methods.TITLES[methods.CONTENT_AWARE]
        self.last_weights: list[float] = []           # what the last fill did (the runner reports it)

    def on_cpu(self) -> ContentAwareFiller:
        return ContentAwareFiller(self.learned.on_cpu() if self.learned is not None else None,
                                  max_side=self.max_side, ring=self.ring,
                                  texture=self.texture, fsr_budget=self.fsr_budget,
                                  prior=self.prior.on_cpu() if self.prior is not None else None)

    def frame_like(self, crop: np.ndarray) -> bool:
        """Whether the crop can be a face in the generator's frame: square (within 10 %), ≤ 64 px."""
        h, w = crop.shape[:2]
        return self.prior is not None and max(h, w) <= 64 and max(h, w) <= 1.1 * min(h, w)

    def structure(self, crop: np.ndarray, hole: np.ndarray, check: Check | None = None) -> np.ndarray:
        """The candidates' fills weighed by their ring errors (uint8 crop, hole filled)."""
        if self.learned is None:
            self.last_weights = [1.0]
            return fill_crop(self.fsr, crop, hole, check)
        small, grown, band = ring_probe(crop, hole, ring=self.ring)
        # the frequency-selective fills are OpenCV calls that release the GIL: they run beside the net
        with ThreadPoolExecutor(2) as pool:
            fsr_jobs = [pool.submit(fill_crop, self.fsr, crop, hole), pool.submit(fill_crop, self.fsr, small, grown)]
            learned_fill = fill_crop(self.learned, crop, hole, check)
            learned_err = ring_error(fill_crop(self.learned, small, grown, check), small, band)
            fsr_fill, fsr_probe = (j.result() for j in fsr_jobs)
        errs = [learned_err, ring_error(fsr_probe, small, band)]
        fills = [learned_fill.astype(np.float64), fsr_fill.astype(np.float64)]
        if self.frame_like(crop):           # probed as it is: `small` is the crop, `grown` at its scale
            prior_fill = self.prior.fill(crop, grown, check)
            prior_err = ring_error(prior_fill, small, band)
            if prior_err <= min(errs):
                errs.append(prior_err)
                fills.append(prior_fill.astype(np.float64))
        weights = [1.0 / max(e, 1e-3) for e in errs]          # inverse-variance weighting
        self.last_weights = [w / sum(weights) for w in weights]
        mixed = sum(f * w for f, w in zip(fills, self.last_weights, strict=True))
        return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)

    def fill(self, crop, hole, check=None):
        hole = hole.astype(bool)
        smooth = self.structure(crop, hole, check)
        if check is not None:
            check()
        return add_detail(crop, hole, smooth) if self.texture else smooth
