"""Attribute scores for the default generator's 64×64 faces, from tools available offline:
OpenCV's Haar cascades (smile, profile face) and measured geometry/colour statistics.

Every scorer takes a batch (N, 64, 64, 3) uint8 and returns (N,) float32, larger = more of
the attribute. Region boxes are fractions of the frame, placed where the generator puts the
face (see faces.FACE_CENTER / FACE_FRACTION).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import cv2
import numpy as np

Scorer = Callable[[np.ndarray], np.ndarray]
UPSCALE = 4


@functools.lru_cache(maxsize=4)
def _cascade(name: str) -> cv2.CascadeClassifier:
    cc = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    if cc.empty():
        raise RuntimeError(f"could not load {name}")
    return cc


def _luma(imgs: np.ndarray) -> np.ndarray:
    return imgs[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _box(a: np.ndarray, y0: float, y1: float, x0: float, x1: float) -> np.ndarray:
    h, w = a.shape[1:3]
    return a[:, int(y0 * h):int(y1 * h), int(x0 * w):int(x1 * w)]


def _hits(cc: cv2.CascadeClassifier, gray: np.ndarray, min_size: int) -> int:
    """Raw detections (no neighbour grouping): how strongly the cascade fires."""
    found = cc.detectMultiScale(gray, scaleFactor=1.08, minNeighbors=0, minSize=(min_size, min_size))
    return len(found)


def smile(imgs: np.ndarray) -> np.ndarray:
    cc = _cascade("haarcascade_smile.xml")
    out = np.zeros(len(imgs), np.float32)
    for i, im in enumerate(imgs):
        mouth = im[int(0.58 * 64):int(0.95 * 64), int(0.2 * 64):int(0.8 * 64)]
        g = cv2.cvtColor(cv2.resize(mouth, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC),
                         cv2.COLOR_RGB2GRAY)
        out[i] = np.log1p(_hits(cc, cv2.equalizeHist(g), 28))
    return out


def head_turn(imgs: np.ndarray) -> np.ndarray:
    """Signed yaw evidence: profile-cascade hits facing one way minus the mirrored image's."""
    cc = _cascade("haarcascade_profileface.xml")
    out = np.zeros(len(imgs), np.float32)
    for i, im in enumerate(imgs):
        g = cv2.equalizeHist(cv2.cvtColor(cv2.resize(im, None, fx=UPSCALE, fy=UPSCALE,
                                                     interpolation=cv2.INTER_CUBIC), cv2.COLOR_RGB2GRAY))
        out[i] = np.log1p(_hits(cc, g, 96)) - np.log1p(_hits(cc, np.ascontiguousarray(g[:, ::-1]), 96))
    return out


def mouth_open(imgs: np.ndarray) -> np.ndarray:
    """Share of the mouth box darker than half the face's median brightness."""
    y = _luma(imgs)
    face = np.median(_box(y, 0.35, 0.75, 0.3, 0.7).reshape(len(y), -1), axis=1)
    mouth = _box(y, 0.68, 0.88, 0.36, 0.64).reshape(len(y), -1)
    return (mouth < 0.5 * face[:, None]).mean(1).astype(np.float32)


def lighting(imgs: np.ndarray) -> np.ndarray:
    """Mean brightness of the face (0..1)."""
    return (_box(_luma(imgs), 0.35, 0.8, 0.3, 0.7).reshape(len(imgs), -1).mean(1) / 255).astype(np.float32)


def hair_dark(imgs: np.ndarray) -> np.ndarray:
    """Darkness of the band above the forehead (hair or hat), relative to the face."""
    y = _luma(imgs)
    top = _box(y, 0.02, 0.2, 0.25, 0.75).reshape(len(y), -1).mean(1)
    face = _box(y, 0.35, 0.8, 0.3, 0.7).reshape(len(y), -1).mean(1)
    return ((face - top) / 255).astype(np.float32)


def background(imgs: np.ndarray) -> np.ndarray:
    """Brightness of the left/right borders (the background)."""
    y = _luma(imgs)
    sides = np.concatenate([_box(y, 0.0, 0.6, 0.0, 0.1).reshape(len(y), -1),
                            _box(y, 0.0, 0.6, 0.9, 1.0).reshape(len(y), -1)], axis=1)
    return (sides.mean(1) / 255).astype(np.float32)


def warmth(imgs: np.ndarray) -> np.ndarray:
    """Red minus blue over the face: warm (tan / lit by warm light) vs cool skin tones."""
    f = _box(imgs.astype(np.float32), 0.35, 0.8, 0.3, 0.7).reshape(len(imgs), -1, 3).mean(1)
    return ((f[:, 0] - f[:, 2]) / 255).astype(np.float32)


SCORERS: dict[str, Scorer] = {
    "smile": smile,
    "mouth_open": mouth_open,
    "head_turn": head_turn,
    "lighting": lighting,
    "hair_dark": hair_dark,
    "background": background,
    "warmth": warmth,
}
