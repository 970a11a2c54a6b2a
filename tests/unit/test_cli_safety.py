"""Issue 14, CLI half: no input file is ever written over, outputs are planned before any work,
companion images (masks, strokes, label maps) go through the image loader's guards, nonsense
numbers are refused up front, write failures and signals leave nothing half-written."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from latentbrush.cli.main import run_cli

REPO = Path(__file__).resolve().parents[2]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(w: int, h: int, color_type: int = 6) -> bytes:
    """A small PNG whose header declares w×h pixels (RGBA by default) but carries almost no data."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + png_chunk(b"IEND", b""))


EPS_HANG = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 120 90\n{ } loop\n%%EOF\n"


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> Path:
    """One tiny models folder for the whole module (no test here changes it)."""
    from helpers import make_models_dir

    return make_models_dir(tmp_path_factory.mktemp("shared") / "models")


@pytest.fixture
def photo(tmp_path, rng) -> Path:
    p = tmp_path / "photo.png"
    Image.fromarray(rng.integers(30, 220, (90, 120, 3), dtype=np.uint8)).save(p)
    return p


@pytest.fixture
def mask(tmp_path) -> Path:
    m = np.zeros((90, 120), np.uint8)
    m[30:50, 40:70] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    return tmp_path / "m.png"


@pytest.fixture
def strokes(tmp_path) -> Path:
    s = np.zeros((90, 120, 4), np.uint8)
    s[40:50, 30:80] = (220, 30, 30, 255)
    Image.fromarray(s, "RGBA").save(tmp_path / "s.png")
    return tmp_path / "s.png"


@pytest.fixture
def no_models(monkeypatch):
    """Loading any model fails the test: refusals must come before the work."""
    def boom(self, model_id):
        raise AssertionError(f"model {model_id} loaded before the command line was checked")

    monkeypatch.setattr("latentbrush.ml.registry.ModelManager.get", boom)


@pytest.fixture
def no_big_decode(monkeypatch):
    """Decoding anything over 4 MP fails the test (a guard must refuse it from the header)."""
    real = ImageFile.ImageFile.load

    def load(self):
        if self.size[0] * self.size[1] > 4_000_000:
            raise AssertionError(f"decoded a {self.size[0]}×{self.size[1]} image")
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def cli(models: Path, *argv) -> int:
    return run_cli(["--models", str(models), *map(str, argv)])


# -- 1, 3: inputs are never outputs ------------------------------------------------------------

def test_1_part_map_never_replaces_its_own_image(tiny_models, tmp_path, capsys):
    x = tmp_path / "x.png"
    assert cli(tiny_models, "generate", "-o", x, "--size", "64") == 0
    before = x.read_bytes()
    assert cli(tiny_models, "parts", x, "-o", x, "--region", "whole") == 2
    assert x.read_bytes() == before
    assert "input of this command" in capsys.readouterr().err
    # the same file under another name (a hard link, a path with ..) is the same input
    os.link(x, tmp_path / "alias.png")
    os.symlink(x, tmp_path / "link.png")
    (tmp_path / "sub").mkdir()
    for alias in (tmp_path / "sub" / ".." / "alias.png", tmp_path / "link.png"):
        assert cli(tiny_models, "parts", x, "-o", alias, "--region", "whole", "--overwrite") == 2
        assert "input of this command" in capsys.readouterr().err
    assert x.read_bytes() == before


@pytest.mark.parametrize("kind", ["inpaint", "scribble", "translate"])
def test_3_mask_and_strokes_are_never_outputs(tiny_models, photo, mask, strokes, kind, no_models, capsys):
    victim = {"inpaint": mask, "scribble": strokes, "translate": mask}[kind]
    before = victim.read_bytes()
    argv = {"inpaint": ["inpaint", photo, "--mask", mask, "--model", "telea"],
            "scribble": ["scribble", photo, "--strokes", strokes, "--region", "whole"],
            "translate": ["translate", "tiny-trans", photo, "--mask", mask]}[kind]
    for extra in ([], ["--overwrite"]):
        assert cli(tiny_models, *argv, "-o", victim, *extra) == 2
        assert victim.read_bytes() == before
        assert "input of this command" in capsys.readouterr().err


def test_3_part_labels_are_never_outputs(tiny_models, tmp_path, no_models, capsys):
    face = tmp_path / "face.png"
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(face)
    labels = tmp_path / "labels.png"
    Image.fromarray(np.ones((64, 64), np.uint8), "P").save(labels)
    before = labels.read_bytes()
    assert cli(tiny_models, "parts", face, "--edit", labels, "-o", labels, "--overwrite") == 2
    assert labels.read_bytes() == before


# -- 2: a batch never writes over its own files, never two results to one name ----------------

def test_2_batch_with_colliding_stems(tiny_models, tmp_path, rng, capsys):
    d = tmp_path / "in"
    d.mkdir()
    Image.fromarray(rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)).save(d / "a.png")
    Image.fromarray(rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)).save(d / "a.jpg", quality=95)
    m = np.zeros((90, 120), np.uint8)
    m[10:30, 10:30] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    assert cli(tiny_models, "inpaint", d, "--mask", tmp_path / "m.png", "-o", d, "--model", "telea") == 0
    assert {n: (d / n).read_bytes() for n in before} == before          # the originals are untouched
    assert sorted(p.name for p in d.iterdir()) == ["a-jpg.png", "a-png.png", "a.jpg", "a.png"]
    out = tmp_path / "out"
    assert cli(tiny_models, "inpaint", d, "--mask", tmp_path / "m.png", "-o", out, "--model", "telea") == 0
    assert len(list(out.iterdir())) == 4               # one result per input, none lost
    assert {n: (d / n).read_bytes() for n in before} == before


# -- 4: outputs are checked first; --overwrite to replace -----------------------------------------

def test_4_existing_output_refused_before_work_unless_overwrite(tiny_models, photo, mask, monkeypatch, capsys):
    out = photo.with_name("out.png")
    out.write_bytes(b"keep me")
    with monkeypatch.context() as mp:
        mp.setattr("latentbrush.ml.registry.ModelManager.get", lambda *a: pytest.fail("work before the refusal"))
        assert cli(tiny_models, "inpaint", photo, "--mask", mask, "-o", out, "--model", "tiny-fill") == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and "confirm" not in err
    assert out.read_bytes() == b"keep me"
    assert cli(tiny_models, "inpaint", photo, "--mask", mask, "-o", out, "--model", "tiny-fill", "--overwrite") == 0
    assert Image.open(out).size == (120, 90)
    # the single image itself: refused, with or without --overwrite, and the message says why
    before = photo.read_bytes()
    assert cli(tiny_models, "inpaint", photo, "--mask", mask, "-o", photo, "--overwrite") == 2
    assert photo.read_bytes() == before and "input of this command" in capsys.readouterr().err


def test_4_bad_extension_refused_before_work(tiny_models, photo, mask, no_models, capsys):
    assert cli(tiny_models, "inpaint", photo, "--mask", mask, "-o", photo.with_name("o.txt")) == 2
    assert "o.txt" in capsys.readouterr().err


# -- 10, 11: companion images go through the loader's allow-list and header checks --------------

def test_10_postscript_mask_is_never_handed_to_ghostscript(tiny_models, photo, tmp_path, monkeypatch, capsys):
    from PIL import EpsImagePlugin

    def no_gs(*a, **k):
        raise AssertionError("Ghostscript was run on a user file")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", no_gs)
    for name in ("mask.png", "strokes.png", "labels.png"):
        (tmp_path / name).write_bytes(EPS_HANG)
    out = tmp_path / "o.png"
    assert cli(tiny_models, "inpaint", photo, "--mask", tmp_path / "mask.png", "-o", out, "--model", "telea") == 1
    assert "EPS" in capsys.readouterr().err
    assert cli(tiny_models, "scribble", photo, "--strokes", tmp_path / "strokes.png", "-o", out,
               "--region", "whole", "--iters", "1", "--candidates", "1") == 1
    assert cli(tiny_models, "translate", "tiny-trans", photo, "--mask", tmp_path / "mask.png", "-o", out) == 1
    assert not out.exists()


def test_10_label_map_postscript_refused(tmp_path, monkeypatch):
    from PIL import EpsImagePlugin

    from latentbrush.cli.parts import read_label_png
    from latentbrush.core.imageio import ImageLoadError

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *a, **k: pytest.fail("Ghostscript ran"))
    (tmp_path / "l.png").write_bytes(EPS_HANG)
    with pytest.raises(ImageLoadError, match="EPS"):
        read_label_png(tmp_path / "l.png", [(1, 2, 3)], (90, 120))


@pytest.mark.parametrize("side", [13000, 100000])
def test_11_huge_declared_mask_refused_from_its_header(tiny_models, photo, strokes, tmp_path, side,
                                                       no_big_decode, capsys):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(side, side))
    out = tmp_path / "o.png"
    t0 = time.perf_counter()
    assert cli(tiny_models, "inpaint", photo, "--mask", bomb, "-o", out, "--model", "telea") == 1
    assert cli(tiny_models, "scribble", photo, "--strokes", bomb, "-o", out, "--region", "whole") == 1
    assert cli(tiny_models, "translate", "tiny-trans", photo, "--mask", bomb, "-o", out) == 1
    err = capsys.readouterr().err
    assert err.count("same size") == 3 and f"{side}×{side}" in err and "Traceback" not in err
    assert not out.exists()
    from latentbrush.cli.parts import read_label_png
    from latentbrush.core.imageio import SizeMismatch, load_companion

    with pytest.raises(SizeMismatch):
        read_label_png(bomb, [(1, 2, 3)], (90, 120))
    t1 = time.perf_counter()
    with pytest.raises(SizeMismatch):
        load_companion(bomb, (120, 90))
    assert time.perf_counter() - t1 < 1.0
    assert t1 - t0 < 60                  # three commands (with torch warm-up), not minutes


# -- 12: opening downscaled never decodes a huge non-JPEG whole ----------------------------------

def test_12_open_downscaled_refuses_what_it_would_decode_whole(tmp_path, no_big_decode):
    from latentbrush.core.imageio import ImageLoadError, ImageTooLarge, load_image

    p = tmp_path / "huge.png"
    p.write_bytes(png_header_only(20000, 20000, color_type=2))
    with pytest.raises(ImageTooLarge, match="even downscaled") as e:
        load_image(p)
    assert not e.value.can_downscale          # so the editor need not offer it
    t0 = time.perf_counter()
    with pytest.raises(ImageLoadError, match="too large to open even downscaled"):
        load_image(p, downscale_to=e.value.limit)
    assert time.perf_counter() - t0 < 1.0


def test_12_jpeg_is_reduced_while_decoding(tmp_path, no_big_decode):
    from latentbrush.core.imageio import load_image

    buf = io.BytesIO()
    Image.new("RGB", (2400, 2400), (200, 100, 50)).save(buf, "JPEG")
    (tmp_path / "big.jpg").write_bytes(buf.getvalue())
    im = load_image(tmp_path / "big.jpg", max_pixels=1_000_000, downscale_to=300_000)   # draft: no 5.8 MP decode
    assert im.pixels.shape[0] * im.pixels.shape[1] <= 300_000


# -- 13: numbers are checked before anything is loaded -------------------------------------------

BAD_NUMBERS = [
    (["scribble", "{photo}", "--strokes", "{strokes}", "-o", "{out}", "--strength", "nan"], "--strength"),
    (["scribble", "{photo}", "--strokes", "{strokes}", "-o", "{out}", "--strength", "1e9"], "--strength"),
    (["scribble", "{photo}", "--strokes", "{strokes}", "-o", "{out}", "--strength", "-5"], "--strength"),
    (["scribble", "{photo}", "--strokes", "{strokes}", "-o", "{out}", "--candidates", "0"], "--candidates"),
    (["scribble", "{photo}", "--strokes", "{strokes}", "-o", "{out}", "--candidates", "-1"], "--candidates"),
    (["scribble", "{photo}", "--strokes", "{strokes}", "-o", "{out}", "--seed", str(2**64)], "--seed"),
    (["translate", "tiny-trans", "{photo}", "-o", "{out}", "--tile", "16"], "--tile"),
    (["translate", "tiny-trans", "{photo}", "-o", "{out}", "--tile", "1"], "--tile"),
    (["generate", "-o", "{out}", "--size", "0"], "--size"),
    (["generate", "-o", "{out}", "--size", "-5"], "--size"),
    (["generate", "-o", "{out}", "--size", "60000"], "--size"),
    (["generate", "-o", "{out}", "-n", "-1"], "-n"),
    (["generate", "-o", "{out}", "--seed", str(2**64)], "--seed"),
    (["generate", "-o", "{out}", "--model", "tiny-trans"], "not a generator"),
    (["project", "{photo}", "-o", "{out}", "--steps", "0"], "--steps"),
    (["project", "{photo}", "-o", "{out}", "--seconds", "nan"], "--seconds"),
    (["parts", "{photo}", "-o", "{out}", "--candidates", "0"], "--candidates"),
    (["project", "{photo}", "-o", "{out}", "--region", "0,0,-5,10"], "--region"),
]


@pytest.mark.parametrize(("argv", "needle"), BAD_NUMBERS, ids=[" ".join(a[-2:]) for a, _ in BAD_NUMBERS])
def test_13_nonsense_numbers_refused_up_front(tiny_models, photo, strokes, tmp_path, argv, needle, no_models,
                                              capsys):
    out = tmp_path / "o.png"
    argv = [a.format(photo=photo, strokes=strokes, out=out) for a in argv]
    assert cli(tiny_models, *argv) == 2
    err = capsys.readouterr().err
    assert needle in err and not out.exists()
    if needle.startswith("-") and needle != "--region":
        assert " to " in err or "at most" in err           # the allowed range is in the message


def test_13_slider_nan_and_bench_output_refused(tiny_models, photo, tmp_path, no_models, capsys):
    with pytest.raises(SystemExit, match="within"):
        cli(tiny_models, "attribute", photo, "--set", "smile=nan", "-o", tmp_path / "o.png")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "results.json").write_text("{}")
    assert cli(tiny_models, "bench", "generator", "--out", tmp_path / "b") == 2
    assert "--overwrite" in capsys.readouterr().err and (tmp_path / "b" / "results.json").read_text() == "{}"
    # the benchmarks run on the models asked for (`--models` was taken and ignored: the shipped ones were measured)
    before = os.environ.get("LATENTBRUSH_MODELS")
    assert cli(tiny_models, "bench", "generator", "--quick", "--out", tmp_path / "c") == 0
    assert json.loads((tmp_path / "c" / "results.json").read_text())["models"] == str(Path(tiny_models).resolve())
    assert os.environ.get("LATENTBRUSH_MODELS") == before


def test_11_label_map_size_checked_before_the_parts_model_loads(tiny_models, photo, tmp_path, no_models,
                                                                 no_big_decode, capsys):
    (tmp_path / "bomb.png").write_bytes(png_header_only(13000, 13000))
    assert cli(tiny_models, "parts", photo, "--edit", tmp_path / "bomb.png", "-o", tmp_path / "o.png",
               "--region", "whole") == 1
    assert "same size" in capsys.readouterr().err


# -- 14: Poisson blending where it cannot run ----------------------------------------------------

@pytest.mark.parametrize("side", [1, 2, 3])
@pytest.mark.parametrize("model", ["telea", "tiny-fill"])
def test_14_inpaint_tiny_image_with_full_mask(tiny_models, tmp_path, side, model, capsys):
    Image.fromarray(np.full((side, side, 3), 90, np.uint8)).save(tmp_path / "t.png")
    Image.fromarray(np.full((side, side), 255, np.uint8)).save(tmp_path / "m.png")
    out = tmp_path / "o.png"
    # the whole image masked: nothing to fill from, said so, nothing written
    assert cli(tiny_models, "inpaint", tmp_path / "t.png", "--mask", tmp_path / "m.png", "-o", out,
               "--model", model, "--blend", "poisson") == 1
    assert "covers the whole image" in capsys.readouterr().err and not out.exists()
    # one pixel known: filled from it, the blending at the image's edge does not fail
    m = np.full((side, side), 255, np.uint8)
    m[0, 0] = 0
    Image.fromarray(m).save(tmp_path / "m.png")
    rc = cli(tiny_models, "inpaint", tmp_path / "t.png", "--mask", tmp_path / "m.png", "-o", out,
             "--model", model, "--blend", "poisson")
    assert (rc == 0 and Image.open(out).size == (side, side)) if side > 1 else (rc == 1 and not out.exists())


# -- 15: write failures: one message, non-zero, nothing half-written ----------------------------

def test_15_latent_write_failure_leaves_no_png(tiny_models, photo, tmp_path, monkeypatch, capsys):
    out, lat = tmp_path / "rec.png", tmp_path / "z.npy"

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full_disk)
    rc = cli(tiny_models, "project", photo, "-o", out, "--latent", lat, "--region", "whole", "--steps", "2")
    err = capsys.readouterr().err
    assert rc != 0 and "disk is full" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["photo.png"]   # no PNG, no .part


def test_15_read_only_folder(tiny_models, photo, tmp_path, monkeypatch, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == ro else real_access(p, mode, **k))
    assert cli(tiny_models, "project", photo, "-o", tmp_path / "rec.png", "--latent", ro / "z.npy",
               "--region", "whole", "--steps", "2") == 2
    assert "permission denied" in capsys.readouterr().err
    assert not (tmp_path / "rec.png").exists()
    # the folder turns read-only after the check (or the check cannot tell): still one clear message
    import tempfile

    def denied(*a, dir=None, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    monkeypatch.setattr(os, "access", real_access)
    assert cli(tiny_models, "generate", "-o", ro / "g.png", "--size", "32") == 2
    err = capsys.readouterr().err
    assert "permission denied" in err and "Traceback" not in err and not list(ro.iterdir())


# -- 16: signals and stale temp files --------------------------------------------------------------

SLOW_EXPORT = textwrap.dedent("""
    import os, signal, sys, time
    from PIL import Image
    real = Image.Image.save
    def save(self, fp, *a, **k):
        real(self, fp, *a, **k)          # the temp file has bytes in it now
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))
        time.sleep(5)
    Image.Image.save = save
    from latentbrush.cli.main import run_cli
    sys.exit(run_cli(["--models", sys.argv[2], "generate", "-o", sys.argv[3], "--size", "32"]))
""")


@pytest.mark.parametrize(("sig", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_16_signal_during_export_cleans_up(tiny_models, tmp_path, sig, code):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "LATENTBRUSH_DEVICE": "cpu", "LATENTBRUSH_THREADS": "1"}
    # a background job (CI under nohup/&) inherits SIGINT *ignored*; give the child the default
    # disposition, as a terminal would, so Python installs its Ctrl-C handler
    r = subprocess.run([sys.executable, "-c", SLOW_EXPORT, sig, str(tiny_models), str(out_dir / "g.png")],
                       capture_output=True, text=True, timeout=120, env=env, cwd=str(REPO),
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert r.returncode == code, r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    assert list(out_dir.iterdir()) == []          # no result, no hidden .part file


def test_16_stale_part_files_of_ours_are_removed(tiny_models, tmp_path):
    out = tmp_path / "g.png"
    dead = tmp_path / ".g.png.lb4194999.abcd1234.part"      # above pid_max: its process is gone
    legacy = tmp_path / ".old.png.k2j4h5g6.part"            # older naming, two days old
    fresh_legacy = tmp_path / ".new.png.q1w2e3r4.part"      # may be another process writing now
    other = tmp_path / ".notes.part"                        # not ours
    for p in (dead, legacy, fresh_legacy, other):
        p.write_bytes(b"x")
    old = time.time() - 2 * 86400
    os.utime(legacy, (old, old))
    assert cli(tiny_models, "generate", "-o", out, "--size", "32") == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".part")) == [".new.png.q1w2e3r4.part",
                                                                                       ".notes.part"]


# -- 17: smaller ones -------------------------------------------------------------------------------

def test_17_part_map_must_be_png(tiny_models, photo, tmp_path, no_models, capsys):
    assert cli(tiny_models, "parts", photo, "-o", tmp_path / "pm.jpg", "--region", "whole") == 2
    assert ".png" in capsys.readouterr().err and not (tmp_path / "pm.jpg").exists()


def test_17_empty_folder_and_file_as_folder_output(tiny_models, photo, mask, tmp_path, no_models, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an image")
    assert cli(tiny_models, "inpaint", empty, "--mask", mask, "-o", tmp_path / "out.png") == 2
    assert "no images" in capsys.readouterr().err and not (tmp_path / "out.png").exists()
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(photo, d / "a.png")
    assert cli(tiny_models, "inpaint", d, "--mask", mask, "-o", photo) == 2
    assert "is a file" in capsys.readouterr().err


def test_17_the_images_folder_as_the_masks_folder_is_refused(tiny_models, photo, mask, tmp_path, no_models, capsys):
    """A helper gave one folder for both: each image was its own mask (84 % of the photo refilled)."""
    d = tmp_path / "pair"
    d.mkdir()
    shutil.copy(photo, d / "a.png")
    shutil.copy(mask, d / "a_mask.png")
    assert cli(tiny_models, "inpaint", d, "--mask", d, "-o", tmp_path / "out") == 2
    assert "masks folder is the images folder" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_17_unreadable_file_says_permission_denied(tmp_path, monkeypatch):
    from latentbrush.core.imageio import ImageLoadError, load_companion, load_image

    p = tmp_path / "locked.png"
    Image.new("RGB", (4, 4)).save(p)
    real = Path.read_bytes

    def locked(self):
        if self == p:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", locked)
    with pytest.raises(ImageLoadError, match="permission denied") as e:
        load_image(p)
    assert "damaged" not in str(e.value)
    with pytest.raises(ImageLoadError, match="permission denied"):
        load_companion(p, (4, 4))


def test_17_models_option_before_or_after_the_command(tiny_models, capsys):
    from latentbrush.main import main

    assert run_cli(["inpaint", "--list", "--models", str(tiny_models)]) == 0
    assert "tiny-fill" in capsys.readouterr().out
    assert main(["--models", str(tiny_models), "inpaint", "--list"]) == 0
    assert "tiny-fill" in capsys.readouterr().out
    assert main([f"--models={tiny_models}", "models", "list"]) == 0
    assert "tiny-gen" in capsys.readouterr().out


def test_stale_sweep_keeps_live_writers(tmp_path):
    from latentbrush.core.atomic import remove_stale_parts

    mine = tmp_path / f".x.png.lb{os.getpid()}.abcd1234.part"
    parent = tmp_path / f".x.png.lb{os.getppid()}.abcd1234.part"
    mine.write_bytes(b"")
    parent.write_bytes(b"")
    assert remove_stale_parts(tmp_path) == []


def test_sigterm_handler_restored(tiny_models):
    before = signal.getsignal(signal.SIGTERM)
    assert run_cli(["--models", str(tiny_models), "inpaint", "--list"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before


def test_per_image_mask_found_for_names_with_glob_characters(tiny_models, tmp_path, rng):
    d, masks, out = tmp_path / "in", tmp_path / "masks", tmp_path / "out"
    d.mkdir()
    masks.mkdir()
    Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(d / "a[1].jpg")
    m = np.zeros((30, 40), np.uint8)
    m[5:15, 5:15] = 255
    Image.fromarray(m).save(masks / "a[1].png")
    assert cli(tiny_models, "inpaint", d, "--mask", masks, "-o", out, "--model", "telea") == 0
    assert [p.name for p in out.iterdir()] == ["a[1].png"]


def test_special_files_are_never_replaced(tiny_models, tmp_path, no_models, capsys):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert cli(tiny_models, "generate", "-o", fifo, "--overwrite") == 2
    assert "not a regular file" in capsys.readouterr().err
    assert fifo.is_fifo()


def test_11_large_padded_mask_refused_before_it_is_read(tmp_path, monkeypatch):
    """A 40 MB file whose header declares the wrong size: refused from the header, not read whole."""
    from latentbrush.core.imageio import SizeMismatch, load_companion

    p = tmp_path / "padded.png"
    with open(p, "wb") as fh:
        fh.write(png_header_only(13000, 13000)[:-12])             # up to IEND
        fh.write(png_chunk(b"zzZz", b"\0" * (40 << 20)))           # an ancillary chunk of junk
        fh.write(png_chunk(b"IEND", b""))
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self.name} read whole"))
    with pytest.raises(SizeMismatch):
        load_companion(p, (120, 90))


def test_a_misspelt_command_is_named_not_opened_as_an_image(capsys, tmp_path, monkeypatch):
    from latentbrush.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["inpant", "photo.png"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'inpant'" in err and "did you mean inpaint?" in err
    assert main(["--models", str(tmp_path), "edit"]) == 2
    assert "unknown command 'edit'" in capsys.readouterr().err


def test_a_read_only_file_system_is_called_that_not_permission_denied(tmp_path, monkeypatch):
    import os
    from types import SimpleNamespace

    from latentbrush.cli import common

    monkeypatch.setattr(common.os, "access", lambda *a, **k: False)
    monkeypatch.setattr(common.os, "statvfs", lambda p: SimpleNamespace(f_flag=os.ST_RDONLY), raising=False)
    with pytest.raises(common.UsageError, match="read-only file system"):
        common.plan_outputs([tmp_path / "a.png"], tmp_path / "out" / "b.png", many=False, inputs=[tmp_path / "a.png"],
                            overwrite=False)
    monkeypatch.setattr(common.os, "statvfs", lambda p: SimpleNamespace(f_flag=0), raising=False)
    with pytest.raises(common.UsageError, match="permission denied"):
        common.plan_outputs([tmp_path / "a.png"], tmp_path / "out" / "b.png", many=False, inputs=[tmp_path / "a.png"],
                            overwrite=False)


def test_17_a_result_too_wide_for_webp_is_refused_before_the_work(tiny_models, tmp_path, capsys):
    """A helper's 20000-px panorama as WebP failed only when written, after all the work."""
    wide = tmp_path / "wide.png"
    Image.fromarray(np.full((8, 17000, 3), 120, np.uint8)).save(wide)
    m = np.zeros((8, 17000), np.uint8)
    m[2:6, 100:200] = 255
    Image.fromarray(m).save(tmp_path / "wm.png")
    assert cli(tiny_models, "inpaint", wide, "--mask", tmp_path / "wm.png", "-o", tmp_path / "w.webp",
               "--model", "telea") == 1
    err = capsys.readouterr().err
    assert "WEBP holds at most 16383 px" in err and "PNG" in err and not (tmp_path / "w.webp").exists()
    assert cli(tiny_models, "inpaint", wide, "--mask", tmp_path / "wm.png", "-o", tmp_path / "w.png",
               "--model", "telea") == 0
