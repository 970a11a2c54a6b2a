"""Cold start: process start → editor window shown, against a bare PySide6 window measured in the
same run (interleaved, same machine load). Offscreen Qt; the editor runs with --startup-probe, which
prints when its window is shown (and whether torch was imported by then) and when the models are
ready on the worker thread."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

from latentbrush.bench.common import Measurement

BARE_WINDOW = """
import time
t0 = time.perf_counter()
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow()
w.setCentralWidget(QLabel("bare"))
w.resize(1280, 720)
w.show()
QTimer.singleShot(0, lambda: (print(f"WINDOW_SHOWN {time.perf_counter() - t0:.4f}", flush=True), app.quit()))
app.exec()
"""


def _timed_lines(cmd: list[str], env: dict[str, str], marks: tuple[str, ...]) -> dict[str, str | float]:
    """Spawn `cmd`; seconds from spawn until each line starting with a mark (and the line)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen: dict[str, str | float] = {}
    try:
        assert p.stdout is not None
        for line in p.stdout:
            for m in marks:
                if line.startswith(m) and m not in seen:
                    seen[m] = time.perf_counter() - t
                    seen[m + ":line"] = line.strip()
        p.wait(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    err = p.stderr.read() if p.stderr else ""
    if marks[0] not in seen:
        raise RuntimeError(f"{cmd[-1]!r} did not show its window:\n{err[-2000:]}")
    return seen


def cold_start(quick: bool = False) -> list[Measurement]:
    runs = 3 if quick else 7
    tmp = tempfile.mkdtemp(prefix="lb-cold-")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LATENTBRUSH_DATA=tmp, LATENTBRUSH_CONFIG=tmp)
    app_cmd = [sys.executable, "-m", "latentbrush", "--startup-probe", "--no-fetch"]
    bare_cmd = [sys.executable, "-c", BARE_WINDOW]
    _timed_lines(bare_cmd, env, ("WINDOW_SHOWN",))            # warm the file cache for both
    _timed_lines(app_cmd, env, ("WINDOW_SHOWN", "MODELS_READY"))
    bare, window, bare_in, window_in, ready, torch_first = [], [], [], [], [], 0
    for _ in range(runs):
        got = _timed_lines(bare_cmd, env, ("WINDOW_SHOWN",))
        bare.append(float(got["WINDOW_SHOWN"]))
        bare_in.append(_inside(got))
        got = _timed_lines(app_cmd, env, ("WINDOW_SHOWN", "MODELS_READY"))
        window.append(float(got["WINDOW_SHOWN"]))
        window_in.append(_inside(got))
        ready.append(float(got.get("MODELS_READY", float("nan"))))
        torch_first += "torch=1" in str(got["WINDOW_SHOWN:line"])
    b, w = statistics.median(bare), statistics.median(window)
    return [("bare PySide6 window shown (from process start), median", b * 1000, "ms"),
            ("editor window shown (from process start), median", w * 1000, "ms"),
            ("editor window / bare window (target <= 6)", w / b, "x"),
            ("bare window, after interpreter start, median", statistics.median(bare_in) * 1000, "ms"),
            ("editor window, after interpreter start, median", statistics.median(window_in) * 1000, "ms"),
            ("models ready on the worker (from process start), median", statistics.median(ready) * 1000, "ms"),
            ("runs where torch was imported before the window", float(torch_first), "runs")]


def _inside(got: dict[str, str | float]) -> float:
    """The seconds the process itself printed: from its first line of Python to the window."""
    return float(str(got["WINDOW_SHOWN:line"]).split()[1])
