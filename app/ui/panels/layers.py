"""Layer visibility, clearing, mask overlay opacity."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QPushButton, QWidget

from latentbrush.ui.panels.common import LabeledSlider

NAMES = {"scribble": "Color scribbles", "mask": "Inpainting mask", "parts": "Part labels"}


class LayersPanel(QWidget):
    visibility_changed = Signal(str, bool)
    clear_requested = Signal(str)
    mask_opacity_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        self.checks: dict[str, QCheckBox] = {}
        for row, (name, text) in enumerate(NAMES.items()):
            cb = QCheckBox(text)
            cb.setChecked(True)
            cb.toggled.connect(lambda on, n=name: self.visibility_changed.emit(n, on))
            clear = QPushButton("Clear")
            clear.setToolTip(f"Erase the whole {text.lower()} layer (undoable)")
            clear.clicked.connect(lambda _=False, n=name: self.clear_requested.emit(n))
            grid.addWidget(cb, row, 0)
            grid.addWidget(clear, row, 1)
            self.checks[name] = cb
        self.mask_opacity = LabeledSlider("Mask", 0.1, 1.0, 0.5, fmt="{:.0%}")
        self.mask_opacity.valueChanged.connect(self.mask_opacity_changed)
        grid.addWidget(QLabel("Overlay opacity"), len(NAMES), 0, 1, 2)
        grid.addWidget(self.mask_opacity, len(NAMES) + 1, 0, 1, 2)
        grid.setRowStretch(len(NAMES) + 2, 1)

    def reveal(self, name: str) -> bool:
        """Show the layer `name` if it is hidden (True then): a helper painted scribbles with their layer
        hidden, saw nothing, and the invisible strokes still started an edit and took an undo step."""
        cb = self.checks.get(name)
        if cb is None or cb.isChecked():
            return False
        cb.setChecked(True)
        return True
