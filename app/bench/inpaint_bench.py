"""Inpainting benchmarks.

inpaint_quality: held-out faces (generator samples from a seed no training run draws) and held-out
  photo crops (resources/eval/inpaint-photos64.png: coffee + rocket, never in training), each with
  rectangular and free-form masks covering 10–40 % and object-sized blobs (8–30 %); PSNR / SSIM / L1
  of the whole composited image for every fill method vs Telea, and inside the holes: PSNR, its gain
  over the better of Telea and Navier–Stokes for each image (issue 19's headline) and the texture
  kept (Laplacian energy of the fill / the truth's, median; a blur scores near 0). Writes
  inpaint_grid.png (input | mask | each method | truth).
  photos256/*: 256² crops of the same held-out photos at full resolution (object blobs, strokes).
inpaint_gate: the content-aware fill's generator-prior gate on faces, photo crops and masks it was not
  chosen on: how often the prior fills alone, and the gain over the better classical fill.
inpaint_speed: time per fill at 256² (25 % square mask on noise and on a held-out photo; brush
  strokes covering 15–25 % of the photo) and on a 2000×1500 image with a small mask.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement, model_manager
from latentbrush.core.jobs import drain

FACE_SEED = 5_150_001
MASK_SEED = 5_150_003
EVAL_PNG = Path(__file__).resolve().parents[2] / "resources" / "eval" / "inpaint-photos64.png"


def held_out_photos_256(n: int, rng: np.random.Generator) -> np.ndarray | None:
    """n random 256² crops of the held-out photos (coffee, rocket: never in training), full resolution."""
    try:
        from skimage import data
    except ImportError:
        import sys
        print("inpaint bench: the 256² photo sets are skipped: scikit-image is not installed "
              "(pip install -e '.[train]')", file=sys.stderr)
        return None
    from latentbrush.ml.train.completion import HELD_OUT_PHOTOS

    photos = [getattr(data, name)()[..., :3] for name in HELD_OUT_PHOTOS]
    crops = []
    for i in range(n):
        p = photos[i % len(photos)]
        y, x = int(rng.integers(0, p.shape[0] - 255)), int(rng.integers(0, p.shape[1] - 255))
        crops.append(np.ascontiguousarray(p[y:y + 256, x:x + 256]))
    return np.stack(crops)


def eval_sets(G, n_faces: int, n_photos: int, n_256: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"faces/rect": (images, masks), "faces/free-form": …, "photos/rect": …, "photos/free-form": …,
    "faces/object", "photos/object" (blobs); with n_256: "photos256/object", "photos256/free-form"}"""
    import torch

    from latentbrush.ml.inpaint.evaluation import read_photo_eval
    from latentbrush.ml.inpaint.masks import random_mask
    from latentbrush.ml.tensors import to_images

    g = torch.Generator().manual_seed(FACE_SEED)
    with torch.no_grad():
        faces = to_images(G(torch.randn(n_faces, G.nz, generator=g)))
    photos = read_photo_eval(EVAL_PNG)[:n_photos] if EVAL_PNG.is_file() and n_photos else None
    rng = np.random.default_rng(MASK_SEED)
    out = {}
    for name, imgs in (("faces", faces), ("photos", photos)):
        if imgs is None:
            continue
        for kind in ("rect", "stroke"):
            masks = np.stack([random_mask(64, 64, rng, kind=kind) * 255 for _ in range(len(imgs))]).astype(np.uint8)
            out[f"{name}/{'rect' if kind == 'rect' else 'free-form'}"] = (imgs, masks)
    blobs = np.random.default_rng(MASK_SEED + 1)          # its own stream: the sets above stay as they were
    for name, imgs in (("faces", faces), ("photos", photos)):
        if imgs is not None:
            masks = np.stack([random_mask(64, 64, blobs, kind="blob", coverage=(0.08, 0.3)) * 255
                              for _ in range(len(imgs))]).astype(np.uint8)
            out[f"{name}/object"] = (imgs, masks)
    big = np.random.default_rng(MASK_SEED + 2)             # the 256² crops: their own stream too
    crops = held_out_photos_256(n_256, big) if n_256 else None
    if crops is not None:
        for kind, name in (("blob", "object"), ("stroke", "free-form")):
            cov = (0.08, 0.3) if kind == "blob" else (0.1, 0.4)
            masks = np.stack([random_mask(256, 256, big, kind=kind, coverage=cov) * 255
                              for _ in range(len(crops))]).astype(np.uint8)
            out[f"photos256/{name}"] = (crops, masks)
    return out


def hole_psnr(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """PSNR (0–255) over the hole's pixels only."""
    d = (pred.astype(np.float64) - truth)[mask > 0] / 255.0
    return float(-10 * np.log10(max(float(np.mean(d ** 2)), 1e-10)))


def texture_kept(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """Laplacian energy of the fill inside the hole (less its 1-px rim, where a seam would count) /
    that of the truth (1 = as much detail as the truth, near 0 = a blur; noise scores above 1)."""
    import cv2

    inner = cv2.erode((mask > 0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0   # not the seam
    if not inner.any():
        inner = mask > 0

    def energy(img):
        g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return float(np.mean(cv2.Laplacian(g, cv2.CV_32F)[inner] ** 2))
    return energy(pred) / max(energy(truth), 1e-6)


def fill_all(filler, imgs, masks, blend):
    from latentbrush.ml.inpaint.fill import inpaint_image

    res = []
    for img, m in zip(imgs, masks, strict=True):
        holed = img.copy()
        holed[m > 0] = 255
        (out, _), _ = drain(inpaint_image(holed, m, filler, blend=blend))
        res.append(out)
    return np.stack(res)


def gain_over_classical(fill, classical, img: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, float]:
    """(the fill of one image with the content-aware fill's own seams, as the app makes it; its PSNR inside the
    hole minus the better of the `classical` fills')."""
    ours = fill_all(fill, img[None], mask[None], "own")[0]
    best = max(hole_psnr(fill_all(c, img[None], mask[None], "none")[0], img, mask) for c in classical)
    return ours, hole_psnr(ours, img, mask) - best


def _scores(pred, truth):
    from latentbrush.ml.inpaint.evaluation import scores

    r = scores(pred, truth)                 # uint8 images, data_range 0–255
    return r["psnr"], r["ssim"], r["l1"]


def _fillers(mm, quick: bool):
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.fill import make_filler

    out = []
    for m in methods.fill_methods(mm.manifest):
        if not m.available:
            continue
        f = make_filler(m.id, mm)
        if m.id == methods.PRIOR:
            f.steps = 40 if quick else 150
        default = methods.default_blend(m.id, mm.manifest)
        blends = ["none", default] if default != "none" else ["none"]
        if m.id == methods.EXEMPLAR:      # seconds per crop: its default blend only
            blends = [default]
        out += [(m.id, b, f) for b in blends]
    return out


def inpaint_quality(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    import json

    from latentbrush.bench.chart import bar_chart
    from latentbrush.ml.inpaint import methods

    mm = model_manager()
    G = mm.get(mm.default("generator").id).net
    n = 8 if quick else 32
    sets = eval_sets(G, n, n, 4 if quick else 16)
    rows: list[Measurement] = []
    table: dict = {}
    outputs: dict = {}
    for mid, blend, filler in _fillers(mm, quick):
        for sname, (imgs, masks) in sets.items():
            if mid == methods.PRIOR and not sname.startswith("faces"):
                continue
            k = len(imgs) if mid != methods.PRIOR else min(len(imgs), 4 if quick else 8)
            t = time.perf_counter()
            pred = fill_all(filler, imgs[:k], masks[:k], blend)
            dt = (time.perf_counter() - t) / k
            psnr, ssim, l1 = _scores(pred, imgs[:k])
            key = f"{mid} [{blend}]"
            holes = [hole_psnr(p, t, m) for p, t, m in zip(pred, imgs[:k], masks[:k], strict=True)]
            tex = [texture_kept(p, t, m) for p, t, m in zip(pred, imgs[:k], masks[:k], strict=True)]
            table.setdefault(key, {})[sname] = {"psnr": psnr, "ssim": ssim, "l1": l1, "n": k, "ms_per_image": dt * 1000,
                                                "hole_psnr": float(np.mean(holes)), "hole_psnr_each": holes,
                                                "texture_kept_median": float(np.median(tex))}
            outputs[(key, sname)] = pred
            rows.append((f"{sname}: {key} PSNR", psnr, "dB"))
    # the headline: inside the holes, each method against the better of Telea and
    # Navier–Stokes for each image; and how much of the true texture the fill keeps
    for sname in sets:
        classical = [table.get(f"{c} [none]", {}).get(sname) for c in (methods.TELEA, methods.NAVIER_STOKES)]
        if None in classical:
            continue
        best = np.maximum(*[np.asarray(c["hole_psnr_each"]) for c in classical])
        for key, per in table.items():
            if sname not in per:
                continue
            each = np.asarray(per[sname]["hole_psnr_each"])
            per[sname]["hole_gain_vs_best_classical"] = float(np.mean(each - best[:len(each)]))
            rows.append((f"{sname}: {key} − better of Telea/NS, inside the holes",
                         per[sname]["hole_gain_vs_best_classical"], "dB gain"))
            rows.append((f"{sname}: {key} texture kept (median)", 100 * per[sname]["texture_kept_median"], "%"))
    # each learned method's whole-image PSNR minus Telea's, per mask kind
    for sname in sets:
        telea = table.get(f"{methods.TELEA} [none]", {}).get(sname)
        if telea is None:
            continue
        for key, per in table.items():
            if key.startswith(methods.TELEA) or sname not in per or per[sname]["n"] != telea["n"]:
                continue
            rows.append((f"{sname}: {key} − Telea", per[sname]["psnr"] - telea["psnr"], "dB gain"))
    if out is not None:
        (out / "inpaint_quality.json").write_text(json.dumps(table, indent=2))
        bar_chart([r for r in rows if r[2] == "dB"], out / "inpaint_quality.png", "Inpainting PSNR (held out)")
        write_grid(sets, outputs, out / "inpaint_grid.png")
    return rows



GATE_SEED = 7_300_001


def inpaint_gate(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    """The content-aware fill's generator-prior gate on faces and masks it was not chosen on (another
    face seed, another mask stream, all 64 held-out photo crops): how often the prior fills alone,
    and the gain inside the holes over the better of Telea / Navier–Stokes (Poisson seams)."""
    import torch

    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.evaluation import read_photo_eval
    from latentbrush.ml.inpaint.fill import make_filler
    from latentbrush.ml.inpaint.masks import random_mask
    from latentbrush.ml.tensors import to_images

    mm = model_manager()
    fill = make_filler(methods.CONTENT_AWARE, mm)
    classical = [make_filler(m, mm) for m in (methods.TELEA, methods.NAVIER_STOKES)]
    G = mm.get(mm.default("generator").id).net
    with torch.no_grad():
        faces = to_images(G(torch.randn(6 if quick else 24, G.nz, generator=torch.Generator().manual_seed(GATE_SEED))))
    photos = read_photo_eval(EVAL_PNG)[:6 if quick else None]
    rng = np.random.default_rng(GATE_SEED + 1)
    rows: list[Measurement] = []
    for name, imgs in (("faces", faces), ("photos", photos)):
        for kind in ("rect", "stroke", "blob"):
            alone, gains = 0, []
            for img in imgs:
                mask = (random_mask(64, 64, rng, kind=kind, coverage=(0.08, 0.3) if kind == "blob" else (0.1, 0.4))
                        * 255).astype(np.uint8)
                ours, gain = gain_over_classical(fill, classical, img, mask)
                alone += fill.last_weights == [0.0, 0.0, 1.0]
                gains.append(gain)
            rows += [(f"{name} ({len(imgs)}), {kind}: the prior fills alone", 100 * alone / len(imgs), "%"),
                     (f"{name} ({len(imgs)}), {kind}: gain over the better of Telea/NS", float(np.mean(gains)), "dB")]
    return rows

def write_grid(sets, outputs, path: Path, per_set: int = 3) -> None:
    """Rows: a few images of each set; columns: input with hole | mask | each method | truth."""
    from PIL import Image, ImageDraw

    keys = []
    for key, _ in outputs:
        if key not in keys:
            keys.append(key)
    cell, pad = 96, 4
    cols = ["input", "mask", *keys, "truth"]
    rows = [(s, i) for s in sets for i in range(per_set)]
    W = len(cols) * (cell + pad) + pad
    H = 40 + len(rows) * (cell + pad)
    canvas = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(canvas)
    for c, name in enumerate(cols):
        d.text((pad + c * (cell + pad), 6 + (c % 2) * 14), name[:22], fill="black")
    for r, (s, i) in enumerate(rows):
        imgs, masks = sets[s]
        holed = imgs[i].copy()
        holed[masks[i] > 0] = 255
        tiles = [holed, np.repeat(masks[i][..., None], 3, 2)]
        tiles += [outputs[(k, s)][i] if (k, s) in outputs and i < len(outputs[(k, s)]) else np.full_like(holed, 230)
                  for k in keys]
        tiles.append(imgs[i])
        for c, t in enumerate(tiles):
            resample = Image.NEAREST if t.shape[0] <= cell else Image.LANCZOS
            canvas.paste(Image.fromarray(t).resize((cell, cell), resample),
                         (pad + c * (cell + pad), 40 + r * (cell + pad)))
    canvas.save(path)


def inpaint_speed(quick: bool = False) -> list[Measurement]:
    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.fill import inpaint_image, make_filler

    mm = model_manager()
    rng = np.random.default_rng(7)
    cases = {}
    img256 = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    m256 = np.zeros((256, 256), np.uint8)
    m256[64:192, 64:192] = 255                     # 25 %
    cases["256²"] = (img256, m256)
    photo = held_out_photos_256(1, np.random.default_rng(7))
    if photo is not None:
        cases["256² photo"] = (photo[0], m256)
        from latentbrush.ml.inpaint.masks import random_mask
        strokes = random_mask(256, 256, np.random.default_rng(3), kind="stroke", coverage=(0.15, 0.25))
        cases["256² photo, brush strokes"] = (photo[0], (strokes * 255).astype(np.uint8))
    gen = mm.manifest.default("generator")
    if gen is not None and mm.available(gen):
        import torch

        from latentbrush.ml.tensors import to_images
        G = mm.get(gen.id).net
        with torch.no_grad():
            face = to_images(G(torch.randn(1, G.nz, generator=torch.Generator().manual_seed(FACE_SEED + 1))))[0]
        m64 = np.zeros(face.shape[:2], np.uint8)
        m64[20:44, 16:48] = 255
        cases["64² face (the content-aware fill tries the generator prior)"] = (face, m64)
    big = rng.integers(0, 256, (1500, 2000, 3), dtype=np.uint8)
    mbig = np.zeros((1500, 2000), np.uint8)
    mbig[700:780, 900:1000] = 255                  # a small blemish
    cases["2000×1500, small mask"] = (big, mbig)
    reps = 2 if quick else 7
    rows = []
    for m in methods.fill_methods(mm.manifest):
        if not m.available or (m.id == methods.PRIOR and quick):
            continue
        filler = make_filler(m.id, mm)
        blend = methods.default_blend(m.id, mm.manifest)
        for cname, (img, mask) in cases.items():
            if m.id == methods.PRIOR and img.shape[0] != img.shape[1]:
                continue            # the prior needs a face (or a square image); the big photo has none
            times = []
            for _ in range(reps if m.id not in (methods.PRIOR, methods.EXEMPLAR) else 1):   # the slow ones: once
                t = time.perf_counter()
                drain(inpaint_image(img, mask, filler, blend=blend))
                times.append(time.perf_counter() - t)
            rows.append((f"{m.id} [{blend}], {cname}, median", statistics.median(times) * 1000, "ms"))
    return rows


OBJECTS = {   # what a person removes in the sample photos: (photo, strokes [(points, width)], ellipses)
    "coffee: the spoon": ("coffee", [([(412, 66), (400, 140), (384, 222)], 20)], [((366, 284), (44, 48))]),
    "astronaut: the suit patch": ("astronaut", [], [((169, 385), (48, 48))]),
    "astronaut: the model shuttle": ("astronaut", [([(x, 0), (x, 292)], 40) for x in (366, 392, 418, 444, 466)], []),
}


def inpaint_examples(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    """Objects a person removes from the sample photos (OBJECTS), filled by each method; writes
    inpaint_objects.png (rows: objects; columns: the photo with the mask outlined, each method),
    cropped around the object. Reports each fill's time."""
    import cv2
    from skimage import data

    from latentbrush.ml.inpaint import methods
    from latentbrush.ml.inpaint.fill import inpaint_image, make_filler

    mm = model_manager()
    picks = [m for m in methods.fill_methods(mm.manifest) if m.available and m.id != methods.PRIOR]
    rows: list[Measurement] = []
    tiles = []
    for name, (photo, strokes, ellipses) in OBJECTS.items():
        img = np.ascontiguousarray(getattr(data, photo)()[..., :3])
        mask = np.zeros(img.shape[:2], np.uint8)
        for pts, width in strokes:
            cv2.polylines(mask, [np.array(pts, np.int32)], False, 255, width)
        for centre, axes in ellipses:
            cv2.ellipse(mask, centre, axes, 0, 0, 360, 255, -1)
        ys, xs = np.nonzero(mask)
        pad = 40
        y0, y1 = max(0, ys.min() - pad), min(img.shape[0], ys.max() + pad)
        x0, x1 = max(0, xs.min() - pad), min(img.shape[1], xs.max() + pad)
        shown = img.copy()
        edge = cv2.morphologyEx(mask, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
        shown[edge] = (255, 0, 0)
        row = [shown[y0:y1, x0:x1]]
        for m in picks:
            filler = make_filler(m.id, mm)
            t = time.perf_counter()
            (res, _), _ = drain(inpaint_image(img, mask, filler, blend=methods.default_blend(m.id, mm.manifest)))
            rows.append((f"{name}: {m.id}", (time.perf_counter() - t) * 1000, "ms"))
            row.append(res[y0:y1, x0:x1])
        tiles.append((name, row))
    if out is not None:
        from PIL import Image, ImageDraw

        cell = 200
        cols = ["mask (red outline)", *[m.id for m in picks]]
        canvas = Image.new("RGB", (len(cols) * (cell + 4) + 4, 24 + len(tiles) * (cell + 4)), "white")
        d = ImageDraw.Draw(canvas)
        for c, label in enumerate(cols):
            d.text((4 + c * (cell + 4), 6), label, fill="black")
        for r, (_, row) in enumerate(tiles):
            for c, t in enumerate(row):
                im = Image.fromarray(t)
                s = cell / max(im.size)
                im = im.resize((max(1, round(im.size[0] * s)), max(1, round(im.size[1] * s))), Image.LANCZOS)
                canvas.paste(im, (4 + c * (cell + 4), 24 + r * (cell + 4)))
        canvas.save(out / "inpaint_objects.png")
    return rows
