"""The one image loader and the one exporter of the app.

Load policy: formats on an allow-list; the whole file is decoded inside the error handling; EXIF
orientation applied once; a pixel-count guard (decompression bombs) that raises ImageTooLarge,
which can be answered by opening downscaled. Every mode becomes 8-bit RGB:
  RGBA / LA / P with transparency → shown on white, the alpha kept beside it (for PNG / WebP exports)
  I;16 / I / F (16-bit, float)    → scaled to 8 bits from their full range (notice)
  CMYK / YCbCr / L / 1 / P         → RGB
  animated files                   → first frame (notice)
The ICC profile is kept and written back on export.

Export (app/core/imagewrite.py, re-exported here): PNG / JPEG / WebP, written to a temp file beside the
target then renamed over it, so a failure leaves the target as it was and no temp file behind.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFile, ImageOps, PngImagePlugin, UnidentifiedImageError

from latentbrush.core.atomic import ExportError, atomic_write, atomic_write_many  # noqa: F401  (re-exported)
from latentbrush.core.imagewrite import (  # noqa: F401  (re-exported: the exporter is its own module)
    EXPORT_FORMATS,
    OverwriteOriginalError,
    export_format,
    export_gif,
    export_image,
    image_writer,
)

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP", "TIFF", "BMP", "MPO"}   # MPO: a JPEG holding more pictures (phones)
SHOWN_FORMATS = "BMP, JPEG, PNG, TIFF, WEBP"
TRANSPARENCY = "transparency shown on white (kept in PNG and WebP exports; a JPEG has none)"
DEPTHS = {"I;16": "16-bit", "I;16B": "16-bit", "I;16L": "16-bit", "I": "32-bit", "F": "floating-point"}
OPEN_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
MAX_PIXELS = 80_000_000          # ~ 10k x 8k
MAX_FILE_BYTES = 1 << 30
MAX_DECODE_BYTES = 640 << 20     # what opening downscaled may decode in full (formats without draft)
PEEK_ABOVE_BYTES = 32 << 20      # larger files are refused from their header before they are read
# a PNG's compressed text and colour profile: Pillow refuses past 1 MB each (decompression bombs) and the file was
# called damaged; Photoshop's XMP or a wide-gamut profile passes that (a helper's 2.4 MB XMP). Still bounded:
PngImagePlugin.MAX_TEXT_CHUNK = max(PngImagePlugin.MAX_TEXT_CHUNK, 32 << 20)
PngImagePlugin.MAX_TEXT_MEMORY = max(PngImagePlugin.MAX_TEXT_MEMORY, 128 << 20)


class ImageLoadError(Exception):
    """The file could not be opened as an image; the message says why, for a person."""


class ImageTooLarge(ImageLoadError):
    """Over the pixel limit. can_downscale: whether load_image(downscale_to=…) can open it within
    MAX_DECODE_BYTES (JPEG is reduced while decoding; other formats are decoded whole first). `too_many`: the
    first sentence alone (the editor asks its own question after it)."""

    def __init__(self, path: Path, size: tuple[int, int], limit: int, can_downscale: bool = True) -> None:
        self.size = size
        self.limit = limit
        self.can_downscale = can_downscale
        self.too_many = (f"{path.name} is {size[0]}×{size[1]} = {size[0] * size[1] / 1e6:.0f} megapixels, "
                         f"more than the {limit / 1e6:.0f} MP limit.")
        super().__init__(
            self.too_many + " "
            + ("Scale it down first (the editor offers to open it downscaled)." if can_downscale else
               "It is too large to open even downscaled: save it as JPEG or crop it first.")
        )


class SizeMismatch(ImageLoadError):
    """A mask / strokes / label image whose size differs from its image's (found from the header)."""

    def __init__(self, what: str, path: Path, size: tuple[int, int], expected: tuple[int, int]) -> None:
        self.size, self.expected = tuple(size), tuple(expected)
        super().__init__(f"the {what} {path.name} is {size[0]}×{size[1]} but the image is "
                         f"{expected[0]}×{expected[1]}: the {what} must be the same size as the image")


@dataclass
class LoadedImage:
    pixels: np.ndarray                  # (H, W, 3) uint8 RGB
    format: str
    icc_profile: bytes | None = None
    notices: list[str] = field(default_factory=list)
    exif: bytes | None = None           # the camera's metadata, its orientation dropped (the pixels are upright)
    alpha: np.ndarray | None = None     # (H, W) uint8 where the file has transparency (the pixels are on white)


WIDE_MODES = ("I;16", "I;16B", "I;16L", "I", "F")      # 16-bit, 32-bit and floating-point single-channel images


def eight_bit(img: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit or floating-point image as 8-bit RGB, scaled the way an opened image is (a float mask in
    0–1 read as all black, a helper); other images as they are."""
    return _to_rgb(img, [])[0] if img.mode in WIDE_MODES else img


def _to_rgb(img: Image.Image, notices: list[str]) -> tuple[Image.Image, np.ndarray | None]:
    """(the image as 8-bit RGB, its alpha where it has transparency)."""
    mode = img.mode
    if mode in WIDE_MODES:
        arr = np.asarray(img, dtype=np.float64)
        bad = ~np.isfinite(arr)
        if bad.all():
            raise ImageLoadError("the image holds no numbers (every pixel is NaN or infinite)")
        if bad.any():       # (one NaN made min and max NaN: the whole image came out black, a helper)
            arr = np.where(bad, 0.0, arr)
            notices.append(f"{int(bad.sum())} pixels that held no number (NaN or infinity) set to black")
        lo, hi = float(arr.min()), float(arr.max())
        # a floating-point image within 0–1 (scientific and HDR tools write these) is 0–1, not 0–255
        full = 65535.0 if mode.startswith("I;16") or hi > 255 else 1.0 if mode == "F" and lo >= 0 and hi <= 1 else 255.0
        scale = 255.0 / full if hi <= full else 255.0 / max(hi - lo, 1e-9)
        arr8 = np.clip((arr - (lo if hi > full else 0)) * scale + 0.5, 0, 255).astype(np.uint8)
        notices.append(f"{DEPTHS.get(mode, mode)} image reduced to 8 bits per channel")
        return Image.fromarray(arr8, "L").convert("RGB"), None
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        alpha = None
        if rgba.getextrema()[3][0] < 255:
            notices.append(TRANSPARENCY)
            alpha = np.array(rgba.getchannel("A"))
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB"), alpha
    if mode == "RGB":
        return img, None
    return img.convert("RGB"), None


def _sixteen_bit(img: Image.Image) -> bool:
    """A 16-bit-per-channel colour PNG or TIFF, which Pillow decodes to 8 bits without a word."""
    return any(";16" in str(t[3] if isinstance(t[3], str) else (t[3] or ("",))[0]) for t in (img.tile or ())
               ) and img.mode in ("RGB", "RGBA")


def _read_file(path: Path, what: str, check: Callable[[Image.Image], None] | None = None) -> bytes:
    """The file's bytes, after the cheap checks; a person-readable ImageLoadError otherwise.
    check: run on the header of a large file before the whole file is read (it raises to refuse)."""
    label = f"{what} {path.name}" if what else path.name
    try:
        st = path.stat()
    except OSError as e:
        raise ImageLoadError(f"cannot read {label}: {e.strerror or e}") from e
    if not path.is_file():
        raise ImageLoadError(f"{label} is not a file")
    if st.st_size == 0:
        raise ImageLoadError(f"{label} is empty (0 bytes)")
    if st.st_size > MAX_FILE_BYTES:
        raise ImageLoadError(f"{label} is larger than {MAX_FILE_BYTES >> 20} MiB")
    try:
        if check is not None and st.st_size > PEEK_ABOVE_BYTES:
            with open(path, "rb") as fh:
                _peek(fh, path, what, check)
        return path.read_bytes()
    except PermissionError as e:
        raise ImageLoadError(f"cannot read {label}: permission denied") from e
    except OSError as e:
        raise ImageLoadError(f"cannot read {label}: {e.strerror or e}") from e


def _peek(fh: BinaryIO, path: Path, what: str, check: Callable[[Image.Image], None]) -> None:
    """Refuse a file from its header alone; a header Pillow cannot parse is left to the full read,
    which reports it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = _open_header(fh, path, what)
    except ImageLoadError:
        raise
    except (UnidentifiedImageError, *_DECODE_ERRORS):
        return
    check(img)


def _open_header(data: bytes | BinaryIO, path: Path, what: str) -> Image.Image:
    """Image.open (reads the header only) with Pillow's own bomb limit off — our guards follow —
    and the format allow-list applied before anything is decoded."""
    label = f"{what} {path.name}" if what else path.name
    old_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # our own guard, before any decode
    try:
        img = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    finally:
        Image.MAX_IMAGE_PIXELS = old_limit
    fmt = img.format or "?"
    if fmt not in ALLOWED_FORMATS:
        raise ImageLoadError(f"{label}: {fmt} files are not supported (supported: {SHOWN_FORMATS})")
    w, h = img.size
    if w < 1 or h < 1:
        raise ImageLoadError(f"{label} has no pixels ({w}×{h})")
    return img


def _decode_bytes(img: Image.Image) -> int:
    """What decoding `img` costs in Pillow's own storage (RGB is kept as 4 bytes a pixel)."""
    per = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "LA": 4, "PA": 4}.get(img.mode, 4)
    return img.width * img.height * per


def _can_downscale(img: Image.Image) -> bool:
    """JPEG decodes at down to 1/8 a side (draft); other formats are decoded whole first."""
    return _decode_bytes(img) // (64 if img.format in ("JPEG", "MPO") else 1) <= MAX_DECODE_BYTES


_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError,
                  Image.DecompressionBombWarning, MemoryError, IndexError, TypeError,
                  ZeroDivisionError, KeyError, struct.error)


def load_image(path: str | os.PathLike, *, max_pixels: int = MAX_PIXELS,
               downscale_to: int | None = None) -> LoadedImage:
    """Decode an image file completely, or raise ImageLoadError with a reason.

    downscale_to: open an over-limit image reduced so its pixel count is at most this. JPEG is
    reduced while decoding (draft); other formats are decoded whole first, so above
    MAX_DECODE_BYTES of decoded pixels they are refused instead.
    """
    path = Path(path)

    def too_large(img: Image.Image) -> None:
        if img.width * img.height > max_pixels and downscale_to is None:
            raise ImageTooLarge(path, img.size, max_pixels, can_downscale=_can_downscale(img))

    data = _read_file(path, "", too_large)
    notices: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = _open_header(data, path, "")
            fmt = "JPEG" if img.format == "MPO" else img.format or "?"      # (its first picture is the photo)
            w, h = img.size
            if w * h > max_pixels:
                if downscale_to is None:
                    raise ImageTooLarge(path, (w, h), max_pixels, can_downscale=_can_downscale(img))
                s = np.sqrt(downscale_to / (w * h))
                if fmt == "JPEG":           # reduced while decoding, by halves, to no less than the target …
                    fit = np.sqrt(MAX_DECODE_BYTES / (4 * w * h))      # … unless that decode is over the budget
                    s = s if s <= fit else 0.5 ** np.ceil(np.log2(1 / fit))
                    img.draft("RGB", (int(np.ceil(w * s)), int(np.ceil(h * s))))
                if _decode_bytes(img) > MAX_DECODE_BYTES:
                    raise ImageLoadError(
                        f"{path.name} is {w}×{h}: too large to open even downscaled ({fmt} is decoded "
                        f"whole first, {_decode_bytes(img) / 1e9:.1f} GB; the limit is "
                        f"{MAX_DECODE_BYTES / 1e9:.1f} GB). Save it as JPEG or crop it first.")
                notices.append(f"opened downscaled from {w}×{h}")
            if getattr(img, "n_frames", 1) > 1 and img.format != "MPO":
                notices.append(f"{img.n_frames} frames: showing the first one")
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            if _sixteen_bit(img):
                notices.append("16-bit image reduced to 8 bits per channel")
            icc = img.info.get("icc_profile") or None
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            img.load()  # force the full decode here, inside the error handling
            ImageOps.exif_transpose(img, in_place=True)   # no copy of an upright image
            exif = _upright_exif(img, notices)
            if downscale_to is not None and img.width * img.height > downscale_to:
                s = np.sqrt(downscale_to / (img.width * img.height))
                nw, nh = max(1, int(img.width * s)), max(1, int(img.height * s))
                # the two separable passes Pillow makes anyway, with the decoded image freed between
                # them: never the decoded image, the intermediate and the result at once
                img = img.resize((img.width, nh), Image.Resampling.LANCZOS)
                img = img.resize((nw, nh), Image.Resampling.LANCZOS)
            rgb, alpha = _to_rgb(img, notices)
            pixels = np.array(rgb, dtype=np.uint8)
    except ImageLoadError:
        raise
    except UnidentifiedImageError as e:
        if path.suffix.lower() == ".lbproj":    # a helper gave one to the command line
            raise ImageLoadError(f"{path.name} is a Latentbrush project, not an image: open it in the editor and "
                                 "export the image (File ▸ Export…, Ctrl+Shift+E) to edit it here") from e
        raise ImageLoadError(f"{path.name} is not an image file Latentbrush can read") from e
    except _DECODE_ERRORS as e:
        raise ImageLoadError(f"{path.name} {damaged(e)}") from e
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ImageLoadError(f"{path.name}: unexpected decoded shape {pixels.shape}")
    return LoadedImage(pixels=np.ascontiguousarray(pixels), format=fmt, icc_profile=icc,
                       notices=notices, exif=exif, alpha=alpha)


def damaged(e: BaseException) -> str:
    """What to say of a file whose decoding raised `e`, for a person (the decoder's words last)."""
    if "truncated" in str(e) or isinstance(e, EOFError):
        return "is incomplete (the file ends early: a download or copy that did not finish?) and cannot be opened"
    return f"is damaged and cannot be opened (the decoder said: {e or type(e).__name__})"


def replace_losses(notices: list[str], *, keeps_alpha: bool = False) -> list[str]:
    """What writing the edit over the file it was opened from would lose, from the notices of its opening
    (kept in projects too): its full size, transparency (unless `keeps_alpha`: the export carries it), bit
    depth, other frames or metadata."""
    lost = []
    for n in notices:
        if n.startswith("opened downscaled from "):
            lost.append(f"its full size ({n.removeprefix('opened downscaled from ')} on disk)")
        elif n.startswith("transparency") and not keeps_alpha:
            lost.append("its transparency (the transparent parts are white in the edit)")
        elif n.endswith("reduced to 8 bits per channel"):
            lost.append(f"its {n.removesuffix(' image reduced to 8 bits per channel')} precision (the edit has 8 bits"
                        " per channel)")
        elif "frames: showing the first one" in n:
            lost.append("its other frames (the edit is the first one alone)")
        elif n.startswith("its metadata"):
            lost.append("its metadata (EXIF)")
    return lost


# EXIF kept in exports: what describes the photo (camera, date, author, resolution, the Exif and GPS
# blocks), not how the source file was laid out (a TIFF's own strip and size tags, Photoshop / XMP /
# IPTC blocks there: wrong for another file, and large enough to make a JPEG unwritable)
EXIF_KEEP = frozenset({270, 271, 272, 282, 283, 296, 305, 306, 315, 33432, 0x8769, 0x8825})
EXIF_STALE = (0xA002, 0xA003, 0x0112)       # Exif block: pixel width / height (turned, downscaled), orientation
EXIF_MAX = 60_000                          # bytes: a JPEG's EXIF segment holds 65 533 at most


def _upright_exif(img: Image.Image, notices: list[str]) -> bytes | None:
    """The image's EXIF as bytes to write into an export, the descriptive tags only (`EXIF_KEEP`),
    without its orientation (the pixels were turned upright); None without EXIF, where it cannot be
    read, or where it is too large for a JPEG (a notice says so)."""
    try:
        exif = img.getexif()
        kept = Image.Exif()
        for tag, value in exif.items():
            if tag in (0x8769, 0x8825):
                block = {k: v for k, v in exif.get_ifd(tag).items() if not (tag == 0x8769 and k in EXIF_STALE)}
                if block:
                    kept.get_ifd(tag).update(block)
            elif tag in EXIF_KEEP:
                kept[tag] = value
        data = kept.tobytes() if len(kept) else None
    except Exception:       # a damaged EXIF block must not stop the photo from opening  # noqa: BLE001
        return None
    if data is not None and len(data) > EXIF_MAX:
        notices.append(f"its metadata ({len(data) // 1000} kB of EXIF) is too large to keep in exports")
        return None
    return data


def load_companion(path: str | os.PathLike, size: tuple[int, int], *, what: str = "mask",
                   transpose: bool = True, decode: bool = True) -> Image.Image:
    """A mask, strokes or label image that goes with an image of `size` (w, h): the same
    allow-list and guards as load_image, and its declared size is compared with `size` from the
    header, before anything is decoded. Returns the decoded PIL image in its own mode (EXIF
    orientation applied when `transpose`). Raises ImageLoadError (SizeMismatch for the size).
    decode=False: only the checks on the header (the returned image is not loaded)."""
    path = Path(path)

    def fits(img: Image.Image) -> None:
        w, h = img.size
        # an EXIF rotation may swap the sides; the exact size is checked again after decoding
        if (w, h) != tuple(size) and not (transpose and (h, w) == tuple(size)):
            raise SizeMismatch(what, path, (w, h), size)
        if w * h > MAX_PIXELS:
            raise ImageTooLarge(path, (w, h), MAX_PIXELS)

    data = _read_file(path, f"the {what}", fits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = _open_header(data, path, f"the {what}")
            fits(img)
            if not decode:
                return img
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            img.load()
            if transpose:
                ImageOps.exif_transpose(img, in_place=True)
    except ImageLoadError:
        raise
    except UnidentifiedImageError as e:
        raise ImageLoadError(f"the {what} {path.name} is not an image file Latentbrush can read") from e
    except _DECODE_ERRORS as e:
        raise ImageLoadError(f"the {what} {path.name} {damaged(e)}") from e
    if img.size != tuple(size):
        raise SizeMismatch(what, path, img.size, size)
    return img
