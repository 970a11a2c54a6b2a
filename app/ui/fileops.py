"""Open / export / recent files for the main window."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import shiboken6
from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMenu, QMessageBox, QWidget

from latentbrush import APP_NAME
from latentbrush.core.atomic import said
from latentbrush.core.document import Document, DocumentInfo
from latentbrush.core.imageio import (
    OPEN_EXTENSIONS,
    ExportError,
    ImageLoadError,
    ImageTooLarge,
    OverwriteOriginalError,
    export_format,
    export_image,
    load_image,
    replace_losses,
)
from latentbrush.core.imagewrite import with_alpha
from latentbrush.core.projectfile import EXTENSION as PROJECT_EXT
from latentbrush.ui.context import Window

MAX_RECENT = 10
OPEN_FILTER = ("Images and projects (" + " ".join(f"*{e}" for e in OPEN_EXTENSIONS) + f" *{PROJECT_EXT});;"
               f"Latentbrush projects (*{PROJECT_EXT});;All files (*)")
PROJECT_FILTER = f"Latentbrush project (*{PROJECT_EXT})"
IMAGE_FILTER = "Images (" + " ".join(f"*{e}" for e in OPEN_EXTENSIONS) + ");;All files (*)"
EXPORT_FILTER = "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)"
T = TypeVar("T")


def with_filter_suffix(path: str, chosen: str) -> str:
    """A name typed with no extension gets the chosen file type's (a helper's "sknoext" with PNG chosen was
    refused: "cannot export to '(no extension)'")."""
    if Path(path).suffix or "*." not in chosen:
        return path
    return path + "." + chosen.split("*.", 1)[1].split()[0].rstrip(")")


@contextmanager
def busy(window: QWidget, text: str):
    """A wait cursor and `text` in the status bar, painted before the work that follows blocks the window (a
    24-MP PNG or project is written for seconds: a helper saw the window freeze with no word)."""
    window.statusBar().showMessage(text)
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()
        if window.statusBar().currentMessage() == text:
            window.statusBar().clearMessage()


def in_background(window: QWidget, text: str, work: Callable[[], T]) -> T:
    """`work()` (no Qt in it: reading or writing a file) on a thread of its own, under `busy`: the window keeps
    painting while it runs, and the person's input waits until it ends (so nothing changes under it). Returns
    what it returns, or raises what it raised. (A 24-MP PNG or project took seconds on the window's thread,
    which froze: no repaint, the closed dialog's hole left on screen, a helper found.)"""
    box: dict = {}

    def run() -> None:
        try:
            box["out"] = work()
        except BaseException as e:          # handed to the caller on the window's thread  # noqa: BLE001
            box["err"] = e

    thread = threading.Thread(target=run, name="latentbrush-file", daemon=True)
    with busy(window, text):
        thread.start()
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(25)
        timer.timeout.connect(lambda: None if thread.is_alive() else loop.quit())
        timer.start()
        if thread.is_alive():
            loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        timer.stop()
        thread.join()
    if "err" in box:
        raise box["err"]
    return box["out"]


def window_title(doc: Document | None) -> str:
    """The project's name once the session is saved or opened as a project, else the photo's."""
    if doc is None:
        return APP_NAME
    path = doc.info.project or doc.info.path
    return f"{path.name if path else 'Untitled'}[*] — {APP_NAME}"


def unsaved_dialog(parent: QWidget | None, text: str, detail: str, *, known: bool = False) -> QMessageBox:
    """Save project… / Discard / Cancel (Save is the default, Escape cancels); "Save project" with no dots where
    the session has its project file (`known`: saved there, nothing asked)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved edits", text,
                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                      | QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText(detail)
    box.button(QMessageBox.StandardButton.Save).setText("Save project" if known else "Save project…")
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    return box


def ask_unsaved(parent: QWidget | None, text: str, detail: str, *, known: bool = False) -> str:
    """The answer: "save", "discard" or "cancel"."""
    answer = unsaved_dialog(parent, text, detail, known=known).exec()
    return {QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")


class FileOps:
    def __init__(self, window: Window, settings: QSettings) -> None:
        self.w = window
        self.settings = settings
        # the last export: file, document, undo index (exported is not saved: see confirm_discard)
        self.exported: tuple[Path, weakref.ref[Document], int] | None = None
        stack = window.undo_stack
        for sig in (stack.indexChanged, stack.cleanChanged):
            sig.connect(self._show_modified)

    def _show_modified(self, *_a) -> None:
        """The title's [*]: only undo steps that change the document count (not finding the face)."""
        stack = self.w.undo_stack
        if shiboken6.isValid(stack) and shiboken6.isValid(self.w):     # (not while the window is destroyed)
            self.w.setWindowModified(self.w.model.history.is_modified)

    # -- unsaved edits -----------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """Before the document goes away (quit, open, new): True to go on. Exporting an image does
        not count as saving: the edit history and latent state live only in a project file."""
        w = self.w
        if w.document is None or not w.model.history.is_modified:
            return True
        if not w.interactive:
            return True
        name = w.document.info.path.name if w.document.info.path else "the image"
        detail = "Save the session (layers, undo history, the face's edit settings) as a project to keep them."
        if self.exported is not None and self.exported[1]() is w.document and self.exported[2] == w.undo_stack.index():
            detail = (f"The image was exported to {self.exported[0].name}, but the undo history is kept only in "
                      "a project file. " + detail)      # ("latent state" was jargon to a helper)
        project = w.document.info.project     # a session opened from (or saved as) a project names it (helper 55)
        text = (f"{project.name} has edits that are not saved." if project is not None else
                f"The edits to {name} are not saved as a project.")
        answer = ask_unsaved(w, text, detail, known=project is not None)
        if answer == "save":
            return self.save_project()       # to its project file, or asks where (cancelling that cancels too)
        return answer == "discard"

    # -- open --------------------------------------------------------------------------
    def open_dialog(self) -> None:
        start = str(self.settings.value("last_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self.w, "Open image", start, OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Load an image (or a project file) as the new document. On any failure: a message,
        nothing changes."""
        path = Path(path)
        if path.suffix.lower() == PROJECT_EXT:
            ok = self.w.session.open_project(path)
            if ok:
                self.settings.setValue("last_dir", str(path.parent))
                self.add_recent(path)
            return ok
        if not self.w.confirm_discard():
            return False
        try:
            loaded = in_background(self.w, f"Opening {said(path.name)}…", lambda: load_image(path))
        except ImageTooLarge as e:
            if not e.can_downscale:        # refused outright: do not offer what would be refused
                self.w.show_error("Cannot open image", str(e))
                return False
            if not self.w.confirm("Very large image", f"{e.too_many}\n\nOpen it downscaled (to at most "
                                                      f"{e.limit / 1e6:.0f} megapixels)?", default=True):
                return False
            try:
                limit = e.limit
                loaded = in_background(self.w, f"Opening {said(path.name)} downscaled…",
                                       lambda: load_image(path, downscale_to=limit))
            except ImageLoadError as e2:
                self.w.show_error("Cannot open image", str(e2))
                return False
        except ImageLoadError as e:
            if not path.exists():       # gone since: it leaves the recent list
                self.settings.setValue("recent_files", [p for p in self.recent() if Path(p) != path.resolve()])
            self.w.show_error("Cannot open image", str(e))
            return False
        info = DocumentInfo(path=path, icc_profile=loaded.icc_profile, notices=loaded.notices,
                            source_format=loaded.format, exif=loaded.exif, alpha=loaded.alpha)
        self.w.set_document(Document(loaded.pixels, info))
        self.settings.setValue("last_dir", str(path.parent))
        self.add_recent(path)
        if loaded.notices:
            self.w.statusBar().showMessage("; ".join(loaded.notices), 8000)
        return True

    # -- recent ------------------------------------------------------------------------
    def recent(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):       # a hand-edited or damaged settings file
            return []
        return [str(v) for v in value if isinstance(v, str) and v][:MAX_RECENT]

    def add_recent(self, path: Path) -> None:
        items = [str(path.resolve())] + [p for p in self.recent() if p != str(path.resolve())]
        self.settings.setValue("recent_files", items[:MAX_RECENT])

    def fill_recent_menu(self, menu: QMenu) -> None:
        menu.clear()
        items = self.recent()
        for p in items:
            name = Path(p).name
            act = menu.addAction(said(name))
            act.setToolTip(p)
            act.triggered.connect(lambda _=False, p=p: self.open_path(p))
        if not items:
            menu.addAction("(none)").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear list", lambda: self.settings.setValue("recent_files", []))

    # -- projects ----------------------------------------------------------------------
    def save_project(self) -> bool:
        """Save (Ctrl+S): to the project this session was opened from or last saved as, without asking (a
        helper's Ctrl+S opened the file dialog and asked to replace the project every time); the first time, where."""
        doc = self.w.document
        if doc is not None and doc.info.project is not None:
            return self.w.session.save_project(doc.info.project)
        return self.save_project_dialog()

    def save_project_dialog(self) -> bool:
        """True when the project was saved (False: no document, dialog cancelled, or it failed)."""
        doc = self.w.document
        if doc is None:
            return False
        start = Path(str(self.settings.value("last_dir", str(Path.home()))))
        stem = doc.info.path.stem if doc.info.path else "untitled"
        suggested = doc.info.project or start / (stem + PROJECT_EXT)
        path, _ = QFileDialog.getSaveFileName(self.w, "Save project", str(suggested), PROJECT_FILTER)
        if not path:
            return False
        # the dialog asks before replacing the name as typed; the extension is added after it (a helper's
        # "p1" replaced p1.lbproj, another session, without a word)
        final = Path(path) if Path(path).suffix.lower() == PROJECT_EXT else Path(path + PROJECT_EXT)
        if final != Path(path) and final.exists() and final != doc.info.project and not self.w.confirm(
                "Replace the project?",
                f"{final.name} already exists in {final.parent}. Replace it with this session?"):
            return False
        return self.w.session.save_project(final)

    # -- new -------------------------------------------------------------------------------
    def new_blank_dialog(self) -> None:
        if not self.w.confirm_discard():          # asked first, before the size (a helper found the reverse odd)
            return
        last = str(self.settings.value("blank_size", "768 × 512"))
        text, ok = QInputDialog.getText(self.w, "New blank canvas", "Width × height (pixels):", text=last)
        if not ok:
            return
        try:
            width, height = blank_size(text)
        except ValueError as e:
            self.w.show_error("New blank canvas", str(e))
            return
        self.settings.setValue("blank_size", f"{width} × {height}")
        self.w.new_blank(width, height, confirmed=True)

    # -- export ------------------------------------------------------------------------
    def export_dialog(self) -> None:
        doc = self.w.document
        if doc is None:
            return
        name = doc.info.path.stem + "-edited.png" if doc.info.path else "latentbrush.png"
        # the folder of the last export; the first time (or if it is gone), the photo's own folder
        folders = [self.settings.value("last_export_dir"), doc.info.path.parent if doc.info.path else None,
                   self.settings.value("last_dir")]
        base = next((Path(str(f)) for f in folders if f and Path(str(f)).is_dir()), Path.home()) / name
        # (the dialog's own "replace?" is off: the opened photo gets its own question below, once)
        path, chosen = QFileDialog.getSaveFileName(self.w, "Export image", str(base), EXPORT_FILTER, "",
                                                   QFileDialog.Option.DontConfirmOverwrite)
        if not path:
            return
        path = with_filter_suffix(path, chosen)
        quality = 92
        try:
            fmt = export_format(path)
        except ExportError as e:
            self.w.show_error("Cannot export", str(e))
            return
        replace = self._is_original(path)
        if replace and not self._confirm_replace(path, fmt):     # asked first, before the quality
            return
        if not replace and Path(path).exists() and not self.w.confirm(
                "Replace the file?", f"{Path(path).name} already exists. Replace it?"):
            return
        if fmt in ("JPEG", "WEBP"):
            quality, ok = QInputDialog.getInt(self.w, "Export quality", f"{fmt} quality (1–100):",
                                              int(self.settings.value("export_quality", 92)), 1, 100)
            if not ok:
                return
            self.settings.setValue("export_quality", quality)
        self.export_to(path, quality=quality, replace_original=replace)
        self.w.canvas.setFocus()        # the keys (Ctrl+Z) go to the canvas again after the dialogs
    def _is_original(self, path: str | Path) -> bool:
        orig = self.w.document.info.path if self.w.document is not None else None
        try:
            return orig is not None and Path(path).exists() and Path(path).resolve() == Path(orig).resolve()
        except OSError:
            return False

    def _confirm_replace(self, path: str | Path, fmt: str) -> bool:
        """Asks before the opened photo is written over, saying what it would lose beyond the edit (its
        full size where it was opened downscaled, its transparency, its 16 bits: a helper's replaced
        originals lost them without a word)."""
        doc = self.w.document
        lossy = (f" A {fmt} is encoded again: its pixels change slightly everywhere, not only where you "
                 "edited (export as PNG to keep them exact).") if fmt in ("JPEG", "WEBP") else ""
        lost = replace_losses(doc.info.notices, keeps_alpha=fmt != "JPEG") if doc is not None else []
        words = (" The file would lose " + "; ".join(lost) + ". Export to a new name to keep the original as it is."
                if lost else "")
        what = "the edit" if self.w.model.history.is_modified else "the image as shown"
        return self.w.confirm("Replace the original?",
                              f"{Path(path).name} is the photo you opened. Replace it with {what}?{words}{lossy}")

    def export_to(self, path: str | Path, *, quality: int = 92, replace_original: bool = False) -> bool:
        doc = self.w.document
        if doc is None:
            return False
        pixels = doc.composite(with_scribbles=self.w.export_scribbles)
        alpha = doc.info.alpha
        flat = alpha is not None and Path(path).suffix.lower() in (".jpg", ".jpeg")
        if alpha is not None and not flat and alpha.shape == pixels.shape[:2]:
            # the photo's transparency (its colours are already on white: what a JPEG gets as they are)
            pixels = with_alpha(pixels, alpha)
        kwargs = dict(quality=quality, icc_profile=doc.info.icc_profile, protected=doc.info.path, exif=doc.info.exif)
        try:
            try:
                out = in_background(self.w, f"Exporting {said(Path(path).name)}…", lambda: export_image(
                    pixels, path, overwrite_protected=replace_original, **kwargs))
            except OverwriteOriginalError:
                if not self._confirm_replace(path, export_format(path)):
                    return False
                out = in_background(self.w, f"Exporting {said(Path(path).name)}…", lambda: export_image(
                    pixels, path, overwrite_protected=True, **kwargs))
        except ExportError as e:
            kept = "The file on disk was not changed." if Path(path).exists() else "Nothing was written."
            self.w.show_error("Export failed", f"{e}\n\n{kept}")
            return False
        # exported is not saved: the quit prompt still offers to save the project
        self.exported = (Path(out), weakref.ref(doc), self.w.undo_stack.index())
        self.settings.setValue("last_export_dir", str(Path(out).parent))
        flat_said = " (a JPEG has no transparency: the transparent parts are white; PNG or WebP keep them)"
        self.w.statusBar().showMessage(f"Exported {out}" + (flat_said if flat else ""), 8000)
        return True


BLANK_MAX = 8192


def blank_size(text: str) -> tuple[int, int]:
    """"768 × 512", "768x512", "768 512" → (768, 512); ValueError with what to type otherwise."""
    parts = [p for p in text.replace("×", " ").replace("x", " ").replace("X", " ").replace(",", " ").split() if p]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"“{text.strip()}” is not a size: type the width and height in pixels, e.g. 768 × 512")
    w, h = int(parts[0]), int(parts[1])
    if not (16 <= w <= BLANK_MAX and 16 <= h <= BLANK_MAX):
        raise ValueError(f"a canvas is 16 to {BLANK_MAX} pixels on each side; {w} × {h} is not")
    return w, h
