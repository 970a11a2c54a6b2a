"""Comparisons read from the training logs in resources/reports/ (issue 21): nothing is retrained here,
the runs' own held-out evaluations are tabulated and drawn.

- CycleGAN, face ↔ pencil sketch (`cyclegan-<variant>.jsonl`, app/ml/train/cyclegan.py --task
  faces-pencil): vanilla (ResNet), U-Net generator, modified cycle consistency (ResNet), equal steps and
  data. Per variant: seconds per epoch, the training cycle (reconstruction) loss over the last epoch,
  and the held-out figures of the last evaluation (both directions against the paired truth, on the
  0–255 scale; ink on the face's contours) and the best PSNR seen. Curves: held-out PSNR per step.
- pix2pix GroupNorm vs BatchNorm at batch 1, 2 and 4 (`pix2pix-norm-<norm>-b<batch>.jsonl`, same steps,
  seed and held-out edge sketches): final held-out PSNR/SSIM/L1 and the GroupNorm − BatchNorm gap per batch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement

REPORTS = Path(__file__).resolve().parents[2] / "resources" / "reports"
CYCLE_VARIANTS = ("vanilla", "unet", "modified")
NORMS = ("group", "batch")
BATCHES = (1, 2, 4)


def read_log(path: Path) -> list[dict]:
    rows = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            rows.append(json.loads(line.replace("NaN", "null")))
    return rows


def cyclegan_summary(rows: list[dict]) -> dict[str, float]:
    evals = [r for r in rows if r.get("eval")]
    epochs = [r for r in rows if "epoch_seconds" in r]
    epoch_steps = epochs[0]["step"] // max(epochs[0]["epoch_done"], 1) if epochs and "epoch_done" in epochs[0] else 500
    train = [r for r in rows if "cycle" in r and "eval" not in r]
    last_epoch = [r["cycle"] for r in train if r["step"] > (train[-1]["step"] - epoch_steps)] if train else []
    epochs = [r["epoch_seconds"] for r in epochs]
    out = {"steps": float(train[-1]["step"]) if train else math.nan, "epoch_steps": float(epoch_steps),
           "seconds_per_epoch": float(np.median(epochs)) if epochs else math.nan,
           "train_cycle_loss_last_epoch": float(np.mean(last_epoch)) if last_epoch else math.nan}
    if evals:
        out.update({k: float(v) if v is not None else math.nan for k, v in evals[-1].items()
                    if k not in ("t", "step", "eval")})
        out["best_a2b_psnr"] = max(r["a2b_psnr"] for r in evals)
        for key in ("a2b_psnr", "b2a_psnr", "a2b_ssim", "b2a_ssim"):
            if all(key in r for r in evals[-3:]):
                out[f"last3_{key}"] = float(np.mean([r[key] for r in evals[-3:]]))
        out["best_b2a_psnr"] = max(r["b2a_psnr"] for r in evals)
    return out


def training(quick: bool = False, out: Path | None = None, reports: Path = REPORTS) -> list[Measurement]:
    from latentbrush.bench.chart import line_chart

    rows: list[Measurement] = []
    curves: dict[str, dict[str, list[tuple[float, float]]]] = {"a2b_psnr": {}, "b2a_psnr": {},
                                                               "a2b_ink_on_contours": {}}
    for v in CYCLE_VARIANTS:
        path = reports / f"cyclegan-{v}.jsonl"
        if not path.is_file():
            continue
        log = read_log(path)
        s = cyclegan_summary(log)
        rows += [(f"cyclegan {v}: steps trained", s["steps"], "steps"),
                 (f"cyclegan {v}: seconds per epoch ({int(s['epoch_steps'])} steps)", s["seconds_per_epoch"], "s"),
                 (f"cyclegan {v}: training cycle loss, last epoch", s["train_cycle_loss_last_epoch"], ""),
                 (f"cyclegan {v}: face → sketch PSNR (held-out)", s.get("a2b_psnr", math.nan), "dB"),
                 (f"cyclegan {v}: face → sketch PSNR, mean of the last 3 evaluations",
                  s.get("last3_a2b_psnr", math.nan), "dB"),
                 (f"cyclegan {v}: face → sketch SSIM", s.get("a2b_ssim", math.nan), ""),
                 (f"cyclegan {v}: face → sketch ink on contours (2-px band, as logged)",
                  100 * s.get("a2b_ink_on_contours", math.nan), "%"),
                 (f"cyclegan {v}: face → sketch ink", 100 * s.get("a2b_ink", math.nan), "%"),
                 (f"cyclegan {v}: face → sketch brightness", s.get("a2b_brightness", math.nan), "0-255"),
                 (f"cyclegan {v}: sketch → face PSNR (held-out)", s.get("b2a_psnr", math.nan), "dB"),
                 (f"cyclegan {v}: sketch → face PSNR, mean of the last 3 evaluations",
                  s.get("last3_b2a_psnr", math.nan), "dB"),
                 (f"cyclegan {v}: sketch → face SSIM", s.get("b2a_ssim", math.nan), ""),
                 (f"cyclegan {v}: held-out reconstruction L1, faces", s.get("rec_a_l1", math.nan), "fraction"),
                 (f"cyclegan {v}: held-out reconstruction L1, sketches", s.get("rec_b_l1", math.nan), "fraction")]
        rescored = reports / "cyclegan-rescore.jsonl"
        again = [r for r in read_log(rescored) if f"/{v}-a2b" in r.get("a2b", "")] if rescored.is_file() else []
        if again:     # the final weights scored again with today's figures (1-px contour band, lift over chance)
            r = again[-1]
            rows += [(f"cyclegan {v}: final weights rescored: ink on contours (1-px band)",
                      100 * r["a2b_ink_on_contours"], "%"),
                     (f"cyclegan {v}: final weights rescored: ink on contours / chance", r["a2b_contour_lift"], "x")]
        for key, series in curves.items():
            series[v] = [(r["step"], r[key]) for r in log if r.get("eval") and r.get(key) is not None]
    finals: dict[tuple[str, int], dict] = {}
    norm_curves: dict[str, list[tuple[float, float]]] = {}
    for norm in NORMS:
        for b in BATCHES:
            path = reports / f"pix2pix-norm-{norm}-b{b}.jsonl"
            if not path.is_file():
                continue
            evals = list({r["step"]: r for r in read_log(path) if r.get("eval")}.values())   # one per step
            if evals:
                finals[(norm, b)] = evals[-1]
                norm_curves[f"{norm}norm, batch {b}"] = [(r["step"], r["psnr"]) for r in evals]
                rows += [(f"pix2pix {norm}norm batch {b}: held-out PSNR", evals[-1]["psnr"], "dB"),
                         (f"pix2pix {norm}norm batch {b}: held-out PSNR, mean of the last 3 evaluations",
                          float(np.mean([r["psnr"] for r in evals[-3:]])), "dB"),
                         (f"pix2pix {norm}norm batch {b}: held-out SSIM", evals[-1]["ssim"], "")]
    for b in BATCHES:
        if ("group", b) in finals and ("batch", b) in finals:
            rows.append((f"pix2pix batch {b}: GroupNorm − BatchNorm PSNR",
                         finals[("group", b)]["psnr"] - finals[("batch", b)]["psnr"], "dB"))
    if out is not None:
        # the chart's bitmap font has no arrows
        names = {"a2b_psnr": "face -> sketch, held-out PSNR (dB)", "b2a_psnr": "sketch -> face, held-out PSNR (dB)",
                 "a2b_ink_on_contours": "face -> sketch, share of ink on the face's contours (2-px band, as logged)"}
        for key, series in curves.items():
            if any(series.values()):
                line_chart(series, out / f"cyclegan-{key}.png", f"CycleGAN face <-> pencil: {names[key]}",
                           "step", key)
        if norm_curves:
            line_chart(norm_curves, out / "pix2pix-norm.png",
                       "pix2pix edge sketch → face: held-out PSNR (dB), GroupNorm vs BatchNorm", "step", "PSNR")
    return rows
