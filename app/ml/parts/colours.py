"""Colour a part edit may bring: what the face already has near there.

A person reads a redrawn mouth in the lips' colour as a mouth and a red-and-blue smear as a stain,
whatever the shape. The generator, asked to move a part on a face it draws poorly, can bring colours
the face has nowhere (the cap-wearer's mouth, a grey-blue patch for closed eyes). Two tools, neither
using the generator:

- `blotches`: the share of the redrawn pixels whose CIELAB colour is more than `BLOTCH_DELTA_E` from
  the colour of every original pixel within `REACH` generator pixels — the measure (bench, status)
  and part of how the candidates are ranked (app/ml/parts/runners.py);
- `keep_colours`: each redrawn pixel's chroma (a*, b*) clamped to within `CHROMA_LIMIT` of the chroma
  of the nearest such original colour; lightness, hence shape and shading, kept. The colours are
  found in the generator's frame and carried onto the photo crop, where each pixel inside the clipped
  area is clamped (fading with the clip's feather).
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.ml.latent import align

REACH = 8               # generator pixels (of a 64-px frame) a redrawn colour may come from …
BLOTCH_DELTA_E = 15.0   # … within this CIELAB distance (ΔE 76), or the pixel is a blotch
CHROMA_LIMIT = 10.0     # keep_colours: the most a redrawn pixel's chroma may differ from that colour's


FAR = -1e4             # an RGB value no colour is near: marks original pixels that do not count …
FAR_DIST = 1e6         # … (their squared Lab distance to any real colour is far above this)


def lab(rgb: np.ndarray) -> np.ndarray:
    """(…, 3) RGB 0…255 → float32 CIELAB (L 0…100); FAR pixels stay far from every colour."""
    far = (np.asarray(rgb) <= FAR).all(-1)
    out = cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    out[far] = 1e4
    return out


def nearest_colours(after: np.ndarray, before: np.ndarray, reach: int = REACH,
                    allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel of `after` (R, R, 3 RGB), the nearest colour (CIELAB) among the pixels of
    `before` within `reach` (scaled from a 64-px frame to R): (squared distance (R, R), that colour
    (R, R, 3) Lab). `allowed` (R, R) bool: only those original pixels count (the parts the edit
    involves: a mouth takes the lips' or the skin's colour, not the background's) — where none is
    within reach, any original pixel does."""
    if allowed is not None and np.asarray(allowed).any():
        dist, colour = nearest_colours(after, np.where(np.asarray(allowed)[..., None], before, FAR), reach)
        anyone = nearest_colours(after, before, reach)
        lost = dist > FAR_DIST
        dist[lost], colour[lost] = anyone[0][lost], anyone[1][lost]
        return dist, colour
    a, o = lab(after), lab(before)
    r = max(1, int(round(reach * after.shape[0] / 64)))
    h, w = a.shape[:2]
    padded = cv2.copyMakeBorder(o, r, r, r, r, cv2.BORDER_REFLECT)
    best = np.full((h, w), np.inf, np.float32)
    colour = np.zeros_like(a)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            there = padded[dy:dy + h, dx:dx + w]
            d = ((a - there) ** 2).sum(-1)
            closer = d < best
            best[closer] = d[closer]
            colour[closer] = there[closer]
    return best, colour


def blotches(after: np.ndarray, before: np.ndarray, area: np.ndarray, allowed: np.ndarray | None = None,
             reach: int = REACH, delta_e: float = BLOTCH_DELTA_E) -> float:
    """The share of the redrawn pixels (`area` ≥ ½; frames (R, R, 3) 0…255) whose colour is more
    than `delta_e` from every original colour within `reach` (of the `allowed` pixels, see
    `nearest_colours`); NaN when nothing was redrawn."""
    inside = np.asarray(area) >= 0.5
    if not inside.any():
        return float("nan")
    dist, _ = nearest_colours(after, before, reach, allowed)
    return float(np.mean(dist[inside] > delta_e ** 2))


def clamp_chroma(ab: np.ndarray, near: np.ndarray, limit: float = CHROMA_LIMIT) -> np.ndarray:
    """a*/b* (…, 2) moved to within `limit` of `near` (…, 2); unchanged where already within."""
    off = ab - near
    norm = np.linalg.norm(off, axis=-1, keepdims=True)
    return (near + off * np.minimum(1.0, limit / np.maximum(norm, 1e-6))).astype(np.float32)


def keep_colours(candidate: np.ndarray, reference: np.ndarray, weight: np.ndarray, warp: np.ndarray | None,
                 allowed: np.ndarray | None = None, R: int = 64) -> np.ndarray:
    """The composited crop (h, w, 3 uint8) with its redrawn pixels' chroma limited (see the module):
    the nearest original colour is found in the generator's frame, carried onto the crop, and each
    crop pixel's chroma clamped to it. `allowed` (R, R): see `nearest_colours`. Pixels where
    `weight` (h, w) is 0 come back byte for byte."""
    inside = weight > 0
    if not inside.any():
        return candidate
    h, w = candidate.shape[:2]
    if warp is None:
        _, near = nearest_colours(cv2.resize(candidate, (R, R), interpolation=cv2.INTER_AREA),
                                  cv2.resize(reference, (R, R), interpolation=cv2.INTER_AREA), allowed=allowed)
    else:
        _, near = nearest_colours(align.to_frame(candidate, warp, R), align.to_frame(reference, warp, R),
                                  allowed=allowed)
        inside &= align.frame_coverage(warp, (h, w), R) > 0.5
    # a crop pixel sits inside one frame pixel but may take the colour found for a neighbouring one
    # (a lip pixel next to skin): of the 3×3 nearest colours, the one closest to its own chroma
    padded = cv2.copyMakeBorder(near[..., 1:], 1, 1, 1, 1, cv2.BORDER_REPLICATE)
    ab = lab(candidate)[..., 1:]
    best_ab, best_d = ab.copy(), np.full((h, w), np.inf, np.float32)
    for dy in range(3):
        for dx in range(3):
            cell = np.ascontiguousarray(padded[dy:dy + R, dx:dx + R])
            up = (cv2.resize(cell, (w, h), interpolation=cv2.INTER_NEAREST) if warp is None
                  else align.from_frame(cell, warp, (h, w), smooth=False))
            d = ((ab - up) ** 2).sum(-1)
            closer = d < best_d
            best_d[closer] = d[closer]
            best_ab[closer] = up[closer]
    near_ab = best_ab
    out = lab(candidate)
    out[..., 1:] = ab + (clamp_chroma(ab, near_ab) - ab) * np.asarray(weight, np.float32)[..., None]
    rgb = np.clip(np.rint(cv2.cvtColor(out, cv2.COLOR_Lab2RGB) * 255.0), 0, 255).astype(np.uint8)
    return np.where(inside[..., None], rgb, candidate)


def tone_shift(after: np.ndarray, before: np.ndarray, weight: np.ndarray) -> float:
    """The mean grey-level change from `before` to `after` (h, w, 3), weighted by `weight` (h, w);
    NaN where the weight is 0 everywhere."""
    total = float(weight.sum())
    if total <= 0:
        return float("nan")
    grey = np.array([0.299, 0.587, 0.114], np.float32)
    change = (after.astype(np.float32) - before.astype(np.float32)) @ grey
    return float((change * weight).sum() / total)
