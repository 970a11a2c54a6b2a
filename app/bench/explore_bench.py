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


def sliders_person(quick: bool = False) -> list[Measurement]:
    """The person's shading sliders (lighting, warmth) and the backdrop slider at +3 on generator faces used as
    photos (a 64-px face scaled to 128 px, the fit taken as exact), with the part map's split (the editor) and
    without it (the direction's whole change, before stop 60): the mean change of the backdrop and of the person,
    each eroded by 4 px from the map's edge (0..255)."""
    import cv2
    import torch

    import latentbrush.ml.latent.sliders as sliders
    from latentbrush.core.bbox import BBox
    from latentbrush.core.jobs import Job
    from latentbrush.core.latent_state import LatentState
    from latentbrush.ml.latent.runners import latent_models, render

    mm = model_manager(REPO / "models")
    lm = latent_models(mm)
    seg = sliders.part_segmenter(mm, lm.generator_id)
    if seg is None:
        return []
    sums: dict[tuple[str, str, str], list[float]] = {}
    for seed in range(2 if quick else 8):
        z = np.random.default_rng(60_000 + seed).standard_normal(lm.G.nz).astype(np.float32)
        base = render(lm.G, z, lm.device)
        face = cv2.resize(np.rint(base).astype(np.uint8), (128, 128), interpolation=cv2.INTER_CUBIC)
        st = LatentState(region=BBox(0, 0, 128, 128), generator=lm.generator_id, z_base=z, base_render=base,
                         reference=face, z=z, fit_psnr=30.0)
        labels = seg.labels(lm.G, torch.from_numpy(z)[None], lm.G.resolution)[0].numpy()
        person = cv2.resize((labels != list(seg.names).index("background")).astype(np.uint8), (128, 128),
                            interpolation=cv2.INTER_NEAREST)
        parts = {"person": cv2.erode(person, np.ones((9, 9), np.uint8)) > 0,
                 "backdrop": cv2.erode(1 - person, np.ones((9, 9), np.uint8)) > 0}
        for name in ("lighting", "warmth", "hair_dark", "background"):
            for how, finder in (("now", sliders.part_segmenter), ("whole change", lambda *a: None)):
                sliders.part_segmenter, keep = finder, sliders.part_segmenter      # (no part map: the whole change)
                try:
                    res = drain(sliders.run_attribute(Job("attribute", params={"state": st, "values": {name: 3.0}}),
                                                      mm))[0]
                finally:
                    sliders.part_segmenter = keep
                d = np.abs(np.asarray(res.pixels, float) - face).mean(axis=2)
                for where, m in parts.items():
                    if m.sum() > 200:
                        sums.setdefault((name, how, where), []).append(float(d[m].mean()))
    return [(f"{name} +3, {how}: {where} changed by", float(np.mean(v)), "/255")
            for (name, how, where), v in sums.items()]
