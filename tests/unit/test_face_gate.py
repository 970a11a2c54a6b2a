"""The default fill does not redraw a face's features from the photo's other patches: where a face's
features hold the hole (an eye, the nose, the mouth), the synthesis that would copy skin, brow or
hair into it is skipped, and the person is told; holes elsewhere in the same photo are synthesised
as before."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from latentbrush.bench.inpaint_bench import hole_psnr
from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import Cancelled, drain
from latentbrush.ml.inpaint.content_aware import ContentAwareFiller
from latentbrush.ml.inpaint.face_gate import features_hold
from latentbrush.ml.inpaint.fill import inpaint_image, structure_split

REPO = Path(__file__).resolve().parents[2]


def tiled(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tile = cv2.resize(rng.integers(0, 256, (6, 6, 3)).astype(np.uint8), (12, 12), interpolation=cv2.INTER_NEAREST)
    return np.ascontiguousarray(np.tile(tile, (n // 12 + 1, n // 12 + 1, 1))[:n, :n])


def marks_at(x: float, y: float, iod: float) -> np.ndarray:
    """Five landmarks (eyes, nose, mouth corners) of an upright face whose left eye is at (x, y)."""
    return np.array([[x, y], [x + iod, y], [x + iod / 2, y + 0.6 * iod],
                     [x + 0.1 * iod, y + iod], [x + 0.9 * iod, y + iod]], np.float64)


def white_face(window: np.ndarray) -> list[np.ndarray]:
    """A stand-in detector: a face whose eyes are the two ends of the white bar in the window it is
    given (found in that window, at its scale)."""
    ys, xs = np.nonzero((window == 255).all(2))
    if not len(xs):
        return []
    return [marks_at(float(xs.min()), float(ys.mean()), float(xs.max() - xs.min()))]


def test_a_face_holds_the_hole_only_where_most_of_the_hole_lies_on_its_features_at_any_scale():
    img = np.zeros((2400, 2000, 3), np.uint8)
    img[1194:1207, 900:1300] = 255        # eyes at x 900 and 1299, y 1200 (eye distance 400): found ≈ 2× smaller
    eye = cv2.circle(np.zeros((200, 200), np.uint8), (100, 100), 60, 1, -1) > 0
    assert features_hold(white_face, img, BBox(800, 1100, 1000, 1300), eye)          # on the left eye
    assert features_hold(white_face, img, BBox(1000, 1460, 1200, 1660), eye)         # on the mouth (y 1600)
    assert not features_hold(white_face, img, BBox(1000, 900, 1200, 1100), eye)      # the forehead
    assert not features_hold(white_face, img, BBox(1500, 1100, 1700, 1300), eye)     # beside the face
    block = np.ones((200, 200), bool)     # x 560–760: 15 % of it within 0.45 × 400 px of the eye
    assert not features_hold(white_face, img, BBox(560, 1100, 760, 1300), block)
    assert features_hold(white_face, img, BBox(760, 1100, 960, 1300), block)
    assert not features_hold(white_face, img, BBox(800, 1100, 1000, 1300), np.zeros((200, 200), bool))
    assert not features_hold(lambda w: [], img, BBox(800, 1100, 1000, 1300), eye)
    # a mask over a mouth corner (x 940, y 1600) and far below it: under half of it near the features, but the
    # corner itself is masked (a helper's rectangle over half a mouth and the chin)
    down = np.zeros((600, 200), bool)
    down[:, 60:140] = True
    assert features_hold(white_face, img, BBox(880, 1570, 1080, 2170), down)
    assert not features_hold(white_face, img, BBox(880, 1650, 1080, 2250), down)     # the same, below the corner


def test_on_a_face_s_feature_the_hole_is_not_synthesised_and_the_note_says_so_elsewhere_it_is():
    img = tiled(240)
    mask = np.zeros((240, 240), np.uint8)
    cv2.circle(mask, (65, 65), 16, 255, -1)                     # deep enough to be synthesised at 64 px

    def finder(window):                                         # the window covers the whole 240² image
        assert window.shape[:2] == (240, 240)
        return [marks_at(65, 65, 60)]                            # the hole is the left eye

    gated = ContentAwareFiller(None, faces=finder, synthesis=True)
    (out, _), _ = drain(inpaint_image(img, mask, gated))
    plain = ContentAwareFiller(None, synthesis=True)
    (synth, _), _ = drain(inpaint_image(img, mask, plain))
    assert gated.log[-1][2] == "face" and not gated.synthesised and plain.log[-1][2] is True
    assert "inside the face nothing copied" in structure_split(gated.log, None)
    assert "synthesised" not in structure_split(gated.log, None)
    hole = mask > 0
    assert np.array_equal(out[~hole], img[~hole])
    # on a pattern the synthesis copies exactly (measured 42.5 vs 12.5 dB): the gate is what changed the fill
    assert hole_psnr(synth, img, mask) > hole_psnr(out, img, mask) + 10
    # the same hole away from the face's features is synthesised by the same filler
    away = np.zeros_like(mask)
    cv2.circle(away, (190, 190), 16, 255, -1)
    drain(inpaint_image(img, away, gated))
    assert gated.log[-1][2] is True and gated.synthesised
    # an area's check belongs to its fill alone: after a cancelled fill the next one (called directly,
    # as the best-quality method does) is not gated
    crop, crop_hole = np.ascontiguousarray(img[:128, :128]), hole[:128, :128]
    gated.prepare_area(img, BBox(0, 0, 128, 128), crop_hole)

    def cancel():
        raise Cancelled()

    with pytest.raises(Cancelled):
        gated.fill(crop, crop_hole, cancel)
    gated.fill(crop, crop_hole)
    assert gated.log[-1][2] is True and gated.area is None
    assert gated.on_cpu().faces is finder


def test_without_the_landmark_detector_there_is_no_face_check(tiny_models):
    from latentbrush.ml.inpaint.face_gate import face_finder
    from latentbrush.ml.inpaint.fill import make_filler
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    assert face_finder(models) is None and make_filler("content-aware", models).faces is None


@pytest.mark.needs_weights
def test_with_synthesis_on_an_eye_masked_in_a_real_photo_keeps_the_structure_and_the_suit_patch_is_synthesised(
        real_models):
    """The synthesis is off in the default since stop 40 (coherence transport); where it is switched on,
    the face check still keeps a face's features out of it."""
    from latentbrush.core.imageio import load_image
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.fill import inpaint_image, make_filler
    from latentbrush.ml.latent.photo import find_faces
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(real_models), device="cpu")
    img = load_image(REPO / "resources" / "samples" / "astronaut.jpg").pixels
    lm = find_faces(img, models)[0].landmarks
    iod = float(np.linalg.norm(lm[1] - lm[0]))
    eye = np.zeros(img.shape[:2], np.uint8)
    cv2.ellipse(eye, (int(lm[0][0]), int(lm[0][1])), (int(0.32 * iod), int(0.2 * iod)), 0, 0, 360, 255, -1)
    patch = np.zeros(img.shape[:2], np.uint8)
    patch[385 - 24:385 + 24, 169 - 24:169 + 24] = 255            # the suit's patch (bench inpaint_examples)
    notes = {}
    for name, mask in (("eye", eye), ("patch", patch)):
        filler = make_filler(methods.CONTENT_AWARE, models)
        assert not filler.synthesis                                # the default does not synthesise
        filler.synthesis = True
        drain(inpaint_image(img, mask, filler))
        notes[name] = structure_split(filler.log, None)
    assert "inside the face nothing copied" in notes["eye"] and "synthesised" not in notes["eye"]
    assert "synthesised" in notes["patch"] and "face" not in notes["patch"]


def test_a_thin_line_across_a_face_s_features_is_not_held_by_them():
    """A scratch over an eye and the nose (a 9-px brush on a face 85 px between the eyes) is a line
    coherence transport continues; an eye masked as a disc is held."""
    lm = np.array([[100.0, 100.0], [185.0, 100.0], [142.0, 150.0], [110.0, 190.0], [175.0, 190.0]])
    image = np.zeros((300, 300, 3), np.uint8)
    scratch = np.zeros((300, 300), np.uint8)
    cv2.line(scratch, (70, 80), (170, 170), 1, 9)
    eye = np.zeros((300, 300), np.uint8)
    cv2.ellipse(eye, (100, 100), (27, 17), 0, 0, 360, 1, -1)
    box = BBox(0, 0, 300, 300)
    find = lambda window: [lm * window.shape[0] / 300]              # noqa: E731 — the window is the image here
    assert features_hold(find, image, box, eye > 0)
    assert not features_hold(find, image, box, scratch > 0)
