"""Main-thread side of the worker: snapshots the document into frozen jobs, tracks what is
running, drops results that went stale, and hands fresh results to whoever applies them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from latentbrush.core.document import Document
from latentbrush.core.jobs import Job, Progress, Result
from latentbrush.engine.worker import Engine

DOCUMENT_FREE = frozenset({"fetch", "warmup"})     # job kinds that do not depend on the open image


class Dispatcher(QObject):
    busy_changed = Signal(bool)
    progress = Signal(object, object)       # Job, Progress
    result_ready = Signal(object, object)   # Job, Result (fresh: apply it)
    dropped = Signal(object, str)           # Job, why its result was not applied
    failed = Signal(object, str)            # Job, message
    cancelled = Signal(object)              # Job
    models_ready = Signal()                 # the engine has loaded torch and the models
    models_failed = Signal(str)             # … or could not

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.document: Document | None = None
        self._doc_serial = 0
        self._active: dict[int, tuple[Job, int]] = {}    # job id → (job, document serial)
        self._latest: dict[str, int] = {}                # kind → newest job id
        w = engine.worker
        w.progress.connect(self._on_progress)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        w.ready.connect(self.models_ready)
        w.load_failed.connect(self.models_failed)

    @property
    def models_loaded(self) -> bool:
        """False while the engine is still loading torch and the models (jobs wait meanwhile)."""
        return self.engine.ready

    def set_document(self, doc: Document | None) -> None:
        """Another image: its jobs are cancelled, except those that do not depend on it (a model
        download started from the welcome view keeps going while the person opens a photo)."""
        for job, _serial in list(self._active.values()):
            if job.kind not in DOCUMENT_FREE:
                self.cancel(job)
        self.document = doc
        self._doc_serial += 1

    @property
    def busy(self) -> bool:
        return bool(self._active)

    def submit(self, kind: str, *, params: Mapping[str, Any] | None = None,
               layers: Sequence[str] = (), inputs: Mapping[str, np.ndarray] | None = None,
               label: str = "", watch: Sequence[str] = ()) -> Job:
        """Snapshot `layers` of the current document (copies) and queue a job. The result is
        dropped if any of `layers` or `watch` (revision only, e.g. "latent") changed meanwhile."""
        doc = self.document
        snap: dict[str, np.ndarray] = dict(inputs or {})
        revisions: dict[str, int] = {}
        if doc is not None:
            for name in layers:
                snap.setdefault("image" if name == "base" else name, doc.layer(name))
            revisions = doc.revisions(*layers, *[n for n in watch if n not in layers])
        job = Job(kind, params=params or {}, inputs=snap, revisions=revisions, label=label or kind)
        was_busy = self.busy
        self._active[job.id] = (job, self._doc_serial)
        self._latest[kind] = job.id
        try:
            self.engine.worker.submit(job)
        except KeyError:                    # no runner for this kind: not left "busy" for ever
            self._active.pop(job.id, None)
            raise
        if not was_busy:
            self.busy_changed.emit(True)
        return job

    def cancel_all(self) -> None:
        self.engine.worker.cancel_all()

    def cancel(self, job: Job) -> None:
        self.engine.worker.cancel(job.id)

    # -- worker signals (queued onto the main thread) -------------------------------------
    def _forget(self, job: Job) -> tuple[Job, int] | None:
        entry = self._active.pop(job.id, None)
        if entry is not None and not self._active:
            self.busy_changed.emit(False)
        return entry

    def _on_progress(self, job: Job, p: Progress) -> None:
        if job.id in self._active and not job.cancelled:
            self.progress.emit(job, p)

    def _on_finished(self, job: Job, result: Result) -> None:
        entry = self._forget(job)
        reason = self.stale_reason(job, entry)
        if reason:
            self.dropped.emit(job, reason)
        else:
            self.result_ready.emit(job, result)

    def stale_reason(self, job: Job, entry: tuple[Job, int] | None) -> str:
        if entry is None or job.cancelled:
            return "cancelled"
        if self._latest.get(job.kind) != job.id:
            return "superseded by a newer request"
        if entry[1] != self._doc_serial and job.kind not in DOCUMENT_FREE:
            return "another image was opened meanwhile"
        if job.revisions and (self.document is None or not self.document.is_current(dict(job.revisions))):
            return "the image changed while it ran"
        return ""

    def _on_failed(self, job: Job, message: str) -> None:
        self._forget(job)
        self.failed.emit(job, message)

    def _on_cancelled(self, job: Job) -> None:
        if self._forget(job) is not None:
            self.cancelled.emit(job)
