"""EditWorker: one QObject living on its own QThread, running jobs one at a time.

Jobs are generators (see latentbrush.ml.runners). Between steps the job's cancel flag is checked, so
cancel takes effect within one step. A newer job of the same kind supersedes a queued one and
cancels a running one. Signals carry frozen Job / Progress / Result objects (numpy arrays only).

Given a `loader` instead of models, the worker imports torch and builds the models on its own
thread (Engine.load_models()), so the window can show first; jobs submitted meanwhile wait in
the queue and run once `ready` has been emitted.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from latentbrush.core.jobs import Cancelled, Job, Progress, Result
from latentbrush.ml.errors import ModelError, user_message

# not imported from latentbrush.ml.runners / latentbrush.ml.devices here: they pull in torch, which the worker
# imports on its own thread (see Engine.load_models)
Runner = Callable[..., Any]
Loader = Callable[[], tuple[Any, "dict[str, Runner] | None"]]   # → (models, runners or None)

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_S = 1 / 30


class EditWorker(QObject):
    started = Signal(object)             # Job
    progress = Signal(object, object)    # Job, Progress
    finished = Signal(object, object)    # Job, Result
    failed = Signal(object, str)         # Job, message for the person
    cancelled = Signal(object)           # Job (cancelled, or superseded before it ran)
    ready = Signal()                     # the lazily loaded models can be used
    load_failed = Signal(str)            # loading them failed (queued jobs fail with this message)
    _wake = Signal()
    _load = Signal()

    def __init__(self, models, runners: dict[str, Runner] | None = None, *,
                 loader: Loader | None = None) -> None:
        super().__init__()
        self.models = models
        self._loader = loader
        self.load_error = ""
        if loader is None and runners is None:
            from latentbrush.ml.runners import RUNNERS

            runners = RUNNERS
        self.runners: dict[str, Runner] | None = runners
        self.loaded = loader is None
        self._lock = threading.Lock()
        self._queue: OrderedDict[str, Job] = OrderedDict()
        self._current: Job | None = None
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        self._load.connect(self._run_loader, Qt.ConnectionType.QueuedConnection)

    # -- any thread --------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        if self.loaded and self.runners is not None and job.kind not in self.runners:
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
    def _run_loader(self) -> None:
        if self.loaded or self._loader is None:
            return
        t = time.perf_counter()
        try:
            models, runners = self._loader()
        except Exception as e:  # noqa: BLE001 -- reported to the person; the thread must live on
            log.error("loading the models failed:\n%s", traceback.format_exc())
            reason = user_message(e) if isinstance(e, (MemoryError, OSError)) else str(e).strip()
            self.load_error = f"The models could not be loaded: {reason or user_message(e)}"
            self.loaded = True
            self.load_failed.emit(self.load_error)
        else:
            if runners is None:
                from latentbrush.ml.runners import RUNNERS

                runners = RUNNERS
            self.models, self.runners = models, runners
            self.loaded = True
            log.info("models ready after %.2f s on the worker thread", time.perf_counter() - t)
            self.ready.emit()
        self._drain()

    @Slot()
    def _drain(self) -> None:
        if not self.loaded:
            return                       # _run_loader drains the queue when it is done
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
        runner = (self.runners or {}).get(job.kind)
        if self.load_error or runner is None:
            self.failed.emit(job, self.load_error or f"no runner for job kind {job.kind!r}")
            return
        self.started.emit(job)
        last_emit = 0.0
        try:
            job.inputs.take()                # the layers are copied here, off the GUI thread
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
            self.failed.emit(job, user_message(e))
            return
        except Exception as e:  # a job must never take the worker thread down
            if isinstance(e, (ValueError, LookupError)) and user_message(e)[:9] != "Something":
                log.info("job %s: %s", job.kind, e)      # a reason for the person (no face, no strokes …)
            else:
                log.error("job %s failed:\n%s", job.kind, traceback.format_exc())
            from latentbrush.ml.devices import is_oom

            # the dialog's title names the edit ("Fill failed"): the text is a sentence, no class names
            self.failed.emit(job, user_message(e, oom=is_oom(e)))
            return
        self.finished.emit(job, result)


class Engine:
    """Owns the worker and its thread; start once, shutdown once."""

    def __init__(self, models=None, runners: dict[str, Runner] | None = None, *,
                 loader: Loader | None = None) -> None:
        self.thread = QThread()
        self.thread.setObjectName("latentbrush-worker")
        self.worker = EditWorker(models, runners, loader=loader)
        self.worker.moveToThread(self.thread)
        self.thread.start()

    @property
    def ready(self) -> bool:
        """The models are loaded (always true for an engine given its models)."""
        return self.worker.loaded and not self.worker.load_error

    def load_models(self) -> None:
        """Start the loader on the worker thread (no-op when already loaded)."""
        self.worker._load.emit()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel everything and stop the thread. True when the thread ended."""
        self.worker.cancel_all()
        self.thread.quit()
        return self.thread.wait(timeout_ms)
