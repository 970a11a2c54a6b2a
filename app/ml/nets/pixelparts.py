"""A part reader that sees pixels: a small U-Net from an image in the generator's frame (R², RGB) to
the face's part map, trained on the generator's faces labelled by the part segmenter
(app/ml/train/pixelparts.py).

The part segmenter (nets/parts.py) reads a face from the generator's features, so it can only read
what the generator can draw: an image it is shown must first be projected into the generator, and
eyes painted shut came back open (the generator's 64-px faces all have open eyes) and read as eyes,
also where a person had painted them over by hand (`latentbrush bench parts`, stop 57). This one
reads the pixels: it is trained with parts painted over, pasted from other faces and moved, so it
learns what a part looks like, not only where a part usually is. It is a check, not an editor: the
bench and the part edit's status read edited images with it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _block(cin: int, cout: int, groups: int = 8) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.GroupNorm(min(groups, cout), cout), nn.SiLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.GroupNorm(min(groups, cout), cout), nn.SiLU(inplace=True))


class PixelPartNet(nn.Module):
    """(N, 3, R, R) in [−1, 1] → (N, n_parts, R, R) logits; R a multiple of 8."""

    def __init__(self, names: list[str] | tuple[str, ...] = ("part",), colors: list | tuple = ((255, 0, 0),),
                 width: int = 32, resolution: int = 64) -> None:
        super().__init__()
        if len(names) != len(colors):
            raise ValueError(f"{len(names)} part names but {len(colors)} colors")
        if width < 4:
            raise ValueError(f"width must be at least 4, got {width}")
        self.names = list(names)
        self.colors = [tuple(int(v) for v in c) for c in colors]
        self.width = int(width)
        self.resolution = int(resolution)
        w = self.width
        self.enc = nn.ModuleList([_block(3, w), _block(w, 2 * w), _block(2 * w, 4 * w), _block(4 * w, 4 * w)])
        self.dec = nn.ModuleList([_block(8 * w, 2 * w), _block(4 * w, w), _block(2 * w, w)])
        self.head = nn.Conv2d(w, len(self.names), 1)

    @property
    def n_parts(self) -> int:
        return len(self.names)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, blk in enumerate(self.enc):
            x = blk(x if i == 0 else F.avg_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for blk in self.dec:
            skip = skips.pop()
            x = blk(torch.cat([F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False), skip], 1))
        return self.head(x)

    @torch.no_grad()
    def read(self, images: torch.Tensor) -> torch.Tensor:
        """(N, R, R) int64 hard part maps of images (N, 3, R, R) in [−1, 1] (resized to the trained
        resolution and back when they differ)."""
        size = images.shape[-2:]
        x = images
        if tuple(size) != (self.resolution, self.resolution):
            x = F.interpolate(images, size=(self.resolution,) * 2, mode="area")
        logits = self(x)
        if tuple(size) != (self.resolution, self.resolution):
            logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
        return logits.argmax(1)
