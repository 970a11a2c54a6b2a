"""`latentbrush parts`: the part map as a palette PNG, an edited map applied, and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latentbrush.cli.main import run_cli
from latentbrush.cli.parts import read_label_png, write_palette_png
from latentbrush.ml.parts.clip import CLIP_FEATHER, CLIP_GROW
from latentbrush.ml.parts.runners import REACH


@pytest.fixture
def face(tmp_path, tiny_models):
    # a generator render as the "photo", so the projection is easy and the map is meaningful
    out = tmp_path / "face.png"
    assert run_cli(["--models", str(tiny_models), "generate", "-o", str(out), "--size", "128", "--seed", "4"]) == 0
    return out


def run_map(tiny_models, src, out):
    return run_cli(["--models", str(tiny_models), "parts", str(src), "-o", str(out), "--region", "whole"])


def test_part_map_is_a_palette_png_with_the_legend_colors(tiny_models, face, tmp_path, capsys):
    out = tmp_path / "parts.png"
    assert run_map(tiny_models, face, out) == 0
    im = Image.open(out)
    assert im.mode == "P" and im.size == (128, 128) and im.info.get("transparency") == 0
    idx = np.asarray(im)
    assert idx.min() >= 1 and idx.max() <= 7            # the whole image is the region: every pixel labelled
    pal = np.asarray(im.getpalette()).reshape(-1, 3)
    from latentbrush.ml.manifest import Manifest
    colors = Manifest.load(tiny_models).get("tiny-parts").params["colors"]
    assert [tuple(pal[i]) for i in range(1, 8)] == [tuple(c) for c in colors]
    assert "legend" in capsys.readouterr().out


def test_edit_changes_only_where_the_labels_changed(tiny_models, face, tmp_path, capsys):
    parts = tmp_path / "parts.png"
    assert run_map(tiny_models, face, parts) == 0
    im = Image.open(parts)
    idx = np.asarray(im).copy()
    box = (slice(40, 80), slice(40, 80))
    new = int(np.bincount(idx[box].ravel()).argmax()) % 7 + 1     # some other part
    idx[box] = new
    edit = Image.fromarray(idx, "P")
    edit.putpalette(im.getpalette())
    edit.save(tmp_path / "edit.png", transparency=0)
    out = tmp_path / "out.png"
    before = face.read_bytes()
    rc = run_cli(["--models", str(tiny_models), "parts", str(face), "--edit", str(tmp_path / "edit.png"),
                  "-o", str(out), "--region", "whole", "--steps", "20", "--candidates", "2"])
    assert rc == 0 and face.read_bytes() == before
    said = capsys.readouterr().out
    # what the editor says, in the command line's terms (a helper read "undo it" and "parts edit: (60 steps …")
    assert "Parts edit: " in said and "undo" not in said and ": (" not in said
    a = np.asarray(Image.open(face).convert("RGB")).astype(int)
    b = np.asarray(Image.open(out).convert("RGB")).astype(int)
    diff = np.abs(a - b).max(2)
    assert diff.any()
    # the clipped area: the painted box, the parts it involves up to REACH of the frame from it,
    # grown and feathered — nothing beyond changes
    m = int(np.ceil((REACH + 1 / 32 + CLIP_GROW + 3 * CLIP_FEATHER) * 128)) + 2   # + a generator pixel (≤ 32²)
    assert diff[:40 - m].max() == 0 and diff[:, :40 - m].max() == 0 and diff[80 + m:].max() == 0


def test_bad_label_maps_fail_cleanly(tiny_models, face, tmp_path, capsys):
    out = tmp_path / "out.png"
    Image.fromarray(np.zeros((50, 60), np.uint8)).save(tmp_path / "small.png")
    rc = run_cli(["--models", str(tiny_models), "parts", str(face), "--edit", str(tmp_path / "small.png"),
                  "-o", str(out), "--region", "whole"])
    assert rc == 1 and not out.exists() and "same size" in capsys.readouterr().err
    blank = np.zeros((128, 128, 4), np.uint8)
    Image.fromarray(blank, "RGBA").save(tmp_path / "blank.png")
    rc = run_cli(["--models", str(tiny_models), "parts", str(face), "--edit", str(tmp_path / "blank.png"),
                  "-o", str(out), "--region", "whole"])
    assert rc == 1 and not out.exists() and "no part labels" in capsys.readouterr().err
    # an opaque greyscale image: no part's colour anywhere (it was called "all transparent", a helper)
    Image.fromarray(np.full((128, 128), 200, np.uint8)).save(tmp_path / "grey.png")
    rc = run_cli(["--models", str(tiny_models), "parts", str(face), "--edit", str(tmp_path / "grey.png"),
                  "-o", str(out), "--region", "whole"])
    err = capsys.readouterr().err
    assert rc == 1 and not out.exists() and "none of its pixels has a part's colour" in err, err
    assert run_map(tiny_models, face, tmp_path / "same.png") == 0         # the map as written: no edit in it
    capsys.readouterr()
    rc = run_cli(["--models", str(tiny_models), "parts", str(face), "--edit", str(tmp_path / "same.png"),
                  "-o", str(out), "--region", "whole"])
    assert rc == 1 and not out.exists() and "same as the current part map" in capsys.readouterr().err
    (tmp_path / "junk.png").write_bytes(b"not a png")
    rc = run_cli(["--models", str(tiny_models), "parts", str(face), "--edit", str(tmp_path / "junk.png"),
                  "-o", str(out), "--region", "whole"])
    assert rc == 1 and not out.exists()


def test_label_png_round_trip_and_rgb_input(tmp_path):
    colors = [(10, 20, 30), (200, 0, 0), (0, 200, 0)]
    lab = np.array([[0, 1, 2], [3, 3, 1]], np.uint8)
    write_palette_png(lab, colors, tmp_path / "l.png")
    assert np.array_equal(read_label_png(tmp_path / "l.png", colors, (2, 3)), lab)
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0, 1] = (10, 20, 30, 255)
    rgba[1, 2] = (0, 200, 0, 255)
    rgba[1, 0] = (0, 200, 0, 0)          # transparent: unchanged
    rgba[0, 0] = (1, 2, 3, 255)          # not a palette color: unchanged
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    got = read_label_png(tmp_path / "rgba.png", colors, (2, 3))
    assert got.tolist() == [[0, 1, 0], [0, 0, 3]]
