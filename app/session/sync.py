"""A synchronous executor for the session model: runs each job to its end on the calling thread
(the command line, scripts, tests) and reports to the session as the Qt worker would — progress,
then finished / failed / cancelled."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import Any

from latentbrush.core.jobs import Cancelled, Job, Progress, Result
from latentbrush.session.model import SessionModel

Runner = Callable[[Job, Any], Generator[Progress, None, Result]]


class SyncExecutor:
    """`submit` runs the job at once with `runners[job.kind](job, models)`. Bind it to a session
    with `attach` (the session is created with the executor, so the two meet afterwards)."""

    def __init__(self, runners: Mapping[str, Runner], models: Any = None, *,
                 on_progress: Callable[[Job, Progress], None] | None = None,
                 reasons: tuple[type[BaseException], ...] = (ValueError,)) -> None:
        self.runners = runners
        self.models = models
        self.on_progress = on_progress
        self.reasons = reasons           # exceptions that are a message for the person, not a crash
        self.session: SessionModel | None = None
        self.error: BaseException | None = None      # the exception behind the last failure reported

    def attach(self, session: SessionModel) -> SessionModel:
        self.session = session
        return session

    def submit(self, job: Job) -> None:
        if job.kind not in self.runners:
            raise KeyError(f"no runner for job kind {job.kind!r}")
        s = self.session
        try:
            job.inputs.take()
            gen = self.runners[job.kind](job, self.models)
            while True:
                try:
                    p = next(gen)
                except StopIteration as stop:
                    result = stop.value if stop.value is not None else Result(layer="")
                    break
                job.check()
                if self.on_progress is not None:
                    self.on_progress(job, p)
                if s is not None:
                    s.progressed(job, p)
            job.check()
        except Cancelled:
            if s is not None:
                s.was_cancelled(job)
            return
        except self.reasons as e:
            if s is None:
                raise
            self.error = e
            s.failed(job, str(e))
            return
        if s is not None:
            s.finished(job, result)

    def cancel(self, job_id: int) -> None:
        """Jobs run to their end inside submit(); a cancel from a progress callback goes through
        the job's own flag (job.cancel())."""

    def cancel_all(self) -> None:
        """As cancel()."""


def sync_session(runners: Mapping[str, Runner], models: Any = None, **kw: Any) -> SessionModel:
    """A session whose jobs run at once on this thread."""
    ex = SyncExecutor(runners, models, **kw)
    return ex.attach(SessionModel(ex))
