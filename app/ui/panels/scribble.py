"""Scribble panel: the edit region and its projection, stroke color/size, candidates, strength,
region-only, commit/revert."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from latentbrush.ui.canvas.overlays import qimage_copy
from latentbrush.ui.fit import enclosing
from latentbrush.ui.panels.common import LabeledSlider

THUMB = 56


def pixmap(img: np.ndarray, side: int) -> QPixmap:
    return QPixmap.fromImage(qimage_copy(np.ascontiguousarray(img))).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


class ScribblePanel(QWidget):
    region_requested = Signal(str)        # "auto" | "selection" | "whole"
    face_chosen = Signal(int)             # index of the face to edit (largest first)
    run_requested = Signal()
    commit_requested = Signal()
    revert_requested = Signal()
    candidate_picked = Signal(int)
    color_requested = Signal()
    size_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)

        box = QGroupBox("Edit region")
        g = QGridLayout(box)
        self.find_face = QPushButton("Find face")
        self.find_face.setToolTip("Detect the largest face and project it into the generator (Ctrl+Shift+F)")
        self.from_selection = QPushButton("From selection")
        self.from_selection.setToolTip("Project the rectangle dragged with the select tool (made square)")
        self.whole = QPushButton("Whole image")
        self.whole.setToolTip("Project the whole image (best for generated faces and square crops)")
        for i, (b, key) in enumerate(((self.find_face, "auto"), (self.from_selection, "selection"),
                                      (self.whole, "whole"))):
            b.clicked.connect(lambda _=False, k=key: self.region_requested.emit(k))
            g.addWidget(b, 0, i)
        self.fit_image = QLabel()
        self.fit_image.setFixedSize(THUMB, THUMB)
        self.fit_image.setFrameShape(QLabel.Shape.StyledPanel)
        self.fit_image.setToolTip("What the generator sees: the projection of the region")
        self.status = QLabel("No edit region yet.")
        self.status.setWordWrap(True)
        g.addWidget(self.fit_image, 1, 0)
        g.addWidget(self.status, 1, 1, 1, 2)
        self.tune = QCheckBox("Fit the generator to the photo")
        self.tune.setChecked(True)
        self.tune.setToolTip("After projecting, tune a copy of the generator to this photo (3–5 s on two CPU "
                             "cores) so the person keeps their likeness; edits then act on the tuned copy")
        g.addWidget(self.tune, 2, 0, 1, 3)
        self.face_label = QLabel("Face")
        self.face = QComboBox()
        self.face.setToolTip("Several faces were found: choose the one to edit (largest first)")
        self.face.activated.connect(self.face_chosen)
        g.addWidget(self.face_label, 3, 0)
        g.addWidget(self.face, 3, 1, 1, 2)
        self.set_faces(0, 0)
        lay.addWidget(box)

        box = QGroupBox("Strokes")
        v = QVBoxLayout(box)
        row = QHBoxLayout()
        row.addWidget(QLabel("Color"))
        self.color_button = QPushButton()
        self.color_button.setFixedSize(40, 22)
        self.color_button.clicked.connect(self.color_requested)
        row.addWidget(self.color_button)
        row.addStretch(1)
        v.addLayout(row)
        self.size = LabeledSlider("Size", 1, 400, 24, steps=400, log=True, fmt="{:.0f} px")
        self.size.valueChanged.connect(self.size_changed)
        v.addWidget(self.size)
        hint = QLabel("Paint with the color brush (B) inside the region; right-drag erases.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(mid);")
        v.addWidget(hint)
        lay.addWidget(box)

        box = QGroupBox("Optimization")
        v = QVBoxLayout(box)
        row = QHBoxLayout()
        row.addWidget(QLabel("Candidates"))
        self.candidates = QSpinBox()
        self.candidates.setRange(1, 64)
        self.candidates.setValue(4)
        self.candidates.setToolTip("Latents optimized together from different starts; the best few are shown")
        row.addWidget(self.candidates)
        row.addWidget(QLabel("Steps"))
        self.iters = QSpinBox()
        self.iters.setRange(5, 500)
        self.iters.setValue(40)
        row.addWidget(self.iters)
        row.addStretch(1)
        v.addLayout(row)
        self.strength = LabeledSlider("Strength", 0, 1.5, 1.0, steps=150, fmt="{:.0%}")
        self.strength.setToolTip("How much of the generator's change is applied to the photo")
        v.addWidget(self.strength)
        self.region_only = QCheckBox("Only change the painted region")
        self.region_only.setChecked(True)
        self.region_only.setToolTip("Clip the result to a feathered neighbourhood of the strokes")
        self.auto = QCheckBox("Run after each stroke")
        self.auto.setChecked(True)
        v.addWidget(self.region_only)
        v.addWidget(self.auto)
        self.run = QPushButton("Follow strokes")
        self.run.setToolTip("Optimize the latent so the image follows the strokes (Ctrl+Return)")
        self.run.clicked.connect(self.run_requested)
        v.addWidget(self.run)
        lay.addWidget(box)

        box = QGroupBox("Candidates")
        v = QVBoxLayout(box)
        self.strip = QListWidget()
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setIconSize(QSize(THUMB, THUMB))
        self.strip.setFlow(QListWidget.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setFixedHeight(THUMB + 36)
        # the picked one framed, not only its label (a helper saw no mark on the panel's cut-off strip)
        self.strip.setStyleSheet("QListWidget::item { border: 3px solid transparent; border-radius: 3px; }"
                                 "QListWidget::item:selected { border: 3px solid palette(highlight); "
                                 "background: transparent; color: palette(text); font-weight: bold; }")
        self.strip.setSpacing(2)
        self.strip.setMovement(QListWidget.Movement.Static)
        self.strip.setToolTip("Click a candidate to show it instead")
        self.strip.itemClicked.connect(lambda it: self.candidate_picked.emit(self.strip.row(it)))
        v.addWidget(self.strip)
        row = QHBoxLayout()
        self.commit = QPushButton("Commit")
        self.commit.setToolTip("Keep this result: clear the strokes; the next edit starts from here")
        self.commit.clicked.connect(self.commit_requested)
        self.revert = QPushButton("Revert")
        self.revert.setToolTip("Back to the last committed image")
        self.revert.clicked.connect(self.revert_requested)
        row.addWidget(self.commit)
        row.addWidget(self.revert)
        v.addLayout(row)
        lay.addWidget(box)
        lay.addStretch(1)
        self.set_state(None)

    def params(self) -> dict:
        return {"candidates": self.candidates.value(), "iters": self.iters.value(),
                "strength": self.strength.value(), "region_only": self.region_only.isChecked()}

    def set_color(self, rgb: tuple[int, int, int]) -> None:
        self.color_button.setStyleSheet(f"background: rgb{tuple(rgb)}; border: 1px solid #222;")

    def set_faces(self, n: int, current: int) -> None:
        """n faces found in the photo (largest first), `current` the one being edited."""
        self.face.blockSignals(True)
        self.face.clear()
        for i in range(n):
            self.face.addItem(f"{i + 1} of {n}" + (" (largest)" if i == 0 else ""))
        self.face.setCurrentIndex(current if 0 <= current < n else -1)   # -1: a region drawn by hand
        self.face.blockSignals(False)
        self.face.setVisible(n > 1)
        self.face_label.setVisible(n > 1)

    def set_state(self, state) -> None:
        """Show a LatentState (or None)."""
        has = state is not None
        for w in (self.commit, self.revert):
            w.setEnabled(has and state.edited)
        if not has:
            self.status.setText("No edit region yet: find a face, or select a rectangle. "
                                "Painting strokes also finds one.")
            self.fit_image.clear()
            self.strip.clear()
            return
        r = state.region
        fit = f" · fit {state.fit_psnr:.1f} dB" if state.fit_psnr is not None else " · exact latent"
        how = (" · aligned" if getattr(state, "warp", None) is not None else "") + (
            " · generator fitted" if getattr(state, "tuning", None) is not None else "")
        self.status.setText(f"{r.width}×{r.height} px at ({r.x0}, {r.y0}){fit}{how}"
                            + (" · edited" if state.edited else ""))
        self.fit_image.setPixmap(pixmap(np.rint(state.base_render).astype(np.uint8), THUMB))
        if not state.candidates:
            self.strip.clear()

    def show_current(self, row: int | None) -> None:
        """Mark the candidate on the canvas (None: none of them, e.g. a slider moved it on)."""
        if row is None:
            self.strip.clearSelection()
            self.strip.setCurrentRow(-1)
        elif self.strip.currentRow() != row:
            self.strip.setCurrentRow(row)

    def set_candidates(self, thumbs, losses) -> None:
        self.strip.clear()
        for i, (t, loss) in enumerate(zip(thumbs, losses, strict=False)):
            it = QListWidgetItem(true_icon(pixmap(t, THUMB)), f"#{i + 1}")
            it.setToolTip(f"candidate {i + 1}: stroke error {loss:.4f}")
            self.strip.addItem(it)
        if self.strip.count():
            self.strip.setCurrentRow(0)
            area = enclosing(self, QScrollArea)     # the panel scrolled to them: they were below the dock's edge
            if area is not None:
                area.ensureWidgetVisible(self.strip.parentWidget())


def true_icon(pm: QPixmap) -> QIcon:
    """An icon shown with its own colours when selected too: Qt's selected mode tints it with the highlight
    colour, and a helper read the picked candidate as washed out and blue (the selection shows as the
    item's frame and label instead)."""
    icon = QIcon(pm)
    icon.addPixmap(pm, QIcon.Mode.Selected)
    icon.addPixmap(pm, QIcon.Mode.Active)
    return icon
