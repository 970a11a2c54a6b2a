"""inpaint_seams: what each seam does to each kind of fill (stop 61).

The fills hand the blend the photo around the hole, so until stop 61 Poisson and Feather saw no step and
changed nothing (OpenCV's seam only made the fill a grey level darker). Now they spread the step between the
fill's edge and the photo beside it into the hole (`blend._step_membrane`, `blend.feather`); "own" keeps the
fill as made. On the 64² held-out faces and photo crops of `inpaint_quality` (16 per set; rectangles, strokes,
objects), each fill's PSNR inside the holes with each seam: the networks gain, the content-aware fill (which
carries the photo's texture up to the edge) loses on photos, so its default stays its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement, model_manager
from latentbrush.bench.inpaint_bench import eval_sets, fill_all, hole_psnr

SEAMS = ("none", "own", "poisson", "feather")


def inpaint_seams(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.fill import make_filler

    mm = model_manager()
    G = mm.get(mm.default("generator").id).net
    n = 4 if quick else 16
    sets = eval_sets(G, n, n, 0)
    nets = [s.id for s in mm.manifest.of_kind("inpainter") if mm.manifest.path(s).is_file()]
    rows: list[Measurement] = []
    for mid in [*nets, methods.CONTENT_AWARE, methods.TELEA]:
        filler = make_filler(mid, mm)
        for sname, (imgs, masks) in sets.items():
            psnr = {}
            for seam in SEAMS:
                pred = fill_all(filler, imgs, masks, seam)
                psnr[seam] = float(np.mean([hole_psnr(p, t, m) for p, t, m in zip(pred, imgs, masks, strict=True)]))
            for seam in SEAMS[1:]:
                rows.append((f"{sname}: {mid} [{seam}] − [none], inside the holes", psnr[seam] - psnr["none"], "dB"))
    return rows
