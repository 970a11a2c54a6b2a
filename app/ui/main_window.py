"""The main window: menus, tool bar, docks, status bar; wiring only."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QStackedWidget, QTabBar, QVBoxLayout, QWidget

from latentbrush import APP_NAME
from latentbrush.core.bbox import BBox, nonzero_bbox
from latentbrush.core.brush import BrushSpec
from latentbrush.core.document import Document
from latentbrush.core.history import EditStep
from latentbrush.core.imageio import OPEN_EXTENSIONS
from latentbrush.core.patches import PixelPatch
from latentbrush.core.projectfile import EXTENSION as PROJECT_EXTENSION
from latentbrush.session.catalog import model_states
from latentbrush.ui.attributes_ui import AttributesUI
from latentbrush.ui.canvas.tools import (
    BrushTool,
    EraserTool,
    MaskEraserTool,
    MaskTool,
    PartsTool,
    PickerTool,
    SelectTool,
    Tool,
)
from latentbrush.ui.canvas.view import CanvasView
from latentbrush.ui.dialogs import close_error, error_box, question_box
from latentbrush.ui.fileops import FileOps, window_title
from latentbrush.ui.fit import ScrollTabs, scrollable
from latentbrush.ui.inpaint_ui import InpaintUI
from latentbrush.ui.jobs_ui import JobsUI
from latentbrush.ui.latent_ui import LatentUI
from latentbrush.ui.models_ui import ModelEditsUI
from latentbrush.ui.panels.brush import BrushPanel
from latentbrush.ui.panels.layers import NAMES as LAYER_NAMES
from latentbrush.ui.panels.layers import LayersPanel
from latentbrush.ui.panels.models import GeneratePanel, ModelsPanel, TranslatePanel
from latentbrush.ui.parts_ui import PartsUI
from latentbrush.ui.session_files import SessionFiles
from latentbrush.ui.settings import open_settings
from latentbrush.ui.startup import connect_welcome
from latentbrush.ui.undo import UndoStackView
from latentbrush.ui.welcome import WelcomePage

BRUSH_STEP = 1.15     # [ and ]: the brush size changes by this factor


class MainWindow(QMainWindow):
    def __init__(self, dispatcher, manifest, settings: QSettings | None = None, *,
                 interactive: bool = True) -> None:
        super().__init__()
        self.dispatcher = dispatcher
        self.manifest = manifest
        self.settings = settings if settings is not None else open_settings()
        self.interactive = interactive          # False in tests: dialogs answer "yes", errors are kept
        self.last_error: tuple[str, str] | None = None
        self.export_scribbles = False
        self.selection: BBox | None = None
        self.model = dispatcher.model           # the Qt-free session: document, history, job policy
        self.undo_stack = UndoStackView(self.model.history, self)
        self.files = FileOps(self, self.settings)
        self.setWindowTitle(APP_NAME)
        self.resize(1280, 820)
        self.setAcceptDrops(True)

        self.canvas = CanvasView()
        self.welcome = WelcomePage()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.canvas)
        self.setCentralWidget(self.stack)

        self.brush_panel = BrushPanel(self)         # (its Shift+[ / Shift+] keys held by the window)
        self.layers_panel = LayersPanel()
        self.models_panel = ModelsPanel()
        self.generate_panel = GeneratePanel()
        self.translate_panel = TranslatePanel()
        self.jobs = JobsUI(self, dispatcher)
        self.latent = LatentUI(self)
        self.attributes = AttributesUI(self, self.settings.value("sliders_path") or None)
        self.inpaint = InpaintUI(self)
        self.parts = PartsUI(self)
        self.session = SessionFiles(self)
        self.edits = ModelEditsUI(self)
        self.new_face, self.generate_into = self.edits.new_face, self.edits.generate_into
        self.randomize, self.translate = self.edits.randomize, self.edits.translate
        self._build_docks()
        self.tools: dict[str, Tool] = {
            t.name: t for t in (BrushTool(self), EraserTool(self), MaskTool(self),
                                MaskEraserTool(self), PartsTool(self), PickerTool(self), SelectTool(self))}
        self._build_actions()
        self._build_latent_menu()
        self._wire()
        self.model.events.document.connect(self._on_document)
        self.set_tool("brush")
        self.refresh_models()
        self.set_document(None)

    @property
    def document(self) -> Document | None:
        return self.model.document

    # -- ToolContext -------------------------------------------------------------------
    def brush(self) -> BrushSpec:
        return self.brush_panel.spec()

    def color(self) -> tuple[int, int, int]:
        return self.brush_panel.color()

    def part_label(self) -> int:
        return self.parts.part_label()

    def set_color(self, rgb: tuple[int, int, int]) -> None:
        self.brush_panel.set_color(rgb)

    def set_selection(self, box: BBox | None) -> None:
        self.selection = box
        self.canvas.set_selection(box)

    def show_layer(self, name: str) -> None:
        if self.layers_panel.reveal(name):
            self.statusBar().showMessage(f"{LAYER_NAMES[name]} shown again: you are painting on them", 5000)

    # -- building ----------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area=Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(scrollable(widget))      # docks scroll: the window fits 1280×720
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        # one dock holds brush / layers / models as tabs; the model edits are tabified docks.
        # (Two groups of tabified docks leave a stray tab bar on screen with Qt 6.12.)
        paint = ScrollTabs()                    # each page scrolls on its own
        paint.setDocumentMode(True)
        paint.addTab(self.brush_panel, "Brush")
        paint.addTab(self.layers_panel, "Layers")
        paint.addTab(self.models_panel, "Models")
        self.paint_tabs = paint
        self._dock("Paint", paint)
        edits = QWidget()
        lay = QVBoxLayout(edits)
        lay.addWidget(self.generate_panel)
        lay.addWidget(self.translate_panel)
        lay.addStretch(1)
        edits_dock = self._dock("Model edits", edits)
        scribble = self._dock("Scribble", self.latent.panel)
        interp = self._dock("Interpolate", self.latent.interp)
        attrs = self._dock("Sliders", self.attributes.panel)
        fill = self._dock("Inpaint", self.inpaint.panel)
        parts = self._dock("Parts", self.parts.panel)
        self.tabifyDockWidget(edits_dock, fill)
        self.tabifyDockWidget(edits_dock, parts)
        self.tabifyDockWidget(edits_dock, scribble)
        self.tabifyDockWidget(edits_dock, attrs)
        self.tabifyDockWidget(edits_dock, interp)
        scribble.raise_()
        # six tabs in a narrow dock were cut to "I…", "P…", "Sc…" (a helper could not find Inpaint): whole names,
        # scrolled with arrows where they do not fit
        for bar in self.findChildren(QTabBar):
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)

    def _build_latent_menu(self) -> None:
        m = self.menuBar().addMenu("&Latent")
        self._act(m, "Find face && project", lambda: self.latent.project("auto"), "Ctrl+Shift+F",
                  "Detect the face and project it into the generator's latent space")
        self._act(m, "Project selection", lambda: self.latent.project("selection"))
        self._act(m, "Project whole image", lambda: self.latent.project("whole"))
        m.addSeparator()
        self._act(m, "Follow strokes", lambda: self.latent.run_scribble(), "Ctrl+Return",
                  "Optimize the latent so the region follows the color strokes")
        self._act(m, "Commit latent edit", self.latent.commit, "Ctrl+K")
        self._act(m, "Revert latent edit", self.latent.revert)

    def resize_brush(self, factor: float) -> None:
        """[ and ] (as in other editors; a helper reached for them): the brush size by a factor, at least 1 px."""
        size, now = self.brush_panel.size, self.brush_panel.size.value()
        size.setValue(max(now + 1, now * factor) if factor > 1 else min(now - 1, now * factor))

    def _act(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        a = QAction(text, self)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    def _build_actions(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self._act(f, "&Open…", self.files.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = f.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(lambda: self.files.fill_recent_menu(self.recent_menu))
        self._act(f, "New &face", lambda: self.new_face(), "Ctrl+Shift+N",
                  "A new document sampled from the face generator")
        self._act(f, "New &blank canvas…", self.files.new_blank_dialog, QKeySequence.StandardKey.New,
                  "A white canvas to draw on (e.g. a face's lines for Sketch → face)")
        f.addSeparator()
        self.save_project_action = self._act(f, "&Save project", self.files.save_project, QKeySequence.StandardKey.Save,
                                             "Save the whole session (layers, undo history, face edits) to its project "
                                             "file (.lbproj; the first time, asks where)")
        self.save_as_action = self._act(f, "Save project &as…", self.files.save_project_dialog, "Ctrl+Shift+S",
                                        "Save the whole session as another project file")
        self.export_action = self._act(f, "&Export…", self.files.export_dialog, "Ctrl+Shift+E")
        inc = self._act(f, "Include scribbles in export", lambda on: setattr(self, "export_scribbles", on))
        inc.setCheckable(True)
        f.addSeparator()
        self.close_action = self._act(f, "&Close", self.close_document, QKeySequence.StandardKey.Close,
                                      "Close the photo or project (asks first about unsaved edits)")
        self._act(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        e = mb.addMenu("&Edit")
        undo, redo = self.undo_stack.make_actions(self)
        e.addAction(undo)
        e.addAction(redo)
        self.addActions([undo, redo])   # shortcuts work wherever focus is in the window
        self.undo_action, self.redo_action = undo, redo
        e.addSeparator()
        for name, text in LAYER_NAMES.items():
            self._act(e, f"Clear {text.lower()}", lambda _=False, n=name: self.clear_layer(n))
        self._act(e, "Deselect", lambda: self.set_selection(None), "Ctrl+Shift+A")
        self._act(e, "Cancel model edit", lambda: self.jobs.cancel(), "Esc")

        v = mb.addMenu("&View")
        self._act(v, "Zoom &in", lambda: self.canvas.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
        self._act(v, "Zoom &out", lambda: self.canvas.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
        self._act(v, "&Fit to window", self.canvas.fit, "Ctrl+0")
        self._act(v, "&Actual size (100 %)", self.canvas.actual_size, "Ctrl+1")
        self.before_after = self._act(v, "&Before / after", lambda _=False: None, "\\",
                                      "Show the original photo while held on")
        self.before_after.setCheckable(True)      # (toggled, not triggered: the Inpaint panel's button checks it)
        self.before_after.toggled.connect(self.canvas.set_show_original)
        self.before_after.toggled.connect(self.inpaint.panel.compare.setChecked)     # (\: the button follows)

        t = mb.addMenu("&Tools")
        tb = self.addToolBar("Tools")
        tb.setObjectName("Tools")
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for name, tool in self.tools.items():
            a = self._act(t, tool.label, lambda _=False, n=name: self.set_tool(n), tool.shortcut)
            a.setCheckable(True)
            group.addAction(a)
            tb.addAction(a)
            self.tool_actions[name] = a
        t.addSeparator()
        self._act(t, "Smaller brush", lambda: self.resize_brush(1 / BRUSH_STEP), "[", "Brush size −15 %")
        self._act(t, "Larger brush", lambda: self.resize_brush(BRUSH_STEP), "]", "Brush size +15 %")

        m = mb.addMenu("&Models")
        self._act(m, "Generate face into selection", lambda: self.generate_into(None), "G")
        self._act(m, "Randomize face", self.randomize, "R", "Sample again with a new seed")
        self.edits.translate_menu(m.addMenu("Apply &translation"))
        self._act(m, "&Fill mask", self.inpaint.fill, "Ctrl+F",
                  "Fill the area painted with the mask brush (model chosen in the Inpaint dock)")
        self._act(m, "Find face &parts", self.parts.detect, None, "Show the part map of the face")
        self._act(m, "Apply &parts edit", self.parts.run_edit, "Ctrl+Shift+P",
                  "Change the face so its parts follow the labels painted with the parts brush")
        m.addSeparator()
        self._act(m, "Fetch missing models", self.fetch_models)
        self._act(m, "Verify model hashes", lambda: self.refresh_models(deep=True))

    def _wire(self) -> None:
        self.canvas.zoom_changed.connect(lambda s: self.statusBar().showMessage(f"Zoom {s:.0%}", 1500))
        self.brush_panel.changed.connect(lambda: self.canvas.set_brush_size(self.brush_panel.spec().size))
        self.layers_panel.visibility_changed.connect(self._set_visible)
        self.layers_panel.clear_requested.connect(self.clear_layer)
        self.layers_panel.mask_opacity_changed.connect(self._mask_opacity)
        self.models_panel.fetch_requested.connect(self.fetch_models)
        self.models_panel.verify_requested.connect(lambda: self.refresh_models(deep=True))
        self.generate_panel.new_face_requested.connect(self.new_face)
        self.generate_panel.generate_requested.connect(self.generate_into)
        self.translate_panel.apply_requested.connect(self.translate)
        connect_welcome(self)
        self.canvas.brush_size = self.brush_panel.spec().size

    def _set_visible(self, name: str, on: bool) -> None:
        self.canvas.visible[name] = on
        self.canvas.update()

    def _mask_opacity(self, v: float) -> None:
        if self.canvas.overlays is not None:
            self.canvas.overlays.set_mask_opacity(v)
            self.canvas.update()

    # -- document ----------------------------------------------------------------------
    def set_document(self, doc: Document | None) -> None:
        self.model.open(doc)                    # → _on_document

    def _on_document(self, doc: Document | None) -> None:
        """The session opened another document (or none): every view follows, in this order."""
        self.selection = None
        self.before_after.setChecked(False)     # another image shows as it is (the panel's button stayed pressed)
        self.canvas.set_document(doc)
        self.latent.set_document(doc)
        self.attributes.set_document(doc)
        self.parts.set_document(doc)
        self.stack.setCurrentWidget(self.canvas if doc is not None else self.welcome)
        for action in (self.export_action, self.save_project_action, self.save_as_action, self.close_action):
            action.setEnabled(doc is not None)
        close_error(getattr(self, "_error_box", None))      # one about the last image read as about this one
        self.inpaint.set_document(doc)
        self.edits.set_document(doc)
        self.setWindowTitle(window_title(doc))
        if doc is not None:
            self.canvas.setFocus()

    def close_document(self) -> None:
        """Back to the start page (a helper found no way to close a photo but quitting)."""
        if self.document is not None and self.confirm_discard():
            self.set_document(None)

    def new_blank(self, width: int = 768, height: int = 512, confirmed: bool = False) -> None:
        import numpy as np

        if confirmed or self.confirm_discard():
            self.set_document(Document(np.full((height, width, 3), 255, np.uint8)))

    def set_tool(self, name: str) -> None:
        self.canvas.tool = self.tools[name]
        self.tool_actions[name].setChecked(True)
        self.canvas.setCursor(Qt.CursorShape.CrossCursor)

    def clear_layer(self, name: str) -> None:
        doc = self.document
        if doc is None:
            return
        box = nonzero_bbox(doc.layer(name))
        if box.is_empty():
            return
        blank = doc.read(name, box) * 0
        patch = PixelPatch.capture(doc, name, box, blank)
        self.undo_stack.push(EditStep(f"Clear {LAYER_NAMES[name].lower()}", [patch]))

    # -- model edits -------------------------------------------------------------------
    def fetch_models(self) -> None:
        self.dispatcher.submit("fetch", label="Fetching models")

    def refresh_models(self, deep: bool = False) -> None:
        states = model_states(self.manifest, deep=deep)
        self.models_panel.set_states(states)
        self.translate_panel.set_models(
            [s for s, st in states if getattr(s, "kind", "") == "translator" and st in ("ok", "present")])
        self.inpaint.refresh()
        self.parts.refresh()
        if deep:
            bad = [s.title for s, st in states if st == "corrupt"]
            self.statusBar().showMessage("Damaged: " + ", ".join(bad) if bad else "All model files verified", 6000)

    # -- dialogs (non-interactive in tests) -----------------------------------------------
    def confirm(self, title: str, text: str, default: bool = False) -> bool:
        """Yes / No; Enter answers `default` (No unless told: a replace or a delete needs a deliberate Yes)."""
        if not self.interactive:
            return True
        return question_box(self, title, text, default).exec() == QMessageBox.StandardButton.Yes

    def confirm_discard(self) -> bool:
        """Unsaved edits: Save project… / Discard / Cancel (exporting does not save them)."""
        return self.files.confirm_discard()

    def show_error(self, title: str, text: str) -> None:
        self.last_error = (title, text)
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0]}", 10000)
        if self.interactive:
            self._error_box = error_box(self, title, text, getattr(self, "_error_box", None))

    # -- drag and drop, close --------------------------------------------------------------
    def dragEnterEvent(self, e) -> None:  # noqa: N802
        urls = e.mimeData().urls() if e.mimeData().hasUrls() else []
        if urls and Path(urls[0].toLocalFile()).suffix.lower() in (*OPEN_EXTENSIONS, PROJECT_EXTENSION):
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:  # noqa: N802
        urls = e.mimeData().urls()
        if urls:
            self.files.open_path(urls[0].toLocalFile())

    def closeEvent(self, e) -> None:  # noqa: N802
        if not self.confirm_discard():
            e.ignore()
            return
        self.dispatcher.cancel_all()
        self.settings.setValue("geometry", self.saveGeometry())
        self.session.close()
        e.accept()
