"""`latentbrush inpaint` on files and folders, one mask or per-image masks, and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latentbrush.cli.main import run_cli

MAGENTA = (255, 0, 255)


@pytest.fixture
def photos(tmp_path, rng):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("a", "b"):
        img = rng.integers(60, 200, (90, 120, 3), dtype=np.uint8)
        img[30:50, 40:70] = MAGENTA              # the "object" to remove
        Image.fromarray(img).save(d / f"{name}.png")
    return d


def mask_png(path, size=(120, 90), box=(40, 30, 70, 50)):
    m = np.zeros((size[1], size[0]), np.uint8)
    x0, y0, x1, y1 = box
    m[y0:y1, x0:x1] = 255
    Image.fromarray(m).save(path)
    return m


@pytest.mark.parametrize("model", ["telea", "tiny-fill", None])
def test_inpaint_file_fills_the_hole_and_keeps_the_rest(tiny_models, photos, tmp_path, model):
    src = photos / "a.png"
    before = src.read_bytes()
    m = mask_png(tmp_path / "m.png")
    out = tmp_path / "out.png"
    rc = run_cli(["--models", str(tiny_models), "inpaint", str(src), "--mask", str(tmp_path / "m.png"),
                  "-o", str(out), *(["--model", model] if model else [])])
    assert rc == 0
    res, orig = np.asarray(Image.open(out)), np.asarray(Image.open(src))
    assert np.array_equal(res[m == 0], orig[m == 0])
    assert not (res[m > 0] == MAGENTA).all(1).any()
    assert src.read_bytes() == before


def test_inpaint_folder_with_one_mask_and_with_a_mask_folder(tiny_models, photos, tmp_path):
    mask_png(tmp_path / "m.png")
    out = tmp_path / "out"
    assert run_cli(["--models", str(tiny_models), "inpaint", str(photos), "--mask", str(tmp_path / "m.png"),
                    "-o", str(out), "--model", "telea"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]
    masks = tmp_path / "masks"
    masks.mkdir()
    ma = mask_png(masks / "a.png")
    mb = mask_png(masks / "b.png", box=(0, 0, 20, 20))       # b gets a different hole
    out2 = tmp_path / "out2"
    assert run_cli(["--models", str(tiny_models), "inpaint", str(photos), "--mask", str(masks), "-o", str(out2),
                    "--model", "telea"]) == 0
    a, b = (np.asarray(Image.open(out2 / n)) for n in ("a.png", "b.png"))
    a0, b0 = (np.asarray(Image.open(photos / n)) for n in ("a.png", "b.png"))
    assert not np.array_equal(a[ma > 0], a0[ma > 0])
    assert np.array_equal(b[mb == 0], b0[mb == 0]) and not np.array_equal(b[mb > 0], b0[mb > 0])
    assert (b[30:50, 40:70] == MAGENTA).all()        # b's object was not masked, so it stays


def test_wrong_size_mask_is_refused_clearly_and_nothing_is_written(tiny_models, photos, tmp_path, capsys):
    mask_png(tmp_path / "m.png", size=(60, 40), box=(0, 0, 10, 10))
    out = tmp_path / "out.png"
    rc = run_cli(["--models", str(tiny_models), "inpaint", str(photos / "a.png"), "--mask", str(tmp_path / "m.png"),
                  "-o", str(out)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "60×40" in err and "120×90" in err and "same size" in err
    assert not out.exists()


def test_empty_mask_unknown_model_missing_mask_and_list(tiny_models, photos, tmp_path, capsys):
    Image.fromarray(np.zeros((90, 120), np.uint8)).save(tmp_path / "black.png")
    out = tmp_path / "o.png"
    assert run_cli(["--models", str(tiny_models), "inpaint", str(photos / "a.png"), "--mask",
                    str(tmp_path / "black.png"), "-o", str(out)]) == 1
    assert "nothing to fill" in capsys.readouterr().err and not out.exists()
    # a mask over the whole image: nothing around it to fill from (it filled the photo green, a helper found)
    Image.fromarray(np.full((90, 120), 255, np.uint8)).save(tmp_path / "white.png")
    for model in ([], ["--model", "telea"]):
        assert run_cli(["--models", str(tiny_models), "inpaint", str(photos / "a.png"), "--mask",
                        str(tmp_path / "white.png"), "-o", str(out), *model]) == 1
        assert "covers the whole image" in capsys.readouterr().err and not out.exists()
    with pytest.raises(SystemExit, match="unknown fill model"):
        run_cli(["--models", str(tiny_models), "inpaint", str(photos / "a.png"), "--mask",
                 str(tmp_path / "black.png"), "-o", str(out), "--model", "nope"])
    with pytest.raises(SystemExit, match="does not exist"):
        run_cli(["--models", str(tiny_models), "inpaint", str(photos / "a.png"), "--mask",
                 str(tmp_path / "nope.png"), "-o", str(out)])
    assert run_cli(["--models", str(tiny_models), "inpaint", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "tiny-fill" in listing and "default" in listing and "telea" in listing


def test_the_command_line_says_when_the_best_quality_fill_may_suit_a_textured_hole(tiny_models, tmp_path, capsys):
    import cv2

    rng = np.random.default_rng(0)
    g = cv2.GaussianBlur(rng.normal(0, 1, (160, 160)).astype(np.float32), (0, 0), 2.5)
    gravel = np.repeat(np.clip(128 + 60 * g / g.std(), 0, 255).astype(np.uint8)[..., None], 3, 2)
    Image.fromarray(gravel).save(tmp_path / "gravel.png")
    # a wide stroke: deep enough for the hint, too thin for texture mode (which would quilt a disc: no hint then)
    Image.fromarray(cv2.line(np.zeros((160, 160), np.uint8), (20, 80), (140, 80), 255, 27)).save(tmp_path / "m.png")
    for model, told in ((None, True), ("exemplar", False)):
        out = tmp_path / f"out-{model}.png"
        assert run_cli(["--models", str(tiny_models), "inpaint", str(tmp_path / "gravel.png"), "--mask",
                        str(tmp_path / "m.png"), "-o", str(out), *(["--model", model] if model else [])]) == 0
        assert ("--model exemplar redraws their texture" in capsys.readouterr().err) == told     # the progress stream


def test_the_command_line_says_what_the_loader_changed(tiny_models, tmp_path, capsys):
    deep = (np.linspace(0, 65535, 90 * 120).reshape(90, 120)).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")              # a 16-bit grey PNG
    mask_png(tmp_path / "m.png", size=(120, 90), box=(30, 30, 50, 50))
    out = tmp_path / "o.png"
    assert run_cli(["--models", str(tiny_models), "inpaint", str(tmp_path / "deep.png"), "--mask",
                    str(tmp_path / "m.png"), "-o", str(out), "--model", "telea"]) == 0
    said = capsys.readouterr()
    assert "reduced to 8 bits" in said.out + said.err and out.exists()      # as the editor says it


def test_the_command_line_says_when_the_prior_fell_back_to_telea(tiny_models, tmp_path, capsys):
    """A helper's `inpaint --model generator-prior` on a photo without a face said only "(telea, none)"."""
    flat = np.full((90, 120, 3), 150, np.uint8)
    flat[:, 60:] = (60, 90, 140)
    Image.fromarray(flat).save(tmp_path / "wall.png")
    mask_png(tmp_path / "m.png")
    rc = run_cli(["--models", str(tiny_models), "inpaint", str(tmp_path / "wall.png"), "--mask", str(tmp_path / "m.png"),
                  "-o", str(tmp_path / "out.png"), "--model", "generator-prior"])
    said = capsys.readouterr()
    assert rc == 0 and "filled with Telea instead of the generator prior" in said.out + said.err
