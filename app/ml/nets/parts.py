"""Part segmentation of a generator's images from the generator's own features (no labels).

A pixel's descriptor is built from intermediate activations of G (layers named by their index
in the DCGAN `main` stack, bilinearly upsampled to the output resolution):
    per layer: standardise each channel (dataset mean/std), subtract the image's own mean
    (removes global lighting / skin tone), divide by √channels (each layer counts equally);
    concatenate, L2-normalise, append the pixel's (x, y) in [-1, 1] × `coord_weight`,
    L2-normalise again.
Spherical k-means centroids over many samples' descriptors are the clusters
(app/ml/train/parts.py). Each cluster belongs to a named part; a cluster may be split by height
(the generator's eyes and mouth share one feature cluster: above `split_y` it is one part, below
another). The soft segmentation is
    p(cluster k | pixel) = softmax_k(tau · <descriptor, centroid_k>)
    p(part) = Σ over its clusters of p(cluster) · gate(y)
with a smooth sigmoid gate, so it is differentiable in z; the hard map is its argmax.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

GATE_WIDTH = 0.025      # softness of the height split, in image heights


class PartSegmenter(nn.Module):
    def __init__(self, names: list[str] | tuple[str, ...] = ("part",), colors: list | tuple = ((255, 0, 0),),
                 layers: list[int] | tuple[int, ...] = (5, 8), channels: list[int] | tuple[int, ...] = (256, 128),
                 k: int = 20, coord_weight: float = 0.15, tau: float = 20.0, center: bool = True,
                 resolution: int = 64) -> None:
        super().__init__()
        if len(names) != len(colors):
            raise ValueError(f"{len(names)} part names but {len(colors)} colors")
        if len(layers) != len(channels):
            raise ValueError("one channel count per layer")
        self.names = list(names)
        self.colors = [tuple(int(v) for v in c) for c in colors]
        self.layers = [int(v) for v in layers]
        self.channels = [int(v) for v in channels]
        self.k = int(k)
        self.coord_weight = float(coord_weight)
        self.tau = float(tau)
        self.center = bool(center)
        self.resolution = int(resolution)
        for i, c in enumerate(self.channels):
            self.register_buffer(f"mean{i}", torch.zeros(1, c, 1, 1))
            self.register_buffer(f"std{i}", torch.ones(1, c, 1, 1))
        self.register_buffer("centroids", torch.zeros(self.k, sum(self.channels) + 2))
        self.register_buffer("part_of", torch.zeros(self.k, dtype=torch.long))
        self.register_buffer("split_y", torch.full((self.k,), 2.0))       # ≥ 1: not split
        self.register_buffer("split_part", torch.zeros(self.k, dtype=torch.long))

    @property
    def n_parts(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no part {name!r}; known: {', '.join(self.names)}") from None

    # -- features ----------------------------------------------------------------------------
    def activations(self, G: nn.Module, z: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """G(z) and the raw activations of the chosen layers (run through G's `main` stack)."""
        main = getattr(G, "main", None)
        if not isinstance(main, nn.Sequential):
            raise TypeError("part segmentation needs a DCGAN-style generator with a `main` layer stack")
        x = z[:, :, None, None] if z.dim() == 2 else z
        acts, want = [], set(self.layers)
        for i, layer in enumerate(main):
            x = layer(x)
            if i in want:
                acts.append(x)
        if len(acts) != len(self.layers):
            raise ValueError(f"the generator has no layers {self.layers}")
        return x, acts

    def standardize(self, acts: list[torch.Tensor]) -> list[torch.Tensor]:
        out = []
        for i, a in enumerate(acts):
            q = (a - getattr(self, f"mean{i}")) / getattr(self, f"std{i}")
            if self.center:
                q = q - q.mean((2, 3), keepdim=True)
            out.append(q / (a.shape[1] ** 0.5))
        return out

    def descriptors(self, acts: list[torch.Tensor]) -> torch.Tensor:
        """(N, D, g, g) unit descriptors (D = Σ channels + 2) on a grid twice as fine as the
        finest layer (bilinear upsampling there smooths the transposed convolutions' checkerboard,
        which a descriptor on the layer's own grid picks up as a "part")."""
        g = 2 * max(a.shape[-1] for a in acts)
        ups = [q if q.shape[-1] == g else F.interpolate(q, size=(g, g), mode="bilinear", align_corners=False)
               for q in self.standardize(acts)]
        x = F.normalize(torch.cat(ups, 1), dim=1)
        n = x.shape[0]
        ax = torch.linspace(-1 + 1 / g, 1 - 1 / g, g, device=x.device, dtype=x.dtype)
        yy, xx = torch.meshgrid(ax, ax, indexing="ij")
        coords = torch.stack([xx, yy])[None].expand(n, 2, g, g) * self.coord_weight
        return F.normalize(torch.cat([x, coords], 1), dim=1)

    # -- segmentation ------------------------------------------------------------------------
    def cluster_logits(self, desc: torch.Tensor, size: int | None = None) -> torch.Tensor:
        """(N, K, size, size): tau × cosine to each centroid, computed on the feature grid and
        upsampled bilinearly (the features are no finer than that grid)."""
        logits = self.tau * torch.einsum("ndhw,kd->nkhw", desc, self.centroids)
        if size is not None and size != logits.shape[-1]:
            logits = F.interpolate(logits, size=(size, size), mode="bilinear", align_corners=False)
        return logits

    def part_probs(self, desc: torch.Tensor, size: int | None = None) -> torch.Tensor:
        """(N, P, size, size) part probabilities (sum to 1 per pixel); size defaults to the
        generator's resolution."""
        pc = torch.softmax(self.cluster_logits(desc, size or self.resolution), dim=1)
        n, _, h, w = pc.shape
        y = ((torch.arange(h, device=pc.device, dtype=pc.dtype) + 0.5) / h)[:, None].expand(h, w)
        lower = torch.sigmoid((y[None] - self.split_y[:, None, None].to(pc.dtype)) / GATE_WIDTH)  # (K, h, w)
        split = (self.split_y < 1.0).to(pc.dtype)[:, None, None]
        to_split = pc * (lower * split)[None]
        stay = pc - to_split
        out = pc.new_zeros(n, self.n_parts, h, w)
        out.index_add_(1, self.part_of, stay)
        out.index_add_(1, self.split_part, to_split)
        return out

    def segment(self, G: nn.Module, z: torch.Tensor, size: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(G(z), part probabilities) — differentiable in z."""
        img, acts = self.activations(G, z)
        return img, self.part_probs(self.descriptors(acts), size)

    def labels(self, G: nn.Module, z: torch.Tensor, size: int | None = None) -> torch.Tensor:
        """(N, h, w) hard part indices."""
        with torch.no_grad():
            return self.segment(G, z, size)[1].argmax(1)

    def forward(self, desc: torch.Tensor, size: int | None = None) -> torch.Tensor:
        return self.part_probs(desc, size)
