"""issue 19: the default fill on real photos nobody tuned on — the frames of the real portraits the
real-photo bench fetches — and faces in them with an eye or the mouth masked."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement, model_manager
from latentbrush.bench.inpaint_bench import gain_over_classical, hole_psnr, texture_kept
from latentbrush.core.jobs import drain

WIDE_SEED = 7_400_001


def inpaint_wide(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    """The default fill on real photos it was never tuned or trained on: the real portraits the
    real-photo bench fetches (app/bench/portraits.py; the astronaut is left out, it is a training
    photo), whole frames — faces, hair, clothes, flags, curtains, rooms. 64² crops at a random scale
    (as the photos64 set) with rectangles, strokes and blobs; 256² crops at full resolution with
    blobs and strokes. Reported: the gain inside the holes over the better of Telea / Navier–Stokes
    per image (Poisson seams) and the texture kept (median), for the default and (`best_quality`) the
    best-quality fill on the same crops and masks. Then faces in those photos with each eye in turn, the
    mouth or half of it masked: the default fill against the tuned generator prior, and on the eyes and half
    mouths against the mirror of stop 51 (writes inpaint_faces.jpg and the mirrored holes' close-ups,
    inpaint_eyes.jpg).
    Skipped without network (nothing fetched)."""
    import json

    from latentbrush.bench.portraits import loaded
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.fill import make_filler
    from latentbrush.ml.inpaint.masks import random_mask
    from latentbrush.ml.train.completion import photo_crops

    portraits = list(loaded(Path(__file__).resolve().parents[2]))
    photos = [img for p, img in portraits if p.name != "astronaut"]
    if not photos:
        print("inpaint_wide: no real portraits could be fetched; skipped")
        return []
    mm = model_manager()
    fill = make_filler(methods.CONTENT_AWARE, mm)
    classical = [make_filler(m, mm) for m in (methods.TELEA, methods.NAVIER_STOKES)]
    rng = np.random.default_rng(WIDE_SEED)
    n = 8 if quick else 32
    small = photo_crops(photos, n, 64, rng)
    large = [q for q in photos if min(q.shape[:2]) >= 256]
    big = []
    for i in range(n // 2 if large else 0):
        p = large[i % len(large)]
        y, x = int(rng.integers(0, p.shape[0] - 255)), int(rng.integers(0, p.shape[1] - 255))
        big.append(np.ascontiguousarray(p[y:y + 256, x:x + 256]))
    sets = [("64²", small, kind) for kind in ("rect", "stroke", "blob")] + \
        [("256²", np.stack(big), kind) for kind in ("blob", "stroke") if big]
    rows: list[Measurement] = []
    table: dict = {"photos": len(photos)}
    best = make_filler(methods.EXEMPLAR, mm)        # the best-quality fill, on the same crops and masks
    for size, imgs, kind in sets:
        side = imgs.shape[1]
        gains, kept, best_gains, best_kept = [], [], [], []
        for img in imgs:
            mask = (random_mask(side, side, rng, kind=kind, coverage=(0.08, 0.3) if kind == "blob" else (0.1, 0.4))
                    * 255).astype(np.uint8)
            ours, gain = gain_over_classical(fill, classical, img, mask)
            gains.append(gain)
            kept.append(texture_kept(ours, img, mask))
            theirs, gain = gain_over_classical(best, classical, img, mask)
            best_gains.append(gain)
            best_kept.append(texture_kept(theirs, img, mask))
        key = f"{size} {kind}"
        table[key] = {"n": len(imgs), "gain_db": float(np.mean(gains)), "gain_each": gains,
                      "texture_kept_median": float(np.median(kept)),
                      "best_quality": {"gain_db": float(np.mean(best_gains)), "gain_each": best_gains,
                                       "texture_kept_median": float(np.median(best_kept))}}
        rows += [(f"real photos, {key} ({len(imgs)}): gain over the better of Telea/NS", float(np.mean(gains)), "dB"),
                 (f"real photos, {key}: texture kept (median)", 100 * float(np.median(kept)), "%"),
                 (f"real photos, {key}: best quality, gain", float(np.mean(best_gains)), "dB"),
                 (f"real photos, {key}: best quality, texture kept", 100 * float(np.median(best_kept)), "%")]
    face_rows, grid, close = _face_features(mm, [(p, img) for p, img in portraits if p.name != "astronaut"], table)
    rows += face_rows
    if out is not None:
        (out / "inpaint_wide.json").write_text(json.dumps(table, indent=2))
        if grid:
            import cv2
            cv2.imwrite(str(out / "inpaint_faces.jpg"), cv2.cvtColor(np.concatenate(grid, 0), cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, 88])
        if close:
            import cv2
            cv2.imwrite(str(out / "inpaint_eyes.jpg"), cv2.cvtColor(np.concatenate(close, 0), cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, 90])
    return rows


def _face_features(mm, portraits, table: dict) -> tuple[list[Measurement], list[np.ndarray], list[np.ndarray]]:
    """Each eye in turn, the mouth, then half the mouth (a corner and its side; then reaching a little past the
    middle), of each portrait's largest
    face masked (ellipses scaled by the eye distance): the default fill, the tuned generator prior and the
    classical fills, the way the editor runs them (run_inpaint on the whole photo); on the eyes and the
    half mouth also the default with the mirror as it was in stop 51 (`faces.STOP51`). Returns the rows, the
    grid rows (holed | truth | content-aware | generator prior | Telea | Navier–Stokes, around the face; the
    first eye, the mouth, half the mouth, past the middle) and, for each hole the default mirrored, a close-up
    row (holed | truth | stop 51's fill | the default now)."""
    import cv2

    from latentbrush.core.jobs import Job
    from latentbrush.ml.inpaint import faces as face_fill
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.fill import run_inpaint
    from latentbrush.ml.latent.photo import find_faces

    names = (methods.CONTENT_AWARE, methods.PRIOR, methods.TELEA, methods.NAVIER_STOKES)
    was = "content-aware, stop 51's mirror"

    def filled(holed, mask, mid):
        t = time.perf_counter()
        job = Job("inpaint", params={"model": mid}, inputs={"image": holed, "mask": mask})
        r, _ = drain(run_inpaint(job, mm))
        o = holed.copy()
        o[r.bbox.y0:r.bbox.y1, r.bbox.x0:r.bbox.x1] = r.pixels
        return o, time.perf_counter() - t

    gains: dict = {}
    grid, close = [], []
    for p, img in portraits:
        found = find_faces(img, mm)
        if not found:
            continue
        lm = found[0].landmarks
        iod = float(np.linalg.norm(lm[1] - lm[0]))
        u = (lm[1] - lm[0]) / iod
        # (half the mouth past the middle: its far end 0.05 × the eye distance beyond the corners' midpoint, as
        # a helper's mask went 7 px past it)
        past = lm[3] + (float(((lm[4] - lm[3]) / 2) @ u) + (0.05 - 0.25) * iod) * u
        for part, c, axes in (("eye", lm[0], (0.32, 0.2)), ("other eye", lm[1], (0.32, 0.2)),
                              ("mouth", (lm[3] + lm[4]) / 2, (0.55, 0.3)),
                              ("half the mouth", lm[3] + 0.15 * iod * u, (0.25, 0.2)),
                              ("half the mouth, past the middle", past, (0.25, 0.2))):
            mask = np.zeros(img.shape[:2], np.uint8)
            cv2.ellipse(mask, (int(c[0]), int(c[1])), (int(axes[0] * iod), int(axes[1] * iod)), 0, 0, 360, 255, -1)
            holed = img.copy()
            holed[mask > 0] = 255
            psnr, secs, outs = {}, {}, []
            for mid in names:
                o, secs[mid] = filled(holed, mask, mid)
                psnr[mid] = hole_psnr(o, img, mask)
                outs.append(o)
            best = max(psnr[methods.TELEA], psnr[methods.NAVIER_STOKES])
            row = {"gain_db": {m: psnr[m] - best for m in names}, "seconds": secs}
            if part != "mouth":
                face_fill.STOP51 = True
                try:
                    old, _ = filled(holed, mask, methods.CONTENT_AWARE)
                finally:
                    face_fill.STOP51 = False
                row["gain_db"][was] = hole_psnr(old, img, mask) - best
                gains.setdefault((was, part), []).append(row["gain_db"][was])
                if not np.array_equal(old, outs[0]):          # mirrored (the variants differ only there)
                    r = int(0.55 * iod)
                    sl = (slice(max(int(c[1]) - int(0.7 * r), 0), int(c[1]) + int(0.7 * r)),
                          slice(max(int(c[0]) - r, 0), int(c[0]) + r))
                    close.append(np.concatenate([cv2.resize(np.ascontiguousarray(t_[sl]), (240, 168),
                                                            interpolation=cv2.INTER_CUBIC)
                                                 for t_ in (holed, img, old, outs[0])], 1))
            for mid in names[:2]:
                gains.setdefault((mid, part), []).append(psnr[mid] - best)
            table.setdefault("faces", {})[f"{p.name} {part}"] = row
            if part in ("eye", "mouth", "half the mouth", "half the mouth, past the middle"):
                b = found[0].box
                pad = int(0.2 * b.width)
                sl = (slice(max(b.y0 - pad, 0), b.y1 + pad), slice(max(b.x0 - pad, 0), b.x1 + pad))
                grid.append(np.concatenate([cv2.resize(np.ascontiguousarray(t_[sl]), (160, 160),
                                                       interpolation=cv2.INTER_AREA) for t_ in [holed, img, *outs]], 1))
    rows: list[Measurement] = []
    for (mid, part), g in gains.items():
        rows.append((f"faces in real photos ({len(g)}), {part} masked: {mid} gain over the better of Telea/NS",
                     float(np.mean(g)), "dB"))
    eyes = [g for (mid, part), g in gains.items() if mid == methods.CONTENT_AWARE and "eye" in part]
    olds = [g for (mid, part), g in gains.items() if mid == was and "eye" in part]
    if eyes and olds:
        rows.append((f"faces in real photos, each eye in turn ({sum(map(len, eyes))}): content-aware gain",
                     float(np.mean(np.concatenate(eyes))), "dB"))
        rows.append((f"faces in real photos, each eye in turn: {was}, gain", float(np.mean(np.concatenate(olds))),
                     "dB"))
    return rows, grid, close
