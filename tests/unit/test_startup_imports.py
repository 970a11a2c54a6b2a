"""The window's start-up path imports no torch (it loads on the worker thread after the window
is shown, issue 17), nor numba (the fill's compiled kernels load with the first fill): everything
latentbrush.main.run_gui imports before window.show()."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = """
import sys
import latentbrush.main, latentbrush.qt_check, latentbrush.engine.dispatcher, latentbrush.engine.worker, latentbrush.engine.loading
import latentbrush.engine.gc_guard, latentbrush.ml.manifest, latentbrush.paths, latentbrush.ui.main_window, latentbrush.ui.startup, latentbrush.ui.fit
print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', 'numba', 'llvmlite')))
"""


def test_the_start_up_path_does_not_import_torch_or_numba():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "[]"
