"""Inpainting in the window: fill the mask layer with the chosen model as one undo step (the fill
and, optionally, clearing the mask), fill-on-release, model list from the manifest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.bbox import nonzero_bbox
from app.core.patches import PixelPatch
from app.ml.inpaint import methods
from app.ui.commands import PatchCommand
from app.ui.panels.inpaint import InpaintPanel

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class InpaintUI:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.panel = p = InpaintPanel()
        self._macro = False
        p.fill_requested.connect(self.fill)
        p.paint_requested.connect(lambda: window.set_tool("mask"))
        p.clear_requested.connect(lambda: window.clear_layer("mask"))
        p.compare_toggled.connect(lambda on: window.before_after.setChecked(on))
        window.canvas.stroke_finished.connect(self._on_stroke)
        window.jobs.before_result.append(self._before_result)
        window.jobs.after_result.append(self._after_result)
        self.refresh()

    def refresh(self) -> None:
        m = self.w.manifest
        self.panel.set_methods(methods.fill_methods(m), methods.default_method(m))

    def fill(self) -> None:
        doc = self.w.document
        if doc is None:
            return
        if not doc.has_content("mask"):
            self.panel.status.setText("Nothing to fill: paint the area with the mask brush (M) first.")
            self.w.statusBar().showMessage("Paint a mask first", 4000)
            return
        method = self.panel.method() or None
        self.panel.status.setText("")
        self.w.dispatcher.submit("inpaint", params={"model": method, "blend": self.panel.blend_mode() or None},
                                 layers=("base", "mask"), label="Fill")

    def _on_stroke(self, tool: str) -> None:
        if tool in ("mask", "mask_eraser") and self.panel.on_release.isChecked():
            self.fill()

    # one undo step: the fill, then (if asked) the mask cleared
    def _before_result(self, job, result) -> None:
        if job.kind == "inpaint" and self.panel.clear_after.isChecked():
            self.w.undo_stack.beginMacro(job.label)
            self._macro = True

    def _after_result(self, job, result) -> None:
        if job.kind != "inpaint":
            return
        info = result.info
        self.panel.status.setText(f"Filled with {info.get('model')} ({info.get('blend')} seams).")
        if self._macro:
            doc = self.w.document
            box = nonzero_bbox(doc.layer("mask"))
            if not box.is_empty():
                blank = doc.read("mask", box) * 0
                self.w.undo_stack.push(PatchCommand(doc, PixelPatch.capture(doc, "mask", box, blank), "Clear mask"))
            self.w.undo_stack.endMacro()
            self._macro = False
