"""The one image ↔ tensor convention (see DESIGN.md): uint8 HWC 0–255 at the edges, float NCHW
in [-1, 1] ("signed") inside the networks; and resizing with OpenCV.

    to_tensor(img)          (H, W, C) uint8 → (1, C, H, W) float32 in [-1, 1]
    batch_to_tensor(imgs)   (N, H, W, C) or (N, H, W) uint8 → (N, C, H, W) in [-1, 1]
    to_images(t)            (N, C, H, W) in [-1, 1] → (N, H, W, C) uint8 (rounded)
    to_renders(t)           (N, C, H, W) in [-1, 1] → (N, H, W, C) float32 0..255 (not rounded)
    signed_from_bytes(x)    any tensor of 0..255 values → the same shape in [-1, 1]
    bytes_from_signed(t)    any tensor in [-1, 1] → the same shape as float 0..255 (clamped)
    to_unit_tensor(img)     (H, W, C) uint8 → (1, C, H, W) float32 in [0, 1] (networks that take [0, 1], LaMa)
    unit_to_images(t)       (N, C, H, W) in [0, 1] → (N, H, W, C) uint8 (clamped, rounded)

Metrics take the range explicitly: ``latentbrush.ml.metrics.SIGNED`` for these tensors.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

_HALF = 255.0 / 2          # 0..255 ↔ [-1, 1]: x / _HALF - 1 and (t + 1) · _HALF


def signed_from_bytes(x: torch.Tensor) -> torch.Tensor:
    """Values 0..255 (uint8 or float) → float32 in [-1, 1], same shape."""
    return x.float().div(_HALF).sub(1.0)


def bytes_from_signed(t: torch.Tensor) -> torch.Tensor:
    """Values in [-1, 1] → float 0..255 (clamped first, not rounded), same shape."""
    return t.float().clamp(-1, 1).add(1.0).mul(_HALF)


def _contiguous(img: np.ndarray) -> np.ndarray:
    return img if img.flags.writeable and img.flags.c_contiguous else np.array(img, order="C")


def to_tensor(img: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """(H, W, C) uint8 → (1, C, H, W) float32 in [-1, 1]; a 2-D (H, W) image gives (1, 1, H, W)."""
    t = torch.from_numpy(_contiguous(img)).to(device)
    t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
    return signed_from_bytes(t)


def batch_to_tensor(imgs: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """(N, H, W, C) uint8 (or float 0..255) → (N, C, H, W) float32 in [-1, 1]; (N, H, W) gives
    (N, 1, H, W)."""
    t = torch.from_numpy(_contiguous(imgs))
    t = t[:, None] if t.ndim == 3 else t.permute(0, 3, 1, 2)
    return signed_from_bytes(t).to(device)


def to_images(t: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] → (N, H, W, C) uint8."""
    return bytes_from_signed(t.detach()).round_().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def to_renders(t: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] → (N, H, W, C) float32 0..255, unrounded (renders kept in float)."""
    return bytes_from_signed(t.detach()).permute(0, 2, 3, 1).cpu().numpy().astype(np.float32)


def to_unit_tensor(img: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """(H, W, C) uint8 → (1, C, H, W) float32 in [0, 1]."""
    t = torch.from_numpy(_contiguous(img)).permute(2, 0, 1)[None]
    return t.float().div(255).to(device)


def unit_to_images(t: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [0, 1] → (N, H, W, C) uint8 (clamped, rounded)."""
    return (t.detach().clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """High-quality resize: area averaging down, Lanczos up."""
    if img.shape[1] == width and img.shape[0] == height:
        return img.copy()
    down = width * height < img.shape[0] * img.shape[1]
    interp = cv2.INTER_AREA if down else cv2.INTER_LANCZOS4
    return cv2.resize(img, (width, height), interpolation=interp)
