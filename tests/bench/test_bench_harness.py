"""The benchmark harness writes its table, JSON and chart (numbers are reported, not asserted)."""

from __future__ import annotations

import json

from app.bench.runner import run_benchmarks


def test_bench_writes_json_and_png(tmp_path, capsys):
    assert run_benchmarks(["generator"], tmp_path, quick=True) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    metrics = {m["metric"]: m["value"] for m in data["benchmarks"]["generator"]}
    assert metrics["generator forward, batch 1"] > 0
    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "img/s" in capsys.readouterr().out


def test_unknown_benchmark_is_reported(tmp_path):
    assert run_benchmarks(["nope"], tmp_path) == 2
