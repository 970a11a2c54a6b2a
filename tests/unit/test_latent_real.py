"""Latent editing with the shipped models: the face detector on a real photo, projection
quality of the trained encoder + optimization on held-out generated faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from latentbrush.core.imageio import load_image
from latentbrush.core.jobs import drain as run_job
from latentbrush.ml.latent.faces import NoFaceFound, auto_region, detect_faces
from latentbrush.ml.latent.projection import project

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "astronaut.jpg"


def drain(gen):
    return run_job(gen)[0]


def test_face_region_on_a_real_photo():
    img = load_image(SAMPLE).pixels
    faces = detect_faces(img)
    assert faces, "the astronaut's face should be found"
    r = auto_region(img)
    assert r.width == r.height and r.x0 >= 0 and r.y0 >= 0 and r.x1 <= img.shape[1] and r.y1 <= img.shape[0]
    f = faces[0]
    assert r.x0 <= f.x0 and r.x1 >= f.x1 and r.y0 <= f.y0 + 2 and r.y1 >= f.y1    # the region frames the face
    assert 160 < (f.x0 + f.x1) / 2 < 280 and 60 < (f.y0 + f.y1) / 2 < 160          # where her face is


def test_no_face_is_a_clear_error(rng):
    with pytest.raises(NoFaceFound, match="select"):
        auto_region(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8))


@pytest.fixture(scope="module")
def shipped(real_models_dir_module):
    from latentbrush.ml.latent.runners import latent_models
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager

    lm = latent_models(ModelManager(Manifest.load(real_models_dir_module), device="cpu"))
    if lm.E is None:
        pytest.skip("no encoder for the default generator")
    return lm


@pytest.mark.needs_weights
def test_hybrid_projection_reaches_the_quality_target_on_held_out_faces(shipped):
    G, E = shipped.G, shipped.E
    z = torch.randn(3, G.nz, generator=torch.Generator().manual_seed(987_654))
    with torch.no_grad():
        targets = G(z)
    for i in range(3):
        enc = drain(project(G, targets[i:i + 1], encoder=E, mode="encoder"))
        hyb = drain(project(G, targets[i:i + 1], encoder=E, mode="hybrid", steps=150))
        assert hyb.psnr > enc.psnr + 3
        assert hyb.psnr >= 26 and hyb.ssim >= 0.90, (hyb.psnr, hyb.ssim)


@pytest.mark.needs_weights
def test_shipped_sliders_move_their_detector_score_the_right_way(real_models_dir_module):
    from latentbrush.ml.latent.attributes import SCORERS
    from latentbrush.ml.latent.runners import latent_models
    from latentbrush.ml.latent.sliders import directions_for
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ml.registry import ModelManager
    from latentbrush.ml.tensors import to_images

    mm = ModelManager(Manifest.load(real_models_dir_module), device="cpu")
    lm = latent_models(mm)
    dirs = directions_for(mm, lm.generator_id)
    z = torch.randn(40, lm.G.nz, generator=torch.Generator().manual_seed(2024))
    for name in ("smile", "lighting", "background", "warmth", "hair_dark"):
        d = torch.from_numpy(dirs[name])
        with torch.no_grad():
            up, down = to_images(lm.G(z + 2 * d)), to_images(lm.G(z - 2 * d))
        gain = SCORERS[name](up) - SCORERS[name](down)
        assert gain.mean() > 0 and (gain > 0).mean() > 0.7, (name, gain.mean(), (gain > 0).mean())
    # decorrelated: smile is orthogonal to head turn and lighting
    assert abs(dirs["smile"] @ dirs["head_turn"]) < 0.01 and abs(dirs["smile"] @ dirs["lighting"]) < 0.01
