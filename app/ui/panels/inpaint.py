"""Inpaint panel: fill model, seam blending, fill button, fill-on-release, clear-after-fill."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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
        # a long model title (a person's own LaMa, say) must not widen the dock and shrink the canvas
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(24)
        self.model.setToolTip("Content-aware (default): edges carried into the hole along their direction "
                              "(coherence transport), with the learned and frequency-selective fills weighed in on "
                              "faces and small images, and the photo's own grain. Learned models hallucinate structure "
                              "(faces); the generator prior fits a face (slow); the classical ones smooth the "
                              "surroundings in, instantly")
        form.addRow("Model", self.model)
        self.blend = QComboBox()
        for text, key in BLEND_ITEMS:
            self.blend.addItem(text, key)
        self.blend.setToolTip("How the fill meets the photo. Automatic: the content-aware fills, the best-quality "
                              "fill and the generator prior keep their own edge (they are made to meet the photo); "
                              "the learned networks get Poisson; the classical fills none. Pixels outside the mask "
                              "never change.")
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
        self.blocked: dict[str, tuple[str, str]] = {}     # method id → (short reason, tooltip)
        self._methods: list = []
        self._default = ""

    def set_methods(self, methods: list, default: str) -> None:
        self._methods, self._default = list(methods), default
        current = self.model.currentData()
        self.model.clear()
        for m in methods:
            short, tip = ("not installed", "") if not m.available else self.blocked.get(m.id, ("", ""))
            self.model.addItem(m.title + ("" if not short else f" ({short})" if not m.available else f" — {short}"),
                               m.id)
            if short:
                self.model.model().item(self.model.count() - 1).setEnabled(False)
                if tip:
                    self.model.setItemData(self.model.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        idx = self.model.findData(current if current else default)
        if idx < 0 or not self.model.model().item(idx).isEnabled():
            idx = self.model.findData(default)
        self.model.setCurrentIndex(max(idx, 0))

    def block(self, method_id: str, short: str = "", tip: str = "") -> None:
        """Make a method unavailable for this photo, with the reason in its name and tooltip
        (short = "" makes it available again)."""
        if self.blocked.get(method_id, ("", ""))[0] == short:
            return
        if short:
            self.blocked[method_id] = (short, tip)
        else:
            self.blocked.pop(method_id, None)
        self.set_methods(self._methods, self._default)

    def method(self) -> str:
        return self.model.currentData() or ""

    def blend_mode(self) -> str:
        return self.blend.currentData() or ""
