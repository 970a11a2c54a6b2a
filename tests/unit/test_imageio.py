from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from latentbrush.core.imageio import (
    ExportError,
    ImageLoadError,
    ImageTooLarge,
    OverwriteOriginalError,
    export_image,
    load_image,
)


def write(path, arr, **kw):
    Image.fromarray(arr).save(path, **kw)
    return path


def test_png_round_trip_preserves_pixels(tmp_path, rng):
    arr = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    out = export_image(arr, tmp_path / "a.png")
    assert np.array_equal(load_image(out).pixels, arr)


def test_a_grey_picture_is_exported_grey(tmp_path, rng):
    """Helper 80: a greyscale PNG, edited and exported, came out as RGB at nearly twice the size. A picture whose
    pixels are all grey is written as a grey file (PNG, JPEG), the same pixels read back; one coloured pixel keeps
    it RGB."""
    grey = np.repeat(rng.integers(0, 256, (40, 50, 1), dtype=np.uint8), 3, axis=2)
    for ext in (".png", ".jpg"):
        with Image.open(export_image(grey, tmp_path / f"g{ext}", quality=95)) as back:
            assert back.mode == "L"
            if ext == ".png":
                assert np.array_equal(np.asarray(back.convert("RGB")), grey)
    tinted = grey.copy()
    tinted[3, 4, 0] ^= 1
    with Image.open(export_image(tinted, tmp_path / "t.png")) as back:
        assert back.mode == "RGB" and np.array_equal(np.asarray(back), tinted)


@pytest.mark.parametrize("ext", [".jpg", ".webp", ".tif", ".bmp"])
def test_formats_open(tmp_path, rng, ext):
    arr = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    p = write(tmp_path / f"x{ext}", arr)
    assert load_image(p).pixels.shape == (20, 30, 3)


def test_exif_rotated_jpeg_opens_upright(tmp_path):
    # stored landscape 40x20, left half red; EXIF orientation 6 = rotate 90° clockwise to view
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20] = (255, 0, 0)
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = 6
    p = tmp_path / "rot.jpg"
    img.save(p, exif=exif, quality=95)
    px = load_image(p).pixels
    assert px.shape == (40, 20, 3)                        # portrait once upright
    assert px[5, 10, 0] > 200 and px[35, 10, 0] < 60      # the red half is now on top


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp"])
def test_an_export_keeps_the_photos_metadata_but_not_its_turn(tmp_path, ext):
    """A helper's exported photo had lost its camera data; the turn is already in the pixels."""
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20] = (255, 0, 0)
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112], exif[0x010F], exif[0x0110] = 6, "TestCam", "Model 1"
    p = tmp_path / "cam.jpg"
    img.save(p, exif=exif, quality=95)
    loaded = load_image(p)
    out = export_image(loaded.pixels, tmp_path / f"edit{ext}", exif=loaded.exif)
    with Image.open(out) as back:
        tags = back.getexif()
        assert tags.get(0x010F) == "TestCam" and tags.get(0x0110) == "Model 1" and 0x0112 not in tags
    again = load_image(out).pixels
    assert again.shape == (40, 20, 3) and again[5, 10, 0] > 200          # upright, not turned twice
    plain = load_image(write(tmp_path / "plain.png", arr))
    assert plain.exif is None
    with Image.open(export_image(plain.pixels, tmp_path / f"plain-edit{ext}", exif=plain.exif)) as back:
        assert len(back.getexif()) == 0


def test_exif_kept_is_what_describes_the_photo_and_fits_any_export(tmp_path, rng):
    """A reviewer found a TIFF's own layout tags (and a 100 kB Photoshop block) carried into every
    export, where a JPEG could then not be written at all."""
    arr = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "a.tif", tiffinfo={270: "a walk", 305: "scanner", 34377: b"x" * 100_000})
    loaded = load_image(tmp_path / "a.tif")
    out = export_image(loaded.pixels, tmp_path / "a.jpg", exif=loaded.exif)
    with Image.open(out) as back:
        assert sorted(back.getexif().keys()) == [270, 305]
    big = Image.Exif()
    big[0x010F] = "Cam"
    big.get_ifd(0x8769)[0x927C] = b"M" * 70_000                     # a maker note too large for a JPEG
    Image.fromarray(arr).save(tmp_path / "b.png", exif=big)
    loaded = load_image(tmp_path / "b.png")
    assert loaded.exif is None and any("too large to keep" in n for n in loaded.notices)
    export_image(loaded.pixels, tmp_path / "b.jpg", exif=loaded.exif)


def test_original_untouched_and_overwrite_needs_confirmation(tmp_path, rng):
    arr = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    orig = write(tmp_path / "orig.png", arr)
    data = orig.read_bytes()
    export_image(arr[::-1].copy(), tmp_path / "edit.png", protected=orig)
    assert orig.read_bytes() == data
    with pytest.raises(OverwriteOriginalError):
        export_image(arr[::-1].copy(), orig, protected=orig)
    assert orig.read_bytes() == data
    export_image(arr[::-1].copy(), orig, protected=orig, overwrite_protected=True)
    assert np.array_equal(load_image(orig).pixels, arr[::-1])


def test_failed_export_leaves_target_and_no_temp_file(tmp_path, rng, monkeypatch):
    target = write(tmp_path / "t.png", rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
    data = target.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(ExportError, match="disk full"):
        export_image(np.zeros((8, 8, 3), np.uint8), target)
    assert target.read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == ["t.png"]


def test_jpeg_flattens_alpha_on_white(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)        # fully transparent
    p = export_image(rgba, tmp_path / "a.jpg", quality=95)
    assert load_image(p).pixels.min() > 245


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 20])
def test_bad_files_raise_a_clear_error(tmp_path, content):
    p = tmp_path / "bad.png"
    p.write_bytes(content)
    with pytest.raises(ImageLoadError):
        load_image(p)


def test_truncated_jpeg_is_refused(tmp_path, rng):
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buf, "JPEG")
    p = tmp_path / "cut.jpg"
    p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageLoadError, match="is incomplete"):
        load_image(p)


def test_disallowed_format_and_size_guard(tmp_path):
    gif = tmp_path / "a.gif"
    Image.new("RGB", (4, 4)).save(gif)
    with pytest.raises(ImageLoadError, match="not supported"):
        load_image(gif)
    big = write(tmp_path / "big.png", np.zeros((100, 100, 3), np.uint8))
    with pytest.raises(ImageTooLarge):
        load_image(big, max_pixels=5000)
    small = load_image(big, max_pixels=5000, downscale_to=2500)
    assert small.pixels.shape[0] * small.pixels.shape[1] <= 2500


def test_modes_become_rgb(tmp_path):
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(tmp_path / "t.png")
    r = load_image(tmp_path / "t.png")
    assert (r.pixels == 255).all() and any("transparency" in n for n in r.notices)
    Image.fromarray(np.full((4, 4), 65535, np.uint16)).save(tmp_path / "d.png")
    r = load_image(tmp_path / "d.png")
    assert r.pixels.shape == (4, 4, 3) and r.pixels.max() == 255
    Image.new("CMYK", (4, 4), (0, 0, 0, 0)).save(tmp_path / "c.tif")
    assert (load_image(tmp_path / "c.tif").pixels == 255).all()


def test_export_rejects_unknown_extension(tmp_path):
    with pytest.raises(ExportError, match="cannot export"):
        export_image(np.zeros((4, 4, 3), np.uint8), tmp_path / "a.xyz")
