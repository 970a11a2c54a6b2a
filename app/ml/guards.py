"""Running a network so that faults do not lose work:

- `checked_layers(net, check)`: every leaf layer calls `check()` before it runs, so a cancel
  lands within one layer (milliseconds) even inside a single multi-second forward pass.
- `oom_fallback(attempt, …)`: a GPU out-of-memory error retries with half the tile size (down to
  `min_tile`), then once on the CPU; anything else, and an OOM on the CPU, is raised.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator
from typing import Any

import torch
from torch import nn

from latentbrush.core.jobs import Progress
from latentbrush.ml.devices import is_oom


@contextlib.contextmanager
def checked_layers(net: nn.Module, check: Callable[[], None] | None):
    if check is None or isinstance(net, torch.jit.ScriptModule):
        yield net
        return
    leaves = [m for m in net.modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_pre_hook(lambda _m, _inp: check()) for m in leaves]
    try:
        yield net
    finally:
        for h in handles:
            h.remove()


def cpu_copy(net: nn.Module) -> nn.Module:
    """A CPU copy of a model (the cached GPU copy stays where it is)."""
    import copy

    return copy.deepcopy(net).to("cpu")


Attempt = Callable[[int, torch.device], Generator[Progress, None, Any]]


def oom_fallback(attempt: Attempt, tile: int, device: torch.device, *, min_tile: int = 256,
                 on_retry: Callable[[str], None] | None = None) -> Generator[Progress, None, Any]:
    """Run attempt(tile, device); on a GPU out-of-memory error halve the tile and try again, and
    below `min_tile` try once on the CPU. Yields the attempts' progress (plus a note per retry)."""
    device = torch.device(device)
    while True:
        try:
            return (yield from attempt(tile, device))
        except Exception as e:                       # noqa: BLE001 - filtered right below
            if not is_oom(e) or device.type == "cpu":
                raise
            if device.type == "cuda":
                torch.cuda.empty_cache()
            if tile // 2 >= min_tile:
                tile //= 2
                note = f"out of GPU memory: retrying with {tile}-px tiles"
            else:
                device = torch.device("cpu")
                note = "out of GPU memory: finishing on the CPU"
            if on_retry is not None:
                on_retry(note)
            yield Progress(0, 1, note)
