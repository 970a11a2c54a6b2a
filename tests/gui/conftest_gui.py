from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from latentbrush.core.document import Document


def open_array(w, arr):
    w.set_document(Document(arr))
    w.canvas.fit()
    return w.document


def drag(canvas, pts, button=Qt.MouseButton.LeftButton):
    wp = [canvas.to_widget(x, y).toPoint() for x, y in pts]
    QTest.mousePress(canvas, button, Qt.KeyboardModifier.NoModifier, wp[0])
    for p in wp[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, button, Qt.KeyboardModifier.NoModifier, wp[-1])
