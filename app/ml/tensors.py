"""numpy uint8 images ↔ torch tensors in [-1, 1], and resizing with OpenCV."""

from __future__ import annotations

import cv2
import numpy as np
import torch


def to_tensor(img: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """(H, W, 3) uint8 → (1, 3, H, W) float32 in [-1, 1]."""
    arr = img if img.flags.writeable and img.flags.c_contiguous else np.array(img, order="C")
    t = torch.from_numpy(arr).to(device)
    return t.permute(2, 0, 1)[None].float().div_(127.5).sub_(1.0)


def to_images(t: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) in [-1, 1] → (N, H, W, 3) uint8."""
    t = t.detach().float().clamp(-1, 1).add(1).mul(127.5).round_()
    return t.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """High-quality resize: area averaging down, Lanczos up."""
    if img.shape[1] == width and img.shape[0] == height:
        return img.copy()
    down = width * height < img.shape[0] * img.shape[1]
    interp = cv2.INTER_AREA if down else cv2.INTER_LANCZOS4
    return cv2.resize(img, (width, height), interpolation=interp)
