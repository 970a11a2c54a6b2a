"""Sketch → face through the generator (iGAN's sketch constraint): find latents whose face has its
lines where the person drew them, so the result is always one of the generator's faces (no
speckle, no blob), starting from the sketch translator's guess.

A person's drawing traces where a face turns from light to dark (app/ml/translate/drawings.py). For
a candidate face G(z) the same is computed softly: its grey level, blurred, through a sigmoid at
the middle of its own range — s ∈ (0, 1), ½ on its contours. For K candidates at once:

    loss = w_on  · mean over drawn pixels of (2s − 1)²              contours lie on the lines
         + w_off · Σ |∇s| · d / Σ |∇s|                               and not far from them (d: distance
                                                                     to the nearest line, capped, 0…1)
         + w_look · ‖blur(G(z)) − blur(guess)‖²                      colours and light of the guess
         + w_mid  · ‖band(G(z)) − band(guess)‖²                      and its features, no others (band:
                                                                     blur at 1 px − blur at 3 px)
         + w_prior · (‖z‖²/nz − 1)²

The band term keeps the generator from drawing what the lines allow but the drawing does not hold:
eye outlines drawn as ellipses were met by faces in glasses (a helper's face drawn from memory), whose
rims put contours on the ellipses; the translator draws no rims there (or faint ones), and the band
term ranks such faces down. `latentbrush bench drawings`, 64 held-out faces, refined, gain over the
average face, without → with it (stop 54's translator; for the one fine-tuned since, see README):
traced drawings +3.34 → +3.36 dB (speckle 0.52 → 0.36), 9 real portraits +2.02 → +2.05, the 64
faces drawn from memory −2.27 → −2.28 dB with no glasses or rainbow fringes left among them; on the
helper's drawing the rims fade but stay faint, as that translator draws them.

The guess is the translator's output (its colours are the best estimate a drawing allows); the
candidates start from the encoder's latent of the guess and from random latents, run through the
shared loop (latent/optimize.py) and are ranked by the line terms plus the look and band terms.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from latentbrush.core.jobs import relay
from latentbrush.ml.latent.optimize import Evaluation, LatentStep, latent_prior, optimize_latents

LINE = 0.25           # ink above this (0…1, at the generator's size) is a drawn line
FAR = 6.0             # distances to the nearest line are capped here (generator pixels)
GREY = (0.299, 0.587, 0.114)
MID_WEIGHT = 150.0    # w_mid: at 3 it changed nothing; 30, 150 and 500 scored alike (24 faces per set, experiment)
MID_SIGMAS = (1.0, 3.0)
SMILE_WEIGHT = 0.05   # w_smile, per σ² away from the smile a drawn mouth asks for


@dataclass(frozen=True)
class SmileAsk:
    """A smile a drawing asks for: σ along the generator's unit smile `direction` (nz,), and where the mouth
    is (`mouth`: (1, 1, R, R) 0…1, the drawn mouth's box grown, softened), which the band term leaves free."""

    direction: torch.Tensor
    sigma: float
    mouth: torch.Tensor


@dataclass(frozen=True)
class DrawingStep:
    step: int
    total: int
    loss: float
    image: torch.Tensor          # (1, 3, R, R) the best candidate so far, in [-1, 1]


@dataclass
class DrawingResult:
    z: torch.Tensor              # (K, nz) ranked best first
    images: torch.Tensor         # (K, 3, R, R) in [-1, 1]
    line_loss: np.ndarray        # (K,) the line terms of each
    steps: int
    seconds: float


def _kernel(sigma: float) -> torch.Tensor:
    r = max(1, int(3 * sigma + 0.5))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-t * t / (2 * sigma * sigma))
    return k / k.sum()


def blur(img: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W), edges replicated."""
    k = _kernel(sigma).to(img)
    c, r = img.shape[1], len(k) // 2
    img = F.conv2d(F.pad(img, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(img, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def light_dark(img: torch.Tensor, *, sigma: float = 1.5, softness: float = 0.04) -> torch.Tensor:
    """(N, 3, R, R) in [-1, 1] → (N, 1, R, R): ~0 dark, ~1 light, ½ on the mid-grey contours."""
    g = blur((img * torch.tensor(GREY, device=img.device).view(1, 3, 1, 1)).sum(1, keepdim=True), sigma)
    flat = g.flatten(1)
    lo = torch.quantile(flat, 0.02, dim=1).view(-1, 1, 1, 1)
    hi = torch.quantile(flat, 0.98, dim=1).view(-1, 1, 1, 1)
    return torch.sigmoid((g - (lo + hi) / 2) / (softness * (hi - lo) + 1e-3))


def _gradient(s: torch.Tensor) -> torch.Tensor:
    gx = F.pad((s[..., :, 1:] - s[..., :, :-1]).abs(), (0, 1))
    gy = F.pad((s[..., 1:, :] - s[..., :-1, :]).abs(), (0, 0, 0, 1))
    return gx + gy


@dataclass(frozen=True)
class Lines:
    """A drawing at the generator's size: where the lines are and how far each pixel is from one."""

    on: torch.Tensor             # (1, 1, R, R) 1 on drawn lines
    far: torch.Tensor            # (1, 1, R, R) distance to the nearest line, 0…1

    @classmethod
    def from_sketch(cls, sketch: np.ndarray, size: int, device: torch.device | str = "cpu") -> Lines:
        """sketch: (h, w) uint8, 255 paper, 0 line (any size; area-averaged to size²)."""
        ink = cv2.resize(255 - np.asarray(sketch, np.uint8), (size, size), interpolation=cv2.INTER_AREA)
        on = np.clip(ink.astype(np.float32) / 255 * 1.6, 0, 1) > LINE
        if not on.any():
            raise ValueError("the sketch has no lines: draw the face's outline, eyes, nose and mouth")
        far = cv2.distanceTransform((~on).astype(np.uint8), cv2.DIST_L2, 3)
        far = np.minimum(far, FAR) / FAR
        return cls(torch.from_numpy(on.astype(np.float32))[None, None].to(device),
                   torch.from_numpy(far.astype(np.float32))[None, None].to(device))


def line_terms(img: torch.Tensor, lines: Lines) -> tuple[torch.Tensor, torch.Tensor]:
    """(N,) contours-on-lines and contours-off-lines terms of faces (N, 3, R, R)."""
    s = light_dark(img)
    on = ((2 * s - 1) ** 2 * lines.on).flatten(1).sum(1) / lines.on.sum().clamp_min(1e-3)
    g = _gradient(s)
    off = (g * lines.far).flatten(1).sum(1) / g.flatten(1).sum(1).clamp_min(1e-3)
    return on, off


def fit_drawing(G: nn.Module, lines: Lines, guess: torch.Tensor, starts: torch.Tensor, *, steps: int = 120,
                lr: float = 0.05, w_on: float = 1.0, w_off: float = 1.0, w_look: float = 0.3,
                w_prior: float = 0.1, look_sigma: float = 3.0, w_mid: float = MID_WEIGHT,
                mid_sigmas: tuple[float, float] = MID_SIGMAS,
                smile: SmileAsk | None = None, w_smile: float = SMILE_WEIGHT,
                time_budget: float | None = None,
                preview_every: int = 10, check: Callable[[], None] | None = None
                ) -> Generator[DrawingStep, None, DrawingResult]:
    """Optimise the K latents `starts` (K, nz) so G's faces follow `lines` and look like `guess`
    (1, 3, R, R) in [-1, 1] at low frequencies; yields previews, returns the candidates ranked.
    `smile`: the smile a drawn mouth asks for (translate/mouth.py): the latents are started there and held
    there by w_smile · (z·d − σ)², and the band term leaves the mouth to it."""
    t0 = time.perf_counter()
    look_target = blur(guess, look_sigma)
    band_target = blur(guess, mid_sigmas[0]) - blur(guess, mid_sigmas[1])

    band_weight = 1.0
    if smile is not None:
        d = smile.direction.to(starts)
        starts = starts + (smile.sigma - starts @ d)[:, None] * d
        band_weight = 1.0 - smile.mouth.to(guess)

    def evaluate(z: torch.Tensor) -> Evaluation:
        img = G(z)
        on, off = line_terms(img, lines)
        look = (blur(img, look_sigma) - look_target).pow(2).flatten(1).mean(1)
        score = w_on * on + w_off * off + w_look * look
        if smile is not None:
            score = score + w_smile * (z @ d - smile.sigma).pow(2)
        if w_mid:
            band = blur(img, mid_sigmas[0]) - blur(img, mid_sigmas[1])
            score = score + w_mid * ((band - band_target).pow(2) * band_weight).flatten(1).mean(1)
        return Evaluation(score + w_prior * latent_prior(z), img, score.detach(),
                          terms={"lines": (w_on * on + w_off * off).detach()})

    def progress(st: LatentStep) -> DrawingStep | None:
        if not st.preview:
            return None
        i = st.best
        return DrawingStep(st.step, st.total, float(st.best_score[i]), st.evaluation.image[i:i + 1].detach())

    out = yield from relay(optimize_latents(starts, evaluate, steps=steps, lr=lr, lr_floor=0.1,
                                            time_budget=time_budget, preview_every=preview_every, t0=t0,
                                            check=check), progress)
    final = out.evaluation
    return DrawingResult(out.z, final.image.detach().clamp(-1, 1), final.terms["lines"].cpu().numpy(),
                         out.steps, time.perf_counter() - t0)
