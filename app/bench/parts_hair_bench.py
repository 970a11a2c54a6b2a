"""Hair grown down onto a real portrait's forehead (`latentbrush bench parts_hair`): a band painted "hair"
from the photo's hairline onto the skin, run the way the editor runs it — the photo's own hair stretched
over the paint (app/ml/parts/growhair.py, shipped) and, as until stop 49, the generator redrawing it
(`grow_hair` off). On the real portraits, projected and tuned as by *Find parts* (`run_parts_map`).

The band: in each column within 0.8 × the eye distance of the eyes' midpoint, the first row (going down
from above the head) where, after at least 3 rows unlike both the forehead's colour and the map's
background, 5 rows are like the forehead (ΔE under 14): the hairline; the band runs from 3 px above it
down 0.2 × the eye distance. A portrait whose hairline this does not find (a hat, a bald head) is left out.

Measured on the paint (a colour reading of what a person sees, no generator involved):
  to hair   ΔE between the band's median colour and the median colour of the hair just above it (the
            row band 4–16 px above the hairline found): hair grown there is near it;
  to skin   ΔE between the band's median colour and the forehead's just below it (the skin it was);
  beyond    the largest change more than 40 px from the paint (the generator's redraw of the head);
the time per edit, and how often the edit answered "nothing to change" (the generator's path, where its
64-px part map calls the band hair already: the photo is left as it is). Writes parts_hair.json and
parts_hair.jpg (per photo: before | paint | the hair stretched | the generator's redraw).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np

from latentbrush.bench.common import Measurement


def hairline_band(crop: np.ndarray, eyes: np.ndarray, background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the band painted hair, the hair just above it: rows 4–16 px above the hairline), bool each."""
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB).astype(np.float32)
    d = float(np.linalg.norm(eyes[1] - eyes[0]))
    mid = eyes[:2].mean(0)
    fy, fx = int(mid[1] - 0.9 * d), int(mid[0])
    fore = np.median(lab[max(fy - 5, 0):fy + 5, max(fx - 10, 0):fx + 10].reshape(-1, 3), 0)
    unlike_bg = np.ones(crop.shape[:2], bool)
    if background.sum() >= 50:
        unlike_bg = np.linalg.norm(lab - np.median(lab[background], 0), axis=-1) > 20
    df = np.linalg.norm(lab - fore, axis=-1)
    band, above = np.zeros(crop.shape[:2], bool), np.zeros(crop.shape[:2], bool)
    for x in range(max(int(mid[0] - 0.8 * d), 0), min(int(mid[0] + 0.8 * d), crop.shape[1])):
        seen = 0
        for y in range(max(0, int(mid[1] - 2.6 * d)), max(int(mid[1] - 0.7 * d), 0)):
            if df[y, x] > 20 and unlike_bg[y, x]:
                seen += 1
            elif seen >= 3 and (df[y:y + 5, x] < 14).all():
                band[max(0, y - 3):y + int(0.2 * d), x] = True
                above[max(0, y - 16):max(0, y - 4), x] = True
                break
    band = cv2.morphologyEx(band.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    return band, above & ~band


def hair_figures(before: np.ndarray, after: np.ndarray, band: np.ndarray, above: np.ndarray) -> dict:
    lab0, lab = (cv2.cvtColor(im, cv2.COLOR_RGB2LAB).astype(np.float64) for im in (before, after))
    below = (cv2.dilate(band.astype(np.uint8), np.ones((25, 1), np.uint8)) > 0) & ~band
    below &= ~np.roll(cv2.dilate(band.astype(np.uint8), np.ones((25, 1), np.uint8)) > 0, -12, axis=0)
    got = np.median(lab[band], axis=0)
    far = cv2.dilate(band.astype(np.uint8), np.ones((81, 81), np.uint8)) == 0
    diff = np.abs(after.astype(np.int16) - before.astype(np.int16)).max(2)
    return {"to_hair": float(np.linalg.norm(got - np.median(lab0[above], axis=0))),
            "to_skin": float(np.linalg.norm(got - np.median(lab0[below], axis=0))) if below.any() else float("nan"),
            "beyond_max": float(diff[far].max(initial=0))}


def parts_hair(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    from latentbrush.bench.parts_bench import bench_models
    from latentbrush.bench.parts_eyes_bench import mapped_portraits
    from latentbrush.core.jobs import Job, drain
    from latentbrush.ml.parts.runners import run_parts_edit

    mm, _ = bench_models()
    recs: dict[str, dict[str, list]] = {}
    grid = []
    for p, img, state, full, names, crop, eyes in mapped_portraits(mm, 3 if quick else None):
        r = state.region
        band, above = hairline_band(crop, eyes, full[r.y0:r.y1, r.x0:r.x1] == names.index("background") + 1)
        if band.sum() < 200 or above.sum() < 50:
            print(f"parts_hair: {p.name}: no hairline found (a hat, a bald head); left out")
            continue
        layer = np.zeros(img.shape[:2], np.uint8)
        layer[r.y0:r.y1, r.x0:r.x1][band] = names.index("hair") + 1
        tiles = [crop, np.where(band[..., None], (crop * 0.5 + [0, 90, 0]).astype(np.uint8), crop)]
        for key, v in (hair_figures(crop, crop, band, above) | {"seconds": 0.0, "nothing": 0.0}).items():
            recs.setdefault("unedited", {}).setdefault(key, []).append(v)
        for variant, grow in (("stretched from the photo's own hair (stop 49)", True),
                              ("redrawn by the generator (until stop 49)", False)):
            t = time.perf_counter()
            edit, _ = drain(run_parts_edit(Job("parts_edit", params={"state": state, "grow_hair": grow},
                                               inputs={"image": img, "parts": layer}), mm))
            # (the generator's path answers "nothing to change" where its map calls the forehead hair already)
            after = edit.pixels if edit.pixels is not None else crop
            fig = hair_figures(crop, after, band, above) | {"seconds": time.perf_counter() - t,
                                                             "nothing": float(edit.pixels is None)}
            for key, v in fig.items():
                recs.setdefault(variant, {}).setdefault(key, []).append(v)
            tiles.append(after)
        d = float(np.linalg.norm(eyes[1] - eyes[0]))
        mid = eyes[:2].mean(0)
        y0, y1 = max(0, int(mid[1] - 2.0 * d)), int(mid[1])
        x0, x1 = max(0, int(mid[0] - 1.3 * d)), int(mid[0] + 1.3 * d)
        grid.append(np.concatenate([cv2.resize(t[y0:y1, x0:x1], (240, 185), interpolation=cv2.INTER_AREA)
                                    for t in tiles], 1))
    table = {k: {key: float(np.nanmean(v)) for key, v in r.items()} | {"n": len(r["to_hair"])} for k, r in recs.items()}
    rows: list[Measurement] = []
    for k, v in table.items():
        rows += [(f"{k}: the band's colour from the hair above it (ΔE, median colours)", v["to_hair"], "ΔE"),
                 (f"{k}: the band's colour from the forehead below it", v["to_skin"], "ΔE"),
                 (f"{k}: largest change over 40 px from the paint", v["beyond_max"], "/255"),
                 (f"{k}: time per edit", v["seconds"], "s"),
                 (f"{k}: answered \"nothing to change\" (its part map calls the band hair)", 100 * v["nothing"], "%")]
    if out is not None:
        from latentbrush.bench.chart import bar_chart

        (out / "parts_hair.json").write_text(json.dumps(table, indent=2))
        bar_chart([r for r in rows if r[2] == "ΔE"], out / "parts_hair_chart.png",
                  "Hair painted onto real portraits' foreheads (colour readings)")
        if grid:
            cv2.imwrite(str(out / "parts_hair.jpg"), cv2.cvtColor(np.concatenate(grid, 0), cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, 88])
    return rows
