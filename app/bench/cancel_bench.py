"""Cancel latency of every long job (`latentbrush bench cancel`).

Each job runs on a thread the way the worker runs it (iterating its generator); once it has
reported progress and worked a little longer (`DELAY_S`), the job is cancelled and the time until
its generator stops (raises Cancelled) is measured. Target: ≤ 200 ms. A job that finishes before
the cancel lands is reported as such. Writes cancel.json and cancel.png.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from latentbrush.bench.common import Measurement, model_manager
from latentbrush.core.jobs import Cancelled, Job
from latentbrush.core.requests import (
    InpaintRequest,
    InterpolateRequest,
    PartsEditRequest,
    PartsMapRequest,
    ProjectRequest,
    ScribbleRequest,
    TranslateRequest,
)

DELAY_S = 0.3
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "astronaut.jpg"


def measure(run, job: Job, models, delay: float = DELAY_S, timeout: float = 300.0) -> dict:
    started = threading.Event()
    rec: dict = {}

    def body() -> None:
        gen = run(job, models)
        try:
            while True:
                next(gen)
                if not started.is_set():
                    rec["first_progress"] = time.perf_counter()
                    started.set()
        except StopIteration:
            rec["finished"] = time.perf_counter()
        except Cancelled:
            rec["stopped"] = time.perf_counter()
        except Exception as e:                   # noqa: BLE001 - reported in the table
            rec["error"] = f"{type(e).__name__}: {e}"
        started.set()

    t = threading.Thread(target=body, daemon=True)
    t0 = time.perf_counter()
    t.start()
    started.wait(timeout)
    time.sleep(delay)
    job.cancel()
    t_cancel = time.perf_counter()
    t.join(timeout)
    if "stopped" in rec:
        return {"outcome": "cancelled", "latency_ms": (rec["stopped"] - t_cancel) * 1000,
                "ran_s": t_cancel - t0}
    if "finished" in rec:
        return {"outcome": "finished before the cancel", "ran_s": rec["finished"] - t0}
    return {"outcome": rec.get("error", "did not stop"), "ran_s": time.perf_counter() - t0}


def _jobs(models):
    from latentbrush.ml.inpaint.fill import run_inpaint
    from latentbrush.ml.latent.runners import run_interpolate, run_project, run_scribble
    from latentbrush.ml.parts.runners import run_parts_edit, run_parts_map
    from latentbrush.ml.translate.translator import run_translate

    photo = cv2.cvtColor(cv2.imread(str(SAMPLE)), cv2.COLOR_BGR2RGB)
    big = cv2.resize(photo, (1024, 1024), interpolation=cv2.INTER_AREA)
    face = cv2.resize(photo[30:230, 150:350], (256, 256), interpolation=cv2.INTER_AREA)
    whole = (0, 0, 256, 256)
    strokes = np.zeros((256, 256, 4), np.uint8)
    strokes[150:190, 90:170] = (200, 40, 40, 255)
    mask = np.zeros((1024, 1024), np.uint8)
    for i in range(5):                       # 25 separate holes: 25 crops for the network
        for j in range(5):
            mask[60 + 200 * i:120 + 200 * i, 60 + 200 * j:120 + 200 * j] = 255
    face_mask = np.zeros((256, 256), np.uint8)
    face_mask[140:200, 80:180] = 255
    labels = np.zeros((256, 256), np.uint8)
    labels[150:200, 90:170] = 6
    z = np.zeros(100, np.float32)
    return [
        ("project", run_project, ProjectRequest(region=whole, time_budget=None, steps=2000), {"image": face}),
        ("scribble (4 candidates)", run_scribble, ScribbleRequest(region=whole, iters=2000),
         {"image": face, "scribble": strokes}),
        ("interpolate (200 frames)", run_interpolate, InterpolateRequest(za=z, zb=z + 1, frames=200), {}),
        ("inpaint: completion, 25 holes", run_inpaint, InpaintRequest(model="completion-64"),
         {"image": big, "mask": mask}),
        ("inpaint: generator prior", run_inpaint, InpaintRequest(model="generator-prior"),
         {"image": face, "mask": face_mask}),
        ("translate: vintage 1024² (one tile)", run_translate, TranslateRequest(model="vintage-cyclegan"),
         {"image": big}),
        ("parts map", run_parts_map, PartsMapRequest(region=whole, project_budget=None, project_steps=2000),
         {"image": face}),
        ("parts edit", run_parts_edit, PartsEditRequest(region=whole, iters=2000), {"image": face, "parts": labels}),
    ]


def cancel(quick: bool = False, out: Path | None = None) -> list[Measurement]:
    from latentbrush.bench.chart import bar_chart

    models = model_manager()
    table: dict = {}
    rows: list[Measurement] = []
    for name, run, request, inputs in _jobs(models):
        r = measure(run, Job(request, inputs=inputs, label=name), models)
        table[name] = r
        if r["outcome"] == "cancelled":
            rows.append((f"{name}: cancel latency", r["latency_ms"], "ms"))
        else:
            rows.append((f"{name}: {r['outcome']}", r["ran_s"], "s"))
    if out is not None:
        (out / "cancel.json").write_text(json.dumps(table, indent=2))
        bar_chart([r for r in rows if r[2] == "ms"], out / "cancel.png", "Cancel latency (target ≤ 200 ms)")
    return rows
