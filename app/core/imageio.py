"""The one image loader and the one exporter of the app.

Load policy: formats on an allow-list; the whole file is decoded inside the error handling; EXIF
orientation applied once; a pixel-count guard (decompression bombs) that raises ImageTooLarge,
which can be answered by opening downscaled. Every mode becomes 8-bit RGB:
  RGBA / LA / P with transparency → flattened on white (notice)
  I;16 / I / F (16-bit, float)    → scaled to 8 bits from their full range (notice)
  CMYK / YCbCr / L / 1 / P         → RGB
  animated files                   → first frame (notice)
The ICC profile is kept and written back on export.

Export: PNG / JPEG / WebP, written to a temp file beside the target then renamed over it, so a
failure leaves the target as it was and no temp file behind.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP", "TIFF", "BMP"}
OPEN_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
EXPORT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
MAX_PIXELS = 80_000_000          # ~ 10k x 8k
MAX_FILE_BYTES = 1 << 30


class ImageLoadError(Exception):
    """The file could not be opened as an image; the message says why, for a person."""


class ImageTooLarge(ImageLoadError):
    def __init__(self, path: Path, size: tuple[int, int], limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"{path.name} is {size[0]}×{size[1]} = {size[0] * size[1] / 1e6:.0f} megapixels, "
            f"more than the {limit / 1e6:.0f} MP limit. It can be opened downscaled."
        )


class ExportError(Exception):
    """The image could not be written; the target file is unchanged."""


class OverwriteOriginalError(ExportError):
    """Exporting would replace the opened original; needs the person's confirmation."""


@dataclass
class LoadedImage:
    pixels: np.ndarray                  # (H, W, 3) uint8 RGB
    format: str
    icc_profile: bytes | None = None
    notices: list[str] = field(default_factory=list)


def _to_rgb(img: Image.Image, notices: list[str]) -> Image.Image:
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        full = 65535.0 if mode.startswith("I;16") or hi > 255 else 255.0
        scale = 255.0 / full if hi <= full else 255.0 / max(hi - lo, 1e-9)
        arr8 = np.clip((arr - (lo if hi > full else 0)) * scale + 0.5, 0, 255).astype(np.uint8)
        notices.append(f"{mode} image reduced to 8 bits per channel")
        return Image.fromarray(arr8, "L").convert("RGB")
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            notices.append("transparency flattened onto white")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if mode == "RGB":
        return img
    return img.convert("RGB")


def load_image(path: str | os.PathLike, *, max_pixels: int = MAX_PIXELS,
               downscale_to: int | None = None) -> LoadedImage:
    """Decode an image file completely, or raise ImageLoadError with a reason.

    downscale_to: open an over-limit image reduced so its pixel count is at most this.
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError as e:
        raise ImageLoadError(f"cannot read {path.name}: {e.strerror or e}") from e
    if not path.is_file():
        raise ImageLoadError(f"{path.name} is not a file")
    if st.st_size == 0:
        raise ImageLoadError(f"{path.name} is empty (0 bytes)")
    if st.st_size > MAX_FILE_BYTES:
        raise ImageLoadError(f"{path.name} is larger than {MAX_FILE_BYTES >> 20} MiB")
    notices: list[str] = []
    try:
        data = path.read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            old_limit = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None  # our own guard below, before any decode
            try:
                img = Image.open(io.BytesIO(data))
            finally:
                Image.MAX_IMAGE_PIXELS = old_limit
            fmt = img.format or "?"
            if fmt not in ALLOWED_FORMATS:
                raise ImageLoadError(
                    f"{path.name}: {fmt} files are not supported "
                    f"(supported: {', '.join(sorted(ALLOWED_FORMATS))})")
            w, h = img.size
            if w < 1 or h < 1:
                raise ImageLoadError(f"{path.name} has no pixels ({w}×{h})")
            if w * h > max_pixels:
                if downscale_to is None:
                    raise ImageTooLarge(path, (w, h), max_pixels)
                factor = int(np.ceil(np.sqrt(w * h / downscale_to)))
                if fmt == "JPEG":
                    img.draft("RGB", (w // factor, h // factor))
                notices.append(f"opened downscaled from {w}×{h}")
            if getattr(img, "n_frames", 1) > 1:
                notices.append(f"{img.n_frames} frames: showing the first one")
                img.seek(0)
            icc = img.info.get("icc_profile") or None
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            img.load()  # force the full decode here, inside the error handling
            img = ImageOps.exif_transpose(img)
            if downscale_to is not None and img.width * img.height > downscale_to:
                s = np.sqrt(downscale_to / (img.width * img.height))
                img = img.resize((max(1, int(img.width * s)), max(1, int(img.height * s))),
                                 Image.Resampling.LANCZOS)
            rgb = _to_rgb(img, notices)
            pixels = np.array(rgb, dtype=np.uint8)
    except ImageLoadError:
        raise
    except UnidentifiedImageError as e:
        raise ImageLoadError(f"{path.name} is not an image file Latentbrush can read") from e
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, MemoryError, IndexError, TypeError,
            ZeroDivisionError, KeyError, struct.error) as e:
        raise ImageLoadError(f"{path.name} is damaged or truncated ({type(e).__name__}: {e})") from e
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ImageLoadError(f"{path.name}: unexpected decoded shape {pixels.shape}")
    return LoadedImage(pixels=np.ascontiguousarray(pixels), format=fmt, icc_profile=icc,
                       notices=notices)


def export_format(path: str | os.PathLike) -> str:
    ext = Path(path).suffix.lower()
    try:
        return EXPORT_FORMATS[ext]
    except KeyError:
        raise ExportError(
            f"cannot export to '{ext or '(no extension)'}'; use one of "
            f"{', '.join(sorted(set(EXPORT_FORMATS)))}") from None


def export_image(
    pixels: np.ndarray, path: str | os.PathLike, *, quality: int = 92,
    icc_profile: bytes | None = None, protected: str | os.PathLike | None = None,
    overwrite_protected: bool = False,
) -> Path:
    """Write pixels ((H, W, 3) or (H, W, 4) uint8) atomically.

    protected: the opened original; writing onto it raises OverwriteOriginalError unless
    overwrite_protected is True. JPEG has no alpha: RGBA is flattened onto white first.
    """
    path = Path(path)
    fmt = export_format(path)
    if not (1 <= quality <= 100):
        raise ExportError(f"quality must be 1..100, got {quality}")
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ExportError(f"cannot export an array of shape {pixels.shape} {pixels.dtype}")
    if protected is not None and not overwrite_protected and path.exists():
        try:
            same = path.resolve() == Path(protected).resolve() or path.samefile(protected)
        except OSError:
            same = False
        if same:
            raise OverwriteOriginalError(f"{path.name} is the opened original; confirm to replace it")
    img = Image.fromarray(np.ascontiguousarray(pixels), "RGBA" if pixels.shape[2] == 4 else "RGB")
    if fmt == "JPEG" and img.mode == "RGBA":
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img).convert("RGB")
    opts: dict = {}
    if icc_profile:
        opts["icc_profile"] = icc_profile
    if fmt == "JPEG":
        opts.update(quality=quality, optimize=True, subsampling=0 if quality >= 90 else 2)
    elif fmt == "WEBP":
        opts.update(quality=quality, lossless=quality == 100, method=4)
    elif fmt == "PNG":
        opts.update(compress_level=6)
    return atomic_write(path, lambda fh: img.save(fh, format=fmt, **opts))


def atomic_write(path: Path, write) -> Path:
    """Call write(file) on a temp file next to `path`, fsync, then rename over `path`: a crash or
    an error never leaves a partial file, and an existing file is untouched until the end."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ExportError(f"folder {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, (OSError, ValueError)):
            raise ExportError(f"could not write {path.name}: {e}") from e
        raise
    return path


def export_gif(frames, path: str | os.PathLike, *, fps: float = 12.0, bounce: bool = False) -> Path:
    """Frames ((H, W, 3) uint8, equal sizes) → looping animated GIF, written atomically.
    `bounce` appends the frames backwards (A → B → A)."""
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ExportError(f"an animation is saved as .gif, not {path.suffix or 'no extension'}")
    frames = [np.asarray(f) for f in frames]
    if len(frames) < 2:
        raise ExportError("an animation needs at least 2 frames")
    shape = frames[0].shape
    if any(f.shape != shape or f.dtype != np.uint8 or f.ndim != 3 or f.shape[2] != 3 for f in frames):
        raise ExportError("animation frames must all be (H, W, 3) uint8 of the same size")
    if bounce:
        frames = frames + frames[-2:0:-1]
    imgs = [Image.fromarray(np.ascontiguousarray(f), "RGB") for f in frames]
    duration = max(20, int(round(1000 / fps)))
    return atomic_write(path, lambda fh: imgs[0].save(fh, format="GIF", save_all=True, append_images=imgs[1:],
                                                      duration=duration, loop=0, optimize=False))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
