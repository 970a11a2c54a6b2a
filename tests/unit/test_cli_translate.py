"""`latentbrush translate MODEL INPUT -o OUT [--strength S] [--mask M]` on files and folders."""

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
        Image.fromarray(rng.integers(30, 220, (70, 90, 3), dtype=np.uint8)).save(d / f"{name}.png")
    return d


def test_translate_file_strength_and_folder(tiny_models, photos, tmp_path):
    src = photos / "a.png"
    before = src.read_bytes()
    full, half, none = tmp_path / "full.png", tmp_path / "half.png", tmp_path / "none.png"
    for out, s in ((full, "1"), (half, "0.5"), (none, "0")):
        assert run_cli(["--models", str(tiny_models), "translate", "tiny-trans", str(src), "-o", str(out),
                        "--strength", s]) == 0
    a0, a1, ah, an = (np.asarray(Image.open(p)).astype(float) for p in (src, full, half, none))
    assert np.array_equal(an, a0)
    assert np.abs(ah - (a0 + a1) / 2).max() <= 1.0
    assert src.read_bytes() == before
    out = tmp_path / "out"
    assert run_cli(["--models", str(tiny_models), "translate", "tiny-trans", str(photos), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]


def test_the_command_line_keeps_the_photos_metadata(tiny_models, tmp_path, rng):
    """As the editor's export: camera data and colour profile kept in what the command writes."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0112] = "TestCam", 1
    icc = b"\x00" * 128
    src = tmp_path / "cam.jpg"
    Image.fromarray(rng.integers(30, 220, (70, 90, 3), dtype=np.uint8)).save(src, exif=exif, icc_profile=icc)
    out = tmp_path / "out.jpg"
    assert run_cli(["--models", str(tiny_models), "translate", "tiny-trans", str(src), "-o", str(out)]) == 0
    with Image.open(out) as back:
        assert back.getexif().get(0x010F) == "TestCam" and back.info.get("icc_profile") == icc


def test_translate_only_inside_a_mask(tiny_models, photos, tmp_path):
    m = np.zeros((70, 90), np.uint8)
    m[10:40, 20:60] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    out = tmp_path / "o.png"
    assert run_cli(["--models", str(tiny_models), "translate", "tiny-trans", str(photos / "a.png"), "-o", str(out),
                    "--mask", str(tmp_path / "m.png")]) == 0
    res, orig = np.asarray(Image.open(out)), np.asarray(Image.open(photos / "a.png"))
    assert np.array_equal(res[m == 0], orig[m == 0]) and not np.array_equal(res[m > 0], orig[m > 0])


def test_translate_errors(tiny_models, photos, tmp_path, capsys):
    with pytest.raises(SystemExit, match="between 0 and 1"):
        run_cli(["--models", str(tiny_models), "translate", "tiny-trans", str(photos), "-o", "x", "--strength", "2"])
    with pytest.raises(SystemExit, match="not a translator"):
        run_cli(["--models", str(tiny_models), "translate", "tiny-gen", str(photos), "-o", "x"])
    with pytest.raises(SystemExit, match=r"no translator 'foo'; translators: [^;]*tiny-trans") as e:
        run_cli(["--models", str(tiny_models), "translate", "foo", str(photos), "-o", "x"])
    assert "tiny-gen" not in str(e.value)                  # only translators named (a helper was offered detectors)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "small.png")
    out = tmp_path / "o.png"
    rc = run_cli(["--models", str(tiny_models), "translate", "tiny-trans", str(photos / "a.png"), "-o", str(out),
                  "--mask", str(tmp_path / "small.png")])
    assert rc == 1 and "same size" in capsys.readouterr().err and not out.exists()
    w, h = Image.open(photos / "a.png").size
    Image.fromarray(np.zeros((h, w), np.uint8)).save(tmp_path / "black.png")
    rc = run_cli(["--models", str(tiny_models), "translate", "tiny-trans", str(photos / "a.png"), "-o", str(out),
                  "--mask", str(tmp_path / "black.png")])
    assert rc == 1 and "all black" in capsys.readouterr().err and not out.exists()
    Image.fromarray(np.full((4, 4, 3), 120, np.uint8)).save(tmp_path / "tiny.png")
    rc = run_cli(["--models", str(tiny_models), "translate", "tiny-trans", str(tmp_path / "tiny.png"), "-o", str(out)])
    assert rc == 1 and "too small to translate" in capsys.readouterr().err and not out.exists()
