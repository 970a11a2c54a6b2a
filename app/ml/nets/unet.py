"""U-Net generator and PatchGAN discriminator (pix2pix), in the layout of the common
`latest_net_G.pth` / `latest_net_D.pth` checkpoints so those load as they are.

U-Net: nested skip blocks. Keys: `model.model.0` is the outermost down-convolution, `model.model.1`
the next block (recursively `….model.1.model.3` …), `model.model.3` the outermost up-convolution.
A middle block's `model` is [LeakyReLU, Conv↓, Norm, <inner block>, ReLU, ConvT↑, Norm, (Dropout)];
the innermost block's is [LeakyReLU, Conv↓, ReLU, ConvT↑, Norm]. Convolutions carry a bias only
when the norm has no running statistics and no own affine shift would make it redundant
(instance norm without affine, or no norm) — except that the reference code also gives
convolutions a bias under affine instance norm; `bias=None` reproduces that convention, and
GroupNorm (not in the reference code) uses bias-free convolutions so it can be told apart from
affine instance norm by the keys alone.
"""

from __future__ import annotations

import torch
from torch import nn

from latentbrush.ml.nets.resnet_gen import norm_layer


def default_bias(norm: str) -> bool:
    return norm in ("instance", "instance_affine", "none")


class UnetBlock(nn.Module):
    def __init__(self, outer: int, inner: int, *, input_nc: int | None = None, sub: nn.Module | None = None,
                 outermost: bool = False, innermost: bool = False, norm: str = "batch", dropout: bool = False,
                 bias: bool = False, groups: int = 32) -> None:
        super().__init__()
        self.outermost = outermost
        cin = outer if input_nc is None else input_nc
        down = nn.Conv2d(cin, inner, 4, 2, 1, bias=bias)
        if outermost:
            layers = [down, sub, nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
        elif innermost:
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True),
                      nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=bias), norm_layer(norm, outer, groups)]
        else:
            layers = [nn.LeakyReLU(0.2, True), down, norm_layer(norm, inner, groups), sub, nn.ReLU(True),
                      nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=bias), norm_layer(norm, outer, groups)]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    def __init__(self, input_nc: int = 3, output_nc: int = 3, num_downs: int = 8, ngf: int = 64,
                 norm: str = "batch", use_dropout: bool = False, bias: bool | None = None, groups: int = 32) -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError("a U-Net needs num_downs ≥ 5")
        b = default_bias(norm) if bias is None else bias
        kw = {"norm": norm, "bias": b, "groups": groups}
        block = UnetBlock(ngf * 8, ngf * 8, innermost=True, **kw)
        for _ in range(num_downs - 5):
            block = UnetBlock(ngf * 8, ngf * 8, sub=block, dropout=use_dropout, **kw)
        block = UnetBlock(ngf * 4, ngf * 8, sub=block, **kw)
        block = UnetBlock(ngf * 2, ngf * 4, sub=block, **kw)
        block = UnetBlock(ngf, ngf * 2, sub=block, **kw)
        self.model = UnetBlock(output_nc, ngf, input_nc=input_nc, sub=block, outermost=True, **kw)
        self.num_downs = num_downs

    @property
    def multiple(self) -> int:
        return 2 ** self.num_downs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """70×70-style PatchGAN (n_layers stride-2 convolutions); keys `model.N.…`."""

    def __init__(self, input_nc: int = 6, ndf: int = 64, n_layers: int = 3, norm: str = "batch",
                 groups: int = 32) -> None:
        super().__init__()
        bias = default_bias(norm)
        layers: list[nn.Module] = [nn.Conv2d(input_nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2 ** n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride, 1, bias=bias), norm_layer(norm, ndf * mult, groups),
                       nn.LeakyReLU(0.2, True)]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Activations after each LeakyReLU (for feature-level losses)."""
        out = []
        for layer in self.model:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                out.append(x)
        return out
