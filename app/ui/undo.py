"""The Edit menu's view of the session's Qt-free History (app/core/history.py): the QUndoStack
calls the window used (push, undo, redo, index, clean state …) and its signals, over the one
history the session, the project files and the command line share."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from latentbrush.core.history import EditStep, History


class UndoStackView(QObject):
    indexChanged = Signal(int)        # noqa: N815 - Qt naming, as QUndoStack
    cleanChanged = Signal(bool)       # noqa: N815
    canUndoChanged = Signal(bool)     # noqa: N815
    canRedoChanged = Signal(bool)     # noqa: N815

    def __init__(self, history: History, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self._seen = self._state()
        history.subscribe(self._changed)

    def _state(self) -> tuple:
        h = self.history
        return h.index, len(h.steps), h.is_clean, h.can_undo, h.can_redo, h.undo_text, h.redo_text

    def _changed(self) -> None:
        old, new = self._seen, self._state()
        self._seen = new
        self.indexChanged.emit(new[0])           # on every change, as QUndoStack (merges, clear) does
        if new[2] != old[2]:
            self.cleanChanged.emit(new[2])
        if new[3] != old[3]:
            self.canUndoChanged.emit(new[3])
        if new[4] != old[4]:
            self.canRedoChanged.emit(new[4])

    # -- QUndoStack's API, over the history ---------------------------------------------------
    def push(self, step: EditStep) -> None:
        self.history.push(step)

    def undo(self) -> None:
        self.history.undo()

    def redo(self) -> None:
        self.history.redo()

    def setIndex(self, index: int) -> None:  # noqa: N802
        self.history.set_index(index)

    def index(self) -> int:
        return self.history.index

    def count(self) -> int:
        return len(self.history.steps)

    def command(self, i: int) -> EditStep:
        return self.history.steps[i]

    def canUndo(self) -> bool:  # noqa: N802
        return self.history.can_undo

    def canRedo(self) -> bool:  # noqa: N802
        return self.history.can_redo

    def undoText(self) -> str:  # noqa: N802
        return self.history.undo_text

    def redoText(self) -> str:  # noqa: N802
        return self.history.redo_text

    def isClean(self) -> bool:  # noqa: N802
        return self.history.is_clean

    def setClean(self) -> None:  # noqa: N802
        self.history.set_clean()

    def group(self, text: str):
        return self.history.group(text)

    # -- the Edit menu's actions --------------------------------------------------------------
    def make_actions(self, parent: QObject) -> tuple[QAction, QAction]:
        """Undo / Redo actions whose text and enabled state follow the history."""
        undo, redo = QAction("&Undo", parent), QAction("&Redo", parent)
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        undo.triggered.connect(self.undo)
        redo.triggered.connect(self.redo)

        def sync(*_a) -> None:
            h = self.history
            undo.setEnabled(h.can_undo)
            redo.setEnabled(h.can_redo)
            undo.setText(f"&Undo {h.undo_text}".rstrip())
            redo.setText(f"&Redo {h.redo_text}".rstrip())

        self.indexChanged.connect(sync)
        self.canUndoChanged.connect(sync)
        self.canRedoChanged.connect(sync)
        sync()
        return undo, redo
