"""Canonical landmark positions of the default generator: where its faces put their eyes, nose
and mouth corners, as fractions of the generator frame.

Samples N faces (z ~ N(0, I)), upsamples each to 256² (Lanczos), finds faces with the MTCNN
(app/ml/faces/detect.py) and averages the five landmarks over the samples that show one
confident, frontal-ish face. Writes app/ml/faces/canonical.json (read by
app/ml/faces/canonical.py) and prints it.

    python -m latentbrush.ml.train.face_landmarks --n 500 --seed 0
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
import torch

from latentbrush.ml.faces.detect import LANDMARK_NAMES, Face, detect_faces
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.tensors import resize, to_images
from latentbrush.paths import models_dir

OUT = Path(__file__).resolve().parents[1] / "faces" / "canonical.json"
SIZE = 256
MIN_SCORE = 0.95          # the face used
OTHER_SCORE = 0.9         # any second face at least this confident → sample not used
MIN_WIDTH = 0.3           # face box at least this fraction of the frame
MAX_TILT_DEG = 15.0       # eye line
MAX_ASYMMETRY = 0.35      # |nose-to-left-eye − nose-to-right-eye| / eye distance (horizontal)


def frontal_enough(face: Face) -> bool:
    """Eyes roughly level and the nose between them, near the middle (not a profile)."""
    le, re, nose, ml, mr = face.landmarks.astype(np.float64)
    dx, dy = re - le
    if dx <= 0 or abs(np.degrees(np.arctan2(dy, dx))) > MAX_TILT_DEG:
        return False
    if not (le[0] < nose[0] < re[0] and ml[0] < mr[0]):
        return False
    if not (max(le[1], re[1]) < nose[1] < max(ml[1], mr[1]) + 0.1 * dx):
        return False
    return abs((nose[0] - le[0]) - (re[0] - nose[0])) / dx <= MAX_ASYMMETRY


def measure(G: torch.nn.Module, det: torch.nn.Module, *, n: int, seed: int, nz: int,
            batch: int = 50, min_face: int = 40) -> dict:
    gen = torch.Generator().manual_seed(seed)
    device = next(G.parameters()).device
    counts = {"samples": 0, "any_face": 0, "confident_single": 0, "frontal": 0}
    used: list[np.ndarray] = []
    boxes: list[np.ndarray] = []
    widths: list[float] = []
    t0 = time.perf_counter()
    while counts["samples"] < n:
        b = min(batch, n - counts["samples"])
        z = torch.randn(b, nz, generator=gen).to(device)
        with torch.no_grad():
            imgs = to_images(G(z))                                  # (b, 64, 64, 3) uint8
        for img in imgs:
            counts["samples"] += 1
            faces = detect_faces(det, resize(img, SIZE, SIZE), min_face=min_face)
            if faces:
                counts["any_face"] += 1
            sure = [f for f in faces if f.score >= OTHER_SCORE]
            if len(sure) != 1 or sure[0].score < MIN_SCORE or sure[0].width < MIN_WIDTH * SIZE:
                continue
            counts["confident_single"] += 1
            f = sure[0]
            widths.append(f.width / SIZE)
            if not frontal_enough(f):
                continue
            counts["frontal"] += 1
            used.append(f.landmarks / SIZE)
            boxes.append(np.asarray(f.box) / SIZE)
    if not used:
        raise RuntimeError("no sample had a confident frontal face; nothing to average")
    pts = np.stack(used)                                            # (k, 5, 2)
    bx = np.stack(boxes)
    N = counts["samples"]
    return {
        "landmark_names": list(LANDMARK_NAMES),
        "mean": _rounded(pts.mean(0)),
        "std": _rounded(pts.std(0)),
        "box_mean": _rounded(bx.mean(0)),
        "box_std": _rounded(bx.std(0)),
        "counts": counts,
        "detection_rate": round(counts["any_face"] / N, 4),
        "confident_single_rate": round(counts["confident_single"] / N, 4),
        "used_rate": round(counts["frontal"] / N, 4),
        "face_width_mean": round(float(np.mean(widths)), 4) if widths else None,
        "criteria": {"size": SIZE, "min_face": min_face, "min_score": MIN_SCORE,
                     "other_score": OTHER_SCORE, "min_width": MIN_WIDTH,
                     "max_tilt_deg": MAX_TILT_DEG, "max_asymmetry": MAX_ASYMMETRY},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _rounded(a: np.ndarray) -> list:
    return np.round(np.asarray(a, dtype=np.float64), 4).tolist()


def to_json(report: dict) -> str:
    """Indented JSON with each innermost list of numbers on one line."""
    text = json.dumps(report, indent=1)
    return re.sub(r"\[\s*([-0-9.e, \n]+?)\s*\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=500, help="generator samples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--models", default=None, help="models/ directory (default: the app's)")
    p.add_argument("--generator", default="face-dcgan64")
    p.add_argument("--detector", default="face-mtcnn")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    p.add_argument("--out", default=str(OUT), help="JSON to write ('-': print only)")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    manifest = Manifest.load(a.models or models_dir())
    mm = ModelManager(manifest, device="cpu")
    G = mm.get(a.generator).net
    det = mm.get(a.detector).net
    nz = int(manifest.get(a.generator).params.get("nz", 100))
    report = {"generator": a.generator, "detector": a.detector, "n": a.n, "seed": a.seed,
              **measure(G, det, n=a.n, seed=a.seed, nz=nz)}
    text = to_json(report)
    print(text)
    if a.out != "-":
        Path(a.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
