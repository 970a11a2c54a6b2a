"""Writing project files (`.lbproj`, format in app/core/projectfile.py), atomically."""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from latentbrush.core.imageio import atomic_write
from latentbrush.core.latent_state import LatentState, Tuning
from latentbrush.core.patches import PixelPatch
from latentbrush.core.projectfile import FORMAT, PNG_LAYERS, VERSION, Session


class _Writer:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.n = 0
        self.tunings: dict[str, dict] = {}      # tuned generators, each written once however many states use it

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
                "candidates": [self.array(c) for c in s.candidates], "shown": s.shown,
                # a perfect fit is +inf dB (written as Infinity); NaN means "not measured"
                "fit_psnr": None if s.fit_psnr is None or math.isnan(s.fit_psnr) else float(s.fit_psnr),
                "warp": None if s.warp is None else np.asarray(s.warp, float).tolist(),
                "tuning": self.tuning(s.tuning), "made_by": s.made_by,
                "sliders": [[k, v] for k, v in s.sliders],
                "around": None if s.around is None else list(s.around),        # (written since stop 59)
                "around_ref": None if s.around_ref is None else self.array(s.around_ref),
                "around_shown": s.around_shown}

    def tuning(self, t: Tuning | None) -> str | None:
        if t is None:
            return None
        if t.key not in self.tunings:
            def num(v: float) -> float | None:
                return None if math.isnan(v) else float(v)
            self.tunings[t.key] = {"psnr_before": num(t.psnr_before), "psnr": num(t.psnr),
                                   "delta": {name: self.array(a) for name, a in t.delta.items()}}
        return t.key

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
            # what the photo's exports keep (its transparency, colour profile and camera metadata): a project
            # reopened exported without them until stop 53
            if doc.info.alpha is not None:
                w.png("layers/alpha.png", doc.info.alpha, "L")
            for name, data in (("meta/icc", doc.info.icc_profile), ("meta/exif", doc.info.exif)):
                if data:
                    zf.writestr(name, bytes(data))
            steps = []
            for st in session.steps:
                rec = {"text": st.text, "patches": [w.patch(p) for p in st.patches]}
                if st.latent is not None:
                    rec["latent"] = [w.state(st.latent[0]), w.state(st.latent[1])]
                steps.append(rec)
            meta = {"format": FORMAT, "version": VERSION, "width": doc.width, "height": doc.height,
                    "source": str(doc.info.path) if doc.info.path else None, "notices": list(doc.info.notices),
                    "latent": w.state(doc.latent), "index": session.index, "steps": steps}
            meta["tunings"] = w.tunings
            if session.visible is not None:
                meta["visible"] = {k: bool(v) for k, v in session.visible.items()}
            zf.writestr("project.json", json.dumps(meta))

    return atomic_write(Path(path), write)


