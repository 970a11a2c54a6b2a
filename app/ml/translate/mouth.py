"""How much a drawn mouth smiles: the bend of the mouth line in a face drawing, read as a smile (σ along the
generator's smile direction) that the sketch refinement then asks for.

Drawn from memory, a mouth is one short curve (or two lips) under the nose. Its bend — how far its middle
sags below its corners, in units of the eyes' distance — is what says "smiling", "straight" or "frowning";
a person reads that from a few pixels of line, while the translator at 64² barely sees it (issue #18: a
helper drew a broad smile and got a closed, low mouth). The training cartoons bend the mouth by the face's
own smile (`cartoons.SMILE_BEND`: a sag of base + per · σ); `drawn_smile` reads the bend back and inverts
that map.

Only a mouth that can be told apart is read: a roughly horizontal stroke (or two stacked lips) in the lower
middle of the frame, as wide as a mouth, not the chin's curve, not a closed shape (an "O" says nothing
about a smile), and lying on a parabola. Anything else gives None, and the refinement is left as it was:
traced drawings of photos often join the lips to the cheeks' lines, and then nothing is read.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from latentbrush.ml.translate.cartoons import SMILE_BEND, canonical_landmarks

WINDOW_X = (0.2, 0.8)      # where a mouth is looked for, as fractions of the drawing's frame …
WINDOW_Y = (0.66, 0.97)    # … (the canonical mouth is at y 0.815, between corners 0.37 and 0.64)
MIN_WIDTH = 0.35           # a mouth stroke spans at least this many eyes' distances …
MAX_WIDTH = 1.6            # … and at most this many (wider: the chin's or the jaw's line)
MIN_ASPECT = 2.0           # its width over its height
LIPS_GAP = 0.2             # two strokes this close (eyes' distances, vertically) and overlapping are two lips
MAX_RMS = 0.05             # the parabola's rms residual, eyes' distances: more and the stroke is no simple curve
SMILE_RANGE = (-2.0, 3.0)  # the σ a drawn bend stands for …
ASK_FROM = 0.5             # … and asks of the refinement from here up: the frown side of the smile direction gave
#                            twisted, open mouths at 64² for a straight drawn mouth (−1.2 σ; looked at, 12 faces),
#                            and a straight or frowning mouth is what the translator draws unasked


@dataclass(frozen=True)
class DrawnMouth:
    bend: float                          # the middle's sag below the corners, eyes' distances (+ smile, − frown)
    smile: float                         # σ along the smile direction the bend stands for
    asks: bool                           # whether it is smile enough to ask the refinement for (≥ ASK_FROM)
    box: tuple[int, int, int, int]       # x0, y0, x1, y1 of the stroke(s) in the drawing's pixels


def _components(ink: np.ndarray) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    n, lab, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    return [(lab == i, (int(stats[i, 0]), int(stats[i, 1]), int(stats[i, 0] + stats[i, 2]),
                        int(stats[i, 1] + stats[i, 3]))) for i in range(1, n)]


def _closed(mask: np.ndarray) -> bool:
    """Whether the stroke encloses paper (an ellipse or an open mouth drawn as a ring)."""
    padded = np.pad(mask, 1)
    outside = padded.astype(np.uint8)
    cv2.floodFill(outside, np.zeros((outside.shape[0] + 2, outside.shape[1] + 2), np.uint8), (0, 0), 1)
    holes = (outside == 0) & ~padded                  # paper the corner's paper cannot reach
    return int(holes.sum()) > 0.15 * int(mask.sum())


def bend_to_smile(bend: float) -> float:
    """The smile (σ) whose cartoon mouth has this bend (`SMILE_BEND` inverted, within `SMILE_RANGE`)."""
    base, per, _, _ = SMILE_BEND
    return float(np.clip((bend - base) / per, *SMILE_RANGE))


def drawn_smile(drawing: np.ndarray) -> DrawnMouth | None:
    """drawing: (S, S) uint8, 255 paper, 0 line, the face filling the frame as the translator reads it.
    The drawn mouth's bend and the smile it stands for, or None when no mouth can be told apart."""
    d = np.asarray(drawing)
    size = d.shape[0]
    lm = canonical_landmarks()
    iod = float(np.hypot(*(lm[1] - lm[0]))) * size
    x0, x1 = (int(f * size) for f in WINDOW_X)
    y0, y1 = (int(f * size) for f in WINDOW_Y)
    ink = np.zeros(d.shape, bool)
    ink[y0:y1, x0:x1] = d[y0:y1, x0:x1] < 128         # the ink where a mouth goes, cut there
    found = []
    for mask, (bx0, by0, bx1, by1) in _components(ink):
        if bx0 <= x0 or bx1 >= x1 or by0 <= y0 or by1 >= y1:
            continue                                   # runs on past the window: the chin's, the jaw's line
        w, h = bx1 - bx0, by1 - by0
        if not MIN_WIDTH * iod <= w <= MAX_WIDTH * iod or w < MIN_ASPECT * h:
            continue
        if _closed(mask[by0:by1 + 1, bx0:bx1 + 1]):
            return None                                # an "O": no smile to read, and no other mouth to take
        found.append((mask, (bx0, by0, bx1, by1)))
    if not found:
        return None
    centre = np.array([(lm[3][0] + lm[4][0]) / 2, (lm[3][1] + lm[4][1]) / 2]) * size
    found.sort(key=lambda f: np.hypot((f[1][0] + f[1][2]) / 2 - centre[0], (f[1][1] + f[1][3]) / 2 - centre[1]))
    mask, box = found[0]
    for other, ob in found[1:]:                        # the other lip: overlapping, just above or below
        overlap = min(box[2], ob[2]) - max(box[0], ob[0])
        gap = max(ob[1] - box[3], box[1] - ob[3])
        if overlap > 0.5 * min(box[2] - box[0], ob[2] - ob[0]) and gap < LIPS_GAP * iod:
            mask = mask | other
            box = (min(box[0], ob[0]), min(box[1], ob[1]), max(box[2], ob[2]), max(box[3], ob[3]))
    ys, xs = np.nonzero(mask)
    cols = np.unique(xs)
    mid_y = np.array([ys[xs == c].mean() for c in cols])          # each column's middle of the ink
    half = (cols.max() - cols.min()) / 2
    if half < 2:
        return None
    t = (cols - (cols.max() + cols.min()) / 2) / half
    coef = np.polyfit(t, mid_y, 2)                                 # y = c2 t² + c1 t + c0
    rms = float(np.sqrt(np.mean((np.polyval(coef, t) - mid_y) ** 2)))
    if rms > MAX_RMS * iod:
        return None
    bend = float(-coef[0] / iod)          # middle below the corners (image y grows down): a smile's sag
    smile = bend_to_smile(bend)
    return DrawnMouth(bend, smile, smile >= ASK_FROM, box)
