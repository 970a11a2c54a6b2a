"""A large hole in a textured photo gets the texture's own fine band back (stop 62, `quilt.py`): filled at 512 px
and scaled up, its finer band had been noise of the right strength (a flat plastic over gravel or grass), and the
texture copied at the small size showed magnified as blocky speckle."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from latentbrush.core.jobs import drain
from latentbrush.ml.inpaint import quilt, surround
from latentbrush.ml.inpaint.content_aware import ContentAwareFiller
from latentbrush.ml.inpaint.exemplar import ExemplarFiller
from latentbrush.ml.inpaint.fill import inpaint_image

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "astronaut.jpg"


def pebbles(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A stationary texture with features a few px to ~20 px across (gravel seen from above)."""
    rng = np.random.default_rng(seed)
    g = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 4)
    g = np.tanh(3 * g / g.std()) * 45 + cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1) * 12
    rgb = np.stack([120 + g, 110 + 0.9 * g, 80 + 0.7 * g], -1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def band_rms(img: np.ndarray, where: np.ndarray, sigma: float) -> float:
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.sqrt(np.mean((g - cv2.GaussianBlur(g, (0, 0), sigma))[where] ** 2)))


def test_a_large_hole_in_a_texture_is_filled_with_that_texture():
    img = pebbles(1500, 2000)
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[450:1050, 600:1400] = 255
    (out, _), _ = drain(inpaint_image(img, mask, ContentAwareFiller(None)))
    hole = mask > 0
    assert np.array_equal(out[~hole], img[~hole])
    inner = cv2.erode(hole.astype(np.uint8), np.ones((41, 41), np.uint8)) > 0
    ring = cv2.dilate(hole.astype(np.uint8), np.ones((81, 81), np.uint8)).astype(bool) & ~hole
    # the texture's band finer than the 512-px fill can hold (scale ≈ 3.9): as strong inside as around
    assert band_rms(out, inner, 6) > 0.7 * band_rms(img, ring, 6)      # (noise of the grain's strength: 0.58)
    # and what is copied looks like it: pixel values spread like the texture's, not a grey haze
    assert np.std(out[inner][:, 0]) > 0.7 * np.std(img[ring][:, 0])


def test_around_smooth_areas_and_a_few_edges_the_fine_grain_does():
    """The astronaut scaled to 2000 × 1500, her head and the rocket's foot removed: a smooth wall and suit, a few
    sharp outlines. Quilted, the outlines' fragments were scattered over the wall like droplets."""
    img = cv2.resize(np.asarray(Image.open(SAMPLE).convert("RGB")), (2000, 1500), interpolation=cv2.INTER_CUBIC)
    hole = np.zeros(img.shape[:2], bool)
    hole[250:1250, 375:1625] = True
    filled = np.where(hole[..., None], cv2.GaussianBlur(img, (0, 0), 8), img)
    assert quilt.quilt_band(img, hole, filled, 2000 / 512) is None
    assert quilt.quilt_band(pebbles(1500, 2000), hole, filled, 2.0) is None     # (scaled up little: the grain)
    # a hole across a horizon (a lawn under a smooth sky) drew squares of grass and sky along it
    field = pebbles(1500, 2000)
    field[:700] = (120, 160, 230)
    assert quilt.quilt_band(field, hole, filled, 2000 / 512) is None


def test_cancel_reaches_the_quilting():
    img = pebbles(900, 1200, seed=2)
    hole = np.zeros(img.shape[:2], bool)
    hole[200:700, 300:900] = True
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
    try:
        quilt.quilt_band(img, hole, img.copy(), 4.0, check=check)
    except KeyboardInterrupt:
        pass
    assert len(calls) == 3


def test_a_fill_made_four_times_smaller_is_not_magnified_speckle():
    """Around smooth areas (no quilting), the working size's finest texture, a checkerboard of its pixels, was
    scaled up with the fill and read as blocky speckle (stop 61): it is softened by 0.8 working px first."""
    w, h = 2000, 1500
    img = cv2.resize(np.asarray(Image.open(SAMPLE).convert("RGB")), (w, h), interpolation=cv2.INTER_AREA)
    mask = np.zeros((h, w), np.uint8)
    mask[h // 6: h * 5 // 6, w * 3 // 16: w * 13 // 16] = 255
    (out, _), _ = drain(inpaint_image(img, mask, ContentAwareFiller(None)))
    hole = mask > 0
    assert np.array_equal(out[~hole], img[~hole])
    inner = cv2.erode(hole.astype(np.uint8), np.ones((41, 41), np.uint8)) > 0
    ring = cv2.dilate(hole.astype(np.uint8), np.ones((81, 81), np.uint8)).astype(bool) & ~hole

    def pixel_level(x: np.ndarray, where: np.ndarray) -> float:     # the Laplacian at the fill's working size
        g = cv2.resize(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float32), (512, 384), interpolation=cv2.INTER_AREA)
        at = cv2.resize(where.astype(np.float32), (512, 384), interpolation=cv2.INTER_AREA) > 0.99
        return float(np.sqrt(np.mean(cv2.Laplacian(g, cv2.CV_32F)[at] ** 2)))
    # magnified: 13.3 against the photo's 17.7 around the hole (its hair, the flag's edges); softened: 4.8
    assert pixel_level(out, inner) < 0.4 * pixel_level(img, ring)


def test_best_quality_on_a_large_hole_is_made_at_its_synthesis_size():
    """Helper 75: the best-quality fill found the structure of a 12-MP hole at the crop's own size (two minutes,
    Esc unheard meanwhile); it is made at the synthesis's size now and scaled back with the finer texture."""
    from latentbrush.ml.inpaint.exemplar import ExemplarFiller

    img = pebbles(1500, 2000, seed=3)
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[300:1200, 400:1600] = 255
    structure = ContentAwareFiller(None)
    seen = []
    real = structure.structure

    def spy(crop, hole, check=None, **kw):
        seen.append(crop.shape[:2])
        return real(crop, hole, check, **kw)
    structure.structure = spy
    f = ExemplarFiller(structure)
    (out, _), _ = drain(inpaint_image(img, mask, f))
    hole = mask > 0
    assert seen and max(max(s) for s in seen) <= f.max_side
    assert np.array_equal(out[~hole], img[~hole])
    inner = cv2.erode(hole.astype(np.uint8), np.ones((41, 41), np.uint8)) > 0
    ring = cv2.dilate(hole.astype(np.uint8), np.ones((81, 81), np.uint8)).astype(bool) & ~hole
    assert band_rms(out, inner, 6) > 0.6 * band_rms(img, ring, 6)       # the texture, not a blur


def test_a_sharp_horizon_through_a_smooth_scene_is_not_quilted_away():
    """Helper 76: sky over sea with a little noise passed the evenness gate (noise is even everywhere), and the
    quilting's coarse part blurred the horizon running through the hole into a 40-px ramp."""
    h, w = 1500, 2000
    img = np.zeros((h, w, 3), np.float32)
    img[:700] = (200, 220, 240)
    img[700:] = (40, 90, 140)
    img += np.random.default_rng(4).normal(0, 1.5, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    hole = np.zeros((h, w), bool)
    hole[450:1050, 600:1400] = True
    assert quilt.quilt_band(img, hole, img.copy(), w / 512) is None


def test_best_quality_keeps_thin_strokes_at_their_own_size():
    """Helper 76: a long thin stroke on a large crop went through the small size (its lines and the pebbles
    blurred): a thin hole is filled at its own size, as before."""
    from latentbrush.ml.inpaint.exemplar import ExemplarFiller

    img = pebbles(900, 1200, seed=5)
    img[:, 600:612] = 240                   # a white post across it
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.line(mask, (100, 450), (1100, 460), 255, 5)
    (out, _), _ = drain(inpaint_image(img, mask, ExemplarFiller(ContentAwareFiller(None))))
    hole = mask > 0
    assert np.abs(out[hole].astype(float) - img[hole]).mean() < 15      # (at the small size 19.8; here 12.0)


# -- texture mode (stop 63): a deep hole in a texture, filled at its own size ------------------------------------
def stones_band(img: np.ndarray, where: np.ndarray) -> float:
    """The band of blades and stones (between a 1.5-px and a 6-px blur), RMS over `where`."""
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.sqrt(np.mean((cv2.GaussianBlur(g, (0, 0), 1.5) - cv2.GaussianBlur(g, (0, 0), 6))[where] ** 2)))


def disc(h: int, w: int, r: int) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    cv2.circle(m, (w // 2, h // 2), r, 255, -1)
    return m


def test_a_deep_hole_in_a_texture_gets_the_texture_not_a_starburst():
    """A 180-px disc in a 512² texture filled at its own size: the structure fill's streaks from the edge met in
    a smooth starburst (the stones' band inside 0.16–0.25 of around it on gravel and grass, 0.18 on this texture);
    the texture is quilted from around the hole now, at the surroundings' light, and without a hard outline where
    the blocks meet the photo (helper 77: 2.0–2.4 × the texture's usual gradient across the hole's edge, and a
    hole 15 levels too dark on one seed)."""
    for seed in (2, 6):
        img = pebbles(512, 512, seed=seed)
        mask = disc(512, 512, 90)
        (out, _), _ = drain(inpaint_image(img, mask, ContentAwareFiller(None)))
        hole = mask > 0
        assert np.array_equal(out[~hole], img[~hole])
        inner = cv2.erode(mask, np.ones((9, 9), np.uint8)) > 0
        ring = (cv2.dilate(mask, np.ones((41, 41), np.uint8)) > 0) & ~(cv2.dilate(mask, np.ones((9, 9), np.uint8)) > 0)
        assert stones_band(out, inner) > 0.7 * stones_band(img, ring)
        # the texture's broad light is the surroundings': its mean colour within a few levels of theirs (1.6, 6.2)
        assert np.abs(out[inner].mean(0) - img[ring].mean(0)).max() < 9
        # across the hole's edge no sharper than a little above the texture's usual gradient (1.3–1.45 ×)
        g = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(np.float32)
        grad = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
        edge = (cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0) & ~(cv2.erode(mask, np.ones((3, 3), np.uint8)) > 0)
        assert grad[edge].mean() < 1.7 * grad[ring].mean()


def test_texture_mode_declines_on_a_photo_of_objects(monkeypatch):
    """Coins on a plain ground (helper 77: scikit-image's coins passed the uneven-light gate at 0.8 and came out as
    broken coin fragments on a grey disc; drawn here) and the astronaut's model shuttle (the first version copied
    her hair and face into the wall: the uneven-light gate, 1.4, declines it). And lighter patches of the ground
    itself, as strong a texture as the rest: their uneven light (0.85–0.88) declines them (stop 64, helper 79: a
    gate of 1.0 instead of 0.6, tried on the cells like the hole's ring alone, quilted 11 of 36 holes in
    scikit-image's coins with coin fragments, 0.72–0.95 there, and the cat's face)."""
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        ground = pebbles(300, 380, seed=seed).astype(np.float32)
        yy, xx = np.mgrid[0:300, 0:380]
        lit = np.zeros((300, 380), np.float32)
        for _ in range(14):
            cx, cy, r = rng.integers(0, 380), rng.integers(0, 300), rng.integers(25, 45)
            lit = np.maximum(lit, np.clip(r - np.hypot(yy - cy, xx - cx), 0, 1))
        patched = np.clip(ground + 60 * lit[..., None], 0, 255).astype(np.uint8)
        hole = disc(300, 380, 70) > 0
        seen: list[float] = []      # (the ring is one texture: the light gate has the say)
        monkeypatch.setattr(quilt, "uneven", lambda *a, seen=seen: seen.append(surround.uneven(*a)) or seen[-1])
        assert quilt.quilt_verdict(patched, hole, patched.copy(), 1.0, texture=True)[1] == "scene"
        assert len(seen) == 1 and quilt.UNEVEN < seen[0] < 1.0
    rng = np.random.default_rng(11)
    img = np.full((300, 380), 70, np.float32) + rng.normal(0, 3, (300, 380))
    yy, xx = np.mgrid[0:300, 0:380]
    for _ in range(24):
        cx, cy, r = rng.integers(20, 360), rng.integers(20, 280), rng.integers(14, 26)
        d = np.hypot(yy - cy, xx - cx)
        inside = np.clip(r - d, 0, 1)
        img = img * (1 - inside) + inside * (170 + 40 * np.cos(d / 3.0) + rng.normal(0, 6, d.shape))
    coins = np.repeat(np.clip(img, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    mask = disc(300, 380, 90)
    assert quilt.quilt_verdict(coins, mask > 0, coins.copy(), 1.0, texture=True)[1] == "scene"
    astro = np.asarray(Image.open(SAMPLE).convert("RGB"))
    mask = np.zeros(astro.shape[:2], np.uint8)
    for x in (366, 392, 418, 444, 466):
        cv2.line(mask, (x, 0), (x, 292), 255, 40)
    crop, hole = astro[:469, 104:], mask[:469, 104:] > 0       # (the editor's crop around it)
    assert quilt.quilt_verdict(crop, hole, crop.copy(), 1.0, texture=True)[1] == "scene"


def test_a_large_photo_quilted_at_full_size_says_so():
    """Helper 77: where only the full-size pass quilted (the fill made smaller declined), the summary said "the
    photo's own fine grain copied in" and the status pointed to best quality."""
    from latentbrush.ml.inpaint.report import plain_summary, redrawn

    img = pebbles(1200, 3200, seed=4)
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.line(mask, (300, 600), (2900, 600), 255, 160)      # filled at 512 px: 26 px wide, too thin for texture mode
    f = ContentAwareFiller(None)
    (out, _), _ = drain(inpaint_image(img, mask, f))
    assert np.array_equal(out[mask == 0], img[mask == 0])
    assert redrawn(f.log) and "blocks copied from the photo" in plain_summary(f.log)


def test_texture_mode_declines_where_edges_run_one_way_and_on_shallow_holes():
    """Bricks, planks, stripes: quilted blocks break their courses across the hole (the structure fill continues
    them); and a hole a few px deep keeps the grain pass (nothing to quilt at its scale)."""
    y, x = np.mgrid[0:512, 0:512]
    courses = ((y % 30 < 5) | ((x + 45 * (y // 30 % 2)) % 90 < 5)).astype(np.float32)     # bricks 3:1
    rng = np.random.default_rng(7)
    wall = np.clip(90 + 120 * courses[..., None] + rng.normal(0, 6, (512, 512, 1)), 0, 255).astype(np.uint8)
    wall = np.repeat(wall, 3, axis=2)
    hole = disc(512, 512, 90) > 0
    assert quilt.oriented(cv2.cvtColor(wall, cv2.COLOR_RGB2GRAY).astype(np.float32), ~hole) > quilt.ORIENTED
    assert quilt.quilt_band(wall, hole, wall.copy(), 1.0, texture=True) is None
    tex = pebbles(512, 512, seed=8)
    assert quilt.oriented(cv2.cvtColor(tex, cv2.COLOR_RGB2GRAY).astype(np.float32), ~hole) < quilt.ORIENTED
    thin = np.zeros((512, 512), bool)
    thin[250:256, 100:400] = True                 # 3 px deep: texture scale < TEXTURE_MIN
    assert quilt.texture_scale(thin) < quilt.TEXTURE_MIN
    assert quilt.quilt_band(tex, thin, tex.copy(), 1.0, texture=True) is None


def test_quilted_blocks_meet_along_the_path_where_they_differ_least():
    from latentbrush.ml.inpaint.cuts import block_mask, seam

    err = np.ones((20, 8))
    path = np.clip(4 + np.round(2 * np.sin(np.arange(20) / 3)).astype(int), 0, 7)
    err[np.arange(20), path] = 0.0
    assert np.array_equal(seam(err), path)
    # two blocks equal along that path, different elsewhere in the overlap: the new one shows beyond it, on
    # whichever side the laid overlap is (turned: top, right, bottom)
    b = 20
    old = np.zeros((b, b), np.float32)
    new = np.full((b, b), 10.0, np.float32)
    new[np.arange(b), path] = 0.0
    laid = np.zeros((b, b), bool)
    laid[:, :8] = True
    want = np.arange(b)[None, :] >= path[:, None]
    for k in range(4):
        share = block_mask(np.rot90(old, -k), np.rot90(new, -k), np.rot90(laid, -k), 8, 0.0)
        share = np.rot90(share, k)
        assert np.array_equal(share[:, :8] > 0.5, want[:, :8]), k
        assert (share[:, 8:] == 1).all()        # where nothing was laid, the new block


def test_a_deep_hole_in_bricks_is_redrawn_from_the_walls_patches():
    """Bricks: texture mode declines ("regular": its blocks broke the courses) and the default fill redraws the hole
    from the wall's own patches, as best quality does; carried in by coherence transport the courses met in a
    starburst (the band inside 0.30 of around it, mean error 36 levels; redrawn 0.94, 21)."""
    y, x = np.mgrid[0:512, 0:512]
    courses = ((y % 30 < 5) | ((x + 45 * (y // 30 % 2)) % 90 < 5)).astype(np.float32)
    rng = np.random.default_rng(7)
    wall = np.clip(90 + 120 * courses[..., None] + rng.normal(0, 6, (512, 512, 1)), 0, 255).astype(np.uint8)
    wall = np.repeat(wall, 3, axis=2)
    mask = disc(512, 512, 90)
    assert quilt.quilt_verdict(wall, mask > 0, wall.copy(), 1.0, texture=True) == (None, "regular")
    f = ContentAwareFiller(None)
    (out, _), _ = drain(inpaint_image(wall, mask, f))
    hole = mask > 0
    assert np.array_equal(out[~hole], wall[~hole])
    assert f.log[-1][2:] == (True,)          # (the report: "redrawn from the photo's own patches")
    inner = cv2.erode(mask, np.ones((9, 9), np.uint8)) > 0
    ring = (cv2.dilate(mask, np.ones((41, 41), np.uint8)) > 0) & ~(cv2.dilate(mask, np.ones((9, 9), np.uint8)) > 0)
    assert stones_band(out, inner) > 0.7 * stones_band(wall, ring)
    assert np.abs(out[inner].astype(float) - wall[inner]).mean() < 28


def test_a_texture_leaning_one_way_but_random_along_it_is_quilted_and_a_regular_one_redrawn():
    """Helper 78: grass stretched to a phone photo's size leans one way (0.43–0.49), so it was redrawn from patches
    as bricks are, and came out a washed-out grey disc. What bricks and boards have and such a texture has not is
    regularity (surround.periodic: a brick photo's courses 0.26, drawn walls and boards 1.0, grass and gravel
    0.10 stretched or not): only a regular texture is redrawn; one random along its lean is quilted."""
    from latentbrush.ml.inpaint.surround import periodic

    img = cv2.resize(pebbles(128, 512, seed=9), (512, 512), interpolation=cv2.INTER_CUBIC)     # stretched 4 × tall
    mask = disc(512, 512, 90)
    hole = mask > 0
    assert quilt.oriented(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32), ~hole) > quilt.ORIENTED
    f = ContentAwareFiller(None)
    (out, _), _ = drain(inpaint_image(img, mask, f))
    assert np.array_equal(out[~hole], img[~hole])
    assert f.log[-1][2:] == ("quilted",) and f.quilts_texture == "any way"     # (surveyed once: "quilted along")
    best = ExemplarFiller(ContentAwareFiller(None))     # (stop 64: best quality quilts it too; it synthesised it)
    (again, _), _ = drain(inpaint_image(img, mask, best))
    assert best.log[-1][2:] == ("quilted",) and best.quilted == "any way" and np.array_equal(again[~hole], img[~hole])
    inner = cv2.erode(mask, np.ones((9, 9), np.uint8)) > 0
    ring = (cv2.dilate(mask, np.ones((41, 41), np.uint8)) > 0) & ~(cv2.dilate(mask, np.ones((9, 9), np.uint8)) > 0)
    assert stones_band(out, inner) > 0.75 * stones_band(img, ring)
    y, x = np.mgrid[0:512, 0:512]
    courses = ((y % 30 < 5) | ((x + 45 * (y // 30 % 2)) % 90 < 5)).astype(np.float32)
    wall = np.repeat(np.clip(90 + 120 * courses[..., None], 0, 255).astype(np.uint8), 3, axis=2)
    assert periodic(wall, hole, 3 * quilt.texture_scale(hole)) > quilt.REGULAR


def test_a_stroke_down_a_receding_brick_wall_is_redrawn_not_quilted():
    """Helper 80: a 60-px stroke down scikit-image's brick photo (a wall in perspective) was quilted into a jumble of
    misaligned blocks: as a whole the wall is not regular (its bricks shrink across it: 0.24–0.26) and its edges do
    not run one way enough to be asked. Since stop 64 every surveyed texture is asked whether it is regular, an area
    as long as this on 256-px windows as well (their median): the wall is redrawn from patches and its courses go on
    (mean error inside 45 → 22 levels on this drawn wall)."""
    from latentbrush.ml.inpaint.surround import periodic

    y, x = np.mgrid[0:512, 0:512].astype(np.float32)
    s = 1 + 0.8 * x / 512                    # the wall recedes: its bricks grow from left to right
    v, u = (y - 256) / s + 256, np.cumsum(1 / s, axis=1)
    courses = ((v % 22 < 4) | ((u + 33 * (v // 22 % 2)) % 66 < 4)).astype(np.float32)
    noise = np.random.default_rng(3).normal(0, 5, (512, 512, 1))
    wall = np.repeat(np.clip(95 + 110 * courses[..., None] + noise, 0, 255).astype(np.uint8), 3, 2)
    mask = cv2.line(np.zeros((512, 512), np.uint8), (256, 30), (256, 480), 255, 60)
    hole = mask > 0
    assert periodic(wall, hole, quilt.SPLIT * quilt.texture_scale(hole)) >= quilt.REGULAR
    f = ContentAwareFiller(None)
    (out, _), _ = drain(inpaint_image(wall, mask, f))
    assert np.array_equal(out[~hole], wall[~hole])
    assert f.log[-1][2:] == (True,)          # redrawn from the photo's own patches
    inner = cv2.erode(mask, np.ones((9, 9), np.uint8)) > 0
    assert np.abs(out[inner].astype(float) - wall[inner]).mean() < 30
