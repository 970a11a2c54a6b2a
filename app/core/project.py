"""Project files (`.lbproj`): the whole session — layers, latent state, undo history — in one
file; also the autosave format. No Qt, no torch.

Format (version 1): a ZIP archive holding
    project.json        {"format": "latentbrush-project", "version": 1, "width", "height",
                         "source": original path or null, "notices": [...],
                         "latent": STATE or null, "index": applied steps,
                         "steps": [{"text", "patches": [PATCH...], "latent": [STATE|null, STATE|null] | absent}]}
    layers/base.png     RGB, the image as shown        layers/original.png   RGB, as opened
    layers/scribble.png RGBA                           layers/mask.png, layers/parts.png  8-bit grey
    arrays/N.npy        every other array (NumPy .npy, read with allow_pickle=False)
PATCH = {"layer", "bbox": [x0, y0, x1, y1], "before": "arrays/N.npy", "after": "arrays/N.npy"}
STATE = {"region": [x0, y0, x1, y1], "generator", "z_base", "base_render", "reference", "z",
         "render" (or null), "candidates": [...], "shown", "fit_psnr"} with array fields naming .npy
members. The layers hold the state after the first `index` steps; steps past `index` are redo
history. Reading checks everything against the image size (a damaged or hostile file raises
ProjectError and changes nothing).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.bbox import BBox
from app.core.document import LAYERS, Document, DocumentInfo
from app.core.imageio import atomic_write
from app.core.latent_state import LatentState
from app.core.patches import PixelPatch

FORMAT = "latentbrush-project"
VERSION = 1
EXTENSION = ".lbproj"
MAX_MEMBERS = 100_000
MAX_TOTAL_BYTES = 8 << 30          # uncompressed
MAX_SIDE = 1 << 15
PNG_LAYERS = {"base": "RGB", "scribble": "RGBA", "mask": "L", "parts": "L"}


class ProjectError(ValueError):
    """A project file that cannot be read (with the reason)."""


@dataclass
class EditStep:
    text: str
    patches: list[PixelPatch] = field(default_factory=list)
    latent: tuple | None = None        # (state before, state after) when the step changes it

    def apply(self, doc: Document) -> None:
        for p in self.patches:
            p.apply(doc)
        if self.latent is not None:
            doc.set_latent(self.latent[1])

    def revert(self, doc: Document) -> None:
        for p in reversed(self.patches):
            p.revert(doc)
        if self.latent is not None:
            doc.set_latent(self.latent[0])


@dataclass
class Session:
    doc: Document
    steps: list[EditStep] = field(default_factory=list)
    index: int = 0


# -- writing ---------------------------------------------------------------------------------
class _Writer:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.n = 0

    def array(self, a: np.ndarray) -> str:
        name = f"arrays/{self.n}.npy"
        self.n += 1
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
        self.zf.writestr(name, buf.getvalue())
        return name

    def png(self, name: str, a: np.ndarray, mode: str) -> None:
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(a), mode=mode).save(buf, format="PNG", compress_level=1)
        self.zf.writestr(name, buf.getvalue(), compress_type=zipfile.ZIP_STORED)

    def state(self, s: LatentState | None):
        if s is None:
            return None
        return {"region": list(s.region), "generator": s.generator, "z_base": self.array(s.z_base),
                "base_render": self.array(s.base_render), "reference": self.array(s.reference),
                "z": self.array(s.z), "render": None if s.render is None else self.array(s.render),
                "candidates": [self.array(c) for c in s.candidates], "shown": s.shown, "fit_psnr": s.fit_psnr}

    def patch(self, p: PixelPatch) -> dict:
        return {"layer": p.layer, "bbox": list(p.bbox), "before": self.array(p.before), "after": self.array(p.after)}


def write_project(session: Session, path: str | Path) -> Path:
    """Write atomically (a failure leaves an existing file as it was)."""
    doc = session.doc
    if not 0 <= session.index <= len(session.steps):
        raise ValueError(f"index {session.index} outside 0…{len(session.steps)}")

    def write(fh) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            w = _Writer(zf)
            for name, mode in PNG_LAYERS.items():
                w.png(f"layers/{name}.png", doc.layer(name), mode)
            w.png("layers/original.png", doc.original, "RGB")
            steps = []
            for st in session.steps:
                rec = {"text": st.text, "patches": [w.patch(p) for p in st.patches]}
                if st.latent is not None:
                    rec["latent"] = [w.state(st.latent[0]), w.state(st.latent[1])]
                steps.append(rec)
            meta = {"format": FORMAT, "version": VERSION, "width": doc.width, "height": doc.height,
                    "source": str(doc.info.path) if doc.info.path else None, "notices": list(doc.info.notices),
                    "latent": w.state(doc.latent), "index": session.index, "steps": steps}
            zf.writestr("project.json", json.dumps(meta))

    return atomic_write(Path(path), write)


# -- reading ---------------------------------------------------------------------------------
class _Reader:
    def __init__(self, zf: zipfile.ZipFile, w: int, h: int) -> None:
        self.zf, self.w, self.h = zf, w, h
        self.names = set(zf.namelist())

    def raw(self, name) -> bytes:
        if not isinstance(name, str) or name not in self.names:
            raise ProjectError(f"missing member {name!r}")
        return self.zf.read(name)

    def array(self, name) -> np.ndarray:
        try:
            a = np.load(io.BytesIO(self.raw(name)), allow_pickle=False)
        except (ValueError, OSError) as e:
            raise ProjectError(f"{name}: not a plain array ({e})") from e
        if a.dtype.kind not in "fiub":
            raise ProjectError(f"{name}: unexpected array type {a.dtype}")
        return a

    def png(self, name: str, mode: str) -> np.ndarray:
        try:
            with Image.open(io.BytesIO(self.raw(name))) as im:
                if im.format != "PNG" or im.mode != mode:
                    raise ProjectError(f"{name}: expected a {mode} PNG, found {im.format} {im.mode}")
                a = np.asarray(im).copy()
        except (OSError, Image.DecompressionBombError) as e:
            raise ProjectError(f"{name}: {e}") from e
        if a.shape[:2] != (self.h, self.w):
            raise ProjectError(f"{name}: {a.shape[1]}×{a.shape[0]}, the project is {self.w}×{self.h}")
        return a

    def bbox(self, v) -> BBox:
        if not (isinstance(v, list) and len(v) == 4 and all(isinstance(x, int) for x in v)):
            raise ProjectError(f"bad rectangle {v!r}")
        b = BBox(*v)
        if b.is_empty() or b.x0 < 0 or b.y0 < 0 or b.x1 > self.w or b.y1 > self.h:
            raise ProjectError(f"rectangle {v} outside the {self.w}×{self.h} image")
        return b

    def state(self, d) -> LatentState | None:
        if d is None:
            return None
        if not isinstance(d, dict):
            raise ProjectError("bad latent state")
        try:
            region = self.bbox(d["region"])
            ref = self.array(d["reference"])
            if ref.shape != (region.height, region.width, 3) or ref.dtype != np.uint8:
                raise ProjectError(f"latent reference {ref.shape} does not match its region {region}")
            z_base, z = self.array(d["z_base"]).astype(np.float32), self.array(d["z"]).astype(np.float32)
            if z_base.ndim != 1 or z.shape != z_base.shape:
                raise ProjectError("latent vectors of different or wrong shapes")
            base_render = self.array(d["base_render"]).astype(np.float32)
            render = None if d.get("render") is None else self.array(d["render"]).astype(np.float32)
            for r in (base_render, render):
                if r is not None and (r.ndim != 3 or r.shape[2] != 3 or r.shape != base_render.shape):
                    raise ProjectError("latent renders of the wrong shape")
            cands = tuple(self.array(c).astype(np.float32) for c in d.get("candidates", []))
            psnr = d.get("fit_psnr")
            return LatentState(region=region, generator=str(d["generator"]), z_base=z_base, base_render=base_render,
                               reference=ref, z=z, render=render, shown=str(d.get("shown", "")),
                               fit_psnr=None if psnr is None else float(psnr), candidates=cands)
        except KeyError as e:
            raise ProjectError(f"latent state without {e}") from e

    def patch(self, d) -> PixelPatch:
        if not isinstance(d, dict) or d.get("layer") not in LAYERS:
            raise ProjectError(f"bad patch {str(d)[:80]}")
        box = self.bbox(d["bbox"])
        before, after = self.array(d["before"]), self.array(d["after"])
        shape = (box.height, box.width, *LAYERS[d["layer"]])
        if before.shape != shape or after.shape != shape or before.dtype != np.uint8 or after.dtype != np.uint8:
            raise ProjectError(f"patch arrays {before.shape}/{after.shape} do not fit {d['layer']} {box}")
        return PixelPatch(d["layer"], box, before, after)


def read_project(path: str | Path) -> Session:
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ProjectError(f"{path} does not exist") from None
    except (zipfile.BadZipFile, OSError) as e:
        raise ProjectError(f"{path.name} is not a Latentbrush project ({e})") from e
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise ProjectError(f"{path.name}: too many or too large members for a project")
        try:
            meta = json.loads(zf.read("project.json"))
        except KeyError:
            raise ProjectError(f"{path.name} is not a Latentbrush project (no project.json)") from None
        except (ValueError, zipfile.BadZipFile, OSError) as e:
            raise ProjectError(f"{path.name}: damaged project.json ({e})") from e
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ProjectError(f"{path.name} is not a Latentbrush project")
        if meta.get("version") != VERSION:
            raise ProjectError(f"{path.name}: project version {meta.get('version')} is not supported (this "
                               f"version of Latentbrush reads version {VERSION})")
        w, h = meta.get("width"), meta.get("height")
        if not (isinstance(w, int) and isinstance(h, int) and 0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE):
            raise ProjectError(f"{path.name}: bad image size {w}×{h}")
        try:
            r = _Reader(zf, w, h)
            layers = {name: r.png(f"layers/{name}.png", mode) for name, mode in PNG_LAYERS.items()}
            original = r.png("layers/original.png", "RGB")
            steps = []
            for s in meta.get("steps", []):
                lat = s.get("latent")
                steps.append(EditStep(str(s.get("text", "")), [r.patch(p) for p in s.get("patches", [])],
                                      None if lat is None else (r.state(lat[0]), r.state(lat[1]))))
            latent = r.state(meta.get("latent"))
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise ProjectError(f"{path.name}: damaged archive ({e})") from e
        except (TypeError, AttributeError, IndexError) as e:
            raise ProjectError(f"{path.name}: malformed project ({e})") from e
        index = meta.get("index", len(steps))
        if not (isinstance(index, int) and 0 <= index <= len(steps)):
            raise ProjectError(f"{path.name}: bad history position {index!r}")
    src = meta.get("source")
    doc = Document(original, DocumentInfo(path=Path(src) if src else None,
                                          notices=[str(n) for n in meta.get("notices", [])]))
    for name, a in layers.items():
        doc.write(name, doc.bounds, a)
    doc.latent = latent
    return Session(doc, steps, index)
