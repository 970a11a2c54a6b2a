"""The command line drives the session model as the window does: a command opens its image as a
`Document` in a `SessionModel`, submits typed requests (core/requests.py) with the layers they
read, and a `SyncExecutor` runs each job at once on this thread with the app's runners
(ml/runners.py: RUNNERS).

    session = cli_session(models)
    doc = open_image(session, img)
    res = run_request(session, InpaintRequest(model=m), layers=("base",), inputs={"mask": mask},
                      bar=bar, i=i, apply=True)        # doc.layer("base") now holds the fill

A runner's exception comes out of run_request as it was raised (a ValueError for the person's
input, a ModelError, an ImageLoadError …), so the commands report it as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from latentbrush.cli.common import Bar
from latentbrush.core.document import Document
from latentbrush.core.jobs import Job, Progress, Result
from latentbrush.core.requests import Request
from latentbrush.session.model import SessionModel
from latentbrush.session.sync import SyncExecutor


def cli_session(models: Any) -> SessionModel:
    """A session whose jobs run at once on this thread with the app's runners and `models`;
    every Exception a runner raises is a failure of its job (raised again by run_request)."""
    from latentbrush.ml.runners import RUNNERS

    ex = SyncExecutor(RUNNERS, models, reasons=(Exception,))
    return ex.attach(SessionModel(ex))


def open_image(session: SessionModel, img: np.ndarray) -> Document:
    """Open pixels (h, w, 3) uint8 as the session's document."""
    doc = Document(img)
    session.open(doc)
    return doc


def run_request(session: SessionModel, request: Request, *, layers: Sequence[str] = (),
                inputs: Mapping[str, np.ndarray] | None = None, bar: Bar | None = None, i: float = 0,
                apply: bool = False, label: str = "") -> Result:
    """Submit `request` reading `layers` of the open document (and `inputs`, arrays that are no
    layer of it), run it to its end with its progress on `bar` from `i` on, and return the fresh
    Result; `apply`: also make it one undo step of the document (its pixels written in). A failed
    job raises the runner's own exception."""
    seen: dict[str, Any] = {}

    def mine(job: Job) -> bool:
        return job.request is request

    def on_progress(job: Job, p: Progress) -> None:
        if bar is not None and mine(job):
            bar.show(i + p.fraction * 0.999, p.message)

    def outcome(what: str):
        def note(job: Job, *args: Any) -> None:
            if mine(job):
                seen.update(what=what, job=job, args=args)
        return note

    ev = session.events
    offs = [ev.progress.connect(on_progress)] + [getattr(ev, name).connect(outcome(name))
                                                  for name in ("fresh", "failed", "dropped", "cancelled")]
    try:
        session.submit(request, layers=layers, inputs=inputs, label=label)
    finally:
        for off in offs:
            off()
    what, args = seen.get("what"), seen.get("args", ())
    if what == "fresh":
        result = args[0]
        if apply:
            session.apply(seen["job"], result)
        return result
    if what == "failed":
        executor = session.executor
        err = getattr(executor, "error", None)
        if isinstance(err, Exception):
            executor.error = None
            raise err
        raise ValueError(args[0])
    why = args[0] if what == "dropped" else "cancelled" if what == "cancelled" else "no result"
    raise ValueError(f"{request.kind}: the result was not used ({why})")
