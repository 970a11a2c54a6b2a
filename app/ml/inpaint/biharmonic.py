"""Biharmonic fill: the smoothest surface through the known pixels.

Each colour channel inside the hole is the u that minimises the summed squared Laplacian, Σ (Δu)²,
the known pixels held fixed (Δ: the 4-neighbour grid graph's Laplacian, fewer neighbours on the crop's
edge, so the operator is symmetric). Where Telea and Navier–Stokes carry the border's values inward
(harmonic: level where the border is level), the biharmonic surface carries the border's slopes as
well: shading or a soft edge running into a thin stroke comes out the other side at the slope it went
in. A classical method (e.g. Damelin & Hoang 2018, "On surface completion and image inpainting by
biharmonic functions"); solved here by conjugate gradients on the normal equations (the Laplacian by
`cv2.filter2D`), started from the half-size solution (coarse to fine): ≈ 5–20 ms on a 64² crop, where
the content-aware fill weighs it in (content_aware.py). It converges slowly on large holes (a few
hundred px across); it is not used there. Across a wide hole it is a smooth dome, as blurred as any
diffusion; in brush strokes and across soft shading it is the best of the smooth fills.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Check = Callable[[], None]

NEIGHBOURS = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], np.float32)
ITERS = 400         # conjugate-gradient steps at a scale, at most (coarser scales only start the finer one)
TOL = 1e-3          # … or until the residual's norm is this share of the start's
BIG_LEVEL = 1 << 16  # on scales with more pixels than this …
BIG_ITERS = 48       # … at most this many steps (smoothest's docstring)
DEEP_REACH = 0.05    # fade_to_membrane: a fit kept to half this (× the crop's shorter side), gone by 1.5 × it


def _lap(x: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """The grid graph's Laplacian of (h, w, c) `x`: the 4 neighbours' sum (those inside the crop) less
    `degree` (how many there are) times the pixel."""
    return cv2.filter2D(x, -1, NEIGHBOURS, borderType=cv2.BORDER_CONSTANT).reshape(x.shape) - degree * x


def biharmonic(image: np.ndarray, hole: np.ndarray, *, iters: int = ITERS, tol: float = TOL,
               check: Check | None = None) -> np.ndarray:
    """`image` (h, w, c) or (h, w), any dtype; `hole` (h, w) bool. Returns float32 of the image's shape:
    the known pixels as they are, the hole's the biharmonic surface through them (a crop with no known
    pixel: all 0)."""
    return smoothest(image, hole, 2, iters=iters, tol=tol, check=check)


def harmonic(image: np.ndarray, hole: np.ndarray, *, iters: int = ITERS, tol: float = TOL,
             check: Check | None = None) -> np.ndarray:
    """As `biharmonic`, with the membrane instead: the hole's pixels the mean of their 4 neighbours (Δu = 0),
    the known pixels held fixed. The Poisson seam of a large fill solves this for its correction (blend.py)."""
    return smoothest(image, hole, 1, iters=iters, tol=tol, check=check)


def smoothest(image: np.ndarray, hole: np.ndarray, order: int, *, iters: int = ITERS, tol: float = TOL,
              check: Check | None = None) -> np.ndarray:
    """The u through the known pixels that minimises Σ |∇u|² (order 1: harmonic) or Σ (Δu)² (order 2:
    biharmonic) over the hole, by conjugate gradients on the hole's pixels (the operator (−Δ)^order restricted
    to them is symmetric positive definite), started from the half-size solution. On scales over `BIG_LEVEL`
    pixels the steps are capped at `BIG_ITERS`: the coarser scale has solved the smooth part, and what is left
    there is fine detail along the hole's edge, which the first steps remove."""
    hole = hole.astype(bool)
    img = image.astype(np.float32).reshape(hole.shape + (-1,))
    if not hole.any() or hole.all():
        return np.zeros(image.shape, np.float32) if hole.all() else img.reshape(image.shape)
    u = np.where(hole[..., None], _coarse_start(img, hole, order, iters, tol, check), img).astype(np.float32)
    h, w = hole.shape
    if h * w > BIG_LEVEL:
        iters = min(iters, BIG_ITERS)
    degree = _lap(np.ones((h, w, 1), np.float32), np.zeros((h, w, 1), np.float32))
    inside = hole[..., None].astype(np.float32)

    def normal(x: np.ndarray) -> np.ndarray:      # (−Δ)^order on the hole's pixels
        for _ in range(order):
            x = -_lap(x, degree)
        return x * inside

    r = -normal(u)              # zero outside the hole: the known pixels never move
    p = r.copy()
    rr = (r * r).sum(axis=(0, 1), dtype=np.float64)
    stop = tol ** 2 * rr
    for k in range(iters):
        if np.all(rr <= stop):
            break
        if check is not None and k % 64 == 63:
            check()
        ap = normal(p)
        alpha = (rr / np.maximum((p * ap).sum(axis=(0, 1), dtype=np.float64), 1e-30)).astype(np.float32)
        u += alpha * p
        r -= alpha * ap
        rr_new = (r * r).sum(axis=(0, 1), dtype=np.float64)
        p = r + (rr_new / np.maximum(rr, 1e-30)).astype(np.float32) * p
        rr = rr_new
    return u.reshape(image.shape)


def _coarse_start(img: np.ndarray, hole: np.ndarray, order: int, iters: int, tol: float,
                  check: Check | None) -> np.ndarray:
    """The hole's first guess: the same solve at half size scaled back up (a pixel of the half-size
    crop is in its hole where any of its 2 × 2 block is), or the known pixels' mean on tiny crops."""
    h, w = hole.shape
    if min(h, w) < 16:
        return np.broadcast_to(img[~hole].mean(axis=0), img.shape)
    size = ((w + 1) // 2, (h + 1) // 2)
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
    small_hole = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    if small_hole.all():
        return np.broadcast_to(img[~hole].mean(axis=0), img.shape)
    coarse = smoothest(small, small_hole, order, iters=iters, tol=tol, check=check)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR).reshape(img.shape)


def fade_to_membrane(fill: np.ndarray, crop: np.ndarray, hole: np.ndarray, *, reach: float = DEEP_REACH,
                     check: Check | None = None) -> np.ndarray:
    """`fill` (uint8, the crop's hole filled) kept within half of `reach` × the crop's shorter side of the known
    pixels and faded into the harmonic membrane through them by 1.5 × that distance. For the frequency-selective fill of
    a hole that swallows nearly the whole crop (all of a photo but its edge, stop 62): its Fourier blocks, fitted
    far from any known pixel, drift into colours the photo does not have (green, pink, black blocks); the
    membrane only spreads the edge's own colours."""
    hole = hole.astype(bool)
    if not hole.any() or hole.all():
        return fill
    depth = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5)
    keep = np.clip(1.5 - depth / max(reach * min(hole.shape), 1.0), 0.0, 1.0)
    if keep[hole].min() >= 1.0:
        return fill
    membrane = np.clip(harmonic(crop, hole, check=check), 0, 255)
    out = fill.astype(np.float32) * keep[..., None] + membrane * (1.0 - keep[..., None])
    return np.where(hole[..., None], np.clip(np.rint(out), 0, 255), crop).astype(np.uint8)
