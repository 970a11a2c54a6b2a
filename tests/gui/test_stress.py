"""A scripted session of a few hundred random operations — strokes with every paint tool, undo,
redo, model jobs (generate, translate, inpaint, some cancelled at once), clearing layers — runs
without an error, and undoing everything restores the original image exactly."""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest_gui import drag, open_array

from latentbrush.core.bbox import BBox

pytestmark = pytest.mark.slow


def wait_idle(w, qtbot, timeout=30_000):
    qtbot.waitUntil(lambda: not w.dispatcher.busy, timeout=timeout)


def test_random_session_then_undo_everything(make_window, tiny_models, photo, qtbot, tmp_path):
    w = make_window(tiny_models)
    doc = open_array(w, photo)
    original = {name: doc.layer(name).copy() for name in ("base", "scribble", "mask", "parts")}
    rnd = random.Random(20261121)
    H, W = photo.shape[:2]
    counts: dict[str, int] = {}
    errors: list[str] = []
    # automatic scribble runs after a stroke may fail (no face in a random photo): shown in the
    # status bar, not as errors; anything else failing is a bug
    w.dispatcher.failed.connect(lambda job, msg: None if job.params.get("quiet") else errors.append(f"{job.kind}: {msg}"))

    def point():
        return (rnd.uniform(0, W - 1), rnd.uniform(0, H - 1))

    def box():
        x0, y0 = rnd.randrange(0, W - 40), rnd.randrange(0, H - 40)
        return BBox(x0, y0, x0 + rnd.randrange(20, 40), y0 + rnd.randrange(20, 40))

    ops = ["brush", "eraser", "mask", "mask_eraser", "parts", "undo", "undo", "redo", "generate", "translate",
           "inpaint", "parts_edit", "cancelled_job", "clear", "select", "project"]
    for _ in range(300):
        op = rnd.choice(ops)
        counts[op] = counts.get(op, 0) + 1
        if op in ("brush", "eraser", "mask", "mask_eraser", "parts"):
            w.set_tool(op)
            w.brush_panel.size.setValue(rnd.randrange(3, 30))
            drag(w.canvas, [point() for _ in range(rnd.randrange(2, 6))])
        elif op == "undo":
            w.undo_stack.undo()
        elif op == "redo":
            w.undo_stack.redo()
        elif op == "generate":
            w.set_selection(box())
            w.generate_into(seed=rnd.randrange(1000))
            wait_idle(w, qtbot)
        elif op == "translate":
            w.translate("tiny-trans", rnd.choice([0.3, 1.0]))
            wait_idle(w, qtbot)
        elif op == "inpaint":
            if not doc.has_content("mask"):
                w.set_tool("mask")
                drag(w.canvas, [point(), point()])
            combo = w.inpaint.panel.model
            combo.setCurrentIndex(combo.findData(rnd.choice(["telea", "tiny-fill"])))
            w.inpaint.fill()
            wait_idle(w, qtbot)
        elif op == "parts_edit":
            if doc.latent is None:
                w.set_selection(BBox(0, 0, W, H))
            r = doc.latent.region if doc.latent is not None else BBox(0, 0, W, H)
            w.set_tool("parts")                  # labels inside the edit region
            w.brush_panel.size.setValue(max(3, min(30, r.width // 3)))
            drag(w.canvas, [(rnd.uniform(r.x0 + 1, r.x1 - 1), rnd.uniform(r.y0 + 1, r.y1 - 1)) for _ in range(3)])
            w.parts.panel.steps.setValue(10)
            w.parts.run_edit()
            wait_idle(w, qtbot)
        elif op == "project":                    # save the session and open it again
            path = tmp_path / "stress.lbproj"
            assert w.session.save_project(path)
            assert w.files.open_path(path)
            doc = w.document
        elif op == "cancelled_job":
            w.translate("tiny-trans", 1.0)
            w.dispatcher.cancel_all()
            wait_idle(w, qtbot)
        elif op == "clear":
            w.clear_layer(rnd.choice(["scribble", "mask", "parts"]))
        elif op == "select":
            w.set_selection(box() if rnd.random() < 0.7 else None)
    wait_idle(w, qtbot)
    assert not errors, errors
    assert w.undo_stack.count() > 20 and counts["inpaint"] > 5 and counts["generate"] > 5
    assert counts["parts_edit"] > 5 and counts["project"] > 5
    while w.undo_stack.canUndo():
        w.undo_stack.undo()
    for name, arr in original.items():
        assert np.array_equal(doc.layer(name), arr), name
