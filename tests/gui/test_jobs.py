"""The worker thread end to end: generate and translate (undoable), cancel, stale results,
supersede, failures shown, clean exit while a job runs."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest_gui import open_array

from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import Progress, Result
from latentbrush.ml.runners import RUNNERS

REPO = Path(__file__).resolve().parents[2]


def paced_runner(steps: int, pause: float):
    """A fake heavy job: `steps` steps of `pause` s each; returns pixels for the whole image."""
    def run(job, models):
        img = job.inputs["image"]
        for i in range(steps):
            time.sleep(pause)
            yield Progress(i, steps, f"step {i}")
        return Result(layer="base", bbox=BBox(0, 0, img.shape[1], img.shape[0]), pixels=255 - img)
    return run


slow_runner = paced_runner(200, 0.01)
stubborn_runner = paced_runner(8, 0.5)      # a model whose steps take half a second: Esc is heard at the next


def runners_with_slow():
    return dict(RUNNERS, slow=slow_runner)


def test_generate_face_into_selection_is_one_undo_step(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models)
    doc = open_array(w, photo)

    w.set_selection(BBox(100, 50, 228, 178))
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        w.generate_into(seed=7)
    base = doc.layer("base")
    assert not np.array_equal(base[50:178, 100:228], photo[50:178, 100:228])
    outside = np.ones(base.shape[:2], bool)
    outside[50:178, 100:228] = False
    assert np.array_equal(base[outside], photo[outside])
    assert w.undo_stack.count() == 1
    w.undo_stack.undo()
    assert np.array_equal(doc.layer("base"), photo)
    w.undo_stack.redo()
    assert not np.array_equal(doc.layer("base"), photo)


def test_new_face_document(make_window, tiny_models, qtbot):
    w = make_window(tiny_models)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        w.new_face(seed=3)
    assert w.document is not None and w.document.layer("base").shape == (256, 256, 3)
    from latentbrush.ml.latent.sample import sample_faces
    from latentbrush.ml.tensors import resize

    G = w.dispatcher.engine.worker.models.get("tiny-gen").net
    expected = resize(sample_faces(G, n=1, seed=3, device="cpu")[0][0], 256, 256)
    assert np.array_equal(w.document.layer("base"), expected)


def test_translation_applies_and_undoes(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models)
    doc = open_array(w, photo)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=60_000):
        w.translate("tiny-trans", 1.0)
    assert not np.array_equal(doc.layer("base"), photo)
    assert w.undo_stack.count() == 1 and w.undo_stack.undoText().startswith("Translate: ")
    w.undo_stack.undo()
    assert np.array_equal(doc.layer("base"), photo)


def test_cancel_takes_effect_quickly_and_changes_nothing(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models, runners_with_slow())
    doc = open_array(w, photo)
    started = threading.Event()
    w.dispatcher.engine.worker.started.connect(lambda job: started.set())
    job = w.dispatcher.submit("slow", layers=("base",), label="Slow")
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert w.jobs.cancel_button.isVisible()
    t0 = time.monotonic()
    with qtbot.waitSignal(w.dispatcher.cancelled, timeout=5000):
        w.jobs.cancel_button.click()
    assert time.monotonic() - t0 < 0.5
    assert job.cancelled and np.array_equal(doc.layer("base"), photo)
    assert w.undo_stack.count() == 0
    qtbot.waitUntil(lambda: not w.jobs.cancel_button.isVisible(), timeout=2000)


def test_esc_says_cancelling_until_the_model_stops(make_window, tiny_models, photo, qtbot):
    """Helper 75: Esc during a long fill left 'filling area 1/1' and a live Cancel button for 10 s and more."""
    w = make_window(tiny_models, dict(RUNNERS, stubborn=stubborn_runner))
    doc = open_array(w, photo)
    started = threading.Event()
    w.dispatcher.engine.worker.started.connect(lambda job: started.set())
    w.dispatcher.submit("stubborn", layers=("base",), label="Stubborn")
    qtbot.waitUntil(started.is_set, timeout=5000)
    qtbot.waitUntil(lambda: "step" in w.jobs.label.text(), timeout=5000)
    w.jobs.cancel()
    assert w.jobs.label.text().startswith("Cancelling") and not w.jobs.cancel_button.isEnabled()
    with qtbot.waitSignal(w.dispatcher.cancelled, timeout=5000):
        pass
    assert np.array_equal(doc.layer("base"), photo) and w.undo_stack.count() == 0
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=2000)
    assert w.jobs.cancel_button.isEnabled() and not w.jobs.cancelling       # ready for the next job


def test_a_job_started_while_another_stops_shows_its_own_progress(make_window, tiny_models, photo, qtbot):
    """Helper 76: a job started while the cancelled one was still stopping stayed under "Cancelling…", its
    progress hidden and Cancel greyed, for its whole run."""
    runners = dict(RUNNERS, stubborn=stubborn_runner, slow=slow_runner)
    w = make_window(tiny_models, runners)
    open_array(w, photo)
    w.dispatcher.submit("stubborn", layers=("base",), label="Stubborn")
    qtbot.waitUntil(lambda: "step" in w.jobs.label.text(), timeout=5000)
    w.jobs.cancel()
    assert w.jobs.cancelling
    w.dispatcher.submit("slow", layers=("base",), label="Slow")
    qtbot.waitUntil(lambda: w.jobs.label.text().startswith("Slow: step"), timeout=10_000)
    assert w.jobs.cancel_button.isEnabled() and not w.jobs.cancelling
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=20_000)


def test_stale_result_is_dropped(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models, runners_with_slow())
    doc = open_array(w, photo)
    w.dispatcher.submit("slow", layers=("base",), label="Slow")
    # the person changes the photo while the job runs
    from latentbrush.core.history import EditStep
    from latentbrush.core.patches import PixelPatch

    box = BBox(0, 0, 10, 10)
    w.undo_stack.push(EditStep("x", [PixelPatch.capture(doc, "base", box, np.zeros((10, 10, 3), np.uint8))]))
    with qtbot.waitSignal(w.dispatcher.dropped, timeout=10_000) as sig:
        pass
    assert "changed" in sig.args[1]
    assert np.array_equal(doc.layer("base")[20:], photo[20:])        # result not applied
    assert w.undo_stack.count() == 1


def test_painting_a_mask_does_not_make_a_translation_stale(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models)
    doc = open_array(w, photo)
    w.dispatcher.submit("translate", params={"model": "tiny-trans"}, layers=("base",), label="Translate")
    from latentbrush.core.patches import PixelPatch

    PixelPatch.capture(doc, "mask", BBox(0, 0, 5, 5), np.full((5, 5), 255, np.uint8)).apply(doc)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=60_000):
        pass
    assert not np.array_equal(doc.layer("base"), photo)


def test_newer_job_supersedes(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models, runners_with_slow())
    open_array(w, photo)
    first = w.dispatcher.submit("slow", layers=("base",), label="Slow 1")
    second = w.dispatcher.submit("slow", layers=("base",), label="Slow 2")
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000) as sig:
        pass
    assert sig.args[0].id == second.id and first.cancelled


def test_failures_are_shown_and_the_document_kept(make_window, tiny_models, photo, qtbot, tmp_path):
    w = make_window(tiny_models)
    doc = open_array(w, photo)
    (tiny_models / "trans.safetensors").write_bytes(b"tampered")
    with qtbot.waitSignal(w.dispatcher.failed, timeout=10_000):
        w.translate("tiny-trans", 1.0)
    assert "sha256" in w.last_error[1]
    assert w.document is doc and np.array_equal(doc.layer("base"), photo)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 garbage")
    assert not w.files.open_path(bad)
    assert w.document is doc and "broken.jpg" in w.last_error[1]


def test_open_and_export_round_trip(make_window, tiny_models, photo, tmp_path):
    from PIL import Image

    w = make_window(tiny_models)
    src = tmp_path / "in.png"
    Image.fromarray(photo).save(src)
    original = src.read_bytes()
    assert w.files.open_path(src)
    assert np.array_equal(w.document.layer("base"), photo)
    assert str(src.resolve()) in w.files.recent()
    out = tmp_path / "out.png"
    assert w.files.export_to(out)
    assert np.array_equal(np.asarray(Image.open(out)), photo) and src.read_bytes() == original


@pytest.mark.slow
def test_closing_the_window_during_a_job_exits_cleanly(tiny_models, tmp_path):
    script = f"""
import sys, time
sys.path.insert(0, {str(REPO / 'tests')!r})
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from latentbrush.engine.dispatcher import Dispatcher
from latentbrush.engine.worker import Engine
from latentbrush.ml.manifest import Manifest
from latentbrush.ml.registry import ModelManager
from latentbrush.ui.main_window import MainWindow
import numpy as np
from latentbrush.core.document import Document
m = Manifest.load({str(tiny_models)!r})
engine = Engine(ModelManager(m, device="cpu"))
w = MainWindow(Dispatcher(engine), m, QSettings({str(tmp_path / 's.ini')!r}, QSettings.Format.IniFormat), interactive=False)
w.show()
w.set_document(Document(np.random.default_rng(0).integers(0, 255, (1500, 1500, 3), dtype=np.uint8)))
w.translate("tiny-trans", 1.0)
QTimer.singleShot(300, lambda: (print("BUSY", w.dispatcher.busy, flush=True), w.close()))
rc = app.exec()
engine.shutdown()
sys.exit(rc)
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                       cwd=REPO, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
                                      "HOME": str(tmp_path)})
    assert "BUSY True" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 0, r.stderr
    assert "QThread" not in r.stderr
