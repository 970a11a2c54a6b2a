"""Inpaint panel: fill model, seam blending, fill button, fill-on-release, clear-after-fill."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

BLEND_ITEMS = (("Automatic", ""), ("Poisson (seamless)", "poisson"), ("Feather", "feather"), ("None", "none"))


class InpaintPanel(QWidget):
    fill_requested = Signal()
    paint_requested = Signal()
    clear_requested = Signal()
    compare_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        help_ = QLabel("Paint over what should go with the mask brush (M), then Fill. "
                       "The right mouse button erases mask.")
        help_.setWordWrap(True)
        lay.addWidget(help_)
        form = QFormLayout()
        self.model = QComboBox()
        self.model.setToolTip("Learned models hallucinate structure (faces, texture); the classical ones "
                              "smooth the surroundings in, instantly")
        form.addRow("Model", self.model)
        self.blend = QComboBox()
        for text, key in BLEND_ITEMS:
            self.blend.addItem(text, key)
        self.blend.setToolTip("How the fill meets the photo: Automatic = Poisson for learned models, none "
                              "for classical ones. Pixels outside the mask never change.")
        form.addRow("Seams", self.blend)
        lay.addLayout(form)
        self.on_release = QCheckBox("Fill when I release the mask brush")
        self.clear_after = QCheckBox("Clear the mask after filling")
        self.clear_after.setChecked(True)
        lay.addWidget(self.on_release)
        lay.addWidget(self.clear_after)
        row = QHBoxLayout()
        self.paint_button = QPushButton("Mask brush")
        self.paint_button.setToolTip("Paint the area to fill (M)")
        self.fill_button = QPushButton("Fill")
        self.fill_button.setToolTip("Fill the masked area (Ctrl+F); one undo step")
        self.clear_button = QPushButton("Clear mask")
        self.paint_button.clicked.connect(self.paint_requested)
        self.fill_button.clicked.connect(self.fill_requested)
        self.clear_button.clicked.connect(self.clear_requested)
        for b in (self.paint_button, self.fill_button, self.clear_button):
            row.addWidget(b)
        lay.addLayout(row)
        self.compare = QPushButton("Before / after")
        self.compare.setCheckable(True)
        self.compare.setToolTip("Show the original photo while this is on (\\)")
        self.compare.toggled.connect(self.compare_toggled)
        lay.addWidget(self.compare)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        lay.addStretch(1)

    def set_methods(self, methods: list, default: str) -> None:
        current = self.model.currentData()
        self.model.clear()
        for m in methods:
            self.model.addItem(m.title + ("" if m.available else " (not installed)"), m.id)
            if not m.available:
                item = self.model.model().item(self.model.count() - 1)
                item.setEnabled(False)
        idx = self.model.findData(current if current else default)
        if idx < 0 or not methods[idx].available:
            idx = self.model.findData(default)
        self.model.setCurrentIndex(max(idx, 0))

    def method(self) -> str:
        return self.model.currentData() or ""

    def blend_mode(self) -> str:
        return self.blend.currentData() or ""
