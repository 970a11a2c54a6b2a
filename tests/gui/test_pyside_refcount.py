"""PySide6 6.12.0 on CPython 3.11 returns None from void methods without taking a reference: each
call (update(), setToolTip(), QPainter calls in paintEvent …) lowers None's reference count by one,
and the process aborts ("none_dealloc") once it reaches zero — measured: ~64 000 at start, 6 per
canvas repaint, so ~11 000 repaints. This test records the defect (strict xfail on the affected
combination, so it turns red when the environment changes and the mark must be revisited)."""

from __future__ import annotations

import subprocess
import sys

import PySide6
import pytest

AFFECTED = PySide6.__version__ == "6.12.0" and sys.version_info < (3, 12)

CODE = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
w = QWidget()
r0 = sys.getrefcount(None)
for _ in range(2000):
    w.setToolTip("x")
print(sys.getrefcount(None) - r0)
sys.stdout.flush()
os._exit(0)
"""


@pytest.mark.xfail(AFFECTED, reason="PySide6 6.12.0 + Python 3.11: void methods drop a reference to None",
                   strict=True)
def test_void_qt_calls_keep_none_referenced():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert abs(int(r.stdout.strip().splitlines()[-1])) < 100
