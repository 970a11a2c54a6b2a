"""Faces drawn from memory for the sketch translator's training (app/ml/translate/cartoons.py): the
strokes sit where the face has its features, the held-out version is fixed, the trained ones vary."""

from __future__ import annotations

import numpy as np
import pytest

from latentbrush.ml.translate.cartoons import canonical_landmarks, cartoon_drawing
from latentbrush.ml.translate.sketch_pairs import sketch_of

NAMES = ("background", "hair", "skin", "eyes", "nose", "mouth", "neck")


def face_map(r: int = 64) -> np.ndarray:
    """A part map framed as the generator frames faces: skin oval, hair cap, eyes, nose, mouth."""
    yy, xx = (np.mgrid[:r, :r] + 0.5) / r
    lab = np.zeros((r, r), np.int64)
    lab[((xx - 0.5) / 0.42) ** 2 + ((yy - 0.3) / 0.3) ** 2 < 1] = 1                 # hair
    lab[((xx - 0.5) / 0.33) ** 2 + ((yy - 0.6) / 0.42) ** 2 < 1] = 2                # skin
    lm = canonical_landmarks()
    for (cx, cy), part in zip(lm, (3, 3, 4, 5, 5), strict=True):
        lab[np.hypot(xx - cx, yy - cy) < 0.05] = part
    return lab


def ink_near(d: np.ndarray, at: np.ndarray, reach: float) -> bool:
    s = d.shape[0]
    yy, xx = (np.mgrid[:s, :s] + 0.5) / s
    return bool((d[np.hypot(xx - at[0], yy - at[1]) < reach] < 128).any())


def test_the_strokes_sit_on_the_faces_features_and_the_rest_is_paper():
    d = cartoon_drawing(face_map(), NAMES, 256)
    lm = canonical_landmarks()
    assert d.shape == (256, 256) and d.dtype == np.uint8
    for eye in lm[:2]:
        assert ink_near(d, eye, 0.06)                                  # an eye drawn round each eye
    assert ink_near(d, (lm[3] + lm[4]) / 2, 0.06)                      # the mouth between its corners
    assert ink_near(d, np.array([0.5 - 0.33, 0.6]), 0.04)              # the face's oval at its cheek
    assert not ink_near(d, np.array([0.05, 0.95]), 0.04)               # a corner away from the face: paper
    assert 0.02 < (d < 128).mean() < 0.15                              # lines, not blotches


def test_the_held_out_cartoon_is_fixed_and_the_trained_ones_vary():
    lab = face_map()
    assert np.array_equal(cartoon_drawing(lab, NAMES), cartoon_drawing(lab, NAMES))
    a = cartoon_drawing(lab, NAMES, rng=np.random.default_rng(1))
    b = cartoon_drawing(lab, NAMES, rng=np.random.default_rng(2))
    assert not np.array_equal(a, b)
    assert np.array_equal(a, cartoon_drawing(lab, NAMES, rng=np.random.default_rng(1)))


def test_cartoons_need_the_part_map():
    face = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="part map"):
        sketch_of(face, "cartoons", None)
    s = sketch_of(face, "cartoons", None, (face_map(), NAMES))
    assert s.shape == (64, 64) and (s < 128).any() and s.max() == 255
