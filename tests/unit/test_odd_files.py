"""Files a helper brought (stop 53) that opened wrongly or were written wrongly: a phone's multi-picture
JPEG, a floating-point TIFF in 0–1, a 16-bit colour PNG, a downscaled JPEG, a 244-character name; and what
writing over the opened original would lose."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from latentbrush.core.atomic import ExportError, said
from latentbrush.core.imageio import export_image, load_image, replace_losses
from latentbrush.core.project_read import read_project
from latentbrush.core.projectfile import ProjectError


def ramp(h=48, w=64) -> np.ndarray:
    x = np.linspace(0, 255, w)[None, :, None]
    y = np.linspace(0, 255, h)[:, None, None]
    return np.concatenate([np.broadcast_to(x, (h, w, 1)), np.broadcast_to(y, (h, w, 1)),
                           np.full((h, w, 1), 90.0)], 2).astype(np.uint8)


def test_a_phones_multi_picture_jpeg_opens_as_its_first_picture(tmp_path):
    first, second = ramp(), 255 - ramp()
    path = tmp_path / "phone.jpg"
    Image.fromarray(first).save(path, "MPO", save_all=True, append_images=[Image.fromarray(second)], quality=95)
    assert Image.open(path).format == "MPO"          # (what Pillow makes of it: a JPEG holding two pictures)
    got = load_image(path)
    assert got.format == "JPEG" and got.notices == []
    assert np.abs(got.pixels.astype(int) - first).mean() < 3 < np.abs(got.pixels.astype(int) - second).mean()


def test_a_floating_point_tiff_in_0_to_1_is_not_black(tmp_path):
    a = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (16, 1))
    path = tmp_path / "float.tif"
    Image.fromarray(a, "F").save(path)
    got = load_image(path)
    assert got.pixels[:, 0].max() <= 1 and got.pixels[:, -1].min() >= 254      # the ramp, 0 → 255
    assert 120 < got.pixels.mean() < 135
    assert got.notices == ["floating-point image reduced to 8 bits per channel"]


def test_a_floating_point_tiff_with_a_nan_is_not_black_and_one_of_nans_is_refused(tmp_path):
    """One NaN pixel made the range NaN: the whole image opened black, silently (a helper)."""
    from latentbrush.core.imageio import ImageLoadError

    a = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (16, 1))
    a[3, 40] = np.nan
    a[5, 10] = np.inf
    path = tmp_path / "nan.tif"
    Image.fromarray(a, "F").save(path)
    got = load_image(path)
    assert got.pixels[:, -1].min() >= 254 and 115 < got.pixels.mean() < 135
    assert got.pixels[3, 40].max() == 0 and any("held no number" in n for n in got.notices)
    Image.fromarray(np.full((8, 8), np.nan, np.float32), "F").save(tmp_path / "all.tif")
    with pytest.raises(ImageLoadError, match="no numbers"):
        load_image(tmp_path / "all.tif")


def test_a_floating_point_mask_in_0_to_1_is_read_as_its_image_would_be(tmp_path):
    """A float TIFF mask (0 = keep, 1 = fill) was called "all black" (a helper)."""
    from latentbrush.cli.common import load_mask

    m = np.zeros((16, 32), np.float32)
    m[4:12, 8:24] = 1.0
    Image.fromarray(m, "F").save(tmp_path / "mask.tif")
    got = load_mask(tmp_path / "mask.tif", (32, 16))
    assert (got[4:12, 8:24] == 255).all() and (got[:4] == 0).all()


def test_a_16_bit_colour_png_says_it_was_reduced(tmp_path):
    import cv2

    a = (np.random.default_rng(0).integers(0, 65536, (16, 16, 3))).astype(np.uint16)
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), a)
    got = load_image(path)
    assert "16-bit image reduced to 8 bits per channel" in got.notices
    eight = load_image(_save(tmp_path / "plain.png", ramp()))
    assert eight.notices == []


def _save(path, a):
    Image.fromarray(a).save(path)
    return path


def test_a_jpeg_opened_downscaled_comes_as_close_to_the_limit_as_a_png(tmp_path):
    big = np.ascontiguousarray(np.tile(ramp(), (4, 4, 1)))         # 192 × 256
    Image.fromarray(big).save(tmp_path / "big.jpg", quality=95)
    Image.fromarray(big).save(tmp_path / "big.png")
    limit = 192 * 256 * 3 // 4          # 0.75 of its pixels: the JPEG's draft would halve it (0.25)
    j = load_image(tmp_path / "big.jpg", max_pixels=limit, downscale_to=limit)
    p = load_image(tmp_path / "big.png", max_pixels=limit, downscale_to=limit)
    assert j.pixels.shape == p.pixels.shape and 0.95 * limit < j.pixels.shape[0] * j.pixels.shape[1] <= limit
    assert j.notices == ["opened downscaled from 256×192"]


def test_replacing_the_original_says_what_it_would_lose():
    lost = replace_losses(["opened downscaled from 12000×9000", "transparency flattened onto white",
                           "16-bit image reduced to 8 bits per channel", "3 frames: showing the first one"])
    assert lost[0] == "its full size (12000×9000 on disk)"
    assert "transparency" in lost[1] and "16-bit precision" in lost[2] and "other frames" in lost[3]
    assert replace_losses([]) == []


def test_a_name_of_244_characters_is_written(tmp_path):
    """The temp file beside it took the whole name and 25 characters more: over the folder's 255."""
    path = tmp_path / ("z" * 240 + ".png")
    export_image(ramp(), path)
    assert np.array_equal(np.asarray(Image.open(path)), ramp())
    assert [p.name for p in tmp_path.iterdir()] == [path.name]           # no temp file left


def test_a_name_too_long_for_the_folder_is_said_so_shortly(tmp_path):
    path = tmp_path / ("z" * 300 + ".png")
    with pytest.raises(ExportError) as e:
        export_image(ramp(), path)
    assert "shorter" in str(e.value) and len(str(e.value)) < 200 and list(tmp_path.iterdir()) == []
    assert said("a" * 100 + ".png") == "a" * 40 + "…" + ("a" * 100 + ".png")[-20:] and said("me.png") == "me.png"


def test_a_damaged_project_says_so_before_the_detail(tmp_path):
    import json
    import zipfile

    from latentbrush.core.projectfile import FORMAT

    path = tmp_path / "bad.lbproj"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.json", b'{"version": 1, "width": ')
    before = path.read_bytes()
    with pytest.raises(ProjectError) as e:
        read_project(path)
    assert str(e.value).startswith("bad.lbproj is damaged and cannot be opened (what is wrong:")
    assert path.read_bytes() == before
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("project.json", json.dumps({"format": FORMAT, "version": 99}))
    (tmp_path / "new.lbproj").write_bytes(buf.getvalue())
    with pytest.raises(ProjectError, match=r"^new\.lbproj: project version '99' is not supported"):
        read_project(tmp_path / "new.lbproj")
    (tmp_path / "empty.lbproj").write_bytes(b"")
    with pytest.raises(ProjectError, match=r"^empty\.lbproj is empty \(0 bytes\)"):
        read_project(tmp_path / "empty.lbproj")


@pytest.mark.parametrize("quality", [92, 100])
def test_a_detailed_photo_exports_as_jpeg_at_any_quality(tmp_path, quality):
    """Pillow's optimised JPEG buffer holds 1 byte a pixel (2 at ≥ 95): a grainy photo at 4:4:4 needed more,
    and the export failed with "broken data stream"."""
    noisy = np.random.default_rng(1).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    export_image(noisy, tmp_path / "grain.jpg", quality=quality)
    back = np.asarray(Image.open(tmp_path / "grain.jpg"))
    assert back.shape == noisy.shape and np.abs(back.astype(int) - noisy).mean() < (30 if quality < 100 else 5)
    assert [p.name for p in tmp_path.iterdir()] == ["grain.jpg"]


def test_a_project_keeps_the_photos_transparency_profile_and_metadata(tmp_path):
    """A project reopened used to export without the photo's colour profile, camera metadata or transparency."""
    from latentbrush.core.document import Document, DocumentInfo
    from latentbrush.core.project_write import write_project
    from latentbrush.core.projectfile import Session

    exif = Image.Exif()
    exif[271] = "Camera maker"
    alpha = np.full((48, 64), 255, np.uint8)
    alpha[:10] = 0
    info = DocumentInfo(icc_profile=b"profile bytes", exif=exif.tobytes(), alpha=alpha)
    write_project(Session(Document(ramp(), info)), tmp_path / "p.lbproj")
    back = read_project(tmp_path / "p.lbproj").doc.info
    assert back.icc_profile == b"profile bytes" and back.exif == exif.tobytes()
    assert np.array_equal(back.alpha, alpha)
    write_project(Session(Document(ramp())), tmp_path / "q.lbproj")          # a photo without them: none
    plain = read_project(tmp_path / "q.lbproj").doc.info
    assert plain.icc_profile is None and plain.exif is None and plain.alpha is None


def test_the_command_line_keeps_a_transparent_photos_alpha(tiny_models, tmp_path):
    from latentbrush.cli.main import run_cli

    rgba = np.dstack([ramp(), np.full((48, 64), 255, np.uint8)])
    rgba[:, :10, 3] = 0
    Image.fromarray(rgba, "RGBA").save(tmp_path / "logo.png")
    m = np.zeros((48, 64), np.uint8)
    m[20:30, 30:40] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    assert run_cli(["--models", str(tiny_models), "inpaint", str(tmp_path / "logo.png"), "--mask",
                    str(tmp_path / "m.png"), "-o", str(tmp_path / "out.png"), "--model", "telea"]) == 0
    out = np.asarray(Image.open(tmp_path / "out.png"))
    assert out.shape == (48, 64, 4) and np.array_equal(out[..., 3], rgba[..., 3])
    assert np.array_equal(out[:, 12:28, :3], rgba[:, 12:28, :3])        # unmasked, opaque: unchanged


def test_a_jpeg_too_large_to_decode_whole_is_still_opened_downscaled(tmp_path, monkeypatch):
    """Decoded at the target's size where that fits the decode budget, else reduced by halves until it does."""
    from latentbrush.core import imageio

    big = np.ascontiguousarray(np.tile(ramp(), (8, 8, 1)))          # 384 × 512
    Image.fromarray(big).save(tmp_path / "big.jpg", quality=95)
    monkeypatch.setattr(imageio, "MAX_DECODE_BYTES", 384 * 512 * 4 // 5)     # a fifth of its whole decode
    limit = 384 * 512 // 2            # the target, 0.7 a side, would decode whole (over the budget)
    got = load_image(tmp_path / "big.jpg", max_pixels=limit, downscale_to=limit)
    assert got.pixels.shape == (96, 128, 3)        # a quarter a side: the mildest halving within the budget


def test_a_cut_short_or_corrupted_project_is_called_damaged_in_plain_words(tmp_path):
    """A helper's truncated project was called "not a Latentbrush project", and zeroed bytes gave Python's
    "BadZipFile: Bad CRC-32 for file 'layers/base.png'"."""
    import zipfile

    from latentbrush.core.project_write import write_project
    from tests.project_corpus import make_session

    good = write_project(make_session(), tmp_path / "good.lbproj")
    data = good.read_bytes()
    (tmp_path / "cut.lbproj").write_bytes(data[: len(data) // 2])
    with pytest.raises(ProjectError, match=r"^cut\.lbproj is damaged: it begins as a project archive but its end "
                                           r"is missing"):
        read_project(tmp_path / "cut.lbproj")
    (tmp_path / "text.lbproj").write_bytes(b"hello, not an archive" * 10)
    with pytest.raises(ProjectError, match=r"^text\.lbproj is not a Latentbrush project \(not a project archive\)"):
        read_project(tmp_path / "text.lbproj")
    with zipfile.ZipFile(good) as z:                 # flip bytes inside one stored member: its checksum fails
        info = next(i for i in z.infolist() if i.filename.startswith("layers/"))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    bad = bytearray(data)
    for k in range(start + 8, start + 40):
        bad[k] ^= 0x5A
    (tmp_path / "crc.lbproj").write_bytes(bytes(bad))
    with pytest.raises(ProjectError) as e:
        read_project(tmp_path / "crc.lbproj")
    msg = str(e.value)
    assert msg.startswith("crc.lbproj is damaged and cannot be opened") and info.filename + " is damaged" in msg
    assert "BadZipFile" not in msg and "error" not in msg.lower()
    assert (tmp_path / "cut.lbproj").read_bytes() == data[: len(data) // 2]      # nothing written over


def test_a_project_given_as_an_image_says_what_to_do(tmp_path):
    from latentbrush.core.imageio import ImageLoadError
    from latentbrush.core.project_write import write_project
    from tests.project_corpus import make_session

    p = write_project(make_session(), tmp_path / "p1.lbproj")
    with pytest.raises(ImageLoadError, match=r"^p1\.lbproj is a Latentbrush project, not an image: open it in the "
                                             r"editor and export"):
        load_image(p)


def test_a_png_with_a_large_xmp_packet_opens(tmp_path):
    """Photoshop's XMP can pass Pillow's 1-MB text limit: the file was called damaged (a helper's 2.4 MB)."""
    import zlib

    from PIL import PngImagePlugin

    rng = np.random.default_rng(0)
    xmp = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz <>/=\""), 2_400_000))
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp, zip=True)
    path = tmp_path / "xmp.png"
    Image.fromarray(np.full((8, 8, 3), 77, np.uint8)).save(path, pnginfo=info)
    assert len(zlib.compress(xmp.encode())) < path.stat().st_size + 100
    got = load_image(path)
    assert got.pixels.shape == (8, 8, 3) and (got.pixels == 77).all()
