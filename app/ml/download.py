"""Progress while pip downloads a wheel: pip runs in a thread (latentbrush.ml.fetch._pip_download, which
points pip's TMPDIR into the destination folder), and this generator reports every quarter second
how many bytes are on disk there, as Progress with `done_bytes`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Generator
from pathlib import Path

from latentbrush.core.jobs import Progress

POLL_S = 0.25


def bytes_under(folder: Path) -> int:
    """Bytes in the files under `folder` right now. pip creates, moves and deletes files and folders
    while we look: whatever vanishes between listing and reading is skipped, never raised (Path.rglob
    lets FileNotFoundError out of a sub-folder removed mid-walk, which once failed a whole fetch)."""
    n = 0
    for root, _dirs, files in os.walk(folder, onerror=lambda _e: None):
        for name in files:
            try:
                n += os.stat(os.path.join(root, name), follow_symlinks=False).st_size
            except OSError:
                pass
    return n


def with_download_progress(download: Callable[[], Path], folder: Path, *, step: int, total: int,
                           message: str, size: int | None = None) -> Generator[Progress, None, Path]:
    """Run `download()` (it writes under `folder`) in a thread; yield Progress until it is done;
    return what it returned (or raise what it raised)."""
    size = size if isinstance(size, int) and size > 0 else None
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["wheel"] = download()
        except BaseException as e:  # noqa: BLE001 -- re-raised on the caller's thread below
            box["error"] = e

    t = threading.Thread(target=run, name="latentbrush-download", daemon=True)
    t.start()
    mb = f" of {size / 1e6:.1f} MB" if size else " MB"
    done = 0
    yield Progress(step, total, f"{message} — 0.0{mb}", done_bytes=0)
    while True:
        t.join(POLL_S)
        if not t.is_alive():
            break
        done = min(bytes_under(folder), size) if size else bytes_under(folder)
        yield Progress(step, total, f"{message} — {done / 1e6:.1f}{mb}", done_bytes=done)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["wheel"]  # type: ignore[return-value]
