"""Faces drawn the way a person draws one from memory: an oval for the face, an arc of hair, almond eyes,
brows, a nose stroke and a mouth line — not traced from the light and dark of a photo (drawings.py).

A helper drew such a face in the editor (an oval, two eye ellipses, brows, an L for the nose, a smile):
the translator, trained on traced contours only, read the eye ellipses as glasses, put a dark nose
where the smile was and the mouth on the chin line. These cartoons are made for training pairs from the
generator's own faces, so the drawn features sit where that face has them:

- the face's oval and the hair's arc from the face's part map (app/ml/nets/parts.py, the generator's own
  segmentation: skin with eyes, nose and mouth is the face; with the hair, the head): the ellipse fitted
  to each, the hair's above the eyes, what falls outside the frame left out;
- eyes, nose and mouth at the generator's landmarks (app/ml/faces/canonical.json: its faces are aligned
  to about 1 px at 64²), moved to where the part map has that face's eyes and mouth, in one of the styles
  people use (an almond or a circle with or without a pupil, a dot; an L, a hook or nostrils; a smile, a
  line or two lips), each stroke wobbled and sometimes left out;
- the mouth's bend from how much that face smiles (its latent along the smile direction, in σ), when the
  caller knows it: a person who draws a smile means one. Until stop 56 the bend was random, so the
  translator learned that a drawn smile says nothing, and the helper's smiling cartoon came out frowning.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

CANONICAL = Path(__file__).resolve().parents[1] / "faces" / "canonical.json"
FACE_PARTS = ("skin", "eyes", "nose", "mouth")


def canonical_landmarks() -> np.ndarray:
    """(5, 2) eyes, nose tip, mouth corners as fractions of the generator's frame."""
    return np.asarray(json.loads(CANONICAL.read_text())["mean"], np.float64)


def _polyline(img: np.ndarray, pts: np.ndarray, width: int, closed: bool = False) -> None:
    cv2.polylines(img, [np.round(pts * 4).astype(np.int32)], closed, 0, width, cv2.LINE_AA, shift=2)


def _wobble(pts: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """A hand's unsteadiness: smooth random offsets (a few control points, interpolated)."""
    if amount <= 0 or len(pts) < 3:
        return pts
    k = 4
    ctrl = rng.normal(0, amount, (k, 2))
    t = np.linspace(0, k - 1, len(pts))
    return pts + np.stack([np.interp(t, np.arange(k), ctrl[:, i]) for i in range(2)], 1)


def _arc(a: np.ndarray, b: np.ndarray, sag: float, n: int = 24) -> np.ndarray:
    """Points from a to b bulging by `sag` (px, positive: downwards in the image) at the middle."""
    t = np.linspace(0, 1, n)[:, None]
    line = a + (b - a) * t
    d = b - a
    normal = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-6)
    if normal[1] < 0:
        normal = -normal
    return line + normal * sag * (4 * t * (1 - t))


def _ellipse(c: np.ndarray, ax: tuple[float, float], angle: float = 0.0, n: int = 40) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ca, sa = np.cos(angle), np.sin(angle)
    x, y = ax[0] * np.cos(t), ax[1] * np.sin(t)
    return np.stack([c[0] + ca * x - sa * y, c[1] + sa * x + ca * y], 1)


def _oval(mask: np.ndarray, size: int) -> tuple[np.ndarray, tuple[float, float], float] | None:
    """The ellipse a hand would draw round the largest region of a (R, R) bool mask, at `size`: (centre,
    half axes, angle in radians), or None where the region is too small."""
    m = cv2.resize(mask.astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST)
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size // 10,) * 2))
    cs, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not cs:
        return None
    c = max(cs, key=cv2.contourArea)
    if cv2.contourArea(c) < (0.15 * size) ** 2 or len(c) < 5:
        return None
    (cx, cy), (a, b), ang = cv2.fitEllipse(c)
    return np.array([cx, cy]), (a / 2, b / 2), np.deg2rad(ang)


def _inside(pts: np.ndarray, size: int, keep: np.ndarray | None = None) -> list[np.ndarray]:
    """The runs of a curve's points inside the frame (and where `keep` holds), long enough to draw."""
    ok = ((pts > 1) & (pts < size - 2)).all(1) & (True if keep is None else keep)
    runs = np.split(np.arange(len(pts)), np.nonzero(np.diff(ok.astype(int)))[0] + 1)
    return [pts[r] for r in runs if ok[r[0]] and len(r) > 4]


def _near(labels: np.ndarray, part: int, at: np.ndarray, reach: float) -> np.ndarray | None:
    """The centroid of the part's pixels within `reach` (fraction of the frame) of `at` (fraction), or None."""
    r = labels.shape[0]
    ys, xs = np.nonzero(labels == part)
    if not len(xs):
        return None
    u, v = (xs + 0.5) / r, (ys + 0.5) / r
    near = np.hypot(u - at[0], v - at[1]) < reach
    return np.array([u[near].mean(), v[near].mean()]) if near.sum() >= 2 else None


SMILE_BEND = (0.06, 0.05, -0.05, 0.2)    # the mouth's sag (× the eyes' distance): at a straight face, per σ of
#                                          smile, and its limits (a frown's corners down to a broad smile's U)


def cartoon_drawing(labels: np.ndarray, names: tuple[str, ...] | list[str], size: int = 256, *,
                    thickness: int = 3, rng: np.random.Generator | None = None,
                    smile: float | None = None) -> np.ndarray:
    """A person's drawing of the face whose part map is `labels` ((R, R) part indices into `names`), at
    `size`², 255 paper and 0 lines. `rng` None: the canonical version (every stroke, the first style, no
    wobble) — the held-out cartoons; else styles, sizes and strokes vary as people's do. `smile`: how
    much the face smiles (σ along the smile direction); the mouth is bent and widened by it (None: a
    random bend, as before stop 56)."""
    def pick(p: float) -> bool:
        return True if rng is None else bool(rng.random() < p)

    def u(lo: float, hi: float) -> float:
        return (lo + hi) / 2 if rng is None else float(rng.uniform(lo, hi))

    def choice(n: int) -> int:
        return 0 if rng is None else int(rng.integers(n))

    s = float(size)
    wob = 0.0 if rng is None else u(0.0, 0.012) * s
    img = np.full((size, size), 255, np.uint8)
    idx = {n: i for i, n in enumerate(names)}
    face = np.isin(labels, [idx[n] for n in FACE_PARTS if n in idx])
    lm = canonical_landmarks()
    # the face's own eyes and mouth where its part map shows them near the landmarks
    eyes = [(_near(labels, idx["eyes"], lm[i], 0.1) if "eyes" in idx else None) for i in (0, 1)]
    eyes = [lm[i] if e is None else 0.5 * (lm[i] + e) for i, e in enumerate(eyes)]
    mouth_c = _near(labels, idx["mouth"], (lm[3] + lm[4]) / 2, 0.12) if "mouth" in idx else None
    shift = np.zeros(2) if mouth_c is None else 0.5 * (mouth_c - (lm[3] + lm[4]) / 2)
    mouth = lm[3:5] + shift
    nose = lm[2]

    w = max(1, thickness)
    oval = _oval(face, size) if pick(0.92) else None
    if oval is not None:
        c, ax, ang = oval
        ax = (ax[0] * u(0.92, 1.05), ax[1] * u(0.95, 1.05))
        for piece in _inside(_ellipse(c, ax, ang, 120), size):
            _polyline(img, _wobble(piece, wob, rng) if rng is not None else piece, w)
    head = _oval(face | (labels == idx["hair"]), size) if "hair" in idx and pick(0.7) else None
    if head is not None:             # the hair: the top of the head's outline, above the eyes
        c, ax, ang = head
        ax = (ax[0] * u(1.0, 1.08), ax[1] * u(1.0, 1.08))
        pts = _ellipse(c, ax, ang, 120)
        for piece in _inside(pts, size, pts[:, 1] < min(e[1] for e in lm[:2]) * s - u(0.0, 0.1) * s):
            _polyline(img, _wobble(piece, wob, rng) if rng is not None else piece, w)
    iod = float(np.hypot(*(eyes[1] - eyes[0]))) * s
    style = choice(4)
    for e in eyes if pick(0.96) else []:
        c = e * s + (0 if rng is None else rng.normal(0, 0.01 * s, 2))
        ew = u(0.22, 0.34) * iod
        if style == 3:                                    # a dot
            cv2.circle(img, tuple(np.round(c).astype(int)), max(2, int(0.06 * iod)), 0, -1, cv2.LINE_AA)
            continue
        ax = (ew, ew * (u(0.35, 0.55) if style != 2 else 1.0) * (0.8 if style == 2 else 1.0))
        _polyline(img, _wobble(_ellipse(c, ax), wob * 0.3, rng) if rng is not None else _ellipse(c, ax), w,
                  closed=True)
        if style == 1 or (style == 2 and pick(0.5)):     # a pupil
            cv2.circle(img, tuple(np.round(c).astype(int)), max(2, int(0.07 * iod)), 0, -1, cv2.LINE_AA)
    if pick(0.65):                                        # brows
        lift, span, curve = u(0.28, 0.42) * iod, u(0.3, 0.42) * iod, u(-0.02, 0.1) * iod
        for e in eyes:
            c = e * s - np.array([0, lift])
            _polyline(img, _arc(c - [span, 0], c + [span, 0], -curve, 16), w)
    if pick(0.85):                                        # nose
        tip = nose * s
        kind = choice(3)
        half = u(0.12, 0.2) * iod
        if kind == 0:        # an L: down from between the eyes, then to the side
            top = np.array([tip[0] + u(-0.05, 0.05) * iod, (eyes[0][1] + eyes[1][1]) / 2 * s + 0.15 * iod])
            foot = tip + [half * (1 if pick(0.5) else -1), 0]
            _polyline(img, np.stack([top, tip, foot]), w)
        elif kind == 1:      # a hook under the tip
            _polyline(img, _arc(tip - [half, 0], tip + [half, 0], u(0.06, 0.14) * iod, 16), w)
        else:                # nostrils
            for sx in (-1, 1):
                cv2.circle(img, tuple(np.round(tip + [sx * 0.6 * half, 0]).astype(int)), max(2, int(0.05 * iod)),
                           0, -1, cv2.LINE_AA)
    if pick(0.95):                                        # mouth
        a, b = mouth[0] * s, mouth[1] * s
        if smile is None:
            bend, grow = (u(-0.02, 0.16) if rng is not None else 0.07) * iod, u(0.85, 1.15)
        else:
            base, per, lo, hi = SMILE_BEND
            bend = float(np.clip(base + per * smile + (0 if rng is None else rng.normal(0, 0.015)), lo, hi)) * iod
            grow = u(0.9, 1.1) * (1 + 0.05 * float(np.clip(smile, -1, 2)))
        mid = (a + b) / 2
        a, b = mid + (a - mid) * grow, mid + (b - mid) * grow
        kind = choice(3)
        if smile is not None and smile > 0.5 and kind == 1:     # a broad smile is not drawn as a straight line
            kind = 0
        if kind == 0:        # a smile (or a straight face)
            arc = _arc(a, b, bend)
            _polyline(img, _wobble(arc, wob * 0.3, rng) if rng is not None else arc, w)
        elif kind == 1:      # a line
            _polyline(img, np.stack([a, b]), w)
        else:                # two lips (the smile bends both)
            open_ = u(0.05, 0.14) * iod
            lift = 0.0 if smile is None else 0.6 * bend
            _polyline(img, _arc(a, b, -open_ + lift), w)
            _polyline(img, _arc(a, b, open_ * 1.3 + (0.0 if smile is None else bend)), w)
    return img
