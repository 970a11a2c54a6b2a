"""Project files and crash recovery through the window: save / open restores pixels and the undo
history; an app killed with SIGKILL is recovered on the next start with identical pixels."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from conftest_gui import drag, open_array

REPO = Path(__file__).resolve().parents[2]


def layers(doc):
    return {n: doc.layer(n).copy() for n in ("base", "scribble", "mask", "parts")}


def paint(w, tool, pts, size=20):
    w.set_tool(tool)
    w.brush_panel.size.setValue(size)
    drag(w.canvas, pts)


def test_save_and_open_project_restores_pixels_and_history(make_window, tiny_models, photo, qtbot, tmp_path):
    w = make_window(tiny_models)
    doc = open_array(w, photo)
    original = layers(doc)
    paint(w, "brush", [(30, 30), (90, 40)])
    paint(w, "mask", [(150, 100), (200, 120)])
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.inpaint.fill()                         # a model edit (fill + clear mask: one macro step)
    paint(w, "brush", [(10, 200), (60, 210)])
    w.undo_stack.undo()                          # leave one step as redo history
    state = layers(doc)
    count, index = w.undo_stack.count(), w.undo_stack.index()
    path = tmp_path / "work.lbproj"
    assert w.session.save_project(path) and w.undo_stack.isClean()
    w.set_document(None)
    assert w.files.open_path(path)
    doc2 = w.document
    for n, a in state.items():
        assert np.array_equal(doc2.layer(n), a), n
    assert (w.undo_stack.count(), w.undo_stack.index()) == (count, index)
    w.undo_stack.redo()                          # the redo history came back too
    assert not np.array_equal(doc2.layer("scribble"), state["scribble"])
    while w.undo_stack.canUndo():
        w.undo_stack.undo()
    for n, a in original.items():
        assert np.array_equal(doc2.layer(n), a), n


def test_opening_a_damaged_project_changes_nothing(make_window, tiny_models, photo, tmp_path):
    w = make_window(tiny_models)
    doc = open_array(w, photo)
    bad = tmp_path / "bad.lbproj"
    bad.write_bytes(b"PK\x03\x04 damaged")
    assert not w.files.open_path(bad)
    assert w.document is doc and "Cannot open the project" in w.last_error[0]


def test_autosave_after_model_edits_and_removed_on_close(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models)
    open_array(w, photo)
    paint(w, "mask", [(150, 100), (200, 120)])
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.inpaint.fill()
    w.session.wait()
    assert w.session.path.is_file() and w.session.saves >= 1
    w.close()
    assert not w.session.path.exists()



def test_a_stroke_is_autosaved_once_the_person_pauses(make_window, tiny_models, photo, qtbot):
    """A helper painted a mask stroke, waited 8 s and killed the editor: the stroke was not in the autosave
    (it came only every minute). Now a pause of a few seconds after a change is enough."""
    from latentbrush.core.project_read import read_project
    from latentbrush.ui import session_files

    w = make_window(tiny_models)
    assert w.session.interval_s >= 30                 # the regular autosave would not come in this test's time
    open_array(w, photo)
    w.session.wait()
    saves = w.session.saves
    paint(w, "mask", [(150, 100), (200, 120)])
    qtbot.waitUntil(lambda: w.session.saves > saves, timeout=int(session_files.QUIET_S * 1000) + 3000)
    w.session.wait()
    assert read_project(w.session.path).doc.layer("mask").any()


CRASH = r"""
import hashlib, os, sys, time
import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
import latentbrush.main as main
from latentbrush.ui.main_window import MainWindow

def digest(w):
    d = w.document
    h = hashlib.sha256()
    for n in ("base", "scribble", "mask", "parts"):
        h.update(d.layer(n).tobytes())
    return h.hexdigest(), w.undo_stack.count(), w.undo_stack.index()

def scripted_exec(self=None):
    app = QApplication.instance()
    w = next(x for x in app.topLevelWidgets() if isinstance(x, MainWindow))
    if sys.argv[1] == "crash":
        while w.document is None:
            app.processEvents()
        w.interactive = False
        c = w.canvas
        for tool, pts in (("brush", [(20, 20), (80, 30)]), ("mask", [(60, 60), (120, 90)])):
            w.set_tool(tool)
            wp = [c.to_widget(x, y).toPoint() for x, y in pts]
            QTest.mousePress(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, wp[0])
            QTest.mouseMove(c, wp[1])
            QTest.mouseRelease(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, wp[1])
        w.inpaint.fill()
        while w.dispatcher.busy or w.session.saves < 1 or w.session._dirty:
            app.processEvents(); time.sleep(0.01)
        w.session.wait()
        print("READY", *digest(w), flush=True)
        while True:                       # wait to be killed
            app.processEvents(); time.sleep(0.05)
    else:
        print("RECOVERED", *(digest(w) if w.document is not None else ("none",)), flush=True)
        w.interactive = False
        w.close()
        return 0

QApplication.exec = scripted_exec
sys.exit(main.main(sys.argv[2:]))
"""


def test_sigkill_then_recover_restores_identical_pixels(tiny_models, photo, tmp_path):
    from PIL import Image

    img = tmp_path / "photo.png"
    Image.fromarray(photo).save(img)
    data = tmp_path / "appdata"
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "LATENTBRUSH_DATA": str(data), "LATENTBRUSH_AUTOSAVE_S": "0.2", "LATENTBRUSH_DEVICE": "cpu",
           "PYTHONPATH": str(REPO)}
    crash = subprocess.Popen([sys.executable, "-c", CRASH, "crash", str(img), "--models", str(tiny_models),
                              "--no-fetch"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=REPO, env=env)
    try:
        line = ""
        deadline = time.monotonic() + 120
        while not line.startswith("READY") and time.monotonic() < deadline:
            line = crash.stdout.readline()
            if not line and crash.poll() is not None:
                break
        assert line.startswith("READY"), line + crash.stderr.read()
        os.kill(crash.pid, signal.SIGKILL)
        crash.wait(30)
    finally:
        if crash.poll() is None:
            crash.kill()
    assert crash.returncode == -signal.SIGKILL
    left = list((data / "autosave").glob("session-*.lbproj"))
    assert len(left) == 1
    r = subprocess.run([sys.executable, "-c", CRASH, "recover", "--recover", "--models", str(tiny_models),
                        "--no-fetch"], capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert r.returncode == 0, r.stderr
    _, dig, count, index = line.split()
    assert f"RECOVERED {dig} {count} {index}" in r.stdout, r.stdout + r.stderr
    assert not left[0].exists()                  # recovered: the old autosave is gone
