"""Latent editing in the window: a painted stroke runs a scribble job whose result moves the
region toward the stroke color; undo restores pixels and latent; candidates, commit, revert,
interpolation frames and GIF export."""

from __future__ import annotations

import numpy as np
import pytest
from conftest_gui import drag, open_array
from PIL import Image

from latentbrush.core.bbox import BBox


def new_face(w, qtbot, seed=3):
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.new_face(seed=seed)
    assert w.document.latent is not None       # the generated face's latent is known exactly
    return w.document


def paint(w, qtbot, pts, color, size=14, kind="scribble"):
    w.set_tool("brush")
    w.set_color(color)
    w.brush_panel.size.setValue(size)
    w.brush_panel.hardness.setValue(1.0)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=60_000,
                          check_params_cb=lambda job, res: job.kind == kind):
        drag(w.canvas, pts)


def stroke_mask(doc):
    return doc.layer("scribble")[..., 3] > 200


@pytest.mark.needs_weights
def test_scribble_stroke_moves_the_region_toward_the_color_and_undo_restores(make_window, real_models, qtbot):
    w = make_window(real_models)
    doc = new_face(w, qtbot)
    before = doc.layer("base").copy()
    undo_before = w.undo_stack.count()
    red = (230, 20, 20)
    paint(w, qtbot, [(60, 180), (128, 185), (196, 180)], red, size=16)
    after = doc.layer("base")
    inside = stroke_mask(doc)
    target = np.array(red, np.float32)
    d_before = np.abs(before[inside].astype(np.float32) - target).mean()
    d_after = np.abs(after[inside].astype(np.float32) - target).mean()
    assert d_after < 0.8 * d_before, (d_before, d_after)
    assert doc.latent.edited and len(doc.latent.candidates) >= 2
    assert w.latent.panel.strip.count() == len(doc.latent.candidates)
    # the stroke is one undo step, the model result another; undo brings back pixels and latent
    assert w.undo_stack.count() == undo_before + 2
    w.undo_stack.undo()
    assert np.array_equal(doc.layer("base"), before)
    assert not doc.latent.edited


def test_candidates_commit_and_revert(make_window, tiny_models, qtbot):
    w = make_window(tiny_models)
    doc = new_face(w, qtbot)
    w.latent.panel.candidates.setValue(4)
    w.latent.panel.iters.setValue(8)
    original = doc.layer("base").copy()
    paint(w, qtbot, [(100, 100), (150, 110)], (40, 200, 40))
    first = doc.layer("base").copy()
    assert not np.array_equal(first, original)
    strip = w.latent.panel.strip
    assert strip.currentRow() == 0
    # the panel scrolled to the candidates (a helper's were below the dock's edge, unseen)
    qtbot.waitUntil(lambda: strip.visibleRegion().boundingRect().height() >= strip.height() - 4, timeout=3000)
    w.latent.pick_candidate(1)
    assert np.array_equal(doc.latent.z, doc.latent.candidates[1])
    assert not np.array_equal(doc.layer("base"), first)
    assert strip.currentRow() == 1
    w.undo_stack.undo()                                   # pick undone
    assert np.array_equal(doc.layer("base"), first)
    assert strip.currentRow() == 0                        # the thumbnail marked is the one shown (helper 58)
    w.undo_stack.redo()
    assert strip.currentRow() == 1
    w.undo_stack.undo()
    w.latent.commit()
    assert not doc.layer("scribble")[..., 3].any()        # strokes cleared
    assert not doc.latent.edited and np.array_equal(doc.latent.reference, first[doc.latent.region.slices])
    w.undo_stack.undo()                                   # commit is one step: strokes and state back
    assert doc.layer("scribble")[..., 3].any() and doc.latent.edited
    w.latent.revert()
    assert np.array_equal(doc.layer("base"), original)


def test_strokes_not_run_stay_as_painted_and_a_pick_says_they_were_not_run(make_window, tiny_models, qtbot):
    """A helper cancelled a second stroke's run, picked one of the first stroke's candidates, and the new,
    never-run stroke turned faint over the mouth, as if applied."""
    from PySide6.QtGui import QIcon

    from latentbrush.ui.panels.scribble import THUMB

    w = make_window(tiny_models)
    doc = new_face(w, qtbot)
    w.latent.panel.candidates.setValue(3)
    w.latent.panel.iters.setValue(6)
    paint(w, qtbot, [(100, 100), (150, 110)], (40, 200, 40))
    assert "scribble" in w.canvas.faded                   # the strokes asked for what is shown: drawn faint
    w.latent.panel.auto.setChecked(False)                 # the next stroke is not run (as when its run is cancelled)
    w.set_color((200, 20, 20))
    drag(w.canvas, [(90, 170), (160, 170)])
    assert "scribble" not in w.canvas.faded
    w.latent.pick_candidate(1)
    assert np.array_equal(doc.latent.z, doc.latent.candidates[1])
    assert "scribble" not in w.canvas.faded               # still as painted: not run
    assert "earlier strokes" in w.statusBar().currentMessage()
    # the picked thumbnail keeps its own colours (Qt's selected mode tinted it blue)
    item = w.latent.panel.strip.item(1)
    normal, selected = (item.icon().pixmap(THUMB, THUMB, mode).toImage() for mode in (QIcon.Mode.Normal,
                                                                                       QIcon.Mode.Selected))
    assert normal == selected


def test_a_slider_after_strokes_stacks_and_undo_brings_the_candidates_back(make_window, tiny_models, qtbot):
    """A slider after a scribble edit starts from what it shows (the strokes' edit is kept); undoing the
    slider shows the scribble result with its candidate thumbnails again (a reviewer found them gone)."""
    w = make_window(tiny_models)
    doc = new_face(w, qtbot)
    w.latent.panel.candidates.setValue(3)
    w.latent.panel.iters.setValue(6)
    paint(w, qtbot, [(100, 100), (150, 110)], (40, 200, 40))
    scribbled = doc.layer("base").copy()
    assert w.latent.panel.strip.count() == 3
    s = w.attributes.panel.sliders["lighting"].slider
    s.setSliderDown(True)
    s.setValue(s.maximum())
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=20_000):
        s.setSliderDown(False)
    assert doc.latent.made_by == "attribute" and np.array_equal(doc.latent.z_base, w.undo_stack.command(
        w.undo_stack.index() - 2).latent[1].z)                   # moved from the scribble result, committed
    assert w.latent.panel.strip.count() == 0
    w.undo_stack.undo()
    assert np.array_equal(doc.layer("base"), scribbled) and w.latent.panel.strip.count() == 3
    w.latent.pick_candidate(2)                                    # the thumbnails work again
    assert np.array_equal(doc.latent.z, doc.latent.candidates[2])


def test_strokes_without_a_region_use_the_selection(make_window, tiny_models, qtbot, rng):
    w = make_window(tiny_models)
    photo = rng.integers(60, 200, (200, 260, 3), dtype=np.uint8)
    doc = open_array(w, photo)
    w.set_selection(BBox(40, 30, 160, 150))
    w.latent.panel.iters.setValue(5)
    paint(w, qtbot, [(80, 80), (120, 90)], (20, 20, 220))
    st = doc.latent
    assert st is not None and st.region == BBox(40, 30, 160, 150) and st.fit_psnr is not None
    outside = np.ones(photo.shape[:2], bool)
    outside[st.region.slices] = False
    assert np.array_equal(doc.layer("base")[outside], photo[outside])   # apply-back stays in the region


def test_interpolation_frames_apply_and_gif(make_window, tiny_models, qtbot, tmp_path):
    w = make_window(tiny_models)
    doc = new_face(w, qtbot)
    w.latent.panel.iters.setValue(5)
    paint(w, qtbot, [(90, 90), (140, 100)], (200, 200, 30))
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000):
        w.latent.make_frames("Committed", "Current", "slerp", 6)
    frames = w.latent.interp.frames
    assert len(frames) == 6
    r = doc.latent.region
    assert np.array_equal(frames[0], doc.latent.reference)              # endpoint A: the committed image
    assert np.array_equal(frames[-1], doc.layer("base")[r.slices])    # endpoint B: what is shown now
    w.latent.apply_frame(3)
    assert np.array_equal(doc.layer("base")[r.slices], frames[3])
    w.latent.gif_path = str(tmp_path / "morph.gif")
    w.latent.export_gif()
    with Image.open(tmp_path / "morph.gif") as im:
        assert im.size == (r.width, r.height) and im.n_frames >= 2
        total = 0
        for i in range(im.n_frames):     # identical neighbours are merged, the timing is kept
            im.seek(i)
            total += im.info["duration"]
        assert total == 6 * 80                   # GIF stores centiseconds: 83 ms → 80 ms


def test_a_stroke_on_a_photo_without_a_face_reports_in_the_status_bar_not_a_dialog(make_window, tiny_models, qtbot,
                                                                                     rng):
    w = make_window(tiny_models)
    open_array(w, rng.integers(60, 200, (200, 260, 3), dtype=np.uint8))
    w.last_error = None
    with qtbot.waitSignal(w.dispatcher.failed, timeout=30_000):
        paint_only = [(60, 60), (120, 80)]
        w.set_tool("brush")
        drag(w.canvas, paint_only)
    assert w.last_error is None
    assert "no face" in w.statusBar().currentMessage().lower()
    # the next strokes on the same photo do not start the same failing job again
    submitted = []
    real_submit = w.dispatcher.submit
    w.dispatcher.submit = lambda req, **kw: (submitted.append(req), real_submit(req, **kw))[1]
    drag(w.canvas, [(80, 120), (150, 130)])
    qtbot.wait(200)
    assert not [r for r in submitted if getattr(r, "kind", "") == "scribble"]
    assert w.document.layer("scribble")[..., 3].any()            # the strokes themselves are kept
    assert "select the face" in w.statusBar().currentMessage()
    # a selection (or a changed photo) lets it run again
    w.set_selection(BBox(40, 40, 160, 160))
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000,
                          check_params_cb=lambda job, res: job.kind == "scribble"):
        drag(w.canvas, [(70, 70), (120, 110)])


def test_strokes_fade_while_their_result_is_shown_and_revert_clears_them(make_window, tiny_models, qtbot):
    w = make_window(tiny_models)
    doc = new_face(w, qtbot)
    w.latent.panel.iters.setValue(5)
    blue = (20, 20, 230)
    paint(w, qtbot, [(100, 100), (150, 110)], blue, size=16)
    assert doc.latent.edited and "scribble" in w.canvas.faded
    # on screen the result shows through the stroke: the stroke's own color is no longer what is seen
    ys, xs = np.nonzero(doc.layer("scribble")[..., 3] > 250)
    y, x = int(np.median(ys)), int(np.median(xs))
    p = w.canvas.to_widget(x + 0.5, y + 0.5)
    w.canvas.repaint()
    seen = w.canvas.grab().toImage().pixelColor(int(p.x()), int(p.y()))
    shown = np.array([seen.red(), seen.green(), seen.blue()], np.float32)
    base = doc.layer("base")[y, x].astype(np.float32)
    assert np.abs(shown - base).mean() < np.abs(shown - np.array(blue)).mean()
    w.latent.revert()                                     # back to the committed image, strokes gone
    assert not doc.layer("scribble")[..., 3].any() and "scribble" not in w.canvas.faded
    w.undo_stack.undo()                                   # revert undone: strokes and result back, faint again
    assert doc.layer("scribble")[..., 3].any() and "scribble" in w.canvas.faded


def test_reopened_photo_lists_its_faces_again(make_window, tiny_models, qtbot, monkeypatch, rng):
    """The face list is not stored in a project: reopening a photo finds the faces again and
    selects the one whose region is being edited."""
    from latentbrush.core.document import Document
    from latentbrush.core.jobs import Progress, Result
    from latentbrush.core.latent_state import LatentState
    from latentbrush.ml import runners

    seen = {}

    def fake_faces(job, models):
        seen["region"] = job.params["region"]
        yield Progress(0, 1, "finding the faces")
        return Result(layer="", info={"faces": ((0, 0, 9, 9), (20, 20, 40, 40), (50, 50, 60, 60)), "face": 1})

    monkeypatch.setitem(runners.RUNNERS, "find_faces", fake_faces)
    w = make_window(tiny_models)
    img = rng.integers(0, 255, (120, 120, 3), dtype=np.uint8)
    doc = Document(img)
    state = LatentState(region=BBox(10, 10, 74, 74), generator="g", z_base=np.zeros(16, np.float32),
                        base_render=np.zeros((64, 64, 3), np.float32), reference=img[10:74, 10:74].copy(),
                        z=np.zeros(16, np.float32), fit_psnr=27.0)
    doc.set_latent(state)
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000,
                          check_params_cb=lambda job, res: job.kind == "find_faces"):
        w.set_document(doc)
    panel = w.latent.panel
    assert seen["region"] == (10, 10, 74, 74)
    assert panel.face.count() == 3 and panel.face.currentIndex() == 1 and not panel.face.isHidden()
    assert len(w.canvas.face_boxes) == 3 and w.canvas.face_current == 1      # numbered on the canvas
    assert w.undo_stack.isClean()              # finding faces changes nothing in the document
    # reopening a project opens the photo first and replays its history after: the same
    from project_corpus import make_session

    from latentbrush.ui.session_files import restore
    session = make_session()
    with qtbot.waitSignal(w.dispatcher.result_ready, timeout=30_000,
                          check_params_cb=lambda job, res: job.kind == "find_faces"):
        restore(w, session)
    assert seen["region"] == tuple(session.doc.latent.region)
    assert panel.face.count() == 3 and panel.face.currentIndex() == 1


def test_lines_on_a_blank_canvas_point_to_sketch_to_face_and_start_no_edit(make_window, tiny_models, qtbot):
    """A helper drew on a new blank canvas and was told to select the face and press Follow strokes."""
    w = make_window(tiny_models)
    w.new_blank(320, 240, confirmed=True)
    w.latent.panel.auto.setChecked(True)
    submitted = []
    w.dispatcher.model.events.busy.connect(lambda b: submitted.append(b))
    w.set_tool("brush")
    drag(w.canvas, [(100, 100), (150, 120), (200, 100)])
    assert "Sketch → face" in w.statusBar().currentMessage()
    assert submitted == [] and w.document.latent is None
