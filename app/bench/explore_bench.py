"""Explore sliders on real portraits: the editor's path against the additive apply-back it replaced (stop 60).

Each portrait is projected as the app projects it (face finder, alignment, projection, tuning); each explore
direction is applied at −3, −1.5, +1.5 and +3 by the "attribute" job (motion plus the change motion does not
explain, `sliders.free_moves`) and by the tuned generator's change added to the photo (`apply_latent`, the path
before). What the two look like is the grid (`explore_photo.jpg`: photo | added | now, per portrait and value);
the figures are what can be counted: faces the landmark detector still finds in the result (score ≥ 0.9), how
far its landmarks moved (interocular distances), and the time of one slider render.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement, model_manager
from latentbrush.bench.realphoto_bench import REPO, face_marks, labelled_grid
from latentbrush.core.jobs import drain

PHOTOS = ("grace_hopper", "biden", "obama", "tom_hanks")
VALUES = (-3.0, -1.5, 1.5, 3.0)
SHOWN = (("explore_1", -1.5), ("explore_1", 3.0), ("explore_2", 3.0))     # the grid's rows per portrait


def explore_photo(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    from latentbrush.bench.portraits import PORTRAITS, portrait_path
    from latentbrush.core.imageio import load_image
    from latentbrush.core.jobs import Job
    from latentbrush.ml.faces.detect import DETECTOR_ID
    from latentbrush.ml.latent.runners import apply_latent, for_state, latent_models, render, run_project
    from latentbrush.ml.latent.sliders import direction_kinds, directions_for, moved_latent, run_attribute

    models = model_manager(REPO / "models", device=None)
    det = models.get(DETECTOR_ID).net
    names = PHOTOS[:2] if quick else PHOTOS
    found = {"added": 0, "now": 0}
    moved = {"added": [], "now": []}
    times = {"added": [], "now": []}
    n = 0
    rows = []
    for p in (p for p in PORTRAITS if p.name in names):
        img = load_image(portrait_path(p, REPO)).pixels
        st = drain(run_project(Job("project", params={"region": "auto", "face": 0, "tune": True},
                                   inputs={"image": img}), models))[0].info["latent_state"]
        lm = for_state(latent_models(models, st.generator), st)
        dirs = directions_for(models, st.generator)
        kinds = direction_kinds(models, st.generator)
        explore = sorted(k for k, kind in kinds.items() if kind == "explore")[:2 if quick else 3]
        r = st.region
        L0 = face_marks(det, np.asarray(st.reference))
        shots = {}
        for name in explore:
            for v in VALUES:
                t = time.perf_counter()
                added = apply_latent(st, render(lm.G, moved_latent(st.z_base, {name: v}, dirs), lm.device))
                times["added"].append(time.perf_counter() - t)
                t = time.perf_counter()
                res = drain(run_attribute(Job("attribute", params={"state": st, "values": {name: v}},
                                              inputs={"image": img}), models))[0]
                times["now"].append(time.perf_counter() - t)
                full = img.copy()
                b = res.bbox
                full[b.y0:b.y1, b.x0:b.x1] = np.asarray(res.pixels)
                now = full[r.y0:r.y1, r.x0:r.x1]
                n += 1
                for key, result in (("added", added), ("now", now)):
                    L1 = face_marks(det, result)
                    found[key] += L1 is not None
                    if L0 is not None and L1 is not None:
                        moved[key].append(float(np.linalg.norm(L1 - L0, axis=1).mean()
                                                / np.linalg.norm(L0[1] - L0[0])))
                shots[(name, v)] = (added, now)
        rows += [[np.asarray(st.reference), *shots[k]] for k in SHOWN if k in shots]
    ms: list[Measurement] = [("explore edits (portraits × directions × values)", float(n), "edits")]
    for key, label in (("added", "added as pixels (before)"), ("now", "the editor now")):
        ms += [(f"{label}: face still found by the landmark detector", 100.0 * found[key] / max(n, 1), "%"),
               (f"{label}: landmark movement (mean)", float(np.mean(moved[key])) if moved[key] else float("nan"),
                "IOD"),
               (f"{label}: one slider render (median)", float(np.median(times[key])) * 1000, "ms")]
    if out is not None:
        labelled_grid(rows, out / "explore_photo.jpg", ["photo", "added (before)", "now"])
    return ms
