"""What a hole's surroundings are, for the texture mode of quilt.py (stop 63): whether their edges run one way, how
much their broad light changes against the texture's strength, and how much of the texture's contrast a fill kept.
"""

from __future__ import annotations

import cv2
import numpy as np


def oriented(band: np.ndarray, known: np.ndarray) -> float:
    """How much the edges of `band` over the `known` pixels run one way: the coherence of their summed structure
    tensor, 0 (every way: gravel 0.05, grass 0.01) … 1 (one way: a brick wall's courses 0.6). Quilted blocks do not
    line such courses up across a hole (a broken wall); they are redrawn from patches instead (content_aware.py)."""
    gx = cv2.Sobel(band, cv2.CV_32F, 1, 0)[known]
    gy = cv2.Sobel(band, cv2.CV_32F, 0, 1)[known]
    jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    return float(np.hypot(jxx - jyy, 2 * jxy) / max(jxx + jyy, 1e-6))


def uneven(colours: np.ndarray, cells: np.ndarray, unknown: np.ndarray) -> float:
    """How much the broad light changes around the hole against the texture's own strength: the spread (RMS over
    the channels) of the block-mean `colours` over the known cells / the band's RMS there (`cells`: its log1p
    energy). A lawn, gravel, bricks: 0.18–0.28, a finer blob texture 0.54 (one texture, evenly lit); a scene: 1.4 (a
    model shuttle before a wall, the astronaut's hair and face beside it, which texture mode copied into the wall),
    2.1 (a cat's eye)."""
    known = ~unknown
    if known.sum() < 4:
        return float("inf")
    smooth = cv2.GaussianBlur(colours, (0, 0), 1.0)     # (a block's mean is noisier than the broad light)
    spread = float(np.sqrt(smooth[known].var(axis=0).sum()))
    return spread / max(float(np.sqrt(np.expm1(cells[known]).mean())), 1e-6)


def band_ratio(img: np.ndarray, hole: np.ndarray, sigma: float) -> float:
    """The band finer than a blur of `sigma` (grey, RMS) inside the hole, less a rim of σ, against a ring of 2σ
    around it: near 1 where a fill has the texture's contrast, low where it came out flat."""
    g = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY).astype(np.float32)
    band = g - cv2.GaussianBlur(g, (0, 0), sigma)
    h8 = hole.astype(np.uint8)
    r = max(1, int(round(sigma)))
    inner = cv2.erode(h8, np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0
    ring = (cv2.dilate(h8, np.ones((4 * r + 1, 4 * r + 1), np.uint8)) > 0) & ~hole.astype(bool)
    if inner.sum() < 16 or ring.sum() < 16:
        return 1.0
    return float(np.sqrt(np.mean(band[inner] ** 2)) / max(np.sqrt(np.mean(band[ring] ** 2)), 1e-6))
