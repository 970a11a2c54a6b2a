"""What a hole's surroundings are, for the texture mode of quilt.py (stop 63): whether their edges run one way, how
much their broad light changes against the texture's strength, and how much of the texture's contrast a fill kept.
"""

from __future__ import annotations

import cv2
import numpy as np

PERIODIC_PX = 1 << 20   # `periodic` judges a larger area on a copy scaled down to about this many pixels
TILE = 256              # … and an area 1.5 × this long (and this wide) by its windows this large too


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


def periodic(img: np.ndarray, hole: np.ndarray, sigma: float) -> float:
    """How regular the texture around the hole is: the highest peak of the band's autocorrelation (the band finer
    than a blur of `sigma`, over the known pixels, normalised by their overlap, shifts that keep half of them) outside
    its central lobe (where it stays above 0.1). Scikit-image's brick wall 0.26 as a whole, 0.3–0.5 in the crops the
    editor fills; boards or a drawn wall 1.0; grass and gravel 0.10, stretched one way too (0.10–0.12), a blob
    texture stretched 4 × 0.11–0.23: a texture whose edges run one way but which is random along them is quilted, a
    regular one redrawn from patches (its courses must line up; quilt.REGULAR). An area 1.5 `TILE` long or more
    (stop 64: a brush stroke across a whole photo) scores at least the median over the `TILE`-px windows that hold
    some of the hole and are half known: a wall seen in perspective lines up within a window, not across the photo
    (helper 80: a 60-px stroke across the brick photo, 0.24–0.26 as a whole, was quilted into a jumble of blocks;
    its windows 0.46–0.67, median 0.54–0.56; the blob texture stretched 4 ×, windows' median 0.21–0.25)."""
    g = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY).astype(np.float32)
    known = (~hole.astype(bool)).astype(np.float32)
    d = int(np.ceil(np.sqrt(g.size / PERIODIC_PX)))
    if d > 1:       # a full-size photo's surroundings: judged on a copy of about PERIODIC_PX pixels
        size = (max(1, g.shape[1] // d), max(1, g.shape[0] // d))
        g, sigma = cv2.resize(g, size, interpolation=cv2.INTER_AREA), sigma / d
        known = cv2.resize(known, size, interpolation=cv2.INTER_AREA)
        known = (known > 0.999).astype(np.float32)
    whole = _peak(g, known, sigma)
    h, w = g.shape
    if max(h, w) < 1.5 * TILE or min(h, w) < TILE:
        return whole
    step = TILE // 2
    windows = [(y, x) for y in range(0, h - TILE + 1, step) for x in range(0, w - TILE + 1, step)
               if 0.5 <= known[y:y + TILE, x:x + TILE].mean() < 1.0]
    if len(windows) < 3:
        return whole
    local = [_peak(g[y:y + TILE, x:x + TILE], known[y:y + TILE, x:x + TILE], sigma) for y, x in windows]
    return max(whole, float(np.median(local)))


def _peak(g: np.ndarray, known: np.ndarray, sigma: float) -> float:
    """`periodic`'s figure of one area: grey `g`, `known` (0/1 float) of the same shape."""
    band = (g - cv2.GaussianBlur(g, (0, 0), sigma)) * known
    h, w = band.shape
    size = (cv2.getOptimalDFTSize(2 * h), cv2.getOptimalDFTSize(2 * w))
    fb, fk = np.fft.rfft2(band, size), np.fft.rfft2(known, size)
    num = np.fft.fftshift(np.fft.irfft2(fb * np.conj(fb), size))
    cnt = np.fft.fftshift(np.fft.irfft2(fk * np.conj(fk), size))
    cy, cx = size[0] // 2, size[1] // 2
    ok = cnt > 0.5 * cnt[cy, cx]            # shifts with at least half of the known pixels overlapping
    acf = np.where(ok, num / np.maximum(cnt, 1.0), 0.0)
    acf /= max(float(acf[cy, cx]), 1e-6)
    _, lab = cv2.connectedComponents((acf > 0.1).astype(np.uint8))
    outside = ok & (lab != lab[cy, cx])
    return float(acf[outside].max()) if outside.any() else 0.0
