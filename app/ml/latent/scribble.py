"""Color scribbles → latent edit (constrained optimization, iGAN-style).

For K candidate latents z_k the loss is
    ‖M ⊙ (G(z) − S)‖² / |M|                       strokes: painted pixels take the stroke colors
  + w_rec · ‖(1 − M̃) ⊙ (G(z) − G(z₀))‖² / |1 − M̃|   the rest stays close to the current image
  + w_prior · (‖z‖²/nz − 1)²                       stay on the generator's latent shell
where M is the stroke alpha at the generator's resolution and M̃ a dilated copy of it. The
candidates start from the current latent z₀ plus noise of increasing spread (candidate 0 is z₀
itself), are optimized together as one batch with Adam (latent/optimize.py), and are returned
ranked by loss.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from latentbrush.core.jobs import relay
from latentbrush.ml.latent.optimize import Evaluation, LatentStep, latent_prior, optimize_latents
from latentbrush.ml.tensors import to_renders


@dataclass(frozen=True)
class ScribbleStep:
    step: int
    total: int
    loss: float
    image: torch.Tensor          # (1, 3, R, R) best candidate so far, in [-1, 1]


@dataclass
class ScribbleResult:
    z: np.ndarray                # (K, nz) ranked best first
    loss: np.ndarray             # (K,) total loss
    masked_loss: np.ndarray      # (K,) stroke term only (mean squared error on painted pixels, [-1, 1] scale)
    renders: np.ndarray          # (K, R, R, 3) float32 in [0, 255]
    steps: int
    seconds: float
    history: list[tuple[float, int, float]]   # (seconds, step, stroke error of the best candidate so far)
    nonfinite: bool = False                    # stopped on NaN/Inf; the last good latents are kept


def stroke_terms(img: torch.Tensor, strokes: torch.Tensor, mask: torch.Tensor, ref: torch.Tensor,
                 keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-candidate (N,) stroke error on M and reconstruction error on `keep` (= 1 − M̃)."""
    m_sum = mask.sum().clamp_min(1e-6) * img.shape[1]
    k_sum = keep.sum().clamp_min(1e-6) * img.shape[1]
    s = (mask * (img - strokes)).pow(2).flatten(1).sum(1) / m_sum
    r = (keep * (img - ref)).pow(2).flatten(1).sum(1) / k_sum
    return s, r


def dilate(mask: torch.Tensor, radius: int) -> torch.Tensor:
    if radius <= 0:
        return mask
    return F.max_pool2d(mask, 2 * radius + 1, stride=1, padding=radius)


def optimize_scribble(G: nn.Module, z0: torch.Tensor, strokes: torch.Tensor, mask: torch.Tensor, *,
                      candidates: int = 4, iters: int = 40, lr: float = 0.15, spread: float = 0.5,
                      w_rec: float = 2.0, w_prior: float = 1e-2, keep_margin: int = 3,
                      random_starts: bool = False, time_budget: float | None = None,
                      preview_every: int = 5, seed: int = 0,
                      check: Callable[[], None] | None = None) -> Generator[ScribbleStep, None, ScribbleResult]:
    """z0 (nz,) current latent; strokes (1, 3, R, R) in [-1, 1]; mask (1, 1, R, R) in [0, 1].
    `random_starts` draws the candidates from N(0, I) instead (iGAN's generation recipe)."""
    if mask.sum() <= 0:
        raise ValueError("no strokes: paint on the scribble layer first")
    t0 = time.perf_counter()
    dev = z0.device
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(candidates, G.nz, generator=gen).to(dev)
    with torch.no_grad():
        ref = G(z0[None])
    if random_starts:
        z = noise
    else:
        amount = torch.linspace(0, spread, candidates, device=dev)[:, None]
        z = z0[None] + amount * noise
    keep = 1 - dilate(mask, keep_margin)

    def evaluate(zz: torch.Tensor) -> Evaluation:
        img = G(zz)
        s, r = stroke_terms(img, strokes, mask, ref, keep)
        return Evaluation(s + w_rec * r + w_prior * latent_prior(zz), img, terms={"strokes": s.detach()})

    history: list[tuple[float, int, float]] = []
    best_s = torch.full((candidates,), float("inf"), device=dev)   # stroke error of each best latent

    def progress(st: LatentStep) -> ScribbleStep | None:
        nonlocal best_s
        best_s = torch.where(st.better, st.evaluation.terms["strokes"], best_s)
        history.append((time.perf_counter() - t0, st.step - 1, float(best_s[st.best])))
        if not st.preview:
            return None
        # the image is G(z) after step − 1 updates: from step 2 on a preview shows the optimizer's
        # work (yielded before this step's backward pass, so the person sees it one pass sooner)
        i = st.best
        return ScribbleStep(st.step, st.total, float(st.best_score[i]), st.evaluation.image[i:i + 1].detach())

    out = yield from relay(optimize_latents(z, evaluate, steps=iters, lr=lr, lr_floor=0.2, time_budget=time_budget,
                                            preview_every=preview_every, preview_steps=(2,), t0=t0, check=check),
                           progress)
    final = out.evaluation
    history.append((time.perf_counter() - t0, out.steps, float(final.terms["strokes"][0])))
    return ScribbleResult(z=out.z.cpu().numpy().astype(np.float32), loss=final.loss.cpu().numpy(),
                          masked_loss=final.terms["strokes"].cpu().numpy(), renders=to_renders(final.image),
                          steps=out.steps, seconds=time.perf_counter() - t0, history=history,
                          nonfinite=out.nonfinite)
