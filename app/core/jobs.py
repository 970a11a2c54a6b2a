"""Frozen messages between the GUI thread and the worker. Arrays inside are private read-only
copies, so neither side can change what the other sees."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from latentbrush.core.bbox import BBox
from latentbrush.core.document import LayerSnapshot
from latentbrush.core.requests import Request, request_for

_ids = itertools.count(1)


class Cancelled(Exception):
    """Raised inside a job when its cancel flag is set."""


def frozen_array(a: np.ndarray) -> np.ndarray:
    out = np.array(a, copy=True)
    out.setflags(write=False)
    return out


class Inputs(Mapping):
    """A job's input arrays by name. Arrays given are private read-only copies; layers given as
    LayerSnapshot are copied on first read (on the worker thread, not when the job is made)."""

    def __init__(self, items: Mapping[str, np.ndarray | LayerSnapshot]) -> None:
        self._items = {k: v if isinstance(v, LayerSnapshot) else frozen_array(v) for k, v in items.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        v = self._items[name]
        return v.array() if isinstance(v, LayerSnapshot) else v

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def take(self) -> None:
        """Copy every layer snapshot now (the worker calls this when the job starts)."""
        for v in self._items.values():
            if isinstance(v, LayerSnapshot):
                v.array()


@dataclass(frozen=True)
class Job:
    """One request to the worker: the typed request (or, for kinds registered at run time, a kind
    name with loose params), the input layers, the revisions they were read at, a label."""

    request: Request | str
    params: Mapping[str, Any] = field(default_factory=dict)      # filled from the request
    inputs: Mapping[str, np.ndarray] = field(default_factory=dict)
    revisions: Mapping[str, int] = field(default_factory=dict)   # layers read, at their revision
    label: str = ""
    quiet: bool = False          # not started by hand: a failure is a status line, not a dialog
    id: int = field(default_factory=lambda: next(_ids))
    cancel_event: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    def __post_init__(self) -> None:
        req = self.request
        if isinstance(req, str):
            req = request_for(req, self.params)
        elif self.params:
            raise ValueError("a Job takes a request or a kind with params, not both")
        object.__setattr__(self, "request", req)
        object.__setattr__(self, "params", MappingProxyType(req.params()))
        if not isinstance(self.inputs, Inputs):
            object.__setattr__(self, "inputs", Inputs(self.inputs))
        object.__setattr__(self, "revisions", MappingProxyType(dict(self.revisions)))

    @property
    def kind(self) -> str:
        return self.request.kind

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check(self) -> None:
        """Call between steps: raises Cancelled once cancel() was called."""
        if self.cancel_event.is_set():
            raise Cancelled(self.label or self.kind)


@dataclass(frozen=True)
class Progress:
    step: int
    total: int
    message: str = ""
    loss: float | None = None
    preview: np.ndarray | None = None            # (h, w, 3) uint8 for the preview region
    preview_bbox: BBox | None = None             # where the preview goes on the canvas
    done_bytes: int | None = None                # downloads: bytes of the current file so far

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.step / self.total)


@dataclass(frozen=True)
class Result:
    """What a job produced. Either pixels for a layer rectangle or a whole new image."""

    layer: str = "base"
    bbox: BBox | None = None
    pixels: np.ndarray | None = None
    new_image: np.ndarray | None = None
    message: str = ""
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.pixels is not None:
            if self.bbox is None:
                raise ValueError("a pixel result needs its bbox")
            object.__setattr__(self, "pixels", frozen_array(self.pixels))
        if self.new_image is not None:
            object.__setattr__(self, "new_image", frozen_array(self.new_image))
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))


def drain(gen: Generator) -> tuple[Any, list]:
    """Run a job-style generator to its end: (its return value, everything it yielded)."""
    steps = []
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as stop:
            return stop.value, steps


def relay(gen: Generator, convert: Callable[[Any], Progress | None]) -> Generator[Progress, None, Any]:
    """Pass a sub-computation's steps on as Progress (convert returns None to skip one) and
    return its return value: `res = yield from relay(optimize(...), to_progress)`."""
    while True:
        try:
            step = next(gen)
        except StopIteration as stop:
            return stop.value
        p = convert(step)
        if p is not None:
            yield p
