"""Translation benchmarks.

translate: the vintage CycleGAN on a 1024² photo — wall time and memory (a fresh process per
  setting): the process's peak RSS (Python + torch + the model + the job) and the job's own
  increment (that peak minus the RSS just before the job starts, after the model and the image
  are loaded); the default (tiles up to 1024 px: one tile here) vs
  forced 640-px tiles (global norm statistics pass + 4 tiles), 1 and 2 threads, bf16 and fp32;
  and the difference between the tiled and the untiled result.
sketch: the sketch → face pix2pix on held-out generator faces: L1 / SSIM / PSNR vs the true face,
  writes sketch_grid.png (sketch | result | truth).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from latentbrush.bench.common import Measurement, model_manager

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "astronaut.jpg"

_CHILD = r"""
import json, resource, sys, time
import numpy as np, torch
from PIL import Image
torch.set_num_threads(int(sys.argv[1]))
from latentbrush.core.jobs import drain
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.translate.translator import translate_image
from latentbrush.paths import models_dir
net = ModelManager(Manifest.load(models_dir()), device="cpu").get(sys.argv[3]).net
img = np.asarray(Image.open(sys.argv[4]).convert("RGB").resize((1024, 1024), Image.LANCZOS))
with open("/proc/self/statm") as f:
    before = int(f.read().split()[1]) * resource.getpagesize()
peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
bf16 = {"auto": None, "fp32": False, "bf16": True}[sys.argv[6]]
out, _ = drain(translate_image(net, img, tile=int(sys.argv[2]), bf16=bf16))
dt = time.perf_counter() - t
np.save(sys.argv[5], out)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": dt, "peak_gb": peak / 1e9, "before_job_gb": before / 1e9,
                  "job_gb": (peak - before) / 1e9, "peak_before_job_gb": peak_before / 1e9}))
"""


def _child(threads: int, tile: int, model: str, out: Path, precision: str = "auto") -> dict:
    r = subprocess.run([sys.executable, "-c", _CHILD, str(threads), str(tile), model, str(SAMPLE), str(out), precision],
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def translate(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    import tempfile

    from latentbrush.ml.translate.translator import fast_bf16

    rows: list[Measurement] = []
    auto = "bf16" if fast_bf16("cpu") else "fp32"
    settings = [(2, 1024, "auto"), (2, 640, "auto")]
    if not quick:
        settings += [(1, 1024, "auto"), (2, 640, "fp32"), (2, 1024, "fp32")]
    with tempfile.TemporaryDirectory() as tmp:
        outs = {}
        for threads, tile, prec in settings:
            f = Path(tmp) / f"{threads}-{tile}-{prec}.npy"
            r = _child(threads, tile, "vintage-cyclegan", f, prec)
            kind = "640-px tiles" if tile == 640 else "default (one 1024-px tile)"
            name = f"{kind}, {auto if prec == 'auto' else prec}"
            rows.append((f"vintage 1024², {name}, {threads} thread(s): time", r["seconds"], "s"))
            rows.append((f"vintage 1024², {name}, {threads} thread(s): process peak RSS", r["peak_gb"], "GB"))
            rows.append((f"vintage 1024², {name}, {threads} thread(s): RSS before the job", r["before_job_gb"], "GB"))
            rows.append((f"vintage 1024², {name}, {threads} thread(s): job's own peak increment", r["job_gb"],
                         "GB"))
            outs[(threads, tile, prec)] = np.load(f).astype(float)
        for prec in ("auto", "fp32"):
            if (2, 1024, prec) not in outs or (2, 640, prec) not in outs:
                continue
            d = np.abs(outs[(2, 640, prec)] - outs[(2, 1024, prec)])
            label = auto if prec == "auto" else prec
            rows.append((f"vintage 1024² {label}, tiled vs untiled: mean abs difference", float(d.mean()), "/255"))
            rows.append((f"vintage 1024² {label}, tiled vs untiled: 99th percentile", float(np.percentile(d, 99)),
                         "/255"))
        if (2, 1024, "fp32") in outs:
            d = np.abs(outs[(2, 1024, "auto")] - outs[(2, 1024, "fp32")])
            rows.append((f"vintage 1024² untiled, {auto} vs fp32: mean abs difference", float(d.mean()), "/255"))
    return rows


def sketch(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    import torch
    from PIL import Image

    from latentbrush.ml import metrics
    from latentbrush.ml.tensors import to_images as u8
    from latentbrush.ml.translate.sketch_pairs import EVAL_SEED, faces_and_sketches

    mm = model_manager()
    G = mm.get(mm.default("generator").id).net
    specs = [s for s in mm.manifest.of_kind("translator") if int(s.params.get("input_nc", 3)) == 1
             and mm.available(s)]
    n = 16 if quick else 256
    s, x = faces_and_sketches(G, n, torch.Generator().manual_seed(EVAL_SEED), None, "cpu")
    rows: list[Measurement] = []
    tiles = []
    for spec in specs:
        net = mm.get(spec.id).net
        with torch.no_grad():
            y = torch.cat([net(s[i:i + 64]) for i in range(0, n, 64)]).clamp(-1, 1)
        r = metrics.report(y, x, data_range=metrics.SIGNED)
        rows += [(f"{spec.id}: L1", r["l1"], "[0,1]"), (f"{spec.id}: SSIM", r["ssim"], ""),
                 (f"{spec.id}: PSNR", r["psnr"], "dB")]
        tiles.append(y[:8])
    if out is not None and tiles:
        sk = u8(s[:8].repeat(1, 3, 1, 1))
        grid_rows = [np.concatenate(list(sk), 1)] + [np.concatenate(list(u8(t)), 1) for t in tiles]
        grid_rows.append(np.concatenate(list(u8(x[:8])), 1))
        grid = np.concatenate(grid_rows, 0)
        big = Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST)
        big.save(out / "sketch_grid.png")
    return rows
