"""The editing session without Qt: the open document, its edit history, and the policy for model
jobs — what a job gets to read, when its result is stale, how a result becomes an undo step.

The window is a view of it (app/ui), the command line and the tests drive it directly. It speaks
to a worker through an `Executor` (submit / cancel / cancel_all; the Qt worker thread in the
editor, a synchronous one in tests and scripts) and tells listeners what happened through plain
events (`SessionModel.events`), called on the thread that drives the session.

    model = SessionModel(executor)
    model.open(Document(pixels))
    job = model.submit(ScribbleRequest(state=model.document.latent), layers=("base", "scribble"))
    …  executor calls model.finished(job, result) → events.applied(job, result)
    model.history.undo()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from latentbrush.core.document import Document, DocumentInfo
from latentbrush.core.history import EditStep, History
from latentbrush.core.jobs import Job, Progress, Result
from latentbrush.core.latent_state import LatentState
from latentbrush.core.patches import PixelPatch
from latentbrush.core.requests import Request, request_for
from latentbrush.session.events import Event

DOCUMENT_FREE = frozenset({"fetch", "warmup"})     # job kinds that do not depend on the open image


class Executor(Protocol):
    def submit(self, job: Job) -> None: ...
    def cancel(self, job_id: int) -> None: ...
    def cancel_all(self) -> None: ...


@dataclass(frozen=True)
class Running:
    """A submitted job and what the session remembers about it."""

    job: Job
    serial: int              # which document it was made for


class SessionEvents:
    """What the session tells its views. Each is an Event: `events.applied.connect(fn)`."""

    def __init__(self) -> None:
        self.document = Event()          # (Document | None)  another document is open
        self.busy = Event()              # (bool)             jobs running or not
        self.progress = Event()          # (Job, Progress)
        self.fresh = Event()             # (Job, Result)      a result that may be applied
        self.before_apply = Event()      # (Job, Result)      just before it changes the document
        self.applied = Event()           # (Job, Result)      after it did
        self.dropped = Event()           # (Job, str)         a result not applied, and why
        self.failed = Event()            # (Job, str)
        self.cancelled = Event()         # (Job)


class SessionModel:
    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.document: Document | None = None
        self.history = History()
        self.events = SessionEvents()
        self._serial = 0
        self._active: dict[int, Running] = {}
        self._latest: dict[str, int] = {}            # kind → newest job id
        self.applied_count = 0
        self.last_step: EditStep | None = None       # the undo step the last apply() pushed

    # -- the document ----------------------------------------------------------------------
    def open(self, doc: Document | None) -> None:
        """Another document (or none): its jobs are cancelled, except those that do not depend on
        it (a model download keeps going while the person opens a photo); an empty history."""
        for run in list(self._active.values()):
            if run.job.kind not in DOCUMENT_FREE:
                self.cancel(run.job)
        self.document = doc
        self._serial += 1
        self.history.reset(doc)
        self.events.document.emit(doc)

    # -- jobs ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self._active)

    def running(self, job: Job) -> Running | None:
        return self._active.get(job.id)

    def make_job(self, request: Request | str, *, params: Mapping[str, Any] | None = None,
                 layers: Sequence[str] = (), inputs: Mapping[str, np.ndarray] | None = None,
                 label: str = "", watch: Sequence[str] = (), quiet: bool = False) -> Job:
        """A job reading `layers` of the current document as they are now. The layers are
        LayerSnapshots: nothing is copied here (the worker copies them when the job starts, or
        the document does just before it changes one of them)."""
        req = request if isinstance(request, Request) else request_for(request, params)
        doc = self.document
        snap: dict[str, Any] = dict(inputs or {})
        revisions: dict[str, int] = {}
        if doc is not None:
            for name in layers:
                key = "image" if name == "base" else name
                if key not in snap:                 # inputs given by the caller win (no snapshot taken)
                    snap[key] = doc.snapshot(name)
            revisions = doc.revisions(*layers, *[n for n in watch if n not in layers])
        return Job(req, inputs=snap, revisions=revisions, label=label or req.kind, quiet=quiet)

    def submit(self, request: Request | str, *, params: Mapping[str, Any] | None = None,
               layers: Sequence[str] = (), inputs: Mapping[str, np.ndarray] | None = None,
               label: str = "", watch: Sequence[str] = (), quiet: bool = False) -> Job:
        """Queue a job. Its result is dropped if any of `layers` or `watch` (revision only, e.g.
        "latent") changed meanwhile, if a newer job of its kind was submitted, or if another
        document was opened. `quiet`: a job the person did not start by hand."""
        job = self.make_job(request, params=params, layers=layers, inputs=inputs, label=label, watch=watch,
                            quiet=quiet)
        was_busy = self.busy
        self._active[job.id] = Running(job, self._serial)
        self._latest[job.kind] = job.id
        if not was_busy:
            self.events.busy.emit(True)
        try:
            self.executor.submit(job)       # (a synchronous executor reports the end before it returns)
        except BaseException:               # no runner for this kind, or a synchronous job that raised:
            self._forget(job)               # not left "busy" for ever
            raise
        return job

    def cancel(self, job: Job) -> None:
        self.executor.cancel(job.id)

    def cancel_all(self) -> None:
        self.executor.cancel_all()

    def stale_reason(self, job: Job, run: Running | None) -> str:
        """Why a finished job's result must not be applied ("" when it may)."""
        if run is None or job.cancelled:
            return "cancelled"
        if self._latest.get(job.kind) != job.id:
            return "superseded by a newer request"
        if run.serial != self._serial and job.kind not in DOCUMENT_FREE:
            return "another image was opened meanwhile"
        if job.revisions and (self.document is None or not self.document.is_current(dict(job.revisions))):
            # which: a helper painted more mask during a fill and was told the image had changed (helper 75)
            now = self.document.layer_revisions if self.document is not None else {}
            changed = [n for n, r in dict(job.revisions).items() if now.get(n) != r]
            if changed == ["mask"]:
                return "the mask changed while it ran: press it again to fill the mask as it is now"
            return "the image changed while it ran"
        return ""

    # -- what the executor reports (on the thread that drives the session) ----------------
    def _forget(self, job: Job) -> Running | None:
        run = self._active.pop(job.id, None)
        if run is not None and not self._active:
            self.events.busy.emit(False)
        return run

    def progressed(self, job: Job, p: Progress) -> None:
        if job.id in self._active and not job.cancelled:
            self.events.progress.emit(job, p)

    def finished(self, job: Job, result: Result) -> None:
        reason = self.stale_reason(job, self._forget(job))
        if reason:
            self.events.dropped.emit(job, reason)
        else:
            self.events.fresh.emit(job, result)

    def failed(self, job: Job, message: str) -> None:
        self._forget(job)
        self.events.failed.emit(job, message)

    def was_cancelled(self, job: Job) -> None:
        if self._forget(job) is not None:
            self.events.cancelled.emit(job)

    # -- applying a result ------------------------------------------------------------------
    def apply(self, job: Job, result: Result, *, confirm_discard: Callable[[], bool] = lambda: True) -> bool:
        """Make a fresh result part of the document as one undo step: pixels (and the latent
        state they came from), a latent state alone (a projection: an undo step that changes no
        pixel), or a whole new image (a new document, if `confirm_discard` agrees)."""
        self.events.before_apply.emit(job, result)
        state = result.info.get("latent_state")
        kind = str(result.info.get("made_by", job.kind))   # a parts edit carried out as a warp: "parts_warp"
        if isinstance(state, LatentState) and state.edited and state.made_by != kind:
            state = replace(state, made_by=kind)           # which kind of edit made it (start_state)
        if isinstance(state, LatentState) and state.sliders and kind != "attribute":
            state = replace(state, sliders=())             # (slider positions belong to slider edits)
        doc = self.document
        self.last_step = None
        if result.new_image is not None:
            if not confirm_discard():
                return False
            new = Document(result.new_image.copy(), DocumentInfo())
            self.open(new)
            if state is not None:
                new.set_latent(state)
        elif result.pixels is not None and doc is not None:
            patch = PixelPatch.capture(doc, result.layer, result.bbox, result.pixels.copy())
            if np.array_equal(patch.before, patch.after) and _same_latent(doc.latent, state):
                return False                # the same edit again (a rerun): no undo step that changes nothing
            self.last_step = EditStep(job.label, [patch], None if state is None else (doc.latent, state))
            self.history.push(self.last_step)
        elif state is not None and doc is not None:
            self.last_step = EditStep(job.label, [], (doc.latent, state), modifies=job.kind != "project")
            self.history.push(self.last_step)
        self.applied_count += 1
        self.events.applied.emit(job, result)
        return True

    def start_state(self, kind: str):
        """The latent state an edit of `kind` starts from. Edits of one kind are measured from the
        committed latent (another stroke re-fits all strokes, sliders move from where they started,
        a candidate replaces the shown one); an edit of another kind starts from what the canvas
        shows: the shown edit is committed first, so a parts edit after the smile slider keeps the
        smile (a helper lost it: the parts edit was measured from the unedited photo). So does a parts
        edit after one that warped the photo's own features ("parts_warp": its pixels are not the
        generator's to re-fit; after an undo, a helper's next edit started from the unedited photo). A state the
        canvas no longer shows is handed on as it is (the job projects afresh)."""
        doc = self.document
        st = doc.latent if doc is not None else None
        # (a slider edit whose positions are not known — a project saved before they were kept — is committed
        # as another kind's: the sliders start at 0 from what is shown)
        if st is not None and st.edited and st.made_by == kind == "attribute" and st.sliders:
            # the sliders move on from where they stood, unless the canvas was changed since by another tool (a fill
            # in the region or past it where a slider's change was carried): then that is kept, committed first (the
            # next slider move had rewritten the region from the photo, and a changed box kept its old carry)
            pixels = doc.read("base", st.region)
            if st.matches(pixels) and (st.around is None or st.matches_around(doc.read("base", st.around))):
                return st
            return st.committed(pixels.copy())
        if st is None or not st.edited or (st.made_by == kind and kind != "attribute"):
            return st
        pixels = doc.read("base", st.region)
        return st.committed(pixels.copy()) if st.matches(pixels) else st



def _same_latent(current: Any, new: Any) -> bool:
    """Whether a result's latent state shows what the document's already does (None: no state)."""
    if new is None:
        return True
    z0, z1 = getattr(current, "z", None), getattr(new, "z", None)
    if z0 is None or z1 is None or not np.array_equal(z0, z1):
        return False
    # (the same latent, but committed meanwhile, or the sliders read otherwise: after a fill, a slider moved back to
    # 0 changed no pixel, and the state still said "hair dark +3", helper 68)
    return np.array_equal(getattr(current, "z_base", z0), getattr(new, "z_base", z1)) \
        and getattr(current, "sliders", ()) == getattr(new, "sliders", ())
