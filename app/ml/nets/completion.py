"""Image completion network and its context discriminators ("globally and locally consistent").

CompletionNet: fully convolutional; input = RGB with the hole set to 0 (mid grey in [-1, 1]) + the
mask channel (1 = fill); two stride-2 downsamplings, dilated 3×3 convolutions (rates 2, 4, 8, 16)
at 1/4 resolution for a receptive field that spans the hole, two upsamplings back. BatchNorm +
ReLU after every convolution but the last; tanh output. The caller composites:
out = x·(1 − m) + C(x, m)·m, so pixels outside the hole are the input's, exactly.

ContextDiscriminator: a global branch on the whole image (resized to `global_size`) and a local
branch on a square patch centred on the hole (resized to `global_size / 2`); their feature vectors
are concatenated and mapped to one real/fake logit.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

DILATIONS = (2, 4, 8, 16)


def _conv(cin: int, cout: int, k: int = 3, s: int = 1, d: int = 1) -> list[nn.Module]:
    pad = d * (k - 1) // 2
    return [nn.Conv2d(cin, cout, k, s, pad, dilation=d, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class _Up(nn.Module):
    """Nearest ×2 then a 3×3 convolution (no transposed-conv checkerboard)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*_conv(cin, cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class CompletionNet(nn.Module):
    """residual=True (this project's variant): the hole arrives pre-filled by a classical method
    (Telea's fast marching) instead of a constant, and the network predicts a correction to that
    fill; the last layer starts at zero, so an untrained network reproduces the classical fill and
    training can only be measured against improving on it."""

    multiple = 4  # input sides must be multiples of this

    def __init__(self, width: int = 32, residual: bool = False, mirror: bool = False) -> None:
        """mirror=True (this project's variant) adds the left-right mirrored image and mask as input
        channels: faces are nearly symmetric, so the other side of a face is the best hint for a
        hole, and a mirrored copy puts it at the same position, where 3×3 kernels can use it."""
        super().__init__()
        w = width
        self.width = w
        self.residual = residual
        self.mirror = mirror
        layers: list[nn.Module] = []
        layers += _conv(8 if mirror else 4, w, 5)
        layers += _conv(w, 2 * w, 3, 2)
        layers += _conv(2 * w, 2 * w)
        layers += _conv(2 * w, 4 * w, 3, 2)
        layers += _conv(4 * w, 4 * w)
        layers += _conv(4 * w, 4 * w)
        for d in DILATIONS:
            layers += _conv(4 * w, 4 * w, 3, 1, d)
        layers += _conv(4 * w, 4 * w)
        layers += _conv(4 * w, 4 * w)
        layers += [_Up(4 * w, 2 * w)]
        layers += _conv(2 * w, 2 * w)
        layers += [_Up(2 * w, w)]
        layers += _conv(w, w // 2)
        last = nn.Conv2d(w // 2, 3, 3, 1, 1)
        if residual:
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
        layers += [last, nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        """x (N, 3, H, W) in [-1, 1], mask (N, 1, H, W) in {0, 1} (1 = fill), prior: the classical
        fill of x (residual networks only) → raw prediction (N, 3, H, W); H, W multiples of 4."""
        h, w = x.shape[-2:]
        if h % self.multiple or w % self.multiple:
            raise ValueError(f"CompletionNet needs sides that are multiples of {self.multiple}, got {w}×{h}")
        if self.residual:
            if prior is None:
                raise ValueError("this completion network refines a classical fill: pass prior=")
            start = torch.where(mask > 0.5, prior, x)
        else:
            start = x * (1 - mask)
        inp = torch.cat([start, mask], 1)
        if self.mirror:
            inp = torch.cat([inp, inp.flip(-1)], 1)
        out = self.body(inp)
        return (start + out).clamp(-1, 1) if self.residual else out

    def complete(self, x: torch.Tensor, mask: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        """Prediction composited into the hole; outside the hole the input is kept exactly."""
        return torch.where(mask > 0.5, self.forward(x, mask, prior), x)


def _dconv(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 5, 2, 2), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, inplace=True)]


class _Branch(nn.Module):
    def __init__(self, size: int, width: int, feat: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c, s = 3, size
        out = width
        while s > 4:
            layers += _dconv(c, out)
            c, s, out = out, s // 2, min(out * 2, 8 * width)
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(c * s * s, feat)
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.size or x.shape[-2] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)
        return F.leaky_relu(self.fc(self.body(x).flatten(1)), 0.2)


class ContextDiscriminator(nn.Module):
    def __init__(self, global_size: int = 64, width: int = 32, feat: int = 256) -> None:
        super().__init__()
        self.global_branch = _Branch(global_size, width, feat)
        self.local_branch = _Branch(global_size // 2, width, feat)
        self.head = nn.Linear(2 * feat, 1)

    def forward(self, image: torch.Tensor, patch: torch.Tensor) -> torch.Tensor:
        """image (N, 3, H, W), patch (N, 3, h, w) around the hole → logits (N,)."""
        return self.head(torch.cat([self.global_branch(image), self.local_branch(patch)], 1)).squeeze(1)


def local_patches(x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Crop the square box (x0, y0, side) of each image; boxes (N, 3) int."""
    side = int(boxes[0, 2])
    return torch.stack([x[i, :, int(b[1]):int(b[1]) + side, int(b[0]):int(b[0]) + side]
                        for i, b in enumerate(boxes)])
