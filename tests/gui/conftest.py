from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings


@pytest.fixture
def make_window(qtbot, tmp_path):
    """A main window over a models dir (tiny random models by default), non-interactive."""
    created = []

    def make(models_dir, runners=None):
        from latentbrush.engine.dispatcher import Dispatcher
        from latentbrush.engine.worker import Engine
        from latentbrush.ml.manifest import Manifest
        from latentbrush.ml.registry import ModelManager
        from latentbrush.ui.main_window import MainWindow

        manifest = Manifest.load(models_dir)
        engine = Engine(ModelManager(manifest, device="cpu"), runners)
        dispatcher = Dispatcher(engine)
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        settings.setValue("sliders_path", str(tmp_path / "sliders.json"))
        w = MainWindow(dispatcher, manifest, settings, interactive=False)
        qtbot.addWidget(w)
        w.resize(1000, 700)
        w.show()
        qtbot.waitExposed(w)
        created.append(engine)
        return w

    yield make
    for engine in created:
        assert engine.shutdown(10_000)


@pytest.fixture
def photo(rng):
    return rng.integers(40, 200, (240, 320, 3), dtype=np.uint8)
