"""The window's start-up path imports no torch (it loads on the worker thread after the window
is shown, issue 17): everything app.main.run_gui imports before window.show()."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = """
import sys
import app.main, app.qt_check, app.engine.dispatcher, app.engine.worker, app.engine.loading
import app.engine.gc_guard, app.ml.manifest, app.paths, app.ui.main_window, app.ui.startup, app.ui.fit
print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision')))
"""


def test_the_start_up_path_does_not_import_torch():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "[]"
