"""The content-aware fill (issue 19): PatchMatch finds exact copies, the detail transfer puts the
surroundings' grain into a smooth fill (and nothing into a smooth one), the frequency-selective fill
continues a pattern a diffusion cannot, the per-image weighing trusts the candidate that predicts
the known ring, and the default fill beats the better of Telea / Navier–Stokes on held-out photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from latentbrush.bench.inpaint_bench import hole_psnr, texture_kept
from latentbrush.core.jobs import Cancelled, Job, drain
from latentbrush.ml.inpaint.content_aware import ContentAwareFiller
from latentbrush.ml.inpaint.exemplar import ExemplarFiller
from latentbrush.ml.inpaint.fill import ClassicalFiller, inpaint_image
from latentbrush.ml.inpaint.filler import Filler, FsrFiller
from latentbrush.ml.inpaint.texture import add_detail, grid_descriptors, patch_match


def disc(n: int, r: int) -> np.ndarray:
    hole = np.zeros((n, n), np.uint8)
    cv2.circle(hole, (n // 2, n // 2), r, 1, -1)
    return hole > 0


def grainy(n: int = 96, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.normal(0, 40, (n, n, 3)).astype(np.float32), (0, 0), 0.7)
    ramp = np.linspace(60, 190, n, dtype=np.float32)[None, :, None]
    return np.clip(ramp + noise, 0, 255).astype(np.uint8)


def test_patch_match_finds_the_exact_copy_of_every_target_patch():
    rng = np.random.default_rng(1)
    half = rng.integers(0, 256, (64, 32, 3)).astype(np.float32)
    img = np.concatenate([half, half], axis=1)          # the right half repeats the left one
    feat = grid_descriptors(img, 3)
    targets = np.zeros((64, 64), bool)
    targets[20:40, 40:56] = True
    sources = np.zeros((64, 64), bool)
    sources[3:61, 3:29] = True                           # left half, whole patches only
    sy, sx = patch_match(feat, targets, sources, iters=4)
    ty, tx = np.nonzero(targets)
    assert sources[sy, sx].all()
    # measured: all 320 targets land on their copy 32 px to the left (random init: 1 / 1508 chance each)
    assert np.mean((sy == ty) & (sx == tx - 32)) > 0.95


def test_detail_transfer_gives_a_smooth_fill_the_surroundings_grain_and_keeps_the_rest():
    img, hole = grainy(), disc(96, 20)
    smooth = ClassicalFiller().fill(img, hole)
    out = add_detail(img, hole, smooth)
    assert np.array_equal(out[~hole], img[~hole])
    # measured: Telea keeps 1 % of the Laplacian energy inside the hole, with the detail 70 %
    assert texture_kept(smooth, img, hole) < 0.05
    assert 0.45 < texture_kept(out, img, hole) < 1.5


def test_detail_transfer_adds_nothing_where_the_surroundings_are_smooth():
    ramp = np.repeat(np.linspace(60, 190, 96)[None, :, None], 3, axis=2)
    img = np.repeat(ramp, 96, axis=0).astype(np.uint8)
    hole = disc(96, 20)
    smooth = ClassicalFiller().fill(img, hole)
    out = add_detail(img, hole, smooth)
    assert np.abs(out.astype(int) - smooth)[hole].max() <= 6          # measured 4: no grain invented
    assert hole_psnr(out, img, hole) > hole_psnr(smooth, img, hole) - 0.5


def test_frequency_selective_fill_continues_a_pattern_diffusion_cannot():
    yy, xx = np.mgrid[0:64, 0:64]
    img = np.repeat((128 + 60 * np.sin(xx / 3.0) * np.cos(yy / 5.0))[..., None], 3, axis=2).astype(np.uint8)
    hole = np.zeros((64, 64), bool)
    hole[24:40, 24:40] = True
    fsr = FsrFiller().fill(img, hole)
    best = max(hole_psnr(ClassicalFiller(m).fill(img, hole), img, hole) for m in ("telea", "navier-stokes"))
    assert hole_psnr(fsr, img, hole) > best + 10            # measured 35.7 dB vs 16.8 (Navier–Stokes)


@pytest.mark.parametrize("edge", ["right", "bottom", "corner"])
def test_frequency_selective_fill_at_the_right_or_bottom_edge_is_no_green(edge):
    """Its blocks stopped short of the right and bottom edges, whose pixels came back pure green (a helper's stroke
    down a photo's right edge)."""
    img = np.zeros((150, 203, 3), np.uint8)
    img[:] = (170, 120, 80)                               # wood
    img[::4] = (150, 100, 60)                             # with grain
    hole = np.zeros(img.shape[:2], bool)
    if edge in ("right", "corner"):
        hole[40:110, 190:] = True
    if edge in ("bottom", "corner"):
        hole[140:, 60:203] = True
    out = FsrFiller(max_side=None).fill(img, hole)
    assert np.abs(out[hole].astype(int) - img[hole].astype(int)).max(axis=1).mean() < 25
    assert np.abs(out[hole].mean(axis=0) - img[hole].mean(axis=0)).max() < 12


class Fixed(Filler):
    """A candidate that fills with a fixed picture (the truth: a perfect candidate; its negative: a bad one)."""

    def __init__(self, picture: np.ndarray) -> None:
        self.picture, self.calls = picture, 0

    def fill(self, crop, hole, check=None):
        self.calls += 1
        if crop.shape != self.picture.shape:
            return cv2.resize(self.picture, crop.shape[1::-1], interpolation=cv2.INTER_AREA)
        return self.picture.copy()


@pytest.mark.parametrize("crop_side", [64, 200])
def test_the_candidate_that_predicts_the_known_ring_gets_the_weight(crop_side):
    img, hole = grainy(crop_side, seed=3), disc(crop_side, crop_side // 4)      # at 200 px not thin (hole_depth 14.5)
    holed = img.copy()
    holed[hole] = 255
    right = ContentAwareFiller(Fixed(img), texture=False, coherence=False, biharmonic=False)
    out = right.fill(holed, hole)
    assert right.last_weights[0] > 0.85, right.last_weights          # the truth vs the frequency-selective fill
    assert hole_psnr(out, img, hole) > hole_psnr(FsrFiller().fill(holed, hole), img, hole) + 3
    wrong = ContentAwareFiller(Fixed(255 - img), texture=False, coherence=False, biharmonic=False)   # a negative: wrong everywhere
    wrong.fill(holed, hole)
    assert wrong.last_weights[1] > 0.85, wrong.last_weights


@pytest.mark.parametrize("side", [64, 200])
def test_each_part_of_the_hole_takes_the_candidate_that_predicts_the_ring_near_it(side):
    """A candidate right on the left half of the crop and wrong (the negative) on the right: the left
    end of the hole gets its fill, the right end the other candidate's (one weight for the whole hole
    would give both ends a mix)."""
    img = grainy(side, seed=4)
    hole = np.zeros((side, side), bool)
    hole[side * 3 // 8:side * 5 // 8, side // 8:side * 7 // 8] = True     # at 200 px thin: Telea is the other
    picture = img.copy()
    picture[:, side // 2:] = 255 - img[:, side // 2:]
    holed = img.copy()
    holed[hole] = 255
    filler = ContentAwareFiller(Fixed(picture), texture=False, coherence=False, biharmonic=False)
    out = filler.fill(holed, hole)
    other = (ClassicalFiller() if filler.last_weights[3] > 0 else FsrFiller()).fill(holed, hole)
    left, right = hole.copy(), hole.copy()
    left[:, side * 3 // 8:] = False
    right[:, :side // 2] = False
    # measured: left end 39.5 / 37.5 dB vs the other's 23.5 / 23.5; right end the same as the other's
    assert hole_psnr(out, img, left) > hole_psnr(other, img, left) + 10
    assert hole_psnr(out, img, right) > hole_psnr(other, img, right) - 0.5
    assert 0.15 < filler.last_weights[0] < 0.6, filler.last_weights        # the hole's mean share


def test_content_aware_fill_keeps_every_outside_byte_and_can_be_cancelled():
    img = grainy(160, seed=5)
    mask = np.zeros((160, 160), np.uint8)
    mask[40:90, 50:120] = 255
    filler = ContentAwareFiller(None)
    for blend in ("poisson", "none", "own"):
        (out, box), _ = drain(inpaint_image(img, mask, filler, blend=blend))
        assert np.array_equal(out[mask == 0], img[mask == 0])
        assert (box.x0, box.y0, box.x1, box.y1) == (50, 40, 120, 90)
    job = Job("inpaint", inputs={})
    gen = inpaint_image(img, mask, filler, check=job.check)
    job.cancel()
    with pytest.raises(Cancelled):
        next(gen)


def gain_over_classical(filler, img: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, float]:
    """(the fill of the holed image, its PSNR inside the hole minus the better of Telea/NS); checks
    that every outside pixel is kept."""
    holed = img.copy()
    holed[mask > 0] = 255
    (ours, _), _ = drain(inpaint_image(holed, mask, filler, blend="own"))     # (its default seam, as the app)
    assert np.array_equal(ours[mask == 0], img[mask == 0])
    best = max(hole_psnr(drain(inpaint_image(holed, mask, ClassicalFiller(m), blend="none"))[0][0], img, mask)
               for m in ("telea", "navier-stokes"))
    return ours, hole_psnr(ours, img, mask) - best


@pytest.mark.needs_weights
def test_the_default_fill_beats_the_better_classical_fill_on_held_out_photos(real_models):
    from latentbrush.bench.inpaint_bench import EVAL_PNG
    from latentbrush.ml.inpaint.evaluation import read_photo_eval
    from latentbrush.ml.inpaint.fill import make_filler
    from latentbrush.ml.inpaint.masks import random_mask
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(real_models), device="cpu")
    filler = make_filler(None, models)
    assert isinstance(filler, ContentAwareFiller) and filler.learned is not None
    rng = np.random.default_rng(6_100_005)
    gains, kept = [], []
    for img in read_photo_eval(EVAL_PNG)[-16:]:         # coffee and rocket: never in training
        mask = (random_mask(64, 64, rng, kind="blob", coverage=(0.08, 0.3)) * 255).astype(np.uint8)
        ours, gain = gain_over_classical(filler, img, mask)
        gains.append(gain)
        kept.append(texture_kept(ours, img, mask))
    # measured (stop 40): +1.82 dB on average (−0.82 … +7.83), texture kept 59 % (Telea and Navier–Stokes:
    # ≈ 5–10 %); stop 39: +1.37 dB, 51 %
    assert np.mean(gains) > 0.8, np.round(gains, 2)
    assert np.median(kept) > 0.35


def test_the_generator_prior_joins_only_small_square_crops_it_predicts_best():
    img = grainy(64, seed=7)
    hole = disc(64, 12)
    holed = img.copy()
    holed[hole] = 255
    blurred = cv2.GaussianBlur(img, (0, 0), 3)
    good = Fixed(img)
    f = ContentAwareFiller(Fixed(blurred), texture=False, prior=good, coherence=False, biharmonic=False)
    out = f.fill(holed, hole)
    assert good.calls == 1 and len(f.last_weights) == 3 and f.last_weights[2] > 0.8, f.last_weights
    assert hole_psnr(out, img, hole) > 30
    bad = Fixed(255 - img)                      # a face generator on a wall: predicts the ring worst
    f = ContentAwareFiller(Fixed(blurred), texture=False, prior=bad, coherence=False, biharmonic=False)
    f.fill(holed, hole)
    assert bad.calls == 1 and f.last_weights[2] == 0, f.last_weights
    big, big_hole = grainy(96, seed=7), disc(96, 16)       # larger than the generator's frame: not tried
    unused = Fixed(big)
    ContentAwareFiller(Fixed(big), texture=False, prior=unused, coherence=False, biharmonic=False).fill(big, big_hole)
    wide = np.ascontiguousarray(img[:, :40])   # not square: not tried
    ContentAwareFiller(Fixed(wide), texture=False, prior=unused, coherence=False, biharmonic=False).fill(wide, hole[:, :40])
    assert unused.calls == 0


@pytest.mark.needs_weights
@pytest.mark.parametrize("kind", ["rect", "stroke"])
def test_the_default_fill_uses_the_generator_prior_on_held_out_faces(real_models, kind):
    import torch

    from latentbrush.ml.inpaint.fill import make_filler
    from latentbrush.ml.inpaint.masks import random_mask
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager
    from latentbrush.ml.tensors import to_images

    models = ModelManager(Manifest.load(real_models), device="cpu")
    filler = make_filler(None, models)
    assert isinstance(filler, ContentAwareFiller) and filler.prior is not None
    G = models.get(models.manifest.default("generator").id).net
    with torch.no_grad():
        faces = to_images(G(torch.randn(8, G.nz, generator=torch.Generator().manual_seed(6_100_007))))
    rng = np.random.default_rng(6_100_007)
    gains = []
    for img in faces:
        mask = (random_mask(64, 64, rng, kind=kind) * 255).astype(np.uint8)
        gains.append(gain_over_classical(filler, img, mask)[1])
    # measured over these 8 (stop 40): rectangles +4.43 dB (+1.44 … +7.88), brush strokes +3.19 dB (+0.18 … +11.34);
    # stop 39: +4.13 and +3.24 dB;
    # before the prior's gate (the prior mixed in by ring error): +2.98 and ≈ +0.8 dB (issue 19 asks +2)
    assert np.mean(gains) > 2.0, np.round(gains, 2)


def test_the_copied_grain_continues_the_known_grain_at_the_holes_edge(monkeypatch):
    from latentbrush.ml.inpaint import texture

    yy, xx = np.mgrid[:64, :64]
    img = np.clip(128 + 30 * np.sin(2 * np.pi * (xx + 0.5 * yy) / 5.0), 0, 255).astype(np.uint8)
    img = np.repeat(img[..., None], 3, 2)              # slanted stripes, 5 px apart
    hole = (yy - 32) ** 2 + (xx - 32) ** 2 <= 12 ** 2
    smooth = cv2.GaussianBlur(img, (0, 0), 4)            # a blur: no stripes left in the hole
    depth = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    edge = hole & (depth <= 3)
    guide = cv2.GaussianBlur(img, (0, 0), 3)             # the editor matches on its best candidate
    err, guided = {}, {}
    for w in (0.0, texture.KNOWN_WEIGHT):                # 0: matched on the low band alone
        monkeypatch.setattr(texture, "KNOWN_WEIGHT", w)
        err[w] = np.abs(add_detail(img, hole, smooth).astype(float) - img)[edge].mean()
        guided[w] = np.abs(add_detail(img, hole, smooth, guide=guide).astype(float) - img)[edge].mean()
    # measured: 9.9 → 7.5 levels within 3 px of the edge (the blur: 18.4): the stripes run on in phase
    assert err[texture.KNOWN_WEIGHT] < 0.85 * err[0.0], err
    assert guided[texture.KNOWN_WEIGHT] < 0.85 * guided[0.0], guided


def test_the_texture_is_matched_on_the_guide_and_laid_over_the_smooth_fill():
    img = grainy(64, seed=11)
    hole = disc(64, 14)
    smooth = cv2.GaussianBlur(img, (0, 0), 4)
    guide = 255 - smooth                      # matched on a different picture: other sources
    lo = lambda a: cv2.GaussianBlur(np.where(hole[..., None], a, img).astype(np.float32), (0, 0), 1.0)  # noqa: E731
    guided = add_detail(img, hole, smooth, guide=guide).astype(np.float32)
    on_guide = add_detail(img, hole, guide).astype(np.float32)
    plain = add_detail(img, hole, smooth).astype(np.float32)
    # the copied detail is the one the guide's match finds, over the smooth fill's low band
    assert np.abs((guided - lo(smooth))[hole] - (on_guide - lo(guide))[hole]).max() <= 1.0
    assert np.abs(guided - plain)[hole].mean() > 1.0        # and not the one matched on the smooth fill
    assert np.array_equal(guided[~hole], img[~hole].astype(np.float32))


@pytest.mark.needs_weights
def test_a_masked_eye_is_redrawn_by_the_generator_not_erased(real_models):
    """A person masks one eye of a face (found by driving the editor: the mix of the completion
    network and the frequency-selective fill painted skin over it)."""
    import torch

    from latentbrush.ml.inpaint.fill import make_filler
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager
    from latentbrush.ml.tensors import to_images

    models = ModelManager(Manifest.load(real_models), device="cpu")
    filler = make_filler(None, models)
    G = models.get(models.manifest.default("generator").id).net
    with torch.no_grad():
        faces = to_images(G(torch.randn(8, G.nz, generator=torch.Generator().manual_seed(6_100_011))))
    mask = np.zeros((64, 64), np.uint8)
    cv2.ellipse(mask, (21, 29), (6, 4), 0, 0, 360, 255, -1)      # the left eye of the generator's frame
    gains, alone = [], 0
    for img in faces:
        gains.append(gain_over_classical(filler, img, mask)[1])
        alone += filler.last_weights == [0.0, 0.0, 1.0]
    # measured: the prior fills 7 of 8 alone; +3.74 dB on average (−1.34 … +9.25)
    assert alone >= 6 and np.mean(gains) > 2.0, (alone, np.round(gains, 2))


def strokes_256(n: int, seed: int) -> list[np.ndarray]:
    from latentbrush.ml.inpaint.masks import random_mask

    rng = np.random.default_rng(seed)
    return [(random_mask(256, 256, rng, kind="stroke", coverage=(0.1, 0.3)) * 255).astype(np.uint8) for _ in range(n)]


def test_thin_holes_in_a_scaled_crop_get_telea_at_full_size_not_the_scaled_frequency_selective_fill():
    img = grainy(256, seed=11)
    holed = img.copy()
    thin = strokes_256(1, 5)[0] > 0
    holed[thin] = 255
    filler = ContentAwareFiller(Fixed(255 - img), texture=False, coherence=False,
                                biharmonic=False)   # a bad learned candidate
    out = filler.fill(holed, thin)
    assert filler.last_weights[1] == 0 and filler.last_weights[3] > 0.85, filler.last_weights
    telea = ClassicalFiller().fill(holed, thin)
    assert np.abs(out[thin].astype(int) - telea[thin]).mean() < 0.2 * np.abs(out[thin].astype(int) - 255 + img[thin]).mean()
    filler.fill(img, disc(256, 60))                                       # a blob: the usual candidates
    assert filler.last_weights[3] == 0 and filler.last_weights[1] > 0.85, filler.last_weights
    filler.fill(img[:128, :128], disc(128, 10))    # a small hole the frequency-selective fill does at full size
    assert filler.last_weights[3] == 0, filler.last_weights
    small = grainy(64, seed=11)
    filler.fill(small, strokes_256(1, 5)[0][::4, ::4] > 0)    # a 64² crop is filled at its own size
    assert filler.last_weights[3] == 0, filler.last_weights


@pytest.mark.needs_weights
def test_brush_strokes_on_a_256_photo_crop_are_filled_about_as_well_as_the_better_classical_fill(real_models):
    """Thin holes on a larger crop: the frequency-selective candidate, made at a third of the size,
    lost 1.3 dB to the better of Telea / Navier–Stokes on the bench's 256² crops; Telea at full size
    stood in for it until stop 39, coherence transport since stop 40."""
    from latentbrush.core.imageio import load_image
    from latentbrush.ml.inpaint.fill import make_filler
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(real_models), device="cpu")
    filler = make_filler(None, models)
    photo = load_image(Path(__file__).resolve().parents[2] / "resources" / "samples" / "astronaut.jpg").pixels
    crops = [photo[y:y + 256, x:x + 256] for y, x in ((256, 0), (256, 256), (0, 256), (100, 0))]
    gains = [gain_over_classical(filler, c, m)[1] for c, m in zip(crops, strokes_256(len(crops), 77), strict=True)]
    # measured (stop 40): +0.37 / +0.47 / +0.72 / +1.10 dB; stop 39 +0.12 / +0.61 / +0.45 / +0.22 (with the scaled
    # candidates: +0.54 / +0.83 / −1.11 / +0.41)
    assert np.mean(gains) > 0 and min(gains) > -0.5, np.round(gains, 2)


def test_a_crop_larger_than_the_probe_is_filled_by_coherence_transport_alone():
    from latentbrush.ml.inpaint.coherence import coherence_transport, transport_and_soften

    img, hole = grainy(200, seed=3), disc(200, 50)
    holed = img.copy()
    holed[hole] = 255
    learned = Fixed(img)
    filler = ContentAwareFiller(learned, texture=False)
    out = filler.fill(holed, hole)
    assert filler.last_weights == [0.0, 0.0, 0.0, 0.0, 1.0] and learned.calls == 0
    assert np.array_equal(out, transport_and_soften(holed, hole)[0])
    # the texture is matched on the transport as it came (sharp), laid over the softened one
    smooth, guide = filler.structure(holed, hole)
    assert np.array_equal(smooth, out) and np.array_equal(guide, coherence_transport(holed, hole))


def test_small_crops_weigh_coherence_transport_with_the_others():
    img, hole = grainy(64, seed=3), disc(64, 16)
    holed = img.copy()
    holed[hole] = 255
    right = ContentAwareFiller(Fixed(img), texture=False)
    right.fill(holed, hole)
    assert right.last_weights[0] > 0.85, right.last_weights        # the truth wins
    wrong = ContentAwareFiller(Fixed(255 - img), texture=False)
    out = wrong.fill(holed, hole)
    assert wrong.last_weights[0] < 0.05 and wrong.last_weights[4] > 0.1, wrong.last_weights
    assert hole_psnr(out, img, hole) > hole_psnr(255 - img, img, hole) + 6      # the bad candidate left out
    assert wrong.on_cpu().coherence is not None
    assert ContentAwareFiller(None, coherence=False).on_cpu().coherence is None


def test_holes_coherence_transport_cannot_fill_fall_back_to_the_other_candidates():
    img = grainy(96, seed=8)
    everything = np.ones((96, 96), bool)
    filler = ContentAwareFiller(None, texture=False)
    out = filler.fill(img, everything)                      # a whole-crop mask: nothing to carry in
    assert out.shape == img.shape and filler.last_weights[4] == 0, filler.last_weights
    small = grainy(24, seed=8)
    rim = np.ones((24, 24), bool)
    rim[0, :] = False                                        # one known row: the probe's grown hole is all
    out = filler.fill(small, rim)
    assert out.shape == small.shape and filler.last_weights[4] == 0, filler.last_weights


def test_a_face_s_features_in_a_large_crop_get_the_learned_fill_weighed_in():
    from latentbrush.core.bbox import BBox

    img, hole = grainy(200, seed=3), disc(200, 20)
    holed = img.copy()
    holed[hole] = 255
    eye = [[100.0, 100.0], [160.0, 100.0], [130.0, 130.0], [105.0, 160.0], [155.0, 160.0]]
    for marks, learned_used in (([eye], True), ([], False)):
        learned = Fixed(img)
        filler = ContentAwareFiller(learned, texture=False, faces=lambda window, m=marks: [np.asarray(x) for x in m])
        filler.prepare_area(holed, BBox(0, 0, 200, 200), hole)
        filler.fill(holed, hole)
        assert (learned.calls > 0) == learned_used and (filler.last_weights[4] == 0) == learned_used, \
            filler.last_weights
        best = ExemplarFiller(ContentAwareFiller(learned := Fixed(img), texture=False,
                                                 faces=lambda window, m=marks: [np.asarray(x) for x in m]))
        best.prepare_area(holed, BBox(0, 0, 200, 200), hole)      # the best-quality fill chooses the same
        best.fill(holed, hole)
        assert (learned.calls > 0) == learned_used and best.area is None


@pytest.mark.needs_weights
def test_the_default_fill_carries_edges_through_strokes_on_a_full_size_photo(real_models):
    from latentbrush.core.imageio import load_image
    from latentbrush.ml.inpaint.fill import make_filler
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(real_models), device="cpu")
    filler = make_filler(None, models)
    photo = load_image(Path(__file__).resolve().parents[2] / "resources" / "samples" / "astronaut.jpg").pixels
    masks = strokes_256(4, 6_100_021)
    gains = []
    for (y, x), mask in zip(((0, 0), (0, 256), (256, 0), (256, 256)), masks, strict=True):
        gains.append(gain_over_classical(filler, np.ascontiguousarray(photo[y:y + 256, x:x + 256]), mask)[1])
    # measured: +1.41 dB on average (+0.09 … +2.72); stop 39's default (no coherence transport, the
    # synthesis at 64 / 128 px): +0.25 (−0.32 … +1.26)
    assert np.mean(gains) > 0.5, np.round(gains, 2)


def test_a_large_hole_s_grain_sources_do_not_jump_on_a_two_pixel_grid():
    # the half-resolution match doubled back: each 2 × 2 block copies one source, neighbouring blocks jump,
    # a regular 2-px grid of jumps seen as rows of speckle in large holes (a helper removing the astronaut's
    # helmet); a full-resolution round from that field breaks the grid up
    import cv2

    from latentbrush.ml.inpaint.texture import detail_sources

    img = grainy(160, seed=5).astype(np.float32)
    low = cv2.GaussianBlur(img, (0, 0), 1.0)
    hole = disc(160, 50)
    sources = cv2.erode((~hole).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0

    def grid(rounds):
        """jump rate between blocks (x odd → x + 1) minus within blocks (x even → x + 1), horizontally."""
        sy, sx = detail_sources(low, img - low, hole, sources, full_res_px=4096, refine_rounds=rounds)
        ty, tx = np.nonzero(hole)
        fy, fx = np.zeros(hole.shape, np.int64), np.zeros(hole.shape, np.int64)
        fy[ty, tx], fx[ty, tx] = sy, sx
        pair = hole[:, :-1] & hole[:, 1:]
        jump = ~((fy[:, 1:] == fy[:, :-1]) & (fx[:, 1:] == fx[:, :-1] + 1))
        odd = (np.arange(159) % 2 == 1)[None, :].repeat(160, 0)
        return float(jump[pair & odd].mean() - jump[pair & ~odd].mean())
    before, after = grid(0), grid(1)
    assert before > 0.3 and abs(after) < 0.3 * before, (before, after)


def grain_beside_smooth(n: int, split: int, box: tuple[slice, slice], seed: int):
    """(photo, hole, smooth fill): grain (σ 14) left of column `split`, a smooth surface right of it;
    the hole `box` in the grain, the fill flat at the grain's mean."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (n, n, 3)).astype(np.float32), (0, 0), 0.8)
    img = np.full((n, n, 3), 120, np.float32)
    img[:, split:] = 126
    img[:, :split] += noise[:, :split] * 14 / noise.std()
    img = np.clip(img, 0, 255).astype(np.uint8)
    hole = np.zeros((n, n), bool)
    hole[box] = True
    smooth = img.copy()
    smooth[hole] = 120
    return img, hole, smooth


def test_a_large_hole_in_grain_beside_a_smooth_surface_gets_grain_as_strong_as_around_it(monkeypatch):
    # a large hole is matched at half resolution on the guide's low-pass; inside the hole the guide is
    # smooth, and matching on its σ = 1 blur chose the smooth surface's sources: the hole came out
    # visibly smoother than the grain around it (on the held-out 256² crops 0.6 × the true grain's RMS).
    # The match alone (the grain's gain, tested below, off)
    import cv2

    from latentbrush.ml.inpaint import texture

    monkeypatch.setattr(texture, "GRAIN_GAIN", 1.0)

    img, hole, smooth = grain_beside_smooth(200, 100, (slice(50, 150), slice(10, 90)), seed=0)   # 8000 px: half res

    def detail(a):
        a = a.astype(np.float32)
        return a - cv2.GaussianBlur(a, (0, 0), 1.0)
    inner = cv2.erode(hole.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    around = cv2.erode((~hole[:, :100]).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    truth = float(detail(img)[:, :100][around].std())
    strength = {ms: float(detail(add_detail(img, hole, smooth, match_sigma=ms))[inner].std()) / truth
                for ms in (1.0, 2.0)}
    assert strength[2.0] > 0.65 and strength[1.0] < 0.55, strength       # the default is 2
    out = add_detail(img, hole, smooth)
    assert np.array_equal(out[~hole], img[~hole])


@pytest.mark.parametrize("n, split, box, seed", [
    (96, 60, (slice(30, 66), slice(12, 48)), 1),       # 1296 px: matched at full resolution
    (200, 100, (slice(50, 150), slice(10, 90)), 0),    # 8000 px: at half resolution (since stop 44)
])
def test_a_hole_in_grain_beside_a_smooth_surface_gets_its_grain_brought_up(monkeypatch, n, split, box, seed):
    # the match prefers the smooth surface's sources, the copy came out weaker than the grain around it
    # (the small hole 0.19 ×); it is brought up towards the ring's strength, by at most 1.2 × (more
    # overshot on photos)
    import cv2

    from latentbrush.ml.inpaint import texture

    img, hole, smooth = grain_beside_smooth(n, split, box, seed=seed)
    grain = lambda a: np.abs(a.astype(np.float32) - cv2.GaussianBlur(a.astype(np.float32), (0, 0), 1.0))  # noqa: E731
    inner = cv2.erode(hole.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    ring = (cv2.dilate(hole.astype(np.uint8), np.ones((13, 13), np.uint8)) > 0) & ~hole
    around = float(np.median(grain(img)[ring & (np.arange(n) < split)[None, :]]))
    strength = {}
    for g in (1.0, texture.GRAIN_GAIN):
        monkeypatch.setattr(texture, "GRAIN_GAIN", g)
        out = add_detail(img, hole, smooth, match_sigma=1.0)     # the large hole: the weaker match of stop 42
        assert np.array_equal(out[~hole], img[~hole])
        strength[g] = float(np.median(grain(out)[inner])) / around
    assert strength[1.0] < 0.9, strength
    assert 1.15 < strength[texture.GRAIN_GAIN] / strength[1.0] < 1.25, strength


@pytest.mark.parametrize("learned", [False, True])
def test_a_hole_over_nearly_the_whole_image_is_filled_from_what_is_left_not_with_a_stray_colour(learned):
    """A mask leaving a few pixels in a corner of a 400² photo: no crop, probe or smaller working size is
    left without them (a helper's near-full mask came out green: (0, 135, 0) before the fix)."""
    rng = np.random.default_rng(0)
    img = np.clip(np.array([150, 120, 100]) + rng.normal(0, 4, (400, 400, 3)), 0, 255).astype(np.uint8)
    mask = np.full((400, 400), 255, np.uint8)
    mask[:3, :3] = 0
    filler = ContentAwareFiller(Fixed(img) if learned else None)
    (out, _), _ = drain(inpaint_image(img, mask, filler, blend="none"))
    err = np.abs(out[mask > 0].astype(float).mean(0) - [150, 120, 100])
    assert err.max() < 12, err          # the photo's colour, within a few levels per channel
