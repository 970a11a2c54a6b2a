"""Attribute sliders panel: one slider per direction (−3…3), reset per slider, explore sliders
that can be kept under a name, and custom sliders made from marked examples."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from latentbrush.ui.fit import fit_width, guard_wheel
from latentbrush.ui.panels.common import LabeledSlider

RANGE = 3.0


def pretty(name: str) -> str:
    return name.replace("_", " ").capitalize()


SETTLE_MS = 350      # a slider moved without a drag is applied this long after the last move


class AttributesPanel(QWidget):
    dragged = Signal()                 # a slider moved (preview)
    released = Signal()                # a slider was let go / reset (apply as one undo step)
    keep_requested = Signal(str, str)  # explore slider name, the name typed in the box ("" : ask)
    remove_requested = Signal(str)     # a kept / made slider's name
    find_face_requested = Signal()     # the panel's own Find face (shown while there is no face to move)
    mark_requested = Signal(bool)      # True: current image has the attribute
    create_requested = Signal(str)
    clear_marks_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settle = QTimer(self)         # keyboard / track-click moves: applied when they rest
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.released)
        self.sliders: dict[str, LabeledSlider] = {}
        lay = QVBoxLayout(self)
        # (a helper read "project one first" as jargon, and Find face was on another tab)
        self.info = QLabel("Sliders change a face the editor has found: press Find face (Ctrl+Shift+F), or "
                           "select the face and use Latent → Project selection.")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.find_face = QPushButton("Find face")
        self.find_face.setToolTip("Find the largest face and fit the generator to it (Ctrl+Shift+F)")
        self.find_face.clicked.connect(self.find_face_requested)
        lay.addWidget(self.find_face)
        self.attr_box = QGroupBox("Attributes")
        self.attr_lay = QVBoxLayout(self.attr_box)
        lay.addWidget(self.attr_box)
        self.explore_box = QGroupBox("Explore (principal directions)")
        self.explore_lay = QVBoxLayout(self.explore_box)
        lay.addWidget(self.explore_box)
        self.region_only = QCheckBox("Only change inside the mask (mask brush)")
        lay.addWidget(self.region_only)
        box = QGroupBox("New slider from examples")
        v = QVBoxLayout(box)
        row = QHBoxLayout()
        self.mark_with = QPushButton("Mark: with")
        self.mark_with.setToolTip("The face shown now HAS the attribute")
        self.mark_without = QPushButton("Mark: without")
        self.mark_without.setToolTip("The face shown now does NOT have it")
        self.mark_with.clicked.connect(lambda: self.mark_requested.emit(True))
        self.mark_without.clicked.connect(lambda: self.mark_requested.emit(False))
        row.addWidget(self.mark_with)
        row.addWidget(self.mark_without)
        v.addLayout(row)
        self.marks = QLabel("0 with · 0 without")
        v.addWidget(self.marks)
        row = QHBoxLayout()
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("slider name, e.g. beard")
        self.create = QPushButton("Create")
        self.create.clicked.connect(lambda: self.create_requested.emit(self.new_name.text()))
        clear = QPushButton("Clear marks")
        clear.clicked.connect(self.clear_marks_requested)
        row.addWidget(self.new_name, 1)
        row.addWidget(self.create)
        row.addWidget(clear)
        v.addLayout(row)
        lay.addWidget(box)
        lay.addStretch(1)

    def set_directions(self, names: list[tuple[str, str]]) -> None:
        """(name, kind) with kind attribute | explore | custom."""
        for s in self.sliders.values():
            row = s.parentWidget()
            row.setParent(None)             # out of the layout now, not when deleted (fit_width measures it)
            row.deleteLater()
        self.sliders.clear()
        for name, kind in names:
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            # 0.1 a step: what it reads is what moves (at 0.05 a helper read +1.5 and the edit said +1.4: 1.45)
            s = LabeledSlider(pretty(name), -RANGE, RANGE, 0.0, steps=60, fmt="{:+.1f}")
            s.label.setMinimumWidth(86)
            s.slider.setMinimumWidth(110)       # beside ↺ and Keep… an explore track was squeezed to 30 px
            s.setToolTip(f"{pretty(name)}: standard deviations along the direction (−3…3)")
            s.slider.sliderReleased.connect(self.released)
            s.valueChanged.connect(lambda _v, sl=s: self._moved(sl))
            h.addWidget(s, 1)
            reset = QPushButton("↺")
            reset.setFixedWidth(26)
            reset.setToolTip(f"Reset {pretty(name).lower()}")
            reset.clicked.connect(lambda _=False, n=name: self.reset(n))
            h.addWidget(reset)
            if kind == "explore":
                keep = QPushButton("Keep…")
                keep.setFixedWidth(keep.fontMetrics().horizontalAdvance("Keep…") + 18)
                keep.setToolTip("Name this direction and keep it as a slider")
                keep.clicked.connect(lambda _=False, n=name: self._keep(n))
                h.addWidget(keep)
            elif kind == "custom":      # (a kept slider could not be taken away, a helper)
                drop = QPushButton("✕")
                drop.setFixedWidth(26)
                drop.setToolTip(f"Remove the slider “{name}”")
                drop.clicked.connect(lambda _=False, n=name: self.remove_requested.emit(n))
                h.addWidget(drop)
            (self.explore_lay if kind == "explore" else self.attr_lay).addWidget(row)
            self.sliders[name] = s
        self.explore_box.setVisible(any(k == "explore" for _, k in names))
        guard_wheel(self)           # new sliders: a wheel scrolling the panel must not move one it passes
        QTimer.singleShot(0, lambda: fit_width(self))      # once the new rows are laid out (and styled)

    def _moved(self, s: LabeledSlider) -> None:
        """A drag previews; a move by keyboard or a click on the track (no drag) applies once the keys
        rest (a helper's arrow keys moved the smile slider and nothing happened)."""
        if s.slider.isSliderDown():
            self._settle.stop()
            self.dragged.emit()
        else:
            self._settle.start()

    def _keep(self, name: str) -> None:
        # (an empty box had kept it as "explore_2": a second row of that name, the first one dead, a helper)
        self.keep_requested.emit(name, self.new_name.text().strip())

    def values(self) -> dict[str, float]:
        return {n: round(s.value(), 3) for n, s in self.sliders.items() if abs(s.value()) > 1e-6}

    def set_value(self, name: str, v: float) -> None:
        s = self.sliders[name]
        s.blockSignals(True)
        s.setValue(v)
        s.blockSignals(False)

    def reset(self, name: str | None = None) -> None:
        for n in ([name] if name else list(self.sliders)):
            self.set_value(n, 0.0)
        if name:
            self.released.emit()

    def set_marks(self, n_with: int, n_without: int) -> None:
        self.marks.setText(f"{n_with} with · {n_without} without")

    def set_enabled_for(self, has_state: bool) -> None:
        for s in self.sliders.values():
            s.parentWidget().setEnabled(has_state)      # the row: its ↺ and Keep… too (they did nothing, silently)
        self.info.setVisible(not has_state)
        self.find_face.setVisible(not has_state)
