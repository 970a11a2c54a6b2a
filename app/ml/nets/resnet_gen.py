"""ResNet image-to-image generator (Johnson et al.; the CycleGAN generator).

Layout of `model` (indices are part of the checkpoint format, `model.N.…`):
  0 ReflectionPad(3)  1 Conv7  2 Norm  3 ReLU
  then per downsampling i: Conv3/s2, Norm, ReLU
  then n_blocks ResnetBlock (`model.N.block.M.…`)
  then per upsampling: ConvTranspose3/s2, Norm, ReLU
  then ReflectionPad(3), Conv7, Tanh
"""

from __future__ import annotations

import torch
from torch import nn

NORMS = ("instance", "instance_affine", "batch", "group", "none")


def norm_layer(kind: str, channels: int, groups: int = 32) -> nn.Module:
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "instance_affine":
        return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        return nn.GroupNorm(min(groups, channels), channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; one of {NORMS}")


class ResnetBlock(nn.Module):
    def __init__(self, dim: int, norm: str, use_dropout: bool, bias: bool, groups: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm_layer(norm, dim, groups), nn.ReLU(True),
        ]
        if use_dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm_layer(norm, dim, groups)]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, input_nc: int = 3, output_nc: int = 3, ngf: int = 64, n_blocks: int = 9,
                 norm: str = "instance", use_dropout: bool = False, bias: bool | None = None,
                 n_down: int = 2, groups: int = 32) -> None:
        super().__init__()
        if bias is None:
            # a conv followed by a norm with its own shift needs no bias (the reference code keeps
            # it for instance norm, affine or not; group norm follows batch norm here)
            bias = norm in ("instance", "instance_affine", "none")
        self.n_down = n_down
        def nl(c: int) -> nn.Module:
            return norm_layer(norm, c, groups)

        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7, bias=bias), nl(ngf), nn.ReLU(True),
        ]
        ch = ngf
        for _ in range(n_down):
            layers += [nn.Conv2d(ch, ch * 2, 3, stride=2, padding=1, bias=bias),
                       nl(ch * 2), nn.ReLU(True)]
            ch *= 2
        layers += [ResnetBlock(ch, norm, use_dropout, bias, groups) for _ in range(n_blocks)]
        for _ in range(n_down):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                       nl(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ch, output_nc, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    @property
    def multiple(self) -> int:
        """Input sides must be a multiple of this."""
        return 2 ** self.n_down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
