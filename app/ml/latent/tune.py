"""Per-photo generator tuning ("pivotal tuning", Roich et al. 2021) for real photos.

A 64-px generator trained on synthetic faces cannot express a person's own face: the best latent
(the *pivot* z_p, from projection) reaches ≈ 17–19 dB. Pivotal tuning keeps z_p fixed and tunes a
copy of the generator's *weights* so that G'(z_p) reproduces the photo, while a locality term keeps
G' equal to the original G on latents around the pivot — so that directions, scribbles and part
edits, which move z away from z_p, keep acting as they did on the original generator:

    L = mse(G'(z_p), x) + w_ssim·(1 − ssim(G'(z_p), x))                     the photo
      + w_local · mean_j mse(G'(z_j), G(z_j)),  z_j = z_p + r·u_j            around the pivot

u_j are random unit directions and r the distance of a typical edit (a slider at ±2…3 moves z by
2…3; part edits by ≈ 6). The targets G(z_j) are rendered once up front, so a step costs one
forward/backward of G' on 1 + `local_batch` latents.

The result is stored as a weight *delta* (float16 numpy arrays per parameter), which the document
keeps in its latent state (undo, project files) and the worker turns back into a module.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from latentbrush.core.requests import TUNE_BUDGET_S, TUNE_LOCALITY
from latentbrush.ml import metrics
from latentbrush.ml.latent.optimize import schedule
from latentbrush.ml.tensors import to_renders

S = metrics.SIGNED

# the app's settings (measured in `latentbrush bench realphoto`)
TUNE_STEPS = 120
TUNE_LR = 1e-3
TUNE_MIN_STEPS = 30     # a slow or busy machine still gets a usable fit, past the budget if need be (an idle
                        # 2-core machine reaches ≈ 40 steps in the budget with the editor's 1 torch thread)
LOCAL_T = 0.5           # locality latents: slerp(pivot, random sample, t ≥ LOCAL_T)
LOCAL_WEIGHT = TUNE_LOCALITY


@dataclass(frozen=True)
class TuneStep:
    step: int
    total: int
    loss: float
    psnr: float                  # fit of G'(z_p) to the target, dB
    image: torch.Tensor          # (1, 3, R, R) G'(z_p) in [-1, 1]


@dataclass
class TuneResult:
    delta: dict[str, np.ndarray]     # parameter name → float16 (tuned − original)
    render: np.ndarray               # (R, R, 3) float32 0..255: G'(z_p)
    psnr_before: float
    psnr: float
    local_mse: float                 # mean squared change of G around the pivot ([0, 1] scale)
    steps: int
    seconds: float
    nonfinite: bool = False


def tunable_names(G: nn.Module, layers: str = "all") -> list[str]:
    """The parameter names tuned: "all", or "late" (everything after the first block)."""
    names = [n for n, p in G.named_parameters()]
    if layers == "all":
        return names
    if layers == "late":
        return [n for n in names if not n.startswith(("main.0.", "main.1."))]
    raise ValueError(f"unknown layer set {layers!r} (all | late)")


def apply_delta(G: nn.Module, delta: Mapping[str, np.ndarray]) -> nn.Module:
    """A copy of G with the delta added to its parameters (G itself is not touched)."""
    Gt = copy.deepcopy(G)
    params = dict(Gt.named_parameters())
    unknown = sorted(set(delta) - set(params))
    if unknown:
        raise KeyError(f"the tuning does not fit this generator: unknown parameters {unknown[:3]}")
    with torch.no_grad():
        for name, d in delta.items():
            p = params[name]
            if tuple(d.shape) != tuple(p.shape):
                raise ValueError(f"the tuning does not fit this generator: {name} is {tuple(p.shape)}, "
                                 f"the tuning has {tuple(d.shape)}")
            p.add_(torch.from_numpy(np.asarray(d, np.float32)).to(p.device, p.dtype))
    Gt.eval()
    for p in Gt.parameters():
        p.requires_grad_(False)
    return Gt


def delta_digest(delta: Mapping[str, np.ndarray]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for name in sorted(delta):
        h.update(name.encode())
        h.update(np.ascontiguousarray(delta[name]).tobytes())
    return h.hexdigest()


def locality_latents(zp: torch.Tensor, n: int, t_min: float, gen: torch.Generator) -> torch.Tensor:
    """(n, nz) latents on the way from the pivot (1, nz) to random samples z_s ~ N(0, I): a
    spherical interpolation at t ∈ [t_min, 1]. Far enough that the tuned identity may spread over
    the pivot's neighbourhood (where edits go), near enough to pin the generator's other faces."""
    zs = torch.randn(n, zp.shape[1], generator=gen).to(zp.device)
    t = (t_min + (1 - t_min) * torch.rand(n, 1, generator=gen)).to(zp.device)
    a, b = zp / zp.norm(dim=1, keepdim=True).clamp_min(1e-8), zs / zs.norm(dim=1, keepdim=True).clamp_min(1e-8)
    omega = torch.acos((a * b).sum(1, keepdim=True).clamp(-1 + 1e-6, 1 - 1e-6))
    so = torch.sin(omega)
    direction = (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b
    norm = (1 - t) * zp.norm(dim=1, keepdim=True) + t * zs.norm(dim=1, keepdim=True)
    return direction * norm


def tune(G: nn.Module, z_pivot: torch.Tensor, target: torch.Tensor, *, steps: int = TUNE_STEPS,
         lr: float = TUNE_LR, layers: str = "all", w_ssim: float = 0.1, w_local: float = LOCAL_WEIGHT,
         local_t: float = LOCAL_T, local_pool: int = 32, local_batch: int = 3,
         time_budget: float | None = TUNE_BUDGET_S, preview_every: int = 10, seed: int = 0,
         weight: torch.Tensor | None = None, min_steps: int = TUNE_MIN_STEPS,
         check: Callable[[], None] | None = None) -> Generator[TuneStep, None, TuneResult]:
    """z_pivot (nz,), target (1, 3, R, R) in [-1, 1] on G's device. G is not modified.
    `weight` (1, 1, R, R) in [0, 1]: how much each target pixel counts (0 = unknown, a hole).
    Yields a TuneStep every `preview_every` steps; stops at `steps` or `time_budget` seconds
    (cosine learning rate over whichever is further) but not before `min_steps`; on NaN keeps the
    last good weights."""
    if target.dim() != 4 or target.shape[0] != 1 or target.shape[-1] != G.resolution:
        raise ValueError(f"target must be (1, 3, {G.resolution}, {G.resolution}), got {tuple(target.shape)}")
    t0 = time.perf_counter()
    dev = target.device
    names = tunable_names(G, layers)
    Gt = copy.deepcopy(G).eval()
    params = dict(Gt.named_parameters())
    for n, p in params.items():
        p.requires_grad_(n in names)
    original = {n: params[n].detach().clone() for n in names}
    zp = z_pivot.reshape(1, -1).to(dev)
    gen = torch.Generator().manual_seed(seed)
    use_local = w_local > 0 and local_batch > 0
    with torch.no_grad():
        first = G(zp)
        psnr_before = float(metrics.psnr(first.clamp(-1, 1), target, data_range=S))
        if use_local:
            z_loc = locality_latents(zp, local_pool, local_t, gen)
            y_loc = G(z_loc)
    opt = torch.optim.Adam([params[n] for n in names], lr=lr, betas=(0.9, 0.999))
    good = {n: params[n].detach().clone() for n in names}
    step, nonfinite, last_local = 0, False, 0.0
    img = first
    for step in range(1, steps + 1):
        step_lr = schedule(t0, step, steps, time_budget, lr, 0.1, check)
        if step_lr is None:
            if step > min(min_steps, steps):
                step -= 1
                break
            step_lr = 0.1 * lr          # over budget: finish the minimum at the schedule's floor
        opt.param_groups[0]["lr"] = step_lr
        if use_local:
            idx = torch.randint(0, local_pool, (local_batch,), generator=gen).to(dev)
            out = Gt(torch.cat([zp, z_loc[idx]]))
            img, loc = out[:1], out[1:]
            local = (loc - y_loc[idx]).pow(2).mean() / 4       # [-1, 1] → [0, 1] scale
        else:
            img = Gt(zp)
            local = torch.zeros((), device=dev)
        seen = img if weight is None else img * weight + target * (1 - weight)
        fit = (seen - target).pow(2).mean() / 4
        loss = fit + w_local * local
        if w_ssim:
            loss = loss + w_ssim * (1 - metrics.ssim(seen.clamp(-1, 1), target, data_range=S).mean())
        if not torch.isfinite(loss):
            nonfinite = True
            break
        good = {n: params[n].detach().clone() for n in names} if step % 10 == 1 else good
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        last_local = float(local.detach())
        if step % preview_every == 0:
            with torch.no_grad():
                cur = Gt(zp).clamp(-1, 1)
            yield TuneStep(step, steps, float(loss.detach()), float(metrics.psnr(cur, target, data_range=S)), cur)
    with torch.no_grad():
        bad = any(not torch.isfinite(p).all() for p in params.values())
        if nonfinite or bad:
            nonfinite = True
            for n in names:
                params[n].copy_(good[n])
        final = Gt(zp).clamp(-1, 1)
        psnr = float(metrics.psnr(final, target, data_range=S))
        delta = {n: (params[n] - original[n]).cpu().numpy().astype(np.float16) for n in names}
    render = to_renders(final)[0]
    return TuneResult(delta=delta, render=render, psnr_before=psnr_before, psnr=psnr, local_mse=last_local,
                      steps=step, seconds=time.perf_counter() - t0, nonfinite=nonfinite)
