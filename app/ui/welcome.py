"""What the window shows before an image is open."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomePage(QWidget):
    open_requested = Signal()
    face_requested = Signal()
    blank_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        title = QLabel("<h1>Latentbrush</h1><p>Open a photo (or drop one here), or start from a "
                       "generated face.</p>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(title)
        for text, sig in (("Open a photo…", self.open_requested),
                          ("Generate a face", self.face_requested),
                          ("Blank canvas", self.blank_requested)):
            b = QPushButton(text)
            b.setMinimumWidth(220)
            b.clicked.connect(sig)
            lay.addWidget(b, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addStretch(3)
