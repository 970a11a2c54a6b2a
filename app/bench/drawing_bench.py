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


def drawings(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    import torch

    from latentbrush.core.jobs import drain
    from latentbrush.ml.tensors import to_images
    from latentbrush.ml.translate.drawings import line_drawing
    from latentbrush.ml.translate.sketch_face import sketch_to_face
    from latentbrush.ml.translate.sketch_pairs import EVAL_SEED

    mm = model_manager()
    G = mm.get(mm.default("generator").id).net
    n = 8 if quick else N_FACES
    with torch.no_grad():
        truth = to_images(G(torch.randn(n, G.nz, generator=torch.Generator().manual_seed(EVAL_SEED))).clamp(-1, 1))
        mean_face = to_images(G(torch.randn(2000, G.nz, generator=torch.Generator().manual_seed(5)))
                              .clamp(-1, 1).mean(0, keepdim=True))[0]
    sets = {"generator faces": list(truth), "real portraits": real_faces(mm)[: 4 if quick else None]}
    specs = [s for s in mm.manifest.of_kind("translator") if int(s.params.get("input_nc", 3)) == 1
             and mm.available(s)]
    rows: list[Measurement] = []
    grid: list[np.ndarray] = []
    for spec in specs:
        loaded = mm.get(spec.id)
        for set_name, faces in sets.items():
            if not faces:
                continue
            res: dict[str, list] = {}
            for i, face in enumerate(faces):
                d = line_drawing(face)
                outs = {}
                for refine in (False, True):
                    f, _ = drain(sketch_to_face(d, spec, loaded, mm, refine=refine, seed=i))
                    outs[refine] = to_images(torch.nn.functional.interpolate(f, size=64, mode="area"))[0]
                for key, img in (("average face", mean_face), ("translator", outs[False]), ("refined", outs[True])):
                    r = res.setdefault(key, {"psnr": [], "bright": [], "speckle": [], "lines": []})
                    r["psnr"].append(psnr(img, face))
                    r["bright"].append(img.mean() / max(face.mean(), 1.0))
                    r["speckle"].append(hf_energy(img) / max(hf_energy(face), 1e-6))
                    r["lines"].append(line_agreement(d, img))
                if set_name == "generator faces" and i < 8 or set_name == "real portraits" and i < 4:
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
