"""Cyclic garbage is collected by the GUI-thread timer, never automatically on another thread."""

from __future__ import annotations

import gc
import weakref


class Node:
    pass


def test_main_thread_gc_collects_cycles_and_restores_automatic_gc(qtbot):
    from latentbrush.engine.gc_guard import MainThreadGC

    was = gc.isenabled()
    gc.collect()
    guard = MainThreadGC(interval_ms=10_000)      # driven by hand below
    try:
        assert not gc.isenabled()                   # no automatic collection, on any thread
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        keep = [[] for _ in range(3 * gc.get_threshold()[0])]   # generation 0 over its threshold
        assert ref() is not None                    # nothing collected automatically …
        guard.check()                               # … until the GUI thread's timer tick
        assert ref() is None
        del keep
    finally:
        guard.stop()
        if not was:
            gc.disable()
    assert guard.timer.interval() == 10_000
