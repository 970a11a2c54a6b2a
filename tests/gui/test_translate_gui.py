"""Translation in the window: only inside the mask, and sketch → face from brush strokes."""

from __future__ import annotations

import numpy as np
import torch
from conftest_gui import drag, open_array
from helpers import save_net

from latentbrush.core.bbox import BBox
from latentbrush.ml.nets.unet import UnetGenerator


def test_translate_only_inside_the_mask(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models)
    doc = open_array(w, photo)
    before = doc.layer("base").copy()
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[50:120, 60:200] = 255
    doc.write("mask", doc.bounds, mask)
    w.translate_panel.only_mask.setChecked(True)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.translate_panel.apply_button.click()
    after = doc.layer("base")
    assert np.array_equal(after[mask == 0], before[mask == 0])
    assert not np.array_equal(after[mask > 0], before[mask > 0])
    w.undo_stack.undo()
    assert np.array_equal(doc.layer("base"), before)


def test_translate_only_inside_the_selection(make_window, tiny_models, photo, qtbot):
    """A helper selected the cup and applied a translator: the whole photo changed. The selection limits
    it as the mask does; the strength slider after it keeps to the selection too."""
    from latentbrush.core.bbox import BBox

    w = make_window(tiny_models)
    doc = open_array(w, photo)
    before = doc.layer("base").copy()
    w.set_selection(BBox(60, 40, 200, 150))
    inside = np.zeros(photo.shape[:2], bool)
    inside[40:150, 60:200] = True
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.translate_panel.apply_button.click()
    after = doc.layer("base").copy()
    assert np.array_equal(after[~inside], before[~inside])
    assert np.abs(after[inside].astype(int) - before[inside]).mean() > 5
    w.translate_panel.strength.setValue(0.5)
    qtbot.waitUntil(lambda: not np.array_equal(doc.layer("base"), after), timeout=5_000)
    assert np.array_equal(doc.layer("base")[~inside], before[~inside])
    w.undo_stack.undo()
    assert np.array_equal(doc.layer("base"), before)


def test_strength_fades_the_newest_translation_in_one_undo_step(make_window, tiny_models, photo, qtbot):
    """Moving Strength after a translation shows it at the new strength (a helper found the slider did
    nothing until the next run); still one undo step; once another edit follows, it is left alone."""
    w = make_window(tiny_models)
    doc = open_array(w, photo)
    before = doc.layer("base").copy()
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.translate_panel.apply_button.click()
    full = doc.layer("base").copy()
    assert np.abs(full.astype(int) - before).mean() > 5
    steps = w.undo_stack.count()
    w.translate_panel.strength.setValue(0.3)
    half = before + 0.3 * (full.astype(float) - before)
    qtbot.waitUntil(lambda: np.abs(doc.layer("base") - half).max() <= 1.0, timeout=5_000)
    assert w.undo_stack.count() == steps and w.undo_stack.history.undo_text.startswith("Translate: ")
    w.undo_stack.undo()
    assert np.array_equal(doc.layer("base"), before)
    w.undo_stack.redo()
    assert np.abs(doc.layer("base") - half).max() <= 1.0
    w.set_tool("mask")
    drag(w.canvas, [(20, 20), (40, 30)])                 # another edit: the translation is no longer the newest
    shown = doc.layer("base").copy()
    w.translate_panel.strength.setValue(1.0)
    qtbot.wait(300)
    assert np.array_equal(doc.layer("base"), shown)
    assert "for the next translation" in w.statusBar().currentMessage()      # and the slider says why
    assert "no longer the newest edit" in w.statusBar().currentMessage()
    w.undo_stack.undo()                                  # the mask stroke …
    w.undo_stack.undo()                                  # … and the translation undone: said so, not "no longer newest"
    w.translate_panel.strength.setValue(0.5)
    qtbot.waitUntil(lambda: "was undone" in w.statusBar().currentMessage(), timeout=5_000)
    assert np.array_equal(doc.layer("base"), before)


def add_tiny_sketch(tiny_models) -> None:
    """A tiny sketch → face translator, "tiny-sketch", in the tiny models' manifest."""
    torch.manual_seed(0)
    digest = save_net(UnetGenerator(1, 3, 6, 4, "group", groups=4), tiny_models / "sketch.safetensors")
    with open(tiny_models / "manifest.toml", "a") as f:
        f.write(f'\n[[model]]\nid = "tiny-sketch"\nname = "Sketch → face"\nkind = "translator"\narch = "auto"\n'
                f'file = "sketch.safetensors"\nsha256 = "{digest}"\nresolution = 64\n'
                'params = { input_nc = 1 }\n')


def test_sketch_model_draws_into_the_selection_from_brush_strokes(make_window, tiny_models, photo, qtbot):
    add_tiny_sketch(tiny_models)
    w = make_window(tiny_models)
    doc = open_array(w, photo)
    combo = w.translate_panel.model
    combo.setCurrentIndex(combo.findData("tiny-sketch"))
    assert w.translate_panel.is_sketch() and w.translate_panel.apply_button.text() == "Draw from sketch"
    w.set_tool("brush")
    drag(w.canvas, [(100, 100), (150, 120), (200, 100)])
    w.set_selection(BBox(80, 60, 240, 200))
    before = doc.layer("base").copy()
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000) as first:
        w.translate_panel.apply_button.click()
    after = doc.layer("base")
    outside = np.ones(photo.shape[:2], bool)
    outside[60:200, 80:240] = False          # exactly the selection
    assert np.array_equal(after[outside], before[outside])
    assert not np.array_equal(after[~outside], before[~outside])
    assert "scribble" in w.canvas.faded       # the lines step back so the face is seen …
    from latentbrush.ui.canvas.view import FADED
    assert w.canvas._fade["scribble"] < FADED / 2     # … barely (at the scribble edits' fade they outlined it)
    assert w.undo_stack.history.undo_text == "Sketch → face"
    w.set_tool("mask")
    drag(w.canvas, [(20, 20), (40, 30)])                  # another edit after the face …
    assert w.undo_stack.history.undo_text != "Sketch → face"
    w.undo_stack.undo()                                  # … undone: the face is still there, its lines faint
    assert "scribble" in w.canvas.faded
    w.undo_stack.undo()
    assert np.array_equal(doc.layer("base"), before)       # one undo step
    assert "scribble" not in w.canvas.faded               # the lines back at full strength, to be mended
    w.undo_stack.redo()
    assert "scribble" in w.canvas.faded
    w.undo_stack.undo()
    w.set_tool("brush")
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000) as again:
        w.translate_panel.apply_button.click()
    assert again.args[0].request.seed != first.args[0].request.seed     # drawing again: other random starts
    drag(w.canvas, [(110, 150), (150, 160)])                # new lines: the first face from them starts afresh
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000) as fresh:
        w.translate_panel.apply_button.click()
    assert fresh.args[0].request.seed == first.args[0].request.seed == 0


def face_from_lines(make_window, tiny_models, photo, qtbot, selection=None):
    """A window with the photo, three lines drawn with the color brush and a face drawn from them by the tiny
    sketch translator (in `selection`, if given); its lines faint."""
    add_tiny_sketch(tiny_models)
    w = make_window(tiny_models)
    open_array(w, photo)
    combo = w.translate_panel.model
    combo.setCurrentIndex(combo.findData("tiny-sketch"))
    w.set_tool("brush")
    drag(w.canvas, [(100, 100), (150, 120), (200, 100)])
    if selection is not None:
        w.set_selection(selection)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.translate_panel.apply_button.click()
    assert "scribble" in w.canvas.faded
    return w


def test_a_face_drawn_from_lines_keeps_its_lines_faint_in_a_reopened_project(make_window, tiny_models, photo, qtbot,
                                                                             tmp_path):
    """A helper saved a face drawn from lines and reopened the project: the lines were drawn at full strength
    over the face (undo and redo left them so)."""
    w = face_from_lines(make_window, tiny_models, photo, qtbot)
    path = tmp_path / "drawn.lbproj"
    assert w.session.save_project(path)
    w2 = make_window(tiny_models)
    assert w2.session.open_project(path)
    qtbot.waitUntil(lambda: "scribble" in w2.canvas.faded, timeout=3_000)
    w2.undo_stack.undo()
    assert "scribble" not in w2.canvas.faded
    w2.undo_stack.redo()
    assert "scribble" in w2.canvas.faded


def test_lines_drawn_for_a_sketch_do_not_start_a_scribble_edit(make_window, tiny_models, photo, qtbot):
    """The color brush draws both: with the sketch translator's panel in front the strokes are the
    sketch's lines, not a scribble edit of the photo (a helper got a face painted before "Draw")."""
    from PySide6.QtWidgets import QDockWidget

    add_tiny_sketch(tiny_models)
    w = make_window(tiny_models)
    doc = open_array(w, photo)
    assert w.latent.panel.auto.isChecked()              # scribble edits run after each stroke by default
    submitted = []
    real_submit = w.dispatcher.submit
    w.dispatcher.submit = lambda *a, **k: submitted.append(k.get("label")) or real_submit(*a, **k)
    combo = w.translate_panel.model
    combo.setCurrentIndex(combo.findData("tiny-sketch"))
    w.findChild(QDockWidget, "Model edits").raise_()
    qtbot.waitUntil(lambda: not w.translate_panel.visibleRegion().isEmpty())
    w.set_tool("brush")
    before = doc.layer("base").copy()
    drag(w.canvas, [(100, 100), (150, 120), (200, 100)])
    qtbot.wait(300)
    assert submitted == [] and not w.dispatcher.busy
    assert np.array_equal(doc.layer("base"), before) and doc.has_content("scribble")
    assert "sketch" in w.statusBar().currentMessage()
    w.findChild(QDockWidget, "Scribble").raise_()        # the scribble panel in front: strokes run it again
    qtbot.waitUntil(lambda: w.translate_panel.visibleRegion().isEmpty())
    drag(w.canvas, [(100, 140), (150, 150)])
    qtbot.waitUntil(lambda: bool(submitted), timeout=5000)


def test_apply_stays_put_when_another_translator_is_picked(qtbot):
    """A helper picked the pencil translator and clicked Apply: its description had pushed Apply 50 px down,
    and the click landed on the Strength track."""
    from types import SimpleNamespace

    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from latentbrush.ui.panels.models import TranslatePanel

    holder = QWidget()                     # as in the dock: the panel on top, room below
    panel = TranslatePanel()
    lay = QVBoxLayout(holder)
    lay.addWidget(panel)
    lay.addStretch(1)
    qtbot.addWidget(holder)
    holder.resize(320, 700)
    holder.show()
    qtbot.waitExposed(holder)
    panel.set_models([SimpleNamespace(id="plain", title="Plain", params={}),
                      SimpleNamespace(id="faces", title="Made on faces", params={"scale": "face"}),
                      SimpleNamespace(id="sketch", title="Sketch", params={"input_nc": 1})])
    spot = []
    for i in range(3):
        panel.model.setCurrentIndex(i)
        qtbot.wait(20)
        spot.append(panel.apply_button.geometry().top())
    assert not panel.hint.isHidden()                         # (the last two say something)
    assert spot[0] == spot[1] == spot[2]


def test_every_translator_is_in_the_models_menu(make_window, tiny_models, photo, qtbot):
    """The Models menu had "Apply translation: vintage" alone; the pencil sketch could not be reached from the
    keyboard (helper 63). Its submenu lists the panel's translators and applies the one picked."""
    from PySide6.QtWidgets import QMenu

    w = make_window(tiny_models)
    doc = open_array(w, photo)
    before = doc.layer("base").copy()
    menu = next(m for m in w.findChildren(QMenu) if m.title() == "Apply &translation")
    menu.aboutToShow.emit()
    names = [a.text() for a in menu.actions()]
    panel = w.translate_panel
    assert names == [panel.model.itemText(i) for i in range(panel.model.count())] and names
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        menu.actions()[0].trigger()
    assert np.abs(doc.layer("base").astype(int) - before).mean() > 5


def test_finding_the_face_on_a_face_drawn_from_lines_keeps_the_lines_faint(make_window, tiny_models, photo, qtbot):
    """A helper drew a face, had it drawn from the lines, then pressed Find face: the lines came back black over
    the face."""
    w = face_from_lines(make_window, tiny_models, photo, qtbot, BBox(80, 60, 240, 200))
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=60_000):
        w.latent.project("selection")
    assert w.document.latent is not None
    assert "scribble" in w.canvas.faded                   # still faint over the face
    w.undo_stack.undo()
    w.undo_stack.undo()                                  # the face undone too: the lines back, to be mended
    assert "scribble" not in w.canvas.faded
