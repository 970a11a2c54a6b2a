"""Cyclic garbage is collected by the GUI-thread timer, never automatically on another thread."""

from __future__ import annotations

import gc
import weakref


def test_main_thread_gc_collects_cycles_and_restores_automatic_gc(qtbot):
    from app.engine.gc_guard import MainThreadGC

    was = gc.isenabled()
    guard = MainThreadGC(interval_ms=10)
    try:
        assert not gc.isenabled()

        class Node:
            pass
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        keep = [[] for _ in range(3 * gc.get_threshold()[0])]   # live allocations: generation 0 over its threshold
        assert ref() is not None                                # nothing collected automatically
        qtbot.waitUntil(lambda: ref() is None, timeout=3000)    # … until the GUI-thread timer runs
        del keep
    finally:
        guard.stop()
        if not was:
            gc.disable()
    assert ref() is None
