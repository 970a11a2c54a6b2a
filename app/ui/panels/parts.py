"""Parts panel: the part map overlay, the parts brush's label, the edit settings, and saved
editing vectors with a strength slider."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from latentbrush.core.requests import PARTS_CANDIDATES

BLEND_ITEMS = (("Feather", "feather"), ("Poisson (seamless)", "poisson"))


def swatch(rgb) -> QIcon:
    pm = QPixmap(14, 14)
    pm.fill(QColor(*rgb))
    return QIcon(pm)


class PartsPanel(QWidget):
    detect_requested = Signal()
    run_requested = Signal()
    clear_requested = Signal()
    label_chosen = Signal(int)           # part index + 1
    map_toggled = Signal(bool)
    save_vector_requested = Signal(str)
    apply_vector_requested = Signal(str, float)
    delete_vector_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        help_ = QLabel("Show the part map, pick a part and paint it where it should be (parts brush, P), "
                       "then Apply. Only the painted area changes, and the parts it paints over or grows "
                       "where they are near it (a grown mouth is redrawn whole).")
        help_.setWordWrap(True)
        lay.addWidget(help_)
        top = QHBoxLayout()
        self.show_map = QCheckBox("Show part map")
        self.show_map.setChecked(True)
        self.show_map.toggled.connect(self.map_toggled)
        self.detect_button = QPushButton("Find parts")
        self.detect_button.setToolTip("Project the face if needed and compute its part map")
        self.detect_button.clicked.connect(self.detect_requested)
        top.addWidget(self.show_map)
        top.addWidget(self.detect_button)
        lay.addLayout(top)
        self.part_box = QGroupBox("Paint label")
        self.part_grid = QGridLayout(self.part_box)
        self.part_buttons: list[QPushButton] = []
        lay.addWidget(self.part_box)
        form = QFormLayout()
        self.steps = QSpinBox()
        self.steps.setRange(5, 500)
        self.steps.setValue(60)
        self.candidates = QSpinBox()
        self.candidates.setRange(1, 8)
        self.candidates.setValue(PARTS_CANDIDATES)
        self.blend = QComboBox()
        for text, key in BLEND_ITEMS:
            self.blend.addItem(text, key)
        self.blend.setToolTip("How the edited area meets the photo. Pixels outside it never change. On a photo, "
                              "edits of the eyes, nose or mouth move the photo's own pixels instead (no seam).")
        form.addRow("Steps", self.steps)
        form.addRow("Candidates", self.candidates)
        form.addRow("Seams", self.blend)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.run_button = QPushButton("Apply parts edit")
        self.run_button.setToolTip("Optimize the face so its parts follow the painted labels (Ctrl+Shift+P)")
        self.clear_button = QPushButton("Clear labels")
        self.run_button.clicked.connect(self.run_requested)
        self.clear_button.clicked.connect(self.clear_requested)
        row.addWidget(self.run_button)
        row.addWidget(self.clear_button)
        lay.addLayout(row)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        lay.addWidget(self.result)

        vec = QGroupBox("Editing vectors")
        vl = QVBoxLayout(vec)
        save_row = QHBoxLayout()
        self.vector_name = QLineEdit()
        self.vector_name.setPlaceholderText("name, e.g. bigger smile")
        self.save_button = QPushButton("Save last edit")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(lambda: self.save_vector_requested.emit(self.vector_name.text().strip()))
        save_row.addWidget(self.vector_name)
        save_row.addWidget(self.save_button)
        vl.addLayout(save_row)
        self.vectors = QListWidget()
        self.vectors.setMaximumHeight(110)
        vl.addWidget(self.vectors)
        srow = QHBoxLayout()
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(-200, 200)
        self.strength.setValue(100)
        self.strength_label = QLabel("×1.00")
        self.strength.valueChanged.connect(lambda v: self.strength_label.setText(f"×{v / 100:+.2f}"))
        srow.addWidget(QLabel("Strength"))
        srow.addWidget(self.strength, 1)
        srow.addWidget(self.strength_label)
        vl.addLayout(srow)
        arow = QHBoxLayout()
        self.apply_button = QPushButton("Apply vector")
        self.delete_button = QPushButton("Delete")
        self.apply_button.clicked.connect(self._apply)
        self.delete_button.clicked.connect(self._delete)
        arow.addWidget(self.apply_button)
        arow.addWidget(self.delete_button)
        vl.addLayout(arow)
        lay.addWidget(vec)
        lay.addStretch(1)
        self.vectors.currentRowChanged.connect(lambda _r: self._sync_vector_buttons())
        self._sync_vector_buttons()

    # -- parts -------------------------------------------------------------------------------
    def set_parts(self, names: list[str], colors: list) -> None:
        for b in self.part_buttons:
            b.deleteLater()
        self.part_buttons = []
        for i, (name, rgb) in enumerate(zip(names, colors, strict=True)):
            b = QPushButton(swatch(rgb), name)
            b.setCheckable(True)
            b.setAutoExclusive(True)
            b.clicked.connect(lambda _c=False, i=i: self.label_chosen.emit(i + 1))
            self.part_grid.addWidget(b, i // 2, i % 2)
            self.part_buttons.append(b)
        if self.part_buttons:
            self.part_buttons[min(2, len(self.part_buttons) - 1)].setChecked(True)
        self.part_box.setEnabled(bool(names))
        self.run_button.setEnabled(bool(names))
        self.detect_button.setEnabled(bool(names))

    def label(self) -> int:
        for i, b in enumerate(self.part_buttons):
            if b.isChecked():
                return i + 1
        return 1

    def choose(self, label: int) -> None:
        if 1 <= label <= len(self.part_buttons):
            self.part_buttons[label - 1].setChecked(True)

    def params(self) -> dict:
        return {"iters": self.steps.value(), "candidates": self.candidates.value(), "blend": self.blend.currentData()}

    # -- vectors -----------------------------------------------------------------------------
    def set_vectors(self, names: list[str]) -> None:
        current = self.current_vector()
        self.vectors.clear()
        self.vectors.addItems(names)
        if current in names:
            self.vectors.setCurrentRow(names.index(current))
        elif names:
            self.vectors.setCurrentRow(0)
        self._sync_vector_buttons()

    def current_vector(self) -> str | None:
        item = self.vectors.currentItem()
        return item.text() if item is not None else None

    def set_can_save(self, ok: bool) -> None:
        self.save_button.setEnabled(ok)

    def _sync_vector_buttons(self) -> None:
        ok = self.current_vector() is not None
        self.apply_button.setEnabled(ok)
        self.delete_button.setEnabled(ok)

    def _apply(self) -> None:
        name = self.current_vector()
        if name is not None:
            self.apply_vector_requested.emit(name, self.strength.value() / 100)

    def _delete(self) -> None:
        name = self.current_vector()
        if name is not None:
            self.delete_vector_requested.emit(name)
