"""Numbered badges on the faces a photo holds, so the Face list's "2 of 6" can be found on the
canvas (drawn only when there is more than one face to choose from)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from latentbrush.core.bbox import BBox


def draw_face_numbers(p: QPainter, boxes: list[BBox], current: int,
                      to_widget: Callable[[float, float], QPointF]) -> None:
    """A thin outline around each face box and its number (1 = largest) at its top-left corner;
    the face being edited in the accent colour."""
    if len(boxes) < 2:
        return
    font = QFont(p.font())
    font.setBold(True)
    p.setFont(font)
    side = p.fontMetrics().height() + 4
    for i, b in enumerate(boxes):
        tl, br = to_widget(b.x0, b.y0), to_widget(b.x1, b.y1)
        accent = QColor(120, 200, 255) if i == current else QColor(255, 255, 255)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0, 140), 1.0, Qt.PenStyle.DashLine))
        p.drawRect(QRectF(tl, br))
        badge = QRectF(tl.x(), tl.y() - side, side, side)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 190))
        p.drawRoundedRect(badge, 4, 4)
        p.setPen(accent)
        p.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(i + 1))
