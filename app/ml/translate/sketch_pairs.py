"""Sketch → face pairs made from the generator's samples: the pix2pix training batches
(app/ml/train/pix2pix.py) and the held-out set that training and the `sketch` benchmark score on."""

from __future__ import annotations

import numpy as np
import torch

from latentbrush.ml.tensors import batch_to_tensor, to_images
from latentbrush.ml.translate.sketch import edge_sketch

EVAL_SEED = 4_000_037      # the held-out faces (torch.Generator seed); training draws from other seeds


def faces_and_sketches(G, n: int, gen: torch.Generator, rng: np.random.Generator | None, device):
    """(sketches (n, 1, R, R) in [-1, 1], faces (n, 3, R, R) in [-1, 1]); rng None = no augmentation."""
    with torch.no_grad():
        x = G(torch.randn(n, G.nz, generator=gen).to(device)).clamp(-1, 1)
    u8 = to_images(x)
    sk = []
    for f in u8:
        thick = 1 if rng is None else int(rng.integers(0, 3))
        s = edge_sketch(f, thickness=thick).astype(np.float32)
        if rng is not None and rng.random() < 0.5:       # drop a random patch of lines
            h, w = s.shape
            y0, x0 = int(rng.integers(0, h - 16)), int(rng.integers(0, w - 16))
            s[y0:y0 + int(rng.integers(6, 16)), x0:x0 + int(rng.integers(6, 16))] = 255
        sk.append(s)
    s = batch_to_tensor(np.stack(sk), device)
    return s, x
