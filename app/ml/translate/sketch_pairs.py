"""Sketch → face pairs made from the generator's samples: the pix2pix training batches
(app/ml/train/pix2pix.py) and the held-out sets that training and the `sketch` benchmark score on.

Two styles of sketch: "edges" (Canny edge maps, soft grey lines — the first translator's training
data) and "drawings" (a person's line drawing: smoothed mid-grey contours, 2–4 px lines at 256²,
app/ml/translate/drawings.py, seen at the translator's 64²); "mixed" draws each from either.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from latentbrush.ml.tensors import batch_to_tensor, to_images
from latentbrush.ml.translate.drawings import line_drawing
from latentbrush.ml.translate.sketch import edge_sketch

EVAL_SEED = 4_000_037      # the held-out faces (torch.Generator seed); training draws from other seeds
STYLES = ("edges", "drawings", "mixed")
DRAW_SIZE = 256            # drawings are made at this size (the canvas a person draws on), then shrunk


def drawing_at(drawing: np.ndarray, size: int) -> np.ndarray:
    """A drawing (255 paper, 0 line) at the translator's size: area averaging, lines darkened back
    (the editor reads the canvas strokes the same way)."""
    ink = cv2.resize(255 - drawing, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    return (255 - np.clip(ink * 1.6, 0, 255)).astype(np.uint8)


def sketch_of(face: np.ndarray, style: str, rng: np.random.Generator | None) -> np.ndarray:
    """One face (R, R, 3) uint8 → its sketch (R, R) uint8 in the given style (rng None: the
    canonical held-out version, no augmentation)."""
    if style == "mixed":
        style = "drawings" if rng is None or rng.random() < 0.5 else "edges"
    if style == "drawings":
        width = 3 if rng is None else int(rng.integers(2, 5))
        return drawing_at(line_drawing(face, DRAW_SIZE, thickness=width, rng=rng), face.shape[0])
    thick = 1 if rng is None else int(rng.integers(0, 3))
    s = edge_sketch(face, thickness=thick).astype(np.float32)
    if rng is not None and rng.random() < 0.5:       # drop a random patch of lines
        h, w = s.shape
        y0, x0 = int(rng.integers(0, h - 16)), int(rng.integers(0, w - 16))
        s[y0:y0 + int(rng.integers(6, 16)), x0:x0 + int(rng.integers(6, 16))] = 255
    return s.astype(np.uint8)


def faces_and_sketches(G, n: int, gen: torch.Generator, rng: np.random.Generator | None, device,
                       style: str = "edges"):
    """(sketches (n, 1, R, R) in [-1, 1], faces (n, 3, R, R) in [-1, 1]); rng None = no augmentation."""
    if style not in STYLES:
        raise ValueError(f"unknown sketch style {style!r} ({', '.join(STYLES)})")
    with torch.no_grad():
        x = G(torch.randn(n, G.nz, generator=gen).to(device)).clamp(-1, 1)
    sk = [sketch_of(f, style, rng).astype(np.float32) for f in to_images(x)]
    return batch_to_tensor(np.stack(sk), device), x
