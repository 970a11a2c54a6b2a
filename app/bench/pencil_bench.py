"""Face ↔ pencil sketch, as the editor runs it (issue 21): the shipped `face2sketch-*` translator and
its inverse through `run_translate` (the Model edits dock and `latentbrush translate` take this path,
face scale included), scored against the paired truth of held-out faces.

- face → sketch, on the generator's held-out faces (seed pencil.EVAL_SEED, never in training) at 64²
  and enlarged to 256² (the face-scale path: the photo is shrunk to the model's face size and back),
  and on the held-out real portraits (the whole photo translated, then each face's aligned 64² frame
  read from the result and from the photo): mean brightness (0–255, paper is light), ink (share of pixels darker than
  pencil.INK), ink on the face's own contours (the share of the ink within 2 px of them), and PSNR /
  SSIM against the face's true pencil sketch (generator faces only: real photos have none);
  The real portraits are also read at the photo's own size (brightness and ink of the whole result:
  a 64-px face model enlarged to a large photo gives thicker, softer lines);
- sketch → face: the true pencil sketches of the held-out faces back to faces, PSNR to the true face
  and the gain over the average face (the best guess without a sketch).

The pair is found in the manifest by `params.task`: "face2pencil" and "pencil2face".
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from latentbrush.bench.common import Measurement, model_manager

N_FACES = 64


def _translate(mm, spec_id: str, image: np.ndarray) -> np.ndarray:
    from latentbrush.core.jobs import Job, drain
    from latentbrush.core.requests import TranslateRequest
    from latentbrush.ml.translate.translator import run_translate

    job = Job(TranslateRequest(model=spec_id), inputs={"image": image})
    result, _ = drain(run_translate(job, mm))
    return result.pixels


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(-10 * np.log10(max(np.mean(((a.astype(np.float64) - b) / 255.0) ** 2), 1e-10)))


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    import torch

    from latentbrush.ml import metrics

    ta = torch.from_numpy(np.array(a)).permute(2, 0, 1)[None].float()
    tb = torch.from_numpy(np.array(b)).permute(2, 0, 1)[None].float()
    return float(metrics.ssim(ta, tb, data_range=metrics.BYTE).mean())


def _grey3(img: np.ndarray) -> np.ndarray:
    g = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return np.repeat(g[..., None], 3, 2)


def _real_pairs(mm, translate, whole: list | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(aligned 64² face of a held-out real portrait, the same frame of the translated photo);
    whole: gets each (photo, translated photo) at the photo's size."""
    from latentbrush.bench.portraits import loaded
    from latentbrush.ml.latent.photo import find_faces, to_frame

    out = []
    for p, img in loaded(Path(__file__).resolve().parents[2]):
        if not p.held_out:
            continue
        faces = find_faces(img, mm)
        if not faces:
            continue
        done = translate(img)
        if whole is not None:
            whole.append((img, done))
        for f in faces:
            pair = [np.clip(to_frame(x[f.region.slices], f.warp, 64) + 0.5, 0, 255).astype(np.uint8)
                    for x in (img, done)]
            out.append((pair[0], pair[1]))
    return out


def pencil(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    import torch

    from latentbrush.ml.tensors import to_images
    from latentbrush.ml.translate import pencil as pen

    mm = model_manager()
    G = mm.get(mm.default("generator").id).net
    n = 8 if quick else N_FACES
    with torch.no_grad():
        faces = to_images(G(torch.randn(n, G.nz, generator=torch.Generator().manual_seed(pen.EVAL_SEED))).clamp(-1, 1))
        mean_face = to_images(G(torch.randn(2000, G.nz, generator=torch.Generator().manual_seed(5)))
                              .clamp(-1, 1).mean(0, keepdim=True))[0]
    truth = [_grey3(pen.pencil_sketch(f)) for f in faces]
    rows: list[Measurement] = []
    grid: list[np.ndarray] = []
    tasks = {s.params.get("task"): s for s in mm.manifest.of_kind("translator") if mm.available(s)}
    f2s, s2f = tasks.get("face2pencil"), tasks.get("pencil2face")
    if f2s is None and s2f is None:
        return [("no translator with params.task = face2pencil / pencil2face in the manifest", float("nan"), "")]
    if f2s is not None:
        sets = {"generator faces 64²": [(f, f) for f in faces],
                "generator faces 256²": [(cv2.resize(f, (256, 256), interpolation=cv2.INTER_CUBIC), f) for f in faces]}
        photos: list[tuple[np.ndarray, np.ndarray]] = []
        real = _real_pairs(mm, lambda img: _translate(mm, f2s.id, img), photos)[: 4 if quick else None]
        for set_name, pairs in sets.items():
            sk = [_translate(mm, f2s.id, big) for big, _ in pairs]
            small = [cv2.resize(s, (64, 64), interpolation=cv2.INTER_AREA) for s in sk]
            rep = pen.sketch_report(np.stack(small), np.stack([f for _, f in pairs]))
            label = f"{f2s.id} · {set_name} ({len(pairs)})"
            rows += [(f"{label}: brightness", rep["brightness"], "0-255"),
                     (f"{label}: ink (pixels < {pen.INK})", 100 * rep["ink"], "%"),
                     (f"{label}: ink on the face's contours", 100 * rep["ink_on_contours"], "%"),
                     (f"{label}: ink on contours / chance", rep["contour_lift"], "x"),
                     (f"{label}: PSNR to the true pencil sketch",
                      float(np.mean([_psnr(s, t) for s, t in zip(small, truth, strict=True)])), "dB"),
                     (f"{label}: SSIM to the true pencil sketch",
                      float(np.mean([_ssim(s, t) for s, t in zip(small, truth, strict=True)])), "")]
            if set_name.endswith("64²"):
                firsts = list(zip(pairs, truth, small, strict=True))[:8]
                grid += [np.concatenate([f, t, s], 1) for (f, _), t, s in firsts]
        if real:
            sk = [s for _, s in real]
            real = [f for f, _ in real]
            rep = pen.sketch_report(np.stack(sk), np.stack(real))
            label = f"{f2s.id} · real portraits, aligned face ({len(real)})"
            rows += [(f"{label}: brightness", rep["brightness"], "0-255"),
                     (f"{label}: ink (pixels < {pen.INK})", 100 * rep["ink"], "%"),
                     (f"{label}: ink on the face's contours", 100 * rep["ink_on_contours"], "%"),
                     (f"{label}: ink on contours / chance", rep["contour_lift"], "x")]
            rows += [(f"{f2s.id} · real portraits, whole photo at its size ({len(photos)}): brightness",
                      float(np.mean([p.mean() for _, p in photos])), "0-255"),
                     (f"{f2s.id} · real portraits, whole photo at its size ({len(photos)}): ink (pixels < {pen.INK})",
                      100 * float(np.mean([pen.ink_fraction(p) for _, p in photos])), "%")]
            if out is not None and photos:
                strip = [cv2.resize(np.concatenate(pair, 1), (640, round(320 * pair[0].shape[0] / pair[0].shape[1])),
                                    interpolation=cv2.INTER_AREA) for pair in photos[:3]]
                cv2.imwrite(str(out / "pencil_photos.png"), cv2.cvtColor(np.concatenate(strip, 0), cv2.COLOR_RGB2BGR))
            grid += [np.concatenate([f, np.full_like(f, 255), s], 1) for f, s in list(zip(real, sk, strict=True))[:4]]
    if s2f is not None:
        back = [_translate(mm, s2f.id, t) for t in truth]
        p = float(np.mean([_psnr(b, f) for b, f in zip(back, faces, strict=True)]))
        base = float(np.mean([_psnr(mean_face, f) for f in faces]))
        label = f"{s2f.id} · true pencil sketches of generator faces ({n})"
        rows += [(f"{label}: PSNR to the true face", p, "dB"),
                 (f"{label}: gain over the average face", p - base, "dB"),
                 (f"{label}: SSIM to the true face",
                  float(np.mean([_ssim(b, f) for b, f in zip(back, faces, strict=True)])), "")]
        # generator-face rows get their own sketch's way back; real-portrait rows have no true sketch
        blank = np.full_like(faces[0], 255)
        grid = [np.concatenate([g, back[i] if i < min(8, n) else blank], 1) for i, g in enumerate(grid)]
    if out is not None and grid:
        sheet = cv2.resize(np.concatenate(grid, 0), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(str(out / "pencil_grid.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return rows


TUNE_SEED = 7_300_001       # faces for choosing the ink gain (neither training nor the held-out set)
GAINS = (1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.2, 2.5)


def fit_ink_gain(model_id: str, n: int = 64, gains: tuple[float, ...] = GAINS) -> dict:
    """The pencil pressure (params.ink_gain) that brings a face → pencil model's output closest
    (PSNR) to the true pencil sketches of `n` tuning faces, through the editor's path."""
    import torch

    from latentbrush.ml.tensors import to_images
    from latentbrush.ml.translate import pencil as pen
    from latentbrush.ml.translate.scale import to_grey

    mm = model_manager()
    G = mm.get(mm.default("generator").id).net
    with torch.no_grad():
        faces = to_images(G(torch.randn(n, G.nz, generator=torch.Generator().manual_seed(TUNE_SEED))).clamp(-1, 1))
    truth = [_grey3(pen.pencil_sketch(f)) for f in faces]
    spec = mm.manifest.get(model_id)
    raw_gain = float(spec.params.get("ink_gain", 1.0))
    raw = []
    for f in faces:          # undo the gain the manifest applies, to try each from the model's own grey
        out = _translate(mm, model_id, f)[..., 0].astype(np.float32)
        raw.append(255.0 - (255.0 - out) / raw_gain)
    scores = {}
    for g in gains:
        outs = [to_grey(np.repeat(np.clip(r + 0.5, 0, 255).astype(np.uint8)[..., None], 3, 2), float(g)) for r in raw]
        scores[float(g)] = float(np.mean([_psnr(o, t) for o, t in zip(outs, truth, strict=True)]))
    best = max(scores, key=scores.get)
    return {"best_gain": best, "psnr_by_gain": scores}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(fit_ink_gain(sys.argv[1]), indent=1))
