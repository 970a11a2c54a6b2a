"""Sampling faces from the generator, into a region of the photo or a new document."""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import torch

from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import Job, Progress, Result
from latentbrush.core.latent_state import LatentState
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.tensors import resize, to_images, to_renders

NEW_DOCUMENT_SIZE = 256


def sample_latents(nz: int, *, n: int, seed: int) -> torch.Tensor:
    """n latents (n, nz) float32 on the CPU, reproducible from seed (the k-th depends on n)."""
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randn(n, nz, generator=gen)


@torch.no_grad()
def sample_faces(G: torch.nn.Module, *, n: int, seed: int, device: torch.device | str) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, R, R, 3) uint8 and their latents (n, nz) float32, reproducible from seed."""
    z = sample_latents(G.nz, n=n, seed=seed).to(device)
    return to_images(G(z)), z.cpu().numpy()


def run_generate(job: Job, models: ModelManager) -> Generator[Progress, None, Result]:
    """params: model (id, optional), seed, bbox (x0, y0, x1, y1) or None for a new document; the
    face is the `index`-th of `batch` drawn together from the seed (`generate -n N`)."""
    spec = models.manifest.get(job.request.model) if job.request.model else models.default("generator")
    if spec is None:
        raise LookupError("no generator model in the manifest")
    yield Progress(0, 2, f"loading {spec.title}")
    G = models.get(spec.id).net
    job.check()
    seed, k = int(job.request.seed), int(job.request.index)
    if not 0 <= k < job.request.batch:
        raise ValueError(f"face {k} of a batch of {job.request.batch} asked for")
    z = sample_latents(G.nz, n=job.request.batch, seed=seed)[k:k + 1].numpy()
    with torch.no_grad():
        faces = G(torch.from_numpy(z).to(models.device))
        img, render = to_images(faces), to_renders(faces)[0]
    bbox = job.request.bbox
    box = BBox(0, 0, NEW_DOCUMENT_SIZE, NEW_DOCUMENT_SIZE) if bbox is None else BBox(*bbox)
    out = resize(img[0], box.width, box.height)
    # the latent is known exactly: scribbles and sliders can edit this face without projecting
    state = LatentState(region=box, generator=spec.id, z_base=z[0], base_render=render, reference=out, z=z[0],
                        fit_psnr=None)
    info = {"seed": seed, "model": spec.id, "latent": z[0], "latent_state": state}
    if bbox is None:
        yield Progress(1, 2, "generated", preview=out)
        return Result(new_image=out, message=f"generated face (seed {seed})", info=info)
    yield Progress(1, 2, "generated", preview=out, preview_bbox=box)
    return Result(layer="base", bbox=box, pixels=out, message=f"generated face (seed {seed})", info=info)
