"""Coherence transport (issue 19): edges that run into a hole are carried through it, where Telea and
Navier–Stokes smooth across them; flat regions fill with their colour; nothing outside the hole moves."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from latentbrush.bench.inpaint_bench import hole_psnr
from latentbrush.ml.inpaint.coherence import (
    CoherenceFiller,
    coherence_transport,
    edge_field,
    soften_by_depth,
    transport_and_soften,
)


def classical_best(img: np.ndarray, hole: np.ndarray) -> float:
    holed = img.copy()
    holed[hole] = 255
    return max(hole_psnr(cv2.inpaint(holed, hole.astype(np.uint8) * 255, 3, f), img, hole)
               for f in (cv2.INPAINT_TELEA, cv2.INPAINT_NS))


def stripes(n: int = 96, angle: float = 30.0, period: float = 16.0) -> np.ndarray:
    """Soft diagonal stripes in two colours (edges at `angle` degrees from the horizontal)."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float64)
    a = np.deg2rad(angle)
    t = 0.5 + 0.5 * np.tanh(3 * np.sin(2 * np.pi * (-np.sin(a) * x + np.cos(a) * y) / period))
    c0, c1 = np.array([40, 70, 150.0]), np.array([230, 200, 90.0])
    return np.clip(c0 + t[..., None] * (c1 - c0), 0, 255).astype(np.uint8)


def band(n: int, y0: int, width: int) -> np.ndarray:
    hole = np.zeros((n, n), bool)
    hole[y0:y0 + width, 4:-4] = True
    return hole


def test_an_edge_crossing_a_stroke_is_carried_through_it():
    n = 96
    img = np.full((n, n, 3), 50, np.uint8)
    img[:, 47:] = 210                                         # a vertical edge at x = 47
    hole = band(n, 40, 12)                                    # a stroke across it
    holed = img.copy()
    holed[hole] = 255
    out = coherence_transport(holed, hole)
    rows = out[44:48]
    # sharp where it was sharp: two pixels either side of the edge keep their sides' colours
    assert np.abs(rows[:, 45].astype(int) - 50).max() <= 6
    assert np.abs(rows[:, 49].astype(int) - 210).max() <= 6
    telea = cv2.inpaint(holed, hole.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    assert hole_psnr(out, img, hole) > hole_psnr(telea, img, hole) + 5


@pytest.mark.parametrize("angle", [20.0, 60.0, 135.0])
def test_slanted_stripes_through_a_stroke_beat_the_better_classical_fill(angle):
    img = stripes(angle=angle)
    hole = band(96, 42, 10)
    holed = img.copy()
    holed[hole] = 255
    gain = hole_psnr(coherence_transport(holed, hole), img, hole) - classical_best(img, hole)
    assert gain > 3.0, gain


def test_flat_colour_fills_with_that_colour_and_nothing_outside_changes():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    img[16:48, 16:48] = (120, 30, 200)
    hole = np.zeros((64, 64), bool)
    hole[26:38, 22:42] = True
    holed = img.copy()
    holed[hole] = 0
    out = coherence_transport(holed, hole)
    assert np.array_equal(out[~hole], holed[~hole])
    assert np.abs(out[hole].astype(int) - (120, 30, 200)).max() <= 1
    assert out.dtype == np.uint8 and out.shape == img.shape


def test_the_edge_field_follows_the_edges_of_the_known_pixels():
    img = stripes(angle=30.0).astype(np.float32)
    hole = band(96, 42, 10)
    ix, iy, coherence = edge_field(img, hole, rho=6.0)
    a = np.deg2rad(30.0)
    # the isophote runs along (cos a, sin a) (up to sign) inside the hole, where no pixel was seen
    along = np.abs(ix[hole] * np.cos(a) + iy[hole] * np.sin(a))
    assert np.median(along) > 0.95
    assert np.median(coherence[hole]) > 0.5
    flat = np.full((64, 64, 3), 90, np.float32)
    assert edge_field(flat, np.zeros((64, 64), bool))[2].max() < 0.01   # no direction without edges


@pytest.mark.parametrize("corner", [(0, 0), (0, 40), (40, 0), (40, 40)])
def test_holes_on_the_border_fill_every_pixel_with_the_surrounding_colour(corner):
    img = np.full((64, 64, 3), (200, 120, 40), np.uint8)
    hole = np.zeros((64, 64), bool)
    y, x = corner
    hole[y:y + 24, x:x + 24] = True                          # touching the crop's edge or corner
    holed = img.copy()
    holed[hole] = 0
    out = coherence_transport(holed, hole)
    assert np.array_equal(out, img)


def test_bad_holes():
    img = np.zeros((16, 16, 3), np.uint8)
    assert np.array_equal(coherence_transport(img, np.zeros((16, 16), bool)), img)
    with pytest.raises(ValueError, match="whole crop"):
        coherence_transport(img, np.ones((16, 16), bool))
    with pytest.raises(ValueError, match="eps"):
        coherence_transport(img, np.eye(16, dtype=bool), eps=2.0)


def test_the_filler_keeps_the_fill_contract():
    img = stripes(64)
    hole = band(64, 28, 6)
    out = CoherenceFiller().fill(img, hole)
    assert out.shape == img.shape and np.array_equal(out[~hole], img[~hole])


def test_softening_blurs_more_with_depth_less_along_edges_and_never_outside():
    rng = np.random.default_rng(5)
    noisy = rng.integers(0, 256, (96, 96, 3)).astype(np.uint8)
    hole = np.zeros((96, 96), bool)
    hole[20:76, 20:76] = True
    out = soften_by_depth(noisy, hole, None, k=0.6)
    assert np.array_equal(out[~hole], noisy[~hole])
    deep, edge = hole.copy(), hole.copy()
    deep[:36] = deep[60:] = False
    deep[:, :36] = deep[:, 60:] = False
    edge[21:75, 21:75] = False                                  # the hole's outermost ring of pixels
    assert out[deep].astype(float).std() < 0.25 * noisy[deep].astype(float).std()
    assert np.abs(out[edge].astype(int) - noisy[edge]).mean() < 0.7 * np.abs(     # the blur grows with depth
        out[deep].astype(int) - noisy[deep]).mean()
    # where an edge leads (coherence 1) nothing is blurred; a half-clear edge: half the blur
    assert np.array_equal(soften_by_depth(noisy, hole, np.ones((96, 96)), k=0.6), noisy)
    half = soften_by_depth(noisy, hole, np.full((96, 96), 0.5), k=0.6)
    assert np.array_equal(half, soften_by_depth(noisy, hole, None, k=0.3))
    assert out[deep].astype(float).std() < half[deep].astype(float).std() < noisy[deep].astype(float).std()
    assert np.array_equal(soften_by_depth(noisy, hole, None, k=0.0), noisy)
    with pytest.raises(ValueError, match="uint8 RGB"):
        soften_by_depth(noisy[..., 0], hole, None)


def test_softened_transport_beats_the_sharp_one_on_a_noisy_surface_and_keeps_a_stripe_edge():
    rng = np.random.default_rng(6)
    flat = np.clip(120 + rng.normal(0, 30, (96, 96, 3)), 0, 255).astype(np.uint8)
    hole = np.zeros((96, 96), bool)
    hole[24:72, 24:72] = True
    soft, sharp = transport_and_soften(flat, hole)
    assert np.array_equal(sharp, coherence_transport(flat, hole))
    truth_mean = np.full_like(flat, 120)      # the best guess for unknown noise is its mean
    assert hole_psnr(soft, truth_mean, hole) > hole_psnr(sharp, truth_mean, hole) + 0.5
    img = stripes(64)
    h = band(64, 28, 6)
    soft, sharp = transport_and_soften(img, h)
    assert hole_psnr(soft, img, h) > hole_psnr(sharp, img, h) - 0.5     # the carried edges stay
