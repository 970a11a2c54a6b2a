"""Hair painted over a photo's skin, stretched from the photo's own hair (app/ml/parts/growhair.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from latentbrush.ml.parts.growhair import HAIR_FRINGE, grow_hair, plan


def head(seed: int = 0, side: int = 240) -> tuple[np.ndarray, np.ndarray]:
    """A face-centred crop: dark, strand-textured hair above a curved hairline, light skin below; and the
    hair's true extent (bool)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side]
    hairline = 70 + 0.004 * (xx - side / 2) ** 2              # lower at the temples
    hair = yy < hairline
    img = np.empty((side, side, 3), np.float32)
    img[:] = (205, 160, 135)                                  # skin
    strands = cv2.GaussianBlur(rng.normal(0, 1, (side, side)).astype(np.float32), (0, 0), 1.0)
    strands = cv2.GaussianBlur(strands, (1, 9), 0) * 60       # streaks along y
    img[hair] = np.array([60, 45, 35], np.float32) + strands[hair][:, None]
    return np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8), hair


def test_hair_painted_below_the_hairline_is_stretched_from_the_hair_beside_it():
    img, hair = head()
    yy = np.mgrid[0:240, 0:240][0]
    band = (yy >= 66) & (yy < 66 + 22) & ~hair
    band[:, :60] = band[:, 180:] = False
    band |= np.roll(band, -4, axis=0) & hair                  # the brush started just inside the hair
    seen = plan(img, band)
    assert seen is not None
    sources, skin = seen
    assert (skin == (band & ~hair)).mean() > 0.99             # the painted skin is what asks for hair …
    assert (sources & ~hair).sum() < 0.02 * sources.sum()     # … and the hair read beside it is the hair
    out, weight, took = grow_hair(img, band, sources)
    assert took > 0.9
    grown = band & ~hair
    hair_mean, skin_mean = img[hair].mean(0), img[~hair & ~band].mean(0)
    got = out[grown].astype(float).mean(0)
    assert np.linalg.norm(got - hair_mean) < 0.25 * np.linalg.norm(skin_mean - hair_mean), (got, hair_mean)
    assert out[grown].std(0).mean() > 0.5 * img[hair].std(0).mean()          # strands, not a flat band
    # no skin inwards of the paint changes (the edge feathered over 1–3 px; the temples' hair beside the
    # band's ends is stretched with it), nor anything beyond the hair the stretch reaches
    inner = (yy > 66 + 22 + 4) & (cv2.distanceTransform((~hair).astype(np.uint8), cv2.DIST_L2, 5) > HAIR_FRINGE + 3)
    assert not np.abs(out[inner].astype(int) - img[inner]).any()
    # (the band's inner edge shows the stretched hairline's strands, the skin between them)
    assert (weight[band] > 0).all() and weight[band].mean() > 0.85 and not weight[inner].any()
    far = cv2.dilate(band.astype(np.uint8), np.ones((160, 160), np.uint8)) == 0
    assert not np.abs(out[far].astype(int) - img[far]).any()


@pytest.mark.parametrize("where", ["mid-skin", "no hair", "below a gap"])
def test_no_hair_is_grown_where_the_paint_has_no_hair_beside_it(where):
    img, hair = head(seed=1)
    if where == "no hair":
        img[hair] = img[~hair][0]                              # a bald head: skin everywhere
    band = np.zeros((240, 240), bool)
    band[150:170, 80:160] = True                               # the middle of the face: skin on both sides
    if where == "below a gap":                                 # 16 px of skin between the hairline and the paint
        band[:] = False
        band[86:106, 90:150] = True
    assert plan(img, band) is None


@pytest.mark.needs_weights
def test_the_editors_job_grows_a_photos_hair_from_its_own_and_keeps_the_latent(real_models):
    """The parts edit on a photo (a state fitted to it; the photo here is the synthetic head, its part map
    the generator's): hair painted from the hairline down is grown from the photo's hair, one pixel edit
    with no vector to save, only the paint and the hair beside it changed, the latent where it was; the
    state starts the next edit from the grown hair."""
    import torch

    from latentbrush.core.bbox import BBox
    from latentbrush.core.jobs import Job, drain
    from latentbrush.core.latent_state import LatentState
    from latentbrush.ml.latent.runners import render
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.parts.edit import label_map
    from latentbrush.ml.parts.runners import full_label_map, parts_models, run_parts_edit
    from latentbrush.ml.registry import ModelManager

    mm = ModelManager(Manifest.load(real_models), device="cpu")
    pm = parts_models(mm)
    names = list(pm.seg.names)
    z = np.random.default_rng(4_242_424).standard_normal((16, pm.lm.G.nz)).astype(np.float32)[6]
    base = render(pm.lm.G, z, torch.device("cpu"))
    face, hair = head(seed=2, side=256)
    state = LatentState(region=BBox(0, 0, 256, 256), generator=pm.lm.generator_id, z_base=z, base_render=base,
                        reference=face, z=z, fit_psnr=30.0)             # (a photo: fitted, not drawn by G)
    yy = np.mgrid[0:256, 0:256][0]
    band = (yy < 100) & ~hair & (np.roll(hair, 24, axis=0) | hair)     # 24 px below the hairline …
    band |= np.roll(band, -3, axis=0) & hair                            # … from 3 px inside the hair
    band[:, :70] = band[:, 186:] = False
    layer = np.where(band, names.index("hair") + 1, 0).astype(np.uint8)
    res, _ = drain(run_parts_edit(Job("parts_edit", params={"state": state}, inputs={"image": face, "parts": layer}),
                                  mm))
    assert "Hair drawn over the painted skin" in res.message and res.info["made_by"] == "parts_warp"
    assert res.info["vector"] is None and len(res.info["candidates"]) == 1
    grown = band & ~hair
    got = res.pixels[grown].astype(float).mean(0)
    assert np.linalg.norm(got - face[hair].mean(0)) < 0.25 * np.linalg.norm(face[~hair & ~band].mean(0) - face[hair].mean(0))
    diff = np.abs(res.pixels.astype(int) - face).sum(2)
    skin = cv2.distanceTransform((~hair).astype(np.uint8), cv2.DIST_L2, 5) > 12
    assert not diff[skin & (cv2.dilate(band.astype(np.uint8), np.ones((9, 9), np.uint8)) == 0)].any()  # nothing else
    assert (res.info["parts_map"][band] == names.index("hair") + 1).all()
    assert np.array_equal(res.info["latent_state"].z, z)                                 # the latent stays put
    # … and the state starts the next edit from the grown hair (a helper's next edit, closing the eyes, came
    # back with the old hairline: the unmoved latent did not count as an edit, so nothing was committed)
    after = res.info["latent_state"]
    assert np.array_equal(after.reference, res.pixels) and after.matches(res.pixels)
    now = full_label_map(label_map(pm.seg, pm.lm.G, z, torch.device("cpu")), state, (256, 256)).astype(int) - 1
    mouth = (now == names.index("mouth")).astype(np.uint8)
    wider = np.where((cv2.dilate(mouth, np.ones((1, 15), np.uint8)) > 0) & (mouth == 0), names.index("mouth") + 1, 0)
    second, _ = drain(run_parts_edit(Job("parts_edit", params={"state": after, "iters": 5},
                                         inputs={"image": res.pixels, "parts": wider.astype(np.uint8)}), mm))
    assert np.array_equal(second.pixels[band], res.pixels[band])             # the hair is still there
