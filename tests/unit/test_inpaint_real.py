"""The shipped models on held-out data: the completion network fills faces better than Telea
(lower loss on a held-out batch), the sketch → face model draws faces closer to the truth than
the mean face, and both load through the manifest like any other model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentbrush.core.jobs import drain
from latentbrush.ml.inpaint import methods
from latentbrush.ml.inpaint.fill import ClassicalFiller, inpaint_image, make_filler
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.tensors import to_images

pytestmark = pytest.mark.needs_weights


@pytest.fixture(scope="module")
def models(real_models_dir_module):
    torch.set_num_threads(1)
    return ModelManager(Manifest.load(real_models_dir_module), device="cpu")


def held_out_faces(models, n=48, seed=6_100_001):
    from latentbrush.ml.inpaint.masks import random_mask
    G = models.get(models.default("generator").id).net
    with torch.no_grad():
        faces = to_images(G(torch.randn(n, G.nz, generator=torch.Generator().manual_seed(seed))))
    rng = np.random.default_rng(seed)
    masks = [random_mask(64, 64, rng, kind="rect" if i % 2 else "stroke") * 255 for i in range(n)]
    return faces, [m.astype(np.uint8) for m in masks]


def mse_of(filler, faces, masks, blend):
    errs = []
    for f, m in zip(faces, masks, strict=True):
        holed = f.copy()
        holed[m > 0] = 255
        (out, _), _ = drain(inpaint_image(holed, m, filler, blend=blend))
        errs.append(((out.astype(float) - f) ** 2)[m > 0].mean())
    return float(np.mean(errs))


def test_the_default_fill_is_content_aware_around_the_shipped_completion_network(models):
    assert methods.default_method(models.manifest) == methods.CONTENT_AWARE
    assert methods.learned_structure(models.manifest) == "completion-64"


def test_completion_network_beats_telea_on_held_out_faces(models):
    faces, masks = held_out_faces(models)
    ours = mse_of(make_filler("completion-64", models), faces, masks, "none")
    telea = mse_of(ClassicalFiller(), faces, masks, "none")
    # measured: ours / telea = 0.92 on these 48 faces (0.74–0.92 on three seeds; 0.36–1.28 dB in the hole),
    # the README claims 0.5–1.3 dB: a gain of at least 0.18 dB must remain
    assert ours < 0.96 * telea, (ours, telea)


def test_the_generator_prior_fills_every_hole_pixel_even_where_the_turned_face_frame_does_not_reach(models):
    """Found by the inpainting bench: the face frame is turned with the face, so the corners of its
    axis-aligned crop lie outside it; hole pixels there kept the hole's colour (white streaks)."""
    G = models.get(models.default("generator").id).net
    with torch.no_grad():
        face = to_images(G(torch.randn(1, G.nz, generator=torch.Generator().manual_seed(5_150_001))))[0]
    mask = np.zeros((64, 64), np.uint8)
    mask[:6, :] = 255                                   # along the top edge and both top corners
    mask[:, 58:] = 255
    holed = face.copy()
    holed[mask > 0] = (255, 0, 255)
    filler = make_filler(methods.PRIOR, models)
    filler.steps, filler.tuned = 20, False
    (out, _), _ = drain(inpaint_image(holed, mask, filler, blend="none"))
    magenta = (out[..., 0] > 200) & (out[..., 1] < 60) & (out[..., 2] > 200)
    assert not magenta.any(), int(magenta.sum())
    assert np.array_equal(out[mask == 0], face[mask == 0])
    err = np.abs(out.astype(int) - face)[mask > 0].mean()
    (telea, _), _ = drain(inpaint_image(holed, mask, ClassicalFiller(), blend="none"))
    ref = np.abs(telea.astype(int) - face)[mask > 0].mean()
    # measured: 40.7 vs Telea's 31.3 (a 20-step untuned prior at the image's edge); magenta left would be > 100
    assert err < 1.5 * ref, (err, ref)


@pytest.mark.parametrize(("style", "bound"), [("drawings", 0.82), ("edges", 1.0)])
def test_sketch_to_face_is_closer_to_the_truth_than_the_mean_face(models, style, bound):
    """A person's line drawings (what the translator is trained for now): measured 0.76 of the mean
    face's error. Canny edge maps (its first training stage): 0.95 since the second stage (0.75 before)."""
    from latentbrush.ml.translate.sketch_pairs import faces_and_sketches
    G = models.get(models.default("generator").id).net
    s, x = faces_and_sketches(G, 32, torch.Generator().manual_seed(6_100_003), None, "cpu", style)
    net = models.get("sketch2face-64").net
    with torch.no_grad():
        y = net(s)
    ours = (y - x).abs().mean()
    mean_face = (x.mean(0, keepdim=True) - x).abs().mean()
    assert ours < bound * mean_face, (float(ours), float(mean_face))


def test_the_editors_sketch_result_is_3_db_closer_to_the_true_face_than_the_average_face(models):
    """Issue 18's bar on held-out generator faces drawn as a person draws, through the editor's path
    (translator on the drawing and its mirror, refined through the generator, the refined face's detail
    over the translator's light)."""
    from latentbrush.bench.drawing_bench import psnr
    from latentbrush.core.jobs import drain
    from latentbrush.ml.translate.drawings import line_drawing
    from latentbrush.ml.translate.sketch_face import sketch_to_face
    from latentbrush.ml.translate.sketch_pairs import EVAL_SEED

    G = models.get(models.default("generator").id).net
    with torch.no_grad():
        truth = to_images(G(torch.randn(8, G.nz, generator=torch.Generator().manual_seed(EVAL_SEED))).clamp(-1, 1))
        mean_face = to_images(G(torch.randn(2000, G.nz, generator=torch.Generator().manual_seed(5)))
                              .clamp(-1, 1).mean(0, keepdim=True))[0]
    spec = models.manifest.get("sketch2face-64")
    gains, bright = [], []
    for i, face in enumerate(truth):
        out, _ = drain(sketch_to_face(line_drawing(face), spec, models.get(spec.id), models, seed=i))
        img = to_images(torch.nn.functional.interpolate(out, size=64, mode="area"))[0]
        gains.append(psnr(img, face) - psnr(mean_face, face))
        bright.append(img.mean() / face.mean())
    # measured on these 8: +4.54 dB (2.8 … 6.9), brightness 0.92; on 64 (the bench): +3.34 dB, 0.95.
    # Before the mirror average and the detail split the refined result scored +2.70 dB on the 64.
    assert np.mean(gains) > 3.5, np.round(gains, 2)
    assert 0.85 < np.mean(bright) < 1.15, np.round(bright, 2)

