"""CanvasView: the photo and its layers, zoom (wheel, fit, 100 %), pan (space-drag, middle
button), a brush cursor, worker previews, the selection, and a before/after toggle."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QImage, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QWidget

from latentbrush.core.bbox import BBox
from latentbrush.core.document import Document
from latentbrush.ui.canvas.marks import draw_face_numbers
from latentbrush.ui.canvas.overlays import Overlays, qimage_copy
from latentbrush.ui.canvas.tools import Tool

MIN_SCALE, MAX_SCALE = 1 / 64, 64.0


FADED = 0.22        # opacity of a faded paint layer
FAINT = 0.08        # … of the lines a face was drawn from (at FADED they outlined the face: a helper, stop 43)


class CanvasView(QWidget):
    zoom_changed = Signal(float)
    cursor_moved = Signal(int, int)
    stroke_finished = Signal(str)      # tool name, after a paint tool's mouse release

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 240)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.doc: Document | None = None
        self.overlays: Overlays | None = None
        self.face_boxes: list[BBox] = []
        self.face_current = -1
        self._unsubscribe = None
        self.scale = 1.0
        self.offset = QPointF(0, 0)
        self.tool: Tool | None = None
        self.brush_size = 24.0
        self.show_original = False
        self.visible = {"scribble": True, "mask": True, "parts": True, "partmap": True}
        self.faded: set[str] = set()     # layers drawn faint (strokes once their edit is shown) …
        self._fade: dict[str, float] = {}    # … at this opacity
        self.region_corners: list[tuple[float, float]] | None = None
        self.part_colors = None
        self.selection: BBox | None = None
        self.region: BBox | None = None          # the latent edit region, drawn as a corner frame
        self._preview: tuple[QImage, BBox] | None = None
        self._mouse: QPointF | None = None
        self._pan_anchor: QPointF | None = None
        self._space = False
        self._fit_pending = True
        self._maybe_content: dict[str, bool] = {}

    # -- document ----------------------------------------------------------------------
    def set_document(self, doc: Document | None) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self.doc = doc
        self.overlays = Overlays(doc, part_colors=self.part_colors) if doc is not None else None
        self._preview = None
        self.selection = None
        # which overlay layers may hold pixels: scanned once here, then set by change events,
        # so a repaint (every mouse move while painting) never scans whole layers
        self._maybe_content = ({n: doc.has_content(n) for n in self.visible if n != "partmap"}
                               if doc is not None else {})
        if doc is not None:
            self._unsubscribe = doc.subscribe(self._on_changed)
        self.fit()

    def _on_changed(self, layer: str, bbox: BBox) -> None:
        self._maybe_content[layer] = True
        if self.overlays is not None and layer in ("mask", "parts"):
            self.overlays.refresh(layer, bbox)
        self.update(self.widget_rect(bbox).adjusted(-2, -2, 2, 2))

    def set_part_colors(self, colors) -> None:
        self.part_colors = colors
        if self.overlays is not None:
            self.overlays.set_part_colors(colors)
            self.update()

    def set_part_map(self, labels: np.ndarray | None) -> None:
        if self.overlays is None:
            return
        self.overlays.set_part_map(labels)
        self._maybe_content["partmap"] = self.overlays.has_part_map
        self.update()

    def set_preview(self, pixels: np.ndarray | None, bbox: BBox | None = None) -> None:
        if pixels is None or self.doc is None:
            self._preview = None
        else:
            box = bbox or self.doc.bounds
            self._preview = (qimage_copy(pixels), box)
        self.update()

    def set_selection(self, box: BBox | None) -> None:
        self.selection = box
        self.update()

    def set_faded(self, layer: str, faded: bool, opacity: float = FADED) -> None:
        """Draw a paint layer faint (e.g. the color strokes once the edit they asked for is shown)."""
        if (layer in self.faded) != faded or (faded and self._fade.get(layer) != opacity):
            (self.faded.add if faded else self.faded.discard)(layer)
            self._fade[layer] = opacity
            self.update()

    def set_face_numbers(self, boxes: list[BBox], current: int = -1) -> None:
        """The faces found in the photo (largest first), numbered on the canvas when there are several."""
        self.face_boxes, self.face_current = list(boxes), current
        self.update()

    def set_region(self, box: BBox | None, corners: list[tuple[float, float]] | None = None) -> None:
        """The edit region; `corners` (image coordinates, clockwise from top-left) when the face was
        aligned, so the marks follow the tilted square the generator sees."""
        self.region = box
        self.region_corners = corners
        self.update()

    def _draw_region(self, p: QPainter) -> None:
        b = self.region
        pts = self.region_corners or [(b.x0, b.y0), (b.x1, b.y0), (b.x1, b.y1), (b.x0, b.y1)]
        w = [self.to_widget(x, y) for x, y in pts]
        side = math.hypot(w[1].x() - w[0].x(), w[1].y() - w[0].y())
        c = min(18.0, side / 4)
        for color, width in ((QColor(0, 0, 0, 160), 3.5), (QColor(120, 200, 255), 1.8)):
            p.setPen(QPen(color, width))
            for i, q in enumerate(w):
                for n in (w[(i + 1) % 4], w[(i - 1) % 4]):
                    d = math.hypot(n.x() - q.x(), n.y() - q.y()) or 1.0
                    p.drawLine(q, QPointF(q.x() + (n.x() - q.x()) * c / d, q.y() + (n.y() - q.y()) * c / d))

    def set_show_original(self, on: bool) -> None:
        self.show_original = on
        self.update()

    # -- coordinates -------------------------------------------------------------------
    def to_image(self, p: QPointF) -> tuple[float, float]:
        return ((p.x() - self.offset.x()) / self.scale, (p.y() - self.offset.y()) / self.scale)

    def to_widget(self, x: float, y: float) -> QPointF:
        return QPointF(x * self.scale + self.offset.x(), y * self.scale + self.offset.y())

    def widget_rect(self, b: BBox) -> QRect:
        tl, br = self.to_widget(b.x0, b.y0), self.to_widget(b.x1, b.y1)
        return QRect(math.floor(tl.x()), math.floor(tl.y()),
                     math.ceil(br.x() - tl.x()) + 1, math.ceil(br.y() - tl.y()) + 1)

    # -- zoom & pan --------------------------------------------------------------------
    def set_scale(self, scale: float, anchor: QPointF | None = None) -> None:
        scale = min(MAX_SCALE, max(MIN_SCALE, scale))
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        ix, iy = self.to_image(anchor)
        self.scale = scale
        self.offset = QPointF(anchor.x() - ix * scale, anchor.y() - iy * scale)
        self._fit_pending = False
        self.zoom_changed.emit(scale)
        self.update()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_scale(self.scale * factor, anchor)

    def fit(self) -> None:
        if self.doc is None:
            self.update()
            return
        margin = 16
        s = min((self.width() - 2 * margin) / self.doc.width, (self.height() - 2 * margin) / self.doc.height)
        self.scale = min(MAX_SCALE, max(MIN_SCALE, s))
        self.offset = QPointF((self.width() - self.doc.width * self.scale) / 2,
                              (self.height() - self.doc.height * self.scale) / 2)
        self._fit_pending = True
        self.zoom_changed.emit(self.scale)
        self.update()

    def actual_size(self) -> None:
        """100 %, about the pointer where it is over the canvas (the spot looked at stays put), else the centre."""
        at = QPointF(self.mapFromGlobal(QCursor.pos()))
        self.set_scale(1.0, at if self.rect().contains(at.toPoint()) else None)

    def resizeEvent(self, event) -> None:  # noqa: N802
        if self._fit_pending:
            self.fit()
        super().resizeEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25 ** steps, event.position())

    # -- painting ----------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(event.rect(), QColor(48, 48, 52))
        if self.doc is None or self.overlays is None:
            p.end()
            return
        ov = self.overlays
        # only the part of the image under the exposed rectangle
        x0, y0 = self.to_image(QPointF(event.rect().topLeft()))
        x1, y1 = self.to_image(QPointF(event.rect().bottomRight()) + QPointF(1, 1))
        src = BBox(math.floor(x0) - 1, math.floor(y0) - 1, math.ceil(x1) + 1, math.ceil(y1) + 1)
        src = src.clip(self.doc.width, self.doc.height)
        if not src.is_empty():
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.scale < 1.0)
            target = QRectF(self.to_widget(src.x0, src.y0), self.to_widget(src.x1, src.y1))
            source = QRectF(src.x0, src.y0, src.width, src.height)
            if self.show_original:
                p.drawImage(target, ov.original, source)
            else:
                p.drawImage(target, ov.base, source)
                if self._preview is not None:
                    img, box = self._preview
                    p.drawImage(QRectF(self.to_widget(box.x0, box.y0), self.to_widget(box.x1, box.y1)), img)
                for name, img in (("partmap", ov.partmap), ("parts", ov.parts), ("scribble", ov.scribble),
                                  ("mask", ov.mask)):
                    if self.visible[name] and self._maybe_content.get(name):
                        p.setOpacity(self._fade.get(name, FADED) if name in self.faded else 1.0)
                        p.drawImage(target, img, source)
                p.setOpacity(1.0)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.selection is not None and not self.show_original:
            r = QRectF(self.to_widget(self.selection.x0, self.selection.y0),
                       self.to_widget(self.selection.x1, self.selection.y1))
            p.setPen(QPen(QColor(255, 255, 255), 1.5))
            p.drawRect(r)
            p.setPen(QPen(QColor(0, 0, 0), 1.5, Qt.PenStyle.DashLine))
            p.drawRect(r)
        if self.region is not None and not self.show_original:
            self._draw_region(p)
        if self.face_boxes and not self.show_original:
            draw_face_numbers(p, self.face_boxes, self.face_current, self.to_widget)
        if self.show_original:
            p.setPen(QColor(255, 255, 255))
            p.drawText(self.rect().adjusted(8, 8, -8, -8), Qt.AlignmentFlag.AlignTop, "Original")
        if self._mouse is not None and self.tool is not None and self.tool.paints and self._pan_anchor is None:
            r = self.brush_size / 2 * self.scale
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(0, 0, 0, 200), 1.0))
            p.drawEllipse(self._mouse, r + 1, r + 1)
            p.setPen(QPen(QColor(255, 255, 255, 230), 1.0))
            p.drawEllipse(self._mouse, r, r)
        p.end()

    def set_brush_size(self, size: float) -> None:
        """The brush ring redrawn at its new size (after `[` the old, larger ring stayed drawn: a helper)."""
        old = self._cursor_region()
        self.brush_size = float(size)
        self.update(old.united(self._cursor_region()))

    def _cursor_region(self) -> QRect:
        if self._mouse is None:
            return QRect()
        r = int(self.brush_size / 2 * self.scale) + 4
        return QRect(int(self._mouse.x()) - r, int(self._mouse.y()) - r, 2 * r + 1, 2 * r + 1)

    # -- input -------------------------------------------------------------------------
    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if e.button() == Qt.MouseButton.MiddleButton or (e.button() == Qt.MouseButton.LeftButton and self._space):
            self._pan_anchor = e.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if self.tool is not None and self.doc is not None and e.button() in (
                Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            if self.tool.name in ("brush", "eraser", "parts"):   # painting shows the strokes in full again
                self.set_faded("parts" if self.tool.name == "parts" else "scribble", False)
            self.tool.press(self.to_image(e.position()), erase=e.button() == Qt.MouseButton.RightButton)

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        old = self._cursor_region()
        self._mouse = e.position()
        if self._pan_anchor is not None:
            d = e.position() - self._pan_anchor
            self._pan_anchor = e.position()
            self.offset += d
            self._fit_pending = False
            self.update()
            return
        x, y = self.to_image(e.position())
        self.cursor_moved.emit(int(math.floor(x)), int(math.floor(y)))
        if self.tool is not None and self.tool.active:
            self.tool.move((x, y))
        self.update(old.united(self._cursor_region()))

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if self._pan_anchor is not None:
            self._pan_anchor = None
            self.setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)
            return
        if self.tool is not None and self.tool.active:
            self.tool.release(self.to_image(e.position()))
            if self.tool.paints:
                self.stroke_finished.emit(self.tool.name)

    def leaveEvent(self, e) -> None:  # noqa: N802
        old = self._cursor_region()
        self._mouse = None
        self.update(old)

    def keyPressEvent(self, e) -> None:  # noqa: N802
        if e.key() == Qt.Key.Key_Space and not e.isAutoRepeat():
            self._space = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(e)

    def keyReleaseEvent(self, e) -> None:  # noqa: N802
        if e.key() == Qt.Key.Key_Space and not e.isAutoRepeat():
            self._space = False
            self.setCursor(Qt.CursorShape.CrossCursor)
            return
        super().keyReleaseEvent(e)
