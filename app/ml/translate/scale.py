"""The scale a translator works at. Most translators run on the photo's own pixels; one trained on
the face generator's aligned crops (the `face2sketch` pair, manifest `params.scale = "face"`) draws
lines as thick as a 64-px face has them, so the photo is first shrunk until its face is the size the
model learned on, translated, and brought back to the photo's size. `params.face_side` may ask for
the face at a larger side than the training crops (face2sketch: 2 × 64: the same strokes on a face
drawn twice as large are finer lines, and a 64-px face enlarged to a photo looks smeared).

`face_scale(image, models, R)` is that factor: from the largest face's alignment (the same landmarks
and canonical frame as every latent edit) when a face is found; otherwise the whole image is taken
as the scene (short side brought to 4·R, never enlarged). A model whose input is itself a face-sized
drawing (the inverse, pencil sketch → face: `params.scale = "crop"`) takes the whole image as the
face's frame: `crop_scale` brings its short side to R.
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.ml.latent.photo import find_faces
from latentbrush.ml.registry import ModelManager

SCENE_SIDE = 4          # no face found: the short side at SCENE_SIDE · R
MAX_ENLARGE = 2.0       # a small face is enlarged at most this much …
MAX_SIDE = 4096         # … and never past this long side


def face_scale(image: np.ndarray, models: ModelManager | None, R: int,
               scene_side: int | None = None) -> tuple[float, str]:
    """(factor from image pixels to the model's pixels, how it was found). R: the side the face's
    frame is drawn at; scene_side: the short side when no face is found (default SCENE_SIDE · R)."""
    h, w = image.shape[:2]
    try:
        faces = find_faces(image, models)
    except Exception as e:       # noqa: BLE001 — a detector failure must not block the effect
        faces, why = [], f"face finder failed ({e})"
    else:
        why = "no face found"
    for f in faces:
        if f.warp is not None:
            factor = R * float(np.sqrt(abs(np.linalg.det(np.asarray(f.warp, np.float64)[:, :2]))))
        else:
            factor = R / max(f.region.width, f.region.height)
        return min(factor, MAX_ENLARGE, max(1.0, MAX_SIDE / max(h, w))), "face"
    return min(1.0, (scene_side or SCENE_SIDE * R) / min(h, w)), why


def crop_scale(image: np.ndarray, R: int) -> float:
    return min(R / min(image.shape[:2]), MAX_ENLARGE)


def rescaled(image: np.ndarray, factor: float, multiple: int) -> np.ndarray:
    """image resized by factor (at least one `multiple` on each side)."""
    h, w = image.shape[:2]
    nh, nw = max(multiple, round(h * factor)), max(multiple, round(w * factor))
    if (nh, nw) == (h, w):
        return image
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, (nw, nh), interpolation=interp)


def back_to(image: np.ndarray, h: int, w: int) -> np.ndarray:
    if image.shape[:2] == (h, w):
        return image
    interp = cv2.INTER_CUBIC if w > image.shape[1] else cv2.INTER_AREA
    return cv2.resize(image, (w, h), interpolation=interp)


def to_grey(image: np.ndarray, ink_gain: float = 1.0) -> np.ndarray:
    """An (h, w, 3) uint8 image in grey, three equal channels (a pencil sketch has no colour);
    ink_gain > 1 presses the pencil harder: every grey's distance from white paper grows by it."""
    g = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if ink_gain != 1.0:
        g = np.clip(255.0 - (255.0 - g.astype(np.float32)) * ink_gain + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, 2)
