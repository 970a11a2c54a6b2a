"""The real editor window for GUI benchmarks: offscreen Qt, the default models, settings, sliders
and autosave in a temporary folder (never the user's)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class BenchWindow:
    app: Any          # QApplication
    engine: Any       # app.engine.worker.Engine
    dispatcher: Any   # app.engine.dispatcher.Dispatcher
    window: Any       # app.ui.main_window.MainWindow
    tmp: Path


def bench_window(width: int, height: int) -> BenchWindow:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.engine.dispatcher import Dispatcher
    from app.engine.worker import Engine
    from app.ml.devices import configure_threads
    from app.ml.manifest import Manifest
    from app.ml.registry import ModelManager
    from app.paths import models_dir
    from app.ui.main_window import MainWindow

    configure_threads()
    app = QApplication.instance() or QApplication([])
    manifest = Manifest.load(models_dir())
    engine = Engine(ModelManager(manifest, device="cpu"))
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
