"""Generate and translate in the window: a new face, a face into the selection, a translator over
the image (or the mask, or a sketch into a square)."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget

from latentbrush.core.patches import PixelPatch, faded
from latentbrush.core.requests import GenerateRequest, TranslateRequest
from latentbrush.ui.canvas.view import FAINT
from latentbrush.ui.context import Window
from latentbrush.ui.fit import enclosing

SKETCH_STEP = "Sketch → face"       # the undo step of a face drawn from lines (its lines are shown faint)


class ModelEditsUI:
    def __init__(self, window: Window) -> None:
        self.w = window
        self._last_generate: tuple[int, int, int, int] | None = None
        self._sketches = 0          # each "Draw from sketch" starts the refinement from other random latents
        self._shown = False         # whether one of them is applied (its lines then faint)
        self._fade: tuple | None = None     # (undo step, its pixels at full strength): the newest translation
        self._fade_timer = QTimer(window, singleShot=True, interval=100)
        self._fade_timer.timeout.connect(self._refade)
        window.model.events.applied.connect(self._on_result)
        window.undo_stack.indexChanged.connect(self._on_index)
        window.canvas.stroke_finished.connect(self._on_stroke)
        window.translate_panel.strength.valueChanged.connect(lambda _v: self._fade_timer.start())

    def translate_menu(self, menu) -> None:
        """Models → Apply translation: one item per translator of the Model edits panel (the menu had the
        vintage one alone; a helper found no keyboard way to the pencil sketch). A sketch model brings its
        panel up instead (the lines must be drawn first)."""
        def fill() -> None:
            menu.clear()
            panel = self.w.translate_panel
            for i in range(panel.model.count()):
                menu.addAction(panel.model.itemText(i), lambda i=i: self._translate_item(i))
            if not menu.actions():
                menu.addAction("(no translator models)").setEnabled(False)
        menu.aboutToShow.connect(fill)
        fill()

    def _translate_item(self, i: int) -> None:
        panel = self.w.translate_panel
        panel.model.setCurrentIndex(i)
        if panel.is_sketch():
            dock = enclosing(panel, QDockWidget)
            if dock is not None:
                dock.raise_()
            self.w.statusBar().showMessage("Draw the face's lines with the color brush (B), then Draw from sketch",
                                           6000)
            return
        self.translate(panel.model.currentData() or "", panel.strength.value())

    def _on_stroke(self, tool: str) -> None:
        if tool in ("brush", "eraser"):
            self._sketches = 0      # new lines: the first face drawn from them starts from the translator's guess

    def set_document(self, doc) -> None:
        self._sketches, self._shown, self._fade = 0, False, None
        if doc is not None:
            QTimer.singleShot(0, lambda: self._on_index(self.w.undo_stack.index()))   # a project: its history's faces

    def _refade(self) -> None:
        """Strength moved after a translation: while it is the newest edit, show it at the new strength
        (the same undo step; a helper found the slider did nothing until the next run)."""
        step = self._fade[0] if self._fade is not None else None
        s = self.w.translate_panel.strength.value()
        if step is None or len(step.patches) != 1:
            # (nothing to fade: say what the slider does, a helper moved it after another edit and saw nothing)
            self.w.statusBar().showMessage(f"Strength {s:.0%}: for the next translation", 3000)
            return
        p = step.patches[0]
        after = faded(p.before, self._fade[1], s)
        if np.array_equal(after, p.after):
            return
        if self.w.undo_stack.history.rework_newest(step, [PixelPatch(p.layer, p.bbox, p.before, after)]):
            self.w.statusBar().showMessage(f"{step.text} at {s:.0%} strength", 3000)
        else:
            stack = self.w.undo_stack
            at = next((i for i in range(stack.count()) if stack.command(i) is step), None)
            why = "was undone" if at is not None and at >= stack.index() else "is no longer the newest edit"
            self.w.statusBar().showMessage(f"Strength {s:.0%}: for the next translation (the last one {why})", 4000)

    def _on_result(self, job, result) -> None:
        if job.kind == "generate":      # (applied: a new face declined over unsaved edits leaves the field alone)
            self.w.generate_panel.seed.setValue(int(job.request.seed))
        full = result.info.get("full_strength")
        step = self.w.model.last_step
        if step is not None:            # a new undo step: the translation (if any) is no longer the newest
            self._fade = None
        if job.kind == "translate" and full is not None and step is not None and len(step.patches) == 1 \
                and step.patches[0].after.shape == full.shape:
            self._fade = (step, full)
            if abs(self.w.translate_panel.strength.value() - float(job.request.strength)) > 1e-6:
                self._fade_timer.start()        # the slider moved while it ran: the result follows it
        if job.kind == "translate" and "scribble" in job.inputs:
            self.w.canvas.set_faded("scribble", True, FAINT)       # the face drawn from the lines is what to see
            self._shown = True

    @property
    def sketch_shown(self) -> bool:
        """Whether a face drawn from the lines is applied (its lines are then drawn faint)."""
        return self._shown

    def _on_index(self, index: int) -> None:
        """While a face drawn from the lines is applied they stay faint; once every such face is undone
        they come back at full strength (faded, they were all but invisible on a light photo, a helper
        found), and fade again on redo. Acts only when that changes (scribble edits fade them too)."""
        stack = self.w.undo_stack
        steps = [stack.command(i) for i in range(stack.count())]
        if self._fade is not None and not any(self._fade[0] is s for s in steps):
            self._fade = None           # its step left the history: the full-strength pixels go with it
        # (told by the step's name, which a project keeps: reopened, the lines were drawn at full strength over
        # the face, a helper found)
        shown = any(getattr(s, "text", "") == SKETCH_STEP for s in steps[:index])
        if shown != self._shown:
            self._shown = shown
            if shown:
                self.w.canvas.set_faded("scribble", True, FAINT)
            else:
                self.w.canvas.set_faded("scribble", False)

    def new_face(self, seed: int | None = None) -> None:
        seed = random.randrange(2**31) if seed is None else seed
        self._last_generate = None
        self.w.dispatcher.submit(GenerateRequest(seed=seed), label="New face")

    def generate_into(self, seed: int | None = None) -> None:
        if self.w.document is None:
            return self.new_face(seed)
        seed = random.randrange(2**31) if seed is None else seed
        box = self.w.selection or self.w.document.bounds
        self._last_generate = tuple(box)
        self.w.dispatcher.submit(GenerateRequest(seed=seed, bbox=tuple(box)), layers=("base",), label="Generate face")

    def randomize(self) -> None:
        seed = random.randrange(2**31)      # shown in the Seed field once the face is there (not if declined)
        if self._last_generate is not None and self.w.document is not None:
            self.w.dispatcher.submit(GenerateRequest(seed=seed, bbox=self._last_generate), layers=("base",),
                                     label="Generate face")
        else:
            self.new_face(seed)

    def translate(self, model_id: str, strength: float) -> None:
        if self.w.document is None:
            return
        panel = self.w.translate_panel
        req = TranslateRequest(model=model_id or None, strength=strength)
        layers: tuple[str, ...] = ("base",)
        inputs = None
        if model_id and panel.is_sketch():
            # the face is made for the square around the lines, within the selection where there is one
            req = replace(req, bbox=tuple(self.w.selection) if self.w.selection is not None else None,
                          seed=self._sketches)      # the same lines again: another face (a helper got the same one)
            self._sketches += 1
            layers = ("base", "scribble")
        elif panel.only_mask.isChecked():
            if not self.w.document.has_content("mask"):
                self.w.statusBar().showMessage("“Only inside the mask”: paint a mask first (M)", 5000)
                return
            req = replace(req, only_region=True)
            layers = ("base", "mask")
        elif self.w.selection is not None and not self.w.selection.is_empty():
            # the selection limits it as a mask does (a helper's box round a cup sketched the whole photo)
            doc = self.w.document
            region = np.zeros((doc.height, doc.width), np.uint8)
            region[self.w.selection.slices] = 255
            req = replace(req, only_region=True)
            inputs = {"mask": region}
        sketch = bool(model_id) and panel.is_sketch()
        spec = self.w.manifest.specs.get(model_id) if model_id else None
        # (the undo step says which translator: every one read "Undo Translate", a helper found)
        label = SKETCH_STEP if sketch else f"Translate: {spec.title}" if spec is not None else "Translate"
        self.w.dispatcher.submit(req, layers=layers, inputs=inputs, label=label)
