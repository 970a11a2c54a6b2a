"""The benchmarks. Each returns a list of (name, value, unit) measurements."""

from __future__ import annotations

import os
import time

import numpy as np

from latentbrush.bench.common import Measurement


def _percentile(xs, q):
    return float(np.percentile(np.asarray(xs, float), q))


def generator_throughput(quick: bool = False) -> list[Measurement]:
    """DCGAN-64 (the default generator's architecture; random weights give the same speed)."""
    import torch

    from latentbrush.ml.nets.dcgan import DCGANGenerator

    out: list[Measurement] = []
    G = DCGANGenerator().eval().requires_grad_(False)
    reps = 5 if quick else 20
    for batch in (1, 16):
        z = torch.randn(batch, 100)
        with torch.no_grad():
            G(z)
            t = time.perf_counter()
            for _ in range(reps):
                G(z)
        dt = (time.perf_counter() - t) / reps
        out.append((f"generator forward, batch {batch}", batch / dt, "img/s"))
        zz = torch.randn(batch, 100, requires_grad=True)
        opt = torch.optim.Adam([zz], lr=0.05)
        target = torch.zeros(batch, 3, 64, 64)

        def step(opt=opt, zz=zz, target=target):
            opt.zero_grad(set_to_none=True)
            loss = (G(zz) - target).pow(2).mean()
            loss.backward()
            opt.step()

        step()
        t = time.perf_counter()
        for _ in range(reps):
            step()
        dt = (time.perf_counter() - t) / reps
        out.append((f"generator fwd+bwd (Adam on z), batch {batch}", batch / dt, "img/s"))
    out.append(("torch intra-op threads", float(torch.get_num_threads()), "threads"))
    return out


def gui_lag(quick: bool = False) -> list[Measurement]:
    """Lateness of a 10 ms QTimer on the GUI thread, idle and while the worker runs a heavy job
    (generator forward+backward at batch 16 in a loop)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import torch
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from latentbrush.core.jobs import Progress, Result
    from latentbrush.engine.worker import Engine
    from latentbrush.ml.devices import configure_threads
    from latentbrush.ml.nets.dcgan import DCGANGenerator

    configure_threads()
    app = QApplication.instance() or QApplication([])
    duration = 1.5 if quick else 4.0

    def heavy(job, models):
        G = DCGANGenerator()
        z = torch.randn(16, 100, requires_grad=True)
        opt = torch.optim.Adam([z], lr=0.05)
        t0 = time.monotonic()
        i = 0
        while time.monotonic() - t0 < duration + 1:
            opt.zero_grad()
            G(z).pow(2).mean().backward()
            opt.step()
            i += 1
            yield Progress(i, 10_000, "busy", preview=np.zeros((64, 64, 3), np.uint8))
        return Result(layer="")

    def measure() -> list[float]:
        lags: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.nsecsElapsed()]
        timer = QTimer()
        timer.setInterval(10)

        def tick():
            now = clock.nsecsElapsed()
            lags.append(max(0.0, (now - last[0]) / 1e6 - 10.0))
            last[0] = now
        timer.timeout.connect(tick)
        timer.start()
        end = time.monotonic() + duration
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.0005)
        timer.stop()
        return lags[1:]

    idle = measure()
    engine = Engine(models=None, runners={"heavy": heavy})
    from latentbrush.core.jobs import Job

    engine.worker.submit(Job("heavy"))
    time.sleep(0.3)
    busy = measure()
    engine.shutdown()
    return [
        ("GUI timer lag idle, p50", _percentile(idle, 50), "ms"),
        ("GUI timer lag idle, p99", _percentile(idle, 99), "ms"),
        ("GUI timer lag, worker busy, p50", _percentile(busy, 50), "ms"),
        ("GUI timer lag, worker busy, p99", _percentile(busy, 99), "ms"),
    ]


from latentbrush.bench.cancel_bench import cancel  # noqa: E402
from latentbrush.bench.drawing_bench import drawings, drawings_photo, drawings_wide, sketch_area  # noqa: E402
from latentbrush.bench.explore_bench import explore_photo, sliders_person  # noqa: E402
from latentbrush.bench.inpaint_bench import inpaint_examples, inpaint_gate, inpaint_quality, inpaint_speed  # noqa: E402
from latentbrush.bench.inpaint_coherence import inpaint_coherence  # noqa: E402
from latentbrush.bench.inpaint_memory import inpaint_memory  # noqa: E402
from latentbrush.bench.inpaint_scales import inpaint_scales  # noqa: E402
from latentbrush.bench.inpaint_seams import inpaint_seams  # noqa: E402
from latentbrush.bench.inpaint_textures import inpaint_textures  # noqa: E402
from latentbrush.bench.inpaint_wide import inpaint_wide  # noqa: E402
from latentbrush.bench.latent_bench import projection, scribble, sliders  # noqa: E402
from latentbrush.bench.parts_bench import parts, parts_ranking  # noqa: E402
from latentbrush.bench.parts_eyes_bench import parts_eyes  # noqa: E402
from latentbrush.bench.parts_hair_bench import parts_hair  # noqa: E402
from latentbrush.bench.parts_photo_bench import parts_photo  # noqa: E402
from latentbrush.bench.pencil_bench import pencil  # noqa: E402
from latentbrush.bench.realphoto_bench import realphoto  # noqa: E402
from latentbrush.bench.scribble_latency import scribble_latency  # noqa: E402
from latentbrush.bench.snapshot_bench import snapshot  # noqa: E402
from latentbrush.bench.startup_bench import cold_start  # noqa: E402
from latentbrush.bench.training_runs import training  # noqa: E402
from latentbrush.bench.translate_bench import sketch, translate  # noqa: E402

BENCHMARKS = {
    "generator": generator_throughput,
    "gui_lag": gui_lag,
    "cold_start": cold_start,
    "projection": projection,
    "scribble": scribble,
    "scribble_latency": scribble_latency,
    "sliders": sliders,
    "inpaint_quality": inpaint_quality,
    "inpaint_speed": inpaint_speed,
    "inpaint_examples": inpaint_examples,
    "inpaint_gate": inpaint_gate,
    "inpaint_wide": inpaint_wide,
    "inpaint_scales": inpaint_scales,
    "inpaint_coherence": inpaint_coherence,
    "inpaint_memory": inpaint_memory,
    "inpaint_seams": inpaint_seams,
    "inpaint_textures": inpaint_textures,
    "translate": translate,
    "sketch": sketch,
    "drawings": drawings,
    "drawings_photo": drawings_photo,
    "drawings_wide": drawings_wide,
    "sketch_area": sketch_area,
    "pencil": pencil,
    "parts": parts,
    "parts_photo": parts_photo,
    "parts_eyes": parts_eyes,
    "parts_hair": parts_hair,
    "parts_ranking": parts_ranking,
    "realphoto": realphoto,
    "explore_photo": explore_photo,
    "sliders_person": sliders_person,
    "cancel": cancel,
    "snapshot": snapshot,
    "training": training,
}
