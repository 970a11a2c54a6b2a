"""What the editor knows about the latent edit of one region of the photo (Qt- and torch-free).

A LatentState is immutable; every latent edit (projection, scribble result, candidate pick,
commit) produces a new one, and undo puts the old one back together with the pixels.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np

from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import frozen_array


def digest(pixels: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(pixels).tobytes(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Tuning:
    """The generator tuned to one photo (pivotal tuning): parameter name → weight delta (float16),
    added to the generator named by the state. Immutable; `key` identifies it (worker caches)."""
    delta: Mapping[str, np.ndarray]
    psnr_before: float = float("nan")   # fit of the untuned generator at the pivot (dB)
    psnr: float = float("nan")          # fit after tuning (dB)
    key: str = ""

    def __post_init__(self) -> None:
        frozen = {str(k): frozen_array(np.asarray(v, np.float16)) for k, v in sorted(self.delta.items())}
        object.__setattr__(self, "delta", MappingProxyType(frozen))
        if not self.key:
            h = hashlib.blake2b(digest_size=12)
            for name, v in frozen.items():
                h.update(name.encode())
                h.update(str(v.shape).encode())
                h.update(np.ascontiguousarray(v).tobytes())
            object.__setattr__(self, "key", h.hexdigest())

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in self.delta.values())


@dataclass(frozen=True)
class LatentState:
    region: BBox                  # square crop of the document the generator sees
    generator: str                # manifest id
    z_base: np.ndarray            # (nz,) committed latent: edits are measured from it
    base_render: np.ndarray       # (R, R, 3) float32 0..255, G(z_base)
    reference: np.ndarray         # (h, w, 3) uint8 photo crop that apply-back adds deltas to
    z: np.ndarray                 # (nz,) latent currently shown
    render: np.ndarray | None = None   # (R, R, 3) float32 G(z); None means z == z_base
    shown: str = ""               # digest of the region's pixels this state expects on the canvas
    fit_psnr: float | None = None  # projection quality of z_base against the reference (dB)
    candidates: tuple[np.ndarray, ...] = field(default=())   # latents of the last scribble run, best first
    warp: np.ndarray | None = None   # (2, 3) region-crop pixels → generator frame [0, 1]²; None: the crop stretched
    tuning: Tuning | None = None     # the generator tuned to this photo (None: the generator as shipped)
    made_by: str = ""                # the kind of edit that made z (a job kind, e.g. "scribble"; "" not known)
    # where the attribute sliders stood when they moved z from z_base ((name, value), …; () for any other edit):
    # the panel shows them after an undo, a commit (all at 0) or a project reopened (stop 53: after a commit the
    # sliders still read the committed smile, and the next slider moved put the smile on a second time)
    sliders: tuple[tuple[str, float], ...] = ()
    # a slider edit carried past the region (app/ml/latent/carry.py): the box it covers, that box's pixels before
    # the edit (a slider moved again starts from them) and the digest of what the carry last put there
    around: BBox | None = None
    around_ref: np.ndarray | None = None
    around_shown: str = ""

    def __post_init__(self) -> None:
        for name in ("z_base", "base_render", "reference", "z"):
            object.__setattr__(self, name, frozen_array(getattr(self, name)))
        if self.render is not None:
            object.__setattr__(self, "render", frozen_array(self.render))
        if (self.around is None) != (self.around_ref is None):
            raise ValueError("a carried edit needs both its box and the box's pixels")
        if self.around_ref is not None:
            a = self.around
            if not (a.x0 <= self.region.x0 and a.y0 <= self.region.y0 and a.x1 >= self.region.x1
                    and a.y1 >= self.region.y1) or self.around_ref.shape != (a.height, a.width, 3):
                raise ValueError(f"a carried edit's box {tuple(a)} must hold the region and match its pixels")
            object.__setattr__(self, "around_ref", frozen_array(self.around_ref))
        object.__setattr__(self, "candidates", tuple(frozen_array(c) for c in self.candidates))
        if self.warp is not None:
            w = np.asarray(self.warp, np.float64)
            if w.shape != (2, 3) or not np.isfinite(w).all():
                raise ValueError(f"a region warp is a finite 2×3 matrix, got {w.shape}")
            object.__setattr__(self, "warp", frozen_array(w))
        if not self.shown:
            object.__setattr__(self, "shown", digest(self.reference))
        object.__setattr__(self, "sliders", tuple((str(k), float(v)) for k, v in self.sliders))

    @property
    def warp_matrix(self) -> np.ndarray:
        """(2, 3) region-crop pixels → generator frame in [0, 1]²: the alignment warp, or the
        crop stretched onto the frame when the region was not aligned."""
        if self.warp is not None:
            return self.warp
        return np.array([[1.0 / self.region.width, 0, 0], [0, 1.0 / self.region.height, 0]], np.float64)

    @property
    def edited(self) -> bool:
        return not np.array_equal(self.z, self.z_base)

    def matches(self, region_pixels: np.ndarray) -> bool:
        """Whether the canvas still shows what this state last put there."""
        return digest(region_pixels) == self.shown

    @property
    def current_render(self) -> np.ndarray:
        return self.base_render if self.render is None else self.render

    def showing(self, z: np.ndarray, pixels: np.ndarray, render: np.ndarray,
                candidates: tuple[np.ndarray, ...] | None = None) -> LatentState:
        return replace(self, z=np.asarray(z, np.float32), render=render, shown=digest(pixels),
                       candidates=self.candidates if candidates is None else candidates)

    def committed(self, region_pixels: np.ndarray) -> LatentState:
        """The current result becomes the new starting point: later edits stack on it."""
        return replace(self, z_base=self.z, base_render=self.current_render, reference=region_pixels,
                       render=None, shown=digest(region_pixels), candidates=(), made_by="", sliders=(),
                       around=None, around_ref=None, around_shown="")

    def reverted(self) -> LatentState:
        """Back to the committed latent (the region shows the reference again, and a carried edit's box
        its own pixels: `restored`)."""
        back = replace(self, z=self.z_base, render=None, shown=digest(self.reference), candidates=(), sliders=())
        return back if self.around is None else replace(back, around_shown=self.ring_digest(self.restored()[1]))

    def ring_digest(self, box_pixels: np.ndarray, box: BBox | None = None) -> str:
        """The digest of a carried edit's box pixels outside the region (`around_shown` holds the one it wrote): an
        edit of the region alone (a slider limited to the mask) leaves it as it is, a fill past the region does not."""
        ring = np.array(box_pixels)
        r, a = self.region, box or self.around or self.region
        ring[r.y0 - a.y0:r.y1 - a.y0, r.x0 - a.x0:r.x1 - a.x0] = 0
        return digest(ring)

    def matches_around(self, box_pixels: np.ndarray) -> bool:
        """Whether the canvas still shows around the region what this state's carried edit put there (True when
        nothing was carried)."""
        return self.around is None or self.ring_digest(box_pixels) == self.around_shown

    def restored(self) -> tuple[BBox, np.ndarray]:
        """What the canvas shows at the committed latent: (box, pixels) — the region's reference, and where a
        slider edit was carried past the region, the carried box's own pixels around it."""
        if self.around is None or self.around_ref is None:
            return self.region, np.array(self.reference)
        out = np.array(self.around_ref)
        r, a = self.region, self.around
        out[r.y0 - a.y0:r.y1 - a.y0, r.x0 - a.x0:r.x1 - a.x0] = self.reference
        return a, out
