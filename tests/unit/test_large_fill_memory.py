"""A fill on a large photo within bounded memory (stop 61): a helper's full-photo fill on 48 MP had peaked near
11 GB. The Poisson seam of a box of several megapixels is solved here (`blend._membrane`, a channel at a time,
with `biharmonic.harmonic`), a fill that already meets the photo gets the step at its edge spread
(`blend._step_membrane`, also a channel at a time) or is kept as made ("own"), and the per-pixel
lists of the face check, the rim check and the fine grain are read on samples, outlines or one channel at a
time. Each must give what it gave before (or, for the seam, what the exact solution is)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from latentbrush.core.bbox import BBox
from latentbrush.ml.inpaint import blend, face_gate
from latentbrush.ml.inpaint.biharmonic import harmonic
from latentbrush.ml.inpaint.blend import composite


def drifted(h: int, w: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A textured photo, an elliptic hole, and a fill with the photo's own texture but a colour drift
    (25 → 55 levels left to right) everywhere: the exact Poisson seam takes the drift out."""
    rng = np.random.default_rng(seed)
    img = np.clip(100 + cv2.GaussianBlur(rng.normal(0, 20, (h, w, 3)).astype(np.float32), (0, 0), 2), 0, 255)
    img = img.astype(np.uint8)
    hole = np.zeros((h, w), np.uint8)
    cv2.ellipse(hole, (w // 2, h // 2), (int(w * 0.4), int(h * 0.4)), 20, 0, 360, 1, -1)
    fill = (img.astype(int) + 25 + np.arange(w)[None, :, None] * 30 // w).astype(np.uint8)
    return img, hole > 0, fill


def test_the_membrane_is_exact_where_the_solution_is_known():
    h, w = 90, 140
    hole = np.zeros((h, w), bool)
    hole[20:70, 30:120] = True
    plane = (3.0 + 0.5 * np.arange(w)[None, :] - 0.25 * np.arange(h)[:, None]).astype(np.float32)
    u = harmonic(np.where(hole, 0, plane).astype(np.float32), hole)
    assert np.abs(u - plane)[hole].max() < 0.01          # a plane is harmonic: the membrane through its edge
    assert np.array_equal(u[~hole], plane[~hole])        # the known pixels are kept


@pytest.mark.parametrize("shape", ["ellipse", "rectangle", "all but a 4-px border"])
def test_a_large_seam_solved_here_takes_the_drift_out_as_the_exact_solution_does(monkeypatch, shape):
    """(A rectangle's box had no known pixel at half size: 5.5 grey levels off until the margin, helper 72.)"""
    img, hole, fill = drifted(300, 420)
    if shape != "ellipse":
        hole[:] = False
        b = 40 if shape == "rectangle" else 4
        hole[b:-b, b:-b] = True
    monkeypatch.setattr(blend, "CV_POISSON_MAX", 0)        # this box is small: force the large boxes' path
    out = blend.poisson(fill, img, hole).astype(int)
    err = np.abs(out - img)[hole]                          # the exact answer is the photo itself
    assert err.mean() < 0.2 and err.max() <= 2
    assert np.abs(fill.astype(int) - img)[hole].mean() > 25         # (there was a drift to take out)


def test_opencv_and_the_membrane_agree_on_a_box_both_can_solve(monkeypatch):
    img, hole, fill = drifted(240, 320, seed=1)
    ours = blend.poisson(fill, img, hole)
    monkeypatch.setattr(blend, "CV_POISSON_MAX", 0)
    mine = blend.poisson(fill, img, hole)
    d = np.abs(ours.astype(int) - mine.astype(int))[hole]
    assert d.mean() < 1.0 and d.max() <= 3


def test_a_fill_made_inside_the_hole_keeps_its_own_seam_exactly():
    """The fills hand over the photo's own pixels outside the hole. OpenCV's seamlessClone saw no step there and
    returned such a fill a grey level darker (it truncates): every default fill in the app until stop 61. The
    content-aware fills' default seam ("own") keeps them as made."""
    img, hole, fill = drifted(120, 160, seed=2)
    fill = np.where(hole[..., None], fill, img)
    alpha = hole.astype(np.uint8) * 255
    assert np.array_equal(composite(fill, img, alpha, "own"), fill)


@pytest.mark.parametrize("blend", ["poisson", "feather"])
def test_a_fill_made_inside_the_hole_loses_its_step_at_the_edge(blend):
    """A network's fill is right but for an offset (25–55 levels here): the seams take the step between its
    edge and the photo beside it out (until stop 61 they saw no step, the photo being handed over around it)."""
    img, hole, fill = drifted(120, 160, seed=2)
    fill = np.where(hole[..., None], fill, img)
    out = composite(fill, img, hole.astype(np.uint8) * 255, blend).astype(int)
    before = np.abs(fill.astype(int) - img)[hole].mean()
    after = np.abs(out - img)[hole].mean()
    assert before > 25 and after < (3 if blend == "poisson" else 0.5 * before)     # (feather: a cheap guess)
    assert np.array_equal(out[~hole], img[~hole])


def test_the_seam_a_method_gets_by_default():
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.manifest import Manifest
    from latentbrush.paths import models_dir

    manifest = Manifest.load(models_dir())
    assert methods.default_blend(methods.CONTENT_AWARE, manifest) == "own"
    assert methods.default_blend(methods.EXEMPLAR, manifest) == "own"
    assert methods.default_blend(methods.PRIOR, manifest) == "own"
    assert methods.default_blend(methods.TELEA, manifest) == "none"
    nets = [s.id for s in manifest.of_kind("inpainter")]
    assert nets and all(methods.default_blend(n, manifest) == "poisson" for n in nets)


def test_a_soft_mask_mixes_fill_and_photo_by_its_alpha():
    rng = np.random.default_rng(3)
    orig = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    fill = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (30, 40), dtype=np.uint8)
    out = composite(fill, orig, alpha, "none").astype(float)
    a = alpha[..., None] / 255.0
    assert np.abs(out - np.floor(fill * a + orig * (1 - a) + 0.5)).max() == 0


def test_the_face_checks_read_a_large_hole_as_its_pixels_do():
    """`side_under` reads the hole's outline and centre; each answer matches the one from every pixel."""
    lm = np.array([[100, 100], [140, 102], [120, 125], [105, 145], [137, 146]], float)
    box = BBox(40, 50, 160, 170)
    rng = np.random.default_rng(4)
    seen = set()
    for _ in range(400):
        hole = np.zeros((120, 120), np.uint8)
        for _ in range(int(rng.integers(1, 3))):
            cv2.circle(hole, (int(rng.integers(0, 120)), int(rng.integers(0, 120))), int(rng.integers(2, 20)), 1, -1)
        hole = hole > 0
        ys, xs = np.nonzero(hole)
        iod = float(np.linalg.norm(lm[1] - lm[0]))
        u = (lm[1] - lm[0]) / iod
        pts = np.stack([xs + box.x0, ys + box.y0], 1) - (lm[0] + lm[1]) / 2
        a, b = pts @ u, pts @ np.array([-u[1], u[0]])
        want = (face_gate.eye_under(hole, box, lm) is None and np.abs(a).max() <= face_gate.SIDE_WIDTH * iod
                and b.min() >= face_gate.SIDE_TOP * iod and b.max() <= face_gate.SIDE_BOTTOM * iod
                and abs(a.mean()) >= face_gate.SIDE_OFF * iod)
        assert face_gate.side_under(hole, box, lm) == want
        assert np.allclose(face_gate.hole_centre(hole), [xs.mean(), ys.mean()])
        seen.add(bool(want))
    assert seen == {True, False}


def test_the_rim_check_of_a_mask_up_to_a_thin_border_is_zero_not_a_crash():
    """Nothing known 5 px past the hole: the rings were empty and OpenCV refused the empty colour list after the
    fill had run (helper 72)."""
    from latentbrush.ml.inpaint.masks import rim_left

    for border in (1, 2, 3, 5):
        m = np.full((50, 60), 255, np.uint8)
        m[border:-border, border:-border] = 255
        m[:border], m[-border:], m[:, :border], m[:, -border:] = 0, 0, 0, 0
        assert rim_left(np.zeros((50, 60, 3), np.uint8), m) == 0.0


def test_a_large_holes_face_check_on_a_grid_agrees_with_every_pixel(monkeypatch):
    lm = np.array([[100, 100], [140, 102], [120, 125], [105, 145], [137, 146]], float)
    image = np.zeros((300, 300, 3), np.uint8)
    box = BBox(40, 50, 200, 210)

    def answers():
        out = []
        for cx, cy, r in ((60, 50, 12), (80, 75, 30), (20, 20, 15), (140, 140, 10), (65, 90, 45)):
            hole = np.zeros((160, 160), np.uint8)
            cv2.circle(hole, (cx, cy), r, 1, -1)
            out.append(face_gate.holding_face(lambda img: [lm - [0, 0]], image, box, hole > 0) is not None)
        return out

    every = answers()
    monkeypatch.setattr(face_gate, "SHARE_POINTS", 40)        # a grid of a few pixels' steps
    assert answers() == every and True in every and False in every


def test_an_edge_beside_the_hole_is_not_doubled_and_a_shading_fill_is_kept():
    """Helper 74: a line through the last two pixels of each side doubled an edge 1 px from the hole (−18 levels,
    pixels clipped to 0). One slope shared by both sides (minmod) leaves a right fill alone."""
    img = np.full((60, 80, 3), 50, np.uint8)
    img[:, :29] = 200                                    # an edge just left of the hole
    yy, xx = np.mgrid[0:60, 0:80]
    img[..., 1] = np.clip(40 + 2 * xx + yy, 0, 255)      # and shading in another channel
    hole = np.zeros((60, 80), bool)
    hole[15:45, 30:60] = True
    out = composite(img, img, hole.astype(np.uint8) * 255, "poisson").astype(int)
    assert np.abs(out - img)[hole].max() <= 1


def test_a_large_holes_membrane_starts_from_the_nearest_step(monkeypatch):
    """Helper 74: the known pixels away from the hole started at 0, and on a box past the iteration cap the
    membrane ended 5–6 levels short of an offset. A smaller cap stands in for the large box here."""
    from latentbrush.ml.inpaint import biharmonic

    monkeypatch.setattr(biharmonic, "BIG_LEVEL", 1 << 10)
    monkeypatch.setattr(biharmonic, "BIG_ITERS", 4)
    img, _, _ = drifted(200, 260, seed=6)
    hole = np.zeros(img.shape[:2], bool)
    hole[20:-20, 20:-20] = True
    fill = np.where(hole[..., None], np.clip(img.astype(int) + 30, 0, 255), img).astype(np.uint8)
    out = composite(fill, img, hole.astype(np.uint8) * 255, "poisson").astype(int)
    assert np.abs(out - img)[hole].mean() < 2
