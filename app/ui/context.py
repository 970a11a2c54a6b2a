"""What the controllers (latent_ui, parts_ui, inpaint_ui, …) use of the main window.

They are given an object of this shape, not the MainWindow class, so no controller imports the
window or another controller; they hear about results through the session's events
(`window.model.events`), not through each other."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtWidgets import QStatusBar

from latentbrush.core.bbox import BBox
from latentbrush.core.document import Document
from latentbrush.session.model import SessionModel
from latentbrush.ui.canvas.view import CanvasView
from latentbrush.ui.panels.brush import BrushPanel
from latentbrush.ui.panels.layers import LayersPanel
from latentbrush.ui.undo import UndoStackView


class Window(Protocol):
    model: SessionModel               # the document, its history, the job policy
    dispatcher: Any                   # the session's Qt adapter (submit, signals)
    undo_stack: UndoStackView
    canvas: CanvasView
    brush_panel: BrushPanel
    layers_panel: LayersPanel
    manifest: Any
    selection: BBox | None
    interactive: bool                 # False in tests: dialogs answer "yes", errors are kept
    export_scribbles: bool
    latent: Any                       # the latent controller (faces list after a project is read)
    edits: Any                        # the model edits (new face, translation, sketch → face)
    files: Any                        # file operations (recent files, confirm discard)
    session: Any                      # project files and autosave
    generate_panel: Any
    translate_panel: Any
    before_after: Any                 # the View menu's before/after action

    @property
    def document(self) -> Document | None: ...
    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt API
    def show_error(self, title: str, text: str) -> None: ...
    def confirm(self, title: str, text: str, default: bool = False) -> bool: ...
    def confirm_discard(self) -> bool: ...
    def set_document(self, doc: Document | None) -> None: ...
    def set_tool(self, name: str) -> None: ...
    def clear_layer(self, name: str) -> None: ...
