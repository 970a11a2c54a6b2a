"""Face boxes and five landmarks with MTCNN (app/ml/nets/mtcnn.py).

The cascade: P-Net slides a 12-px window over an image pyramid (factor 0.709, from the scale at
which `min_face` becomes 12 px); its candidates are merged by NMS (0.5 within a level, 0.7 over
all), moved by their regression and made square; R-Net re-scores 24×24 crops (threshold,
NMS 0.7); O-Net re-scores 48×48 crops and gives landmarks (threshold, NMS 0.7 over the smaller
box). Default thresholds 0.6 / 0.7 / 0.7 as published.

Boxes here are continuous pixel coordinates: (x0, y0, x1, y1) with width x1 - x0. Crops that
reach outside the image are zero-padded, as in the original implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import nn

DETECTOR_ID = "face-mtcnn"      # the manifest entry: ModelManager.get(DETECTOR_ID).net

PYRAMID_FACTOR = 0.709
THRESHOLDS = (0.6, 0.7, 0.7)
MAX_CANDIDATES = 3000          # P-Net boxes passed to R-Net at most (highest scores)
LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


class FaceInputError(ValueError):
    """The image given to the face finder is not an (H, W[, C]) uint8 array."""


@dataclass(frozen=True, eq=False)
class Face:
    box: tuple[float, float, float, float]      # x0, y0, x1, y1 in image pixels
    score: float                                # O-Net face probability
    landmarks: np.ndarray                       # (5, 2) float32 x, y: LANDMARK_NAMES order

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


# ---------------------------------------------------------------- box helpers (numpy, (N, 4))

def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, *, mode: str = "union") -> np.ndarray:
    """Greedy non-maximum suppression; indices of the kept boxes, best score first.
    mode "union": overlap = intersection / union; "min": intersection / the smaller area."""
    if mode not in ("union", "min"):
        raise ValueError(f"nms mode must be 'union' or 'min', got {mode!r}")
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    x0, y0, x1, y1 = boxes.T
    area = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    keep: list[int] = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        iw = np.clip(np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]), 0, None)
        ih = np.clip(np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]), 0, None)
        inter = iw * ih
        denom = np.minimum(area[i], area[rest]) if mode == "min" else area[i] + area[rest] - inter
        overlap = np.where(denom > 0, inter / np.maximum(denom, 1e-12), 0.0)
        order = rest[overlap <= threshold]
    return np.asarray(keep, dtype=np.int64)


def apply_regression(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    """Move each edge by its regression offset, a fraction of the box's width / height."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    wh = np.concatenate([boxes[:, 2:] - boxes[:, :2]] * 2, axis=1)
    return boxes + np.asarray(reg, dtype=np.float64).reshape(-1, 4) * wh


def to_square(boxes: np.ndarray) -> np.ndarray:
    """Squares with the same centres, side = the longer side of each box."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    c = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = np.max(boxes[:, 2:] - boxes[:, :2], axis=1, keepdims=True) / 2
    return np.concatenate([c - half, c + half], axis=1)


def pyramid_scales(height: int, width: int, *, min_face: int, max_side: int | None) -> list[float]:
    """Scales at which P-Net's 12-px window covers faces from min_face px upwards."""
    if min(height, width) < 12:
        return []
    s = 12.0 / max(min_face, 1)
    if max_side is not None:
        s = min(s, max_side / max(height, width))
    scales = []
    while min(height, width) * s >= 12:
        scales.append(s)
        s *= PYRAMID_FACTOR
    return scales


# ---------------------------------------------------------------- input and crops

def as_rgb_uint8(img: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1), (H, W, 3) or (H, W, 4) uint8 → contiguous (H, W, 3) uint8."""
    if not isinstance(img, np.ndarray):
        raise FaceInputError(f"expected a numpy array, got {type(img).__name__}")
    if img.dtype != np.uint8:
        raise FaceInputError(f"expected a uint8 image, got dtype {img.dtype}")
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4):
        raise FaceInputError(f"expected an (H, W, 3) image, got shape {img.shape}")
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img[:, :, :3])


def _normalise(batch: np.ndarray, device: torch.device) -> torch.Tensor:
    # (N, H, W, 3) uint8 → (N, 3, H, W) float in ((x - 127.5) / 128), the networks' input range
    # channels_last: the small convolutions run ≈1.4× faster on the CPU in that layout
    t = torch.from_numpy(batch).to(device).permute(0, 3, 1, 2).float()
    return ((t - 127.5) * 0.0078125).contiguous(memory_format=torch.channels_last)


def crop_windows(img: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """(N, size, size, 3) uint8: each box rounded to whole pixels, zero-padded outside the image."""
    h, w = img.shape[:2]
    out = np.zeros((len(boxes), size, size, 3), dtype=np.uint8)
    for k, (bx0, by0, bx1, by1) in enumerate(np.round(boxes).astype(np.int64)):
        bw, bh = max(bx1 - bx0, 1), max(by1 - by0, 1)
        sx0, sy0, sx1, sy1 = max(bx0, 0), max(by0, 0), min(bx0 + bw, w), min(by0 + bh, h)
        if (sx0, sy0, sx1, sy1) == (bx0, by0, bx0 + bw, by0 + bh):
            patch = img[sy0:sy1, sx0:sx1]                      # inside the image: a view
        else:
            patch = np.zeros((bh, bw, 3), dtype=np.uint8)
            if sx1 > sx0 and sy1 > sy0:
                patch[sy0 - by0:sy1 - by0, sx0 - bx0:sx1 - bx0] = img[sy0:sy1, sx0:sx1]
        interp = cv2.INTER_AREA if min(bw, bh) > size else cv2.INTER_LINEAR
        out[k] = cv2.resize(patch, (size, size), interpolation=interp)
    return out


# ---------------------------------------------------------------- the three stages

def _stage_p(pnet: nn.Module, img: np.ndarray, scales: Sequence[float], threshold: float,
             device: torch.device) -> np.ndarray:
    """(N, 5) candidate squares (x0, y0, x1, y1, score) in image pixels."""
    h, w = img.shape[:2]
    found = []
    level = img
    for s in scales:
        hs, ws = int(np.ceil(h * s)), int(np.ceil(w * s))
        # each level from the one before: area-averaging the whole photo a dozen times costs
        # more than P-Net itself on a large image
        interp = cv2.INTER_AREA if hs <= level.shape[0] else cv2.INTER_LINEAR
        level = cv2.resize(level, (ws, hs), interpolation=interp)
        reg, prob = pnet(_normalise(level[None], device))        # (1, 4, h', w'), (1, h', w')
        prob = prob[0].cpu().numpy()
        iy, ix = np.nonzero(prob >= threshold)
        if iy.size == 0:
            continue
        sx, sy = ws / w, hs / h                                    # the level's exact scale
        x0, y0 = 2.0 * ix / sx, 2.0 * iy / sy
        boxes = np.stack([x0, y0, x0 + 12.0 / sx, y0 + 12.0 / sy], axis=1)
        boxes = apply_regression(boxes, reg[0].cpu().numpy()[:, iy, ix].T)
        scores = prob[iy, ix]
        keep = nms(boxes, scores, 0.5)
        found.append(np.concatenate([boxes[keep], scores[keep, None]], axis=1))
    if not found:
        return np.zeros((0, 5))
    cand = np.concatenate(found)
    cand = cand[nms(cand[:, :4], cand[:, 4], 0.7)][:MAX_CANDIDATES]
    return np.concatenate([to_square(cand[:, :4]), cand[:, 4:]], axis=1)


def _refine(net: nn.Module, img: np.ndarray, boxes: np.ndarray, size: int,
            device: torch.device, batch: int = 256) -> list[np.ndarray]:
    """Run R-Net / O-Net over the boxes' crops in batches; outputs concatenated as numpy."""
    outs: list[list[np.ndarray]] = []
    for i in range(0, len(boxes), batch):
        crops = crop_windows(img, boxes[i:i + batch], size)
        res = net(_normalise(crops, device))
        outs.append([r.cpu().numpy() for r in res])
    return [np.concatenate(parts) for parts in zip(*outs, strict=True)]


@torch.inference_mode()
def detect_faces(net: nn.Module, img: np.ndarray, *, min_face: int = 20,
                 thresholds: Sequence[float] = THRESHOLDS, max_side: int | None = 1600) -> list[Face]:
    """Faces in img (H, W, 3) uint8 RGB (grey or RGBA also accepted), largest first.

    net: latentbrush.ml.nets.mtcnn.MTCNN (its .pnet, .rnet, .onet). min_face: smallest face side in
    pixels searched for. max_side: the pyramid's largest level is at most this long, so on big
    photos faces smaller than about 12 · max(H, W) / max_side px are skipped (None: no cap)."""
    img = as_rgb_uint8(img)
    if len(thresholds) != 3:
        raise ValueError(f"thresholds must be three numbers (P, R, O), got {thresholds!r}")
    if min_face < 1:
        raise ValueError(f"min_face must be at least 1 px, got {min_face}")
    h, w = img.shape[:2]
    scales = pyramid_scales(h, w, min_face=min_face, max_side=max_side)
    if not scales:
        return []
    device = next(net.parameters()).device
    cand = _stage_p(net.pnet, img, scales, thresholds[0], device)
    if len(cand) == 0:
        return []

    reg, prob = _refine(net.rnet, img, cand[:, :4], 24, device)
    ok = prob > thresholds[1]
    boxes, prob, reg = cand[ok, :4], prob[ok], reg[ok]
    keep = nms(boxes, prob, 0.7)
    boxes = to_square(apply_regression(boxes[keep], reg[keep]))
    if len(boxes) == 0:
        return []

    reg, marks, prob = _refine(net.onet, img, boxes, 48, device)
    ok = prob > thresholds[2]
    boxes, prob, reg, marks = boxes[ok], prob[ok], reg[ok], marks[ok]
    wh = boxes[:, 2:] - boxes[:, :2]
    pts = np.stack([boxes[:, None, 0] + marks[:, :5] * wh[:, None, 0],
                    boxes[:, None, 1] + marks[:, 5:] * wh[:, None, 1]], axis=2)   # (N, 5, 2)
    boxes = apply_regression(boxes, reg)
    keep = nms(boxes, prob, 0.7, mode="min")
    faces = [Face(box=tuple(float(v) for v in boxes[i]), score=float(prob[i]),
                  landmarks=_left_to_right(pts[i])) for i in keep]
    return sorted(faces, key=lambda f: -f.width * f.height)


def _left_to_right(pts: np.ndarray) -> np.ndarray:
    """Eyes and mouth corners ordered by image x (left = smaller x), as float32 (5, 2)."""
    pts = pts.astype(np.float32)
    for a, b in ((0, 1), (3, 4)):
        if pts[a, 0] > pts[b, 0]:
            pts[[a, b]] = pts[[b, a]]
    pts.setflags(write=False)
    return pts
