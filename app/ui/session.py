"""The session on disk: project files (save / open the whole session, undo history included)
and autosave with crash recovery.

Autosave writes DATA_DIR/autosave/session-<pid>.lbproj every `interval` seconds when something
changed and right after each applied model edit; the file is removed when the window closes
normally. A file whose process no longer runs is what a crash left behind: the next start offers
to recover it (or recovers it without asking with `latentbrush --recover`).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QUndoCommand

from app.core.document import Document
from app.core.project import EXTENSION, EditStep, ProjectError, Session, read_project, write_project
from app.paths import data_dir
from app.ui.commands import LatentCommand, PatchCommand, StrokeCommand

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

DEFAULT_INTERVAL_S = 60.0


class StepCommand(QUndoCommand):
    """An undo step restored from a project file."""

    def __init__(self, doc: Document, step: EditStep) -> None:
        super().__init__(step.text)
        self.doc, self.step = doc, step

    def redo(self) -> None:
        self.step.apply(self.doc)

    def undo(self) -> None:
        self.step.revert(self.doc)


def _step(cmd: QUndoCommand) -> EditStep:
    patches, before, after, has_latent = [], None, None, False
    parts = [cmd.child(i) for i in range(cmd.childCount())] if cmd.childCount() else [cmd]
    for c in parts:
        if isinstance(c, StepCommand):
            patches += c.step.patches
            if c.step.latent is not None:
                before = c.step.latent[0] if not has_latent else before
                after, has_latent = c.step.latent[1], True
        elif isinstance(c, StrokeCommand):
            patches += list(c.patches)
        elif isinstance(c, LatentCommand):
            if c.patch is not None:
                patches.append(c.patch)
            before = c.before if not has_latent else before
            after, has_latent = c.after, True
        elif isinstance(c, PatchCommand):
            patches.append(c.patch)
        else:
            raise TypeError(f"cannot save an undo step of type {type(c).__name__}")
    return EditStep(cmd.text(), patches, (before, after) if has_latent else None)


def snapshot(doc: Document) -> Document:
    """An independent copy of the document's pixels and latent (the patches are shared: they
    are never changed after they are made)."""
    copy = Document(doc.original.copy(), doc.info)
    for name in ("base", "scribble", "mask", "parts"):
        copy.write(name, doc.bounds, doc.layer(name).copy())
    copy.latent = doc.latent
    return copy


def capture(window: MainWindow) -> Session:
    stack = window.undo_stack
    steps = [_step(stack.command(i)) for i in range(stack.count())]
    return Session(snapshot(window.document), steps, stack.index())


def restore(window: MainWindow, session: Session) -> None:
    """Put a session in the window: pixels as saved, undo/redo history as saved."""
    doc = session.doc
    for st in reversed(session.steps[:session.index]):
        st.revert(doc)                       # back to the state before the first step …
    window.set_document(doc)
    stack = window.undo_stack
    for st in session.steps:                 # … and forward again through the commands
        stack.push(StepCommand(doc, st))
    stack.setIndex(session.index)


class SessionFiles:
    def __init__(self, window: MainWindow, directory: Path | None = None, interval_s: float | None = None) -> None:
        self.w = window
        self.dir = Path(directory) if directory else data_dir() / "autosave"
        self.path = self.dir / f"session-{os.getpid()}{EXTENSION}"
        env = os.environ.get("LATENTBRUSH_AUTOSAVE_S")
        self.interval_s = float(interval_s if interval_s is not None else (env or DEFAULT_INTERVAL_S))
        self._dirty = False
        self._writer: threading.Thread | None = None
        self._again = False
        self.saves = 0
        self.last_error: str | None = None
        self.timer = QTimer(window)
        self.timer.setInterval(max(100, int(self.interval_s * 1000)))
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        window.undo_stack.indexChanged.connect(self._changed)
        window.jobs.after_result.append(lambda job, res: self._tick())   # saves only if the edit changed something

    # -- autosave ----------------------------------------------------------------------------
    def _changed(self, *_a) -> None:
        self._dirty = True

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
            self.dir.mkdir(parents=True, exist_ok=True)
            write_project(session, self.path)
            self.saves += 1
            self.last_error = None
        except (OSError, ValueError) as e:
            self.last_error = str(e)
        if self._again:                  # changed during the write: the next tick saves again
            self._again = False
            self._dirty = True

    def wait(self, timeout: float = 30.0) -> None:
        if self._writer is not None:
            self._writer.join(timeout)

    def discard(self) -> None:
        self.wait()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Normal exit: nothing to recover."""
        self.timer.stop()
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
            if pid != os.getpid() and not _alive(pid):
                out.append(p)
        return sorted(out, key=lambda p: p.stat().st_mtime, reverse=True)

    def offer_recovery(self, ask: bool = True) -> bool:
        found = self.recoverable()
        if not found:
            return False
        newest = found[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(newest.stat().st_mtime))
        if ask and not self.w.confirm("Recover session?", f"Latentbrush did not close normally. Recover the "
                                      f"session autosaved at {when}?"):
            for p in found:
                p.unlink(missing_ok=True)
            return False
        try:
            session = read_project(newest)
        except ProjectError as e:
            self.w.show_error("Cannot recover the session", str(e))
            newest.rename(newest.with_suffix(".damaged"))
            return False
        restore(self.w, session)
        for p in found:
            p.unlink(missing_ok=True)
        self._dirty = True
        self.autosave()
        self.w.statusBar().showMessage(f"Recovered the session autosaved at {when}", 8000)
        return True

    # -- project files -----------------------------------------------------------------------
    def save_project(self, path: str | Path) -> bool:
        if self.w.document is None:
            return False
        path = Path(path)
        if path.suffix.lower() != EXTENSION:
            path = path.with_name(path.name + EXTENSION)
        try:
            write_project(capture(self.w), path)
        except (OSError, ValueError) as e:
            self.w.show_error("Cannot save the project", str(e))
            return False
        self.w.undo_stack.setClean()
        self.w.statusBar().showMessage(f"Saved project {path.name}", 5000)
        return True

    def open_project(self, path: str | Path) -> bool:
        if not self.w.confirm_discard():
            return False
        try:
            session = read_project(path)
        except ProjectError as e:
            self.w.show_error("Cannot open the project", str(e))
            return False
        restore(self.w, session)
        self.w.undo_stack.setClean()
        self.w.statusBar().showMessage(f"Opened project {Path(path).name}", 5000)
        return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
