"""Project files (`.lbproj`): the whole session — layers, latent state, undo history — in one
file; also the autosave format. No Qt, no torch.

Format (version 1): a ZIP archive holding
    project.json        {"format": "latentbrush-project", "version": 1, "width", "height",
                         "source": original path or null, "notices": [...],
                         "latent": STATE or null, "index": applied steps,
                         "visible": {"scribble"|"mask"|"parts": bool} (optional: absent = as they are),
                         "steps": [{"text", "patches": [PATCH...], "latent": [STATE|null, STATE|null] | absent}]}
    layers/base.png     RGB, the image as shown        layers/original.png   RGB, as opened
    layers/scribble.png RGBA                           layers/mask.png, layers/parts.png  8-bit grey
    arrays/N.npy        every other array (NumPy .npy, read with allow_pickle=False)
    layers/alpha.png    8-bit grey, the photo's transparency; meta/icc, meta/exif: its colour profile and
                        camera metadata as the exports write them (each optional: where the photo has it;
                        written since stop 53, ignored by earlier readers)
PATCH = {"layer", "bbox": [x0, y0, x1, y1], "before": "arrays/N.npy", "after": "arrays/N.npy"}
STATE = {"region": [x0, y0, x1, y1], "generator", "z_base", "base_render", "reference", "z",
         "render" (or null), "candidates": [...], "shown", "fit_psnr",
         "warp": [[a, b, c], [d, e, f]] or null (face alignment), "tuning": KEY or null,
         "made_by": the kind of edit that made z ("" or absent: not known)}
with array fields naming .npy members. Generators tuned to the photo are written once, in
    "tunings": {KEY: {"psnr_before", "psnr", "delta": {parameter: "arrays/N.npy" (float16)}}}
and states name them by KEY (the Tuning's content digest, checked on reading). The layers hold
the state after the first `index` steps; steps past `index` are redo history. Reading
(app/core/project_read.py, app/core/project_write.py) checks limits before reading and everything against the image size
(a damaged or hostile file raises ProjectError and changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from latentbrush.core.document import Document
from latentbrush.core.history import EditStep

FORMAT = "latentbrush-project"
VERSION = 1
EXTENSION = ".lbproj"
PNG_LAYERS = {"base": "RGB", "scribble": "RGBA", "mask": "L", "parts": "L"}


class ProjectError(ValueError):
    """A project file that cannot be read (with the reason)."""


@dataclass
class Session:
    doc: Document
    steps: list[EditStep] = field(default_factory=list)
    index: int = 0
    visible: dict[str, bool] | None = None     # paint layers shown (None: not recorded)
