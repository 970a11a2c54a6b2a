"""The benchmark harness writes its table, JSON and chart (numbers are reported, not asserted)."""

from __future__ import annotations

import json

from latentbrush.bench.runner import run_benchmarks


def test_bench_writes_json_and_png(tmp_path, capsys):
    assert run_benchmarks(["generator"], tmp_path, quick=True) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    metrics = {m["metric"]: m["value"] for m in data["benchmarks"]["generator"]}
    assert metrics["generator forward, batch 1"] > 0
    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "img/s" in capsys.readouterr().out


def test_unknown_benchmark_is_reported(tmp_path):
    assert run_benchmarks(["nope"], tmp_path) == 2


def test_cancel_measurement_tells_cancelled_from_finished():
    import time

    from latentbrush.bench.cancel_bench import measure
    from latentbrush.core.jobs import Job, Progress

    def slow(job, models):
        for i in range(10_000):
            job.check()
            time.sleep(0.01)
            yield Progress(i, 10_000)

    def quick(job, models):
        yield Progress(0, 1)

    r = measure(slow, Job("slow"), None, delay=0.05)
    assert r["outcome"] == "cancelled" and r["latency_ms"] >= 0
    assert measure(quick, Job("quick"), None, delay=0.05)["outcome"] == "finished before the cancel"


def test_pixel_check_counts_changed_pixels_that_took_the_painted_color():
    import numpy as np

    from latentbrush.bench.parts_bench import pixel_check

    before = np.zeros((64, 64), np.int64)
    before[20:40, 20:40] = 1                            # part 1: a red square on a grey part 0
    img = np.full((256, 256, 3), 120, np.uint8)
    img[80:160, 80:160] = (220, 30, 30)
    target = np.full((64, 64), -1)
    target[40:44, 20:40] = 1                            # paint: grow the square downwards
    changed = (target >= 0) & (target != before)
    assert pixel_check(img, img, before, target, changed) == 0.0
    edited = img.copy()
    edited[160:176, 80:160] = (215, 35, 30)
    assert pixel_check(edited, img, before, target, changed) == 1.0
