"""Keeping the window usable on small screens (1280×720 and up): every dock scrolls, and the
window never opens larger than the screen's free area."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QFrame,
    QMainWindow,
    QScrollArea,
    QTabWidget,
    QWidget,
)

MIN_WIDTH, MIN_HEIGHT = 800, 480


def scrollable(widget: QWidget) -> QScrollArea:
    """`widget` in a frameless scroll area that scrolls vertically only when the dock is shorter
    than the widget's minimum height (the dock's own minimum then no longer sets the window's)."""
    area = QScrollArea()
    area.setObjectName(f"{widget.objectName() or type(widget).__name__}-scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setWidget(widget)
    guard_wheel(widget)
    # as wide as the panel wants (plus room for the scroll bar), as short as the dock gets
    area.setMinimumWidth(widget.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())
    return area


def enclosing(widget: QWidget, kind: type) -> QWidget | None:
    """The nearest widget of type `kind` that holds `widget` (its scroll area, its dock), or None."""
    w = widget.parentWidget()
    while w is not None and not isinstance(w, kind):
        w = w.parentWidget()
    return w


def fit_width(widget: QWidget) -> None:
    """The scroll area around `widget` made at least as wide as the widget's content now wants (rows added
    after it was built: the Sliders panel's explore rows had gone past the dock's edge, their values
    and buttons hidden behind a horizontal scroll bar, a helper at 1280 px)."""
    area = enclosing(widget, QScrollArea)
    if area is not None:
        for lay in [widget.layout(), *(w.layout() for w in widget.findChildren(QWidget))]:
            if lay is not None:
                lay.activate()
        area.setMinimumWidth(widget.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())


class _WheelGuard(QObject):
    """The wheel over a spin box, list or slider it has not been clicked into scrolls the panel instead: a
    helper scrolling the Parts dock set its Steps to 68, and a slider passed under the pointer would edit."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Wheel and isinstance(obj, QWidget) and not obj.hasFocus():
            parent = enclosing(obj, QScrollArea)
            if parent is not None:
                QCoreApplication.sendEvent(parent.verticalScrollBar(), event)
            return True
        return False


_GUARD = None
WHEEL_TAKERS = (QAbstractSpinBox, QComboBox, QAbstractSlider)


def guard_wheel(root: QWidget) -> None:
    """Keep the wheel from changing the value controls under `root` (now there) until they are clicked into."""
    global _GUARD
    if _GUARD is None:
        _GUARD = _WheelGuard()
    for kind in WHEEL_TAKERS:
        for w in root.findChildren(kind):
            if w.property("wheel_guarded") is not True:
                w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
                w.installEventFilter(_GUARD)
                w.setProperty("wheel_guarded", True)


class ScrollTabs(QTabWidget):
    """Tabs whose pages scroll, each on its own (a tab widget is otherwise as tall as its tallest
    page). Pages are still found by the panel: setCurrentWidget(panel), indexOf(panel)."""

    def addTab(self, page: QWidget, label: str) -> int:  # noqa: N802
        return super().addTab(scrollable(page), label)

    def indexOf(self, page: QWidget) -> int:  # noqa: N802
        for i in range(self.count()):
            area = self.widget(i)
            if area is page or (isinstance(area, QScrollArea) and area.widget() is page):
                return i
        return -1

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: N802
        i = self.indexOf(page)
        if i >= 0:
            self.setCurrentIndex(i)

    def current_page(self) -> QWidget | None:
        area = self.currentWidget()
        return area.widget() if isinstance(area, QScrollArea) else area


def fit_to_screen(window: QMainWindow) -> None:
    """Shrink (and move) the window onto the screen's available area if it does not fit there,
    and give the edit docks the height the paint dock does not need."""
    screen = window.screen()
    if screen is None:
        return
    avail = screen.availableGeometry()
    frame = window.frameGeometry().size() - window.geometry().size()     # title bar and borders
    w = min(window.width(), avail.width() - frame.width())
    h = min(window.height(), avail.height() - frame.height())
    if (w, h) != (window.width(), window.height()):
        window.resize(max(w, MIN_WIDTH), max(h, MIN_HEIGHT))
    geo = window.frameGeometry()
    if not avail.contains(geo):
        x = min(max(geo.x(), avail.x()), avail.right() - geo.width() + 1)
        y = min(max(geo.y(), avail.y()), avail.bottom() - geo.height() + 1)
        window.move(max(x, avail.x()), max(y, avail.y()))
    if window.isVisible():                     # after the resize has been laid out
        QTimer.singleShot(0, lambda: balance_docks(window))
    else:
        balance_docks(window)


def balance_docks(window: QMainWindow) -> None:
    """The paint dock (brush, layers, models) at the height of its content, at most a third of the
    window; the tabbed edit docks below it get the rest."""
    docks = [d for d in window.findChildren(QDockWidget) if not d.isFloating()]
    paint = next((d for d in docks if d.objectName() == "Paint"), None)
    below = [d for d in docks if d is not paint and window.dockWidgetArea(d) == window.dockWidgetArea(paint)] \
        if paint is not None else []
    if paint is None or not below:
        return
    inner = paint.widget().widget() if isinstance(paint.widget(), QScrollArea) else paint.widget()
    extra = 44                                                  # the dock's title and margins
    if isinstance(inner, QTabWidget):                           # the page on show, not the tallest one
        extra += inner.tabBar().sizeHint().height()
        inner = inner.currentWidget()
    if isinstance(inner, QScrollArea):
        inner = inner.widget()
    h = window.height()
    want = min(inner.sizeHint().height() + extra, h // 3)
    window.resizeDocks([paint, below[0]], [want, max(h - want, 1)], Qt.Orientation.Vertical)
