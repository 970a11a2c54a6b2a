"""The one latent optimisation loop, shared by projection (latent/projection.py), colour scribbles
(latent/scribble.py) and part edits (parts/edit.py).

The caller gives K starting latents and an objective: latents (N, nz) → an `Evaluation` (the
per-candidate loss to minimise, the renderings, and the score that says which latent is best —
lower is better; the loss itself unless given). The loop, in the manner of StyleGAN2-ADA's
projector.py:

    for step = 1 … steps:
        cancel check; learning rate on a cosine schedule (stop once the time budget is spent)
        Adam: evaluate the latents, then (below) update them; L-BFGS: update, then evaluate
        each candidate keeps its best latent so far (a finite score below its best)
        yield a LatentStep every step (`preview` set on the preview cadence)
        stop on NaN/Inf, keeping the last good latents
    Adam: evaluate the last latents too (the loop's losses belong to the latents before an update)
    re-evaluate the best latents and rank them, best first

The callers turn the steps into their own previews and histories (core.jobs.relay).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import torch

OPTIMIZERS = ("adam", "lbfgs")


def latent_prior(z: torch.Tensor) -> torch.Tensor:
    """(N, nz) → (N,): (‖z‖²/nz − 1)², zero on the typical shell of N(0, I)."""
    return (z.pow(2).mean(1) - 1).pow(2)


def schedule(t0: float, step: int, steps: int, time_budget: float | None, base_lr: float, floor: float,
             check: Callable[[], None] | None = None) -> float | None:
    """The shared preamble of an optimisation step: a cancel check, then the learning rate
    (cosine from base_lr down to floor·base_lr over the steps or the time budget, whichever is
    further), or None once the time budget is spent."""
    if check is not None:
        check()
    elapsed = time.perf_counter() - t0
    if time_budget is not None and elapsed > time_budget:
        return None
    frac = min(max(step / steps, elapsed / time_budget if time_budget else 0.0), 1.0)
    return base_lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac)))


@dataclass
class Evaluation:
    """What an objective says about N latents."""

    loss: torch.Tensor                   # (N,) minimised: its sum is back-propagated
    image: torch.Tensor                  # (N, 3, R, R) the renderings, in [-1, 1]
    score: torch.Tensor | None = None    # (N,) lower is better (best-so-far, ranking); default the loss
    terms: dict[str, torch.Tensor] = field(default_factory=dict)   # other (N, …) figures for the caller

    def __post_init__(self) -> None:
        if self.score is None:
            self.score = self.loss.detach()

    def rows(self, index: torch.Tensor) -> Evaluation:
        """The same evaluation for the latents `index` (e.g. in rank order)."""
        return Evaluation(self.loss[index], self.image[index], self.score[index],
                          {k: v[index] for k, v in self.terms.items()})


@dataclass(frozen=True)
class LatentStep:
    step: int
    total: int
    evaluation: Evaluation       # of the latents at this step (Adam: before this step's update)
    better: torch.Tensor         # (K,) bool: the candidates whose best improved at this step
    best: int                    # the candidate with the lowest best score so far
    best_z: torch.Tensor         # (K, nz) each candidate's best latent so far
    best_score: torch.Tensor     # (K,) and its score
    preview: bool                # on the preview cadence (never on a step that hit NaN/Inf)


@dataclass
class Outcome:
    z: torch.Tensor                  # (K, nz) the best latents, ranked best first
    score: torch.Tensor              # (K,) their scores (from the final evaluation when re-evaluated)
    evaluation: Evaluation | None    # the final evaluation in rank order (None without re-evaluation)
    steps: int                       # steps taken (the one that hit NaN/Inf included)
    nonfinite: bool                  # stopped on NaN/Inf; the last good latents are kept


def optimize_latents(z0: torch.Tensor, objective: Callable[[torch.Tensor], Evaluation], *, steps: int,
                     lr: float, lr_floor: float, optimizer: str = "adam", time_budget: float | None = None,
                     preview_every: int = 10, preview_steps: Sequence[int] = (),
                     start_score: torch.Tensor | None = None, reevaluate: bool = True,
                     t0: float | None = None,
                     check: Callable[[], None] | None = None) -> Generator[LatentStep, None, Outcome]:
    """Minimise objective(z).loss over the K latents z0 (K, nz), all at once.

    lr, lr_floor: Adam's cosine schedule, from lr down to lr_floor·lr (L-BFGS steps at lr 1 with a
    line search). preview_every, preview_steps: the steps flagged `preview`. start_score (K,): the
    starts' scores when the caller evaluated them (best-so-far begins there, else at +inf).
    reevaluate: rank by a final evaluation of the best latents (else by their best scores).
    t0: when the time budget began (default now). check: called each step; raises to cancel."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r} (adam | lbfgs)")
    t0 = time.perf_counter() if t0 is None else t0
    z = z0.detach().clone().requires_grad_(True)
    if optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam([z], lr=lr)
    else:
        opt = torch.optim.LBFGS([z], lr=1.0, max_iter=1, history_size=20, line_search_fn="strong_wolfe")
    best_z = z0.detach().clone()
    if start_score is None:
        best_score = torch.full((len(z0),), float("inf"), device=z0.device)
    else:
        best_score = start_score.detach().clone()

    def keep_best(zz: torch.Tensor, ev: Evaluation) -> tuple[torch.Tensor, bool]:
        """Update each candidate's best; → (which improved, whether all were finite)."""
        nonlocal best_z, best_score
        with torch.no_grad():
            finite = torch.isfinite(ev.loss.detach()) & torch.isfinite(zz.detach()).all(1)
            better = (ev.score < best_score) & finite
            best_score = torch.where(better, ev.score, best_score)
            best_z = torch.where(better[:, None], zz.detach(), best_z)
        return better, bool(finite.all())

    step, nonfinite = 0, False
    for step in range(1, steps + 1):
        step_lr = schedule(t0, step, steps, time_budget, lr, lr_floor, check)
        if step_lr is None:
            step -= 1
            break
        if optimizer == "adam":
            opt.param_groups[0]["lr"] = step_lr
            ev = objective(z)
        else:
            def closure() -> torch.Tensor:
                opt.zero_grad(set_to_none=True)
                total = objective(z).loss.sum()
                total.backward()
                return total
            opt.step(closure)
            with torch.no_grad():
                ev = objective(z)
        better, finite = keep_best(z, ev)
        nonfinite = not finite
        preview = finite and (step % preview_every == 0 or step in preview_steps)
        yield LatentStep(step, steps, ev, better, int(best_score.argmin()), best_z, best_score, preview)
        if nonfinite:
            break                   # NaN/Inf: stop here, keep the last good latents
        if optimizer == "adam":
            opt.zero_grad(set_to_none=True)
            ev.loss.sum().backward()
            opt.step()
    with torch.no_grad():
        if steps and optimizer == "adam" and not nonfinite:
            keep_best(z, objective(z.detach()))     # the loop's losses belong to z before its update
        if not reevaluate:
            order = torch.argsort(best_score, stable=True)
            return Outcome(best_z[order], best_score[order], None, step, nonfinite)
        final = objective(best_z)
        order = torch.argsort(final.score)
        return Outcome(best_z[order], final.score[order], final.rows(order), step, nonfinite)
