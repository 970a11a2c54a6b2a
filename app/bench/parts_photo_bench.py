"""Part edits on real photos (`latentbrush bench parts_photo`): the scripted edits of `bench parts`
painted on the part maps of the astronaut and the real portraits, run the way the editor runs them.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from latentbrush.bench.common import Measurement, model_manager

WIDEN = 1.3            # `widen_lips`: the band painted spans this many times the lips' corners' distance
WIDEN_MORE = 1.6       # `widen_lips_more`: a person asking for much more (helpers saw the jaw bulge past 1.3×)
BAND = 0.12            # … and ± this many times it across


def lips_band(crop: np.ndarray, corners: np.ndarray, mouth: int, widen: float = WIDEN) -> np.ndarray:
    """The painted labels (crop map, −1 unpainted) of a person widening the lips: mouth painted along
    the line through the detector's mouth corners, `widen` × their distance long and ± BAND × it thick,
    where the part map does not already say mouth."""
    h, w = crop.shape
    a, b = np.asarray(corners, np.float64)
    d = float(np.linalg.norm(b - a))
    u, mid = (b - a) / max(d, 1e-6), (a + b) / 2
    xs, ys = np.meshgrid(np.arange(w) - mid[0], np.arange(h) - mid[1])
    band = (np.abs(xs * u[0] + ys * u[1]) <= widen * d / 2) & (np.abs(xs * u[1] - ys * u[0]) <= BAND * d)
    return np.where(band & (crop != mouth), mouth, -1)


def mouth_crop(img: np.ndarray, corners: np.ndarray, side: int = 200) -> np.ndarray:
    """The mouth and the nose above it (a square 1.8 × the lips' corners' distance, centred a quarter of
    it above their midpoint), at `side` px: where a mouth edit shows, and what it must leave alone."""
    a, b = np.asarray(corners, np.float64)
    d = float(np.linalg.norm(b - a))
    cx, cy = (a + b) / 2 - [0.0, 0.25 * d]
    m = np.float32([[side / (1.8 * d), 0, side / 2 - cx * side / (1.8 * d)],
                    [0, side / (1.8 * d), side / 2 - cy * side / (1.8 * d)]])
    return cv2.warpAffine(img, m, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def parts_photo(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    """The scripted edits (grow the mouth, grow the hair) on real photos, the way the editor runs
    them: the face projected and the generator tuned (run_parts_map), the edit painted on its part map
    at ~2 generator pixels, the result re-segmented. Growing the mouth: as shipped (the photo's own
    mouth warped onto the painted shape, app/ml/parts/shapewarp.py, the map's mouth taken to end at the
    face detector's corners), as in stop 46 (the map's mouth as found), as in stop 45 (the photo's pixels
    moved along the generator's change of shape, runners.moves_pixels) and as until stop 45 (the
    generator's change added, with the tone term); with the mouth's width as the face detector (MTCNN,
    no generator) finds its corners, before and after, and the width the paint asks for (the painted
    mouth's extent over the part map's, and its full extent over the detector's corners). Growing the
    hair: added (both). Photos: the astronaut and the real portraits of the real-photo bench. Tone
    shift = the mean change of the pixels' grey level in the clipped area,
    weighted by the clip (a dark smear: strongly negative). Writes parts_photo.png (before | paint |
    mouth as shipped | stop 46 | by the generator's motion | added; hair rows: before | paint | after) and
    parts_photo.json; parts_photo_mouths.png: the mouth and nose, before | each variant, per mouth edit."""
    import json

    from latentbrush.bench.portraits import loaded
    from latentbrush.core.jobs import Job, drain
    from latentbrush.ml.faces.detect import DETECTOR_ID, detect_faces
    from latentbrush.ml.latent import photo
    from latentbrush.ml.parts import photoedit, runners, shapewarp
    from latentbrush.ml.parts.labels import scripted_edit
    from latentbrush.ml.parts.shapewarp import landing

    mm = model_manager()
    det = mm.get(DETECTOR_ID).net

    def landmarks(img: np.ndarray, r) -> np.ndarray | None:
        """The five landmarks of the face the detector finds in region r (None: not found)."""
        faces = [f for f in detect_faces(det, img) if f.score >= 0.9]
        cx, cy = (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2
        near = [f for f in faces if abs((f.box[0] + f.box[2]) / 2 - cx) < r.width / 3
                and abs((f.box[1] + f.box[3]) / 2 - cy) < r.height / 3]
        return near[0].landmarks if near else None

    def mouth_width(img: np.ndarray, r) -> float:
        """The mouth corners' distance / the eyes' distance of the face in region r (NaN: not found)."""
        lm = landmarks(img, r)
        return float("nan") if lm is None else \
            float(np.linalg.norm(lm[4] - lm[3]) / max(np.linalg.norm(lm[1] - lm[0]), 1e-6))

    rows: list[Measurement] = []
    grid, table, mouths = [], {}, []
    photos = [(p, img) for p, img in loaded(Path(__file__).resolve().parents[2]) if not p.name.startswith("group")]
    variants = {"grow_mouth": (("", None), (" (the map's mouth as found)", "map"),
                               (" (ellipses of inertia, the map's mouth as found: stop 46)", "inertia"),
                               (" (the generator's motion, stop 45)", "motion"),
                               (" (added, until stop 45)", "added")),
                "widen_lips": (("", None), (" (the face's outline free to move: until stop 50)", "free"),
                               (" (the map's mouth as found)", "map"),
                               (" (ellipses of inertia, the map's mouth as found: stop 46)", "inertia")),
                "widen_lips_more": (("", None), (" (the face's outline free to move: until stop 50)", "free")),
                "grow_hair": (("", None),)}
    shipped = runners.moves_pixels, runners.shape_field, photo.crop_landmarks, shapewarp.piece_map, photoedit.face_fade

    def inertia(now, wanted, similar=False, axis=None, on_line=None):
        return shipped[3](now, wanted, similar) if similar else shapewarp.inertia_map(now, wanted)

    def along(mask: np.ndarray, corners: np.ndarray) -> float:
        """The mask's full extent along the line between the corners (px)."""
        ys, xs = np.nonzero(mask)
        u = (corners[1] - corners[0]) / max(float(np.linalg.norm(corners[1] - corners[0])), 1e-6)
        t = xs * u[0] + ys * u[1]
        return float(t.max() - t.min()) if t.size else float("nan")

    def width(mask: np.ndarray) -> float:
        xs = np.nonzero(mask)[1]
        return float(np.percentile(xs, 97) - np.percentile(xs, 3)) if xs.size else float("nan")
    for p, img in photos[:2] if quick else photos:
        res, _ = drain(runners.run_parts_map(Job("parts_map", params={}, inputs={"image": img}), mm))
        state, full, names = res.info.get("projected"), res.info["parts_map"], res.info["names"]
        if state is None:
            continue
        r = state.region
        width0 = mouth_width(img, r)
        # the map's mouth against the detector's corners: paint placed by the real lips asks for more than meant
        lm = landmarks(img, r)
        mouth_map = full[r.y0:r.y1, r.x0:r.x1] == names.index("mouth") + 1
        table.setdefault(p.name, {})["map_mouth_over_corners"] = float("nan") if lm is None else \
            width(mouth_map) / max(float(np.linalg.norm(lm[4] - lm[3])), 1e-6)
        # the face's silhouette on the map as found (its parts and the neck, holes filled, against the background,
        # the hair and the clothes; not the crop's edge)
        raw = np.isin(full[r.y0:r.y1, r.x0:r.x1].astype(np.int64) - 1,
                      [names.index(n) for n in (*photoedit.FACE, photoedit.FACE_NECK) if n in names]).astype(np.uint8)
        raw = cv2.drawContours(np.zeros_like(raw), cv2.findContours(raw, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0],
                               -1, 1, thickness=cv2.FILLED)
        silhouette = (raw > 0) & (cv2.erode(raw, np.ones((3, 3), np.uint8)) == 0)
        for kind in ("grow_mouth", "widen_lips", "widen_lips_more", "grow_hair") if lm is not None \
                else ("grow_mouth", "grow_hair"):
            crop = full[r.y0:r.y1, r.x0:r.x1].astype(np.int64) - 1       # −1: outside the face frame
            crop = np.where(crop < 0, names.index("background"), crop)
            if kind.startswith("widen_lips"):   # as a person paints by the lips: a band 1.3× the corners' distance
                target = lips_band(crop, lm[3:] - [r.x0, r.y0], names.index("mouth"),
                                   WIDEN_MORE if kind == "widen_lips_more" else WIDEN)
            else:
                target = scripted_edit(crop, kind, names, amount=max(2, round(2 * r.width / 64)))
            layer = np.zeros(img.shape[:2], np.uint8)
            layer[r.y0:r.y1, r.x0:r.x1] = np.where(target >= 0, target + 1, 0)
            y0, y1, x0, x1 = max(r.y0 - 20, 0), r.y1 + 20, max(r.x0 - 20, 0), r.x1 + 20
            paint = np.where(layer[..., None] > 0, np.array([255, 0, 0], np.uint8), img // 2 + 64)
            tiles = [img[y0:y1, x0:x1], paint[y0:y1, x0:x1]]
            near = [] if kind == "grow_hair" or lm is None else [mouth_crop(img, lm[3:])]   # before | each variant
            for suffix, moves in variants[kind]:
                t = time.perf_counter()
                job = Job("parts_edit", params={"state": state, "seed": 0}, inputs={"image": img, "parts": layer})
                if moves == "added":
                    runners.moves_pixels = lambda *a: False
                elif moves == "motion":
                    runners.shape_field = lambda *a, **k: None
                elif moves == "free":
                    photoedit.face_fade = lambda labels, names, image=None: np.ones(labels.shape)
                elif moves in ("map", "inertia"):
                    photo.crop_landmarks = lambda *a: None
                    shapewarp.piece_map = inertia if moves == "inertia" else shipped[3]
                try:
                    edit, _ = drain(runners.run_parts_edit(job, mm))
                finally:
                    (runners.moves_pixels, runners.shape_field, photo.crop_landmarks, shapewarp.piece_map,
                     photoedit.face_fade) = shipped
                w = edit.info["clip"]
                change = (edit.pixels.astype(np.float32) - img[r.y0:r.y1, r.x0:r.x1]).mean(axis=2)
                after = img.copy()
                after[r.y0:r.y1, r.x0:r.x1] = edit.pixels
                rec = {"resegmented": edit.info["seen"], "tone_shift": float((change * w).sum() / w.sum()),
                       "blotches": edit.info["blotches"], "seconds": time.perf_counter() - t}
                label = f"{p.name}, {kind}{suffix}"
                if kind != "grow_hair":
                    rec["mouth_width_change"] = 100 * (mouth_width(after, r) / width0 - 1)
                    m = names.index("mouth")
                    painted = (target == m) | ((target < 0) & (crop == m))
                    rec["mouth_width_asked"] = 100 * (width(painted) / width(crop == m) - 1)
                    # … and against the lips' own corners (the detector's): the painted mouth's full extent
                    rec["mouth_width_asked_by_corners"] = float("nan") if lm is None else 100 * (
                        along(painted, lm[3:] - [r.x0, r.y0]) / float(np.linalg.norm(lm[4] - lm[3])) - 1)
                    rec["reshaped"] = edit.info.get("reshaped")
                    # where the photo's own lip corners (the detector's, on the original) land in the warp:
                    # exact for the warp; NaN for the variants that do not warp
                    field = edit.info.get("reshape")
                    ends = None if field is None or lm is None else landing(field, lm[3:] - [r.x0, r.y0])
                    rec["corners_moved"] = float("nan") if ends is None else 100 * (
                        float(np.linalg.norm(ends[1] - ends[0]) / np.linalg.norm(lm[4] - lm[3])) - 1)
                    # how far the face's silhouette on the map (jaw, cheeks) moved, over the corners' distance
                    rec["outline_moved"] = float("nan") if field is None or lm is None or not silhouette.any() else \
                        100 * float(np.hypot(*np.moveaxis(field.disp, -1, 0))[silhouette].max()
                                    / np.linalg.norm(lm[4] - lm[3]))
                    rows.append((f"{label}: mouth width change (face detector's corners)",
                                 rec["mouth_width_change"], "%"))
                table.setdefault(p.name, {})[kind + suffix] = rec
                rows += [(f"{label}: changed pixels showing the painted part, re-segmented",
                          100 * rec["resegmented"], "%"),
                         (f"{label}: tone shift in the clipped area", rec["tone_shift"], "levels"),
                         (f"{label}: colour blotches", 100 * rec["blotches"], "%"),
                         (f"{label}: time", rec["seconds"], "s")]
                tiles.append(after[y0:y1, x0:x1])
                near += [mouth_crop(after, lm[3:])] if near else []
            tiles += [np.zeros_like(tiles[0])] * (2 + len(variants["grow_mouth"]) - len(tiles))
            grid.append(np.concatenate([cv2.resize(t_, (192, 192), interpolation=cv2.INTER_AREA) for t_ in tiles], 1))
            if near:
                near += [np.zeros_like(near[0])] * (1 + len(variants["grow_mouth"]) - len(near))
                mouths.append(np.concatenate(near, 1))
    ratios = [v["map_mouth_over_corners"] for v in table.values()]
    if ratios:
        rows.append((f"median over {len(ratios)} photos: the part map's mouth width / the detector's mouth corners",
                     100 * float(np.nanmedian(ratios)), "%"))
    for kind, vs in variants.items():
        for suffix, _ in vs:
            recs = [v[kind + suffix] for v in table.values() if kind + suffix in v]
            if not recs:
                continue
            rows += [(f"mean over {len(recs)} photos, {kind}{suffix}: re-segmented",
                      100 * float(np.mean([x["resegmented"] for x in recs])), "%"),
                     (f"mean over {len(recs)} photos, {kind}{suffix}: tone shift",
                      float(np.mean([x["tone_shift"] for x in recs])), "levels")]
            if kind != "grow_hair":
                rows += [(f"mean over {len(recs)} photos, {kind}{suffix}: mouth width change (face detector)",
                          float(np.nanmean([x["mouth_width_change"] for x in recs])), "%")]
                moved = [x for x in recs if np.isfinite(x["corners_moved"])]
                rows += [(f"mean over {len(moved)} photos, {kind}{suffix}: the photo's lip corners moved apart by "
                          "(the warp)", float(np.mean([x["corners_moved"] for x in moved])), "%"),
                         *[(f"{how} over {len(moved)} photos, {kind}{suffix}: the face's silhouette on the part "
                            "map moved by (the warp, % of the lips' corners' distance)",
                            float(agg([x["outline_moved"] for x in moved])), "%")
                           for how, agg in (("mean", np.nanmean), ("max", np.nanmax))],
                         (f"mean over {len(moved)} photos, {kind}{suffix}: |lip corners moved apart − the width the "
                          "paint asks for by the corners|", float(np.mean([abs(x["corners_moved"] - x[
                              "mouth_width_asked_by_corners"]) for x in moved])), "points")] if moved else []
                rows += [(f"mean over {len(recs)} photos, {kind}: mouth width the paint asks for (part maps)",
                          float(np.nanmean([x["mouth_width_asked"] for x in recs])), "%"),
                         (f"mean over {len(recs)} photos, {kind}: mouth width the paint asks for (the painted "
                          "mouth's extent over the detector's corners)",
                          float(np.nanmean([x["mouth_width_asked_by_corners"] for x in recs])), "%")
                         ] if not suffix else []
    if out is not None and grid:
        (out / "parts_photo.json").write_text(json.dumps(table, indent=2))
        cv2.imwrite(str(out / "parts_photo.png"), cv2.cvtColor(np.concatenate(grid, 0), cv2.COLOR_RGB2BGR))
        if mouths:
            cv2.imwrite(str(out / "parts_photo_mouths.png"), cv2.cvtColor(np.concatenate(mouths, 0), cv2.COLOR_RGB2BGR))
    return rows
