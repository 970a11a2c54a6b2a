"""Sliders on photos move the photo's own pixels (app/ml/latent/flowedit.py): the generator's edit
becomes a displacement field, so a feature that sits a little off the generator's copy of it moves
instead of being painted twice."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.ml.latent import align, applyback
from app.ml.latent.flowedit import apply_moved, flow_field


def _blob(n: int, cx: float, cy: float, r: float, base: float = 200.0, ink: float = 40.0) -> np.ndarray:
    """(n, n, 3) float32: a light smooth background with a dark round feature."""
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    bg = base + 10 * np.sin(xx / n * 3) * np.cos(yy / n * 2)
    d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
    a = np.clip(r + 0.5 - d, 0, 1)
    img = bg * (1 - a) + ink * a
    return np.repeat(img[..., None], 3, axis=2).astype(np.float32)


def _dark_centres(img: np.ndarray, thresh: float = 110) -> list[tuple[float, float]]:
    m = (img.astype(np.float32).mean(axis=2) < thresh).astype(np.uint8)
    n, _, stats, cents = cv2.connectedComponentsWithStats(m)
    return [tuple(cents[i]) for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= 20]


def test_flow_recovers_a_known_shift():
    a = _blob(64, 32, 32, 5)
    b = _blob(64, 32, 29, 5)                     # the feature moves up by 3 px
    f = flow_field(a, b)
    # edit(p) ≈ projection(p + F): the pixels at the new place come from 3 px below
    assert f[29, 32, 1] == pytest.approx(3.0, abs=0.6)
    assert abs(f[29, 32, 0]) < 0.5
    assert np.abs(f[:8, :8]).max() < 0.3         # nothing moves far from the feature


def test_a_moved_feature_is_moved_not_doubled():
    """The generator's mouth sits 4 frame px right of the photo's; its edit lifts the mouth by 4 px.
    The additive apply-back paints a second mouth; the motion path lifts the photo's one."""
    n = 256                                       # photo crop; the frame is 64 px → 4 photo px per frame px
    photo = np.clip(_blob(n, 128, 150, 16), 0, 255).astype(np.uint8)
    proj = _blob(64, 36, 37.5, 4)                 # generator's feature: 4 frame px to the right
    edit = _blob(64, 36, 33.5, 4)                 # … lifted by 4 frame px
    added = applyback.apply_back(photo, proj, edit, taper=0)
    moved = apply_moved(photo, proj, edit, taper=0)
    assert len(_dark_centres(photo)) == 1
    ghost = _dark_centres(added)                  # a second mouth, merged with the first: drifts sideways
    assert len(ghost) >= 2 or abs(ghost[0][0] - 128) > 4, ghost
    cents = _dark_centres(moved)
    assert len(cents) == 1, cents
    cx, cy = cents[0]
    assert abs(cx - 128) < 3                      # stays where the photo has it
    assert 150 - cy > 6                           # and goes up (≈ 16 px where the flow is strongest)


def test_nothing_outside_the_change_and_no_change_is_identity(rng):
    photo = rng.integers(0, 255, (120, 100, 3), dtype=np.uint8)
    proj = _blob(64, 32, 32, 5)
    assert np.array_equal(apply_moved(photo, proj, proj.copy()), photo)
    edit = _blob(64, 32, 29, 5)
    warp = align.aligned_region(np.array([[30.0, 40], [70, 40], [50, 60], [35, 80], [65, 80]]),
                                np.array([[0.35, 0.47], [0.66, 0.46], [0.5, 0.62], [0.37, 0.82], [0.64, 0.81]]),
                                100, 120)[1]
    for wp in (None, warp):
        out = apply_moved(photo, proj, edit, warp=wp)
        changed = (out != photo).any(axis=2)
        assert changed.any()
        ys, xs = np.nonzero(changed)
        frame = align.from_frame(np.ones((64, 64), np.float32), wp if wp is not None else align.box_warp(100, 120),
                                 (120, 100), smooth=False)
        assert (frame[ys, xs] > 0).all()          # only inside the frame square
    limit = np.zeros((120, 100), np.float32)
    assert np.array_equal(apply_moved(photo, proj, edit, limit=limit), photo)


def test_grey_photo_stays_grey_and_bad_input_is_refused():
    grey = np.repeat(np.clip(_blob(96, 48, 48, 8), 0, 255).astype(np.uint8)[..., :1], 3, axis=2)
    proj = _blob(64, 32, 32, 5)
    edit = proj.copy()
    edit[20:44, 20:44] += [40, 0, -30]
    out = apply_moved(grey, proj, edit).astype(int)
    assert (out != grey).any()
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 1 and np.abs(out[..., 1] - out[..., 2]).max() <= 1
    with pytest.raises(ValueError, match="uint8"):
        apply_moved(grey.astype(np.float32), proj, edit)
    with pytest.raises(ValueError, match="shape"):
        apply_moved(grey, proj, edit[:32])
