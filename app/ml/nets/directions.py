"""A set of named latent directions (unit vectors in z) stored as one weight file."""

from __future__ import annotations

import torch
from torch import nn


class LatentDirections(nn.Module):
    def __init__(self, names: list[str] | tuple[str, ...] = (), nz: int = 100, kinds: list[str] | None = None) -> None:
        super().__init__()
        self.names = list(names)
        self.kinds = list(kinds) if kinds else ["attribute"] * len(self.names)
        self.nz = nz
        self.register_buffer("directions", torch.zeros(len(self.names), nz))

    def get(self, name: str) -> torch.Tensor:
        try:
            return self.directions[self.names.index(name)]
        except ValueError:
            raise KeyError(f"no direction {name!r}; known: {', '.join(self.names)}") from None
