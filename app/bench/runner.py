"""Run named benchmarks, print a table, write results.json and results.png."""

from __future__ import annotations

import inspect
import json
import platform
import time
from pathlib import Path

from latentbrush.bench.benchmarks import BENCHMARKS
from latentbrush.bench.chart import bar_chart


def run_benchmarks(names: list[str], out: Path, *, quick: bool = False) -> int:
    names = names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmarks: {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    import os

    import torch

    from latentbrush.paths import models_dir

    out.mkdir(parents=True, exist_ok=True)
    results = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                           "python": platform.python_version(), "torch": torch.__version__,
                           "cuda": torch.cuda.is_available()},
               "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "quick": quick, "models": str(models_dir()),
               "benchmarks": {}}
    rows = []
    for name in names:
        t = time.perf_counter()
        fn = BENCHMARKS[name]
        takes_out = "out" in inspect.signature(fn).parameters
        ms = fn(quick=quick, out=out) if takes_out else fn(quick=quick)
        results["benchmarks"][name] = [{"metric": m, "value": v, "unit": u} for m, v, u in ms]
        rows.extend(ms)
        print(f"== {name} ({time.perf_counter() - t:.1f} s)")
        for m, v, u in ms:
            print(f"  {m:55s} {v:10.3f} {u}")
    (out / "results.json").write_text(json.dumps(results, indent=2))
    bar_chart(rows, out / "results.png", f"Latentbrush benchmarks — {results['time']}")
    print(f"wrote {out / 'results.json'} and {out / 'results.png'}")
    return 0
