"""Line drawings as a person makes them: the outline of the face, eyes, brows, nose, mouth and hair
as smooth lines a few pixels wide, not the training edge maps (app/ml/translate/sketch.py).

`line_drawing` traces the mid-grey contours of a blurred face (where light turns to dark), smooths
them, drops the short bits and draws them as black lines on white paper — the held-out drawings the
`sketch` benchmark scores sketch → face on. With `rng` it varies them as people do (threshold,
smoothing, line width, wobble, dropped strokes), for training.
"""

from __future__ import annotations

import cv2
import numpy as np


def _smooth(points: np.ndarray, window: int, closed: bool) -> np.ndarray:
    if window <= 1 or len(points) < window:
        return points
    k = np.ones(window) / window
    pad = window // 2
    if closed:
        ext = np.concatenate([points[-pad:], points, points[:pad]])
    else:
        ext = np.concatenate([np.repeat(points[:1], pad, 0), points, np.repeat(points[-1:], pad, 0)])
    return np.stack([np.convolve(ext[:, i], k, mode="valid") for i in range(2)], 1)[:len(points)]


def _pieces_off_border(points: np.ndarray, size: int, margin: float) -> list[np.ndarray]:
    """Split a contour where it runs along the image border (a region touching the edge is not a
    line anybody draws)."""
    inside = ((points > margin) & (points < size - 1 - margin)).all(1)
    out, cur = [], []
    for p, ok in zip(points, inside, strict=True):
        if ok:
            cur.append(p)
        elif cur:
            out.append(np.array(cur))
            cur = []
    if cur:
        out.append(np.array(cur))
    return out


def line_drawing(face: np.ndarray, size: int = 256, *, thickness: int = 3, rng: np.random.Generator | None = None,
                 levels: tuple[float, ...] = (0.5,)) -> np.ndarray:
    """(h, w, 3) uint8 face → (size, size) uint8 drawing, 255 = paper, 0 = line.

    levels: where between the darkest and the lightest grey the contours are traced (0.5 = mid)."""
    big = cv2.resize(face, (size, size), interpolation=cv2.INTER_CUBIC)
    grey = cv2.cvtColor(big, cv2.COLOR_RGB2GRAY).astype(np.float32)
    sigma = size / 64 * (1.5 if rng is None else float(rng.uniform(1.1, 2.0)))
    grey = cv2.GaussianBlur(grey, (0, 0), sigma)
    lo, hi = np.percentile(grey, 2), np.percentile(grey, 98)
    paper = np.full((size, size), 255, np.uint8)
    min_len = size * (0.12 if rng is None else float(rng.uniform(0.08, 0.2)))
    width = thickness if rng is None else int(rng.integers(max(1, thickness - 1), thickness + 2))
    for level in levels:
        t = lo + (hi - lo) * (level if rng is None else float(np.clip(level + rng.normal(0, 0.06), 0.3, 0.7)))
        binary = (grey > t).astype(np.uint8)
        contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        for c in contours:
            pts = c[:, 0, :].astype(np.float32)
            for piece in _pieces_off_border(pts, size, margin=1.5):
                if len(piece) < 3:
                    continue
                closed = len(piece) == len(pts)
                piece = _smooth(piece, max(3, size // 40) | 1, closed).astype(np.float32)
                if cv2.arcLength(piece.reshape(-1, 1, 2), closed) < min_len:
                    continue
                if rng is not None:
                    if rng.random() < 0.12:                       # a stroke left out
                        continue
                    wobble = _smooth(rng.normal(0, size / 256 * 1.2, piece.shape), 15, closed)
                    piece = piece + wobble.astype(np.float32)
                cv2.polylines(paper, [np.round(piece * 4).astype(np.int32).reshape(-1, 1, 2)], closed, 0,
                              width, cv2.LINE_AA, shift=2)
    return paper


LINE_WIDTH = 3      # px at DRAW_SIZE: the lines the translator was trained on (2–4 px at 256)


def _disk(d: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(1, d), max(1, d)))


def even_lines(drawing: np.ndarray, width: int = LINE_WIDTH) -> np.ndarray:
    """(n, n) uint8 drawing, 255 paper, 0 line → the same drawing with its lines `width` px wide, where
    they are much wider (as drawn with the editor's default 24-px brush; filled eyes become dots): the
    lines thinned to their centre and drawn again. Areas filled in, far wider than the lines (a mass of
    hair), keep their shape as an outline (their centre line alone lost it, a reviewer found). Lines
    already about that wide are left as they are.
    32 held-out generator faces, lines 14 px at 256: +2.27 → +3.20 dB over the average face, refined
    as in the editor (bench drawings_wide)."""
    ink = (drawing < 128).astype(np.uint8)
    if not ink.any():
        return drawing
    centre = cv2.ximgproc.thinning(ink * 255) > 0
    if not centre.any():
        return drawing
    # a line w px wide is (w + 1) / 2 from the paper at its centre
    half = float(np.median(cv2.distanceTransform(ink, cv2.DIST_L2, 5)[centre]))
    if 2.0 * half - 1.0 <= width + 2.5:
        return drawing
    # filled areas: what survives an opening by a disk twice the lines' width
    filled = cv2.morphologyEx(ink, cv2.MORPH_OPEN, _disk(int(round(4 * half)) | 1))
    if filled.any():
        filled = cv2.dilate(filled, _disk(3))                  # (their rim, where the opening rounded it)
        centre &= filled == 0
    line = cv2.dilate(centre.astype(np.uint8), _disk(width))
    if filled.any():
        rim = cv2.morphologyEx(filled & ink, cv2.MORPH_GRADIENT, _disk(width)) & ink
        line |= rim
    return np.where(line > 0, 0, 255).astype(np.uint8)
