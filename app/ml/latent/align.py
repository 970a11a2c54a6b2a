"""Face alignment: the photo's face warped into the generator's frame, and edits warped back.

A *warp* is a 2×3 affine matrix A that maps pixel coordinates (x, y) of the region crop (the
axis-aligned box of the photo that holds the face) to the generator's frame in fractions:
(0, 0) is the frame's top-left corner, (1, 1) its bottom-right. For a face with landmarks, A is the
similarity transform (rotation, uniform scale, shift) that puts the photo's eyes and mouth corners
where the generator puts them; the region is the bounding box of the rotated frame square.

Warping into the frame happens at the crop's own resolution and is then area-averaged down to the
generator's size; warping back upsamples (bicubic) to that resolution first, so neither direction
aliases. Pixels of the crop that lie outside the frame square get weight 0 on the way back.
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.core.bbox import BBox

MAX_FRAME = 1024


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (no reflection) taking points src (n, 2) to dst (n, 2),
    as a 2×3 matrix (Umeyama 1991)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 2:
        raise ValueError(f"need matching (n ≥ 2, 2) point sets, got {src.shape} and {dst.shape}")
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    var = (s ** 2).sum() / len(src)
    if var <= 1e-12:
        raise ValueError("the landmarks coincide; cannot align")
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    fix = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        fix[1, 1] = -1
    rot = u @ fix @ vt
    scale = float((sig * np.diag(fix)).sum() / var)
    t = md - scale * rot @ ms
    return np.hstack([scale * rot, t[:, None]])


def invert(A: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(np.asarray(A, np.float64))


def compose_shift(A: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """A acting on coordinates shifted by (dx, dy): x ↦ A(x + d)."""
    A = np.asarray(A, np.float64).copy()
    A[:, 2] += A[:, :2] @ np.array([dx, dy])
    return A


def aligned_region(landmarks: np.ndarray, canonical: np.ndarray, width: int,
                   height: int) -> tuple[BBox, np.ndarray]:
    """Landmarks (k, 2) in image pixels, canonical (k, 2) in frame fractions → (region, warp):
    the region box (clipped to the image) and the warp from region-crop pixels to the frame."""
    T = similarity(landmarks, canonical)                 # image px → frame fraction
    inv = invert(T)
    corners = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], np.float64)
    pts = corners @ inv[:, :2].T + inv[:, 2]
    x0, y0 = np.floor(pts.min(0)).astype(int)
    x1, y1 = np.ceil(pts.max(0)).astype(int)
    box = BBox(int(x0), int(y0), int(x1), int(y1)).clip(width, height)
    if box.width < 8 or box.height < 8:
        raise ValueError("the face is too small or outside the image")
    return box, compose_shift(T, box.x0, box.y0)


def box_warp(w: int, h: int) -> np.ndarray:
    """The warp of an unaligned square region: the crop stretched onto the frame."""
    return np.array([[1.0 / w, 0, 0], [0, 1.0 / h, 0]], np.float64)


def frame_size(warp: np.ndarray, R: int) -> int:
    """The frame resolution at which the crop is resampled without loss: its own pixel scale."""
    scale = float(np.sqrt(abs(np.linalg.det(np.asarray(warp, np.float64)[:, :2]))))
    return int(np.clip(round(1.0 / max(scale, 1e-9)), R, MAX_FRAME))


def _scaled(warp: np.ndarray, F: int) -> np.ndarray:
    return np.asarray(warp, np.float64) * F


def to_frame(crop: np.ndarray, warp: np.ndarray, R: int, *, nearest: bool = False) -> np.ndarray:
    """crop (h, w[, c]) → (R, R[, c]) float32 in the generator's frame. Outside the crop the
    border is replicated (the generator needs a full frame); `nearest` for label maps."""
    F = frame_size(warp, R)
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    src = crop if crop.dtype in (np.uint8, np.float32) else crop.astype(np.float32)
    big = cv2.warpAffine(src, _scaled(warp, F), (F, F), flags=interp, borderMode=cv2.BORDER_REPLICATE)
    if F != R:
        big = cv2.resize(big, (R, R), interpolation=cv2.INTER_NEAREST if nearest else cv2.INTER_AREA)
    return big.astype(np.float32) if big.dtype != np.float32 and not nearest else big


def from_frame(img: np.ndarray, warp: np.ndarray, shape: tuple[int, int], *,
               smooth: bool = True) -> np.ndarray:
    """img (r, r[, c]) in the frame → (h, w[, c]) float32 over the region crop; 0 outside the frame
    square. `smooth` upsamples bicubically (images); else bilinearly (weights, masks)."""
    h, w = shape
    R = img.shape[0]
    F = frame_size(warp, R)
    src = np.asarray(img, np.float32)
    if F != R:
        src = cv2.resize(src, (F, F), interpolation=cv2.INTER_CUBIC if smooth else cv2.INTER_LINEAR)
    return cv2.warpAffine(src, _scaled(warp, F), (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def frame_coverage(warp: np.ndarray, shape: tuple[int, int], R: int = 64) -> np.ndarray:
    """(h, w) float32: 1 where a crop pixel lies inside the frame square, 0 outside."""
    return from_frame(np.ones((R, R), np.float32), warp, shape, smooth=False)
