"""How a part edit looks to a person: the composited result image is projected again into the
(untuned) generator and segmented there, and the painted pixels whose part actually changed are
counted. The edit's own figure (the part map of the latent it optimised) shares the optimiser's
gradient path and can report success the image does not show; this one starts from pixels.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from latentbrush.core.jobs import drain
from latentbrush.ml.latent.projection import project
from latentbrush.ml.nets.parts import PartSegmenter
from latentbrush.ml.parts.edit import label_map
from latentbrush.ml.tensors import to_tensor

STEPS = 60            # projection steps (encoder start + optimisation; deterministic, no time budget)


def resegment(G: nn.Module, E: nn.Module | None, seg: PartSegmenter, frame: np.ndarray,
              device: torch.device | str = "cpu", steps: int = STEPS) -> np.ndarray:
    """The part map (R, R) int64 of an image in the generator's frame (R, R, 3), 0…255, read by
    projecting it (encoder + optimisation) and segmenting the projection."""
    t = to_tensor(np.ascontiguousarray(frame, np.float32), device)
    mode = "hybrid" if E is not None else "optimize"
    res, _ = drain(project(G, t, encoder=E, mode=mode, steps=steps, time_budget=None, seed=0))
    return label_map(seg, G, res.z, torch.device(device))


def carried(labels: np.ndarray, target: np.ndarray, before: np.ndarray) -> float:
    """The share of the changed pixels (painted with a label other than the one they had) that
    carry the painted label in `labels`; NaN when nothing was changed."""
    changed = (target >= 0) & (target != before)
    if not changed.any():
        return float("nan")
    return float(np.mean(labels[changed] == target[changed]))
