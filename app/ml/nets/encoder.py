"""Encoders image → latent z for a 64×64 generator.

ConvEncoder: nine convolutions (4×4 stride-2 downsampling alternating with 3×3 refinements),
BatchNorm + LeakyReLU, then one linear layer to z (the "deep conv encoder" of the method).
FCEncoder: the fully connected baseline (4 linear layers with ReLU).
"""

from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int, k: int, s: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, k, s, (k - 1) // 2 if s == 1 else 1, bias=False),
            nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, inplace=True)]


class ConvEncoder(nn.Module):
    def __init__(self, nz: int = 100, width: int = 32, nc: int = 3, resolution: int = 64) -> None:
        super().__init__()
        if resolution != 64:
            raise ValueError("ConvEncoder is built for 64×64 inputs")
        self.nz, self.resolution = nz, resolution
        w = width
        layers: list[nn.Module] = []
        layers += _block(nc, w, 4, 2)          # 32×32
        layers += _block(w, w, 3, 1)
        layers += _block(w, 2 * w, 4, 2)       # 16×16
        layers += _block(2 * w, 2 * w, 3, 1)
        layers += _block(2 * w, 4 * w, 4, 2)   # 8×8
        layers += _block(4 * w, 4 * w, 3, 1)
        layers += _block(4 * w, 8 * w, 4, 2)   # 4×4
        layers += _block(8 * w, 8 * w, 3, 1)
        layers += _block(8 * w, 8 * w, 3, 1)
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(8 * w * 16, nz)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, 3, 64, 64) in [-1, 1] → z (N, nz)."""
        return self.head(self.features(x).flatten(1))

    def feature_maps(self, x: torch.Tensor, upto: int = 4) -> list[torch.Tensor]:
        """Activations after the first `upto` conv blocks (for a perceptual loss)."""
        out = []
        for layer in self.features:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                out.append(x)
                if len(out) >= upto:
                    break
        return out


class FCEncoder(nn.Module):
    def __init__(self, nz: int = 100, hidden: int = 1024, nc: int = 3, resolution: int = 64) -> None:
        super().__init__()
        self.nz, self.resolution = nz, resolution
        d = nc * resolution * resolution
        self.net = nn.Sequential(
            nn.Linear(d, hidden), nn.ReLU(True),
            nn.Linear(hidden, hidden // 2), nn.ReLU(True),
            nn.Linear(hidden // 2, hidden // 4), nn.ReLU(True),
            nn.Linear(hidden // 4, nz))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))
