"""The biharmonic fill (app/ml/inpaint/biharmonic.py) and its place in the content-aware fill's mix."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from latentbrush.ml.inpaint.biharmonic import biharmonic
from latentbrush.ml.inpaint.content_aware import ContentAwareFiller
from latentbrush.ml.inpaint.filler import BiharmonicFiller, ClassicalFiller
from latentbrush.ml.inpaint.masks import random_mask


def hole_psnr(a, b, hole):
    err = np.mean((a[hole].astype(float) - b[hole]) ** 2)
    return 10 * np.log10(255 ** 2 / max(err, 1e-9))


def shading(n: int, seed: int = 0) -> np.ndarray:
    """Smooth light across a surface: a quadratic in x and y per channel (what a downscaled wall, cheek or
    sky looks like), the kind of picture whose slopes a harmonic fill flattens in a hole."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:n, 0:n] / n
    out = np.stack([80 + 60 * a * x + 50 * b * y + 70 * c * x * y - 40 * d * x ** 2
                    for a, b, c, d in rng.uniform(-1, 1, (3, 4))], -1)
    return np.clip(out + 60, 0, 255).astype(np.uint8)


def test_a_quadratic_surface_is_continued_exactly_where_a_harmonic_fill_flattens_it():
    """Δ² of a quadratic is 0: the biharmonic fill reproduces it inside the hole (to the solver's
    tolerance and the 8-bit rounding), while Telea, which carries values not slopes, is several dB off."""
    img = shading(64, seed=1).astype(np.float32)
    y, x = np.mgrid[0:64, 0:64] / 64
    img = np.stack([90 + 80 * x + 40 * y - 50 * x * y, 120 - 60 * x ** 2 + 30 * y, 60 + 100 * y * y], -1)
    hole = np.zeros((64, 64), bool)
    hole[20:44, 14:50] = True
    out = biharmonic(img, hole)
    assert out.dtype == np.float32 and out.shape == img.shape
    assert np.array_equal(out[~hole], img[~hole])                     # the known pixels as they are
    assert np.abs(out[hole] - img[hole]).max() < 1.0
    u8 = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    telea = ClassicalFiller().fill(np.where(hole[..., None], 255, u8).astype(np.uint8), hole)
    ours = BiharmonicFiller().fill(np.where(hole[..., None], 255, u8).astype(np.uint8), hole)
    assert hole_psnr(ours, u8, hole) > hole_psnr(telea, u8, hole) + 6
    assert np.array_equal(ours[~hole], u8[~hole])


@pytest.mark.parametrize("side", [16, 40, 64])
def test_strokes_touching_the_crops_edge_and_single_channels_are_filled_finitely(side):
    rng = np.random.default_rng(side)
    img = shading(side, seed=side)
    hole = random_mask(side, side, rng, kind="stroke") > 0
    hole[:, :3] = True                                   # a stroke along the crop's edge
    grey = biharmonic(img[..., 0], hole)
    assert grey.shape == (side, side) and np.isfinite(grey).all()
    out = biharmonic(img, hole)
    assert np.isfinite(out).all() and out[hole].min() > -20 and out[hole].max() < 275
    assert hole_psnr(np.clip(np.rint(out), 0, 255), img, hole) > 30         # smooth light: nearly exact
    assert not biharmonic(img, np.ones((side, side), bool)).any()            # nothing known: 0
    assert np.array_equal(biharmonic(img, np.zeros((side, side), bool)), img.astype(np.float32))


def test_the_mix_of_a_small_crop_weighs_the_biharmonic_fill_in_and_gains_on_strokes_over_shading():
    """On a 64² crop of smooth shading crossed by brush strokes the biharmonic candidate predicts the
    ring best and takes most of the hole; the structure is closer to the truth than without it. On a
    larger crop (over the probe's 64 px) it is not run."""
    img = cv2.GaussianBlur(shading(64, seed=7), (0, 0), 1.0)
    hole = random_mask(64, 64, np.random.default_rng(3), kind="stroke") > 0
    holed = np.where(hole[..., None], 255, img).astype(np.uint8)
    with_b = ContentAwareFiller(None, texture=False)
    without = ContentAwareFiller(None, texture=False, biharmonic=False)
    a, b = with_b.fill(holed, hole), without.fill(holed, hole)
    assert with_b.last_weights[5] > 0.5, with_b.last_weights
    assert hole_psnr(a, img, hole) > hole_psnr(b, img, hole) + 1.0
    assert with_b.on_cpu().biharmonic is not None and without.on_cpu().biharmonic is None
    big = cv2.resize(img, (160, 160), interpolation=cv2.INTER_CUBIC)
    big_hole = cv2.resize(hole.astype(np.uint8), (160, 160), interpolation=cv2.INTER_NEAREST) > 0
    with_b.fill(np.where(big_hole[..., None], 255, big).astype(np.uint8), big_hole)
    assert len(with_b.last_weights) < 6 or with_b.last_weights[5] == 0
