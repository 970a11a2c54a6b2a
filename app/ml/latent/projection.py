"""Projection of an image into the generator's latent space (photo → z).

Three modes: "encoder" (one forward pass of a trained encoder), "optimize" (Adam or L-BFGS on z
from random starts) and "hybrid" (encoder estimate, then optimization). The loss is pixel MSE +
SSIM (+ a perceptual term on encoder features when given) + a prior that keeps ‖z‖² near its
expected value nz, so z stays where the generator was trained.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from latentbrush.core.jobs import relay
from latentbrush.ml import metrics
from latentbrush.ml.latent.optimize import Evaluation, LatentStep, latent_prior, optimize_latents
from latentbrush.ml.tensors import to_images, to_renders

MODES = ("hybrid", "encoder", "optimize")


@dataclass(frozen=True)
class ProjStep:
    step: int
    total: int
    loss: float
    z: torch.Tensor          # (nz,) best latent so far
    image: torch.Tensor      # (1, 3, R, R) its rendering in [-1, 1]


@dataclass
class ProjectionResult:
    z: np.ndarray            # (nz,) float32
    image: np.ndarray        # (R, R, 3) uint8
    render: np.ndarray       # (R, R, 3) float32 in [0, 255], unquantised (for apply-back)
    loss: float
    psnr: float
    ssim: float
    steps: int
    seconds: float
    history: list[tuple[float, int, float]] = field(default_factory=list)   # (seconds, step, psnr)
    nonfinite: bool = False  # the optimization hit NaN/Inf and stopped; the last good latent is kept


class FeatureLoss:
    """Perceptual distance on an encoder's early feature maps (it was trained on this
    generator's images, so its features describe faces at this resolution)."""

    def __init__(self, encoder: nn.Module, target: torch.Tensor, layers: int = 4) -> None:
        self.enc, self.layers = encoder, layers
        with torch.no_grad():
            self.target = [f.detach() for f in encoder.feature_maps(target, layers)]

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        feats = self.enc.feature_maps(img, self.layers)
        return sum((f - t).pow(2).flatten(1).mean(1) for f, t in zip(feats, self.target, strict=True)) / len(feats)


def projection_loss(img: torch.Tensor, target: torch.Tensor, z: torch.Tensor, *, w_ssim: float,
                    w_prior: float, feat: FeatureLoss | None = None, w_feat: float = 0.0) -> torch.Tensor:
    """Per-sample loss (N,)."""
    loss = metrics.mse(img, target, data_range=metrics.SIGNED)
    if w_ssim:
        loss = loss + w_ssim * (1 - metrics.ssim(img, target, data_range=metrics.SIGNED))
    if feat is not None and w_feat:
        loss = loss + w_feat * feat(img)
    if w_prior:
        loss = loss + w_prior * latent_prior(z)
    return loss


def _starts(G: nn.Module, target: torch.Tensor, encoder: nn.Module | None, mode: str, restarts: int,
            gen: torch.Generator) -> torch.Tensor:
    nz = G.nz
    noise = torch.randn(restarts, nz, generator=gen).to(target.device)
    if mode == "optimize" or encoder is None:
        return noise
    with torch.no_grad():
        z0 = encoder(target).reshape(1, nz)
    spread = torch.linspace(0, 0.5, restarts, device=target.device)[:, None]   # start 0 is exactly E(x)
    return z0 + spread * noise


def project(G: nn.Module, target: torch.Tensor, *, encoder: nn.Module | None = None, mode: str = "hybrid",
            steps: int = 100, lr: float = 0.1, restarts: int = 1, optimizer: str = "adam",
            w_ssim: float = 0.1, w_prior: float = 1e-3, w_feat: float = 0.0,
            time_budget: float | None = None, preview_every: int = 10, seed: int = 0,
            weight: torch.Tensor | None = None,
            check: Callable[[], None] | None = None) -> Generator[ProjStep, None, ProjectionResult]:
    """target (1, 3, R, R) in [-1, 1] on G's device. Yields a ProjStep every `preview_every`
    steps; returns the best latent over all restarts. `time_budget` (seconds) ends early.
    `weight` (1, 1, R, R) in [0, 1]: how much each pixel counts (0 = unknown, e.g. a hole to fill);
    the rendering is composited over the target with it, so unknown pixels add no loss."""
    if mode not in MODES:
        raise ValueError(f"unknown projection mode {mode!r}; expected one of {', '.join(MODES)}")
    if mode in ("hybrid", "encoder") and encoder is None:
        raise ValueError(f"projection mode {mode!r} needs an encoder")
    if target.dim() != 4 or target.shape[0] != 1 or target.shape[-1] != G.resolution:
        raise ValueError(f"target must be (1, 3, {G.resolution}, {G.resolution}), got {tuple(target.shape)}")
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(seed)
    z = _starts(G, target, encoder, mode, 1 if mode == "encoder" else restarts, gen)
    use_feat = encoder is not None and w_feat and hasattr(encoder, "feature_maps")
    feat = FeatureLoss(encoder, target) if use_feat else None
    tgt = target.expand(z.shape[0], -1, -1, -1)
    history: list[tuple[float, int, float]] = []

    def evaluate(zz: torch.Tensor) -> Evaluation:
        img = G(zz)
        seen = img if weight is None else img * weight + tgt * (1 - weight)
        return Evaluation(projection_loss(seen, tgt, zz, w_ssim=w_ssim, w_prior=w_prior, feat=feat, w_feat=w_feat),
                          img)

    with torch.no_grad():
        start = evaluate(z)
    history.append((time.perf_counter() - t0, 0,
                    float(metrics.psnr(start.image[:1], target, data_range=metrics.SIGNED).max())))
    n_steps = 0 if mode == "encoder" else steps

    def progress(st: LatentStep) -> ProjStep | None:
        if not st.preview:
            return None
        i = st.best
        with torch.no_grad():
            bi = G(st.best_z[i:i + 1])
            psnr_b = float(metrics.psnr(bi, target, data_range=metrics.SIGNED))
        history.append((time.perf_counter() - t0, st.step, psnr_b))
        return ProjStep(st.step, st.total, float(st.best_score[i]), st.best_z[i].clone(), bi)

    out = yield from relay(optimize_latents(z, evaluate, steps=n_steps, lr=lr, lr_floor=0.1, optimizer=optimizer,
                                            time_budget=time_budget, preview_every=preview_every,
                                            preview_steps=(n_steps,), start_score=start.loss, reevaluate=False,
                                            t0=t0, check=check), progress)
    with torch.no_grad():
        final = G(out.z[:1])
        rep = metrics.report(final, target, data_range=metrics.SIGNED)
    seconds = time.perf_counter() - t0
    history.append((seconds, out.steps, rep["psnr"]))
    return ProjectionResult(z=out.z[0].cpu().numpy().astype(np.float32), image=to_images(final)[0],
                            render=to_renders(final)[0], loss=float(out.score[0]), psnr=rep["psnr"],
                            ssim=rep["ssim"], steps=out.steps, seconds=seconds, history=history,
                            nonfinite=out.nonfinite)
