"""The Qt side of the session's job policy: connects the worker thread's signals to the Qt-free
SessionModel (app/session/model.py, where what a job reads, when its result is stale and how it
is applied are decided) and re-emits the session's job events as Qt signals for the widgets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from latentbrush.core.document import Document
from latentbrush.core.jobs import Job, Progress, Result
from latentbrush.core.requests import Request
from latentbrush.engine.worker import Engine
from latentbrush.session.model import DOCUMENT_FREE, SessionModel

__all__ = ["DOCUMENT_FREE", "Dispatcher"]


class Dispatcher(QObject):
    busy_changed = Signal(bool)
    progress = Signal(object, object)       # Job, Progress
    result_ready = Signal(object, object)   # Job, Result (fresh: apply it)
    dropped = Signal(object, str)           # Job, why its result was not applied
    failed = Signal(object, str)            # Job, message
    cancelled = Signal(object)              # Job
    models_ready = Signal()                 # the engine has loaded torch and the models
    models_failed = Signal(str)             # … or could not

    def __init__(self, engine: Engine, model: SessionModel | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.model = model if model is not None else SessionModel(engine.worker)
        ev = self.model.events               # (each signal looked up when it is emitted)
        ev.busy.connect(lambda busy: self.busy_changed.emit(busy))
        ev.progress.connect(lambda job, p: self.progress.emit(job, p))
        ev.fresh.connect(lambda job, result: self.result_ready.emit(job, result))
        ev.dropped.connect(lambda job, why: self.dropped.emit(job, why))
        ev.failed.connect(lambda job, message: self.failed.emit(job, message))
        ev.cancelled.connect(lambda job: self.cancelled.emit(job))
        # slots of this QObject, so the worker thread's signals are queued onto the main thread
        # (a plain callable would be called on the worker thread)
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

    @property
    def document(self) -> Document | None:
        return self.model.document

    @property
    def busy(self) -> bool:
        return self.model.busy

    def submit(self, request: Request | str, *, params: Mapping[str, Any] | None = None,
               layers: Sequence[str] = (), inputs: Mapping[str, np.ndarray] | None = None,
               label: str = "", watch: Sequence[str] = (), quiet: bool = False) -> Job:
        return self.model.submit(request, params=params, layers=layers, inputs=inputs, label=label,
                                 watch=watch, quiet=quiet)

    def cancel_all(self) -> None:
        self.model.cancel_all()

    def cancel(self, job: Job) -> None:
        self.model.cancel(job)

    # -- worker signals, on the main thread -----------------------------------------------
    def _on_progress(self, job: Job, p: Progress) -> None:
        self.model.progressed(job, p)

    def _on_finished(self, job: Job, result: Result) -> None:
        self.model.finished(job, result)

    def _on_failed(self, job: Job, message: str) -> None:
        self.model.failed(job, message)

    def _on_cancelled(self, job: Job) -> None:
        self.model.was_cancelled(job)
