"""Attribute sliders: custom sliders from examples, direction maths, the attribute job and CLI."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latentbrush.cli.main import run_cli
from latentbrush.core.sliders import CustomSliders, SliderError, direction_from_examples
from latentbrush.ml.train.directions import auc, classes, orthogonalize


def test_custom_slider_separates_its_own_examples(rng):
    base = rng.normal(size=(2, 100)).astype(np.float32)
    attr = rng.normal(size=100).astype(np.float32)
    with_z = [base[0] + attr + 0.1 * rng.normal(size=100), base[1] + attr]
    without_z = [base[0] - attr, base[1] - attr + 0.1 * rng.normal(size=100)]
    d = direction_from_examples(with_z, without_z)
    assert np.linalg.norm(d) == pytest.approx(1.0, abs=1e-5)
    assert min(z @ d for z in with_z) > max(z @ d for z in without_z)
    with pytest.raises(SliderError, match="at least one"):
        direction_from_examples(with_z, [])
    with pytest.raises(SliderError, match="same image"):
        direction_from_examples([base[0]], [base[0]])


def test_custom_sliders_persist_and_survive_a_damaged_file(tmp_path, rng):
    p = tmp_path / "sliders.json"
    s = CustomSliders(p)
    d = rng.normal(size=16).astype(np.float32)
    s.add("beard", "tiny-gen", d)
    again = CustomSliders(p)
    assert np.allclose(again.for_generator("tiny-gen")["beard"], d, atol=1e-5)
    assert again.for_generator("other") == {}
    with pytest.raises(SliderError, match="name"):
        s.add("", "tiny-gen", d)
    p.write_text("{not json")
    assert CustomSliders(p).items == {}


def test_decorrelated_direction_is_orthogonal_to_the_projected_out_ones(rng):
    pose, light = rng.normal(size=100), rng.normal(size=100)
    smile = rng.normal(size=100) + 0.8 * pose - 0.5 * light
    d = orthogonalize(smile.astype(np.float32), [pose.astype(np.float32), light.astype(np.float32)])
    assert abs(d @ pose) < 1e-5 and abs(d @ light) < 1e-5 and np.linalg.norm(d) == pytest.approx(1.0, abs=1e-5)


def test_auc_and_classes():
    assert auc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert auc(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == 0.0
    hi, lo = classes(np.arange(100.0))
    assert hi.sum() == 30 and lo.sum() == 30 and not (hi & lo).any()


def test_attribute_cli_lists_and_applies(tiny_models, tmp_path, rng, capsys):
    assert run_cli(["--models", str(tiny_models), "attribute", "--list"]) == 0
    out = capsys.readouterr().out
    assert "smile" in out and "explore_1" in out
    src = tmp_path / "p.png"
    photo = rng.integers(30, 220, (100, 140, 3), dtype=np.uint8)
    Image.fromarray(photo).save(src)
    dst = tmp_path / "o.png"
    assert run_cli(["--models", str(tiny_models), "attribute", str(src), "--set", "smile=3", "-o", str(dst),
                    "--region", "20,10,80,80", "--seconds", "0.3"]) == 0
    res = np.asarray(Image.open(dst))
    outside = np.ones(photo.shape[:2], bool)
    outside[10:90, 20:100] = False
    assert np.array_equal(res[outside], photo[outside]) and not np.array_equal(res, photo)
    with pytest.raises(SystemExit, match="unknown slider"):
        run_cli(["--models", str(tiny_models), "attribute", str(src), "--set", "beard=1", "-o", str(dst)])
    with pytest.raises(SystemExit, match="within"):
        run_cli(["--models", str(tiny_models), "attribute", str(src), "--set", "smile=9", "-o", str(dst)])
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        run_cli(["--models", str(tiny_models), "attribute", str(src), "--set", "smile", "-o", str(dst)])
    with pytest.raises(SystemExit, match="more than once"):     # it had kept the last one without a word
        run_cli(["--models", str(tiny_models), "attribute", str(src), "--set", "smile=1", "--set", "smile=-2",
                 "-o", str(dst)])


def test_a_slider_made_for_another_generator_is_refused_in_words():
    """A sliders file entry of 3 numbers for a 100-number generator failed with "operands could not be broadcast"
    (a helper)."""
    from latentbrush.ml.latent.sliders import moved_latent

    z = np.zeros(16, np.float32)
    with pytest.raises(ValueError, match="not made for this generator.*3 numbers.*16"):
        moved_latent(z, {"Short": 1.0}, {"Short": np.ones(3, np.float32)})
    assert np.allclose(moved_latent(z, {"ok": 2.0}, {"ok": np.ones(16, np.float32)}), 2.0)
