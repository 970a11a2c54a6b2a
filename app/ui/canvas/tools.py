"""Canvas tools. A tool receives image coordinates (floats) from the view and edits the document
only through undo steps (EditStep pushed onto the history)."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from latentbrush.core.bbox import BBox
from latentbrush.core.brush import BrushSpec, Mode, Stroke
from latentbrush.core.document import Document
from latentbrush.core.history import EditStep, stroke_token

Point = tuple[float, float]


class ToolContext(Protocol):
    document: Document | None
    undo_stack: Any                 # push(EditStep)

    def brush(self) -> BrushSpec: ...
    def color(self) -> tuple[int, int, int]: ...
    def part_label(self) -> int: ...
    def set_color(self, rgb: tuple[int, int, int]) -> None: ...
    def set_selection(self, box: BBox | None) -> None: ...
    def show_layer(self, name: str) -> None: ...


class Tool:
    name = "tool"
    label = "Tool"
    shortcut = ""
    paints = False          # shows a brush-size cursor

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    def press(self, pos: Point, erase: bool = False) -> None: ...
    def move(self, pos: Point) -> None: ...
    def release(self, pos: Point) -> None: ...

    @property
    def active(self) -> bool:
        return False


class PaintTool(Tool):
    """Paints (or, with erase=True / the right button, erases) one layer."""

    layer = "scribble"
    mode: Mode = "paint"
    paints = True
    verb = "Paint"

    def __init__(self, ctx: ToolContext) -> None:
        super().__init__(ctx)
        self._stroke: Stroke | None = None
        self._token = 0
        self._text = ""

    def value(self) -> tuple[int, ...] | int:
        return (*self.ctx.color(), 255)

    def press(self, pos: Point, erase: bool = False) -> None:
        doc = self.ctx.document
        if doc is None:
            return
        mode: Mode = "erase" if (erase or self.mode == "erase") else "paint"
        self.ctx.show_layer(self.layer)             # what is painted is seen
        self._stroke = Stroke(doc.layer(self.layer), self.layer, self.ctx.brush(), mode, self.value())
        self._token = stroke_token()
        what = {"scribble": "strokes", "mask": "mask", "parts": "part labels"}.get(self.layer, self.layer)
        painted = {"scribble": "Color stroke", "mask": "Mask stroke", "parts": "Part labels"}
        self._text = f"Erase {what}" if mode == "erase" else painted.get(self.layer, f"{self.verb} {what}")
        self._extend(pos)

    def move(self, pos: Point) -> None:
        if self._stroke is not None:
            self._extend(pos)

    def release(self, pos: Point) -> None:
        if self._stroke is not None:
            self._extend(pos)
            self._stroke = None

    @property
    def active(self) -> bool:
        return self._stroke is not None

    def _extend(self, pos: Point) -> None:
        patch = self._stroke.move_to(pos) if self._stroke else None
        doc = self.ctx.document
        if patch is not None and doc is not None:
            self.ctx.undo_stack.push(EditStep(self._text, [patch], token=self._token))


class BrushTool(PaintTool):
    name, label, shortcut, verb = "brush", "Color brush", "B", "Scribble"


class EraserTool(PaintTool):
    name, label, shortcut, mode = "eraser", "Eraser", "E", "erase"

    def __init__(self, ctx: ToolContext, layer: str = "scribble") -> None:
        super().__init__(ctx)
        self.layer = layer


class MaskEraserTool(EraserTool):
    name, label, shortcut, mode = "mask_eraser", "Mask eraser", "Shift+M", "erase"

    def __init__(self, ctx: ToolContext) -> None:
        super().__init__(ctx, "mask")


class MaskTool(PaintTool):
    name, label, shortcut, layer, verb = "mask", "Mask brush", "M", "mask", "Mask"

    def value(self) -> int:
        return 255


class PartsTool(PaintTool):
    name, label, shortcut, layer, verb = "parts", "Parts brush", "P", "parts", "Label"

    def value(self) -> int:
        return self.ctx.part_label()


class PickerTool(Tool):
    name, label, shortcut = "picker", "Color picker", "I"

    def press(self, pos: Point, erase: bool = False) -> None:
        self._pick(pos)

    def move(self, pos: Point) -> None:
        pass

    def _pick(self, pos: Point) -> None:
        doc = self.ctx.document
        if doc is None:
            return
        x, y = int(pos[0]), int(pos[1])
        if 0 <= x < doc.width and 0 <= y < doc.height:
            base = doc.layer("base")[y, x].astype(np.float64)
            scribble = doc.layer("scribble")[y, x].astype(np.float64)
            a = scribble[3] / 255.0
            px = base * (1 - a) + scribble[:3] * a      # what the canvas shows there
            self.ctx.set_color(tuple(int(v + 0.5) for v in px))


class SelectTool(Tool):
    """Drag a rectangle: the region that region-limited edits (e.g. generate face) target."""

    name, label, shortcut = "select", "Rectangle select", "S"

    def __init__(self, ctx: ToolContext) -> None:
        super().__init__(ctx)
        self._start: Point | None = None

    @property
    def active(self) -> bool:
        return self._start is not None

    def _box(self, pos: Point) -> BBox | None:
        doc = self.ctx.document
        if doc is None or self._start is None:
            return None
        xs, ys = np.sort([self._start[0], pos[0]]), np.sort([self._start[1], pos[1]])
        box = BBox(int(round(xs[0])), int(round(ys[0])), int(round(xs[1])), int(round(ys[1])))
        box = box.clip(doc.width, doc.height)
        return None if box.width < 2 or box.height < 2 else box

    def press(self, pos: Point, erase: bool = False) -> None:
        self._start = pos
        self.ctx.set_selection(None)

    def move(self, pos: Point) -> None:
        if self._start is not None:
            self.ctx.set_selection(self._box(pos))

    def release(self, pos: Point) -> None:
        if self._start is not None:
            self.ctx.set_selection(self._box(pos))
        self._start = None
