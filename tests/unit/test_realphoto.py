"""The real-photo path: alignment (similarity transform, warps both ways), apply-back through a
warp, per-photo generator tuning (fit, locality, delta), and the project job that ties them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import Cancelled, Job
from latentbrush.core.jobs import drain as run
from latentbrush.core.latent_state import LatentState, Tuning
from latentbrush.ml.latent import align, applyback
from latentbrush.ml.latent.tune import apply_delta, locality_latents, tune
from tests.helpers import calibrated_generator

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def G():
    return calibrated_generator()


def _rot(deg: float, scale: float, tx: float, ty: float) -> np.ndarray:
    a = np.deg2rad(deg)
    return np.array([[scale * np.cos(a), -scale * np.sin(a), tx], [scale * np.sin(a), scale * np.cos(a), ty]])


def test_similarity_recovers_a_known_transform(rng):
    A = _rot(17.0, 0.004, 0.1, -0.2)
    src = rng.uniform(0, 300, (5, 2))
    dst = src @ A[:, :2].T + A[:, 2]
    assert np.allclose(align.similarity(src, dst), A, atol=1e-9)
    with pytest.raises(ValueError):
        align.similarity(np.zeros((5, 2)), dst)


def _smooth_photo(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([128 + 100 * np.sin(x / 23.0), 128 + 100 * np.cos(y / 31.0), 128 + 60 * np.sin((x + y) / 40.0)], 2)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_aligned_region_and_warps_round_trip():
    photo = _smooth_photo(400, 500)
    canonical = np.array([[0.35, 0.47], [0.66, 0.46], [0.5, 0.66], [0.37, 0.82], [0.64, 0.81]])
    T = _rot(-20.0, 180.0, 240.0, 150.0)                    # frame fraction → image px (a tilted face)
    marks = canonical @ T[:, :2].T + T[:, 2]
    region, warp = align.aligned_region(marks, canonical, 500, 400)
    assert region.width > 180 and region.height > 180     # the rotated square's bounding box
    # the landmarks land on the canonical positions in the frame
    crop_marks = marks - [region.x0, region.y0]
    assert np.allclose(crop_marks @ warp[:, :2].T + warp[:, 2], canonical, atol=1e-6)
    crop = photo[region.y0:region.y1, region.x0:region.x1]
    small = align.to_frame(crop, warp, 64)
    assert small.shape == (64, 64, 3) and small.dtype == np.float32
    back = align.from_frame(small, warp, crop.shape[:2])
    cover = align.frame_coverage(warp, crop.shape[:2])
    inside = cover > 0.999
    assert inside.mean() > 0.4 and (cover[~inside] < 1).all()
    assert np.abs(back[inside] - crop[inside]).mean() < 6       # smooth image: the 64-px trip keeps it
    assert cover[0, 0] == 0 and cover[-1, -1] == 0               # the rotated frame leaves the corners


def test_apply_back_through_a_warp_changes_only_the_frame():
    photo = _smooth_photo(300, 300)
    warp = align.compose_shift(align.similarity(
        np.array([[100.0, 120], [180, 118], [140, 170]]), np.array([[0.35, 0.47], [0.66, 0.46], [0.5, 0.66]])), 0, 0)
    proj = np.full((64, 64, 3), 120, np.float32)
    edit = proj.copy()
    edit[40:50, 20:44] += 60                                      # the "mouth" changes
    out = applyback.apply_back(photo, proj, edit, warp=warp)
    changed = (out != photo).any(2)
    cover = align.frame_coverage(warp, (300, 300))
    assert changed.any() and not changed[cover == 0].any()      # nothing outside the frame square
    mouth = np.array([[20, 40], [44, 50]], np.float64) / 64      # where the edit is, in frame fractions
    inv = align.invert(warp)
    (x0, y0), (x1, y1) = mouth @ inv[:, :2].T + inv[:, 2]
    ys, xs = np.nonzero(changed)
    assert min(x0, x1) - 15 < xs.mean() < max(x0, x1) + 15 and min(y0, y1) - 15 < ys.mean() < max(y0, y1) + 15
    # no edit: the photo's bytes, exactly
    assert np.array_equal(applyback.apply_back(photo, proj, proj.copy(), warp=warp), photo)


def test_tuning_fits_the_target_and_leaves_the_generator_alone(G):
    torch.manual_seed(5)
    z = torch.randn(16)
    with torch.no_grad():
        target = (G(torch.randn(1, 16)) * 0.7 + 0.1 * torch.randn(1, 3, 64, 64)).clamp(-1, 1)
    before = {k: v.clone() for k, v in G.state_dict().items()}
    res, steps = run(tune(G, z, target, steps=40, lr=3e-3, time_budget=None, local_batch=2))
    assert res.psnr > res.psnr_before + 5, (res.psnr_before, res.psnr)
    assert steps and res.steps == 40 and not res.nonfinite
    assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())
    Gt = apply_delta(G, res.delta)
    with torch.no_grad():
        fit = -10 * torch.log10(((Gt(z[None]) - target) / 2).pow(2).mean())
    assert float(fit) == pytest.approx(res.psnr, abs=0.3)        # the float16 delta keeps the fit


def test_locality_term_keeps_other_faces(G):
    torch.manual_seed(6)
    z = torch.randn(16)
    with torch.no_grad():
        target = (G(torch.randn(1, 16)).flip(-1) * 0.8).clamp(-1, 1)     # a face G does not make at z
    far = locality_latents(z[None], 16, 0.5, torch.Generator().manual_seed(99))
    change, fit = {}, {}
    for w in (0.0, 1.0, 10.0):
        res, _ = run(tune(G, z, target, steps=40, lr=3e-3, time_budget=None, w_local=w, seed=1))
        Gt = apply_delta(G, res.delta)
        with torch.no_grad():
            change[w] = float((Gt(far) - G(far)).abs().mean())
        fit[w] = res.psnr - res.psnr_before
    # measured: 0.29 / 0.23 / 0.135 mean change on the far latents, the fit still gains ≥ 6 dB
    assert change[1.0] < 0.9 * change[0.0] and change[10.0] < 0.6 * change[0.0], change
    assert min(fit.values()) > 4, fit


def test_tuning_cancels(G):
    job = Job("project")
    job.cancel()
    with pytest.raises(Cancelled):
        run(tune(G, torch.zeros(16), torch.zeros(1, 3, 64, 64), steps=10, time_budget=None, check=job.check))


def test_tuning_state_is_immutable_and_keyed():
    t = Tuning({"a": np.ones((2, 2), np.float32), "b": np.zeros(3)}, 17.0, 35.0)
    assert t.delta["a"].dtype == np.float16 and not t.delta["a"].flags.writeable
    assert t.key == Tuning({"b": np.zeros(3), "a": np.ones((2, 2))}).key
    assert t.key != Tuning({"a": np.ones((2, 2)) * 2, "b": np.zeros(3)}).key
    with pytest.raises(TypeError):
        t.delta["c"] = np.ones(1)                                  # type: ignore[index]
    st = LatentState(region=BBox(0, 0, 8, 8), generator="g", z_base=np.zeros(4), base_render=np.zeros((4, 4, 3)),
                     reference=np.zeros((8, 8, 3), np.uint8), z=np.zeros(4), tuning=t,
                     warp=np.array([[0.1, 0, 0], [0, 0.1, 0]]))
    assert st.committed(np.zeros((8, 8, 3), np.uint8)).tuning is t and st.reverted().tuning is t
    with pytest.raises(ValueError):
        LatentState(region=BBox(0, 0, 8, 8), generator="g", z_base=np.zeros(4), base_render=np.zeros((4, 4, 3)),
                    reference=np.zeros((8, 8, 3), np.uint8), z=np.zeros(4), warp=np.full((2, 3), np.nan))


def test_project_job_tunes_and_edits_use_the_tuned_generator(tiny_models, G):
    from latentbrush.ml.latent.runners import run_project
    from latentbrush.ml.latent.sliders import run_attribute
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(tiny_models), "cpu")
    import cv2
    with torch.no_grad():       # a face in the generator's style that no latent makes exactly
        face = ((G(torch.randn(1, 16, generator=torch.Generator().manual_seed(4))).flip(-1)[0] + 1) * 127.5)
    img = _smooth_photo(96, 96)
    img[16:80, 16:80] = cv2.resize(face.permute(1, 2, 0).numpy().astype(np.uint8), (64, 64))
    params = {"region": (16, 16, 80, 80), "steps": 20, "time_budget": None, "tune_budget": None}
    plain = run(run_project(Job("project", params={**params, "tune": False}, inputs={"image": img}), models))[0]
    tuned, steps = run(run_project(Job("project", params={**params, "tune": True}, inputs={"image": img}), models))
    # the fit streams its progress but not onto the canvas (a stranger's face in a tilted square, a helper found)
    assert len(steps) > 3 and all(p.preview is None for p in steps)
    s0, s1 = plain.info["latent_state"], tuned.info["latent_state"]
    assert s0.tuning is None and s1.tuning is not None
    assert s1.fit_psnr > s0.fit_psnr + 1.5, (s0.fit_psnr, s1.fit_psnr)
    assert "fitted" in tuned.message
    res = run(run_attribute(Job("attribute", params={"state": s1, "values": {"smile": 2.0}},
                                inputs={"image": img}), models))[0]
    new = res.info["latent_state"]
    assert new.tuning is s1.tuning                      # edits keep the tuned generator
    # the edit's render comes from the tuned generator: its base matches the stored base render
    from latentbrush.ml.latent.runners import latent_models, render
    lm = latent_models(models, state=s1)
    assert np.allclose(render(lm.G, s1.z_base, lm.device), s1.base_render, atol=1e-3)
    assert not np.allclose(render(latent_models(models).G, s1.z_base, lm.device), s1.base_render, atol=1.0)


@pytest.mark.needs_weights
def test_real_photo_found_aligned_and_fitted():
    from latentbrush.core.imageio import load_image
    from latentbrush.ml.faces.canonical import CANONICAL_LANDMARKS
    from latentbrush.ml.latent.photo import find_faces
    from latentbrush.ml.latent.runners import run_project
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(REPO / "models"), "cpu")
    img = load_image(REPO / "resources" / "samples" / "astronaut.jpg").pixels
    faces = find_faces(img, models)
    assert len(faces) == 1 and faces[0].detector == "mtcnn" and faces[0].warp is not None
    f = faces[0]
    marks = (f.landmarks - [f.region.x0, f.region.y0]) @ f.warp[:, :2].T + f.warp[:, 2]
    assert np.abs(marks - CANONICAL_LANDMARKS).max() < 0.05        # aligned to the generator's framing
    job = Job("project", params={"region": "auto", "tune_budget": None, "time_budget": None}, inputs={"image": img})
    st = run(run_project(job, models))[0].info["latent_state"]
    assert st.tuning is not None
    assert st.tuning.psnr_before < 22 and st.fit_psnr > 30, (st.tuning.psnr_before, st.fit_psnr)


def test_edits_of_a_black_and_white_photo_stay_black_and_white():
    grey = np.repeat(_smooth_photo(120, 120)[..., :1], 3, axis=2)
    proj = np.full((64, 64, 3), 120, np.float32)
    edit = proj.copy()
    edit[20:40, 20:40] += [60, 0, -30]                      # the generator's change is coloured
    for warp in (None, align.box_warp(120, 120)):
        out = applyback.apply_back(grey, proj, edit, warp=warp).astype(int)
        assert (out != grey).any()
        assert np.abs(out[..., 0] - out[..., 1]).max() <= 1 and np.abs(out[..., 1] - out[..., 2]).max() <= 1
    colour = _smooth_photo(120, 120)
    out = applyback.apply_back(colour, proj, edit).astype(int) - colour
    assert np.abs(out[..., 0] - out[..., 2]).max() > 20      # colour photos take the colour change


def test_tuning_takes_its_minimum_steps_even_past_the_budget(G):
    res, _ = run(tune(G, torch.zeros(16), torch.zeros(1, 3, 64, 64), steps=30, time_budget=1e-6, min_steps=12))
    assert res.steps == 12
    res, _ = run(tune(G, torch.zeros(16), torch.zeros(1, 3, 64, 64), steps=30, time_budget=None, min_steps=12))
    assert res.steps == 30


def test_a_face_found_already_is_not_searched_again(tiny_models, monkeypatch):
    from latentbrush.ml.latent import photo
    from latentbrush.ml.latent.runners import run_project
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    models = ModelManager(Manifest.load(tiny_models), "cpu")
    img = _smooth_photo(96, 96)
    warp = align.box_warp(64, 64)
    found = photo.FoundFace(BBox(20, 20, 60, 60), BBox(16, 16, 80, 80), warp, None, 1.0, "mtcnn")
    calls = []
    monkeypatch.setattr(photo, "find_faces", lambda *a, **k: calls.append(1) or [])
    job = Job("project", params={"region": "auto", "found": found, "steps": 3, "time_budget": None, "tune": False},
              inputs={"image": img})
    st = run(run_project(job, models))[0].info["latent_state"]
    assert not calls and st.region == BBox(16, 16, 80, 80) and np.allclose(st.warp, warp)


def test_the_face_being_edited_is_found_again_by_its_region(monkeypatch):
    from latentbrush.ml.latent import photo

    faces = [photo.FoundFace(BBox(0, 0, 10, 10), BBox(x, x, x + 40, x + 40), None, None, 1.0, "haar")
             for x in (0, 100, 200)]
    assert photo.closest(faces, BBox(102, 98, 140, 141)) == 1
    assert photo.closest(faces, BBox(300, 300, 340, 340)) == -1          # a region drawn elsewhere
    monkeypatch.setattr(photo, "find_faces", lambda image, models: faces)
    res = run(photo.run_find_faces(Job("find_faces", params={"region": (200, 200, 240, 240)},
                                       inputs={"image": np.zeros((8, 8, 3), np.uint8)}), None))[0]
    assert res.info["face"] == 2 and len(res.info["faces"]) == 3
