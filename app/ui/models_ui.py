"""Generate and translate in the window: a new face, a face into the selection, a translator over
the image (or the mask, or a sketch into a square)."""

from __future__ import annotations

import random
from dataclasses import replace

from latentbrush.core.requests import GenerateRequest, TranslateRequest
from latentbrush.ui.canvas.view import FAINT
from latentbrush.ui.context import Window


class ModelEditsUI:
    def __init__(self, window: Window) -> None:
        self.w = window
        self._last_generate: tuple[int, int, int, int] | None = None
        self._sketches = 0          # each "Draw from sketch" starts the refinement from other random latents
        self._drawn: list = []      # the undo steps of faces drawn from lines (while in the history)
        self._shown = False         # whether one of them is applied (its lines then faint)
        window.model.events.applied.connect(self._on_result)
        window.undo_stack.indexChanged.connect(self._on_index)
        window.canvas.stroke_finished.connect(self._on_stroke)

    def _on_stroke(self, tool: str) -> None:
        if tool in ("brush", "eraser"):
            self._sketches = 0      # new lines: the first face drawn from them starts from the translator's guess

    def set_document(self, doc) -> None:
        self._sketches, self._drawn, self._shown = 0, [], False

    def _on_result(self, job, result) -> None:
        if job.kind == "translate" and "scribble" in job.inputs:
            self.w.canvas.set_faded("scribble", True, FAINT)       # the face drawn from the lines is what to see
            if self.w.model.last_step is not None:
                self._drawn.append(self.w.model.last_step)
            self._shown = True

    def _on_index(self, index: int) -> None:
        """While a face drawn from the lines is applied they stay faint; once every such face is undone
        they come back at full strength (faded, they were all but invisible on a light photo, a helper
        found), and fade again on redo. Acts only when that changes (scribble edits fade them too)."""
        if not self._drawn:
            return
        stack = self.w.undo_stack
        steps = [stack.command(i) for i in range(stack.count())]
        self._drawn = [d for d in self._drawn if any(d is s for s in steps)]
        shown = any(d is s for d in self._drawn for s in steps[:index])
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
        seed = random.randrange(2**31)
        self.w.generate_panel.seed.setValue(seed)
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
        sketch = bool(model_id) and panel.is_sketch()
        self.w.dispatcher.submit(req, layers=layers, label="Sketch → face" if sketch else "Translate")
