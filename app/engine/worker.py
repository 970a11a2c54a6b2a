"""EditWorker: one QObject living on its own QThread, running jobs one at a time.

Jobs are generators (see app.ml.runners). Between steps the job's cancel flag is checked, so
cancel takes effect within one step. A newer job of the same kind supersedes a queued one and
cancels a running one. Signals carry frozen Job / Progress / Result objects (numpy arrays only).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import OrderedDict

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from app.core.jobs import Cancelled, Job, Progress, Result
from app.ml.devices import is_oom
from app.ml.errors import ModelError
from app.ml.runners import RUNNERS, Runner

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_S = 1 / 30


class EditWorker(QObject):
    started = Signal(object)             # Job
    progress = Signal(object, object)    # Job, Progress
    finished = Signal(object, object)    # Job, Result
    failed = Signal(object, str)         # Job, message for the person
    cancelled = Signal(object)           # Job (cancelled, or superseded before it ran)
    _wake = Signal()

    def __init__(self, models, runners: dict[str, Runner] | None = None) -> None:
        super().__init__()
        self.models = models
        self.runners = runners if runners is not None else RUNNERS
        self._lock = threading.Lock()
        self._queue: OrderedDict[str, Job] = OrderedDict()
        self._current: Job | None = None
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    # -- any thread --------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        if job.kind not in self.runners:
            raise KeyError(f"no runner for job kind {job.kind!r}")
        with self._lock:
            old = self._queue.pop(job.kind, None)
            self._queue[job.kind] = job
            running = self._current
        if old is not None:
            old.cancel()
            self.cancelled.emit(old)
        if running is not None and running.kind == job.kind:
            running.cancel()
        self._wake.emit()

    def cancel_all(self) -> None:
        with self._lock:
            queued = list(self._queue.values())
            self._queue.clear()
            running = self._current
        for job in queued:
            job.cancel()
            self.cancelled.emit(job)
        if running is not None:
            running.cancel()

    def cancel(self, job_id: int) -> None:
        with self._lock:
            for kind, job in list(self._queue.items()):
                if job.id == job_id:
                    del self._queue[kind]
                    job.cancel()
                    self.cancelled.emit(job)
            running = self._current
        if running is not None and running.id == job_id:
            running.cancel()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._current is not None or bool(self._queue)

    # -- worker thread -----------------------------------------------------------------
    @Slot()
    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    return
                _, job = self._queue.popitem(last=False)
                self._current = job
            try:
                self._run(job)
            finally:
                with self._lock:
                    self._current = None

    def _run(self, job: Job) -> None:
        if job.cancelled:
            self.cancelled.emit(job)
            return
        self.started.emit(job)
        runner = self.runners[job.kind]
        last_emit = 0.0
        try:
            gen = runner(job, self.models)
            while True:
                try:
                    p: Progress = next(gen)
                except StopIteration as stop:
                    result = stop.value if stop.value is not None else Result(layer="")
                    break
                job.check()
                now = time.monotonic()
                if now - last_emit >= PROGRESS_INTERVAL_S or p.step >= p.total:
                    last_emit = now
                    self.progress.emit(job, p)
            job.check()
        except Cancelled:
            self.cancelled.emit(job)
            return
        except ModelError as e:
            self.failed.emit(job, str(e))
            return
        except Exception as e:  # a job must never take the worker thread down
            log.error("job %s failed:\n%s", job.kind, traceback.format_exc())
            what = "ran out of memory" if is_oom(e) else f"{type(e).__name__}: {e}"
            self.failed.emit(job, f"{job.label or job.kind} failed: {what}")
            return
        self.finished.emit(job, result)


class Engine:
    """Owns the worker and its thread; start once, shutdown once."""

    def __init__(self, models, runners: dict[str, Runner] | None = None) -> None:
        self.thread = QThread()
        self.thread.setObjectName("latentbrush-worker")
        self.worker = EditWorker(models, runners)
        self.worker.moveToThread(self.thread)
        self.thread.start()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel everything and stop the thread. True when the thread ended."""
        self.worker.cancel_all()
        self.thread.quit()
        return self.thread.wait(timeout_ms)
