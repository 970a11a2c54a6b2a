"""Part edits on a photo carried by the photo's own pixels: which edits move them (`moves_pixels`), the
warp onto the painted shape (`shape_field`, shapewarp.py), and the part map at the photo's size.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from latentbrush.core.latent_state import LatentState
from latentbrush.ml.latent import photo
from latentbrush.ml.parts.labels import upscale_labels
from latentbrush.ml.parts.shapewarp import Reshape, reach_corners, shape_warp


def full_label_map(labels: np.ndarray, state: LatentState, shape: tuple[int, int]) -> np.ndarray:
    """(R, R) part indices → (H, W) uint8 index + 1 inside the state's region, 0 elsewhere."""
    r = state.region
    out = np.zeros(shape, np.uint8)
    if state.warp is None:
        out[r.y0:r.y1, r.x0:r.x1] = upscale_labels(labels + 1, r.width, r.height)
    else:
        out[r.y0:r.y1, r.x0:r.x1] = photo.labels_from_frame(labels + 1, state)
    return out


FEATURES = frozenset({"eyes", "nose", "mouth", "brows"})   # parts a photo's part edit moves rather than repaints


def moves_pixels(state: LatentState, parts, painted=None) -> bool:
    """Whether a part edit on this state is carried as motion: on a photo, when it involves a feature
    (`parts`: the labels painted and those painted over; `clipped_composite`) and hair is not what is
    painted (`painted`, default `parts`) — hair spreading onto the forehead (or over the eyes) is new
    colour there, not motion (4 held-out portraits, "grow the hair" as motion: the re-segmenting check
    61 → 23 %, and the hairline hardly moved). (A mouth painted over what the map calls hair — a
    moustache, lip wrinkles — is still a mouth to move.)"""
    painted = parts if painted is None else painted
    return state.fit_psnr is not None and bool(FEATURES & set(parts)) and "hair" not in set(painted)


def shape_field(current: np.ndarray, painted: np.ndarray, state: LatentState,
                names: list[str], limit: np.ndarray, only: Collection[str] | None = None,
                corners: np.ndarray | None = None) -> Reshape | None:
    """The warp (shapewarp.py) that takes the region crop's features (`current`: the (R, R) part map)
    onto the shape painted in `painted` (crop, index + 1; 0 = unpainted), moving pixels only within
    `limit` (the edited area); `only`: the part names that may be reshaped (default every feature);
    `corners`: the face detector's mouth corners (crop pixels), where the map's mouth is taken to end
    (`reach_corners`). None where none can be reshaped."""
    r = state.region
    now = full_label_map(current, state, (r.y1, r.x1))[r.y0:r.y1, r.x0:r.x1].astype(np.int64) - 1
    return crop_shape_field(now, painted, names, limit, only, corners, state.reference)


def crop_shape_field(now: np.ndarray, painted: np.ndarray, names: list[str], limit: np.ndarray,
                     only: Collection[str] | None = None, corners: np.ndarray | None = None,
                     image: np.ndarray | None = None) -> Reshape | None:
    """`shape_field` on the region crop's part map at the crop's size (`now`: indices, −1 outside the
    generator's frame) and the photo crop (`image`). The motion stays inside the face's outline
    (`face_fade`)."""
    wanted = np.where(painted > 0, painted.astype(np.int64) - 1, now)
    if corners is not None and "mouth" in names:
        m = names.index("mouth")
        now, wanted = reach_corners(now, wanted, painted > 0, m, corners,
                                    [names.index(f) for f in FEATURES if f in names and f != "mouth"])
    feats = [names.index(f) for f in sorted(FEATURES) if f in names and (only is None or f in only)]
    # a feature painted with, or painted over with skin (made smaller); not one that only lost pixels to
    # another feature's paint — a mouth grown into the nose's tip is not a wish for a shorter nose (the
    # falloff around the mouth makes room)
    lost = (now[..., None] == feats) & (wanted[..., None] != feats) & ~np.isin(wanted, feats)[..., None]
    gained = (wanted[..., None] == feats) & (now[..., None] != feats)
    return shape_warp(now, wanted, [f for i, f in enumerate(feats) if gained[..., i].any() or lost[..., i].any()],
                      limit * face_fade(now, names, image),
                      [names.index(f) for f in ("eyes", "nose", "brows") if f in names], lips=corners)


FACE = ("skin", "eyes", "nose", "mouth", "brows")   # the parts inside a face's outline …
FACE_NECK = "neck"   # … and the neck where it has the skin's colour (the 64-px map calls a photo's chin neck as
                     # often as not; its neck also spreads over collars and the backdrop below the jaw)
SKIN_DE = 25.0       # a neck pixel has the skin's colour within this distance of the map's median skin (8-bit Lab)
FACE_MARGIN = 0.05   # motion dies out over this share of the face's size (√area) inside its outline
FACE_CLOSE = 0.08    # gaps in the map's face narrower than this share of its size are closed
FACE_ROUND = 0.02    # its outline rounded by a blur of this share of its size


def face_fade(labels: np.ndarray, names: list[str], image: np.ndarray | None = None) -> np.ndarray:
    """(h, w) float 0..1 over a part map (indices): 1 inside the face, falling to 0 at its outline (the
    face's parts and, where `image` (the photo crop) shows the skin's colour there, the neck; gaps closed,
    holes filled; the crop's edge is no outline; 1 everywhere where the map has no face). A warp's motion
    is limited by it: a mouth widened to 1.3× its lips' corners moved the map's face outline (the jaw and
    cheeks, into the background) by a tenth of the corners' distance, and at 1.6× by a third (`bench
    parts_photo`); now the cheeks take the motion up and the outline stays. (The skin too cut back to the
    pixels of the skin's colour: half a face in shadow, or a highlit cheek, fell outside it.)"""
    import cv2

    face = np.isin(labels, [names.index(n) for n in FACE if n in names])
    skin = labels == names.index("skin") if "skin" in names else face
    if image is not None and FACE_NECK in names and skin.sum() >= 16:
        lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
        neck = (labels == names.index(FACE_NECK)) & (np.linalg.norm(lab - np.median(lab[skin], axis=0), axis=-1)
                                                      <= SKIN_DE)
        face |= cv2.morphologyEx(neck.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    face = face.astype(np.uint8)
    if not face.any():
        return np.ones(labels.shape, np.float64)
    # the 64-px map's specks and inlets of background inside the face closed (on a portrait in three-quarter
    # view they sat beside the lips, which then hardly moved)
    k = 2 * int(round(FACE_CLOSE * np.sqrt(face.sum()))) + 1
    face = cv2.morphologyEx(np.pad(face, k, mode="edge"), cv2.MORPH_CLOSE,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))[k:-k, k:-k]
    contours, _ = cv2.findContours(face, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    face = cv2.drawContours(np.zeros_like(face), contours, -1, 1, thickness=cv2.FILLED)
    # its outline rounded: the 64-px map's steps, scaled up, left a serrated edge where the cheek was squeezed
    s = max(1.0, FACE_ROUND * np.sqrt(face.sum()))
    face = (cv2.GaussianBlur(np.pad(face.astype(np.float32), k, mode="edge"), (0, 0), s)[k:-k, k:-k] > 0.5
            ).astype(np.uint8)
    # (padded with itself: the crop's edge is no outline)
    inside = cv2.distanceTransform(np.pad(face, 1, mode="edge"), cv2.DIST_L2, 5)[1:-1, 1:-1]
    t = np.clip((inside - 1.0) / max(FACE_MARGIN * np.sqrt(face.sum()), 1.0), 0.0, 1.0)   # (its edge pixels: 0)
    return t * t * (3 - 2 * t)


FRAME_FADE = 0.04    # an edit's weight fades to 0 over this fraction of the region's side inside the frame's edge


def frame_fade(state: LatentState, R: int) -> np.ndarray:
    """(h, w) float32 over the region crop: 1 well inside the generator's frame, falling to 0 at its edge
    and at the region's. The generator draws only inside its frame (tilted with the face, `state.warp`),
    so an edit area that reaches that edge — hair the 64-px map spreads above the head — was cut there:
    a helper growing the hair found a straight-edged, lighter band in the background above the head."""
    import cv2

    r = state.region
    inside = photo.labels_from_frame(np.ones((R, R), np.uint8), state) > 0
    inside[[0, -1], :] = False
    inside[:, [0, -1]] = False
    dist = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 3)
    return np.clip(dist / max(FRAME_FADE * r.width, 1.0), 0.0, 1.0).astype(np.float32)
