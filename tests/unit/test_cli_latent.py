"""`latentbrush project` and `latentbrush scribble` on files and folders, and their errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latentbrush.cli.main import run_cli


@pytest.fixture
def photos(tmp_path, rng):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("a", "b"):
        Image.fromarray(rng.integers(30, 220, (120, 160, 3), dtype=np.uint8)).save(d / f"{name}.png")
    return d


def strokes_png(path, size=(160, 120), alpha=True):
    s = np.zeros((size[1], size[0], 4), np.uint8)
    s[50:60, 50:100] = (220, 30, 30, 255)
    Image.fromarray(s if alpha else s[..., :3], "RGBA" if alpha else "RGB").save(path)
    return path


def test_project_writes_full_resolution_reconstruction_and_latent(tiny_models, photos, tmp_path):
    src = photos / "a.png"
    before = src.read_bytes()
    out, lat = tmp_path / "rec.png", tmp_path / "z.npy"
    rc = run_cli(["--models", str(tiny_models), "project", str(src), "-o", str(out), "--latent", str(lat),
                  "--region", "20,10,100,100", "--steps", "5", "--seconds", "1"])
    assert rc == 0
    rec, orig = np.asarray(Image.open(out)), np.asarray(Image.open(src))
    assert rec.shape == orig.shape
    outside = np.ones(orig.shape[:2], bool)
    outside[10:110, 20:120] = False
    assert np.array_equal(rec[outside], orig[outside])
    assert not np.array_equal(rec[~outside], orig[~outside])
    assert np.load(lat).shape == (16,)
    assert src.read_bytes() == before


def test_project_folder_batch(tiny_models, photos, tmp_path, capsys):
    out = tmp_path / "out"
    rc = run_cli(["--models", str(tiny_models), "project", str(photos), "-o", str(out), "--latent", str(tmp_path / "z"),
                  "--region", "whole", "--steps", "3"])
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]
    assert sorted(p.name for p in (tmp_path / "z").iterdir()) == ["a.npy", "b.npy"]
    assert "project [" in capsys.readouterr().err         # the progress bar


@pytest.mark.parametrize("flag", ["--region-only", None, "--whole-face"])
def test_scribble_edits_near_the_strokes_only_unless_told_the_whole_face(tiny_models, photos, tmp_path, flag):
    """Near the strokes by default, as the editor's "Only change the painted region" (a helper's green strokes
    on the hair tinted the whole face through the command line)."""
    src = photos / "a.png"
    out = tmp_path / "edited.png"
    rc = run_cli(["--models", str(tiny_models), "scribble", str(src), "--strokes", str(strokes_png(tmp_path / "s.png")),
                  "-o", str(out), "--region", "whole", "--iters", "5", "--candidates", "2", "--reproducible",
                  *([flag] if flag else [])])
    assert rc == 0
    edited, orig = np.asarray(Image.open(out)), np.asarray(Image.open(src))
    changed = np.any(edited != orig, axis=2)
    assert changed[50:60, 50:100].any()
    far = changed[:25].any() or changed[:, 130:].any()
    assert far if flag == "--whole-face" else not far          # far from the strokes: untouched unless asked


def test_scribble_bad_strokes_give_clear_errors_and_write_nothing(tiny_models, photos, tmp_path, capsys):
    src = photos / "a.png"
    before = src.read_bytes()
    out = tmp_path / "edited.png"
    rc = run_cli(["--models", str(tiny_models), "scribble", str(src), "--strokes",
                  str(strokes_png(tmp_path / "rgb.png", alpha=False)), "-o", str(out), "--region", "whole"])
    assert rc == 1 and "no alpha channel" in capsys.readouterr().err and not out.exists()
    rc = run_cli(["--models", str(tiny_models), "scribble", str(src), "--strokes",
                  str(strokes_png(tmp_path / "small.png", size=(80, 60))), "-o", str(out), "--region", "whole"])
    assert rc == 1 and "same size" in capsys.readouterr().err and not out.exists()
    empty = tmp_path / "empty.png"
    Image.fromarray(np.zeros((120, 160, 4), np.uint8), "RGBA").save(empty)
    rc = run_cli(["--models", str(tiny_models), "scribble", str(src), "--strokes", str(empty), "-o", str(out),
                  "--region", "whole"])
    assert rc == 1 and "no strokes" in capsys.readouterr().err and not out.exists()
    assert src.read_bytes() == before


def test_bad_region_argument(tiny_models, photos, tmp_path):
    with pytest.raises(SystemExit, match="--region"):
        run_cli(["--models", str(tiny_models), "project", str(photos / "a.png"), "-o", str(tmp_path / "o.png"),
                 "--region", "10,10"])
