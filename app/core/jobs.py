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

_ids = itertools.count(1)


class Cancelled(Exception):
    """Raised inside a job when its cancel flag is set."""


def frozen_array(a: np.ndarray) -> np.ndarray:
    out = np.array(a, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class Job:
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, np.ndarray] = field(default_factory=dict)
    revisions: Mapping[str, int] = field(default_factory=dict)   # layers read, at their revision
    label: str = ""
    id: int = field(default_factory=lambda: next(_ids))
    cancel_event: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "inputs", MappingProxyType(
            {k: frozen_array(v) for k, v in self.inputs.items()}))
        object.__setattr__(self, "revisions", MappingProxyType(dict(self.revisions)))

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
