"""Scoring inpainting: the held-out photo crops (resources/eval/inpaint-photos64.png, written by
app/ml/train/completion.py) and PSNR / SSIM / L1 of filled images; used by the completion
training and the inpainting benchmark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from latentbrush.ml import metrics


def read_photo_eval(path: Path, size: int = 64) -> np.ndarray:
    """The crops of a held-out photo grid → (N, size, size, 3) uint8."""
    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB"))
    n = a.shape[0] // size
    return a.reshape(n, size, n, size, 3).transpose(0, 2, 1, 3, 4).reshape(n * n, size, size, 3).copy()


def scores(pred_u8: np.ndarray, true_u8: np.ndarray) -> dict[str, float]:
    """PSNR (dB), SSIM and L1 (fraction of 255) of uint8 (N, H, W, 3) images."""
    p = torch.from_numpy(pred_u8).permute(0, 3, 1, 2)
    t = torch.from_numpy(true_u8).permute(0, 3, 1, 2)
    r = metrics.report(p, t, data_range=metrics.BYTE)
    return {"psnr": r["psnr"], "ssim": r["ssim"], "l1": r["l1"]}
