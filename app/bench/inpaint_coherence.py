"""issue 19: coherence transport on its own (app/ml/inpaint/coherence.py), on the inpaint_quality
benchmark's sets (the same images and masks): the classical fill the default's structure is made of
on photos since stop 40: as transported, softened by depth where no edge leads (stop 41's default), and
softened with the photo's grain copied on top (matched on the transport as it came: the default's path),
against the better of Telea / Navier–Stokes per image (no seams blended, as the classical rows of
inpaint_quality)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement, model_manager
from latentbrush.bench.inpaint_bench import eval_sets, fill_all, hole_psnr, texture_kept


def inpaint_coherence(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    import json

    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.coherence import CoherenceFiller
    from latentbrush.ml.inpaint.fill import make_filler
    from latentbrush.ml.inpaint.filler import Filler
    from latentbrush.ml.inpaint.texture import add_detail

    class WithGrain(Filler):
        title = "coherence transport + the photo's grain"

        def fill(self, crop, hole, check=None):
            soft, sharp = CoherenceFiller().fill_pair(crop, hole)
            return add_detail(crop, hole, soft, guide=sharp)

    mm = model_manager()
    G = mm.get(mm.default("generator").id).net
    n = 8 if quick else 32
    sets = eval_sets(G, n, n, 4 if quick else 16)
    classical = [make_filler(m, mm) for m in (methods.TELEA, methods.NAVIER_STOKES)]
    rows: list[Measurement] = []
    table: dict = {}
    for sname, (imgs, masks) in sets.items():
        best = np.maximum(*[[hole_psnr(o, t, m) for o, t, m in zip(fill_all(c, imgs, masks, "none"), imgs, masks,
                                                                     strict=True)] for c in classical])
        for key, filler in (("coherence transport", CoherenceFiller(soften=0.0)),
                            ("softened by depth", CoherenceFiller()), ("with grain", WithGrain())):
            outs = fill_all(filler, imgs, masks, "none")
            gain = np.array([hole_psnr(o, t, m) for o, t, m in zip(outs, imgs, masks, strict=True)]) - best
            kept = float(np.median([texture_kept(o, t, m) for o, t, m in zip(outs, imgs, masks, strict=True)]))
            table.setdefault(sname, {})[key] = {"gain_db": float(gain.mean()), "texture_kept_median": kept,
                                                "n": len(gain)}
            rows.append((f"{sname} ({len(gain)}): {key} − better of Telea/NS, inside the holes", float(gain.mean()),
                         "dB gain"))
            rows.append((f"{sname}: {key}, texture kept (median)", 100 * kept, "%"))
    if out is not None:
        (out / "inpaint_coherence.json").write_text(json.dumps(table, indent=2))
    return rows
