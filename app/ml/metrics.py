"""Image similarity: differentiable SSIM, PSNR, L1 / L2, per image.

Every function takes the value range of its inputs as a required keyword, ``data_range``:
``SIGNED`` (-1, 1) for network tensors, ``UNIT`` (0, 1), or ``BYTE`` (0, 255) for pixel values.
Inputs outside the stated range raise ``ValueError``. All scores are reported on the [0, 1]
scale (L1 and L2 as fractions of the full range, PSNR with peak 1, i.e. the same as
20·log10(255 / RMSE) on 0–255 data), so the same pair of images scores the same whichever range
it is handed in.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

Range = tuple[float, float]
SIGNED: Range = (-1.0, 1.0)
UNIT: Range = (0.0, 1.0)
BYTE: Range = (0.0, 255.0)
_TOLERANCE = 1e-3           # of the range's width: rounding, fp16


@functools.lru_cache(maxsize=8)
def _gauss(size: int, sigma: float, channels: int, device: str, dtype: torch.dtype) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-x * x / (2 * sigma * sigma))
    g = g / g.sum()
    w = (g[:, None] * g[None, :]).to(device=device, dtype=dtype)
    return w.expand(channels, 1, size, size).contiguous()


def to_unit_scale(x: torch.Tensor, data_range: Range) -> torch.Tensor:
    """x with values in data_range → the same image on [0, 1] (clamped); ValueError if x lies
    outside data_range (beyond a small tolerance) or the range is empty. NaN passes through (an
    optimisation detects a non-finite loss itself)."""
    lo, hi = (float(v) for v in data_range)
    if not hi > lo:
        raise ValueError(f"data_range must be (low, high) with low < high, got {data_range!r}")
    x = x.float() if not x.is_floating_point() else x
    if x.numel():
        tol = _TOLERANCE * (hi - lo)
        mn, mx = float(x.detach().min()), float(x.detach().max())
        if mn < lo - tol or mx > hi + tol:          # NaN compares False: it propagates to the score
            raise ValueError(f"image values span [{mn:.4g}, {mx:.4g}], outside the stated data_range "
                             f"({lo:g}, {hi:g})")
    return ((x - lo) / (hi - lo)).clamp(0, 1)


def _pair(a: torch.Tensor, b: torch.Tensor, data_range: Range) -> tuple[torch.Tensor, torch.Tensor]:
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    return to_unit_scale(a, data_range), to_unit_scale(b, data_range)


def _ssim01(a: torch.Tensor, b: torch.Tensor, size: int, sigma: float) -> torch.Tensor:
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


def ssim(a: torch.Tensor, b: torch.Tensor, *, data_range: Range, size: int = 11,
         sigma: float = 1.5) -> torch.Tensor:
    """Mean SSIM per image, (N,). Inputs (N, C, H, W) in data_range; Gaussian window 11/1.5,
    k1 = 0.01, k2 = 0.03 on the [0, 1] scale (Wang et al. 2004); 'valid' windows only."""
    a, b = _pair(a, b, data_range)
    return _ssim01(a, b, size, sigma)


def mse(a: torch.Tensor, b: torch.Tensor, *, data_range: Range) -> torch.Tensor:
    """Per-image mean squared error on the [0, 1] scale, (N,)."""
    a, b = _pair(a, b, data_range)
    return (a - b).pow(2).flatten(1).mean(1)


def l1(a: torch.Tensor, b: torch.Tensor, *, data_range: Range) -> torch.Tensor:
    """Per-image mean absolute error on the [0, 1] scale, (N,)."""
    a, b = _pair(a, b, data_range)
    return (a - b).abs().flatten(1).mean(1)


def psnr(a: torch.Tensor, b: torch.Tensor, *, data_range: Range) -> torch.Tensor:
    """Per-image PSNR in dB, peak = the full data_range (MSE floored at 1e-10: at most 100 dB)."""
    return -10 * torch.log10(mse(a, b, data_range=data_range).clamp_min(1e-10))


@torch.no_grad()
def report(a: torch.Tensor, b: torch.Tensor, *, data_range: Range) -> dict[str, float]:
    """Mean L1, L2 (MSE), SSIM and PSNR over a batch on the [0, 1] scale, as plain floats."""
    a, b = _pair(a, b, data_range)
    e = (a - b).flatten(1)
    m = e.pow(2).mean(1)
    return {"l1": float(e.abs().mean(1).mean()), "l2": float(m.mean()),
            "ssim": float(_ssim01(a, b, 11, 1.5).mean()),
            "psnr": float((-10 * torch.log10(m.clamp_min(1e-10))).mean())}
