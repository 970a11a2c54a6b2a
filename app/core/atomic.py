"""Atomic file writes: a temp file beside the target, fsync, rename — and nothing left behind.

Temp files are named `.<target name, its first 40 characters>.lb<pid>.<random>.part` (a full name of 230+
characters made the temp name longer than a folder allows: a helper's legal 244-character name could not be
written). A process killed mid-write (SIGKILL,
power loss) leaves one behind; the next write into that folder removes the ones whose process is
gone. On SIGTERM / Ctrl-C the exception the signal raises unwinds through the writer, which removes
its temp file before it propagates.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

PART_RE = re.compile(r"^\..+\.lb(?P<pid>\d+)\.[a-z0-9_]{8}\.part$")
LEGACY_PART_RE = re.compile(r"^\..+\.[a-z0-9_]{8}\.part$")     # before the pid was in the name
STALE_AGE_S = 24 * 3600          # a temp file this old is stale whatever its pid says
_swept: set[str] = set()


class ExportError(Exception):
    """The file could not be written; the target is unchanged and no temp file is left."""


Writer = Callable[[BinaryIO], object]


def said(name: str, most: int = 60) -> str:
    """A file name as a message shows it: a long one cut in the middle (a 244-character name made an error
    box wider than the screen)."""
    return name if len(name) <= most else name[:most * 2 // 3] + "…" + name[-(most // 3):]


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":          # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:                 # EPERM: it exists, owned by someone else
        return True
    return True


def remove_stale_parts(directory: Path) -> list[Path]:
    """Remove our temp files in `directory` whose writing process is gone (or that are a day old)."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    now = time.time()
    for e in entries:
        if not (e.name.startswith(".") and e.name.endswith(".part")):
            continue
        m = PART_RE.match(e.name)
        try:
            if not e.is_file(follow_symlinks=False):
                continue
            old = now - e.stat(follow_symlinks=False).st_mtime > STALE_AGE_S
            if m is not None:
                stale = old or (int(m["pid"]) != os.getpid() and not _pid_alive(int(m["pid"])))
            else:
                stale = old and LEGACY_PART_RE.match(e.name) is not None
            if stale:
                os.unlink(e.path)
                removed.append(Path(e.path))
        except OSError:
            continue
    return removed


def _sweep_once(directory: Path) -> None:
    key = os.path.abspath(directory)
    if key not in _swept:
        _swept.add(key)
        remove_stale_parts(directory)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_temp(path: Path, write: Writer) -> str:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ExportError(f"folder {directory} does not exist")
    _sweep_once(directory)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.lb{os.getpid()}.", suffix=".part", dir=directory)
    except PermissionError as e:
        raise ExportError(f"cannot write {said(path.name)}: permission denied in the folder {directory}") from e
    except OSError as e:
        raise ExportError(f"cannot write {said(path.name)} in {directory}: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(p: str | Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def atomic_write_many(items: Sequence[tuple[Path, Writer]]) -> list[Path]:
    """Write every (path, write) to its temp file; only when all succeeded, rename them all into
    place. A failure in any writer leaves every target as it was (none half-written)."""
    tmps: list[tuple[str, Path]] = []
    committed: list[Path] = []
    current = Path(items[0][0]) if items else Path("?")
    try:
        for path, write in items:
            current = Path(path)
            tmps.append((_write_temp(current, write), current))
        for tmp, path in tmps:
            current = path
            new = not path.exists()
            os.replace(tmp, path)
            if new:
                committed.append(path)
    except BaseException as e:
        for tmp, _ in tmps:
            _unlink(tmp)
        for path in committed:        # a later rename failed: take back the new files of this call
            _unlink(path)
        if isinstance(e, ExportError):
            raise
        if isinstance(e, (OSError, ValueError)):
            reason = "the disk is full" if getattr(e, "errno", None) == 28 else (
                e.strerror if isinstance(e, OSError) and e.strerror else str(e))
            if getattr(e, "errno", None) == 36:      # ENAMETOOLONG
                reason = "the name is longer than this folder allows (255 bytes): choose a shorter one"
            raise ExportError(f"could not write {said(current.name)}: {reason}") from e
        raise
    return [p for _, p in tmps]


def atomic_write(path: Path, write: Writer) -> Path:
    """Call write(file) on a temp file next to `path`, fsync, then rename over `path`: a crash or
    an error never leaves a partial file, and an existing file is untouched until the end."""
    return atomic_write_many([(Path(path), write)])[0]
