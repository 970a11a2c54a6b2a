"""The one exporter of the app: PNG / JPEG / WebP (and the animation's GIF), written to a temp file beside
the target then renamed over it (app/core/atomic.py), so a failure leaves the target as it was and no temp
file behind. The loader is app/core/imageio.py."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from latentbrush.core.atomic import ExportError, atomic_write

EXPORT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
BIG_PNG = 4_000_000    # pixels: a larger PNG is compressed faster (level 3, not 6)


class OverwriteOriginalError(ExportError):
    """Exporting would replace the opened original; needs the person's confirmation."""


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
    overwrite_protected: bool = False, exif: bytes | None = None,
) -> Path:
    """Write pixels ((H, W, 3) or (H, W, 4) uint8) atomically.

    protected: the opened original; writing onto it raises OverwriteOriginalError unless
    overwrite_protected is True. JPEG has no alpha: RGBA is flattened onto white first.
    """
    path = Path(path)
    writer = image_writer(pixels, path, quality=quality, icc_profile=icc_profile, exif=exif)   # checks the array
    if protected is not None and not overwrite_protected and path.exists():
        try:
            same = path.resolve() == Path(protected).resolve() or path.samefile(protected)
        except OSError:
            same = False
        if same:
            raise OverwriteOriginalError(f"{path.name} is the opened original; confirm to replace it")
    return atomic_write(path, writer)


def image_writer(pixels: np.ndarray, path: str | os.PathLike, *, quality: int = 92,
                 icc_profile: bytes | None = None, exif: bytes | None = None):
    """The function that encodes `pixels` for `path`'s format into an open file (for
    atomic_write / atomic_write_many, when an image is written together with other files).
    `exif`: the opened photo's metadata (camera, date…), kept in JPEG, PNG and WebP exports."""
    fmt = export_format(path)
    if not (1 <= quality <= 100):
        raise ExportError(f"quality must be 1..100, got {quality}")
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ExportError(f"cannot export an array of shape {pixels.shape} {pixels.dtype}")
    img = Image.fromarray(np.ascontiguousarray(pixels), "RGBA" if pixels.shape[2] == 4 else "RGB")
    if fmt in ("PNG", "JPEG") and pixels.shape[2] == 3 and not icc_profile and grey(pixels):
        # a grey photo stays a grey file (helper 80: a greyscale PNG, edited and exported, came out as RGB at
        # nearly twice the size); the same pixels when read back
        img = img.convert("L")
    if fmt == "JPEG" and img.mode == "RGBA":
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img).convert("RGB")
    opts: dict = {}
    if icc_profile:
        opts["icc_profile"] = icc_profile
    if exif and fmt in ("JPEG", "PNG", "WEBP"):
        opts["exif"] = exif
    if fmt == "JPEG":
        opts.update(quality=quality, optimize=True, subsampling=0 if quality >= 90 else 2)
    elif fmt == "WEBP":
        opts.update(quality=quality, lossless=quality == 100, method=4)
    elif fmt == "PNG":
        # (level 6 took 8 s for a grainy 24-MP photo on this machine, level 3 2.6 s for 8 % more bytes)
        opts.update(compress_level=6 if img.width * img.height <= BIG_PNG else 3)
    if fmt != "JPEG":
        return lambda fh: img.save(fh, format=fmt, **opts)

    def jpeg(fh) -> None:
        # Pillow's optimised JPEG is encoded in one buffer of 1 byte a pixel (2 at quality ≥ 95): a detailed
        # photo at 4:4:4 needs more, and libjpeg fails ("Suspension not allowed here"; found in stop 53 on
        # a 320 × 240 noisy test photo at quality 92). Then it is written without the optimised tables.
        buf = io.BytesIO()
        try:
            img.save(buf, format=fmt, **opts)
        except OSError:
            buf = io.BytesIO()
            img.save(buf, format=fmt, **{**opts, "optimize": False})
        fh.write(buf.getbuffer())
    return jpeg


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


def with_alpha(on_white: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8: an image shown on white (as the loader flattens a transparent photo) with its alpha put
    back; partly transparent pixels get the colour that, over white, shows as they do (c = a·x + (1 − a)·255
    solved for x), so an edge does not come out with a pale halo over a dark page."""
    a = alpha.astype(np.float32)[..., None] / 255.0
    x = (on_white.astype(np.float32) - 255.0 * (1.0 - a)) / np.maximum(a, 1e-6)
    rgb = np.where(a > 0, np.clip(np.rint(x), 0, 255), on_white).astype(np.uint8)
    return np.dstack([rgb, alpha.astype(np.uint8)])


def grey(pixels: np.ndarray) -> bool:
    """Whether every pixel of (H, W, 3) `pixels` has R = G = B (a row band at a time: a 48-MP photo's comparisons
    are not all held at once)."""
    step = max(1, (1 << 22) // max(1, pixels.shape[1]))
    return all(np.array_equal(band[..., 0], band[..., 1]) and np.array_equal(band[..., 0], band[..., 2])
               for band in (pixels[y:y + step] for y in range(0, pixels.shape[0], step)))
