"""How a part edit looks to a person: the composited result image is projected again into the
(untuned) generator and segmented there, and the painted pixels whose part actually changed are
counted. The edit's own figure (the part map of the latent it optimised) shares the optimiser's
gradient path and can report success the image does not show; this one starts from pixels.
The projection can only give back what the generator draws: eyes painted shut come back open. The pixel
part reader (`read_parts`, nets/pixelparts.py) reads the image itself, with no generator between.
"""

from __future__ import annotations

import cv2
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


def part_reader(models, generator_id: str) -> nn.Module | None:
    """The pixel part reader made for `generator_id` (its labels are that generator's part segmenter's), or
    None where models/ has none."""
    specs = [s for s in models.manifest.for_generator("part-reader", generator_id) if models.available(s)]
    return models.get(specs[0].id).net.eval() if specs else None


def read_parts(reader: nn.Module, frame: np.ndarray, device: torch.device | str = "cpu") -> np.ndarray:
    """The part map (R, R) int64 of an image in the generator's frame (any size, 0…255) as the pixel part
    reader (nets/pixelparts.py) reads it, R its resolution: no projection, so what the generator cannot draw
    (eyes painted shut) is read as it looks."""
    R = int(reader.resolution)
    img = np.ascontiguousarray(frame[..., :3], np.float32)
    if img.shape[:2] != (R, R):
        img = cv2.resize(img, (R, R), interpolation=cv2.INTER_AREA)
    t = torch.from_numpy(img).to(device).permute(2, 0, 1)[None] / 127.5 - 1
    return reader.read(t)[0].cpu().numpy().astype(np.int64)


def carried(labels: np.ndarray, target: np.ndarray, before: np.ndarray) -> float:
    """The share of the changed pixels (painted with a label other than the one they had) that
    carry the painted label in `labels`; NaN when nothing was changed."""
    changed = (target >= 0) & (target != before)
    if not changed.any():
        return float("nan")
    return float(np.mean(labels[changed] == target[changed]))
