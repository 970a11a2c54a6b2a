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
