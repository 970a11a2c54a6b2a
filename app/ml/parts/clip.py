"""The clipped area of a part edit and the edit carried onto the photo there (runners.py)."""

from __future__ import annotations

import numpy as np

from latentbrush.core.latent_state import LatentState
from latentbrush.ml.inpaint.blend import composite
from latentbrush.ml.latent import applyback
from latentbrush.ml.latent.flowedit import apply_moved

CLIP_GROW = 0.025      # the clipped area: painted labels grown by this fraction of the region side
CLIP_FEATHER = 0.015   # … and feathered by this fraction
BLENDS = ("feather", "poisson")


def clip_weight(painted: np.ndarray, side: int) -> np.ndarray:
    """Painted pixels of the region crop (h, w) bool → weight (h, w): the clipped area."""
    return applyback.region_weight(painted.astype(np.uint8) * 255, grow=CLIP_GROW * side,
                                   feather=CLIP_FEATHER * side)


def clipped_composite(state: LatentState, render_new: np.ndarray, weight: np.ndarray, blend: str,
                      motion: np.ndarray | None = None) -> np.ndarray:
    """The edit carried onto the photo crop only where `weight` > 0. `motion` (a photo's feature,
    `moves_pixels`): the generator's change of shape moves the photo's own pixels (flowedit.py, as the
    smile slider does); adding the change painted the 64-px generator's idea of a mouth over the
    person's — a dark, grey-green smear over lips and cheeks (4 held-out portraits, "grow the mouth":
    the re-segmenting check 51 → 40 %, it reads darkness as mouth; the tone in the clipped area
    −5.1 → −0.7 levels; see README). `motion` is then the weight of where pixels may move: the paint
    itself, grown and feathered, fading at the region's border — not the parts the edit redraws near
    it (there the generator's change of the whole jaw widened the cheeks into the background and cut
    the collar at the region's edge, a helper found). Else added (feather: the weight is the blend;
    poisson: seamless cloning into the grown area)."""
    if blend not in BLENDS:
        raise ValueError(f"unknown blend {blend!r}; use {' or '.join(BLENDS)}")
    if motion is not None:
        return apply_moved(state.reference, state.base_render, render_new, warp=state.warp, limit=motion)
    # the painted area is where the person asked for a change: the edit applies there in full
    # (not only where it moved pixels a lot, as for scribbles), faded out over the grown margin
    if blend == "feather":
        return applyback.apply_back(state.reference, state.base_render, render_new, limit=weight, taper=0.0,
                                    gated=False, warp=state.warp)
    full = applyback.apply_back(state.reference, state.base_render, render_new, taper=0.0, gated=False,
                                warp=state.warp)
    alpha = (weight > 1.0 / 512).astype(np.uint8) * 255
    return composite(full, np.asarray(state.reference), alpha, "poisson")
