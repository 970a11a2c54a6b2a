"""The session on disk: project files (save / open the whole session, undo history included)
and autosave with crash recovery.

Autosave writes DATA_DIR/autosave/session-<pid>.lbproj `QUIET_S` seconds after the last change (a
stroke, an undo), at least every `interval` seconds while changes go on, and right after each applied
model edit; the file is removed when the window closes
normally. A file whose process no longer runs is what a crash left behind: the next start offers
to recover it (or recovers it without asking with `latentbrush --recover`). A damaged autosave is
renamed to *.damaged (and the person told) so no later start trips over it; a failed autosave (full
disk, read-only data folder) is logged and shown once in the status bar.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from latentbrush.core.document import PAINT_LAYERS, DocumentSnapshot
from latentbrush.core.history import EditStep
from latentbrush.core.imageio import ExportError
from latentbrush.core.project_read import read_project
from latentbrush.core.project_write import write_project
from latentbrush.core.projectfile import EXTENSION, ProjectError, Session
from latentbrush.paths import data_dir
from latentbrush.ui.context import Window
from latentbrush.ui.fileops import in_background, window_title

DEFAULT_INTERVAL_S = 60.0
QUIET_S = 3.0       # after the last change: a helper's mask stroke was lost 8 s after it was painted
DAMAGED_SUFFIX = ".damaged"
log = logging.getLogger(__name__)


class _Notifier(QObject):
    """Carries an autosave failure from the writer thread to the status bar (queued signal)."""

    failed = Signal(str)

    def __init__(self, window: Window) -> None:
        super().__init__(window)
        self.w = window
        self.failed.connect(self.show)

    @Slot(str)
    def show(self, message: str) -> None:
        self.w.statusBar().showMessage(f"Autosave failed — crash recovery is off until it works again: {message}",
                                       20_000)


def capture(window: Window) -> Session:
    """The session as it is now, for writing on another thread: the document as a snapshot (its
    layers are copied by the writer, not here) and the history's steps (patches never change)."""
    h = window.model.history
    steps = [EditStep(s.text, list(s.patches), s.latent, s.modifies) for s in h.steps]
    visible = {n: bool(window.canvas.visible.get(n, True)) for n in PAINT_LAYERS}
    return Session(DocumentSnapshot(window.document), steps, h.index, visible)


def restore(window: Window, session: Session) -> None:
    """Put a session in the window: pixels as saved, undo/redo history as saved."""
    doc = session.doc
    for st in reversed(session.steps[:session.index]):
        st.revert(doc)                       # back to the state before the first step …
    window.set_document(doc)
    h = window.model.history
    for st in session.steps:                 # … and forward again through the steps
        h.push(st)
    h.set_index(session.index)
    for name, on in (session.visible or {}).items():       # (a file without it: as they are)
        if name in window.layers_panel.checks:
            window.layers_panel.checks[name].setChecked(on)
    window.latent.list_faces()               # the face list is not stored: find the faces again


class SessionFiles:
    def __init__(self, window: Window, directory: Path | None = None, interval_s: float | None = None) -> None:
        self.w = window
        self.dir = Path(directory) if directory else data_dir() / "autosave"
        self.path = self.dir / f"session-{os.getpid()}{EXTENSION}"
        env = os.environ.get("LATENTBRUSH_AUTOSAVE_S")
        self.interval_s = interval_s if interval_s is not None else _interval(env)
        self._dirty = False
        self._writer: threading.Thread | None = None
        self._again = False
        self.saves = 0
        self.last_error: str | None = None
        self._reported = False             # the current run of failures was shown already
        self._notifier = _Notifier(window)
        self.timer = QTimer(window)
        self.timer.setInterval(max(100, int(self.interval_s * 1000)))
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.quiet = QTimer(window)             # restarted by each change: saves once the person pauses
        self.quiet.setSingleShot(True)
        self.quiet.setInterval(max(100, int(min(QUIET_S, self.interval_s) * 1000)))
        self.quiet.timeout.connect(self._tick)
        window.undo_stack.indexChanged.connect(self._changed)
        window.model.events.applied.connect(lambda job, res: self._tick())   # saves only if the edit changed something

    # -- autosave ----------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        """Something changed since the last autosave began."""
        return self._dirty

    def _changed(self, *_a) -> None:
        self._dirty = True
        self.quiet.start()

    def _tick(self) -> None:
        if self._dirty:
            self.autosave()

    def autosave(self) -> None:
        """Write the session in the background (one write at a time; a request during a write
        is served right after it)."""
        if self.w.document is None:
            self._dirty = False
            self.discard()
            return
        if self._writer is not None and self._writer.is_alive():
            self._again = True
            return
        session = capture(self.w)
        self._dirty = False
        self._writer = threading.Thread(target=self._write, args=(session,), name="autosave", daemon=True)
        self._writer.start()

    def _write(self, session: Session) -> None:
        try:
            session.doc.take()          # copy the layers here, before the slow encoding
            self.dir.mkdir(parents=True, exist_ok=True)
            write_project(session, self.path)
        except (OSError, ValueError, ExportError, MemoryError) as e:    # full disk, read-only folder …
            self._failed(str(e))
        else:
            self.saves += 1
            self.last_error = None
            self._reported = False
        if self._again:                  # changed during the write: the next tick saves again
            self._again = False
            self._dirty = True

    def _failed(self, message: str) -> None:
        """Log every failure; show the first of a run in the status bar (from any thread)."""
        self.last_error = message
        if self._reported:
            log.debug("autosave to %s failed again: %s", self.path, message)
            return
        self._reported = True
        log.warning("autosave to %s failed: %s", self.path, message)
        self._notifier.failed.emit(message)

    def wait(self, timeout: float = 30.0) -> None:
        if self._writer is not None:
            self._writer.join(timeout)

    def discard(self) -> None:
        self.wait()
        _remove(self.path)               # (a read-only or missing data folder: logged, not raised)

    def close(self) -> None:
        """Normal exit: nothing to recover."""
        self.timer.stop()
        self.quiet.stop()
        self.discard()

    # -- recovery ----------------------------------------------------------------------------
    def recoverable(self) -> list[Path]:
        """Autosaves left by processes that are gone, newest first."""
        out = []
        for p in self.dir.glob(f"session-*{EXTENSION}"):
            try:
                pid = int(p.stem.split("-", 1)[1])
            except ValueError:
                continue
            if pid != os.getpid() and not _alive(pid) and _mtime(p) is not None:
                out.append(p)
        return sorted(out, key=lambda p: _mtime(p) or 0.0, reverse=True)

    def offer_recovery(self, ask: bool = True) -> bool:
        """Offer the newest autosave left by a crash; where it is damaged, it is set aside and the next older one
        is offered at once (until stop 61 only at the next start)."""
        found = self.recoverable()
        before = ""             # what became of the damaged autosave before this one, for the question
        for i, cand in enumerate(found):
            if not cand.exists():           # recovered meanwhile by another Latentbrush
                continue
            # (to the second: two crashes a minute apart read as the same autosave offered twice, helper 73)
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(_mtime(cand) or time.time()))
            if ask and not self.w.confirm("Recover session?", f"{before}Latentbrush did not close normally. Recover "
                                          f"the session autosaved at {when}?\n\nIt holds everything up to a few "
                                          "seconds before Latentbrush stopped; what was done after that is "
                                          "not in it.", default=True):
                for p in found[i:]:
                    _remove(p)
                return False
            try:
                session = read_project(cand)
            except ProjectError as e:
                if not cand.exists():       # (recovered meanwhile by another Latentbrush: not damaged)
                    continue
                aside = self._set_aside(cand)
                more = any(p.exists() for p in found[i + 1:])
                # where the next question says so, no error box (one left open behind it stayed after No)
                if more and ask:
                    self.w.statusBar().showMessage(f"Cannot recover the session autosaved at {when}: {e}", 10000)
                else:
                    older = "\n\nAn older autosave will be recovered next." if more else ""
                    self.w.show_error("Cannot recover the session",
                                      f"The autosave of {when} cannot be read: {e}\n\n{aside}{older}")
                before = f"The autosave of {when} could not be read ({e}). {aside}\n\nAn older one was found. "
                continue
            restore(self.w, session)
            for p in found[i:]:
                _remove(p)
            self._dirty = True
            self.autosave()
            newer = " (a newer autosave could not be read)" if before else ""
            self.w.statusBar().showMessage(f"Recovered the session autosaved at {when}{newer}", 8000)
            return True
        return False

    @staticmethod
    def _set_aside(path: Path) -> str:
        """Rename a damaged autosave to *.damaged so that no later start reads it again."""
        target = path.with_name(path.name + DAMAGED_SUFFIX)
        try:
            os.replace(path, target)
        except OSError as e:
            log.warning("cannot set aside the damaged autosave %s: %s", path, e)
            try:
                path.unlink(missing_ok=True)
            except OSError:
                return f"It could not be set aside or removed ({e.strerror}): remove {path} by hand."
            return f"It could not be set aside ({e.strerror}) and was removed."
        log.warning("damaged autosave set aside as %s", target)
        return f"It was set aside as {target}."

    # -- project files -----------------------------------------------------------------------
    def save_project(self, path: str | Path) -> bool:
        if self.w.document is None:
            return False
        path = Path(path)
        if path.suffix.lower() != EXTENSION:
            path = path.with_name(path.name + EXTENSION)
        try:
            session = capture(self.w)        # (on the window's thread: what it shows now)
            in_background(self.w, f"Saving {path.name}…", lambda: write_project(session, path))
        except (OSError, ValueError, ExportError) as e:
            self.w.show_error("Cannot save the project", str(e))
            return False
        self.w.undo_stack.setClean()
        self.w.document.info.project = path
        self.w.setWindowTitle(window_title(self.w.document))
        self.w.files.add_recent(path)
        self.w.statusBar().showMessage(f"Saved project {path.name}", 5000)
        return True

    def open_project(self, path: str | Path) -> bool:
        if not self.w.confirm_discard():
            return False
        try:
            session = in_background(self.w, f"Opening {Path(path).name}…", lambda: read_project(path))
        except ProjectError as e:
            self.w.show_error("Cannot open the project", str(e))
            return False
        session.doc.info.project = Path(path)
        restore(self.w, session)
        self.w.undo_stack.setClean()
        self.w.statusBar().showMessage(f"Opened project {Path(path).name}", 5000)
        return True


def _interval(env: str | None) -> float:
    """LATENTBRUSH_AUTOSAVE_S: seconds between autosaves (0.1 … 1 day); anything else: the default."""
    try:
        v = float(env) if env else DEFAULT_INTERVAL_S
    except ValueError:
        v = math.nan
    if not 0.1 <= v <= 86_400:
        log.warning("LATENTBRUSH_AUTOSAVE_S=%r is not a number of seconds from 0.1 to 86400; using %s",
                    env, DEFAULT_INTERVAL_S)
        return DEFAULT_INTERVAL_S
    return v


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as e:
        log.warning("cannot remove the autosave %s: %s", path, e)


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:                 # removed meanwhile (another instance recovered it)
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
