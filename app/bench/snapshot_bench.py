"""What a job costs the GUI thread before it runs, on a 24-megapixel document (6000 × 4000).

Measured through the session model as the window submits (SessionModel.submit with the layers
each edit kind reads; the executor only queues, as the worker thread's queue does), against the
previous way (a private copy of every layer read, made on the GUI thread). Also: the copy the
worker makes when the job starts (off the GUI thread), the copy the GUI thread makes when it
changes a layer a queued job has not read yet (the fallback), and the autosave's capture."""

from __future__ import annotations

import statistics
import time

import numpy as np

from latentbrush.bench.common import Measurement
from latentbrush.core.bbox import BBox
from latentbrush.core.document import Document, DocumentSnapshot
from latentbrush.core.jobs import Result
from latentbrush.core.requests import AttributeRequest, InpaintRequest, ProjectRequest, ScribbleRequest
from latentbrush.session.model import SessionModel

W, H = 6000, 4000
KINDS = {   # the layers each edit reads, as the window submits it
    "scribble (base + scribble)": (ScribbleRequest(), ("base", "scribble")),
    "slider drag (mask)": (AttributeRequest(preview=True), ("mask",)),
    "fill (base + mask)": (InpaintRequest(), ("base", "mask")),
    "projection (base)": (ProjectRequest(), ("base",)),
}


class _Queue:
    def __init__(self) -> None:
        self.jobs: list = []

    def submit(self, job) -> None:
        self.jobs.append(job)

    def cancel(self, job_id: int) -> None: ...

    def cancel_all(self) -> None: ...


def snapshot(quick: bool = False) -> list[Measurement]:
    reps = 3 if quick else 9
    rng = np.random.default_rng(0)
    doc = Document(rng.integers(0, 255, (H, W, 3), dtype=np.uint8))
    q = _Queue()
    model = SessionModel(q)
    model.open(doc)

    def done() -> None:             # the job ends (as a superseded or finished one does in the app)
        for job in q.jobs:
            model.finished(job, Result(layer=""))
        q.jobs.clear()

    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1000

    def median(fn, after=done) -> float:
        times = []
        for _ in range(reps):
            times.append(timed(fn))
            after()
        return statistics.median(times)

    out: list[Measurement] = []
    for name, (req, layers) in KINDS.items():
        now = median(lambda req=req, layers=layers: model.submit(req, layers=layers))
        before = median(lambda layers=layers: [np.array(doc.layer(n), copy=True) for n in layers])
        out.append((f"{name}: GUI thread per job, now", now, "ms"))
        out.append((f"{name}: GUI thread per job, copying the layers (before)", before, "ms"))

    def worker_copy() -> float:
        job = model.submit(ScribbleRequest(), layers=("base", "scribble"))
        ms = timed(job.inputs.take)
        done()
        return ms

    out.append(("scribble job's layers copied on the worker when it starts (off the GUI thread)",
                statistics.median(worker_copy() for _ in range(reps)), "ms"))
    patch = np.zeros((64, 64, 4), np.uint8)

    def stroke_while_queued() -> float:
        model.submit(ScribbleRequest(), layers=("base", "scribble"))
        ms = timed(lambda: doc.write("scribble", BBox(0, 0, 64, 64), patch))
        done()
        return ms

    out.append(("a stroke while a queued job has not read its layer yet: GUI-thread copy",
                statistics.median(stroke_while_queued() for _ in range(reps)), "ms"))
    out.append(("a stroke segment with no job pending",
                median(lambda: doc.write("scribble", BBox(0, 0, 64, 64), patch)), "ms"))
    out.append(("autosave capture on the GUI thread (all layers), now", median(lambda: DocumentSnapshot(doc)), "ms"))
    out.append(("autosave capture, copying all layers (before)",
                median(lambda: [np.array(doc.layer(n), copy=True) for n in ("base", "scribble", "mask", "parts")]),
                "ms"))
    return out
