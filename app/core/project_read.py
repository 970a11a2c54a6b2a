"""Reading `.lbproj` files (format in app/core/projectfile.py) as hostile input.

Every failure is one ProjectError with the reason; nothing is changed on disk. Limits are checked
before anything large is allocated: the archive's member names, flags and compression methods; the
uncompressed size of each member against what a session of the document's size can need (declared
sizes first, then again while inflating, since the header can lie); JSON size and depth; the shape
and type an `.npy` header declares. Then every field is checked against the document: types,
shapes, dtypes, finiteness, rectangles inside the image.
"""

from __future__ import annotations

import io
import logging
import math
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from latentbrush.core.bbox import BBox
from latentbrush.core.document import LAYERS, PAINT_LAYERS, Document, DocumentError, DocumentInfo
from latentbrush.core.history import EditStep
from latentbrush.core.latent_state import LatentState, Tuning
from latentbrush.core.patches import PixelPatch
from latentbrush.core.project_json import NPY_HEADER as _NPY_HEADER
from latentbrush.core.project_json import npy, parse_index
from latentbrush.core.projectfile import PNG_LAYERS, VERSION, ProjectError, Session

log = logging.getLogger(__name__)

MAX_MEMBERS = 100_000
MAX_INDEX_BYTES = 8 << 20          # project.json: ~130 bytes a patch; 200 steps × 33 patches ≈ 1 MB
MAX_TOTAL_BYTES = 8 << 30          # everything read, uncompressed
MAX_SIDE = 1 << 15
MAX_PIXELS = 80_000_000            # as the image loader (latentbrush.core.imageio.MAX_PIXELS)
MAX_STEPS = 1000                   # the editor keeps 200 undo steps
MAX_NZ = 4096                      # latent length
MAX_RENDER = 1024                  # generator render side
MAX_TEXT = 10_000                  # characters of a step name, notice or path
MAX_META_BYTES = 16 << 20         # the photo's colour profile or camera metadata (meta/icc, meta/exif)
MAX_TUNINGS = 64                   # generators tuned to a photo, kept in one history
MAX_TUNED_PARAMS = 512             # parameters of one tuned generator
MAX_TUNED_VALUES = 64 << 20        # values of one tuned parameter
TUNING_BYTES = 64 << 20            # read allowance per tuned generator (the 64-px DCGAN's: 7 MB)
_CHUNK = 1 << 20
_NAME = re.compile(r"^(project\.json|layers/[a-z]+\.png|arrays/[0-9]{1,9}\.npy|meta/(icc|exif))$")
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError,
               ValueError, struct.error)


class _Archive:
    """The members of a project ZIP, read with limits."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ProjectError(f"{len(infos)} members, more than a project can hold")
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if name in self.infos:
                raise ProjectError(f"member {name!r} appears twice")
            if ".." in name.split("/") or name.startswith("/") or "\\" in name or "\0" in name:
                raise ProjectError(f"member name {name!r} points outside the project")
            if not _NAME.match(name):
                continue                   # not ours: never read
            if info.flag_bits & 0x1:
                raise ProjectError(f"{name} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ProjectError(f"{name}: unsupported compression method {info.compress_type}")
            self.infos[name] = info
        self.read_total = 0
        self.total_cap = MAX_TOTAL_BYTES
        self.used: set[str] = set()        # each array is written once: a second reference is hostile

    def read(self, name: Any, cap: int) -> bytes:
        info = self.infos.get(name) if isinstance(name, str) else None
        if info is None:
            raise ProjectError(f"missing member {str(name)[:80]!r}")
        if name in self.used:
            raise ProjectError(f"{name} is referenced twice")
        self.used.add(name)
        if info.file_size > cap:
            raise ProjectError(f"{name} inflates to {info.file_size:,} bytes, more than this project can "
                               f"need ({cap:,})")
        if self.read_total + info.file_size > self.total_cap:
            raise ProjectError(f"more than {self.total_cap:,} bytes in all, more than this project can need")
        try:
            with self.zf.open(info) as fh:
                # the declared size may lie: inflate in small pieces, never past the cap
                chunks, size = [], 0
                while size <= cap and (chunk := fh.read(min(_CHUNK, cap + 1 - size))):
                    chunks.append(chunk)
                    size += len(chunk)
                data = b"".join(chunks)
        except ProjectError:
            raise
        except _ZIP_ERRORS as e:
            why = ("its contents do not match their checksum" if "CRC" in str(e) else
                   "it cannot be unpacked" if isinstance(e, zlib.error) else "its archive entry is broken")
            raise ProjectError(f"{name} is damaged ({why})") from e
        if len(data) > cap:
            raise ProjectError(f"{name} inflates past {cap:,} bytes, more than this project can need")
        if len(data) != info.file_size:
            raise ProjectError(f"{name}: {len(data):,} bytes, its header says {info.file_size:,}")
        self.read_total += len(data)
        return data


def _text(v: Any, what: str, *, empty: bool = True) -> str:
    if not isinstance(v, str) or len(v) > MAX_TEXT or (not empty and not v):
        raise ProjectError(f"{what} must be {'a' if empty else 'a non-empty'} string, found {str(v)[:60]!r}")
    return v


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return type(v) is int        # not bool


def _list(v: Any, what: str, most: int = MAX_STEPS) -> list:
    if not isinstance(v, list):
        raise ProjectError(f"{what} must be a list, found {type(v).__name__}")
    if len(v) > most:
        raise ProjectError(f"{len(v)} {what}, more than a project holds ({most})")
    return v


class _Reader:
    """Members and fields of one project, each checked against the document's size."""

    def __init__(self, archive: _Archive, w: int, h: int) -> None:
        self.ar, self.w, self.h = archive, w, h
        self.tunings: dict[str, Tuning] = {}
        px = w * h
        self.png_cap = int(px * 4 * 1.02) + 6 * h + (1 << 20)    # deflate-stored worst case
        self.ar.total_cap = min(MAX_TOTAL_BYTES, MAX_INDEX_BYTES + (2 * MAX_STEPS + 8) * 4 * px)

    def array(self, name: Any, nbytes: int) -> np.ndarray:
        return npy(self.ar.read(name, nbytes + _NPY_HEADER), str(name))

    def png(self, name: str, mode: str) -> np.ndarray:
        data = self.ar.read(name, self.png_cap)
        try:
            with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
                if im.mode != mode:
                    raise ProjectError(f"{name}: expected a {mode} PNG, found {im.mode}")
                if im.size != (self.w, self.h):
                    raise ProjectError(f"{name}: {im.size[0]}×{im.size[1]}, the project is {self.w}×{self.h}")
                a = np.asarray(im).copy()
        except ProjectError:
            raise
        except UnidentifiedImageError:
            raise ProjectError(f"{name} is not a PNG image") from None
        except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error,
                Image.DecompressionBombError) as e:
            raise ProjectError(f"{name}: not a readable PNG ({e})") from e
        if a.shape[:2] != (self.h, self.w) or a.dtype != np.uint8:
            raise ProjectError(f"{name}: decoded as {a.shape} {a.dtype}")
        return a

    def bbox(self, v: Any) -> BBox:
        if not (isinstance(v, list) and len(v) == 4 and all(_is_int(x) for x in v)):
            raise ProjectError(f"bad rectangle {str(v)[:80]}")
        b = BBox(*v)
        if b.is_empty() or b.x0 < 0 or b.y0 < 0 or b.x1 > self.w or b.y1 > self.h:
            raise ProjectError(f"rectangle {v} outside the {self.w}×{self.h} image")
        return b

    def floats(self, name: Any, shape: tuple[int, ...] | None, what: str, *, ndim: int, most: int) -> np.ndarray:
        a = self.array(name, most * 8)
        if a.dtype.kind != "f" or a.ndim != ndim or (shape is not None and a.shape != shape):
            raise ProjectError(f"{what}: expected {shape or f'{ndim}-D'} floats, found {a.shape} {a.dtype}")
        if not np.isfinite(a).all():
            raise ProjectError(f"{what} holds NaN or infinite values")
        return a.astype(np.float32)

    def state(self, d: Any) -> LatentState | None:
        if d is None:
            return None
        if not isinstance(d, dict):
            raise ProjectError("bad latent state")
        try:
            region = self.bbox(d["region"])
            generator = _text(d["generator"], "latent generator", empty=False)
            ref = self.array(d["reference"], region.area * 3)
            if ref.shape != (region.height, region.width, 3) or ref.dtype != np.uint8:
                raise ProjectError(f"latent reference {ref.shape} {ref.dtype} does not match its region {region}")
            z_base = self.floats(d["z_base"], None, "latent z_base", ndim=1, most=MAX_NZ)
            if not 1 <= z_base.size <= MAX_NZ:
                raise ProjectError(f"latent of length {z_base.size}")
            z = self.floats(d["z"], z_base.shape, "latent z", ndim=1, most=MAX_NZ)
            base_render = self.floats(d["base_render"], None, "latent render", ndim=3, most=MAX_RENDER**2 * 3)
            r = base_render.shape
            if r[0] != r[1] or r[2] != 3 or not 1 <= r[0] <= MAX_RENDER:
                raise ProjectError(f"latent render of shape {r}, expected (R, R, 3)")
            render = None if d.get("render") is None else self.floats(d["render"], r, "latent render", ndim=3,
                                                                       most=r[0] * r[1] * 3)
            cands = tuple(self.floats(c, z.shape, "latent candidate", ndim=1, most=z.size)
                          for c in _list(d.get("candidates", []), "latent candidates", 1000))
            psnr = d.get("fit_psnr")
            if psnr is not None and (isinstance(psnr, bool) or not isinstance(psnr, (int, float))
                                     or not -1e6 < psnr <= math.inf):
                raise ProjectError(f"latent fit_psnr {str(psnr)[:40]!r} is not a number")
            shown = _text(d.get("shown", ""), "latent shown")
            made_by = _text(d.get("made_by", ""), "latent made_by")
            sliders = _list(d.get("sliders", []), "latent sliders", 256)      # (written since stop 53)
            if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and len(p[0]) <= 200
                       and _is_num(p[1]) and math.isfinite(p[1]) for p in sliders):
                raise ProjectError(f"latent sliders {str(sliders)[:60]} are not (name, number) pairs")
            warp = d.get("warp")
            if warp is not None:
                if not (isinstance(warp, list) and len(warp) == 2 and all(
                        isinstance(row, list) and len(row) == 3 and all(_is_num(v) for v in row) for row in warp)):
                    raise ProjectError(f"latent warp {str(warp)[:60]} is not a 2×3 matrix of numbers")
                warp = np.array(warp, np.float64)
                if not np.isfinite(warp).all() or abs(np.linalg.det(warp[:, :2])) < 1e-12:
                    raise ProjectError("latent warp is not an invertible finite transform")
            key = d.get("tuning")
            tuning = None
            if key is not None:
                if not isinstance(key, str) or key not in self.tunings:
                    raise ProjectError(f"latent state names an unknown tuning {str(key)[:40]!r}")
                tuning = self.tunings[key]
        except KeyError as e:
            raise ProjectError(f"latent state without {e}") from e
        return LatentState(region=region, generator=generator, z_base=z_base, base_render=base_render,
                           reference=ref, z=z, render=render, shown=shown,
                           fit_psnr=None if psnr is None else float(psnr), candidates=cands,
                           warp=warp, tuning=tuning, made_by=made_by[:40], sliders=tuple(map(tuple, sliders)),
                           **self.around(d, region))

    def around(self, d: dict, region: BBox) -> dict:
        """A slider edit carried past its region: the box, the box's pixels before it, its digest (since stop 59)."""
        if d.get("around") is None:
            return {}
        box = self.bbox(d["around"])
        ref = self.array(d.get("around_ref"), box.area * 3)
        if ref.shape != (box.height, box.width, 3) or ref.dtype != np.uint8 or box.union(region) != box:
            raise ProjectError(f"latent carried box {tuple(box)} does not hold its region or match its pixels")
        return {"around": box, "around_ref": ref, "around_shown": _text(d.get("around_shown", ""), "latent shown")}

    def read_tunings(self, d: Any) -> None:
        """The tuned generators (weight deltas) the states refer to, each checked against its key."""
        if d is None:
            return
        if not isinstance(d, dict) or len(d) > MAX_TUNINGS:
            raise ProjectError("bad tunings")
        self.ar.total_cap += len(d) * TUNING_BYTES
        for key, t in d.items():
            if not isinstance(t, dict) or not isinstance(t.get("delta"), dict) or not t["delta"]:
                raise ProjectError(f"bad tuning {str(key)[:40]!r}")
            if len(t["delta"]) > MAX_TUNED_PARAMS:
                raise ProjectError(f"tuning {str(key)[:40]!r} names {len(t['delta'])} parameters")
            delta = {}
            for name, member in t["delta"].items():
                a = self.array(member, MAX_TUNED_VALUES * 2)
                if a.dtype != np.float16 or not 1 <= a.ndim <= 4 or a.size > MAX_TUNED_VALUES:
                    raise ProjectError(f"tuning parameter {str(name)[:40]!r}: {a.shape} {a.dtype}")
                if not np.isfinite(a).all():
                    raise ProjectError(f"tuning parameter {str(name)[:40]!r} holds NaN or infinite values")
                delta[_text(name, "tuning parameter", empty=False)] = a
            nums = [t.get("psnr_before"), t.get("psnr")]
            if not all(v is None or _is_num(v) for v in nums):
                raise ProjectError(f"tuning {str(key)[:40]!r}: fit figures are not numbers")
            tuning = Tuning(delta, *(math.nan if v is None else float(v) for v in nums))
            if tuning.key != key:
                raise ProjectError(f"tuning {str(key)[:40]!r} does not match its weights (damaged)")
            self.tunings[key] = tuning

    def patch(self, d: Any) -> PixelPatch:
        if not isinstance(d, dict) or d.get("layer") not in LAYERS:
            raise ProjectError(f"bad patch {str(d)[:80]}")
        box = self.bbox(d.get("bbox"))
        shape = (box.height, box.width, *LAYERS[d["layer"]])
        nbytes = math.prod(shape)
        before, after = self.array(d.get("before"), nbytes), self.array(d.get("after"), nbytes)
        if before.shape != shape or after.shape != shape or before.dtype != np.uint8 or after.dtype != np.uint8:
            raise ProjectError(f"patch arrays {before.shape}/{after.shape} do not fit {d['layer']} {box}")
        return PixelPatch(d["layer"], box, before, after)

    def step(self, s: Any) -> EditStep:
        if not isinstance(s, dict):
            raise ProjectError(f"bad undo step {str(s)[:80]}")
        patches = [self.patch(p) for p in _list(s.get("patches", []), "step patches", MAX_MEMBERS)]
        lat = s.get("latent")
        if lat is not None and not (isinstance(lat, list) and len(lat) == 2):
            raise ProjectError("a step's latent must be [before, after]")
        return EditStep(_text(s.get("text", ""), "step text"), patches,
                        None if lat is None else (self.state(lat[0]), self.state(lat[1])))


def read_project(path: str | Path) -> Session:
    path = Path(path)
    try:
        if not path.is_file():
            raise ProjectError(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
        if path.stat().st_size == 0:
            raise ProjectError(f"{path.name} is empty (0 bytes): not a Latentbrush project")
        zf = zipfile.ZipFile(path)
    except ProjectError:
        raise
    except PermissionError:
        raise ProjectError(f"{path.name} cannot be read (permission denied)") from None
    except _ZIP_ERRORS as e:
        with open(path, "rb") as fh:        # a project cut short (a copy that stopped, a full disk)?
            cut = fh.read(4) == b"PK\x03\x04"
        if cut:
            raise ProjectError(f"{path.name} is damaged: it begins as a project archive but its end is missing "
                               "(cut short, or partly overwritten)") from e
        raise ProjectError(f"{path.name} is not a Latentbrush project (not a project archive)") from e
    with zf:
        try:
            return _read(_Archive(zf))
        except ProjectError as e:
            plain = str(e).startswith(("project version", "not a Latentbrush project"))
            # what is wrong inside, for a bug report, after what it means (a helper found "bad history
            # position -5" alone unclear)
            raise ProjectError(f"{path.name}: {e}" if plain else
                               f"{path.name} is damaged and cannot be opened (what is wrong: {e})") from e
        except (MemoryError, RecursionError) as e:      # limits above should make these unreachable
            raise ProjectError(f"{path.name}: too large or too deeply nested ({type(e).__name__})") from e
        except (TypeError, AttributeError, IndexError, KeyError, ValueError, DocumentError) as e:
            log.exception("unexpected reader failure on %s", path)
            raise ProjectError(f"{path.name} is damaged and cannot be opened (what is wrong: {type(e).__name__}: {e})"
                               ) from e


def _read(ar: _Archive) -> Session:
    if "project.json" not in ar.infos:
        raise ProjectError("not a Latentbrush project (no project.json)")
    meta = parse_index(ar.read("project.json", MAX_INDEX_BYTES))
    version = meta.get("version")
    if version != VERSION or not _is_int(version):
        raise ProjectError(f"project version {str(version)[:20]!r} is not supported (this version of "
                           f"Latentbrush reads version {VERSION})")
    w, h = meta.get("width"), meta.get("height")
    if not (_is_int(w) and _is_int(h) and 0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE and w * h <= MAX_PIXELS):
        raise ProjectError(f"bad image size {str(w)[:20]!r}×{str(h)[:20]!r}")
    src = meta.get("source")
    if src is not None:
        _text(src, "source", empty=False)
    notices = [_text(n, "notice") for n in _list(meta.get("notices", []), "notices", 100)]
    steps_meta = _list(meta.get("steps", []), "steps")
    index = meta.get("index", len(steps_meta))
    if not (_is_int(index) and 0 <= index <= len(steps_meta)):
        raise ProjectError(f"bad history position {str(index)[:20]}")
    r = _Reader(ar, w, h)
    r.read_tunings(meta.get("tunings"))
    layers = {name: r.png(f"layers/{name}.png", mode) for name, mode in PNG_LAYERS.items()}
    original = r.png("layers/original.png", "RGB")
    steps = [r.step(s) for s in steps_meta]
    latent = r.state(meta.get("latent"))
    # (optional: written since stop 53, where the photo has them)
    alpha = r.png("layers/alpha.png", "L") if "layers/alpha.png" in ar.infos else None
    icc, exif = (ar.read(n, MAX_META_BYTES) or None if n in ar.infos else None for n in ("meta/icc", "meta/exif"))
    doc = Document(original, DocumentInfo(path=Path(src) if src else None, notices=notices, alpha=alpha,
                                          icc_profile=icc, exif=exif))
    for name, a in layers.items():
        doc.write(name, doc.bounds, a)
    doc.latent = latent
    return Session(doc, steps, index, _visible(meta.get("visible")))


def _visible(v: Any) -> dict[str, bool] | None:
    """Which paint layers are shown ({layer: bool}); absent in files written before it was saved."""
    if v is None:
        return None
    if not isinstance(v, dict) or not all(k in PAINT_LAYERS and isinstance(on, bool) for k, on in v.items()):
        raise ProjectError(f"bad layer visibility {str(v)[:80]}")
    return dict(v)
