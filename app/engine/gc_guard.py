"""Garbage collection only on the GUI thread.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is hit.
If that is the worker thread and the garbage holds Qt widgets (closed windows, panels kept alive
by lambda cycles), their C++ destructors run off the GUI thread and Qt crashes (seen in CI:
a segfault "Garbage-collecting" inside a model load on the worker). So automatic collection is
switched off and a GUI-thread timer collects instead, generation by generation, as the
thresholds would have.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class MainThreadGC(QObject):
    def __init__(self, interval_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        c0, c1, c2 = gc.get_count()
        t0, t1, t2 = self.thresholds
        if c0 > t0:
            gen = 2 if c2 > t2 else (1 if c1 > t1 else 0)
            gc.collect(gen)

    def stop(self) -> None:
        self.timer.stop()
        gc.collect()
        gc.enable()
