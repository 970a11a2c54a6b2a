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


def _ms(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def snapshot(quick: bool = False) -> list[Measurement]:
    reps = 3 if quick else 9
    rng = np.random.default_rng(0)
    doc = Document(rng.integers(0, 255, (H, W, 3), dtype=np.uint8))
    q = _Queue()
    model = SessionModel(q)
    model.open(doc)
    out: list[Measurement] = []
    for name, (req, layers) in KINDS.items():
        now = _ms(lambda req=req, layers=layers: model.submit(req, layers=layers), reps)
        before = _ms(lambda layers=layers: [np.array(doc.layer(n), copy=True) for n in layers], reps)
        out.append((f"{name}: GUI thread per job, now", now, "ms"))
        out.append((f"{name}: GUI thread per job, copying the layers (before)", before, "ms"))
    q.jobs.clear()
    jobs = [model.submit(ScribbleRequest(), layers=("base", "scribble")) for _ in range(reps)]
    out.append(("scribble job's layers copied on the worker when it starts",
                _ms(lambda: jobs.pop().inputs.take(), reps), "ms"))
    patch = np.zeros((64, 64, 4), np.uint8)

    def write_after_submit() -> None:
        model.submit(ScribbleRequest(), layers=("base", "scribble"))
        t = time.perf_counter()
        doc.write("scribble", BBox(0, 0, 64, 64), patch)
        fallback.append((time.perf_counter() - t) * 1000)

    fallback: list[float] = []
    for _ in range(reps):
        write_after_submit()
        q.jobs.clear()
    out.append(("a stroke while a queued job has not read its layer yet: GUI-thread copy",
                statistics.median(fallback), "ms"))
    idle = _ms(lambda: doc.write("scribble", BBox(0, 0, 64, 64), patch), reps)
    out.append(("a stroke segment with no job pending", idle, "ms"))
    out.append(("autosave capture on the GUI thread (all layers), now", _ms(lambda: DocumentSnapshot(doc), reps), "ms"))
    out.append(("autosave capture, copying all layers (before)",
                _ms(lambda: [np.array(doc.layer(n), copy=True) for n in ("base", "scribble", "mask", "parts")], reps),
                "ms"))
    return out
