"""Brush settings: size, hardness, opacity, color."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QColorDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from latentbrush.core.brush import BrushSpec
from latentbrush.ui.panels.common import LabeledSlider

HARDNESS_STEP = 0.1      # Shift+[ / Shift+]
SWATCHES = [(0, 0, 0), (255, 255, 255), (200, 40, 40), (240, 200, 60), (60, 160, 70),
            (50, 110, 220), (140, 80, 40), (230, 170, 140)]


class BrushPanel(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._color = (200, 40, 40)
        lay = QVBoxLayout(self)
        self.size = LabeledSlider("Size", 1, 400, 24, steps=400, log=True, fmt="{:.0f} px")
        self.hardness = LabeledSlider("Hardness", 0, 1, 0.8, fmt="{:.0%}")
        self.opacity = LabeledSlider("Opacity", 0.05, 1, 1.0, fmt="{:.0%}")
        for s in (self.size, self.hardness, self.opacity):
            s.valueChanged.connect(self.changed)
            lay.addWidget(s)
        row = QHBoxLayout()
        row.addWidget(QLabel("Color"))
        self.color_button = QPushButton()
        self.color_button.setFixedSize(48, 24)
        self.color_button.setToolTip("Choose the scribble color (I: pick from the image)")
        self.color_button.clicked.connect(self.choose_color)
        row.addWidget(self.color_button)
        for rgb in SWATCHES:
            b = QPushButton()
            b.setFixedSize(18, 18)
            b.setStyleSheet(f"background: rgb{rgb}; border: 1px solid #555;")
            b.clicked.connect(lambda _=False, c=rgb: self.set_color(c))
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(1)
        self.set_color(self._color)
        # Shift+[ / Shift+] soften / harden the brush, as [ and ] size it (other editors' keys; a helper asked)
        # (held by the window the panel is made for, so they work while another tab hides the panel)
        host = parent if parent is not None else self
        for keys, step in (("{", -HARDNESS_STEP), ("}", HARDNESS_STEP)):
            # keyboards report Shift+[ as "{" or as "Shift+{": both, and if both match, one of them fires
            for seq in (keys, f"Shift+{keys}"):
                sc = QShortcut(QKeySequence(seq), host, context=Qt.ShortcutContext.WindowShortcut)
                sc.activated.connect(lambda d=step: self.step_hardness(d))
                sc.activatedAmbiguously.connect(lambda d=step: self.step_hardness(d))
        self.hardness.setToolTip("Soft (0 %) to hard (100 %) edges; Shift+[ and Shift+] change it by 10 %")

    def step_hardness(self, d: float) -> None:
        self.hardness.setValue(min(1.0, max(0.0, round(self.hardness.value() + d, 2))))

    def spec(self) -> BrushSpec:
        return BrushSpec(size=self.size.value(), hardness=self.hardness.value(), opacity=self.opacity.value())

    def color(self) -> tuple[int, int, int]:
        return self._color

    def set_color(self, rgb: tuple[int, int, int]) -> None:
        self._color = tuple(int(v) for v in rgb[:3])  # type: ignore[assignment]
        self.color_button.setStyleSheet(f"background: rgb{self._color}; border: 1px solid #222;")
        self.changed.emit()

    def choose_color(self) -> None:
        c = QColorDialog.getColor(QColor(*self._color), self, "Scribble color")
        if c.isValid():
            self.set_color((c.red(), c.green(), c.blue()))
