"""A corpus of damaged, truncated, empty, disguised and oversized image files, generated here, and
arbitrary bytes from Hypothesis: the one loader answers each with ImageLoadError (a message for a
person) or a valid RGB image — never another exception, never a partial array."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from latentbrush.core.imageio import ImageLoadError, ImageTooLarge, load_image


def encoded(fmt: str, size=(48, 32), mode="RGB", **kw) -> bytes:
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (size[1], size[0], len(mode) if mode != "L" else 1), dtype=np.uint8)
    im = Image.fromarray(arr.squeeze(), mode)
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(w: int, h: int) -> bytes:
    """A PNG whose header claims w×h but carries (almost) no pixel data."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def flip(data: bytes, at: float, n: int = 16) -> bytes:
    b = bytearray(data)
    i = int(len(b) * at)
    for k in range(i, min(i + n, len(b))):
        b[k] ^= 0xFF
    return bytes(b)


PNG, JPEG, WEBP, BMP, TIFF = (encoded(f) for f in ("PNG", "JPEG", "WEBP", "BMP", "TIFF"))

# name → (file name, bytes, expected: "error" | "too large" | "ok")
CORPUS = {
    "empty png": ("a.png", b"", "error"),
    "one byte": ("a.png", b"\x89", "error"),
    "png signature only": ("a.png", PNG[:8], "error"),
    "png cut in the header": ("a.png", PNG[:20], "error"),
    "png cut after IHDR": ("a.png", PNG[:33], "error"),
    "png cut in IDAT": ("a.png", PNG[: len(PNG) // 2], "error"),
    "png without IEND": ("a.png", PNG[:-12], "ok"),   # all pixel data present: benign
    "png bad CRC": ("a.png", PNG[:29] + b"\0\0\0\0" + PNG[33:], "error"),
    "png corrupted pixels": ("a.png", flip(PNG, 0.6), "error"),
    "png zero width": ("a.png", png_header_only(0, 10), "error"),
    "png huge header (bomb)": ("a.png", png_header_only(100_000, 100_000), "too large"),
    "png tall header, no data": ("a.png", png_header_only(40, 4000), "error"),
    "jpeg SOI only": ("a.jpg", JPEG[:2], "error"),
    "jpeg cut at 10%": ("a.jpg", JPEG[: len(JPEG) // 10], "error"),
    "jpeg cut at 50%": ("a.jpg", JPEG[: len(JPEG) // 2], "error"),
    "jpeg cut at 90%": ("a.jpg", JPEG[: len(JPEG) * 9 // 10], "error"),
    "jpeg without EOI": ("a.jpg", JPEG[:-2], "error"),
    "jpeg garbage header": ("a.jpg", b"\xff\xd8" + b"\x00" * 200, "error"),
    "webp cut": ("a.webp", WEBP[: len(WEBP) // 2], "error"),
    "webp riff only": ("a.webp", WEBP[:12], "error"),
    "bmp cut": ("a.bmp", BMP[: len(BMP) // 3], "error"),
    "bmp header only": ("a.bmp", BMP[:54], "error"),
    "tiff cut": ("a.tif", TIFF[: len(TIFF) // 3], "error"),
    "tiff header only": ("a.tif", TIFF[:8], "error"),
    "text named png": ("notes.png", b"hello, this is a shopping list\n" * 10, "error"),
    "html named jpg": ("page.jpg", b"<!doctype html><html><body>hi</body></html>", "error"),
    "zip named png": ("a.png", b"PK\x03\x04" + b"\0" * 100, "error"),
    "gif (not allowed)": ("a.gif", encoded("GIF", mode="L"), "error"),
    "pdf named png": ("doc.png", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "error"),
    "random bytes": ("a.png", np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes(), "error"),
    "zeros": ("a.jpg", b"\0" * 4096, "error"),
    "jpeg named png (content decides)": ("photo.png", JPEG, "ok"),
    "png named jpg (content decides)": ("photo.jpg", PNG, "ok"),
    "png with no extension": ("photo", PNG, "ok"),
}


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_file_corpus(tmp_path, name):
    fname, data, expect = CORPUS[name]
    p = tmp_path / fname
    p.write_bytes(data)
    if expect == "ok":
        img = load_image(p)
        assert img.pixels.dtype == np.uint8 and img.pixels.ndim == 3 and img.pixels.shape[2] == 3
        return
    with pytest.raises(ImageTooLarge if expect == "too large" else ImageLoadError) as e:
        load_image(p)
    msg = str(e.value)
    assert p.name in msg and "Traceback" not in msg and len(msg) < 400
    assert p.read_bytes() == data                     # the file is never touched


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(ImageLoadError, match="not a file"):
        load_image(tmp_path)
    with pytest.raises(ImageLoadError, match="cannot read"):
        load_image(tmp_path / "nope.png")


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=0, max_size=2048), st.sampled_from(["x.png", "x.jpg", "x.webp", "x.bmp", "x.tif"]))
def test_arbitrary_bytes_never_escape_as_another_exception(tmp_path, data, name):
    p = tmp_path / name
    p.write_bytes(data)
    try:
        img = load_image(p)
    except ImageLoadError:
        return
    assert img.pixels.ndim == 3 and img.pixels.shape[2] == 3 and img.pixels.size > 0


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([PNG, JPEG, WEBP, BMP, TIFF]), st.integers(0, 10_000), st.integers(1, 64))
def test_mutated_real_files_never_escape(tmp_path, base, pos, n):
    b = bytearray(base)
    i = pos % max(len(b), 1)
    b[i:i + n] = bytes((x ^ 0x5A) for x in b[i:i + n])
    p = tmp_path / "m.png"
    p.write_bytes(bytes(b))
    try:
        img = load_image(p)
    except ImageLoadError:
        return
    assert img.pixels.shape[2] == 3
