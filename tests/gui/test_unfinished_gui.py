"""What read as unfinished (issue 17, items 7–10), driven through the window: error dialogs speak
in sentences and name real buttons; undo names; the generator prior on photos without a face;
"modified" only for real changes; the fill report goes with undo; the export folder is
remembered; a saved project is in Open Recent and in the title; the Models tab shows its rows;
layer visibility is saved in the project."""

from __future__ import annotations

import numpy as np
import pytest
from conftest_gui import drag, open_array
from PIL import Image

from latentbrush.core.jobs import drain
from latentbrush.ml.inpaint import methods
from latentbrush.ml.runners import RUNNERS


def paint(w, tool, pts, size=30):
    w.set_tool(tool)
    w.brush_panel.size.setValue(size)
    w.brush_panel.hardness.setValue(1.0)
    drag(w.canvas, pts)


def no_class_names(text: str) -> None:
    for bad in ("Error:", "NoFaceFound", "LookupError", "TypeError", "Exception", "failed:"):
        assert bad not in text, text


# -- 7: error dialogs -------------------------------------------------------------------------
def test_no_face_error_is_a_sentence_naming_the_real_button(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models)
    open_array(w, photo)                                   # random pixels: no face
    with qtbot.waitSignal(w.dispatcher.failed, timeout=30_000):
        w.latent.panel.find_face.click()
    title, text = w.last_error
    assert title == "Project region failed"
    no_class_names(text)
    assert text.startswith("No face found") and text.endswith(".")
    button = w.latent.panel.from_selection.text()
    assert f"“{button}”" in text                          # the button as it is labelled
    assert "Edit region from selection" not in text
    status = w.statusBar().currentMessage()
    assert status.count("failed") == 1 and status.startswith("Project region failed: No face found")


def test_a_bug_in_a_job_shows_a_plain_sentence(make_window, tiny_models, photo, qtbot):
    def broken(job, models):
        raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'int'")
        yield

    w = make_window(tiny_models, {**RUNNERS, "broken": broken})
    open_array(w, photo)
    with qtbot.waitSignal(w.dispatcher.failed, timeout=10_000):
        w.dispatcher.submit("broken", label="Fill")
    title, text = w.last_error
    assert title == "Fill failed"
    no_class_names(text)
    assert "NoneType" not in text and "went wrong" in text and "not changed" in text


# -- 8: undo names ----------------------------------------------------------------------------
def test_undo_names_do_not_repeat_themselves(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models)
    open_array(w, photo)
    seen = []
    for tool, pts in (("brush", [(30, 30), (80, 40)]), ("mask", [(150, 100), (200, 120)]),
                      ("parts", [(40, 150), (90, 160)]), ("eraser", [(30, 30), (80, 40)])):
        paint(w, tool, pts)
        seen.append(w.undo_action.text().replace("&", ""))
    assert seen == ["Undo Color stroke", "Undo Mask stroke", "Undo Part labels", "Undo Erase strokes"]
    for text in seen:
        words = text.lower().split()
        assert len(words) == len(set(words)), text


# -- 9: the generator prior without a face -----------------------------------------------------
def test_generator_prior_without_a_face_falls_back_to_telea_and_is_then_disabled(
        make_window, tiny_models, photo, qtbot, tmp_path):
    from latentbrush.ml.inpaint.fill import ClassicalFiller, inpaint_image

    w = make_window(tiny_models)
    doc = open_array(w, photo)                             # 320×240 random pixels: no face
    panel = w.inpaint.panel
    prior = panel.model.findData(methods.PRIOR)
    assert panel.model.model().item(prior).isEnabled()     # not known yet: can be chosen
    panel.model.setCurrentIndex(prior)
    paint(w, "mask", [(150, 100), (200, 120)])
    mask, before = doc.layer("mask").copy(), doc.layer("base").copy()
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=60_000):
        panel.fill_button.click()
    assert w.last_error is None                            # no error dialog …
    status = w.statusBar().currentMessage()
    assert status.startswith("No face in this photo — filled with Telea")       # … but a notice
    assert "filled with Telea instead of the generator prior" in panel.status.text()
    (telea, _), _ = drain(inpaint_image(before, mask, ClassicalFiller(), blend="none"))
    assert np.array_equal(doc.layer("base"), telea)        # exactly the classical fill
    # now it is known: the option is disabled, says why, and is no longer the current one
    item = panel.model.model().item(prior)
    assert not item.isEnabled()
    assert "no face" in panel.model.itemText(prior)
    assert "no face was found" in panel.model.itemData(prior, 3)          # Qt.ToolTipRole
    assert panel.method() != methods.PRIOR
    panel.model.showPopup()
    qtbot.wait(50)
    panel.model.view().window().grab().save(str(tmp_path / "inpaint-models.png"))
    panel.model.hidePopup()
    # another photo: not known to lack a face
    open_array(w, photo.copy())
    assert panel.model.model().item(prior).isEnabled()


# -- 10: things around the document --------------------------------------------------------------
def test_finding_the_face_alone_does_not_mark_the_document_modified(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models)
    open_array(w, photo)
    w.latent.panel.tune.setChecked(False)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=60_000):
        w.latent.panel.whole.click()
    assert w.document.latent is not None
    assert w.undo_action.text().replace("&", "") == "Undo Project region"    # still undoable …
    assert not w.isWindowModified()                                          # … but nothing changed
    paint(w, "brush", [(30, 30), (80, 40)])
    assert w.isWindowModified()
    w.undo_stack.undo()
    assert not w.isWindowModified()
    w.undo_stack.undo()                                    # the projection undone
    assert not w.isWindowModified() and w.document.latent is None


def test_fill_report_goes_away_with_undo(make_window, tiny_models, photo, qtbot):
    w = make_window(tiny_models)
    open_array(w, photo)
    panel = w.inpaint.panel
    panel.model.setCurrentIndex(panel.model.findData(methods.TELEA))
    paint(w, "mask", [(150, 100), (200, 120)])
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        panel.fill_button.click()
    assert panel.status.text().startswith("Filled with Telea")
    assert w.statusBar().currentMessage().startswith("Filled with Telea")
    w.undo_stack.undo()            # the report goes; the panel says the fill's mask is back (stop 52)
    assert not panel.status.text().startswith("Filled") and "mask is back" in panel.status.text()
    assert w.statusBar().currentMessage() == ""


def test_export_dialog_opens_in_the_last_export_folder(make_window, tiny_models, photo, tmp_path, monkeypatch):
    from latentbrush.ui import fileops

    w = make_window(tiny_models)
    photos, exports = tmp_path / "photos", tmp_path / "exports"
    photos.mkdir()
    exports.mkdir()
    Image.fromarray(photo).save(photos / "me.png")
    assert w.files.open_path(photos / "me.png")
    asked = []

    def dialog(parent, caption, start, filters, *rest):
        asked.append(start)
        return str(exports / f"out{len(asked)}.png"), ""

    monkeypatch.setattr(fileops.QFileDialog, "getSaveFileName", dialog)
    w.files.export_dialog()
    w.files.export_dialog()
    assert (exports / "out1.png").is_file() and (exports / "out2.png").is_file()
    assert asked[0] == str(photos / "me-edited.png")       # first time: beside the photo
    assert asked[1] == str(exports / "me-edited.png")      # then: where the last export went


def test_a_name_typed_without_an_extension_gets_the_chosen_types(make_window, tiny_models, photo, tmp_path,
                                                                   monkeypatch):
    """A helper typed "sknoext" with PNG chosen and was told "cannot export to '(no extension)'"."""
    from latentbrush.ui import fileops

    w = make_window(tiny_models)
    open_array(w, photo)
    names = iter([("sknoext", "PNG (*.png)"), ("q", "JPEG (*.jpg *.jpeg)"), ("keep.webp", "PNG (*.png)")])
    monkeypatch.setattr(fileops.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (lambda n, f: (str(tmp_path / n), f))(*next(names)))
    monkeypatch.setattr(fileops.QInputDialog, "getInt", lambda *a, **k: (90, True))
    for _ in range(3):
        w.files.export_dialog()
    assert Image.open(tmp_path / "sknoext.png").format == "PNG"
    assert Image.open(tmp_path / "q.jpg").format == "JPEG"
    assert Image.open(tmp_path / "keep.webp").format == "WEBP"      # a typed extension wins
    assert not (tmp_path / "sknoext").exists()


def test_exporting_onto_the_opened_photo_asks_first_and_says_what_a_jpeg_loses(make_window, tiny_models, photo,
                                                                                tmp_path, monkeypatch):
    """A helper was asked the JPEG quality before being warned that the photo they opened would be
    replaced; the warning now comes first, says a JPEG is encoded again, and No leaves the file as it was."""
    from latentbrush.ui import fileops

    w = make_window(tiny_models)
    Image.fromarray(photo).save(tmp_path / "me.jpg", quality=95)
    data = (tmp_path / "me.jpg").read_bytes()
    assert w.files.open_path(tmp_path / "me.jpg")
    asked: list[str] = []
    defaults: list[bool] = []
    monkeypatch.setattr(fileops.QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "me.jpg"), ""))
    monkeypatch.setattr(fileops.QInputDialog, "getInt", lambda *a: asked.append("quality") or (90, True))
    answer = [False]
    monkeypatch.setattr(w, "confirm", lambda title, text, default=False: asked.append(text) or defaults.append(default)
                        or answer[0])
    w.files.export_dialog()
    assert len(asked) == 1 and "photo you opened" in asked[0] and "encoded again" in asked[0]   # once, not twice
    assert (tmp_path / "me.jpg").read_bytes() == data
    answer[0] = True
    asked.clear()
    w.files.export_dialog()
    assert "photo you opened" in asked[0] and asked[1] == "quality" and len(asked) == 2    # asked once, first
    assert (tmp_path / "me.jpg").read_bytes() != data
    # another file that exists: the one question is ours (the dialog's own is off), No keeps it
    Image.fromarray(photo).save(tmp_path / "other.png")
    other = (tmp_path / "other.png").read_bytes()
    monkeypatch.setattr(fileops.QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "other.png"), ""))
    answer[0] = False
    asked.clear()
    w.files.export_dialog()
    assert len(asked) == 1 and "already exists" in asked[0] and (tmp_path / "other.png").read_bytes() == other
    assert defaults and not any(defaults)       # Enter answers No to every replace (a helper's Enter replaced the photo)


def test_a_question_answers_no_on_enter_unless_yes_is_the_safe_answer(make_window, tiny_models):
    from PySide6.QtWidgets import QMessageBox

    from latentbrush.ui.dialogs import question_box

    w = make_window(tiny_models)
    for default, button in ((False, QMessageBox.StandardButton.No), (True, QMessageBox.StandardButton.Yes)):
        box = question_box(w, "Replace the file?", "x.png already exists. Replace it?", default)
        assert box.defaultButton() is box.button(button)


def test_saved_project_is_in_open_recent_and_in_the_title(make_window, tiny_models, photo, tmp_path):
    w = make_window(tiny_models)
    Image.fromarray(photo).save(tmp_path / "me.png")
    assert w.files.open_path(tmp_path / "me.png")
    assert w.windowTitle().startswith("me.png")
    paint(w, "brush", [(30, 30), (80, 40)])
    path = tmp_path / "session.lbproj"
    assert w.session.save_project(path)
    assert w.windowTitle().startswith("session.lbproj") and not w.isWindowModified()
    w.files.fill_recent_menu(w.recent_menu)
    names = [a.text() for a in w.recent_menu.actions()]
    assert names[0] == "session.lbproj" and "me.png" in names
    w.set_document(None)
    assert w.files.open_path(path)
    assert w.windowTitle().startswith("session.lbproj")
    assert w.document.info.path == tmp_path / "me.png"      # the export still suggests me-edited.png


def test_models_tab_shows_every_row_and_says_how_many(make_window, tiny_models):
    w = make_window(tiny_models)
    w.paint_tabs.setCurrentWidget(w.models_panel)
    w.resize(1280, 720)
    tree = w.models_panel.tree
    for _ in range(5):
        w.repaint()
    n = tree.topLevelItemCount()
    assert n >= 5
    last = tree.visualItemRect(tree.topLevelItem(n - 1))
    assert last.isValid() and last.bottom() <= tree.viewport().height()
    assert w.models_panel.summary.text().startswith(f"{n} models: ")


def test_layer_visibility_is_saved_in_the_project(make_window, tiny_models, photo, tmp_path):
    w = make_window(tiny_models)
    open_array(w, photo)
    paint(w, "mask", [(150, 100), (200, 120)])
    w.layers_panel.checks["mask"].setChecked(False)
    assert w.canvas.visible["mask"] is False
    path = tmp_path / "hidden.lbproj"
    assert w.session.save_project(path)
    w.set_document(None)
    w.layers_panel.checks["mask"].setChecked(True)         # as a fresh start would have it
    assert w.files.open_path(path)
    assert not w.layers_panel.checks["mask"].isChecked() and w.canvas.visible["mask"] is False
    assert w.layers_panel.checks["scribble"].isChecked() and w.canvas.visible["scribble"] is True


def test_a_blank_canvas_of_the_size_asked_from_the_file_menu(make_window, tiny_models, monkeypatch):
    """A helper found the blank canvas only on the start page, always 768 × 512."""
    from latentbrush.ui import fileops

    w = make_window(tiny_models)
    action = next(a for a in w.menuBar().actions()[0].menu().actions() if a.text().startswith("New &blank"))
    monkeypatch.setattr(fileops.QInputDialog, "getText", lambda *a, **k: ("640 x 480", True))
    action.trigger()
    doc = w.document
    assert (doc.height, doc.width) == (480, 640) and (doc.layer("base") == 255).all()
    monkeypatch.setattr(fileops.QInputDialog, "getText", lambda *a, **k: ("huge", True))
    action.trigger()
    assert w.document is doc and "not a size" in w.last_error[1]
    asked = []
    monkeypatch.setattr(w, "confirm_discard", lambda: False)           # unsaved edits kept: asked first,
    monkeypatch.setattr(fileops.QInputDialog, "getText", lambda *a, **k: asked.append(1) or ("64 x 64", True))
    action.trigger()
    assert not asked and w.document is doc                              # … and the size is not asked at all
    assert fileops.blank_size("768 × 512") == (768, 512)
    with pytest.raises(ValueError, match="16 to"):
        fileops.blank_size("100000x10")


def test_errors_show_one_box_the_latest(make_window, tiny_models):
    """A helper opened several damaged projects; their error boxes piled up unseen behind later dialogs."""
    w = make_window(tiny_models)
    w.interactive = True
    try:
        w.show_error("Cannot open project", "a.lbproj is damaged")
        first = w._error_box
        w.show_error("Cannot open project", "b.lbproj is damaged")
        assert not first.isVisible() and w._error_box.isVisible() and "b.lbproj" in w._error_box.text()
        assert not w._error_box.isModal()            # a job's failure does not lock the window
        open_array(w, np.zeros((40, 50, 3), np.uint8))  # another image: the box about the last one goes
        assert not w._error_box.isVisible()
    finally:
        w._error_box.close()
        w.interactive = False
