"""Real photos: faces found, fidelity of the projection, what the sliders do to a person, time.

Run as the app runs: the "project" job (face finder, alignment, projection, generator tuning with
the app's settings) and the "attribute" job (slider values applied back onto the photo).

Figures (per face, then averaged over the tuning and the held-out set, see portraits.py):
- faces found by the landmark detector (MTCNN, score ≥ 0.9) and by the Haar fallback;
- fidelity in the detector's face box, at the photo's resolution: PSNR of the projection carried
  back into the photo, vs the *64-px round trip* (the aligned crop squeezed to 64 px and back,
  the best a 64-px generator can do);
- landmark movement of each slider at ±2 (MTCNN on the edited photo, in interocular distances):
  for smile the mouth corners' height relative to the nose (negative = lifted);
- mean colour shift of the face box under smile ±2 (0..255; a colour cast shows here);
- pixels changed outside the edit region (0 by construction: the apply-back writes only inside);
- time per stage (detect + align, projection, tuning, one slider render).
Identity is not measured here: the project has no face-recognition model, and must not optimise
against one.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement, model_manager

REPO = Path(__file__).resolve().parents[2]
SLIDERS = ("smile", "lighting", "head_turn")


def _drive(gen):
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float(10 * np.log10(255.0 ** 2 / max(mse, 1e-10)))


def face_marks(det, img: np.ndarray):
    from latentbrush.ml.faces.detect import detect_faces
    faces = [f for f in detect_faces(det, img) if f.score >= 0.9]
    return faces[0].landmarks.astype(np.float64) if faces else None


def _mouth(L: np.ndarray) -> float:
    iod = float(np.linalg.norm(L[1] - L[0]))
    return float(L[3:, 1].mean() - L[2, 1]) / iod


def _faces_of(img: np.ndarray, models):
    from latentbrush.ml.latent.faces import detect_faces as haar
    from latentbrush.ml.latent.photo import find_faces
    t = time.perf_counter()
    found = find_faces(img, models)
    return found, len(haar(img)), time.perf_counter() - t


def _one_face(img, face_i, found, models, det, config: dict) -> dict:
    from latentbrush.core.jobs import Job
    from latentbrush.ml.latent import align
    from latentbrush.ml.latent.runners import run_project
    from latentbrush.ml.latent.sliders import run_attribute

    f = found[face_i]
    t = time.perf_counter()
    res = _drive(run_project(Job("project", params={"region": "auto", "face": face_i, **config},
                                 inputs={"image": img}), models))
    t_proj = time.perf_counter() - t
    st = res.info["latent_state"]
    r = st.region
    crop = np.asarray(st.reference)
    fb = f.box
    fx0, fy0, fx1, fy1 = fb.x0 - r.x0, fb.y0 - r.y0, fb.x1 - r.x0, fb.y1 - r.y0
    warp = st.warp_matrix
    R = st.base_render.shape[0]
    cover = align.frame_coverage(warp, crop.shape[:2])[..., None]
    back = align.from_frame(np.asarray(st.base_render), warp, crop.shape[:2])
    recon = np.clip(back * cover + crop * (1 - cover), 0, 255)
    trip = align.from_frame(align.to_frame(crop, warp, R), warp, crop.shape[:2])
    trip = np.clip(trip * cover + crop * (1 - cover), 0, 255)
    box = (slice(max(fy0, 0), fy1), slice(max(fx0, 0), fx1))
    out = {"fit_psnr_box": _psnr(recon[box], crop[box]), "bound_psnr_box": _psnr(trip[box], crop[box]),
           "fit_psnr_frame": float(st.fit_psnr), "t_project": t_proj,
           "tuned": st.tuning is not None, "images": {"photo": crop, "projection": np.rint(recon).astype(np.uint8)}}
    if st.tuning is not None:
        out["psnr_before_tuning_frame"] = float(st.tuning.psnr_before)
    L0 = face_marks(det, crop)
    for name in SLIDERS:
        for v in (2.0, -2.0):
            t = time.perf_counter()
            job = Job("attribute", params={"state": st, "values": {name: v}}, inputs={"image": img})
            ares = _drive(run_attribute(job, models))
            out.setdefault("t_slider", []).append(time.perf_counter() - t)
            b = ares.bbox                   # the region, or the box a shading change was carried into (carry.py)
            full = img.copy()
            full[b.y0:b.y1, b.x0:b.x1] = np.asarray(ares.pixels)
            edited = full[r.y0:r.y1, r.x0:r.x1]
            changed = (full != img).any(axis=2)
            in_box = int(changed[b.y0:b.y1, b.x0:b.x1].sum())
            out["outside_changed"] = out.get("outside_changed", 0) + int(changed.sum()) - in_box
            out[f"carried_{name}{v:+.0f}"] = in_box - int(changed[r.y0:r.y1, r.x0:r.x1].sum())
            L1 = face_marks(det, edited)
            key = f"{name}{v:+.0f}"
            if L0 is not None and L1 is not None:
                iod = float(np.linalg.norm(L0[1] - L0[0]))
                out[f"move_{key}"] = float(np.linalg.norm(L1 - L0, axis=1).mean() / iod)
                if name == "smile":
                    out[f"mouth_{key}"] = _mouth(L1) - _mouth(L0)
            else:
                out[f"lost_{key}"] = True
            out[f"cast_{key}"] = float(np.abs(edited[box].reshape(-1, 3).mean(0)
                                              - crop[box].reshape(-1, 3).mean(0)).mean())
            if key in ("smile+2", "smile-2", "lighting+2"):
                out["images"][key] = edited
    return out


def _mean(rs: list[dict], key: str) -> float:
    vals = [r[key] for r in rs if key in r]
    return float(np.mean(vals)) if vals else float("nan")


def labelled_grid(rows: list[list[np.ndarray]], path: Path, labels: list[str]) -> None:
    import cv2
    from PIL import Image, ImageDraw
    cell = 128
    img = Image.new("RGB", (cell * len(labels), 18 + cell * len(rows)), "white")
    d = ImageDraw.Draw(img)
    for j, lab in enumerate(labels):
        d.text((j * cell + 4, 3), lab, fill="black")
    for i, row in enumerate(rows):
        for j, a in enumerate(row):
            tile = cv2.resize(np.ascontiguousarray(a), (cell, cell), interpolation=cv2.INTER_AREA)
            img.paste(Image.fromarray(tile), (j * cell, 18 + i * cell))
    img.save(path)


def realphoto(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    from latentbrush.bench.portraits import GROUP_TUNING_FACES, PORTRAITS, portrait_path
    from latentbrush.core.imageio import load_image
    from latentbrush.ml.faces.detect import DETECTOR_ID

    models = model_manager(REPO / "models", device=None)
    det = models.get(DETECTOR_ID).net
    configs = {"untuned": {"tune": False}, "tuned": {"tune": True}}
    if not quick:
        configs["tuned, no locality"] = {"tune": True, "tune_locality": 0.0}
    portraits = PORTRAITS[:3] if quick else PORTRAITS
    per: dict[str, list[dict]] = {c: [] for c in configs}
    found_mtcnn = found_haar = 0
    t_detect = []
    grid_rows = []
    for p in portraits:
        img = load_image(portrait_path(p, REPO)).pixels
        found, n_haar, dt = _faces_of(img, models)
        found_mtcnn += len(found)
        found_haar += n_haar
        t_detect.append(dt)
        for i in range(min(len(found), 2 if quick else 6)):
            held = p.held_out or (p.name == "group_t1" and i >= GROUP_TUNING_FACES)
            for cname, cfg in configs.items():
                rec = _one_face(img, i, found, models, det, cfg)
                rec.update(name=f"{p.name}#{i + 1}", held_out=held)
                if cname == "tuned":
                    ims = rec["images"]
                    un = per["untuned"][-1]["images"]["projection"]
                    grid_rows.append([ims["photo"], un, ims["projection"], ims["smile+2"], ims["smile-2"],
                                      ims["lighting+2"]])
                per[cname].append(rec)
    ms: list[Measurement] = [("faces found: landmark detector (MTCNN)", float(found_mtcnn), "faces"),
                             ("faces found: Haar fallback", float(found_haar), "faces"),
                             ("detect + align, per photo (median)", float(np.median(t_detect)) * 1000, "ms")]
    for cname, recs in per.items():
        for subset, sel in (("tuning set", False), ("held-out", True)):
            rs = [r for r in recs if r["held_out"] == sel]
            if not rs:
                continue
            tag = f"{cname}, {subset} ({len(rs)} faces)"
            gap = [r["bound_psnr_box"] - r["fit_psnr_box"] for r in rs]
            ms += [(f"{tag}: fit in face box", float(np.mean([r["fit_psnr_box"] for r in rs])), "dB"),
                   (f"{tag}: 64-px round trip bound", float(np.mean([r["bound_psnr_box"] for r in rs])), "dB"),
                   (f"{tag}: gap to bound (worst)", float(np.max(gap)), "dB"),
                   (f"{tag}: smile +2 mouth corners", _mean(rs, "mouth_smile+2"), "IOD"),
                   (f"{tag}: smile -2 mouth corners", _mean(rs, "mouth_smile-2"), "IOD"),
                   (f"{tag}: smile ±2 colour shift in face box",
                    float(np.mean([(r["cast_smile+2"] + r["cast_smile-2"]) / 2 for r in rs])), "/255"),
                   (f"{tag}: faces lost after an edit",
                    float(sum(any(k.startswith("lost_") for k in r) for r in rs)), "faces"),
                   (f"{tag}: pixels changed outside the edit's box (by construction)",
                    float(sum(r["outside_changed"] for r in rs)), "px"),
                   (f"{tag}: lighting ±2, pixels carried past the region (mean)",
                    float(np.mean([(r["carried_lighting+2"] + r["carried_lighting-2"]) / 2 for r in rs])), "px"),
                   (f"{tag}: projection (+ tuning) time", float(np.median([r["t_project"] for r in rs])), "s"),
                   (f"{tag}: one slider render (median)",
                    float(np.median([t for r in rs for t in r["t_slider"]])) * 1000, "ms")]
            for name in SLIDERS:
                for v in ("+2", "-2"):
                    ms.append((f"{tag}: {name} {v} landmark movement", _mean(rs, f"move_{name}{v}"), "IOD"))
    if out is not None:
        labelled_grid(grid_rows, out / "realphoto_grid.png",
              ["photo (crop)", "projection", "tuned", "smile +2", "smile -2", "lighting +2"])
        slim = {c: [{k: v for k, v in r.items() if k != "images"} for r in recs] for c, recs in per.items()}
        (out / "realphoto.json").write_text(json.dumps(slim, indent=1))
    return ms
