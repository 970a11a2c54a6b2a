"""Sliders on photos move the photo's own pixels (app/ml/latent/flowedit.py): the generator's edit
becomes a displacement field, so a feature that sits a little off the generator's copy of it moves
instead of being painted twice."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from latentbrush.ml.latent import align, applyback
from latentbrush.ml.latent.flowedit import apply_moved, flow_field


def _blob(n: int, cx: float, cy: float, r: float, base: float = 200.0, ink: float = 40.0) -> np.ndarray:
    """(n, n, 3) float32: a light smooth background with a dark round feature."""
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    bg = base + 10 * np.sin(xx / n * 3) * np.cos(yy / n * 2)
    d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
    a = np.clip(r + 0.5 - d, 0, 1)
    img = bg * (1 - a) + ink * a
    return np.repeat(img[..., None], 3, axis=2).astype(np.float32)


def _dark_centres(img: np.ndarray, thresh: float = 110) -> list[tuple[float, float]]:
    m = (img.astype(np.float32).mean(axis=2) < thresh).astype(np.uint8)
    n, _, stats, cents = cv2.connectedComponentsWithStats(m)
    return [tuple(cents[i]) for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= 20]


def test_flow_recovers_a_known_shift():
    a = _blob(64, 32, 32, 5)
    b = _blob(64, 32, 30, 5)                     # the feature moves up by 2 px (under the 3-px cap)
    f = flow_field(a, b)
    # edit(p) ≈ projection(p + F): the pixels at the new place come from 2 px below
    assert f[30, 32, 1] == pytest.approx(2.0, abs=0.2)
    assert abs(f[30, 32, 0]) < 0.2
    assert np.abs(f[:8, :8]).max() < 0.3         # nothing moves far from the feature


def test_a_moved_feature_is_moved_not_doubled():
    """The generator's mouth sits 4 frame px right of the photo's; its edit lifts the mouth by 4 px.
    The additive apply-back paints a second mouth; the motion path lifts the photo's one."""
    n = 256                                       # photo crop; the frame is 64 px → 4 photo px per frame px
    photo = np.clip(_blob(n, 128, 150, 16), 0, 255).astype(np.uint8)
    proj = _blob(64, 36, 37.5, 4)                 # generator's feature: 4 frame px to the right
    edit = _blob(64, 36, 33.5, 4)                 # … lifted by 4 frame px
    added = applyback.apply_back(photo, proj, edit, taper=0)
    moved = apply_moved(photo, proj, edit, taper=0)
    assert len(_dark_centres(photo)) == 1
    ghost = _dark_centres(added)                  # a second mouth, merged with the first: drifts sideways
    assert len(ghost) >= 2 or abs(ghost[0][0] - 128) > 4, ghost
    cents = _dark_centres(moved)
    assert len(cents) == 1, cents
    cx, cy = cents[0]
    assert abs(cx - 128) < 3                      # stays where the photo has it
    assert 150 - cy > 6                           # and goes up (≈ 9 px: 4 frame px, capped at 3, × 4 photo px)


def test_where_the_edit_fades_out_the_feature_moves_less_and_is_not_shown_twice():
    """Where the weight is partial (the frame's tapered border, a painted limit) the motion is scaled down: the
    moved and the unmoved photo cross-faded there showed an ear or a curtain's edge twice (helper 64)."""
    n = 256
    photo = np.clip(_blob(n, 128, 140, 4), 0, 255).astype(np.uint8)        # a small feature (an earlobe)
    proj, edit = _blob(64, 32, 35, 3), _blob(64, 32, 32, 3)   # lifted by 3 frame px = 12 photo px
    half = np.full((n, n), 0.5, np.float32)
    out = apply_moved(photo, proj, edit, taper=0, limit=half)
    assert len(_dark_centres(out, thresh=150)) == 1           # one feature (the cross-fade: two, each half dark) …
    cents = _dark_centres(out, thresh=90)
    assert len(cents) == 1, cents                 # … as dark as the photo's …
    assert 3 < 140 - cents[0][1] < 9              # … moved about half the way (≈ 6 of 12 px)


def test_nothing_outside_the_change_and_no_change_is_identity(rng):
    photo = rng.integers(0, 255, (120, 100, 3), dtype=np.uint8)
    proj = _blob(64, 32, 32, 5)
    assert np.array_equal(apply_moved(photo, proj, proj.copy()), photo)
    edit = _blob(64, 32, 29, 5)
    warp = align.aligned_region(np.array([[30.0, 40], [70, 40], [50, 60], [35, 80], [65, 80]]),
                                np.array([[0.35, 0.47], [0.66, 0.46], [0.5, 0.62], [0.37, 0.82], [0.64, 0.81]]),
                                100, 120)[1]
    for wp in (None, warp):
        out = apply_moved(photo, proj, edit, warp=wp)
        changed = (out != photo).any(axis=2)
        assert changed.any()
        ys, xs = np.nonzero(changed)
        frame = align.from_frame(np.ones((64, 64), np.float32), wp if wp is not None else align.box_warp(100, 120),
                                 (120, 100), smooth=False)
        assert (frame[ys, xs] > 0).all()          # only inside the frame square
    limit = np.zeros((120, 100), np.float32)
    assert np.array_equal(apply_moved(photo, proj, edit, limit=limit), photo)


def test_grey_photo_stays_grey_and_bad_input_is_refused():
    grey = np.repeat(np.clip(_blob(96, 48, 48, 8), 0, 255).astype(np.uint8)[..., :1], 3, axis=2)
    proj = _blob(64, 32, 32, 5)
    edit = _blob(64, 32, 30, 5)
    added = np.zeros_like(proj)
    added[20:44, 20:44] = [40, 0, -30]                    # a coloured shading change on top
    out = apply_moved(grey, proj, edit, added=added).astype(int)
    assert (out != grey).any()
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 1 and np.abs(out[..., 1] - out[..., 2]).max() <= 1
    with pytest.raises(ValueError, match="uint8"):
        apply_moved(grey.astype(np.float32), proj, edit)
    with pytest.raises(ValueError, match="shape"):
        apply_moved(grey, proj, edit[:32])


def test_the_inside_of_a_large_uniform_feature_moves_with_its_rim():
    """A flat feature changes colour only at its rim when it moves; its inside (the photo's own
    texture there) must move with it, not stay while the rim is squeezed."""
    n = 256
    yy, xx = np.mgrid[0:n, 0:n]
    photo = np.full((n, n, 3), 200, np.uint8)
    inside = (xx - 128) ** 2 + (yy - 128) ** 2 < 48 ** 2
    texture = cv2.GaussianBlur(np.random.default_rng(0).uniform(40, 130, (n, n)).astype(np.float32), (0, 0), 1.5)
    photo[inside] = np.rint(texture[inside])[:, None].astype(np.uint8)             # the photo's own texture
    proj = _blob(64, 32, 32, 12, ink=85.0)
    edit = _blob(64, 32, 30, 12, ink=85.0)                                        # lifted by 2 frame px
    out = apply_moved(photo, proj, edit, taper=0)
    core = (xx - 128) ** 2 + (yy - 128) ** 2 < 30 ** 2
    assert (out[core] != photo[core]).any(axis=1).mean() > 0.8


def test_motion_follows_a_rotated_alignment():
    """Through a tilted face's warp the photo moves the way the generator's feature moves in the
    frame (the warp's rotation and scale carried correctly both ways)."""
    c, s_ = np.cos(np.deg2rad(30)), np.sin(np.deg2rad(30))
    k = 1 / 160                                                   # 160 crop px across the frame
    warp = np.array([[k * c, -k * s_, 0.5 - k * (c * 100 - s_ * 100)],
                     [k * s_, k * c, 0.5 - k * (s_ * 100 + c * 100)]])
    proj = _blob(64, 32, 36, 4)
    edit = _blob(64, 32, 33, 4)
    photo = np.clip(align.from_frame(proj, warp, (200, 200)) + 200 * (1 - align.frame_coverage(warp, (200, 200)))[
        ..., None], 0, 255).astype(np.uint8)
    out = apply_moved(photo, proj, edit, warp=warp, taper=0)
    back = align.to_frame(out, warp, 64)
    (cx, cy), = _dark_centres(back, 150)
    assert abs(cx - 32) < 0.7 and abs(cy - 33) < 0.7, (cx, cy)


def test_a_colour_change_made_with_the_motion_travels_with_the_feature():
    """After a scribble the sliders start from the scribbled latent: the scribble's colour is added
    on top of the motion and must move with the feature it was painted on."""
    n = 256
    photo = np.clip(_blob(n, 128, 128, 16) * [1.0, 0.9, 0.8], 0, 255).astype(np.uint8)     # a colour photo
    proj = _blob(64, 32, 32, 4)
    edit = _blob(64, 32, 30, 4)
    added = np.zeros_like(proj)
    added[28:37, 28:37, 0] = 120                                   # red paint on the feature
    out = apply_moved(photo, proj, edit, added=added, taper=0).astype(int)
    red = (out[..., 0] - out[..., 1]) > 60
    ys, xs = np.nonzero(red)
    assert red.sum() > 50
    assert ys.mean() < 128 - 4                                    # it went up with the feature


def _tiny_photo(tiny_models, monkeypatch):
    """The tiny generator's face taken as a 96-px photo (fit 24 dB), without the part map (the routing is tested
    here; the part map's share in test_carry): (models, lm, directions, z, render, photo, state, pixels(state,
    values, custom=None) → the attribute job's pixels)."""
    import latentbrush.ml.latent.sliders as sliders
    from latentbrush.core.bbox import BBox
    from latentbrush.core.jobs import Job
    from latentbrush.core.jobs import drain as run
    from latentbrush.core.latent_state import LatentState
    from latentbrush.ml.latent.runners import latent_models, render
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(tiny_models), "cpu")
    monkeypatch.setattr(sliders, "part_segmenter", lambda *a: None)
    lm = latent_models(models)
    dirs = sliders.directions_for(models, lm.generator_id)
    z = np.random.default_rng(1).standard_normal(16).astype(np.float32)
    base = render(lm.G, z, lm.device)
    photo = np.clip(cv2.resize(base, (96, 96)) + 7, 0, 255).astype(np.uint8)
    st = LatentState(region=BBox(0, 0, 96, 96), generator=lm.generator_id, z_base=z, base_render=base,
                     reference=photo, z=z, fit_psnr=24.0)

    def pixels(state, values, custom=None):
        return run(sliders.run_attribute(Job("attribute", params={"state": state, "values": values, "custom": custom},
                                             inputs={"image": photo}), models))[0].pixels
    return models, lm, dirs, z, base, photo, st, pixels


def test_sliders_on_a_photo_move_pixels_and_shading_sliders_add(tiny_models, monkeypatch):
    """Routing: a shape slider on a photo → motion from the shipped generator; a shading slider
    alone, or any slider on the generator's own face → the additive path."""
    from latentbrush.core.latent_state import LatentState
    from latentbrush.ml.latent.runners import apply_latent, render

    models, lm, dirs, z, base, photo, st, pixels = _tiny_photo(tiny_models, monkeypatch)

    from latentbrush.ml.latent.flowedit import lower_face

    smile = render(lm.G, z + 2 * dirs["smile"], lm.device)
    moved = apply_moved(photo, base, smile, locus=lower_face(smile.shape[0]))     # (a smile: the lower face)
    assert np.array_equal(pixels(st, {"smile": 2.0}), moved)
    shade = render(lm.G, z + 2 * dirs["lighting"], lm.device)
    assert np.array_equal(pixels(st, {"lighting": 2.0, "smile": 0.0}), apply_latent(st, shade))
    generated = LatentState(region=st.region, generator=st.generator, z_base=z, base_render=base,
                            reference=photo, z=z, fit_psnr=None)
    assert np.array_equal(pixels(generated, {"smile": 2.0}),
                          apply_latent(generated, render(lm.G, z + 2 * dirs["smile"], lm.device)))
    both = pixels(st, {"smile": 2.0, "lighting": 2.0})
    assert not np.array_equal(both, moved)                       # the shading change is added on top


def test_a_smiles_motion_is_kept_to_the_lower_face():
    """The generator's smile also lifted its fringe: carried onto a photo as motion it moved a helper's
    astronaut's hairline and resampled her forehead. With the lower-face locus the upper half keeps its bytes
    and the lower feature still moves."""
    from latentbrush.ml.latent.flowedit import lower_face

    n = 256
    photo = np.clip(_blob(n, 128, 200, 16) + _blob(n, 128, 60, 16) - 200, 0, 255).astype(np.uint8)
    proj = np.clip(_blob(64, 32, 50, 4) + _blob(64, 32, 15, 4) - 200, 0, 255)      # a "mouth" and a "fringe"
    edit = np.clip(_blob(64, 32, 47, 4) + _blob(64, 32, 12, 4) - 200, 0, 255)      # both lifted 3 frame px
    both = apply_moved(photo, proj, edit, taper=0)
    kept = apply_moved(photo, proj, edit, taper=0, locus=lower_face(64))
    assert not np.array_equal(both[:110], photo[:110])              # without it the fringe moves too
    assert np.array_equal(kept[:110], photo[:110])                  # with it the upper face is untouched
    (_, cy_both), = [c for c in _dark_centres(both) if c[1] > 128]
    (_, cy_kept), = [c for c in _dark_centres(kept) if c[1] > 128]
    assert 200 - cy_kept > 6 and abs(cy_kept - cy_both) < 1.5     # the mouth moves as before
    lf = lower_face(64)
    assert lf[:30].max() == 0 and lf[44:58, 28:36].min() == 1           # 0 above the eyes' line, 1 from the nose
    assert lf[:, :8].max() == 0 and lf[:, -8:].max() == 0            # … and none beside the face (a collar)


def test_a_change_of_shape_and_shade_at_once_shows_the_feature_once_with_the_shading():
    """Explore directions move features and change the light together (`shading=1`, a longer `max_motion`): the
    feature moves and is not painted twice, and the change of light comes through."""
    n = 256
    photo = np.clip(_blob(n, 128, 150, 16), 0, 255).astype(np.uint8)
    proj = _blob(64, 36, 37.5, 4)                 # the generator's feature 4 frame px right of the photo's …
    edit = _blob(64, 36, 32.5, 4)                 # … lifted by 5 frame px (past the smile's 3-px cap) …
    edit[:, 32:] += 30                            # … and the right half lit
    added = applyback.apply_back(photo, proj, edit, taper=0)
    ghost = _dark_centres(added)
    assert len(ghost) >= 2 or abs(ghost[0][0] - 128) > 4                  # (the additive path: a second one)
    out = apply_moved(photo, proj, edit, taper=0, shading=1.0, max_motion=6.0)
    (cx, cy), = _dark_centres(out)                                        # the feature once …
    assert abs(cx - 128) < 3 and 150 - cy > 14                            # … where the photo has it, lifted
    lit = out[20:100, 160:240].astype(int) - photo[20:100, 160:240]
    assert 20 < lit.mean() < 40                                           # the light came through
    capped = apply_moved(photo, proj, edit, taper=0, shading=1.0)         # (the smile's cap: 3 frame px)
    assert 150 - _dark_centres(capped)[0][1] < 150 - cy - 3


def test_explore_and_own_directions_on_a_photo_are_carried_as_motion_with_their_shading(tiny_models, monkeypatch):
    """Routing: an explore or custom direction on a photo → the tuned generator's own edit as motion, with
    what the motion does not explain added (the additive path showed a second jaw and a second pair of
    glasses); on the generator's own face, the additive path."""
    from latentbrush.core.latent_state import LatentState
    from latentbrush.ml.latent.runners import apply_latent, render
    from latentbrush.ml.latent.sliders import FREE_MOTION, FREE_WINDOW, person_weight

    models, lm, dirs, z, base, photo, st, pixels = _tiny_photo(tiny_models, monkeypatch)
    own = np.random.default_rng(2).standard_normal(16).astype(np.float32)
    own /= np.linalg.norm(own)

    def moved(d, tame=True):
        return apply_moved(photo, base, render(lm.G, z + 2 * d, lm.device), shading=1.0, window=FREE_WINDOW,
                           max_motion=FREE_MOTION, tame=tame, limit=person_weight(models, lm, st))

    assert np.array_equal(pixels(st, {"explore_1": 2.0}), moved(dirs["explore_1"]))
    # your own direction is not tamed: it may be a beard's or glasses' dark, which is what it is for
    assert np.array_equal(pixels(st, {"mine": 2.0}, {"mine": own}), moved(own, tame=False))
    # … but an explore direction kept under a name is the explore direction: tamed as it is
    assert np.array_equal(pixels(st, {"kept": 2.0}, {"kept": dirs["explore_1"]}), moved(dirs["explore_1"]))
    explore = render(lm.G, z + 2 * dirs["explore_1"], lm.device)
    assert not np.array_equal(moved(dirs["explore_1"]), apply_latent(st, explore))
    generated = LatentState(region=st.region, generator=st.generator, z_base=z, base_render=base,
                            reference=photo, z=z, fit_psnr=None)
    assert np.array_equal(pixels(generated, {"explore_1": 2.0}), apply_latent(generated, explore))
    shade = render(lm.G, z + 2 * dirs["lighting"], lm.device)
    both = pixels(st, {"explore_1": 2.0, "lighting": 2.0})       # a shading slider with it: added on top
    assert np.array_equal(both, applyback.apply_back(moved(dirs["explore_1"]), base, shade, warp=st.warp))


def test_what_motion_does_not_explain_is_tamed_but_a_change_of_light_passes():
    """Explore sliders on a photo: the residual is mostly the generator drawing another face (a pink forehead,
    teal hair). Its colour and its local lightness are capped; a broad change of light keeps its strength."""
    from latentbrush.ml.latent.flowedit import TAME_CHROMA, TAME_LOCAL, tamed

    light = np.full((64, 64, 3), 40.0, np.float32)                  # the whole face 40 levels lighter
    assert np.allclose(tamed(light), light, atol=0.5)
    blotch = np.zeros((64, 64, 3), np.float32)
    blotch[10:16, 20:30] = [90.0, -30.0, 80.0]                      # a small pink-purple patch
    out = tamed(blotch)
    off_grey = out - out.mean(axis=2, keepdims=True)
    assert np.sqrt((off_grey ** 2).sum(axis=2)).max() <= TAME_CHROMA + 1e-3
    # its lightness: the broad share (small for a small patch) and at most TAME_LOCAL more
    assert np.abs(out.mean(axis=2)).max() < 0.75 * blotch.mean(axis=2).max()
    broad = out.mean(axis=2)[12, 25] - TAME_LOCAL
    assert 0 < broad < 0.3 * blotch.mean(axis=2).max()
    assert out[12, 25].mean() > 10                                   # still lighter there, not thrown away
