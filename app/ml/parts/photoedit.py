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
                      limit, [names.index(f) for f in ("eyes", "nose", "brows") if f in names], lips=corners)


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
