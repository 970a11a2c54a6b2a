"""Color scribbles → latent edit (constrained optimization, iGAN-style).

For K candidate latents z_k the loss is
    ‖M ⊙ (G(z) − S)‖² / |M|                       strokes: painted pixels take the stroke colors
  + w_rec · ‖(1 − M̃) ⊙ (G(z) − G(z₀))‖² / |1 − M̃|   the rest stays close to the current image
  + w_prior · (‖z‖²/nz − 1)²                       stay on the generator's latent shell
where M is the stroke alpha at the generator's resolution and M̃ a dilated copy of it. The
candidates start from the current latent z₀ plus noise of increasing spread (candidate 0 is z₀
itself), are optimized together as one batch with Adam, and are returned ranked by loss.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from latentbrush.ml.latent.project import latent_prior, schedule
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
    z = z.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    best_loss = torch.full((candidates,), float("inf"), device=dev)
    best_z = z.detach().clone()
    step = 0
    img = ref
    history: list[tuple[float, int, float]] = []
    nonfinite = False
    best_s = torch.full((candidates,), float("inf"), device=dev)
    for step in range(1, iters + 1):
        step_lr = schedule(t0, step, iters, time_budget, lr, 0.2, check)
        if step_lr is None:
            step -= 1
            break
        opt.param_groups[0]["lr"] = step_lr
        img = G(z)
        s, r = stroke_terms(img, strokes, mask, ref, keep)
        loss = s + w_rec * r + w_prior * latent_prior(z)
        with torch.no_grad():
            finite = torch.isfinite(loss.detach()) & torch.isfinite(z.detach()).all(1)
            better = (loss.detach() < best_loss) & finite
            best_loss = torch.where(better, loss.detach(), best_loss)
            best_z = torch.where(better[:, None], z.detach(), best_z)
            best_s = torch.where(better, s.detach(), best_s)
            history.append((time.perf_counter() - t0, step - 1, float(best_s[best_loss.argmin()])))
        if not bool(finite.all()):
            nonfinite = True            # NaN/Inf: stop, keep the last good candidates
            break
        # img is G(z) after step − 1 updates: from step 2 on a preview shows the optimizer's work
        # (yielded before this step's backward pass, so the person sees it one pass sooner)
        if step == 2 or step % preview_every == 0:
            i = int(best_loss.argmin())
            yield ScribbleStep(step, iters, float(best_loss[i]), img[i:i + 1].detach())
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
    with torch.no_grad():
        if not nonfinite:
            img = G(z.detach())
            s, r = stroke_terms(img, strokes, mask, ref, keep)
            loss = s + w_rec * r + w_prior * latent_prior(z.detach())
            better = (loss < best_loss) & torch.isfinite(loss)
            best_z = torch.where(better[:, None], z.detach(), best_z)
        imgs = G(best_z)
        s, r = stroke_terms(imgs, strokes, mask, ref, keep)
        total = s + w_rec * r + w_prior * latent_prior(best_z)
        order = torch.argsort(total)
        history.append((time.perf_counter() - t0, step, float(s[order[0]])))
        renders = to_renders(imgs[order])
    return ScribbleResult(z=best_z[order].cpu().numpy().astype(np.float32), loss=total[order].cpu().numpy(),
                          masked_loss=s[order].cpu().numpy(), renders=renders, steps=step,
                          seconds=time.perf_counter() - t0, history=history, nonfinite=nonfinite)
