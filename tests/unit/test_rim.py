"""A mask painted just inside an object's border leaves the border behind, and every fill then draws
it into the hole as a mottled ring (found by driving the editor on the astronaut's suit patch): the
fill says so and suggests painting wider; masks that cover the object, or that do not follow any
object, get no such hint."""

from __future__ import annotations

import cv2
import numpy as np

from latentbrush.core.jobs import Job, drain
from latentbrush.ml.inpaint import methods
from latentbrush.ml.inpaint.fill import run_inpaint
from latentbrush.ml.inpaint.masks import RIM_WARN, random_mask, rim_left
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.registry import ModelManager

HINT = "paint the mask a little wider"


def patch_on_cloth(n: int = 200, seed: int = 0, patch: bool = True) -> np.ndarray:
    """A textured orange background with (`patch`) a purple disc (radius 30) ringed by a 4-px white border."""
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.normal(0, 14, (n, n, 3)).astype(np.float32), (0, 0), 1.2)
    img = np.clip(np.array([225, 110, 40], np.float32) + grain, 0, 255).astype(np.uint8)
    if patch:
        cv2.circle(img, (n // 2, n // 2), 34, (245, 240, 240), -1)
        cv2.circle(img, (n // 2, n // 2), 30, (70, 50, 150), -1)
    return img


def disc_mask(n: int, r: int) -> np.ndarray:
    return cv2.circle(np.zeros((n, n), np.uint8), (n // 2, n // 2), r, 255, -1)


def test_a_mask_inside_an_objects_border_is_told_apart_from_one_that_covers_it():
    img = patch_on_cloth()
    tight, covering = rim_left(img, disc_mask(200, 30)), rim_left(img, disc_mask(200, 38))
    assert tight >= 0.9 and covering < 0.3, (tight, covering)          # measured 1.0 and 0.0
    # holes that follow no object, on the cloth and on a photo-like random field: below the bar
    rng = np.random.default_rng(3)
    cloth = patch_on_cloth(seed=1, patch=False)
    noise = cv2.GaussianBlur(rng.integers(0, 256, (200, 200, 3)).astype(np.uint8), (0, 0), 2.0)
    for base in (cloth, noise):
        scores = [rim_left(base, random_mask(200, 200, rng, kind=k) * 255) for k in ("blob", "stroke", "rect")]
        assert max(scores) < RIM_WARN, scores
    assert rim_left(img, np.zeros((200, 200), np.uint8)) == 0.0


def test_the_fill_suggests_painting_wider_only_where_the_border_was_left(tiny_models):
    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    img = patch_on_cloth()
    said = {}
    for r in (30, 38):
        res, _ = drain(run_inpaint(Job("inpaint", params={"model": methods.TELEA},
                                       inputs={"image": img, "mask": disc_mask(200, r)}), models))
        said[r] = (res.message, res.info["rim_left"])
    assert HINT in said[30][0] and said[30][1] >= RIM_WARN
    assert HINT not in said[38][0] and said[38][1] < RIM_WARN


def test_a_large_hole_is_said_to_be_a_guess_in_its_middle_and_strokes_and_patches_are_not(tiny_models):
    from latentbrush.ml.inpaint.masks import DEEP_WARN, deep_share

    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    img = patch_on_cloth(400, patch=False)
    stroke = cv2.line(np.zeros((400, 400), np.uint8), (20, 200), (380, 220), 255, 60)   # 60 px wide
    big = disc_mask(400, 120)                  # a thing 240 px across
    assert deep_share(stroke) == 0.0 and deep_share(disc_mask(400, 48)) < DEEP_WARN <= deep_share(big)
    assert deep_share(np.zeros((8, 8), np.uint8)) == 0.0
    edge = np.zeros((400, 400), np.uint8)
    edge[:, :60] = 255                  # a strip along the frame: nothing known beyond it, 60 px deep
    assert deep_share(edge) >= DEEP_WARN
    for mask, told in ((big, True), (stroke, False), (disc_mask(400, 48), False)):
        res, _ = drain(run_inpaint(Job("inpaint", params={"model": methods.TELEA},
                                       inputs={"image": img, "mask": mask}), models))
        assert ("a large hole" in res.message) == told and ("a large hole" in res.info.get("hint", "")) == told
    # (stop 64, helper 78) the same hole in gravel, the gravel around it quilted in: its middle is gravel, no guess
    res, _ = drain(run_inpaint(Job("inpaint", params={}, inputs={"image": stones(400), "mask": big}), models))
    assert res.info["deep"] >= DEEP_WARN and "blocks copied from the photo" in res.info["summary"]
    assert "a large hole" not in res.message and "a large hole" not in res.info.get("hint", "")


def stones(n: int = 200, seed: int = 0) -> np.ndarray:
    """Gravel-like: grey blobs a few px across (a strong mid-scale band)."""
    rng = np.random.default_rng(seed)
    g = cv2.GaussianBlur(rng.normal(0, 1, (n, n)).astype(np.float32), (0, 0), 2.5)
    g = np.clip(128 + 60 * g / g.std(), 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, 2)


def planks(n: int = 200, seed: int = 0) -> np.ndarray:
    """Boards running one way, grained: a strong mid-scale band whose edges all run the same way."""
    rng = np.random.default_rng(seed)
    xx = np.mgrid[0:n, 0:n][1]
    g = 128 + 50 * np.sin(2 * np.pi * xx / 9) + rng.normal(0, 4, (n, n))
    return np.repeat(np.clip(g, 0, 255).astype(np.uint8)[..., None], 3, 2)


def test_an_object_sized_hole_in_texture_points_to_the_best_quality_fill(tiny_models):
    """Where the default fill leaves a textured hole smooth with grain (a hole too shallow for its texture mode),
    the editor points to the best-quality fill; where it quilted the texture in (gravel) or redrew it from the
    photo's patches (boards: edges that run one way), it does not."""
    from latentbrush.ml.inpaint.masks import TEXTURE_BAND, ring_texture

    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    gravel, boards = stones(), planks()
    yy, xx = np.mgrid[0:200, 0:200]
    wall = np.repeat((90 + 0.4 * xx + 0.2 * yy).astype(np.uint8)[..., None], 3, 2)     # a smooth gradient
    disc = disc_mask(200, 40)
    stroke = cv2.line(np.zeros((200, 200), np.uint8), (20, 100), (180, 110), 255, 12)
    wide = cv2.line(np.zeros((200, 200), np.uint8), (20, 100), (180, 110), 255, 26)  # deep enough to hint, not to quilt
    assert ring_texture(gravel, disc) >= 2 * TEXTURE_BAND and ring_texture(wall, disc) < 0.2 * TEXTURE_BAND
    assert ring_texture(boards, disc) >= 2 * TEXTURE_BAND
    assert ring_texture(gravel, np.zeros((200, 200), np.uint8)) == 0.0
    cases = ((gravel, wide, None, True, ""), (gravel, disc, None, False, "blocks copied from the photo"),
             (boards, disc, None, False, "redrawn from the photo's own patches"), (wall, disc, None, False, ""),
             (gravel, stroke, None, False, ""), (gravel, disc, methods.EXEMPLAR, False, ""))
    for img, mask, model, told, said in cases:      # (a thin stroke; already the best-quality fill)
        res, _ = drain(run_inpaint(Job("inpaint", params={"model": model}, inputs={"image": img, "mask": mask}), models))
        assert res.info["textured"] == told
        assert ("try best quality" in res.message) == told
        assert ("may redraw their texture" in res.info.get("hint", "")) == told
        if model is None:
            assert said in res.info["summary"]
            assert ("grain copied in" in res.info["summary"]) == (said == "")


def test_a_hole_a_faces_features_hold_gets_no_advice_to_redraw_its_texture(tiny_models, monkeypatch):
    """The best-quality fill copies no patches into a face either, so a textured hole on an eye is not pointed to
    it (a helper read the advice after a cleanly mirrored eye); where the eye could not be mirrored the status
    bar says to look the result over."""
    from latentbrush.ml.inpaint import face_gate, fill

    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    gravel = stones()
    disc = disc_mask(200, 40)
    eyes = np.array([(100, 100), (160, 100), (130, 130), (108, 160), (152, 160)], np.float64)   # an eye on the disc
    monkeypatch.setattr(face_gate, "FACE_WINDOW", 10.0)
    monkeypatch.setattr(fill, "face_finder", lambda mm: (lambda w: [eyes * w.shape[1] / 200]))
    res, _ = drain(run_inpaint(Job("inpaint", params={}, inputs={"image": gravel, "mask": disc}), models))
    assert "copied into the face" in res.info["summary"]
    assert not res.info["textured"] and "try best quality" not in res.message
    assert "may redraw their texture" not in res.info.get("hint", "")
    if "could not be copied" in res.info["summary"]:
        assert "look it over" in res.message
