"""Eyes painted shut (`latentbrush bench parts_eyes`): the part map's eyes painted over with skin, run the
way the editor runs it, closed (app/ml/parts/closeeyes.py, shipped) and as until stop 48 (the generator
redraws them: `close_eyes` off). On the held-out generator faces of `bench parts` and on the real
portraits (projected and tuned as in the editor, `run_parts_map`). Measured per eye, on the detector's
opening of the input (no generator involved, a colour reading of what a person sees):
  gap     ΔE (CIELAB) between the opening's median colour and the median colour of the skin in a ring
          around it (0.12 × the eye distance wide): an open eye's white and iris are far from the skin;
          a closed lid is near it;
  white   the share of the opening lighter than the ring's 95th percentile (the eye's white, catchlights);
  outside the largest change beyond the most a closing may change (`reach_area`: the tallest openings
          and where the eye's white and corners are looked for; 0 for the closing by construction) and the
          mean change beyond it (the generator's redraw of lids and brows);
and the generator's re-segmenting check (its view: its 64-px faces all have open eyes) and, since stop 58, the
pixel part reader's (app/ml/nets/pixelparts.py: the image segmented as it is, no projection). Since stop 49 also
the portraits' lids lowered (skin over the openings' upper part, down to the eyes' line: `lid_figures`).
Writes parts_eyes.json and parts_eyes.png (per row: before | redrawn (until stop 48) | closed, eye
close-ups; the portraits' rows end with the lowered lids).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np

from latentbrush.bench.common import Measurement

RING = 0.12            # the skin ring around an opening, × the eye distance


def eye_figures(before: np.ndarray, after: np.ndarray, eyes: np.ndarray) -> dict:
    """Per-eye colour figures of `after` against the skin around each opening in `before`."""
    from latentbrush.ml.parts.closeeyes import openings, reach_area

    lab0, lab = (cv2.cvtColor(im, cv2.COLOR_RGB2LAB).astype(np.float64) for im in (before, after))
    d = float(np.linalg.norm(eyes[1] - eyes[0]))
    k = max(3, int(round(RING * d)) | 1)
    gap, white = [], []
    for i in range(2):
        one = openings(before.shape[:2], eyes, (i,))
        ring = (cv2.dilate(one.astype(np.uint8), np.ones((k, k), np.uint8)) > 0) & ~one
        if not one.any() or not ring.any():
            continue
        skin = np.median(lab0[ring], axis=0)
        gap.append(float(np.linalg.norm(np.median(lab[one], axis=0) - skin)))
        white.append(float((lab[one][:, 0] > np.percentile(lab0[ring][:, 0], 95)).mean()))
    both = reach_area(before.shape[:2], eyes)           # the most a closing may change
    diff = np.abs(after.astype(np.int16) - before.astype(np.int16)).max(2)
    return {"gap": float(np.mean(gap)), "white": float(np.mean(white)),
            "outside_max": float(diff[~both].max(initial=0)), "outside_mean": float(diff[~both].mean())}


def lid_figures(before: np.ndarray, after: np.ndarray, eyes: np.ndarray) -> dict:
    """A lowered lid's figures per eye, on the detector's opening of `before`: the ΔE of its part above the
    eyes' line from the skin around it (`eye_figures`' gap, "upper gap") and the largest change in its part
    more than 0.06 × the eye distance below that line ("below max": the eye kept under the lid)."""
    from latentbrush.ml.parts.closeeyes import openings

    lab0, lab = (cv2.cvtColor(im, cv2.COLOR_RGB2LAB).astype(np.float64) for im in (before, after))
    a, b = np.asarray(eyes[:2], np.float64)
    d = float(np.linalg.norm(b - a))
    down = np.array([-(b - a)[1], (b - a)[0]]) / d * (1 if b[0] >= a[0] else -1)
    ys, xs = np.mgrid[0:before.shape[0], 0:before.shape[1]].astype(np.float64)
    k = max(3, int(round(RING * d)) | 1)
    upper, below = [], []
    diff = np.abs(after.astype(np.int16) - before.astype(np.int16)).max(2)
    for i in range(2):
        one = openings(before.shape[:2], eyes[:2], (i,))
        v = (xs - eyes[i][0]) * down[0] + (ys - eyes[i][1]) * down[1]
        ring = (cv2.dilate(one.astype(np.uint8), np.ones((k, k), np.uint8)) > 0) & ~one
        top, low = one & (v < 0), one & (v > 0.06 * d)
        if top.any() and ring.any():
            upper.append(float(np.linalg.norm(np.median(lab[top], axis=0) - np.median(lab0[ring], axis=0))))
        if low.any():
            below.append(float(diff[low].max()))
    return {"upper_gap": float(np.mean(upper)), "below_max": float(np.max(below))}


def mapped_portraits(mm, n: int | None = None):
    """The real portraits (not the group photo; the first `n`) as *Find parts* leaves them: (path, image,
    the projected state, the full part map, the part names, the region's crop, the detector's landmarks
    in the crop), those it projects and finds a face in."""
    from latentbrush.bench.portraits import loaded
    from latentbrush.core.jobs import Job, drain
    from latentbrush.ml.latent.photo import crop_landmarks
    from latentbrush.ml.parts.runners import run_parts_map

    portraits = [(p, img) for p, img in loaded(Path(__file__).resolve().parents[2]) if not p.name.startswith("group")]
    for p, img in portraits[:n]:
        res, _ = drain(run_parts_map(Job("parts_map", params={}, inputs={"image": img}), mm))
        state = res.info.get("projected")
        if state is None:
            continue
        r = state.region
        crop = img[r.y0:r.y1, r.x0:r.x1]
        eyes = crop_landmarks(crop, mm)
        if eyes is not None:
            yield p, img, state, res.info["parts_map"], res.info["names"], crop, eyes


def close_up(img: np.ndarray, eyes: np.ndarray, side: int = 240) -> np.ndarray:
    """Both eyes and brows: 2.2 × the eye distance wide, centred between the eyes."""
    d = float(np.linalg.norm(eyes[1] - eyes[0]))
    c = eyes.mean(0)
    s = side / (2.2 * d)
    m = np.float32([[s, 0, side / 2 - c[0] * s], [0, s, side * 0.3 - c[1] * s]])
    return cv2.warpAffine(img, m, (side, int(side * 0.6)), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def parts_eyes(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    from latentbrush.bench.parts_bench import HELD_OUT_SEED, bench_models, edit_one
    from latentbrush.core.jobs import Job, drain
    from latentbrush.ml.latent.photo import crop_landmarks
    from latentbrush.ml.parts.closeeyes import openings
    from latentbrush.ml.parts.runners import run_parts_edit

    mm, pm = bench_models()
    recs: dict[str, dict[str, list]] = {}
    lowered: dict[str, dict[str, list]] = {}
    grid = []

    def add(where: str, variant: str, fig: dict, seen: float, dt: float, read: float = float("nan")) -> None:
        r = recs.setdefault(f"{where}, {variant}", {})
        for key, v in {**fig, "resegmented": seen, "read": read, "seconds": dt}.items():
            r.setdefault(key, []).append(v)

    rng = np.random.default_rng(HELD_OUT_SEED)
    for i, z in enumerate(rng.standard_normal((4 if quick else 16, pm.lm.G.nz)).astype(np.float32)):
        tiles = []
        for variant, close in (("redrawn (until stop 48)", False), ("closed", True)):
            r = edit_one(mm, pm, z, "close_eyes", settings={"close_eyes": close})
            if r is None:
                break
            photo, after, dt, seen, read = r[0], r[2], r[6], r[7][2], r[7][7]
            eyes = crop_landmarks(photo, mm)
            if eyes is None:
                break
            if not tiles:
                add("generator faces", "unedited", eye_figures(photo, photo, eyes[:2]), float("nan"), 0.0)
            add("generator faces", variant, eye_figures(photo, after, eyes[:2]), seen, dt, read)
            tiles += [close_up(photo, eyes[:2])] * (not tiles) + [close_up(after, eyes[:2])]
        if i < 6 and len(tiles) == 3:           # (blank where the portraits' rows show the lowered lids)
            grid.append(np.concatenate(tiles + [np.full_like(tiles[0], 255)], 1))
    for _p, img, state, full, names, crop, eyes in mapped_portraits(mm, 2 if quick else None):
        r = state.region
        layer = np.where(full == names.index("eyes") + 1, names.index("skin") + 1, 0).astype(np.uint8)
        tiles = [close_up(crop, eyes[:2])]
        add("real portraits", "unedited", eye_figures(crop, crop, eyes[:2]), float("nan"), 0.0)
        for variant, close in (("redrawn (until stop 48)", False), ("closed", True)):
            t = time.perf_counter()
            edit, _ = drain(run_parts_edit(Job("parts_edit", params={"state": state, "close_eyes": close},
                                               inputs={"image": img, "parts": layer}), mm))
            after, seen = edit.pixels, edit.info["seen"]
            add("real portraits", variant, eye_figures(crop, after, eyes[:2]), seen, time.perf_counter() - t,
                edit.info.get("read", float("nan")))
            tiles.append(close_up(after, eyes[:2]))
        # skin over the openings' upper part (down to the eyes' line): the lids lowered (stop 49)
        lids = lid_figures(crop, crop, eyes)
        for key, v in lids.items():
            lowered.setdefault("unedited", {}).setdefault(key, []).append(v)
        top = np.zeros(img.shape[:2], bool)
        grown = cv2.dilate(openings(crop.shape[:2], eyes[:2]).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        top[r.y0:r.y1, r.x0:r.x1] = grown & (np.arange(crop.shape[0])[:, None] <= eyes[:2, 1].mean())
        t = time.perf_counter()
        edit, _ = drain(run_parts_edit(Job("parts_edit", params={"state": state},
                                           inputs={"image": img, "parts": np.where(top, names.index("skin") + 1, 0)
                                                   .astype(np.uint8)}), mm))
        for key, v in (lid_figures(crop, edit.pixels, eyes) | {"seconds": time.perf_counter() - t,
                                                                "lowered": float("Lowered" in edit.message)}).items():
            lowered.setdefault("upper half painted", {}).setdefault(key, []).append(v)
        tiles.append(close_up(edit.pixels, eyes[:2]))
        grid.append(np.concatenate(tiles, 1))
    table = {k: {key: float(np.nanmean(v)) for key, v in r.items()} | {"n": len(r["gap"])} for k, r in recs.items()}
    table["lowered lids (real portraits)"] = {k: {key: float(np.nanmean(v)) for key, v in r.items()}
                                              for k, r in lowered.items()}
    rows: list[Measurement] = []
    for k, v in table["lowered lids (real portraits)"].items():
        rows += [(f"lowered lids, {k}: the opening's upper part from the skin around it (ΔE)", v["upper_gap"], "ΔE"),
                 (f"lowered lids, {k}: largest change in its part below the eyes' line", v["below_max"], "/255")]
    for k, v in ((k, v) for k, v in table.items() if k in recs):
        rows += [(f"{k}: the opening's colour from the skin around it (ΔE, median colours)", v["gap"], "ΔE"),
                 (f"{k}: the opening lighter than the skin around it (the eye's white)", 100 * v["white"], "%"),
                 (f"{k}: largest change beyond the openings", v["outside_max"], "/255"),
                 (f"{k}: the generator's re-segmenting check (its 64-px faces all have open eyes)",
                  100 * v["resegmented"], "%"),
                 (f"{k}: the pixel part reader's check (painted pixels read as skin; its own model's view)",
                  100 * v["read"], "%"),
                 (f"{k}: time per edit", v["seconds"], "s")]
    if out is not None:
        from latentbrush.bench.chart import bar_chart

        (out / "parts_eyes.json").write_text(json.dumps(table, indent=2))
        bar_chart([r for r in rows if r[2] == "ΔE"], out / "parts_eyes_chart.png",
                  "Eyes painted shut: the opening's colour from the skin around it (lower: more like a lid)")
        cv2.imwrite(str(out / "parts_eyes.png"), cv2.cvtColor(np.concatenate(grid, 0), cv2.COLOR_RGB2BGR))
    return rows

