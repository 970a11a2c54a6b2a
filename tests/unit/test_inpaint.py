"""Inpainting: masks, blending, the crop strategy, every fill method, LaMa loading rules, the
worker runner and the training script (a few steps on tiny inputs)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from helpers import run_torchrun, save_lama_standin

from latentbrush.core.jobs import Cancelled, Job, drain
from latentbrush.ml.checkpoints import load_state_dict
from latentbrush.ml.errors import ModelError
from latentbrush.ml.hashing import sha256_file
from latentbrush.ml.inpaint import methods
from latentbrush.ml.inpaint.blend import composite
from latentbrush.ml.inpaint.fill import (
    ClassicalFiller,
    CompletionFiller,
    LamaFiller,
    inpaint_image,
    make_filler,
    plan_crops,
    run_inpaint,
    structure_split,
)
from latentbrush.ml.inpaint.masks import random_mask
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.nets.completion import CompletionNet
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.tensors import to_images

MAGENTA = (255, 0, 255)


def photo(rng, h=150, w=200):
    """A smooth photo-like image (gradients + a few blobs), painted magenta inside `hole`."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([80 + 100 * xx / w, 60 + 120 * yy / h, 150 - 60 * xx / w], -1)
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def holed(img, mask):
    out = img.copy()
    out[mask > 0] = MAGENTA
    return out


@pytest.fixture
def image_and_mask(rng):
    img = photo(rng)
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[30:60, 110:150] = 255
    mask[120:140, 10:30] = 255       # a second, far-away hole
    return img, mask


def tiny_completion():
    torch.manual_seed(0)
    return CompletionNet(width=8).eval()


def test_random_masks_cover_the_requested_range_and_repeat_with_a_seed():
    a = [random_mask(64, 64, np.random.default_rng(5), kind=k) for k in ("rect", "stroke", "mixed")]
    b = [random_mask(64, 64, np.random.default_rng(5), kind=k) for k in ("rect", "stroke", "mixed")]
    for m, n in zip(a, b, strict=True):
        assert np.array_equal(m, n)
        assert 0.10 <= m.mean() <= 0.40


@pytest.mark.parametrize("blend", ["poisson", "feather", "none", "own"])
def test_composite_changes_only_masked_pixels(rng, blend):
    orig = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    fill = np.full_like(orig, 128)
    alpha = np.zeros((60, 80), np.uint8)
    alpha[0:25, 10:50] = 255          # touches the border: Poisson must still work there
    alpha[30:40, 60:70] = 128         # a soft (half) mask
    out = composite(fill, orig, alpha, blend)
    assert np.array_equal(out[alpha == 0], orig[alpha == 0])
    assert not np.array_equal(out[alpha == 255], orig[alpha == 255])


def test_the_fills_own_seam_of_the_original_onto_itself_is_the_original(rng):
    orig = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    alpha = np.zeros((40, 50), np.uint8)
    alpha[10:30, 15:35] = 255
    assert np.array_equal(composite(orig, orig, alpha, "own"), orig)      # (OpenCV's seam: a level darker)


def test_feather_removes_a_constant_color_offset():
    orig = np.full((64, 64, 3), 100, np.uint8)
    fill = np.full((64, 64, 3), 140, np.uint8)   # right texture, wrong brightness
    alpha = np.zeros((64, 64), np.uint8)
    alpha[20:44, 20:44] = 255
    out = composite(fill, orig, alpha, "feather")
    assert abs(float(out[alpha > 0].mean()) - 100) < 6
    assert abs(float(composite(fill, orig, alpha, "none")[alpha > 0].mean()) - 140) < 1


def test_feather_meets_the_photo_at_each_point_of_the_edge():
    """Helper 75: a learned fill's step at the hole's edge was 12.8 grey levels without a seam, 11.1 feathered
    (one wide blur of the step: the average corrected, not the step where it is), 2.6 with Poisson. The step is
    now spread by a push-pull pyramid: each edge pixel's own next to it, coarser averages deeper in."""
    import cv2

    from latentbrush.ml.inpaint import blend

    rng = np.random.default_rng(0)
    h, w = 300, 400
    noise = cv2.GaussianBlur(rng.normal(0, 25, (h, w, 3)).astype(np.float32), (0, 0), 1.5) * 3
    img = np.clip(120 + noise + np.arange(w)[None, :, None] * 0.2, 0, 255).astype(np.uint8)
    hole = np.zeros((h, w), np.uint8)
    cv2.ellipse(hole, (200, 150), (120, 70), 15, 0, 360, 1, -1)
    hole = hole > 0
    blurred = cv2.GaussianBlur(img, (0, 0), 8).astype(np.float32) + np.linspace(-15, 15, h)[:, None, None]
    fill = np.where(hole[..., None], np.clip(blurred, 0, 255), img).astype(np.uint8)    # handed over: a blur, off

    def edge_step(res):
        return float(np.mean([np.abs(st[layer]).mean() for layer, st in
                              (blend._step(res, img, hole, c) for c in range(3))]))
    alpha = hole.astype(np.uint8) * 255
    none, feathered, poisson = (edge_step(composite(fill, img, alpha, b)) for b in ("none", "feather", "poisson"))
    assert feathered < 0.45 * none and feathered < 1.5 * poisson         # (11.5 → 4.0; Poisson 3.3; was 10.6)
    out = composite(fill, img, alpha, "feather")
    assert np.array_equal(out[~hole], img[~hole])


def test_a_wide_feather_spreads_the_same_correction_at_a_fraction_of_the_work():
    """A helper's 4000 × 3000 hole took two minutes to feather (a 3000-tap blur); wide blurs run scaled down."""
    import cv2

    from latentbrush.ml.inpaint import blend

    n = 1200                                           # side / 16 = 75 px: past FEATHER_SIGMA
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    orig = np.clip(np.stack([xx / n * 200, yy / n * 200, np.full_like(xx, 90)], -1), 0, 255).astype(np.uint8)
    fill = np.clip(orig.astype(int) + 30, 0, 255).astype(np.uint8)       # right texture, a gradient's offset
    hole = np.zeros((n, n), bool)
    hole[200:1000, 300:900] = True
    fast = blend.feather(fill, orig, hole).astype(float)
    ring = blend._ring(hole, max(2, n // 64)).astype(np.float32)
    diff = (orig.astype(np.float32) - fill.astype(np.float32)) * ring[..., None]
    sigma = n / 16
    num, den = cv2.GaussianBlur(diff, (0, 0), sigma), cv2.GaussianBlur(ring, (0, 0), sigma)[..., None]
    conf = np.clip(den / den.max() * 4, 0, 1)
    exact = np.clip(fill + num / np.maximum(den, 1e-6) * conf + 0.5, 0, 255)
    assert np.abs(fast - orig)[hole].mean() < 0.5 * np.abs(fill.astype(float) - orig)[hole].mean()   # mended
    assert np.abs(fast - exact)[hole].mean() < 1.5                                               # as before


def test_the_classical_fills_work_on_a_bounded_crop():
    """Telea / Navier–Stokes are one uncancellable OpenCV call whose cost grows with hole pixels × radius²: an
    8000 × 6000 photo filled whole ran past 13 minutes. Crops over CLASSICAL_SIDE are filled scaled down."""
    from latentbrush.ml.inpaint import filler as fillers
    from latentbrush.ml.inpaint.filler import ClassicalFiller, fill_crop

    seen = []
    f = ClassicalFiller()
    real = f.fill
    f.fill = lambda crop, hole, check=None: (seen.append(crop.shape), real(crop, hole, check))[1]
    crop = np.full((600, 3000, 3), 120, np.uint8)
    hole = np.zeros((600, 3000), bool)
    hole[100:500, 200:2800] = True
    out = fill_crop(f, crop, hole)
    assert max(seen[0][:2]) <= fillers.CLASSICAL_SIDE and out.shape == crop.shape
    assert np.array_equal(out[~hole], crop[~hole]) and not np.array_equal(out, crop * 0)


def test_plan_crops_separates_far_holes_merges_near_ones_and_covers_every_hole():
    hole = np.zeros((400, 600), bool)
    hole[20:40, 20:40] = True
    hole[30:50, 60:80] = True          # near the first: merged
    hole[300:350, 500:560] = True      # far: its own crop
    boxes = plan_crops(hole)
    assert len(boxes) == 2
    covered = np.zeros_like(hole)
    for b in boxes:
        covered[b.y0:b.y1, b.x0:b.x1] = True
        assert b.width < 200 and b.height < 200      # a crop, not the whole photo
    assert covered[hole].all()


@pytest.mark.parametrize("filler", [ClassicalFiller("telea"), ClassicalFiller("navier-stokes"),
                                    CompletionFiller(tiny_completion(), "cpu", 64),
                                    LamaFiller(torch.jit.script(__import__("helpers").LamaStandIn()), "cpu", 64)],
                         ids=["telea", "ns", "completion", "lama"])
@pytest.mark.parametrize("blend", ["poisson", "none"])
def test_fill_keeps_outside_exactly_and_leaves_no_mask_color(image_and_mask, filler, blend):
    img, mask = image_and_mask
    src = holed(img, mask)
    (out, box), steps = drain(inpaint_image(src, mask, filler, blend=blend))
    assert np.array_equal(out[mask == 0], src[mask == 0])
    inside = out[mask > 0]
    assert not (inside == MAGENTA).all(1).any(), "mask-colored pixels left in the hole"
    ys, xs = np.nonzero(mask)
    assert (box.x0, box.y0, box.x1, box.y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    assert len([s for s in steps if s.preview is not None]) == 2      # two far-apart holes → two crops
    assert [s.message for s in steps][0] == "filling area 1/2"         # said before each area is filled


def test_classical_fill_is_close_to_a_smooth_truth(image_and_mask):
    img, mask = image_and_mask
    (out, _), _ = drain(inpaint_image(holed(img, mask), mask, ClassicalFiller()))
    err = np.abs(out.astype(int) - img.astype(int))[mask > 0].mean()
    assert err < 12, err


def test_large_photo_small_mask_runs_on_crops_only(rng):
    big = rng.integers(0, 256, (1500, 2000, 3), dtype=np.uint8)
    mask = np.zeros((1500, 2000), np.uint8)
    mask[700:760, 900:980] = 255
    seen = []

    class Spy(CompletionFiller):
        def fill(self, crop, hole, check=None):
            seen.append(crop.shape)
            return super().fill(crop, hole, check)

    (out, box), _ = drain(inpaint_image(big, mask, Spy(tiny_completion(), "cpu", 64)))
    assert seen == [(64, 64, 3)] or (seen and max(seen[0][:2]) <= 64)
    assert np.array_equal(out[mask == 0], big[mask == 0])


def test_bad_masks_are_refused_with_clear_messages(image_and_mask):
    img, mask = image_and_mask
    with pytest.raises(ValueError, match="same size"):
        drain(inpaint_image(img, mask[:100], ClassicalFiller()))
    with pytest.raises(ValueError, match="empty"):
        drain(inpaint_image(img, np.zeros_like(mask), ClassicalFiller()))
    with pytest.raises(ValueError, match="blend"):
        drain(inpaint_image(img, mask, ClassicalFiller(), blend="sparkle"))


def test_cancel_stops_between_crops(image_and_mask):
    img, mask = image_and_mask
    job = Job("inpaint")
    gen = inpaint_image(img, mask, ClassicalFiller(), check=job.check)
    next(gen)
    job.cancel()
    with pytest.raises(Cancelled):
        next(gen)


# -- manifest, runner, LaMa ----------------------------------------------------------------------
def test_runner_uses_the_content_aware_fill_with_the_manifest_completion_model_by_default(
        tiny_models, image_and_mask):
    img, mask = image_and_mask
    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    assert methods.default_method(models.manifest) == methods.CONTENT_AWARE
    assert methods.learned_structure(models.manifest) == "tiny-fill"
    assert make_filler(None, models).learned.net is models.get("tiny-fill").net
    from latentbrush.ml.inpaint import kernels
    kernels._READY.clear()          # as in a fresh process: the compiled synthesis is prepared first, in words
    res, steps = drain(run_inpaint(Job("inpaint", inputs={"image": img, "mask": mask}), models))
    assert any(p.message.startswith("preparing the fill") for p in steps) and kernels.ready()
    _, steps = drain(run_inpaint(Job("inpaint", inputs={"image": img, "mask": mask}), models))
    assert not any(p.message.startswith("preparing") for p in steps)        # once per process
    assert res.info["model"] == methods.CONTENT_AWARE and res.info["blend"] == "own"
    assert res.info["structure"].startswith("structure ") and "frequency-selective" in res.info["structure"]
    out = img.copy()
    b = res.bbox
    out[b.y0:b.y1, b.x0:b.x1] = res.pixels
    assert np.array_equal(out[mask == 0], img[mask == 0])
    assert not np.array_equal(out[mask > 0], img[mask > 0])
    assert "((" not in res.message and "))" not in res.message
    assert res.message == f"Filled with {methods.TITLES[methods.CONTENT_AWARE]}"    # the status bar: short
    assert "%" not in res.info["summary"] and "grain" in res.info["summary"]     # the panel's, in words
    assert res.info["structure"] in res.info["notes"]
    ids = [m.id for m in methods.fill_methods(models.manifest)]
    assert ids == [methods.CONTENT_AWARE, methods.EXEMPLAR, "tiny-fill", methods.PRIOR, methods.FSR, "telea",
                   "navier-stokes"]


def test_without_opencv_contrib_the_completion_network_is_the_default(tiny_models, monkeypatch):
    monkeypatch.setattr(methods, "fsr_available", lambda: False)
    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    listed = {m.id: m.available for m in methods.fill_methods(models.manifest)}
    assert listed[methods.CONTENT_AWARE] is False and listed[methods.FSR] is False
    assert methods.default_method(models.manifest) == "tiny-fill"


def add_lama(models_dir, sha=None):
    digest = save_lama_standin(models_dir / "big-lama.ts")
    with open(models_dir / "manifest.toml", "a") as f:
        f.write(f"""
[[model]]
id = "my-lama"
name = "LaMa (mine)"
kind = "inpainter"
arch = "lama"
file = "big-lama.ts"
sha256 = "{sha or digest}"
resolution = 64
""")
    return digest


def test_pinned_torchscript_lama_is_listed_first_and_fills(tiny_models, image_and_mask):
    img, mask = image_and_mask
    add_lama(tiny_models)
    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    assert methods.default_method(models.manifest) == "my-lama"
    filler = make_filler("my-lama", models)
    assert isinstance(filler, LamaFiller)
    (out, _), _ = drain(inpaint_image(img, mask, filler, blend="none"))
    # the stand-in fills with the mean of the known pixels of each crop: a flat color in the hole
    assert out[35:55, 115:145].reshape(-1, 3).std(0).max() < 3
    assert np.array_equal(out[mask == 0], img[mask == 0])


def test_unpinned_or_altered_torchscript_is_never_loaded(tiny_models):
    save_lama_standin(tiny_models / "stray.ts")        # no manifest entry
    m = Manifest.load(tiny_models)
    assert tiny_models / "stray.ts" in m.untrusted_files()
    assert all(x.id != "stray" for x in methods.fill_methods(m))
    add_lama(tiny_models, sha="0" * 64)                 # entry pinned to another hash
    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    with pytest.raises(ModelError, match="sha256|hash"):
        make_filler("my-lama", models)


def test_unknown_model_and_wrong_kind_are_clear_errors(tiny_models):
    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    with pytest.raises(ModelError, match="no model"):
        make_filler("nope", models)
    with pytest.raises(ValueError, match="not an inpainting model"):
        make_filler("tiny-trans", models)


def test_generator_prior_fills_a_face_shaped_image(tiny_models, rng):
    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    G = models.get("tiny-gen").net
    with torch.no_grad():
        face = to_images(G(torch.randn(1, 16)))[0]
    img = np.ascontiguousarray(np.repeat(np.repeat(face, 2, 0), 2, 1))    # 128², no detectable face
    mask = np.zeros((128, 128), np.uint8)
    mask[40:80, 40:90] = 255
    filler = make_filler(methods.PRIOR, models)
    filler.steps = 10
    (out, _), steps = drain(inpaint_image(holed(img, mask), mask, filler, blend="none"))
    assert np.array_equal(out[mask == 0], holed(img, mask)[mask == 0])
    assert not (out[mask > 0] == MAGENTA).all(1).any()
    # seconds of work on a real face: the bar moves with the projection and the tuning
    inside = [s for s in steps if ": " in s.message]
    assert any("fitting the face" in s.message for s in inside) and any("tuning" in s.message for s in inside)
    assert [s.step for s in steps] == sorted(s.step for s in steps) and 0 < inside[0].step < steps[-1].step


# -- training ---------------------------------------------------------------------------------
def test_training_lowers_the_held_out_loss_exports_and_resumes(tiny_models, tmp_path):
    from latentbrush.ml.train import completion as tc

    out = tmp_path / "fill.safetensors"
    args = ["--models", str(tiny_models), "--out", str(out), "--width", "8", "--batch", "8", "--sizes", "64",
            "--size-probs", "1", "--steps", "60", "--tc", "50", "--td", "5", "--eval-every", "60",
            "--eval-faces", "16", "--eval-photos", "0", "--photos", str(tmp_path / "none"), "--threads", "1",
            "--lr", "3e-3"]
    (tmp_path / "none").mkdir()
    best = tc.main(args)
    state = load_state_dict(out, sha256_file(out))
    trained = CompletionNet(width=8)
    trained.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    sets = tc.eval_set(models.get("tiny-gen").net, [], 16, 0, "cpu")
    torch.manual_seed(0)
    untrained = tc.evaluate(CompletionNet(width=8), sets, "cpu")
    after = tc.evaluate(trained, sets, "cpu")
    assert after["faces_psnr"] > untrained["faces_psnr"] + 0.3, (untrained, after)
    assert after["faces_l1"] < untrained["faces_l1"]
    assert best["step"] == 60
    # resume: the checkpoint carries the step; asking for 65 steps trains 5 more
    best2 = tc.main([*args[:args.index("--steps")], "--steps", "65", *args[args.index("--steps") + 2:]])
    assert best2["step"] == 65
    # --init: a fresh run (new checkpoint path) that starts from exported weights
    out3 = tmp_path / "again.safetensors"
    init = [*args[:args.index("--out")], "--out", str(out3), *args[args.index("--out") + 2:]]
    fresh = [*init[:init.index("--steps")], "--steps", "1", "--tc", "1", "--td", "0", "--eval-every", "1",
             *init[init.index("--eval-every") + 2:], "--init", str(out)]
    with pytest.raises(SystemExit):                       # weights are verified before loading
        tc.main(fresh)
    with pytest.raises(ModelError):
        tc.main([*fresh, "--init-sha256", "0" * 64])
    best3 = tc.main([*fresh, "--init-sha256", sha256_file(out), "--masks", "mixed,blob"])
    assert best3["faces_psnr"] > untrained["faces_psnr"] + 0.2
    # the weights say what they were scored on and what they grew from
    from safetensors import safe_open
    with safe_open(str(out3), "pt") as f:
        meta = json.loads(f.metadata()["latentbrush"])
    assert "0-255" in meta["eval_scale"] and meta["init_sha256"] == sha256_file(out)


def test_poisson_with_the_true_content_restores_holes_touching_the_border(rng):
    """Regression: where a hole touches the image border, the boundary must not be the hole's old
    (mask-colored) pixels."""
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    truth = np.stack([yy * 3, xx * 3, 255 - yy * 2], -1).clip(0, 255).astype(np.uint8)
    alpha = np.zeros((64, 64), np.uint8)
    alpha[0:30, 20:28] = 255              # a stroke from the top edge
    alpha[40:64, 50:64] = 255             # a block in the bottom-right corner
    holed_img = truth.copy()
    holed_img[alpha > 0] = MAGENTA
    out = composite(truth, holed_img, alpha, "poisson")
    assert np.abs(out.astype(int) - truth.astype(int)).max() <= 2


def test_completion_training_runs_under_torchrun_ddp(tiny_models, tmp_path):
    (tmp_path / "none").mkdir()
    out = tmp_path / "ddp.safetensors"
    r = run_torchrun("latentbrush.ml.train.completion", [
        "--models", str(tiny_models), "--out", str(out), "--width", "8", "--batch", "4", "--sizes", "32",
        "--size-probs", "1", "--steps", "6", "--tc", "2", "--td", "2", "--eval-every", "6", "--eval-faces", "8",
        "--eval-photos", "0", "--photos", str(tmp_path / "none")])
    assert r.returncode == 0, r.stderr[-3000:]
    assert out.is_file()


def test_untrained_residual_network_reproduces_telea_and_training_moves_it(rng):
    """The residual variant refines a Telea pre-fill; its zero-initialised last layer makes an
    untrained network return exactly the classical fill."""
    img = photo(rng, 64, 64)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:40, 16:48] = 255
    src = holed(img, mask)
    net = CompletionNet(width=8, residual=True).eval()
    ours = CompletionFiller(net, "cpu", 64, flip_average=False).fill(src, mask > 0)   # one 64² crop
    telea = ClassicalFiller().fill(src, mask > 0)
    assert np.abs(ours.astype(int) - telea.astype(int)).max() <= 1
    with pytest.raises(ValueError, match="prior"):
        net(torch.zeros(1, 3, 64, 64), torch.zeros(1, 1, 64, 64))
    with torch.no_grad():
        net.body[-2].bias.fill_(0.5)           # a trained last layer changes the fill
    (moved, _), _ = drain(inpaint_image(src, mask, CompletionFiller(net, "cpu", 64), blend="none"))
    assert np.abs(moved.astype(int) - telea.astype(int))[mask > 0].mean() > 20
    assert np.array_equal(moved[mask == 0], src[mask == 0])


def test_generator_prior_on_a_crop_smaller_than_its_working_size(tiny_models, rng):
    """Regression: the prior works at the generator's 64², and must hand back the crop's own size."""
    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    filler = make_filler(methods.PRIOR, models)
    filler.steps = 3
    img = rng.integers(0, 256, (61, 61, 3), dtype=np.uint8)
    mask = np.zeros((61, 61), np.uint8)
    mask[20:40, 20:40] = 255
    (out, _), _ = drain(inpaint_image(img, mask, filler, blend="poisson"))
    assert out.shape == img.shape and np.array_equal(out[mask == 0], img[mask == 0])


def test_the_structure_split_covers_every_filled_area_weighed_by_its_hole():
    """Several areas filled at once: the status says what was trusted over all of them, not the
    last area's split alone."""
    log = [([0.8, 0.2], 300), ([0.0, 0.0, 1.0], 100)]
    text = structure_split(log, None)
    assert text == "structure over 2 areas: 60 % learned, 15 % frequency-selective, 25 % generator prior"
    assert structure_split([([1.0], 50)], "x") == "structure 100 % frequency-selective"
    assert structure_split([], "x") == ""
    # where the hole was synthesised from the photo's patches, it says so, and where
    both = [([0.8, 0.2], 300, True), ([0.0, 0.0, 1.0], 100)]
    assert structure_split(both, None).endswith("; texture synthesised from the photo's own patches in 1 of 2 areas")
    assert structure_split(both[:1], None).endswith("frequency-selective; texture synthesised from the photo's own patches")


def test_a_black_and_white_photo_gets_a_grey_fill(tiny_models, image_and_mask):
    img, mask = image_and_mask
    grey = np.repeat(img.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    for mid in (None, "tiny-fill"):
        res, _ = drain(run_inpaint(Job("inpaint", params={"model": mid}, inputs={"image": grey, "mask": mask}), models))
        px = res.pixels.astype(int)
        assert np.array_equal(px[..., 0], px[..., 1]) and np.array_equal(px[..., 1], px[..., 2]), mid
    res, _ = drain(run_inpaint(Job("inpaint", inputs={"image": img, "mask": mask}), models))
    px = res.pixels.astype(int)
    assert not np.array_equal(px[..., 0], px[..., 1])                 # a colour photo keeps its colour fill


def test_the_panel_says_what_the_fill_did_in_words_true_to_its_log():
    """The panel's sentence (a helper read the split as jargon): no percentages, the structure that
    held most of the hole named as what it did, a blend named by its parts, the face generator's areas,
    a redraw from patches only where it happened, the grain only where it was copied."""
    from latentbrush.ml.inpaint.report import plain_summary

    ct = plain_summary([([0.0, 0.0, 0.0, 0.0, 1.0], 500)])
    assert ct == "the lines and colours around the hole carried into it, the photo's own fine grain copied in"
    assert plain_summary([([1.0], 50)], grain=False).startswith("the edges and patterns around the hole")
    assert "Telea" in plain_summary([([0.1, 0.0, 0.0, 0.9, 0.0], 50)])
    blend = plain_summary([([0.5, 0.0, 0.0, 0.0, 0.5], 80)], grain=False)
    assert blend.startswith("a blend of the completion network and the surrounding lines carried in")
    assert "frequency" not in blend and "grain" not in blend
    two = plain_summary([([0.0, 0.0, 0.0, 0.0, 1.0], 300), ([0.0, 0.0, 1.0], 100)])
    assert "the face generator drew 1 of the 2 areas" in two and "redrawn" not in two
    assert "then redrawn from the photo's own patches in 1 of the 2 areas" in plain_summary(
        [([0.0, 0.0, 0.0, 0.0, 1.0], 300, True), ([0.0, 0.0, 0.0, 0.0, 1.0], 100)])
    for text in (ct, blend, two):
        assert "%" not in text and "coherence" not in text
    assert plain_summary([]) == ""


def test_one_area_fill_without_steps_reports_a_step_of_unknown_length_not_zero_percent(image_and_mask):
    img, mask = image_and_mask
    one = mask.copy()
    one[:, one.shape[1] // 2:] = 0          # the left hole only: one area
    assert one.any()
    (_, _), steps = drain(inpaint_image(holed(img, one), one, ClassicalFiller()))
    assert steps[0].message == "filling area 1/1" and steps[0].total == 0      # the bar is busy, not at 0 %
    assert steps[-1].step == steps[-1].total > 0                               # and full when done
