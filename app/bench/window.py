"""The real editor window for GUI benchmarks: offscreen Qt, the default models, settings, sliders
and autosave in a temporary folder (never the user's)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from latentbrush.bench.common import model_manager


@dataclass
class BenchWindow:
    app: Any          # QApplication
    engine: Any       # latentbrush.engine.worker.Engine
    dispatcher: Any   # latentbrush.engine.dispatcher.Dispatcher
    window: Any       # latentbrush.ui.main_window.MainWindow
    tmp: Path


def bench_window(width: int, height: int) -> BenchWindow:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from latentbrush.engine.dispatcher import Dispatcher
    from latentbrush.engine.worker import Engine
    from latentbrush.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    models = model_manager()
    manifest = models.manifest
    engine = Engine(models)
    d = Dispatcher(engine)
    tmp = Path(tempfile.mkdtemp(prefix="lb-bench-"))
    settings = QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("sliders_path", str(tmp / "sliders.json"))
    w = MainWindow(d, manifest, settings, interactive=False)
    w.session.dir = tmp                       # autosave into the temporary folder, not the user's
    w.session.path = tmp / "session.lbproj"
    w.resize(width, height)
    w.show()
    return BenchWindow(app, engine, d, w, tmp)
