"""Plain events for the Qt-free session: a list of listeners called in order, on the thread that
emits. (The window turns them into widget updates; tests and the command line listen directly.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    def __init__(self) -> None:
        self._listeners: list[Callable[..., Any]] = []

    def connect(self, listener: Callable[..., Any]) -> Callable[[], None]:
        """Call `listener(*args)` on each emit; returns a function that disconnects it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, *args: Any) -> None:
        for listener in list(self._listeners):
            listener(*args)
