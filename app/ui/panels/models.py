"""Model list: what the manifest names, whether each file is here (and intact), untrusted files,
and the buttons to fetch missing defaults or verify hashes. Generate / translate controls."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latentbrush.ui.panels.common import LabeledSlider

MAX_ROWS = 12
STATE_TEXT = {"ok": "verified", "present": "ready", "missing": "not fetched",
              "corrupt": "DAMAGED — will not load", "untrusted": "untrusted — never loaded"}


class ModelsPanel(QWidget):
    fetch_requested = Signal()
    verify_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Model", "Kind", "State"])
        self.tree.setRootIsDecorated(False)
        lay.addWidget(self.tree)
        self.summary = QLabel("")         # how many there are, so a list cut short still says it
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        row = QHBoxLayout()
        self.fetch_button = QPushButton("Fetch missing")
        self.verify_button = QPushButton("Verify hashes")
        self.fetch_button.clicked.connect(self.fetch_requested)
        self.verify_button.clicked.connect(self.verify_requested)
        row.addWidget(self.fetch_button)
        row.addWidget(self.verify_button)
        lay.addLayout(row)

    def set_states(self, states: list[tuple[object, str]]) -> None:
        self.tree.clear()
        for obj, state in states:
            if state == "untrusted":
                item = QTreeWidgetItem([getattr(obj, "name", str(obj)), "?", STATE_TEXT[state]])
            else:
                item = QTreeWidgetItem([obj.title, obj.kind, STATE_TEXT.get(state, state)])
                item.setToolTip(0, f"{obj.id}\n{obj.description}\nlicense: {obj.license}")
            self.tree.addTopLevelItem(item)
        for c in range(3):
            self.tree.resizeColumnToContents(c)
        self.fetch_button.setEnabled(any(s == "missing" for _, s in states))
        # tall enough for every row (up to MAX_ROWS; past that the list scrolls)
        row = max(self.tree.sizeHintForRow(0), self.tree.fontMetrics().height() + 4)
        rows = min(len(states), MAX_ROWS)
        self.tree.setMinimumHeight(self.tree.header().sizeHint().height() + rows * row + 2 * self.tree.frameWidth() + 2)
        counts: dict[str, int] = {}
        for _, st in states:
            counts[st] = counts.get(st, 0) + 1
        parts = [f"{n} {STATE_TEXT.get(st, st).split(' — ')[0]}" for st, n in counts.items()]
        self.summary.setText(f"{len(states)} model{'s' * (len(states) != 1)}: " + ", ".join(parts))


class GeneratePanel(QGroupBox):
    generate_requested = Signal(int)      # seed
    new_face_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Generate face", parent)
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Seed"))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        row.addWidget(self.seed, 1)
        lay.addLayout(row)
        row = QHBoxLayout()
        self.new_button = QPushButton("New face")
        self.new_button.setToolTip("Open a new document with a face sampled from the generator")
        self.into_button = QPushButton("Into selection")
        self.into_button.setToolTip("Replace the selected rectangle (or the whole image) with a face")
        self.new_button.clicked.connect(lambda: self.new_face_requested.emit(self.seed.value()))
        self.into_button.clicked.connect(lambda: self.generate_requested.emit(self.seed.value()))
        row.addWidget(self.new_button)
        row.addWidget(self.into_button)
        lay.addLayout(row)


class TranslatePanel(QGroupBox):
    apply_requested = Signal(str, float)  # model id, strength

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Translate image", parent)
        lay = QVBoxLayout(self)
        self.model = QComboBox()
        self.model.currentIndexChanged.connect(self._on_model)
        lay.addWidget(self.model)
        self.hint = QLabel("")          # below Apply: a model's hint moved Apply under a helper's pointer
        self.hint.setWordWrap(True)
        self.strength = LabeledSlider("Strength", 0, 1, 1.0, fmt="{:.0%}")
        self.strength.setToolTip("How much of the translation is applied; moving it fades the last translation "
                                 "while it is the newest edit (still one undo step)")
        lay.addWidget(self.strength)
        self.only_mask = QCheckBox("Only inside the mask")
        self.only_mask.setToolTip("Apply the translation only where the mask brush painted (soft edges blend)")
        keep = self.only_mask.sizePolicy()
        keep.setRetainSizeWhenHidden(True)          # hidden for sketch models, Apply stays where it was
        self.only_mask.setSizePolicy(keep)
        lay.addWidget(self.only_mask)
        self.apply_button = QPushButton("Apply to whole image")
        self.apply_button.setToolTip("Apply the translation: to the selection where there is one (S), else to the "
                                     "whole image")
        self.apply_button.clicked.connect(
            lambda: self.apply_requested.emit(self.model.currentData() or "", self.strength.value()))
        lay.addWidget(self.apply_button)
        lay.addWidget(self.hint)
        self._sketch: set[str] = set()
        self._scaled: dict[str, str] = {}

    def set_models(self, specs: list) -> None:
        self.model.clear()
        self._sketch = {s.id for s in specs if int(s.params.get("input_nc", 3)) == 1}
        self._scaled = {s.id: s.params.get("scale") for s in specs if s.params.get("scale") in ("face", "crop")}
        for s in specs:
            self.model.addItem(s.title, s.id)
        self.apply_button.setEnabled(bool(specs))
        self._on_model()

    def is_sketch(self) -> bool:
        return (self.model.currentData() or "") in self._sketch

    def _on_model(self) -> None:
        sketch = self.is_sketch()
        self.only_mask.setVisible(not sketch)
        scaled = self._scaled.get(self.model.currentData() or "")
        if sketch:
            text = ("Draw the face's lines with the color brush (any color): outline, eyes, nose, mouth, hair. "
                    "The face is drawn at the size of your lines, where they are (within the selection, if "
                    "there is one); around the lines the photo stays as it is, and the face takes on its "
                    "light. A scanned sketch (dark lines on light paper) can be used without drawing. "
                    "It draws a whole new face: to change a face's eyes or mouth, use Parts or the color "
                    "scribbles instead.")
        elif scaled == "face":
            text = ("Made on faces: the photo's face is found and the whole image is drawn at that face's "
                    "scale (no face found: at a short side of 256 px).")
        elif scaled == "crop":
            text = "Made on face-sized drawings: the whole image, or the selection, is taken as one face."
        else:
            text = ""
        self.hint.setText(text)
        self.hint.setVisible(bool(text))
        self.apply_button.setText("Draw from sketch" if sketch else "Apply")
