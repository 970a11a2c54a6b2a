"""Line sketches: made from faces (training pairs for sketch → face) and from the canvas strokes.

A sketch is (H, W) uint8: 255 = paper, 0 = line. `edge_sketch` draws the lines a person would:
Canny edges of the face upsampled 4× and smoothed (so the lines follow shapes, not pixels), thickened
a little and scaled back down with area averaging (soft grey lines at 64²).
"""

from __future__ import annotations

import cv2
import numpy as np


def edge_sketch(face: np.ndarray, *, thickness: int = 1, low: int = 15, high: int = 45) -> np.ndarray:
    h, w = face.shape[:2]
    big = cv2.resize(face, (w * 4, h * 4), interpolation=cv2.INTER_CUBIC)
    grey = cv2.GaussianBlur(cv2.cvtColor(big, cv2.COLOR_RGB2GRAY), (0, 0), 2.5)
    edges = cv2.Canny(grey, low, high)
    if thickness > 0:
        edges = cv2.dilate(edges, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * thickness + 1,) * 2))
    small = cv2.resize(edges, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    small = np.clip(small * 1.6, 0, 255)            # area averaging thins lines: darken them back
    return (255 - small).astype(np.uint8)

