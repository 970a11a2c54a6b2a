"""Interpolation panel: morph between two latents, scrub, play, apply a frame, export a GIF."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from latentbrush.ui.panels.scribble import pixmap

ENDPOINTS = ["Committed", "Current", "Candidate 1", "Candidate 2", "Candidate 3", "Candidate 4",
             "Another photo…"]
PREVIEW = 200


class InterpolationPanel(QWidget):
    make_requested = Signal(str, str, str, int)   # endpoint A, endpoint B, mode, frames
    frame_changed = Signal(int)
    apply_requested = Signal(int)
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frames: list = []
        lay = QVBoxLayout(self)
        g = QGridLayout()
        self.a = QComboBox()
        self.b = QComboBox()
        self.a.addItems(ENDPOINTS)
        self.b.addItems(ENDPOINTS)
        self.a.setCurrentIndex(0)
        self.b.setCurrentIndex(1)
        self.mode = QComboBox()
        self.mode.addItems(["slerp", "lerp"])
        self.mode.setToolTip("slerp follows the sphere where the generator's latents live; lerp is a straight line")
        self.count = QSpinBox()
        self.count.setRange(2, 120)
        self.count.setValue(24)
        g.addWidget(QLabel("From"), 0, 0)
        g.addWidget(self.a, 0, 1)
        g.addWidget(QLabel("To"), 1, 0)
        g.addWidget(self.b, 1, 1)
        g.addWidget(QLabel("Path"), 2, 0)
        row = QHBoxLayout()
        row.addWidget(self.mode)
        row.addWidget(QLabel("Frames"))
        row.addWidget(self.count)
        g.addLayout(row, 2, 1)
        lay.addLayout(g)
        self.make = QPushButton("Make frames")
        self.make.clicked.connect(lambda: self.make_requested.emit(
            self.a.currentText(), self.b.currentText(), self.mode.currentText(), self.count.value()))
        lay.addWidget(self.make)
        self.preview = QLabel("No frames yet")
        self.preview.setFixedSize(PREVIEW, PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFrameShape(QLabel.Shape.StyledPanel)
        lay.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        row = QHBoxLayout()
        self.play = QPushButton("Play")
        self.play.setCheckable(True)
        self.play.toggled.connect(self._toggle_play)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._show)
        row.addWidget(self.play)
        row.addWidget(self.slider, 1)
        lay.addLayout(row)
        row = QHBoxLayout()
        self.apply = QPushButton("Apply frame")
        self.apply.setToolTip("Put this frame into the photo (one undo step)")
        self.apply.clicked.connect(lambda: self.apply_requested.emit(self.slider.value()))
        self.export = QPushButton("Export GIF…")
        self.export.clicked.connect(self.export_requested)
        row.addWidget(self.apply)
        row.addWidget(self.export)
        lay.addLayout(row)
        lay.addStretch(1)
        self.timer = QTimer(self)
        self.timer.setInterval(1000 // 12)
        self.timer.timeout.connect(self._tick)
        self.set_frames([], applicable=False)

    def set_frames(self, frames: list, *, applicable: bool) -> None:
        self.frames = list(frames)
        self.slider.setRange(0, max(0, len(self.frames) - 1))
        for w in (self.play, self.slider, self.export):
            w.setEnabled(bool(self.frames))
        self.apply.setEnabled(bool(self.frames) and applicable)
        if not self.frames:
            self.play.setChecked(False)
            self.preview.setText("No frames yet")
        self.slider.setValue(0)
        self._show(0)

    def _show(self, i: int) -> None:
        if 0 <= i < len(self.frames):
            self.preview.setPixmap(pixmap(self.frames[i], PREVIEW))
            self.frame_changed.emit(i)

    def _toggle_play(self, on: bool) -> None:
        self.play.setText("Pause" if on else "Play")
        self.timer.start() if on else self.timer.stop()

    def _tick(self) -> None:
        if self.frames:
            self.slider.setValue((self.slider.value() + 1) % len(self.frames))
