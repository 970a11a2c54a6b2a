"""Finding the edit region of a photo: a face box from OpenCV's Haar cascade (ships with
opencv-python-headless 4.x), framed the way the default generator frames its faces.

Framing constants were measured on 130 generator samples (upscaled to 256², detected with the
same cascade): the face box is 0.754 ± 0.079 of the frame width, centred at x = 0.504,
y = 0.555 of the frame. A photo's face box is therefore grown to box/0.754 and placed so the face
sits at the same spot, which makes the crop look like a generator sample before projection.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from latentbrush.core.bbox import BBox

FACE_FRACTION = 0.754
FACE_CENTER = (0.504, 0.555)


class NoFaceFound(LookupError):
    pass


@functools.lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cc = cv2.CascadeClassifier(path)
    if cc.empty():
        raise RuntimeError(f"could not load the face detector ({path})")
    return cc


def detect_faces(img: np.ndarray, *, max_side: int = 640) -> list[BBox]:
    """Face boxes in img (h, w, 3) uint8, largest first."""
    h, w = img.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    small = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA) if scale < 1 else img
    gray = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    min_side = max(20, int(min(gray.shape) * 0.08))
    found = _cascade().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side))
    boxes = [BBox(int(x / scale), int(y / scale), int((x + bw) / scale), int((y + bh) / scale))
             for x, y, bw, bh in (found if len(found) else [])]
    return sorted(boxes, key=lambda b: -b.width * b.height)


def square_region(cx: float, cy: float, side: float, width: int, height: int) -> BBox:
    """A square of `side` centred at (cx, cy), shifted (and if needed shrunk) to fit the image."""
    s = int(round(min(side, width, height)))
    s = max(s, 1)
    x0 = int(round(min(max(cx - s / 2, 0), width - s)))
    y0 = int(round(min(max(cy - s / 2, 0), height - s)))
    return BBox(x0, y0, x0 + s, y0 + s)


def face_region(face: BBox, width: int, height: int) -> BBox:
    """Generator-style framing around a detected face box."""
    side = max(face.width, face.height) / FACE_FRACTION
    fcx, fcy = (face.x0 + face.x1) / 2, (face.y0 + face.y1) / 2
    cx = fcx + (0.5 - FACE_CENTER[0]) * side
    cy = fcy + (0.5 - FACE_CENTER[1]) * side
    return square_region(cx, cy, side, width, height)


def squarify(box: BBox, width: int, height: int) -> BBox:
    """A hand-dragged rectangle → the square around it (the generator's crops are square)."""
    return square_region((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2, max(box.width, box.height), width, height)


def auto_region(img: np.ndarray) -> BBox:
    """The largest face's region; raises NoFaceFound when there is none."""
    faces = detect_faces(img)
    if not faces:
        raise NoFaceFound("no face found; drag a rectangle around the face with the select tool (S), "
                          "then press “From selection” in the Scribble dock")
    return face_region(faces[0], img.shape[1], img.shape[0])
