"""Semantic part edit benchmark (`latentbrush bench parts`).

Held-out generator faces (a seed no fit or test draws) shown at 256² play the photo. Per face
and scripted label edit (app/ml/parts/labels.py: grow the mouth, close the eyes, grow the hair,
paste the next face's part map over the lower face) the painted labels go through the same job as
the editor (run_parts_edit: latent optimisation, candidates ordered by how they look, clipped
feather composite). Measured:
  resegmented  fraction of the changed pixels that carry the painted part when the result image
               (as composited) is projected again into the untuned generator and segmented there —
               what a person sees (app/ml/parts/resegment.py; 60 projection steps, where the
               candidates were ordered by a 40-step one);
  resegmented_unedited / _by_hand   the same check on the unedited face (the floor) and on the
               face with the changed pixels painted by hand in the parts' mean colours (how the
               check reads a plain paint-over);
  read (_unedited, _by_hand)   the same three read by the pixel part reader (app/ml/nets/pixelparts.py):
               a network that segments the image itself, no projection between, so what the generator
               cannot draw (eyes painted shut) is read as it looks; trained on the generator's faces
               with parts painted over and pasted (its own model's view: labelled as such);
  follow       the same in the part map of the edited latent — the optimiser's own view (it shares
               the edit's gradient path); before the edit this is 0 by construction;
  pixels       a check that does not use the generator's features: each changed pixel of the
               result (at 64²) is classified by color (CIELAB, nearest class mean) as either the
               painted part or the part it was, with the class means taken from this face's own
               part map; the fraction classified as the painted part. `pixels_unedited`
               is the same on the unedited image (the floor);
  blotches     the share of the redrawn area (clip ≥ ½, at 64²) whose CIELAB colour is more than
               15 ΔE from every original pixel of the parts the edit involves within 8 generator
               pixels (app/ml/parts/colours.py) — the stains a person sees at once; mean and worst face;
  outside      mean |Δ| (0..255) over the pixels that were not painted (the clipped area beyond
               the paint included); and the largest |Δ| beyond the clipped area (must be 0);
  clip_area_vs_paint   the clipped area (the paint and the parts it involves nearby, grown) over
               the paint grown alone;
  seconds      per edit (60 steps × 4 candidates, the candidates' checks, the final check).
Editing vectors: the latent change of an edit on 8 faces, added to 16 other faces (strength 1
and 2): relative change of the part's area (latent part map), how many faces changed the
intended way, and a random direction of the same length as the control.
Writes parts.json, parts.png (chart) and parts_grid.png (before | labels | after per edit).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np

from latentbrush.bench.common import Measurement, model_manager

HELD_OUT_SEED = 4_242_424
SHOW = 256


def bench_models():
    from latentbrush.ml.parts.runners import parts_models

    mm = model_manager()
    return mm, parts_models(mm)


def edit_one(mm, pm, z: np.ndarray, kind: str, donor: np.ndarray | None = None, settings: dict | None = None):
    """Returns (before 256², painted layer, after, follow, outside mean, beyond-clip max, s, checks);
    `settings`: request parameters other than the editor's defaults."""
    from latentbrush.core.bbox import BBox
    from latentbrush.core.jobs import Job, drain
    from latentbrush.core.latent_state import LatentState
    from latentbrush.ml.latent.runners import render
    from latentbrush.ml.parts.edit import label_map
    from latentbrush.ml.parts.labels import scripted_edit, upscale_labels
    from latentbrush.ml.parts.resegment import carried, part_reader, read_parts, resegment
    from latentbrush.ml.parts.runners import clip_weight, run_parts_edit

    G, dev = pm.lm.G, pm.lm.device
    base = render(G, z, dev)
    photo = cv2.resize(np.rint(base).astype(np.uint8), (SHOW, SHOW), interpolation=cv2.INTER_CUBIC)
    state = LatentState(region=BBox(0, 0, SHOW, SHOW), generator=pm.lm.generator_id, z_base=z,
                        base_render=base, reference=photo, z=z)
    before = label_map(pm.seg, G, z, dev)
    donor_map = None if donor is None else label_map(pm.seg, G, donor, dev)
    target = scripted_edit(before, kind, pm.seg.names, donor=donor_map)
    if ((target >= 0) & (target != before)).sum() < 4:
        return None
    layer = upscale_labels(np.where(target >= 0, target + 1, 0), SHOW, SHOW)
    t = time.perf_counter()
    job = Job("parts_edit", params={"state": state, "seed": 0, **(settings or {})},
              inputs={"image": photo, "parts": layer})
    res, _ = drain(run_parts_edit(job, mm))
    dt = time.perf_counter() - t
    after = res.pixels
    changed = (target >= 0) & (target != before)
    new_labels = label_map(pm.seg, G, res.info["latent_state"].z, dev)
    follow = float(((new_labels == target) & changed).sum() / max(changed.sum(), 1))
    reproj = [pixel_check(img, photo, before, target, changed) for img in (after, photo)]
    reproj.append(res.info["seen"])           # the result image projected again and segmented
    reproj += [carried(resegment(G, pm.lm.E, pm.seg, img, dev), target, before)
               for img in (base, by_hand(base, before, target))]
    diff = np.abs(after.astype(np.int16) - photo.astype(np.int16)).mean(2)
    outside = float(diff[layer == 0].mean())
    clip = res.info["clip"]
    beyond = float(diff[clip == 0].max(initial=0))
    reproj.append(float((clip > 0).sum() / max((clip_weight(layer > 0, SHOW) > 0).sum(), 1)))
    reproj.append(res.info["blotches"])
    reader = part_reader(mm, pm.lm.generator_id)
    reproj += [carried(read_parts(reader, img, dev), target, before) if reader is not None else float("nan")
               for img in (after, base, by_hand(base, before, target))]
    return photo, layer, after, follow, outside, beyond, dt, reproj


def by_hand(frame: np.ndarray, before: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The edit as a person might paint it by hand: each changed pixel (R², the generator's
    frame) gets the mean colour of its painted part in this face."""
    out = frame.copy()
    changed = (target >= 0) & (target != before)
    for p in np.unique(target[changed]):
        if (before == p).any():
            out[changed & (target == p)] = frame[before == p].mean(0)
    return out


def _lab(img: np.ndarray, R: int) -> np.ndarray:
    small = cv2.resize(img, (R, R), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    return cv2.cvtColor(small, cv2.COLOR_RGB2Lab)


def pixel_check(img: np.ndarray, original: np.ndarray, before: np.ndarray, target: np.ndarray,
                changed: np.ndarray) -> float:
    """Fraction of the changed pixels of `img` whose color is nearer the painted part's mean
    color than the mean color of the part they were (means over `original`'s pixels of each part
    in its own part map)."""
    R = before.shape[0]
    ref, lab = _lab(original, R), _lab(img, R)
    means = {}
    for p in np.unique(np.concatenate([target[changed], before[changed]])):
        sel = before == p
        if sel.sum() >= 3:
            means[int(p)] = ref[sel].mean(0)
    ys, xs = np.nonzero(changed)
    hits = n = 0
    for y, x in zip(ys, xs, strict=True):
        t, b = int(target[y, x]), int(before[y, x])
        if t not in means or b not in means:
            continue
        n += 1
        hits += np.linalg.norm(lab[y, x] - means[t]) < np.linalg.norm(lab[y, x] - means[b])
    return hits / n if n else float("nan")


def vector_transfer(pm, n_src: int, n_dst: int) -> dict:
    import torch

    from latentbrush.core.jobs import drain
    from latentbrush.ml.parts.edit import label_map, optimize_parts
    from latentbrush.ml.parts.labels import scripted_edit

    G, seg, dev = pm.lm.G, pm.seg, pm.lm.device
    rng = np.random.default_rng(777001)
    src = rng.standard_normal((n_src, G.nz)).astype(np.float32)
    dst = rng.standard_normal((n_dst, G.nz)).astype(np.float32)
    out = {}
    for kind, part, sign in (("grow_mouth", "mouth", 1), ("close_eyes", "eyes", -1)):
        pi = seg.names.index(part)
        deltas = []
        for z in src:
            target = scripted_edit(label_map(seg, G, z, dev), kind, seg.names)
            res, _ = drain(optimize_parts(G, seg, torch.from_numpy(z).to(dev), torch.from_numpy(target).to(dev)))
            deltas.append(res.z[0] - z)

        def area(z, pi=pi):
            return float((label_map(seg, G, z, dev) == pi).sum())
        for strength in (1.0, 2.0):
            vec, rnd, right = [], [], 0
            for i, zb in enumerate(dst):
                d = deltas[i % len(deltas)]
                r = rng.standard_normal(G.nz).astype(np.float32)
                r *= np.linalg.norm(d) / np.linalg.norm(r)
                a0 = max(area(zb), 1.0)
                vec.append((area(zb + strength * d) - a0) / a0)
                rnd.append((area(zb + strength * r) - a0) / a0)
                right += int(np.sign(vec[-1]) == sign)
            out[f"{kind} ×{strength:g}"] = {"vector": float(np.mean(vec)), "random": float(np.mean(rnd)),
                                             "intended_way": right, "faces": n_dst,
                                             "delta_norm": float(np.mean([np.linalg.norm(d) for d in deltas]))}
    return out


def parts(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    from latentbrush.bench.chart import bar_chart
    from latentbrush.ml.parts.labels import EDITS

    mm, pm = bench_models()
    n = 3 if quick else 16
    rng = np.random.default_rng(HELD_OUT_SEED)
    zs = rng.standard_normal((n, pm.lm.G.nz)).astype(np.float32)
    table: dict = {}
    rows: list[Measurement] = []
    grid = []
    for kind in EDITS:
        recs = []
        for i, z in enumerate(zs):
            r = edit_one(mm, pm, z, kind, donor=zs[(i + 1) % n] if kind == "paste_lower" else None)
            if r is None:
                continue
            photo, layer, after, follow, outside, beyond, dt, reproj = r
            recs.append({"follow": follow, "outside": outside, "beyond_clip_max": beyond, "seconds": dt,
                         "pixels": reproj[0], "pixels_unedited": reproj[1], "resegmented": reproj[2],
                         "resegmented_unedited": reproj[3], "resegmented_by_hand": reproj[4],
                         "clip_area_vs_paint": reproj[5], "blotches": reproj[6], "read": reproj[7],
                         "read_unedited": reproj[8], "read_by_hand": reproj[9]})
            if i < 2:
                pal = np.array([(0, 0, 0)] + [tuple(c) for c in pm.seg.colors], np.uint8)
                shown = np.where(layer[..., None] > 0, pal[layer], photo // 2)
                grid.append(np.concatenate([photo, shown, after], 1))
        agg = {k: float(np.nanmean([r[k] for r in recs])) for k in recs[0]}
        agg["follow_min"] = float(np.min([r["follow"] for r in recs]))
        agg["beyond_clip_max"] = float(np.max([r["beyond_clip_max"] for r in recs]))
        agg["blotches_max"] = float(np.nanmax([r["blotches"] for r in recs]))
        agg["n"] = len(recs)
        table[kind] = agg
        rows += [(f"{kind}: changed pixels showing the painted part, result re-projected and re-segmented",
                  100 * agg["resegmented"], "%"),
                 (f"{kind}: … the unedited image, re-segmented (floor)", 100 * agg["resegmented_unedited"], "%"),
                 (f"{kind}: … the change painted by hand in the parts' colours, re-segmented",
                  100 * agg["resegmented_by_hand"], "%"),
                 (f"{kind}: … the result read by the pixel part reader (no projection)", 100 * agg["read"], "%"),
                 (f"{kind}: … the unedited image, read (floor)", 100 * agg["read_unedited"], "%"),
                 (f"{kind}: … the change painted by hand, read", 100 * agg["read_by_hand"], "%"),
                 (f"{kind}: … in the edit's own part map (the optimiser's view)", 100 * agg["follow"], "%"),
                 (f"{kind}: … judged by color (pixels)", 100 * agg["pixels"], "%"),
                 (f"{kind}: … by color, unedited image", 100 * agg["pixels_unedited"], "%"),
                 (f"{kind}: colour blotches, share of the redrawn area (mean)", 100 * agg["blotches"], "% area"),
                 (f"{kind}: colour blotches, the worst face", 100 * agg["blotches_max"], "% area"),
                 (f"{kind}: mean change outside the painted area", agg["outside"], "/255"),
                 (f"{kind}: largest change beyond the clipped area (0 by construction)", agg["beyond_clip_max"],
                  "/255"),
                 (f"{kind}: clipped area (paint + the parts it involves nearby) / paint grown",
                  agg["clip_area_vs_paint"], "×"),
                 (f"{kind}: time per edit", agg["seconds"], "s")]
    table["vectors"] = vector_transfer(pm, 4 if quick else 8, 8 if quick else 16)
    for key, v in table["vectors"].items():
        rows += [(f"vector {key}: part area change", 100 * v["vector"], "% area"),
                 (f"vector {key}: random direction, same length", 100 * v["random"], "% area")]
    if out is not None:
        (out / "parts.json").write_text(json.dumps(table, indent=2))
        bar_chart([r for r in rows if r[2].startswith("%")], out / "parts.png",
                  "Part edits: changed pixels following the paint; vectors: part area change")
        cv2.imwrite(str(out / "parts_grid.png"), cv2.cvtColor(np.concatenate(grid, 0), cv2.COLOR_RGB2BGR))
    return rows


PREVIOUS_RANKING = {"candidates": 4, "blotch_penalty": 0.0, "keep_colours": False}


def parts_ranking(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    """The `parts` bench's faces and edits with the ranking of the release before the blotch work
    (4 candidates ordered by the re-segmenting check alone, no colour clamp): the check's figure and
    the colour blotches, to set beside `parts`. Writes parts_ranking.json."""
    from latentbrush.ml.parts.labels import EDITS

    mm, pm = bench_models()
    n = 3 if quick else 16
    zs = np.random.default_rng(HELD_OUT_SEED).standard_normal((n, pm.lm.G.nz)).astype(np.float32)
    rows: list[Measurement] = []
    table: dict = {"settings": PREVIOUS_RANKING}
    for kind in EDITS:
        seen, stains = [], []
        for i, z in enumerate(zs):
            r = edit_one(mm, pm, z, kind, donor=zs[(i + 1) % n] if kind == "paste_lower" else None,
                         settings=PREVIOUS_RANKING)
            if r is not None:
                seen.append(r[7][2])
                stains.append(r[7][6])
        table[kind] = {"resegmented": float(np.nanmean(seen)), "blotches": float(np.nanmean(stains)),
                       "blotches_max": float(np.nanmax(stains)), "blotches_per_face": stains}
        rows += [(f"{kind}, previous ranking: changed pixels showing the painted part, re-segmented",
                  100 * table[kind]["resegmented"], "%"),
                 (f"{kind}, previous ranking: colour blotches (mean)", 100 * table[kind]["blotches"], "% area"),
                 (f"{kind}, previous ranking: colour blotches, the worst face", 100 * table[kind]["blotches_max"],
                  "% area")]
    if out is not None:
        (out / "parts_ranking.json").write_text(json.dumps(table, indent=2))
    return rows
