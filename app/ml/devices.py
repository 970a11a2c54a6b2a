"""Device choice: cuda → mps → cpu, overridable with LATENTBRUSH_DEVICE."""

from __future__ import annotations

import os

import torch


def pick_device(prefer: str | None = None) -> torch.device:
    want = prefer or os.environ.get("LATENTBRUSH_DEVICE")
    if want:
        dev = torch.device(want)
        if dev.type == "cuda" and not torch.cuda.is_available():
            return torch.device("cpu")
        if dev.type == "mps" and not _mps_ok():
            return torch.device("cpu")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_ok():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_ok() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def is_oom(err: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", None)
    if oom is not None and isinstance(err, oom):
        return True
    return isinstance(err, RuntimeError) and "out of memory" in str(err).lower()


def configure_threads(gui: bool = True) -> int:
    """The editor leaves one core to the GUI thread (intra-op threads = cores − 1, at least 1);
    headless commands (gui=False) use every core. LATENTBRUSH_THREADS overrides both."""
    n = int(os.environ.get("LATENTBRUSH_THREADS", "0")) or max(1, (os.cpu_count() or 2) - (1 if gui else 0))
    torch.set_num_threads(n)
    return n
