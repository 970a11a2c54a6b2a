"""Attribute sliders in the window: live preview while dragging, one undo step on release,
custom sliders from marked examples."""

from __future__ import annotations

import numpy as np


def new_face(w, qtbot, seed=3):
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.new_face(seed=seed)
    return w.document


def test_slider_drag_previews_and_release_applies_one_undo_step(make_window, tiny_models, qtbot):
    w = make_window(tiny_models)
    doc = new_face(w, qtbot)
    panel = w.attributes.panel
    assert {"smile", "lighting", "explore_1"} <= set(panel.sliders)
    before = doc.layer("base").copy()
    steps = w.undo_stack.count()
    s = panel.sliders["smile"].slider
    s.setSliderDown(True)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        s.setValue(s.maximum())                       # drag to +3
    assert w.canvas._preview is not None                # a preview is shown …
    assert np.array_equal(doc.layer("base"), before)   # … but nothing applied yet
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        s.setSliderDown(False)                          # release → apply
    assert not np.array_equal(doc.layer("base"), before)
    assert w.undo_stack.count() == steps + 1
    assert panel.values() == {"smile": 3.0}            # the slider stays where it was let go
    w.undo_stack.undo()
    assert np.array_equal(doc.layer("base"), before)
    assert panel.values() == {}                         # undo also resets the sliders
    w.undo_stack.redo()
    assert panel.values() == {"smile": 3.0}            # redo shows where they stood again
    after = doc.layer("base").copy()
    # and the next drag moves on from the same origin (smile back to +1 from the unedited face)
    s.setSliderDown(True)
    s.setValue(round(s.minimum() + (s.maximum() - s.minimum()) * 4 / 6))
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        s.setSliderDown(False)
    assert panel.values() == {"smile": 1.0}
    assert w.undo_stack.count() == steps + 2
    assert not np.array_equal(doc.layer("base"), after)
    w.undo_stack.undo()
    assert panel.values() == {"smile": 3.0}


def test_custom_slider_from_marked_examples(make_window, tiny_models, qtbot):
    w = make_window(tiny_models)
    new_face(w, qtbot, seed=1)
    w.attributes.mark(True)
    new_face(w, qtbot, seed=2)
    w.attributes.mark(False)
    w.attributes.create("my look")
    assert "my look" in w.attributes.panel.sliders
    assert "my look" in w.attributes.custom.for_generator("tiny-gen")
    w.attributes.keep("explore_1", "tilt")
    assert "tilt" in w.attributes.panel.sliders


def test_a_slider_moved_by_keyboard_applies_once_the_keys_rest(make_window, tiny_models, qtbot):
    """A helper pressed the arrow keys on the smile slider and nothing happened (only drags applied)."""
    from PySide6.QtCore import Qt

    w = make_window(tiny_models)
    doc = new_face(w, qtbot)
    before = doc.layer("base").copy()
    steps = w.undo_stack.count()
    s = w.attributes.panel.sliders["smile"].slider
    s.setFocus()
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        for _ in range(3):
            qtbot.keyClick(s, Qt.Key.Key_PageUp)
    assert not np.array_equal(doc.layer("base"), before)
    assert w.undo_stack.count() == steps + 1                   # three key presses, one edit
    assert w.attributes.panel.values()["smile"] > 0


def release(w, qtbot, name, value):
    s = w.attributes.panel.sliders[name].slider
    lo, hi = s.minimum(), s.maximum()
    s.setSliderDown(True)
    s.setValue(round(lo + (hi - lo) * (value + 3) / 6))
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        s.setSliderDown(False)


def test_after_a_commit_the_sliders_start_again_from_the_committed_face(make_window, tiny_models, qtbot,
                                                                       monkeypatch, tmp_path):
    """A helper committed a smile (Ctrl+K), moved Lighting, and the smile was put on a second time: the
    sliders still read +2.5 and moved from the face before the smile, while the committed photo already
    smiled. After a commit they read 0 and move from the committed face; undoing the commit shows the smile's
    position again; a project reopened shows where they stood."""
    w = make_window(tiny_models)
    new_face(w, qtbot)
    panel = w.attributes.panel
    release(w, qtbot, "smile", 2.0)
    smiled = w.document.latent
    assert panel.values() == {"smile": 2.0} and smiled.sliders == (("smile", 2.0),)
    w.latent.commit()
    assert panel.values() == {}                                    # the committed face is the new 0
    sent = []
    real = w.dispatcher.submit
    monkeypatch.setattr(w.dispatcher, "submit", lambda req, **k: sent.append(req) or real(req, **k))
    release(w, qtbot, "lighting", 1.0)
    assert sent[-1].values == {"lighting": 1.0}                    # not the smile again …
    assert np.array_equal(sent[-1].origin, smiled.z)               # … from the committed face
    assert w.document.latent.sliders == (("lighting", 1.0),)
    w.undo_stack.undo()                                            # the lighting
    assert panel.values() == {}
    w.undo_stack.undo()                                            # the commit: the smile's position again
    assert panel.values() == {"smile": 2.0}
    w.undo_stack.redo()
    w.undo_stack.redo()
    assert panel.values() == {"lighting": 1.0}
    assert w.session.save_project(tmp_path / "face.lbproj")
    w.set_document(None)
    assert w.files.open_path(tmp_path / "face.lbproj")
    assert panel.values() == {"lighting": 1.0}                     # reopened: where they stood


def test_a_slider_edit_whose_positions_are_not_known_is_kept_as_shown(make_window, tiny_models, qtbot,
                                                                      monkeypatch):
    """A project saved before the positions were kept reopens with the sliders at 0 over an edited face: the
    next slider then starts from what is shown (committed first), not from the face before that edit."""
    from dataclasses import replace

    w = make_window(tiny_models)
    new_face(w, qtbot)
    release(w, qtbot, "smile", 2.0)
    doc = w.document
    doc.latent = replace(doc.latent, sliders=())                  # as such a project reads
    shown = doc.latent.z.copy()
    sent = []
    real = w.dispatcher.submit
    monkeypatch.setattr(w.dispatcher, "submit", lambda req, **k: sent.append(req) or real(req, **k))
    w.attributes.panel.set_value("smile", 0.0)
    release(w, qtbot, "lighting", 1.0)
    assert np.array_equal(sent[-1].origin, shown) and sent[-1].values == {"lighting": 1.0}


def test_with_no_face_the_whole_slider_row_is_off_its_buttons_too(make_window, tiny_models, qtbot, photo):
    """A helper found ↺ and Keep… enabled on a photo without a face; Keep… then did nothing, silently."""
    from conftest_gui import open_array
    from PySide6.QtWidgets import QPushButton

    w = make_window(tiny_models)
    new_face(w, qtbot)
    panel = w.attributes.panel
    buttons = [b for s in panel.sliders.values() for b in s.parentWidget().findChildren(QPushButton)]
    assert any(b.text() == "Keep…" for b in buttons) and all(b.isEnabled() for b in buttons)
    open_array(w, photo)                                   # a photo, no face found yet: no latent state
    assert w.document.latent is None
    assert not any(b.isEnabled() for b in buttons) and not any(s.isEnabled() for s in panel.sliders.values())
    assert all(s.slider.minimumWidth() >= 100 for s in panel.sliders.values())      # a usable track


def test_the_undo_step_says_which_sliders_stand_where():
    from latentbrush.ui.attributes_ui import slider_label

    assert slider_label({"smile": 2.2, "head_turn": -0.5}) == "Sliders: Smile +2.2, Head turn −0.5"
    assert slider_label({}) == "Sliders reset"


def test_a_random_face_declined_over_unsaved_edits_leaves_the_seed_field(make_window, tiny_models, qtbot, monkeypatch,
                                                                          photo):
    """A helper pressed R on a photo, cancelled the discard question, and the Seed field kept the new seed."""
    from conftest_gui import open_array

    w = make_window(tiny_models)
    open_array(w, photo)
    seed = w.generate_panel.seed
    seed.setValue(5)
    monkeypatch.setattr(w, "confirm_discard", lambda: False)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.randomize()
    assert seed.value() == 5 and w.document.latent is None          # declined: the photo, the field as they were
    monkeypatch.setattr(w, "confirm_discard", lambda: True)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.randomize()
    assert seed.value() != 5 and w.document.latent is not None      # the new face, and its seed shown


def test_every_slider_row_fits_the_dock_without_a_sideways_scroll(make_window, tiny_models, qtbot):
    """A helper at 1280 px found the slider values and the explore rows' buttons past the dock's edge,
    behind a horizontal scroll bar (the rows arrive after the dock was sized)."""
    from PySide6.QtWidgets import QDockWidget, QScrollArea

    w = make_window(tiny_models)
    w.resize(1280, 820)
    panel = w.attributes.panel
    dock = panel.parentWidget()
    while not isinstance(dock, QDockWidget):
        dock = dock.parentWidget()
    dock.raise_()                                           # its tab on show
    panel.set_directions([("smile", "attribute"), ("lighting", "attribute"), ("explore_1", "explore"),
                          ("explore_2", "explore")])
    area = panel.parentWidget()
    while not isinstance(area, QScrollArea):
        area = area.parentWidget()
    qtbot.waitUntil(lambda: all(s.isVisible() for s in panel.sliders.values())
                    and area.horizontalScrollBar().maximum() == 0, timeout=3000)
    for s in panel.sliders.values():
        row = s.parentWidget()
        right = row.mapTo(area.viewport(), row.rect().topRight()).x()
        assert right <= area.viewport().width()
    # however narrow its neighbours let the dock get, it stays as wide as the rows (it was 314 px against 408)
    assert area.minimumWidth() >= panel.minimumSizeHint().width()


def test_what_a_slider_reads_is_the_value_its_edit_uses(make_window, tiny_models, qtbot):
    """A helper read +1.5 on the Smile slider while the status and the undo step said +1.4 (the slider stood at
    1.45, between tenths): every position reads as the value the edit is made with."""
    from latentbrush.ui.attributes_ui import slider_label

    w = make_window(tiny_models)
    new_face(w, qtbot)
    panel = w.attributes.panel
    s = panel.sliders["smile"]
    s.blockSignals(True)                              # (no edit started: only what it reads)
    try:
        for pos in range(s.slider.minimum(), s.slider.maximum() + 1):
            s.slider.setValue(pos)
            v = panel.values().get("smile", 0.0)
            assert s.value_label.text() == f"{v:+.1f}"
            if v:
                assert slider_label(panel.values()).endswith(s.value_label.text().replace("-", "−"))
                assert round(v, 1) == v
    finally:
        s.blockSignals(False)


def test_keep_needs_a_new_name_and_a_kept_slider_can_be_removed(make_window, tiny_models, qtbot):
    """Keep… with the name box empty had kept "explore_1" a second time: two rows of one name, the first dead.
    A name is needed, one already there is refused, and a kept slider can be taken away again."""
    w = make_window(tiny_models)
    new_face(w, qtbot, seed=1)
    panel = w.attributes.panel
    rows = set(panel.sliders)
    w.attributes.keep("explore_1", "")                  # (non-interactive: no dialog to ask in)
    assert set(panel.sliders) == rows and "name" in w.last_error[1]
    for taken in ("explore_1", "Smile", " lighting ", "explore 1", "Explore  1"):
        w.attributes.keep("explore_1", taken)
        assert set(panel.sliders) == rows and "already" in w.last_error[1], taken
    assert w.attributes.custom.for_generator("tiny-gen") == {}
    w.attributes.keep("explore_1", "tilt")
    assert set(panel.sliders) == rows | {"tilt"}
    w.attributes.keep("explore_1", "Tilt")
    assert "already" in w.last_error[1] and set(panel.sliders) == rows | {"tilt"}
    # moved, then taken away: the row goes, the edit made with it stays — also when another slider moves next,
    # and after an undo back onto it (a review: its share vanished at the next move)
    panel.set_value("tilt", 2.0)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        panel.released.emit()
    edited = w.document.layer("base").copy()
    st = w.document.latent
    assert dict(st.sliders) == {"tilt": 2.0}
    w.attributes.remove("tilt")
    assert set(panel.sliders) == rows and "tilt" not in w.attributes.custom.for_generator("tiny-gen")
    assert np.array_equal(w.document.layer("base"), edited) and w.document.latent is st
    assert all(s.isEnabled() for s in panel.sliders.values())
    panel.set_value("smile", 1.0)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        panel.released.emit()
    moved = w.document.latent
    assert dict(moved.sliders) == {"smile": 1.0, "tilt": 2.0}
    # (tilt's 2 units still there; the unit smile direction added to them)
    assert abs(float(np.linalg.norm((moved.z - moved.z_base) - (st.z - st.z_base))) - 1.0) < 1e-4
    w.undo_stack.undo()
    assert w.document.latent is st and panel.values() == {}


def test_only_inside_the_mask_keeps_the_rest_and_says_so_when_there_is_no_mask(make_window, tiny_models, qtbot):
    """A helper ticked "Only change inside the mask" with no mask painted: the whole face changed, silently."""
    w = make_window(tiny_models)
    doc = new_face(w, qtbot)
    panel = w.attributes.panel
    panel.region_only.setChecked(True)
    before = doc.layer("base").copy()
    panel.set_value("lighting", 3.0)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        panel.released.emit()
    assert "no mask is painted" in w.statusBar().currentMessage()
    assert not np.array_equal(doc.layer("base"), before)
    w.undo_stack.undo()
    mask = np.zeros(doc.layer("mask").shape, np.uint8)
    mask[: mask.shape[0] // 2] = 255                     # the top half
    doc.write("mask", doc.bounds, mask)
    assert panel.values() == {}                          # (undone: back at 0)
    panel.set_value("lighting", 3.0)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        panel.released.emit()
    assert "Sliders: lighting +3.0" in w.statusBar().currentMessage()
    assert "no mask" not in w.statusBar().currentMessage()
    after = doc.layer("base")
    h = after.shape[0]
    assert not np.array_equal(after[: h // 2], before[: h // 2])
    assert np.array_equal(after[h // 2 + h // 8:], before[h // 2 + h // 8:])      # past the mask's feather: as it was


def test_with_no_face_the_sliders_panel_offers_find_face(make_window, tiny_models, qtbot, photo, monkeypatch):
    from conftest_gui import open_array

    w = make_window(tiny_models)
    open_array(w, photo)
    panel = w.attributes.panel
    assert not panel.find_face.isHidden() and "Find face" in panel.info.text()
    # the rows are there from the start, off (made on the first face found, they widened the dock: the canvas jumped)
    assert {"smile", "explore_1"} <= set(panel.sliders) and not any(s.isEnabled() for s in panel.sliders.values())
    asked = []
    monkeypatch.setattr(w.latent, "project", lambda how="auto", face=0: asked.append(how))
    panel.find_face.click()
    assert asked == ["auto"]
    new_face(w, qtbot)
    assert panel.find_face.isHidden()
