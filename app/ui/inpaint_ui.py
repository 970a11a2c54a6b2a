"""Inpainting in the window: fill the mask layer with the chosen model as one undo step (the fill
and, optionally, clearing the mask), fill-on-release, model list from the manifest."""

from __future__ import annotations

import weakref

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QDockWidget, QScrollArea

from latentbrush.core.bbox import nonzero_bbox
from latentbrush.core.history import EditStep
from latentbrush.core.patches import PixelPatch
from latentbrush.core.requests import InpaintRequest
from latentbrush.session import catalog as methods
from latentbrush.ui.context import Window
from latentbrush.ui.fit import enclosing
from latentbrush.ui.panels.inpaint import BLEND_ITEMS, InpaintPanel

NO_FACE = "No face in this photo"        # the fill runner's info["fallback"] when the photo has none
NO_FACE_TIP = ("The generator prior fills faces: no face was found in this photo, so it would fill with "
               "Telea anyway. The completion network and the classical fills work on any image.")


NOTHING_TO_FILL = "Nothing to fill"


class InpaintUI:
    def __init__(self, window: Window) -> None:
        self.w = window
        self.panel = p = InpaintPanel()
        self._shown: tuple[int, str, bool] | None = None    # undo index, status-bar text of the last fill, a fill?
        self._reports: list[tuple[weakref.ref, tuple[str, str]]] = []     # a fill's undo step, its report
        p.fill_requested.connect(self.fill)
        p.paint_requested.connect(lambda: window.set_tool("mask"))
        p.clear_requested.connect(lambda: window.clear_layer("mask"))
        p.compare_toggled.connect(lambda on: window.before_after.setChecked(on))
        window.canvas.stroke_finished.connect(self._on_stroke)
        window.model.events.applied.connect(self._after_result)
        window.undo_stack.indexChanged.connect(self._on_index)
        self.refresh()

    def set_document(self, doc) -> None:
        self._say("")
        self._shown, self._reports = None, []
        self.panel.block(methods.PRIOR)            # a new photo: not known to lack a face

    def _on_index(self, index: int) -> None:
        """The fill's report goes once the fill is undone (or anything else happens); undoing the fill says
        that its mask is back (a helper painted the other half's strokes onto it and filled both)."""
        if self._shown is not None and index != self._shown[0] and shiboken6.isValid(self.w):
            doc = self.w.document
            back = self._shown[2] and index == self._shown[0] - 1 and doc is not None and doc.has_content("mask")
            self._say("The fill is undone and its mask is back: strokes you paint now add to it "
                      "(Clear mask starts over)." if back else "")
            if self.w.statusBar().currentMessage() == self._shown[1]:
                self.w.statusBar().clearMessage()
            self._shown = (index, "", False) if back else None     # (the next change takes that word away)
        history = self.w.undo_stack.history
        step = history.steps[index - 1] if 0 < index <= len(history.steps) else None
        said = next((r for ref, r in self._reports if ref() is step), None) if step is not None else None
        if said is not None and self._shown is None:
            self._say(*said)                      # a fill redone: its report again (a helper's had gone for good)
            self._shown = (index, "", True)

    def _say(self, text: str, details: str = "") -> None:
        """The panel's report, its tooltip the technical details (what the fill weighed, the seams)."""
        self.panel.status.setText(text)
        self.panel.status.setToolTip(details)

    def refresh(self) -> None:
        m = self.w.manifest
        self.panel.set_methods(methods.fill_methods(m), methods.default_method(m))

    def fill(self) -> None:
        doc = self.w.document
        if doc is None:
            return
        if not doc.has_content("mask"):
            self._say(f"{NOTHING_TO_FILL}: paint the area with the mask brush (M) first.")
            self.w.statusBar().showMessage("Paint a mask first", 4000)
            return
        method = self.panel.method() or None
        self._say("")
        self._show_panel()
        self.w.dispatcher.submit(InpaintRequest(model=method, blend=self.panel.blend_mode() or None),
                                 layers=("base", "mask"), label="Fill")

    def _scroll_to_report(self) -> None:
        """In a small window the dock scrolls and the report lay below its fold (a helper, 760×560)."""
        if not shiboken6.isValid(self.panel):
            return
        w = enclosing(self.panel, QScrollArea)
        if w is not None:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)   # the label's new height first
            w.ensureWidgetVisible(self.panel.status, 0, 4)

    def _show_panel(self) -> None:
        """Bring the Inpaint dock to the front (it shares a tab group with the other edits), so the
        fill's report is in view."""
        w = enclosing(self.panel, QDockWidget)
        if w is not None:
            w.raise_()

    def _on_stroke(self, tool: str) -> None:
        if tool == "mask" and self.panel.status.text().startswith(NOTHING_TO_FILL):
            self._say("")                   # a mask now: "Nothing to fill" had stayed up while it was painted
        if tool in ("mask", "mask_eraser") and self.panel.on_release.isChecked():
            self.fill()

    def _after_result(self, job, result) -> None:
        info = result.info
        if job.kind in ("project", "generate") and (info.get("faces") or job.kind == "generate"):
            self.panel.block(methods.PRIOR)          # a face now: the prior can be chosen again
        if job.kind != "inpaint":
            return
        if info.get("fallback") == NO_FACE:
            self.panel.block(methods.PRIOR, "no face in this photo", NO_FACE_TIP)
        self._say(_report(info, self.w.manifest), _details(info))
        QTimer.singleShot(0, self._scroll_to_report)        # once the label has its new height
        doc = self.w.document
        if self.panel.clear_after.isChecked() and doc is not None:    # one undo step: the fill and the mask cleared
            box = nonzero_bbox(doc.layer("mask"))
            if not box.is_empty():
                blank = doc.read("mask", box) * 0
                clear = EditStep("Clear mask", [PixelPatch.capture(doc, "mask", box, blank)])
                self.w.model.history.amend(clear, onto=self.w.model.last_step)
        self._shown = (self.w.undo_stack.index(), result.message, True)
        history = self.w.undo_stack.history
        if history.index > 0:
            self._reports = [(ref, r) for ref, r in self._reports[-49:] if ref() is not None]
            self._reports.append((weakref.ref(history.steps[history.index - 1]),
                                  (self.panel.status.text(), self.panel.status.toolTip())))


def _report(info: dict, manifest) -> str:
    """What the panel says after a fill, in the names the person chose from."""
    if info.get("fallback"):
        return f"{info['fallback']} — filled with Telea instead of the generator prior."
    titles = {m.id: m.title for m in methods.fill_methods(manifest)}
    how = f": {info['summary']}" if info.get("summary") else ""
    said = [*info.get("also", []), *(info["hint"].split("; ") if info.get("hint") else [])]     # a sentence each
    more = "".join(f" {n[:1].upper()}{n[1:]}." for n in said)
    return f"Filled with {titles.get(info.get('model'), info.get('model'))}{how}.{more}"


def _details(info: dict) -> str:
    """The panel's tooltip after a fill: what the fill weighed and how the seams were made."""
    if info.get("fallback"):
        return ""
    seams = {key: text for text, key in BLEND_ITEMS}.get(info.get("blend"), info.get("blend"))
    if info.get("blend") == "own":
        seams = "the fill's own (it carries the photo's lines and grain up to the hole's edge)"
    how = f"What the fill weighed: {info['structure']}. " if info.get("structure") else ""
    deep = (f" {round(100 * info['deep'])} % of the hole lies over {info['deep_px']} px from the unmasked picture."
            if "large hole" in info.get("hint", "") else "")
    return f"{how}Seams: {seams}.{deep}"
