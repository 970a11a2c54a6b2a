"""Small widget helpers shared by the panels."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget


class LabeledSlider(QWidget):
    """A slider with a name and a live value label; value() in the given float range."""

    valueChanged = Signal(float)  # noqa: N815 - Qt naming

    def __init__(self, name: str, lo: float, hi: float, value: float, *, steps: int = 100,
                 fmt: str = "{:.0f}", log: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lo, self.hi, self.steps, self.fmt, self.log = lo, hi, steps, fmt, log
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, steps)
        self.label = QLabel(name)
        self.label.setMinimumWidth(64)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(40)
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_label)
        self.slider.valueChanged.connect(self._changed)
        self.setValue(value)

    def _to_pos(self, v: float) -> int:
        import math

        v = min(self.hi, max(self.lo, v))       # out of range (a brush shrunk below 1 px): the end of the scale
        if self.log:
            t = (math.log(v) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))
        else:
            t = (v - self.lo) / (self.hi - self.lo)
        return round(min(1.0, max(0.0, t)) * self.steps)

    def _from_pos(self, pos: int) -> float:
        import math

        t = pos / self.steps
        if self.log:
            return math.exp(math.log(self.lo) + t * (math.log(self.hi) - math.log(self.lo)))
        return self.lo + t * (self.hi - self.lo)

    def value(self) -> float:
        return self._from_pos(self.slider.value())

    def setValue(self, v: float) -> None:  # noqa: N802 - Qt naming
        self.slider.setValue(self._to_pos(v))
        self.value_label.setText(self.fmt.format(self.value()))

    def _changed(self, pos: int) -> None:
        v = self._from_pos(pos)
        self.value_label.setText(self.fmt.format(v))
        self.valueChanged.emit(v)
