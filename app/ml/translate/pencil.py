"""Pencil sketches of faces, and how to judge one: the unpaired face ↔ pencil-sketch task of seed 004
(app/ml/train/cyclegan.py --task faces-pencil) and the `face2sketch` benchmark.

`pencil_sketch` draws a face the way a pencil portrait looks: dark contour lines where light turns to
dark (the face's outline, eyes, brows, nose, mouth, hair), soft grey shading in the dark areas with a
diagonal stroke texture, white paper elsewhere. It is made at 256² (a person's drawing size) and
shrunk to the face's size. With `rng` it varies line weight, shading strength and stroke direction.

Judging a sketch (all on the 0–255 grey scale, paper light, ink dark):
- `ink_fraction`: the share of pixels darker than INK (a line, not shading);
- `contour_band`: the face's own contours (mid-grey contours of the blurred face ∪ Canny edges),
  widened by `tol` pixels; `ink_on_contours`: the share of a sketch's ink that lies in that band.
  At 64² the band (tol 1) covers about half of a face, so ink thrown at random scores about 0.5:
  `contour_lift` divides by the band's share of the image (1 = no better than chance; the true
  pencil sketches score about 1.5).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from latentbrush.ml.tensors import batch_to_tensor, to_images
from latentbrush.ml.translate.drawings import line_drawing

INK = 128            # darker than this is ink (a line); the shading stays lighter
DRAW_SIZE = 256
EVAL_SEED = 5_000_011          # held-out faces of the face ↔ pencil task (training uses other seeds)
SKETCH_SEED_OFFSET = 1 << 20   # domain B's faces: a different stream, never the pair of a training face


def _grey(face: np.ndarray) -> np.ndarray:
    return face if face.ndim == 2 else cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)


def pencil_sketch(face: np.ndarray, size: int | None = None, *, rng: np.random.Generator | None = None) -> np.ndarray:
    """(h, w, 3) uint8 face → (size, size) uint8 pencil sketch (size defaults to the face's side)."""
    out_size = size or face.shape[0]
    big = cv2.resize(face, (DRAW_SIZE, DRAW_SIZE), interpolation=cv2.INTER_CUBIC)
    grey = _grey(big).astype(np.float32)
    s = DRAW_SIZE / 64
    r = (lambda lo, hi, mid: mid) if rng is None else (lambda lo, hi, mid: float(rng.uniform(lo, hi)))
    # soft lines: colour dodge of the grey image by its blurred negative (dark where the light changes)
    soft = cv2.GaussianBlur(grey, (0, 0), s * 1.4)
    base = cv2.GaussianBlur(grey, (0, 0), s * 0.6)
    dodge = np.clip(base * 255.0 / np.maximum(soft + 1.0, 1.0), 0, 255)
    dodge = 255 - (255 - dodge) * r(1.6, 2.4, 2.0)
    # shading: the dark areas in light grey, with a diagonal stroke texture
    shade_k = r(0.12, 0.22, 0.16)
    tone = cv2.GaussianBlur(grey, (0, 0), s * 2.0)
    lo, hi = np.percentile(tone, 2), np.percentile(tone, 98)
    darkness = np.clip((hi - tone) / max(hi - lo, 1.0), 0, 1)
    noise = (np.random.default_rng(7) if rng is None else rng).random((DRAW_SIZE, DRAW_SIZE)).astype(np.float32)
    angle = r(30, 60, 45)
    k = np.zeros((int(s * 5) | 1, int(s * 5) | 1), np.float32)
    c = k.shape[0] // 2
    cv2.line(k, (c - int(c * np.cos(np.radians(angle))), c + int(c * np.sin(np.radians(angle)))),
             (c + int(c * np.cos(np.radians(angle))), c - int(c * np.sin(np.radians(angle)))), 1.0, 1)
    strokes = cv2.filter2D(noise, -1, k / k.sum())
    strokes = (strokes - strokes.mean()) / (strokes.std() + 1e-6)
    shade = 255 - 255 * shade_k * darkness * np.clip(1 + 0.25 * strokes, 0.5, 1.5)
    # contour lines: a person's line drawing of the same face, in dark pencil grey
    lines = line_drawing(face, DRAW_SIZE, thickness=3, rng=rng).astype(np.float32) / 255.0
    lead = r(0.45, 0.7, 0.55)
    paper = dodge / 255.0 * shade / 255.0 * (1 - lead * (1 - lines))
    out = np.clip(paper * 255.0, 0, 255)
    if out_size != DRAW_SIZE:
        ink = cv2.resize(255 - out, (out_size, out_size), interpolation=cv2.INTER_AREA)
        out = 255 - ink
    return np.round(out).astype(np.uint8)


def ink_fraction(sketch: np.ndarray) -> float:
    return float((_grey(sketch) < INK).mean())


def contour_band(face: np.ndarray, tol: int = 1) -> np.ndarray:
    """Boolean (h, w): the face's own contours widened by tol pixels."""
    h = face.shape[0]
    lines = line_drawing(face, DRAW_SIZE, thickness=3)
    lines = cv2.resize(lines, (face.shape[1], h), interpolation=cv2.INTER_AREA) < 200
    g = cv2.GaussianBlur(_grey(face), (0, 0), max(h / 128, 0.5))
    med = float(np.median(g))
    edges = cv2.Canny(g, 0.66 * med, 1.33 * med) > 0
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tol + 1, 2 * tol + 1))
    return cv2.dilate((lines | edges).astype(np.uint8), k) > 0


def ink_on_contours(sketch: np.ndarray, face: np.ndarray, tol: int = 1, *, lift: bool = False) -> float:
    """Share of the sketch's ink that lies on the face's contours (nan when there is no ink);
    lift: divided by the share of the image the contours cover (1 = chance)."""
    ink = _grey(sketch) < INK
    if not ink.any():
        return float("nan")
    band = contour_band(face, tol)
    on = float((ink & band).sum() / ink.sum())
    return on / max(float(band.mean()), 1e-6) if lift else on


def sketch_report(sketches: np.ndarray, faces: np.ndarray) -> dict[str, float]:
    """What a person sees of sketches (N, h, w[, 3]) of faces (N, h, w, 3): brightness, ink share,
    ink on the face's contours (means over the set)."""
    on = np.array([ink_on_contours(s, f) for s, f in zip(sketches, faces, strict=True)])
    lift = np.array([ink_on_contours(s, f, lift=True) for s, f in zip(sketches, faces, strict=True)])
    nan = float("nan")
    return {"brightness": float(np.mean([_grey(s).mean() for s in sketches])),
            "ink": float(np.mean([ink_fraction(s) for s in sketches])),
            "ink_on_contours": float(np.nanmean(on)) if not np.isnan(on).all() else nan,
            "contour_lift": float(np.nanmean(lift)) if not np.isnan(lift).all() else nan}


def faces_and_pencils(G, n: int, gen: torch.Generator, rng: np.random.Generator | None, device):
    """(faces (n, 3, R, R), their pencil sketches (n, 3, R, R) grey in 3 channels), both in [-1, 1]."""
    with torch.no_grad():
        x = G(torch.randn(n, G.nz, generator=gen).to(device)).clamp(-1, 1)
    sk = np.stack([np.repeat(pencil_sketch(f, rng=rng)[..., None], 3, 2) for f in to_images(x)])
    return x, batch_to_tensor(sk, device)
