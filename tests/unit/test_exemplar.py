"""The best-quality fill (issue 19): exemplar synthesis rebuilds a texture a smooth fill cannot, keeps
every pixel outside the hole, shows its progress, stops when cancelled, starts from the structure
where a scale has nothing to copy from, leaves a face the generator prior drew to the prior, and is
offered after the default in the method list and the editor's fill path."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from latentbrush.bench.inpaint_bench import hole_psnr, texture_kept
from latentbrush.core.jobs import Cancelled, drain
from latentbrush.ml.inpaint import exemplar
from latentbrush.ml.inpaint.exemplar import ExemplarFiller, synthesise
from latentbrush.ml.inpaint.fill import inpaint_image
from latentbrush.ml.inpaint.filler import ClassicalFiller, Filler
from latentbrush.ml.inpaint.texture import add_detail


def tiled(n: int = 96, seed: int = 0) -> np.ndarray:
    """A repeating pattern of 12-px tiles of 2-px random colour blocks: every hole patch has exact
    copies outside the hole, and no smooth fill can draw it."""
    rng = np.random.default_rng(seed)
    tile = cv2.resize(rng.integers(0, 256, (6, 6, 3)).astype(np.uint8), (12, 12), interpolation=cv2.INTER_NEAREST)
    return np.ascontiguousarray(np.tile(tile, (n // 12, n // 12, 1)))


def disc(n: int, r: int) -> np.ndarray:
    hole = np.zeros((n, n), np.uint8)
    cv2.circle(hole, (n // 2, n // 2), r, 1, -1)
    return hole > 0


def test_exemplar_synthesis_rebuilds_a_pattern_a_smooth_fill_blurs_and_keeps_the_rest():
    img, hole = tiled(), disc(96, 18)
    telea = ClassicalFiller().fill(img, hole)
    out = ExemplarFiller(ClassicalFiller()).fill(img, hole)
    assert np.array_equal(out[~hole], img[~hole])
    # measured: Telea 10.1 dB inside the hole and 0 % of the texture; the synthesis rebuilds the
    # pattern exactly (the start is Telea's blur: the patches, not the start, draw it)
    assert hole_psnr(telea, img, hole) < 12 and texture_kept(telea, img, hole) < 0.05
    assert hole_psnr(out, img, hole) > 30
    assert 0.8 < texture_kept(out, img, hole) < 1.2


def test_the_synthesis_reports_its_progress_and_stops_when_cancelled():
    img, hole = tiled(), disc(96, 18)
    start = ClassicalFiller().fill(img, hole)
    out, steps = drain(synthesise(img, hole, start))
    steps = [(f, what) for f, what in steps if not what.startswith("preparing")]     # compiling, once per process
    fractions = [f for f, _ in steps]
    assert len(steps) >= 5 and fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] < 1
    assert all("scale" in what for _, what in steps)
    # the finest scale holds most of the pixels, so most of the bar (it was once the other way round)
    finest = next(f for f, what in steps if what.endswith(f"scale {what.split()[-1]} of {what.split()[-1]}"))
    assert finest < 0.5
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 2:
            raise Cancelled()
    with pytest.raises(Cancelled):
        drain(synthesise(img, hole, start, check=check))
    assert len(calls) == 3           # stopped at the third check, not at the end


def test_a_hole_with_almost_nothing_around_it_starts_from_the_structure_not_from_what_was_there():
    n = 100
    img = np.full((n, n, 3), (255, 0, 255), np.uint8)     # what is to go: magenta
    img[:5], img[-5:], img[:, :5], img[:, -5:] = 120, 120, 120, 120
    hole = np.zeros((n, n), bool)
    hole[5:-5, 5:-5] = True
    out = ExemplarFiller(ClassicalFiller(), grain=False).fill(img, hole)
    start = ClassicalFiller().fill(img, hole)
    # no whole 7 × 7 patch is known at any scale: nothing is copied, the structure (Telea's grey) stays;
    # before, the hole came back magenta
    assert not (out[hole] == (255, 0, 255)).all(axis=1).any()
    assert np.abs(out[hole].astype(int) - start[hole]).mean() < 3


def test_the_editor_path_shows_the_synthesis_and_changes_only_the_hole():
    img = tiled(120)
    mask = np.zeros((120, 120), np.uint8)
    mask[40:80, 50:90] = 255
    (res, box), steps = drain(inpaint_image(img, mask, ExemplarFiller(ClassicalFiller()), blend="none"))
    assert any("synthesising texture" in p.message for p in steps)
    assert np.array_equal(res[mask == 0], img[mask == 0])
    assert (box.x0, box.y0, box.x1, box.y1) == (50, 40, 90, 80)
    assert hole_psnr(res, img, mask) > 30


class PriorChose(Filler):
    """A structure that reports what the content-aware fill reports when the generator prior drew the face."""
    last_weights = exemplar.PRIOR_ALONE
    log: list = []

    def structure(self, crop, hole, check=None):
        f = np.full_like(crop, 90)
        f[::2] = 130                           # a striped "face": the synthesis would change it
        out = np.where(hole[..., None], f, crop)
        return out, out


def test_a_face_the_generator_prior_drew_is_left_to_the_prior():
    img, hole = tiled(60), disc(60, 12)
    s = PriorChose()
    start, _ = s.structure(img, hole)
    out = ExemplarFiller(s).fill(img, hole)
    assert np.array_equal(out, add_detail(img, hole, start))


def test_the_method_is_listed_after_the_default(tiny_models):
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(tiny_models), device="cpu")
    ids = [m.id for m in methods.fill_methods(models.manifest)]
    assert ids.index(methods.EXEMPLAR) == ids.index(methods.CONTENT_AWARE) + 1
    assert methods.default_method(models.manifest) == methods.CONTENT_AWARE


def test_the_compiled_patch_match_finds_exact_copies_and_gives_the_same_field_every_time():
    from latentbrush.ml.inpaint import kernels

    img = np.random.default_rng(1).integers(0, 256, (80, 80, 3)).astype(np.float32)
    img[50:70, 40:60] = img[10:30, 5:25]                  # the target block is a copy of a known one
    targets = np.zeros((80, 80), bool)
    targets[53:67, 43:57] = True                          # its inside: every patch has an exact copy
    sources = np.ones((80, 80), bool)
    sources[:3], sources[-3:], sources[:, :3], sources[:, -3:] = False, False, False, False
    sources[44:76, 34:66] = False                         # … but not the copy itself
    ty, tx = (a.astype(np.int64) for a in np.nonzero(targets))
    extra = np.zeros((80, 80, 0), np.float32)
    none = np.full(len(ty), -1, np.int64)
    sy, sx, dist = kernels.patch_match(img, extra, ty, tx, sources, none, none, 4, 3, 7)
    exact = (sy == ty - 40) & (sx == tx - 35)
    assert exact.mean() > 0.95 and np.all(dist[exact] == 0)       # measured: all of them
    again = kernels.patch_match(img, extra, ty, tx, sources, none, none, 4, 3, 7)
    assert np.array_equal(again[0], sy) and np.array_equal(again[1], sx)


def test_the_compiled_patch_match_counts_each_descriptor_component_by_its_weight_per_target():
    """The grain pass matches on descriptors whose parts in the hole weigh 0 (texture.add_detail): a
    component with weight 0 must not pull the match, one with weight 1 must."""
    from latentbrush.ml.inpaint import kernels

    h = w = 24
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    extra = np.ascontiguousarray(np.stack([yy, xx], axis=2))      # component 0: the row, 1: the column
    extra[12, 12] = (3.0, 20.0)                                   # the target asks for row 3, column 20
    sources = np.ones((h, w), bool)
    sources[12, 12] = sources[3, 20] = False                      # no source has both
    ty, tx, none = np.array([12], np.int64), np.array([12], np.int64), np.full(1, -1, np.int64)
    est = np.zeros((h, w, 3), np.float32)
    rows = kernels.patch_match(est, extra, ty, tx, sources, none, none, 8, 0, 3, weights=np.array([[1.0, 0.0]]))
    cols = kernels.patch_match(est, extra, ty, tx, sources, none, none, 8, 0, 3, weights=np.array([[0.0, 1.0]]))
    both = kernels.patch_match(est, extra, ty, tx, sources, none, none, 8, 0, 3)
    assert rows[0][0] == 3 and rows[2][0] == 0 and cols[1][0] == 20 and cols[2][0] == 0
    assert both[2][0] == 1.0                    # unweighted: one step off in one of them at best


def test_the_vote_is_the_weighted_mean_of_the_colours_the_patches_put_on_a_pixel():
    from latentbrush.ml.inpaint import kernels

    est = np.zeros((9, 9, 3), np.float32)
    est[1, 1], est[1, 7] = (30, 60, 90), (90, 120, 150)
    hole = np.zeros((9, 9), bool)
    hole[4, 4] = True
    # two 3 × 3 patches cover (4, 4) at their centres: copied from around (1, 1) and (1, 7)
    ty, tx = np.array([4, 4], np.int64), np.array([4, 4], np.int64)
    out = kernels.vote(est, hole, ty, tx, np.array([1, 1], np.int64), np.array([1, 7], np.int64),
                       np.array([3.0, 1.0]), 1)
    assert np.allclose(out[4, 4], (0.75 * 30 + 0.25 * 90, 0.75 * 60 + 0.25 * 120, 0.75 * 90 + 0.25 * 150))
    assert np.array_equal(out[~hole], est[~hole])


def test_best_quality_leaves_a_thin_stroke_to_the_default_fill_and_redraws_a_deep_hole():
    """Brush strokes a few px wide: most of every patch over them is known and the default's structure,
    drawn at the crop's size, continues them (on the bench's 64² photo strokes the synthesis lost
    0.4 dB to it); the best-quality fill gives exactly the default's fill there, and synthesises a
    deep hole, where it rebuilds a pattern the structure fill cannot (since stop 63 the default redraws this
    one too: a pattern whose edges run one way, texture mode's "regular")."""
    from latentbrush.ml.inpaint.content_aware import ContentAwareFiller

    img = tiled()
    stroke = np.zeros((96, 96), np.uint8)
    cv2.line(stroke, (10, 20), (85, 70), 1, 4)            # 4 px wide: a median ≤ 2 px from the known pixels
    stroke = stroke > 0
    default, best = ContentAwareFiller(None, synthesis=True), ExemplarFiller(ContentAwareFiller(None))
    assert np.array_equal(best.fill(img, stroke), default.fill(img, stroke))
    hole = disc(96, 18)
    ours, smooth = best.fill(img, hole), ContentAwareFiller(None, texture=False).fill(img, hole)
    assert hole_psnr(ours, img, hole) > hole_psnr(smooth, img, hole) + 10     # measured 41 vs 10.6 dB
    assert best.log[-1][2:] == (True,)          # redrawn from the photo's patches


def test_the_default_fill_synthesises_a_deep_hole_small_and_says_so_but_leaves_thin_strokes_to_the_structure():
    from latentbrush.ml.inpaint.content_aware import ContentAwareFiller

    img, hole = np.ascontiguousarray(tiled(72)[:64, :64]), disc(64, 14)       # hole_depth ≈ 4 px at 64 px
    synth, plain = ContentAwareFiller(None, synthesis=True), ContentAwareFiller(None, synthesis=False)
    out, before = synth.fill(img, hole), plain.fill(img, hole)
    assert synth.synthesised and synth.log[-1][2] is True and len(plain.log[-1]) == 2
    assert np.array_equal(out[~hole], img[~hole])
    assert hole_psnr(out, img, hole) > hole_psnr(before, img, hole) + 10       # measured 40.9 vs 12.2 dB
    stroke = np.zeros((64, 64), np.uint8)
    cv2.line(stroke, (6, 12), (58, 50), 1, 4)
    stroke = stroke > 0
    assert np.array_equal(synth.fill(img, stroke), plain.fill(img, stroke)) and not synth.synthesised
    # on a larger crop the depth counts at the synthesis' scale: the first of 64 / 128 px where the hole
    # is more than a patch radius deep. A band 30 px high (median depth ≈ 7.6 px) across a 400-px crop is
    # ≈ 2.4 px deep at 128 px and keeps the structure; one 42 px high (≈ 9.5 px) is 1.5 px deep at 64 and
    # 3.1 px at 128: synthesised at 128 (wide brush strokes); a 150-px disc already at 64 (an object)
    band, wide = np.zeros((400, 400), bool), np.zeros((400, 400), bool)
    band[185:215, 50:350] = True
    wide[180:222, 50:350] = True
    side = ContentAwareFiller.synthesis_side
    assert side(band) is None and side(wide) == 128 and side(disc(400, 75)) == 64
    assert side(disc(64, 14)) == 64 and side(stroke) is None


def test_wide_strokes_on_a_larger_crop_are_synthesised_at_128_px_and_the_scales_can_be_chosen():
    """A band 22 px high on a 192² crop is ≈ 1.8 px deep at 64 px (left to the structure there) and
    ≈ 3.7 px at 128 px: the default synthesises it at 128 px; limited to 64 px (the bench's comparison,
    `latentbrush bench inpaint_scales`) it keeps the structure, and a copy on the CPU keeps the choice."""
    from latentbrush.ml.inpaint.content_aware import ContentAwareFiller

    img = tiled(192)
    band = np.zeros((192, 192), bool)
    band[85:107, 20:172] = True
    default, coarse = ContentAwareFiller(None, synthesis=True), ContentAwareFiller(None, synthesis=True, synth_sides=(64,))
    ours, kept = default.fill(img, band), coarse.fill(img, band)
    assert default.synthesised and not coarse.synthesised and coarse.on_cpu().synth_sides == (64,)
    assert np.array_equal(ours[~band], img[~band])
    assert hole_psnr(ours, img, band) > hole_psnr(kept, img, band) + 6       # measured 32.5 vs 19.5 dB


def test_a_large_hole_in_stones_keeps_the_stones_contrast_not_a_flat_disc():
    # gravel and grass came out of the best-quality fill as a flat grey disc with fine grain (a helper,
    # stop 41): on crops larger than 64 px the structure (coherence transport) is a smooth guide, the
    # near term pulled every patch to the ring, and each finer level started from the coarser one's blur
    from latentbrush.ml.inpaint.content_aware import ContentAwareFiller

    rng = np.random.default_rng(3)
    img = np.full((200, 200, 3), 128, np.uint8)
    for _ in range(900):            # stones of every grey, 6–18 px
        g = int(rng.integers(60, 220))
        cv2.ellipse(img, (int(rng.integers(0, 200)), int(rng.integers(0, 200))),
                    (int(rng.integers(4, 9)), int(rng.integers(3, 7))), float(rng.uniform(0, 180)), 0, 360, (g, g, g), -1)
    img = cv2.GaussianBlur(img, (0, 0), 0.7)
    hole = disc(200, 45)

    from latentbrush.bench.inpaint_textures import band as stones  # between a 1.5-px and a 6-px blur
    from latentbrush.bench.inpaint_textures import texture_ratio

    assert 0.8 < texture_ratio(img, hole) < 1.25 and texture_ratio(np.full_like(img, 128), hole) < 0.01  # the measure
    inner = cv2.erode(hole.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    truth = float(stones(img)[~disc(200, 70)].std())
    filler = ExemplarFiller(ContentAwareFiller(None), grain=False)      # the synthesis alone, no 1-px grain
    holed = img.copy()
    holed[hole] = 255
    out = filler.fill(holed, hole)
    assert filler.log[-1][2] is True                                   # the report says it was redrawn
    start, _ = filler.structure.structure(holed, hole)
    before = drain(exemplar.synthesise_fill(holed, hole, start, max_side=640, guide_weight=8.0, near=4.0))[0]
    now, then = float(stones(out)[inner].std()) / truth, float(stones(before)[inner].std()) / truth
    assert now > 0.33 and now > 1.4 * then, (now, then)
    assert np.array_equal(out[~hole], img[~hole])
