"""The real-photo path shared by every latent edit: find the faces (MTCNN with landmarks; Haar
as a fallback when the detector's weights are missing), align the chosen face to where the
generator puts its landmarks, carry images between the photo crop and the generator's frame, and
hold the generator tuned to the photo.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from torch import nn

from latentbrush.core.bbox import BBox
from latentbrush.core.latent_state import LatentState, Tuning
from latentbrush.ml.latent import align
from latentbrush.ml.latent.faces import NoFaceFound, face_region
from latentbrush.ml.latent.faces import detect_faces as haar_faces
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.tensors import resize

MIN_SCORE = 0.9          # MTCNN's last stage lets a few non-faces through at 0.7–0.8


@dataclass(frozen=True)
class FoundFace:
    box: BBox                        # the detector's face box (image pixels)
    region: BBox                     # the crop the generator sees (axis-aligned, clipped)
    warp: np.ndarray | None          # crop pixels → frame fractions; None: the crop stretched (Haar)
    landmarks: np.ndarray | None     # (5, 2) image pixels: eyes, nose, mouth corners
    score: float
    detector: str                    # "mtcnn" | "haar"


def _detector(models: ModelManager | None) -> nn.Module | None:
    if models is None:
        return None
    from latentbrush.ml.faces.detect import DETECTOR_ID
    spec = next((s for s in models.manifest if s.id == DETECTOR_ID), None)
    if spec is None or not models.available(spec):
        return None
    return models.get(DETECTOR_ID).net


def find_faces(image: np.ndarray, models: ModelManager | None) -> list[FoundFace]:
    """Every face in image (h, w, 3) uint8, largest first, with its aligned region."""
    h, w = image.shape[:2]
    net = _detector(models)
    if net is not None:
        from latentbrush.ml.faces.canonical import CANONICAL_LANDMARKS
        from latentbrush.ml.faces.detect import detect_faces
        out = []
        for f in detect_faces(net, image):
            if f.score < MIN_SCORE:
                continue
            try:
                region, warp = align.aligned_region(f.landmarks, CANONICAL_LANDMARKS, w, h)
            except ValueError:
                continue
            x0, y0, x1, y1 = (int(round(v)) for v in f.box)
            out.append(FoundFace(BBox(x0, y0, x1, y1).clip(w, h), region, warp, np.asarray(f.landmarks),
                                 float(f.score), "mtcnn"))
        return out
    return [FoundFace(b, face_region(b, w, h), None, None, 1.0, "haar") for b in haar_faces(image)]


def crop_landmarks(crop: np.ndarray, models: ModelManager | None) -> np.ndarray | None:
    """The five landmarks (crop pixels: eyes, nose, mouth corners) of the face the edit region's crop
    is centred on; None without the landmark detector, or when it finds no face near the centre."""
    net = _detector(models)
    if net is None:
        return None
    from latentbrush.ml.faces.detect import detect_faces
    h, w = crop.shape[:2]
    near = [f for f in detect_faces(net, crop) if f.score >= MIN_SCORE
            and abs((f.box[0] + f.box[2]) / 2 - w / 2) < w / 3 and abs((f.box[1] + f.box[3]) / 2 - h / 2) < h / 3]
    return np.asarray(near[0].landmarks, np.float64) if near else None


def closest(faces: list[FoundFace], region: BBox) -> int:
    """The index of the face whose region overlaps `region` most (-1: none does)."""
    best, best_i = 0.0, -1
    for i, f in enumerate(faces):
        inter = f.region.intersect(region).area
        iou = inter / max(f.region.area + region.area - inter, 1)
        if iou > best:
            best, best_i = iou, i
    return best_i if best > 0.3 else -1


def run_find_faces(job, models: ModelManager):
    """inputs: image; params: region (x0, y0, x1, y1) being edited, if any. The faces of a photo
    reopened from a project (the face list is not stored): info faces, face (index or -1)."""
    from latentbrush.core.jobs import Progress, Result
    yield Progress(0, 1, "finding the faces")
    faces = find_faces(job.inputs["image"], models)
    region = job.request.region
    current = closest(faces, BBox(*region)) if region is not None else -1
    return Result(layer="", message="", info={"faces": tuple(tuple(f.box) for f in faces), "face": current})


def pick_face(image: np.ndarray, models: ModelManager | None, face: int = 0) -> FoundFace:
    return choose(find_faces(image, models), face)


def choose(faces: list[FoundFace], face: int) -> FoundFace:
    if not faces:
        raise NoFaceFound("no face found; drag a rectangle around the face with the select tool (S), "
                          "then press “From selection” in the Scribble dock")
    if not 0 <= face < len(faces):
        raise ValueError(f"face {face + 1} asked for, but {len(faces)} face(s) were found in the image")
    return faces[face]


def to_frame(crop: np.ndarray, warp: np.ndarray | None, R: int) -> np.ndarray:
    """A region crop (h, w, c) → the generator's frame (R, R, c) float32."""
    if warp is None:
        return resize(crop, R, R).astype(np.float32)
    return align.to_frame(crop, warp, R)


def state_frame(state: LatentState, crop: np.ndarray, R: int) -> np.ndarray:
    return to_frame(crop, state.warp, R)


def labels_from_frame(labels: np.ndarray, state: LatentState) -> np.ndarray:
    """(R, R) uint8 labels in the frame → (h, w) over the region (nearest; 0 outside the frame)."""
    import cv2
    r = state.region
    if state.warp is None:
        return cv2.resize(labels.astype(np.uint8), (r.width, r.height), interpolation=cv2.INTER_NEAREST)
    R = labels.shape[0]
    return cv2.warpAffine(labels.astype(np.uint8), np.asarray(state.warp) * R, (r.width, r.height),
                          flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=0)


class TunedCache:
    """The last few tuned generators, by tuning key (building one copies the generator)."""

    def __init__(self, size: int = 3) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, str], nn.Module] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, G: nn.Module, tuning: Tuning) -> nn.Module:
        from latentbrush.ml.latent.tune import apply_delta
        key = (id(G), tuning.key)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        Gt = apply_delta(G, tuning.delta)
        with self._lock:
            self._items[key] = Gt
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return Gt

    def put(self, G: nn.Module, tuning: Tuning, Gt: nn.Module) -> None:
        with self._lock:
            self._items[(id(G), tuning.key)] = Gt
            while len(self._items) > self.size:
                self._items.popitem(last=False)


TUNED = TunedCache()
