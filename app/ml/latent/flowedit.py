"""Carry a latent edit onto the photo as *motion*, not as added pixels.

The additive apply-back (applyback.py) adds `edit − projection` to the photo. When the edit moves
features (a smile lifts the mouth corners, a head turn moves the nose) and the generator's face is
not exactly where the photo's is, adding the difference paints a second, shifted copy of the
feature over the first: the doubled mouths and eyes seen on three-quarter faces.

Here the edit is split into
- a displacement field F in the generator's frame: edit(p) ≈ projection(p + F(p))
  (dense optical flow between the two renders, Farnebäck);
- a smooth residual: edit − projection moved by F, low-passed — what motion cannot explain.
The photo itself is resampled along F (at its own resolution, through the alignment warp); the
residual is added with weight `shading` (0 by default: on three-quarter faces even a smoothed
residual of the shipped generator's edit shows the generator's own face as a faint second outline,
seen on the held-out portraits of `bench realphoto`; the mouth lift comes from the motion alone).
Any further change that should be added as it is (`added`, e.g. a lighting slider moved at the
same time) goes on top. The result is blended in with the same feathered "where the edit changed
things" weight as the additive path — the motion scaled by it, so a moving edge fades out in place instead of
showing twice — and pixels outside it keep their exact bytes.
"""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.ml.latent import align
from latentbrush.ml.latent.applyback import add_weighted, is_grey, warped_weight

FLOW_WINDOW = 11         # Farnebäck averaging window, frame pixels (at the frame's own resolution: upsampling
                         # the renders first biases the flow low, −25 % at ×2 on a 1-px shift)
RESIDUAL_SIGMA = 1.5     # frame pixels: the residual keeps only what is smoother than this
SHADING = 0.0            # weight of the residual (see above)
MOTION_TO_CHANGE = 32.0  # motion (frame px) → the 0..255 change scale of change_weight: 0.5 px counts in full
MAX_MOTION = 3.0         # frame pixels: a slider at ±3 moves a mouth corner by ≈ 2; longer vectors are the
                         # flow mistaking a change of shading for motion
GREY = np.array([0.299, 0.587, 0.114], np.float32)
TAME_CHROMA = 10.0       # `tamed`: the residual's colour (off grey) at most this long (0..255 per channel) …
TAME_LOCAL = 20.0        # … its lightness at most this far from its broad change …
TAME_BROAD = 6.0 / 64    # … which is the lightness blurred by this share of the frame (6 px of a 64-px frame)


def lower_face(R: int) -> np.ndarray:
    """(R, R) float32 in the generator's aligned frame: 1 from just above the nose tip down, 0 from a little
    below the eyes up (a smoothstep between), within an ellipse over the cheeks, mouth and chin. The smile and
    mouth-open directions of the 64-px generator also move its hairline, brows and eyes a little; carried onto a
    photo as motion that lifted a helper's
    astronaut's fringe and resampled her forehead (its fine detail −37 %, stop 53), so their motion is kept
    to the lower face."""
    from latentbrush.ml.faces.canonical import CANONICAL_LANDMARKS as C

    eyes, nose = float(C[:2, 1].mean()), float(C[2, 1])
    y0, y1 = eyes + 0.3 * (nose - eyes), nose - 0.1 * (nose - eyes)
    c = (np.arange(R, dtype=np.float32) + 0.5) / R
    t = np.clip((c - y0) / (y1 - y0), 0, 1)
    rows = np.repeat((t * t * (3 - 2 * t))[:, None], R, axis=1)
    # … and within the cheeks and chin: an ellipse around the mouth, 0.95 × the eye distance across, reaching
    # the chin (the smile bent a helper's astronaut's collar beside her jaw, stop 53)
    iod = float(C[1, 0] - C[0, 0])
    cx, cy = float(C[3:, 0].mean()), float(C[3:, 1].mean()) - 0.1
    r = np.sqrt(((c[None, :] - cx) / (0.95 * iod)) ** 2 + ((c[:, None] - cy) / 0.3) ** 2)
    u = np.clip((1.1 - r) / 0.3, 0, 1)
    return (rows * u * u * (3 - 2 * u)).astype(np.float32)


def _gray(img: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.asarray(img, np.float32) @ GREY), 0, 255).astype(np.uint8)


def flow_field(projection: np.ndarray, edit: np.ndarray, *, window: int = FLOW_WINDOW,
               max_motion: float = MAX_MOTION) -> np.ndarray:
    """(R, R, 3) renders before / after an edit → (R, R, 2) float32 displacement in frame pixels
    (x, y) such that edit(p) ≈ projection(p + F(p)), at most `max_motion` long."""
    # prev = edit, next = projection: edit(y, x) ≈ projection(y + F_y, x + F_x)
    f = cv2.calcOpticalFlowFarneback(_gray(edit), _gray(projection), None, 0.5, 3, window, 4, 5, 1.1, 0)
    length = np.linalg.norm(f, axis=2, keepdims=True)
    return (f * np.minimum(1.0, max_motion / np.maximum(length, 1e-6))).astype(np.float32)


def _moved(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    R = img.shape[0]
    gx, gy = np.meshgrid(np.arange(R, dtype=np.float32), np.arange(R, dtype=np.float32))
    return cv2.remap(np.asarray(img, np.float32), gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def split_edit(projection: np.ndarray, edit: np.ndarray, *, sigma: float = RESIDUAL_SIGMA,
               window: int = FLOW_WINDOW, max_motion: float = MAX_MOTION) -> tuple[np.ndarray, np.ndarray]:
    """(flow (R, R, 2), smooth residual (R, R, 3) float32 0..255 scale)."""
    flow = flow_field(projection, edit, window=window, max_motion=max_motion)
    residual = np.asarray(edit, np.float32) - _moved(projection, flow)
    if sigma > 0:
        residual = cv2.GaussianBlur(residual, (0, 0), sigma)
    return flow, residual


def tamed(residual: np.ndarray) -> np.ndarray:
    """(R, R, 3) residual → the same with its colour (the part off grey) at most `TAME_CHROMA` long and its
    lightness at most `TAME_LOCAL` from its broad change (blurred by `TAME_BROAD` of the frame), which passes as it
    is. What motion does not explain, on a photo the generator was fitted to, is mostly the generator drawing
    another face there: a pink forehead, teal hair, the backdrop's grey over an ear (explore sliders at ±1.5–3,
    stop 60's sweep). A change of light spreads broadly and keeps its strength."""
    r = np.asarray(residual, np.float32)
    lum = r.mean(axis=2, keepdims=True)
    chroma = r - lum
    length = np.sqrt((chroma ** 2).sum(axis=2, keepdims=True))
    chroma *= np.minimum(1.0, TAME_CHROMA / np.maximum(length, 1e-6))
    broad = cv2.GaussianBlur(lum[..., 0], (0, 0), TAME_BROAD * r.shape[0])[..., None]
    local = np.clip(lum - broad, -TAME_LOCAL, TAME_LOCAL)
    return (broad + local + chroma).astype(np.float32)


def _crop_motion(flow: np.ndarray, warp: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Where each crop pixel takes its colour from: q + L⁻¹·F(warp(q))/R, L the warp's linear part
    (the flow carried from the frame onto the crop; 0 outside the frame square)."""
    h, w = shape
    R = flow.shape[0]
    d = align.from_frame(flow / np.float32(R), warp, (h, w), smooth=False)        # frame fractions
    inv = align.invert(np.asarray(warp, np.float64)).astype(np.float32)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    qx = xs + inv[0, 0] * d[..., 0] + inv[0, 1] * d[..., 1]
    qy = ys + inv[1, 0] * d[..., 0] + inv[1, 1] * d[..., 1]
    return qx, qy


def apply_moved(photo: np.ndarray, projection: np.ndarray, edit: np.ndarray, *, warp: np.ndarray | None = None,
                limit: np.ndarray | None = None, feather: float = 1.0, taper: float = 0.08,
                sigma: float = RESIDUAL_SIGMA, shading: float = SHADING, window: int = FLOW_WINDOW,
                added: np.ndarray | None = None, locus: np.ndarray | None = None,
                max_motion: float = MAX_MOTION, tame: bool = False) -> np.ndarray:
    """photo (h, w, 3) uint8 region crop; projection, edit (R, R, 3) renders 0..255 of the latent
    before / after; warp (2, 3) crop → frame fractions (None: the crop stretched onto the frame);
    shading: weight of the motion's smooth residual; window: the flow's averaging window (frame
    pixels; larger = smoother motion); added (R, R, 3): a further change added as it
    is (shading edits made at the same time); locus (R, R) 0..1: where in the frame the motion may act
    (`lower_face`: a smile moves the mouth and cheeks, not the hair or the brows); max_motion: the flow's
    longest vector (frame px); tame: the residual `tamed` (before `added`).
    Returns (h, w, 3) uint8; exactly the photo's bytes wherever the weight is 0."""
    if photo.ndim != 3 or photo.shape[2] != 3 or photo.dtype != np.uint8:
        raise ValueError(f"photo must be (h, w, 3) uint8, got {photo.shape} {photo.dtype}")
    if projection.shape != edit.shape:
        raise ValueError(f"projection {projection.shape} and edit {edit.shape} differ in shape")
    h, w = photo.shape[:2]
    R = projection.shape[0]
    warp = align.box_warp(w, h) if warp is None else np.asarray(warp, np.float64)
    flow, residual = split_edit(projection, edit, sigma=sigma, window=window, max_motion=max_motion)
    if locus is not None:
        flow = flow * np.asarray(locus, np.float32)[..., None]
    residual = residual * np.float32(shading)
    if tame:
        residual = tamed(residual)
    if added is not None:
        if added.shape != projection.shape:
            raise ValueError(f"added change {added.shape} must match the renders {projection.shape}")
        residual = residual + _moved(added, flow)       # a shading change travels with the feature it is on
    # where the edit changes colour or moves things: a uniform feature that moves changes colour only at
    # its rim, and its inside must move with it
    amount = np.maximum(np.abs(np.asarray(edit, np.float32) - np.asarray(projection, np.float32)).max(axis=2),
                        np.abs(residual).max(axis=2))
    amount = np.maximum(amount, MOTION_TO_CHANGE * np.linalg.norm(flow, axis=2))
    weight = warped_weight(amount[..., None], warp, (h, w), R=R, limit=limit, feather=feather, taper=taper)
    out = photo.copy()
    rows, cols = np.nonzero(weight.any(axis=1))[0], np.nonzero(weight.any(axis=0))[0]
    if rows.size == 0:
        return out
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    sub = align.compose_shift(warp, x0, y0)               # the changed window only (a smile: the mouth)
    if is_grey(photo):
        residual = np.repeat((residual @ GREY)[..., None], 3, axis=2)
    qx, qy = _crop_motion(flow, sub, (y1 - y0, x1 - x0))
    # the motion itself fades out with the weight (pixels move less towards the frame's edge): cross-fading the
    # moved photo with the unmoved one there showed an ear or a curtain's edge twice (helper 64, head turn ±1.5)
    wt = weight[y0:y1, x0:x1]
    xs, ys = np.meshgrid(np.arange(x1 - x0, dtype=np.float32), np.arange(y1 - y0, dtype=np.float32))
    moved = cv2.remap(photo, xs + wt * (qx - xs) + np.float32(x0), ys + wt * (qy - ys) + np.float32(y0),
                      cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT).astype(np.float32)
    here = photo[y0:y1, x0:x1]
    change = moved - here.astype(np.float32) + wt[..., None] * align.from_frame(residual, sub, (y1 - y0, x1 - x0))
    out[y0:y1, x0:x1] = add_weighted(here, change, (wt > 0).astype(np.float32))
    return out
