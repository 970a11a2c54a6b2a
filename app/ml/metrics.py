"""Image similarity on tensors in [-1, 1]: differentiable SSIM, PSNR, L1/L2 (all reported on
the [0, 1] scale, per image)."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F


@functools.lru_cache(maxsize=8)
def _gauss(size: int, sigma: float, channels: int, device: str, dtype: torch.dtype) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-x * x / (2 * sigma * sigma))
    g = g / g.sum()
    w = (g[:, None] * g[None, :]).to(device=device, dtype=dtype)
    return w.expand(channels, 1, size, size).contiguous()


def ssim(a: torch.Tensor, b: torch.Tensor, *, size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Mean SSIM per image, (N,). Inputs (N, C, H, W) in [-1, 1]; Gaussian window 11/1.5,
    k1 = 0.01, k2 = 0.03 on the [0, 1] scale (Wang et al. 2004); 'valid' windows only."""
    a = (a + 1) * 0.5
    b = (b + 1) * 0.5
    c = a.shape[1]
    size = min(size, a.shape[-1], a.shape[-2])
    w = _gauss(size, sigma, c, str(a.device), a.dtype)
    mu_a = F.conv2d(a, w, groups=c)
    mu_b = F.conv2d(b, w, groups=c)
    saa = F.conv2d(a * a, w, groups=c) - mu_a * mu_a
    sbb = F.conv2d(b * b, w, groups=c) - mu_b * mu_b
    sab = F.conv2d(a * b, w, groups=c) - mu_a * mu_b
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (saa + sbb + c2))
    return m.flatten(1).mean(1)


def mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared error on the [0, 1] scale, (N,)."""
    return ((a - b) * 0.5).pow(2).flatten(1).mean(1)


def l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return ((a - b) * 0.5).abs().flatten(1).mean(1)


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB for images in [-1, 1] (peak 1 on the [0, 1] scale)."""
    return -10 * torch.log10(mse(a.clamp(-1, 1), b.clamp(-1, 1)).clamp_min(1e-10))


@torch.no_grad()
def report(a: torch.Tensor, b: torch.Tensor) -> dict[str, float]:
    """Mean L1, L2 (MSE), SSIM and PSNR over a batch, as plain floats."""
    a, b = a.clamp(-1, 1), b.clamp(-1, 1)
    return {"l1": float(l1(a, b).mean()), "l2": float(mse(a, b).mean()),
            "ssim": float(ssim(a, b).mean()), "psnr": float(psnr(a, b).mean())}
