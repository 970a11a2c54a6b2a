"""Whether a face's features hold a hole in a photo, and which: the face check of the default fill
(content_aware.py keeps other patches out of such a hole), and whether the hole lies on an eye, on one side of
the features or over the whole mouth (faces.py fills the first two from the face's other side).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import cv2
import numpy as np

from latentbrush.core.bbox import BBox
from latentbrush.ml.inpaint.masks import grid_step, hole_depth

if TYPE_CHECKING:
    from latentbrush.ml.registry import ModelManager

FACE_WINDOW = 4.0    # an area's face check looks for faces in a window this many times the area's side,
FACE_SIDE = 384      # … scaled down to at most this side (a face that holds the area is large in it)
FEATURE_SHARE = 0.5  # a face's features hold the hole where at least this share of its pixels lies within
EYE_ZONE, NOSE_ZONE, MOUTH_ZONE = 0.45, 0.3, 0.35   # … these × the eye distance of an eye, the nose tip,
#                      the line between the mouth's corners
SHARE_POINTS = 1 << 18   # … read on at most about this many of its pixels
FACE_LINE = 0.045    # … unless the hole is a line across the face: its median depth under this × the eye distance
#                      (a scratch; an eye or mouth masked lies 0.07 × deep: coherence transport continues the line)
LINE_SHAPE = 0.08    # … and under this × the square root of its area (a 9-px line 330 px long: 0.04; a disc 0.17)


def features_hold(find: Callable[[np.ndarray], list[np.ndarray]], image: np.ndarray, box: BBox,
                  hole: np.ndarray) -> bool:
    """Whether a face's features hold an area's hole (`holding_face`)."""
    return holding_face(find, image, box, hole) is not None


def holding_face(find: Callable[[np.ndarray], list[np.ndarray]], image: np.ndarray, box: BBox,
                 hole: np.ndarray) -> np.ndarray | None:
    """The five landmarks ((5, 2) x, y in the image) of the face whose features hold an area's hole, or
    None: `find` (an image → each face's five landmarks,
    eyes, nose, mouth corners, (5, 2) x/y) is run on a window `FACE_WINDOW` × the area's side
    around the area (`box` in `image`; `hole` in the area's coordinates), scaled to at most
    `FACE_SIDE`, and at least `FEATURE_SHARE` of the hole's pixels lie in one face's feature zones (or the hole
    covers one of its landmarks, `covers_feature`):
    within `EYE_ZONE` × the eye distance of an eye, `NOSE_ZONE` × of the nose tip, `MOUTH_ZONE` × of
    the line between the mouth's corners — and the hole is not a thin line across the face (its median
    depth under `FACE_LINE` × the eye distance and `LINE_SHAPE` × the root of its area: a scratch over
    glasses, an eye and a nose, which the learned mix fills as a flat stripe and coherence transport
    continues)."""
    if not hole.any():
        return None
    depth = hole_depth(hole)
    line = depth < LINE_SHAPE * float(np.sqrt(hole.sum()))
    H, W = image.shape[:2]
    side = FACE_WINDOW * max(box.width, box.height)
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    x0, y0 = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
    x1, y1 = int(min(cx + side / 2, W)), int(min(cy + side / 2, H))
    window = np.ascontiguousarray(image[y0:y1, x0:x1])
    s = min(1.0, FACE_SIDE / max(window.shape[:2]))
    if s < 1:
        window = cv2.resize(window, (max(round(window.shape[1] * s), 1), max(round(window.shape[0] * s), 1)),
                            interpolation=cv2.INTER_AREA)
    k = grid_step(hole, SHARE_POINTS)       # a large hole's share is read on a grid (its every pixel: GBs)
    ys, xs = np.nonzero(hole[::k, ::k])
    pts = np.stack([xs * k + box.x0, ys * k + box.y0], 1).astype(np.float64)
    for marks in find(window):
        lm = np.asarray(marks, np.float64) / s + [x0, y0]           # into the image's coordinates
        iod = float(np.linalg.norm(lm[1] - lm[0]))
        if iod < 1 or (line and depth < FACE_LINE * iod):
            continue
        near = np.zeros(len(pts), bool)
        for c, r in ((lm[0], EYE_ZONE), (lm[1], EYE_ZONE), (lm[2], NOSE_ZONE)):
            near |= np.linalg.norm(pts - c, axis=1) < r * iod
        a, b = lm[3], lm[4]
        t = np.clip((pts - a) @ (b - a) / max(float((b - a) @ (b - a)), 1e-9), 0, 1)
        near |= np.linalg.norm(pts - (a + t[:, None] * (b - a)), axis=1) < MOUTH_ZONE * iod
        if near.mean() >= FEATURE_SHARE or covers_feature(hole, box, lm):
            return lm
    return None


def covers_feature(hole: np.ndarray, box: BBox, lm: np.ndarray) -> bool:
    """Whether the area's hole (in `box`) covers one of the face's landmarks (`lm`, in the image): an eye, the
    nose tip or a mouth corner is masked, however far the mask reaches beyond it (a helper's rectangle over half
    an open mouth and the chin below it had under half its pixels near the features, and got a smear and no
    word about the face, stop 52)."""
    xy = np.rint(np.asarray(lm, np.float64) - [box.x0, box.y0]).astype(int)
    inside = (xy[:, 0] >= 0) & (xy[:, 1] >= 0) & (xy[:, 0] < hole.shape[1]) & (xy[:, 1] < hole.shape[0])
    return bool(hole[xy[inside, 1], xy[inside, 0]].any())


def face_finder(models: ModelManager) -> Callable[[np.ndarray], list[np.ndarray]] | None:
    """Each face's five landmarks (eyes, nose, mouth corners) in an image, by the editor's landmark
    detector, for the default fill's face check; None without the detector's weights (the Haar
    fallback finds no landmarks)."""
    from latentbrush.ml.faces.detect import DETECTOR_ID
    spec = next((s for s in models.manifest if s.id == DETECTOR_ID), None)
    if spec is None or not models.available(spec):
        return None

    def landmarks(img: np.ndarray) -> list[np.ndarray]:
        from latentbrush.ml.latent.photo import find_faces
        return [f.landmarks for f in find_faces(img, models) if f.landmarks is not None]
    return landmarks


NEAR_EYE = 0.6       # the hole's centre within this × the eye distance of an eye: the eye is what is masked
SIDE_WIDTH = 0.9     # a hole on one side of the features (`side_under`): within this × the eye
SIDE_TOP, SIDE_BOTTOM = -0.5, 1.9   # distance of the middle, and between these × below the eyes (brow to chin:
#                      1.7 until stop 52 stopped above the chin, and a helper's mask over a mouth and the chin below
#                      it was not mirrored),
SIDE_OFF = 0.1       # its centre at least this × the eye distance off the middle (on the middle: not a side's);
MOUTH_HIDDEN = 0.8   # this share of the mouth corners' line masked hides the mouth (`mouth_under`)


def eye_under(hole: np.ndarray, box: BBox, lm: np.ndarray) -> int | None:
    """Which of the face's eyes (0, 1; `lm` in the image) the area's hole (in `box`) lies on: its centre
    within `NEAR_EYE` × the eye distance of the eye; None where it lies on neither."""
    lm = np.asarray(lm, np.float64)
    iod = float(np.linalg.norm(lm[1] - lm[0]))
    if not hole.any() or iod < 4:
        return None
    centre = hole_centre(hole) + [box.x0, box.y0]
    which = int(np.linalg.norm(centre - lm[1]) < np.linalg.norm(centre - lm[0]))
    return which if np.linalg.norm(centre - lm[which]) <= NEAR_EYE * iod else None


def mouth_under(hole: np.ndarray, box: BBox, lm: np.ndarray) -> bool:
    """Whether the area's hole (in `box`; `lm` in the image) hides the mouth: `MOUTH_HIDDEN` or more of the
    line between its corners lies in the hole (nothing of it is left to copy from)."""
    a, b = np.asarray(lm[3], np.float64), np.asarray(lm[4], np.float64)
    t = np.linspace(0, 1, 21)[:, None]
    xs, ys = (np.rint(a + t * (b - a) - [box.x0, box.y0]).astype(int).T)
    inside = (xs >= 0) & (ys >= 0) & (xs < hole.shape[1]) & (ys < hole.shape[0])
    return bool(inside.any() and hole[ys[inside], xs[inside]].sum() >= MOUTH_HIDDEN * len(t))


def side_under(hole: np.ndarray, box: BBox, lm: np.ndarray) -> bool:
    """Whether the area's hole (in `box`; `lm` the face's landmarks in the image) lies on one side of the
    face's middle, off the eyes: within `SIDE_WIDTH` × the eye distance of the middle (the line through the
    eyes' midpoint square to them), between `SIDE_TOP` and `SIDE_BOTTOM` × below the eyes, its centre
    `SIDE_OFF` × or more off the middle."""
    lm = np.asarray(lm, np.float64)
    iod = float(np.linalg.norm(lm[1] - lm[0]))
    if not hole.any() or iod < 4 or eye_under(hole, box, lm) is not None:
        return False
    u = (lm[1] - lm[0]) / iod
    v = np.array([-u[1], u[0]])
    # the extremes lie on the hole's outline, the mean is the hole's centre: no list of all its pixels (GBs)
    edge = np.concatenate([c.reshape(-1, 2) for c in cv2.findContours(
        hole.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0]]) + [box.x0, box.y0] - (lm[0] + lm[1]) / 2
    a, b = edge @ u, edge @ v
    mid = (hole_centre(hole) + [box.x0, box.y0] - (lm[0] + lm[1]) / 2) @ u
    return bool(np.abs(a).max() <= SIDE_WIDTH * iod and b.min() >= SIDE_TOP * iod and b.max() <= SIDE_BOTTOM * iod
                and abs(mid) >= SIDE_OFF * iod)


def hole_centre(hole: np.ndarray) -> np.ndarray:
    """The mean (x, y) of a hole's pixels (the crop's centre for an empty one)."""
    m = cv2.moments(hole.astype(np.uint8), binaryImage=True)
    if m["m00"] == 0:
        return np.array([(hole.shape[1] - 1) / 2, (hole.shape[0] - 1) / 2])
    return np.array([m["m10"] / m["m00"], m["m01"] / m["m00"]])
