"""The Qt-free session model: typed requests, the job policy (snapshots, stale results, apply as
one undo step), the edit history, layer snapshots. No Qt is imported here."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest

from latentbrush.core.bbox import BBox
from latentbrush.core.document import Document, DocumentSnapshot
from latentbrush.core.history import EditStep, History, stroke_token
from latentbrush.core.jobs import Job, Progress, Result
from latentbrush.core.patches import PixelPatch, faded
from latentbrush.core.requests import (
    CANDIDATES,
    PARTS_CANDIDATES,
    REQUESTS,
    CustomRequest,
    PartsEditRequest,
    ScribbleRequest,
    request_for,
)
from latentbrush.session.model import SessionModel
from latentbrush.session.sync import sync_session


class Queue:
    """An executor that keeps jobs until the test finishes them (as a worker thread would later)."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.cancelled: list[int] = []

    def submit(self, job: Job) -> None:
        if job.kind == "nothing":
            raise KeyError(job.kind)
        self.jobs.append(job)

    def cancel(self, job_id: int) -> None:
        self.cancelled.append(job_id)
        for j in self.jobs:
            if j.id == job_id:
                j.cancel()

    def cancel_all(self) -> None:
        for j in self.jobs:
            self.cancel(j.id)


@dataclass(frozen=True)
class State:
    """Stands in for a LatentState: the document only needs its region."""

    name: str
    region: BBox = BBox(0, 0, 8, 8)


def photo(h=40, w=60, seed=0):
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)


def recorder(model: SessionModel) -> list[tuple]:
    got: list[tuple] = []
    ev = model.events
    for name in ("busy", "fresh", "applied", "dropped", "failed", "cancelled", "document"):
        getattr(ev, name).connect(lambda *a, n=name: got.append((n, *a)))
    return got


# -- requests ---------------------------------------------------------------------------------------
def test_requests_have_their_defaults_in_one_place():
    assert ScribbleRequest().candidates == CANDIDATES and PartsEditRequest().candidates == PARTS_CANDIDATES
    job = Job(ScribbleRequest(iters=7))
    assert job.kind == "scribble" and job.request.iters == 7 and job.params["candidates"] == CANDIDATES
    assert set(REQUESTS) >= {"scribble", "project", "inpaint", "attribute", "parts_edit", "translate"}


def test_a_misspelt_parameter_is_refused_by_name():
    with pytest.raises(ValueError, match="candidatez"):
        request_for("scribble", {"candidatez": 3})
    with pytest.raises(ValueError, match="not both"):
        Job(ScribbleRequest(), params={"iters": 3})


def test_a_kind_registered_at_run_time_keeps_its_loose_parameters():
    job = Job("slow", params={"seconds": 2})
    assert isinstance(job.request, CustomRequest) and job.kind == "slow" and job.params == {"seconds": 2}


def test_the_window_only_flag_is_not_a_model_parameter():
    job = Job(ScribbleRequest(), quiet=True)
    assert job.quiet and "quiet" not in job.params


# -- snapshots --------------------------------------------------------------------------------------
def test_a_layer_snapshot_copies_nothing_until_read_and_keeps_the_old_pixels():
    doc = Document(photo())
    before = doc.layer("base").copy()
    snap = doc.snapshot("base")
    assert snap._array is None                          # nothing copied when taken
    live = doc.layer("base")
    doc.write("base", BBox(0, 0, 10, 10), np.zeros((10, 10, 3), np.uint8))
    assert doc.layer("base") is live                    # the document's array stays (the canvas draws it)
    got = snap.array()
    assert np.array_equal(got, before) and not got.flags.writeable
    assert not np.array_equal(doc.layer("base"), before)


def test_a_snapshot_read_first_does_not_see_later_writes():
    doc = Document(photo())
    snap = doc.snapshot("mask")
    first = snap.array().copy()
    doc.write("mask", BBox(0, 0, 5, 5), np.full((5, 5), 255, np.uint8))
    assert np.array_equal(snap.array(), first) and snap.array().max() == 0


def test_snapshots_waiting_on_one_layer_share_one_copy():
    doc = Document(photo())
    a, b = doc.snapshot("base"), doc.snapshot("base")
    doc.write("base", BBox(0, 0, 3, 3), np.zeros((3, 3, 3), np.uint8))
    assert a.array() is b.array() and np.array_equal(a.array(), photo())
    c = doc.snapshot("base")
    assert c.array() is not a.array() and c.array()[0, 0].max() == 0


def test_a_document_snapshot_reads_like_the_document_and_thaws_independent():
    doc = Document(photo())
    doc.write("scribble", BBox(2, 2, 8, 8), np.full((6, 6, 4), 200, np.uint8))
    snap = DocumentSnapshot(doc)
    doc.write("scribble", BBox(0, 0, 60, 40), np.zeros((40, 60, 4), np.uint8))
    assert snap.layer("scribble")[4, 4, 0] == 200 and (snap.width, snap.height) == (60, 40)
    copy = snap.thaw()
    copy.write("base", BBox(0, 0, 1, 1), np.zeros((1, 1, 3), np.uint8))
    assert np.array_equal(snap.layer("base"), doc.layer("base"))


# -- the job policy ---------------------------------------------------------------------------------
def test_submit_snapshots_and_a_fresh_result_becomes_one_undo_step():
    q = Queue()
    model = SessionModel(q)
    got = recorder(model)
    doc = Document(photo())
    model.open(doc)
    job = model.submit("slow", layers=("base",), label="Darken")
    assert model.busy and q.jobs == [job] and ("busy", True) in got
    box = BBox(10, 5, 30, 25)
    model.finished(job, Result(layer="base", bbox=box, pixels=np.zeros((20, 20, 3), np.uint8)))
    assert ("busy", False) in got and got[-1][0] == "fresh"
    assert model.apply(job, got[-1][2])
    assert model.history.undo_text == "Darken" and doc.layer("base")[box.slices].max() == 0
    model.history.undo()
    assert np.array_equal(doc.layer("base"), photo())
    model.history.redo()
    assert doc.layer("base")[box.slices].max() == 0


def test_a_rerun_that_changes_nothing_adds_no_undo_step():
    model = SessionModel(Queue())
    doc = Document(photo())
    model.open(doc)
    same = Result(layer="base", bbox=BBox(0, 0, 4, 4), pixels=doc.read("base", BBox(0, 0, 4, 4)))
    assert not model.apply(model.submit("slow"), same) and not model.history.can_undo
    other = Result(layer="base", bbox=BBox(0, 0, 4, 4), pixels=np.zeros((4, 4, 3), np.uint8))
    assert model.apply(model.submit("slow"), other) and model.history.can_undo


def test_a_result_for_changed_pixels_or_a_newer_request_is_dropped():
    q = Queue()
    model = SessionModel(q)
    got = recorder(model)
    doc = Document(photo())
    model.open(doc)
    old = model.submit("slow", layers=("base",))
    new = model.submit("slow", layers=("base",))
    model.finished(old, Result(layer=""))
    assert got[-1] == ("dropped", old, "superseded by a newer request")
    model.history.push(EditStep("paint", [PixelPatch.capture(doc, "base", BBox(0, 0, 2, 2),
                                                             np.zeros((2, 2, 3), np.uint8))]))
    model.finished(new, Result(layer=""))
    assert got[-1] == ("dropped", new, "the image changed while it ran")
    # more mask painted during a fill: said as it is (helper 75 was told the image had changed)
    fill = model.submit("slow", layers=("base", "mask"))
    model.history.push(EditStep("mask", [PixelPatch.capture(doc, "mask", BBox(0, 0, 2, 2),
                                                            np.full((2, 2), 255, np.uint8))]))
    model.finished(fill, Result(layer=""))
    assert got[-1][0] == "dropped" and got[-1][2].startswith("the mask changed while it ran")


def test_opening_another_document_cancels_its_jobs_but_not_a_download():
    q = Queue()
    model = SessionModel(q)
    model.open(Document(photo()))
    edit = model.submit("slow", layers=("base",))
    fetch = model.submit("fetch")
    model.open(Document(photo(seed=1)))
    assert edit.cancelled and not fetch.cancelled
    got = recorder(model)
    model.finished(fetch, Result(layer="", message="models installed"))
    assert got[-1][0] == "fresh"


def test_a_kind_without_runner_does_not_stay_busy():
    model = SessionModel(Queue())
    with pytest.raises(KeyError):
        model.submit("nothing")
    assert not model.busy


def test_a_projection_is_an_undo_step_that_does_not_modify_the_document():
    model = SessionModel(Queue())
    doc = Document(photo())
    model.open(doc)
    job = model.submit("project", layers=("base",))
    S = State("projected")
    model.finished(job, Result(layer="", info={"latent_state": S}))
    model.apply(job, Result(layer="", info={"latent_state": S}))
    assert doc.latent == S and model.history.can_undo and not model.history.is_modified


def test_a_new_image_opens_a_document_only_when_the_person_agrees():
    model = SessionModel(Queue())
    model.open(Document(photo()))
    job = model.submit("generate")
    res = Result(new_image=photo(8, 8))
    assert not model.apply(job, res, confirm_discard=lambda: False) and model.document.width == 60
    assert model.apply(job, res) and model.document.width == 8 and not model.history.can_undo


def test_a_synchronous_session_runs_a_runner_with_progress_and_failure():
    def darken(job, models):
        yield Progress(1, 2, "half")
        img = job.inputs["image"]
        if job.params.get("fail"):
            raise ValueError("no face here")
        return Result(layer="base", bbox=BBox(0, 0, 4, 4), pixels=img[:4, :4] // 2)

    seen = []
    model = sync_session({"darken": darken}, on_progress=lambda j, p: seen.append(p.message))
    got = recorder(model)
    doc = Document(photo())
    model.open(doc)
    model.events.fresh.connect(lambda job, res: model.apply(job, res))
    model.submit("darken", layers=("base",), label="Darken")
    assert seen == ["half"] and not model.busy
    assert np.array_equal(doc.layer("base")[:4, :4], photo()[:4, :4] // 2)
    model.submit("darken", params={"fail": True}, layers=("base",))
    assert got[-1][0] == "failed" and got[-1][2] == "no face here"


# -- the history -----------------------------------------------------------------------------------
def patch(doc, v, box=None, layer="mask"):
    box = box or BBox(0, 0, 4, 4)
    return PixelPatch.capture(doc, layer, box, np.full((box.height, box.width), v, np.uint8))


def test_a_strokes_segments_merge_into_one_step_and_compact():
    doc = Document(photo())
    h = History(doc)
    t = stroke_token()
    for i in range(40):
        h.push(EditStep("Mask stroke", [patch(doc, 100 + i, BBox(i, 0, i + 3, 3))], token=t))
    assert len(h.steps) == 1 and len(h.steps[0].patches) <= 33
    h.push(EditStep("Mask stroke", [patch(doc, 9, BBox(50, 30, 55, 35))], token=stroke_token()))
    assert len(h.steps) == 2
    h.set_index(0)
    assert not doc.has_content("mask")
    h.set_index(2)
    assert doc.layer("mask")[0, 38] == 138 and doc.layer("mask")[32, 52] == 9


def test_a_group_is_one_undo_step_and_amend_joins_the_newest():
    doc = Document(photo())
    h = History(doc)
    s0, s1 = State("before"), State("after")
    with h.group("Commit"):
        h.push(EditStep("a", [patch(doc, 1)]))
        h.push(EditStep("b", [], (s0, s1)))
    assert [s.text for s in h.steps] == ["Commit"] and doc.latent == s1
    h.amend(EditStep("Clear mask", [patch(doc, 0)]), onto=h.steps[0])
    assert len(h.steps) == 1
    h.amend(EditStep("Not onto this", [patch(doc, 5, BBox(10, 10, 12, 12))]), onto=EditStep("other"))
    assert len(h.steps) == 2
    h.undo()
    h.undo()
    assert doc.latent == s0 and not doc.has_content("mask")


def test_the_newest_step_is_reworked_in_place_and_no_other():
    """Fading the newest translation swaps its pixels, one undo step; an older or undone step is left alone."""
    doc = Document(photo())
    h = History(doc)
    h.push(EditStep("a", [patch(doc, 1)]))
    h.set_clean()
    box = BBox(0, 0, 4, 4)
    step = EditStep("Translate", [patch(doc, 200, box)])
    h.push(step)
    p = step.patches[0]
    half = faded(p.before, p.after, 0.5)
    assert np.isin(half, (100, 101)).all() and h.undo_text == "Translate"       # 1 + ½ · 199, rounded
    assert h.rework_newest(step, [PixelPatch(p.layer, box, p.before, half)])
    assert len(h.steps) == 2 and np.array_equal(doc.read("mask", box), half) and h.is_modified
    h.undo()
    assert np.array_equal(doc.read("mask", box), np.full((4, 4), 1, np.uint8))
    assert not h.rework_newest(step, [PixelPatch(p.layer, box, p.before, p.after)])      # undone: left alone
    h.redo()
    h.push(EditStep("b", [patch(doc, 7, BBox(10, 10, 12, 12))]))
    assert not h.rework_newest(step, [PixelPatch(p.layer, box, p.before, p.after)])      # not the newest
    assert np.array_equal(doc.read("mask", box), half)
    with pytest.raises(ValueError):
        faded(p.before, np.zeros((3, 3), np.uint8), 0.5)


def test_the_undo_menu_hears_every_change_of_the_history():
    """Merged stroke segments and a reset notify too (the autosave marks itself dirty on them)."""
    doc = Document(photo())
    h = History(doc)
    calls = []
    h.subscribe(lambda: calls.append(h.index))
    t = stroke_token()
    h.push(EditStep("s", [patch(doc, 1)], token=t))
    h.push(EditStep("s", [patch(doc, 2)], token=t))
    h.reset(doc)
    assert calls == [1, 1, 0]


def test_clean_point_limit_and_redo_tail():
    doc = Document(photo())
    h = History(doc, limit=3)
    for v in range(1, 6):
        h.push(EditStep(f"s{v}", [patch(doc, v)]))
    assert len(h.steps) == 3 and h.index == 3 and h.clean == -1 and h.is_modified
    h.set_clean()
    h.undo()
    assert h.is_modified and h.redo_text == "s5"
    h.push(EditStep("other", [patch(doc, 77)]))
    assert h.clean == -1 and not h.can_redo


def test_the_session_model_imports_no_qt():
    import ast
    from pathlib import Path

    import latentbrush.session as pkg
    for f in Path(pkg.__file__).parent.glob("*.py"):
        names = {a.name for n in ast.walk(ast.parse(f.read_text())) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(ast.parse(f.read_text())) if isinstance(n, ast.ImportFrom)}
        assert not [n for n in names if n.startswith(("PySide6", "shiboken6", "torch"))], f


def test_an_edit_of_another_kind_starts_from_what_the_canvas_shows():
    """Edits of one kind are measured from the committed latent (strokes re-fit, sliders move from
    their start); an edit of another kind starts from the shown result, committed (a parts edit after
    the smile slider had dropped the smile)."""
    from latentbrush.core.latent_state import LatentState

    model = SessionModel(Queue())
    pixels = photo(32, 32)
    doc = Document(pixels.copy())
    model.open(doc)
    assert model.start_state("parts_edit") is None
    base = np.zeros((8, 8, 3), np.float32)
    st = LatentState(region=BBox(0, 0, 32, 32), generator="g", z_base=np.zeros(4, np.float32), base_render=base,
                     reference=pixels, z=np.zeros(4, np.float32))
    doc.set_latent(st)
    assert model.start_state("parts_edit") is st                 # nothing edited: nothing to commit
    slid = photo(32, 32, seed=1)
    shown = replace(st.showing(np.ones(4, np.float32), slid, base + 10), sliders=(("smile", 1.0),))
    job = model.submit(request_for("attribute", {"state": st, "values": {"smile": 1.0}}), layers=("base",))
    assert model.apply(job, Result(bbox=BBox(0, 0, 32, 32), pixels=slid, info={"latent_state": shown}))
    assert doc.latent.made_by == "attribute" and np.array_equal(doc.latent.z, shown.z)   # which kind made it
    assert model.start_state("attribute") is doc.latent                          # the same kind: as it is
    # … unless the sliders' positions are not known (a project from before they were kept): committed
    doc.latent = replace(doc.latent, sliders=())
    assert np.array_equal(model.start_state("attribute").z_base, shown.z)
    doc.latent = replace(doc.latent, sliders=(("smile", 1.0),))
    started = model.start_state("parts_edit")                                    # another kind: committed
    assert np.array_equal(started.z_base, shown.z) and np.array_equal(started.reference, slid)
    assert np.array_equal(started.base_render, base + 10) and not started.edited and started.matches(slid)
    assert started.made_by == ""
    doc.write("base", BBox(0, 0, 4, 4), np.zeros((4, 4, 3), np.uint8))          # the canvas changed since:
    assert model.start_state("parts_edit") is doc.latent                          # the job projects afresh


def test_a_parts_edit_after_a_warp_of_the_photos_features_starts_from_what_the_canvas_shows():
    """A parts edit carried out as a warp of the photo's own pixels ("parts_warp") is not the generator's
    to re-fit: the next parts edit, after an undo too, starts from the shown result (a helper's next
    edit after an undo started from the unedited photo and dropped the widened mouth)."""
    from latentbrush.core.latent_state import LatentState

    model = SessionModel(Queue())
    pixels = photo(32, 32)
    doc = Document(pixels.copy())
    model.open(doc)
    base = np.zeros((8, 8, 3), np.float32)
    st = LatentState(region=BBox(0, 0, 32, 32), generator="g", z_base=np.zeros(4, np.float32), base_render=base,
                     reference=pixels, z=np.zeros(4, np.float32))
    doc.set_latent(st)
    for i, made_by in enumerate(("parts_warp", "parts_edit")):
        widened = photo(32, 32, seed=2 + i)
        job = model.submit(request_for("parts_edit", {"state": doc.latent}), layers=("base",))
        assert model.apply(job, Result(bbox=BBox(0, 0, 32, 32), pixels=widened, info={
            "latent_state": st.showing(np.ones(4, np.float32), widened, base + 5), "made_by": made_by}))
        assert doc.latent.made_by == made_by
        started = model.start_state("parts_edit")
        if made_by == "parts_warp":                     # committed: measured from the warped photo
            assert np.array_equal(started.reference, widened) and not started.edited
        else:                                           # the generator's edit: re-fitted from its start
            assert started is doc.latent
        doc.set_latent(st)
