"""Sketch → face from a person's line drawing, scored as a person would see it.

Held-out faces are drawn the way a person draws (ml/translate/drawings.py: smoothed mid-grey
contours, short bits dropped, 3-px black lines on a 256² sheet): the generator's faces never used in
training (seed EVAL_SEED) and the held-out real portraits (aligned to the generator's frame). Each
drawing goes through the editor's path (ml/translate/sketch_face.py: sketch_to_face) with and without
the generator refinement; the result is compared with the true face at 64²:

- PSNR (0–255) against the truth, and the gain over the average face (the best guess without a drawing);
- brightness: mean of the result / mean of the truth (1 = right);
- speckle: high-frequency energy of the result / of the truth (Laplacian; ≫ 1 = speckled);
- line agreement: the share of the drawn line pixels the result's own drawing comes within 2 px of
  (the same drawing procedure run on the result — what a person compares when they look).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from latentbrush.bench.common import Measurement, model_manager

N_FACES = 64


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(-10 * np.log10(max(np.mean(((a.astype(np.float64) - b) / 255.0) ** 2), 1e-10)))


def hf_energy(img: np.ndarray) -> float:
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.mean(cv2.Laplacian(g, cv2.CV_32F) ** 2))


def line_agreement(drawing: np.ndarray, result: np.ndarray) -> float:
    from latentbrush.ml.translate.drawings import line_drawing

    lines = drawing < 128
    theirs = line_drawing(result, drawing.shape[0]) < 128
    near = cv2.dilate(theirs.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (17, 17))) > 0
    return float((lines & near).sum() / max(lines.sum(), 1))       # 17 px at 256² ≈ 2 px at 64²


def real_faces(models) -> list[np.ndarray]:
    """Held-out real portraits, aligned to the generator's 64² frame (those the detector finds)."""
    from latentbrush.bench.portraits import loaded
    from latentbrush.ml.latent.photo import find_faces, to_frame

    out = []
    for p, img in loaded(Path(__file__).resolve().parents[2]):
        faces = find_faces(img, models)
        keep = faces if p.held_out else faces[2:] if p.name == "group_t1" else []
        for f in keep:
            frame = to_frame(img[f.region.slices], f.warp, 64)
            out.append(np.clip(frame + 0.5, 0, 255).astype(np.uint8))
    return out


def mean_face(G) -> np.ndarray:
    """The average of 2000 generator faces (64², uint8): the best guess without a drawing."""
    import torch

    from latentbrush.ml.tensors import to_images

    with torch.no_grad():
        return to_images(G(torch.randn(2000, G.nz, generator=torch.Generator().manual_seed(5)))
                         .clamp(-1, 1).mean(0, keepdim=True))[0]


def sketch_translator(mm):
    """The first available sketch → face translator's spec (1-channel input), or None."""
    return next((s for s in mm.manifest.of_kind("translator") if int(s.params.get("input_nc", 3)) == 1
                 and mm.available(s)), None)


def drawings(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    import torch

    from latentbrush.core.jobs import drain
    from latentbrush.ml.latent.sliders import directions_for
    from latentbrush.ml.tensors import to_images
    from latentbrush.ml.translate.cartoons import cartoon_drawing
    from latentbrush.ml.translate.drawings import line_drawing
    from latentbrush.ml.translate.sketch_face import sketch_to_face
    from latentbrush.ml.translate.sketch_pairs import EVAL_SEED

    mm = model_manager()
    G = mm.get(mm.default("generator").id).net
    n = 8 if quick else N_FACES
    with torch.no_grad():
        truth = to_images(G(torch.randn(n, G.nz, generator=torch.Generator().manual_seed(EVAL_SEED))).clamp(-1, 1))
    average = mean_face(G)
    real = real_faces(mm)[: 4 if quick else None]
    # the same faces drawn from memory (an oval, almond eyes, an L for the nose, a smile: cartoons.py), as a helper
    # drew one in the editor; made from the generator's own part map of each face
    seg = next((mm.get(s.id).net for s in mm.manifest.for_generator("parts", mm.default("generator").id)
                if mm.available(s)), None)
    z = torch.randn(n, G.nz, generator=torch.Generator().manual_seed(EVAL_SEED))
    with torch.no_grad():
        labels = seg.labels(G, z, 64).numpy() if seg is not None else None
    # each face's smile (σ along the smile direction): a person drawing a smiling face draws a smile
    smile_dir = directions_for(mm, mm.default("generator").id).get("smile")
    smiles = (z.numpy() @ smile_dir).tolist() if smile_dir is not None else [None] * n
    sets = {"generator faces": (list(truth), [line_drawing(f) for f in truth]),
            "real portraits": (real, [line_drawing(f) for f in real])}
    if labels is not None:
        sets["generator faces drawn from memory (cartoons)"] = (
            list(truth), [cartoon_drawing(lab, seg.names, smile=sm) for lab, sm in zip(labels, smiles, strict=True)])
    specs = [s for s in mm.manifest.of_kind("translator") if int(s.params.get("input_nc", 3)) == 1
             and mm.available(s)]
    rows: list[Measurement] = []
    grid: list[np.ndarray] = []
    for spec in specs:
        loaded = mm.get(spec.id)
        for set_name, (faces, drawn) in sets.items():
            if not faces:
                continue
            res: dict[str, list] = {}
            for i, (face, d) in enumerate(zip(faces, drawn, strict=True)):
                outs = {}
                for refine in (False, True):
                    f, _ = drain(sketch_to_face(d, spec, loaded, mm, refine=refine, seed=i))
                    outs[refine] = to_images(torch.nn.functional.interpolate(f, size=64, mode="area"))[0]
                for key, img in (("average face", average), ("translator", outs[False]), ("refined", outs[True])):
                    r = res.setdefault(key, {"psnr": [], "bright": [], "speckle": [], "lines": []})
                    r["psnr"].append(psnr(img, face))
                    r["bright"].append(img.mean() / max(face.mean(), 1.0))
                    r["speckle"].append(hf_energy(img) / max(hf_energy(face), 1e-6))
                    r["lines"].append(line_agreement(d, img))
                if set_name == "generator faces" and i < 8 or set_name != "generator faces" and i < 4:
                    sk = cv2.resize(d, (64, 64), interpolation=cv2.INTER_AREA)
                    grid.append(np.concatenate([face, np.repeat(sk[..., None], 3, 2), outs[False], outs[True]], 1))
            base = float(np.mean(res["average face"]["psnr"]))
            for key, r in res.items():
                label = f"{spec.id} · {set_name} ({len(faces)}) · {key}"
                rows.append((f"{label}: PSNR to the true face", float(np.mean(r["psnr"])), "dB"))
                if key != "average face":
                    rows.append((f"{label}: gain over the average face", float(np.mean(r["psnr"])) - base, "dB"))
                rows += [(f"{label}: brightness / true", float(np.mean(r["bright"])), "x"),
                         (f"{label}: speckle (HF energy / true)", float(np.median(r["speckle"])), "x"),
                         (f"{label}: drawn lines the result's own drawing follows", float(np.mean(r["lines"])), "")]
    if out is not None and grid:
        sheet = cv2.resize(np.concatenate(grid, 0), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(str(out / "drawings_grid.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return rows


def drawings_photo(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    """The held-out real portraits as the editor meets them: the face's square in its own photo is
    drawn (the same drawing procedure), the drawing goes through sketch_to_face and the face is pasted
    back the editor's way — with the edge ramp alone (until stop 43) and with the photo's light
    (`in_photo`, the editor's now) — and compared with the photo's square at 64² (PSNR, gain over the
    average face pasted the same way, brightness / true). Writes drawings_photo.png (rows: portraits;
    columns: the truth, the drawing, the edge ramp alone, the photo's light)."""

    from latentbrush.bench.portraits import loaded
    from latentbrush.core.jobs import drain
    from latentbrush.ml.latent.faces import squarify
    from latentbrush.ml.latent.photo import find_faces
    from latentbrush.ml.tensors import to_images
    from latentbrush.ml.translate.drawings import line_drawing
    from latentbrush.ml.translate.sketch_face import feathered, in_photo, sketch_to_face

    mm = model_manager()
    G = mm.get(mm.default("generator").id).net
    average = mean_face(G)
    spec = sketch_translator(mm)
    if spec is None:
        return []
    trans = mm.get(spec.id)
    pastes = {"edge ramp alone (until stop 43)": feathered, "the photo's light (the editor now)": in_photo}
    res: dict[tuple[str, str], list] = {}
    grid, i = [], 0
    for p, img in loaded(Path(__file__).resolve().parents[2]):
        faces = find_faces(img, mm)
        for f in faces if p.held_out else faces[2:] if p.name == "group_t1" else []:
            if quick and i >= 3:
                break
            box = squarify(f.region, img.shape[1], img.shape[0])
            crop = np.ascontiguousarray(img[box.slices])
            drawing = line_drawing(crop)
            face, _ = drain(sketch_to_face(drawing, spec, trans, mm, refine=True, seed=i))
            face = to_images(face.float().clamp(-1, 1))[0]
            truth = cv2.resize(crop, (64, 64), interpolation=cv2.INTER_AREA)
            row = [truth, np.repeat(cv2.resize(drawing, (64, 64), interpolation=cv2.INTER_AREA)[..., None], 3, 2)]
            for name, paste in pastes.items():
                for what, src in (("result", face), ("average face", average)):
                    big = cv2.resize(src, (box.width, box.height), interpolation=cv2.INTER_CUBIC)
                    small = cv2.resize(paste(crop, big, 1.0), (64, 64), interpolation=cv2.INTER_AREA)
                    res.setdefault((name, what), []).append((psnr(small, truth), small.mean() / max(truth.mean(), 1.0)))
                    if what == "result":
                        row.append(small)
            grid.append(np.concatenate(row, 1))
            i += 1
    rows: list[Measurement] = []
    for name in pastes:
        r, base = np.array(res[(name, "result")]), np.array(res[(name, "average face")])
        label = f"{spec.id} · real portraits drawn into their photos ({len(r)}) · {name}"
        rows += [(f"{label}: PSNR to the true face", float(r[:, 0].mean()), "dB"),
                 (f"{label}: gain over the average face pasted the same way", float(r[:, 0].mean() - base[:, 0].mean()),
                  "dB"),
                 (f"{label}: brightness / true", float(r[:, 1].mean()), "x"),
                 (f"{label}: the average face's brightness / true", float(base[:, 1].mean()), "x")]
    if out is not None and grid:
        sheet = cv2.resize(np.concatenate(grid, 0), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(str(out / "drawings_photo.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return rows


def drawings_wide(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    """Faces drawn with wide lines, as with the editor's default brush (24 px on a face a few hundred
    px high): the held-out generator faces' line drawings at 3 / 8 / 14 px (at 256), each refined
    through the generator as the editor does, read as drawn (until stop 45) and with the lines evened
    to the translator's width (drawings.even_lines, the editor now). Gain over the average face
    (dB). Writes drawings_wide.png (face | 14-px lines | their face as drawn | evened | their face)."""
    import torch

    from latentbrush.core.jobs import drain
    from latentbrush.ml.tensors import to_images
    from latentbrush.ml.translate.drawings import even_lines, line_drawing
    from latentbrush.ml.translate.sketch_face import sketch_to_face
    from latentbrush.ml.translate.sketch_pairs import EVAL_SEED

    mm = model_manager()
    G = mm.get(mm.default("generator").id).net
    n = 6 if quick else N_FACES // 2
    with torch.no_grad():
        truth = to_images(G(torch.randn(n, G.nz, generator=torch.Generator().manual_seed(EVAL_SEED))).clamp(-1, 1))
    average = mean_face(G)
    spec = sketch_translator(mm)
    if spec is None:
        return []
    loaded = mm.get(spec.id)
    scores: dict[str, list[float]] = {}
    grid = []
    for i, face in enumerate(truth):
        row = [face]
        for width in (3, 8, 14):
            drawn = line_drawing(face, thickness=width)
            for how, d in (("as drawn", drawn), ("evened", even_lines(drawn))):
                if width == 3 and how == "evened":
                    continue            # (3-px lines are left as they are)
                f, _ = drain(sketch_to_face(d, spec, loaded, mm, refine=True, seed=i))
                img = to_images(torch.nn.functional.interpolate(f, size=64, mode="area"))[0]
                scores.setdefault(f"lines {width} px, {how}", []).append(psnr(img, face) - psnr(average, face))
                if width == 14:
                    row += [np.repeat(cv2.resize(d, (64, 64), interpolation=cv2.INTER_AREA)[..., None], 3, 2), img]
        if i < 6:
            grid.append(np.concatenate(row, 1))
    rows: list[Measurement] = [(f"{spec.id} · generator faces ({n}) · {k}: gain over the average face",
                                float(np.mean(v)), "dB") for k, v in scores.items()]
    if out is not None and grid:
        sheet = cv2.resize(np.concatenate(grid, 0), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(str(out / "drawings_wide.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return rows


def sketch_area(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    """A face drawn into selections larger than the drawing, on the sample astronaut, through the
    editor's job (run_translate): the lines are a generator face's line drawing inside an oval (a
    person draws the face, not the scene around it), at 50 / 80 % of the selection's side. Measured:
    the share of the selection left as the photo's own bytes, and the largest change beyond the lines'
    hull grown by 2 × `AREA_GROW` (0 by construction). Writes sketch_area.png (rows: selections;
    columns: the lines | the face made for the whole selection and pasted over it, as before stop 44 |
    the editor now: made for the square around the lines, shown where they are)."""
    import torch
    from PIL import Image

    from latentbrush.core.bbox import BBox
    from latentbrush.core.jobs import Job, drain
    from latentbrush.core.requests import TranslateRequest
    from latentbrush.ml.tensors import to_images
    from latentbrush.ml.translate import sketch_face
    from latentbrush.ml.translate.drawings import line_drawing
    from latentbrush.ml.translate.translator import run_translate

    mm = model_manager()
    spec = sketch_translator(mm)
    if spec is None:
        return []
    img = np.asarray(Image.open(Path(__file__).resolve().parents[2] / "resources/samples/astronaut.jpg").convert("RGB"))
    H, W = img.shape[:2]
    G = mm.get(mm.default("generator").id).net
    with torch.no_grad():
        face = to_images(G(torch.randn(1, G.nz, generator=torch.Generator().manual_seed(31337))).clamp(-1, 1))[0]
    boxes = (((0.62, 0.05, 0.97, 0.45), 0.5), ((0.55, 0.55, 0.9, 0.9), 0.8))
    rows, kept, beyond = [], [], []
    for (fx0, fy0, fx1, fy1), frac in boxes[:1] if quick else boxes:
        x0, y0, x1, y1 = int(W * fx0), int(H * fy0), int(W * fx1), int(H * fy1)
        side = int(min(x1 - x0, y1 - y0) * frac)
        yy, xx = np.mgrid[:side, :side]
        oval = ((xx - side / 2) / (0.42 * side)) ** 2 + ((yy - 0.52 * side) / (0.48 * side)) ** 2 <= 1
        strokes = np.zeros((H, W, 4), np.uint8)
        cx, cy = (x0 + x1) // 2 - side // 2, (y0 + y1) // 2 - side // 2
        strokes[cy:cy + side, cx:cx + side, 3] = np.where(oval, 255 - line_drawing(face, side), 0)
        pics = []
        for whole in (True, False):
            orig_area, orig_boxes, orig_read = sketch_face.drawn_area, sketch_face.sketch_boxes, sketch_face.READ_MARGIN
            if whole:       # until stop 44: the face made for the whole selection, pasted over all of it
                sketch_face.drawn_area = lambda ink: None
                sketch_face.sketch_boxes = lambda strokes, bbox, w, h: (BBox(*bbox),) * 2
                sketch_face.READ_MARGIN = None
            try:
                res, _ = drain(run_translate(Job(TranslateRequest(model=spec.id, bbox=(x0, y0, x1, y1)), label="Sketch",
                                                 inputs={"image": img, "scribble": strokes}), mm))
            finally:
                sketch_face.drawn_area, sketch_face.sketch_boxes = orig_area, orig_boxes
                sketch_face.READ_MARGIN = orig_read
            pic = img[y0:y1, x0:x1].copy()
            pic[res.bbox.relative_to(BBox(x0, y0, x1, y1))] = res.pixels
            pics.append(pic)
        sel = img[y0:y1, x0:x1]
        same = np.all(pics[1] == sel, axis=2)
        kept.append(float(same.mean()))
        ink = strokes[y0:y1, x0:x1, 3]
        ys, xs = np.nonzero(ink)
        hull = np.zeros(ink.shape, np.uint8)
        cv2.fillConvexPoly(hull, cv2.convexHull(np.stack([xs, ys], 1).astype(np.int32)), 1)
        far = cv2.distanceTransform(1 - hull, cv2.DIST_L2, 5) > 2 * sketch_face.AREA_GROW * min(ink.shape) + 1
        beyond.append(float(np.abs(pics[1].astype(int) - sel)[far].max(initial=0)))
        drawn = sel.copy()
        drawn[ink > 0] = 20
        rows.append(np.concatenate([drawn, pics[0], pics[1]], 1))
    if out is not None and rows:
        w = max(r.shape[1] for r in rows)
        sheet = np.concatenate([np.pad(r, ((0, 4), (0, w - r.shape[1]), (0, 0)), constant_values=255) for r in rows], 0)
        Image.fromarray(sheet).save(out / "sketch_area.png")
    return [("face drawn in a selection over a photo: share of the selection left as the photo's bytes",
             100 * float(np.mean(kept)), "%"),
            ("… largest change beyond the lines' grown hull", float(max(beyond)), "/255")]
