"""Status-bar progress for worker jobs, previews on the canvas, and applying results as undo
steps. Talks to the dispatcher only through its signals and submit()/cancel_all()."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton

from latentbrush.core.document import Document, DocumentInfo
from latentbrush.core.patches import PixelPatch
from latentbrush.ui.commands import LatentCommand, PatchCommand

if TYPE_CHECKING:
    from latentbrush.ui.main_window import MainWindow


class JobsUI:
    def __init__(self, window: MainWindow, dispatcher) -> None:
        self.w = window
        self.d = dispatcher
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running model edit (Esc)")
        self.cancel_button.clicked.connect(self.d.cancel_all)
        sb = window.statusBar()
        for wdg in (self.label, self.bar, self.cancel_button):
            sb.addPermanentWidget(wdg)
        self._show(False)
        self.d.busy_changed.connect(self._show)
        self.d.progress.connect(self._on_progress)
        self.d.result_ready.connect(self._on_result)
        self.d.failed.connect(self._on_failed)
        self.d.dropped.connect(self._on_dropped)
        self.d.cancelled.connect(self._on_cancelled)
        self.applied = 0
        self.after_result = []    # callbacks(job, result) run after a result is applied
        self.before_result = []   # callbacks(job, result) run just before it is applied

    def _show(self, busy: bool) -> None:
        for wdg in (self.label, self.bar, self.cancel_button):
            wdg.setVisible(busy)
        if busy:
            self.bar.setRange(0, 0)
            self.label.setText("Working…")
        else:
            self.w.canvas.set_preview(None)

    def _on_progress(self, job, p) -> None:
        if p.total > 0:
            self.bar.setRange(0, p.total)
            self.bar.setValue(p.step)
        self.label.setText(f"{job.label}: {p.message}" if p.message else job.label)
        if p.preview is not None and job.kind != "fetch":
            self.w.canvas.set_preview(p.preview, p.preview_bbox)

    def _on_result(self, job, result) -> None:
        self.w.canvas.set_preview(None)
        for cb in list(self.before_result):
            cb(job, result)
        state = result.info.get("latent_state")
        doc = self.w.document
        if result.new_image is not None:
            if self.w.confirm_discard():
                self.w.set_document(Document(result.new_image.copy(), DocumentInfo()))
                if state is not None:
                    self.w.document.set_latent(state)
        elif result.pixels is not None and doc is not None:
            patch = PixelPatch.capture(doc, result.layer, result.bbox, result.pixels.copy())
            if state is not None:
                self.w.undo_stack.push(LatentCommand(doc, patch, doc.latent, state, job.label))
            else:
                self.w.undo_stack.push(PatchCommand(doc, patch, job.label))
        elif state is not None and doc is not None:     # a projection: an undo step that changes no pixel
            self.w.undo_stack.push(LatentCommand(doc, None, doc.latent, state, job.label,
                                                 modifies=job.kind != "project"))
        self.applied += 1
        if result.message:
            self.w.statusBar().showMessage(result.message, 5000)
        for cb in list(self.after_result):
            cb(job, result)

    def _on_failed(self, job, message: str) -> None:
        self.w.canvas.set_preview(None)
        if job.params.get("quiet"):          # a job the person did not start by hand (e.g. after a stroke)
            self.w.statusBar().showMessage(f"{job.label}: {message}", 10_000)
            return
        self.w.show_error(f"{job.label} failed", message)

    def _on_dropped(self, job, reason: str) -> None:
        self.w.statusBar().showMessage(f"{job.label}: result not applied ({reason})", 5000)

    def _on_cancelled(self, job) -> None:
        self.w.canvas.set_preview(None)
        self.w.statusBar().showMessage(f"{job.label}: cancelled", 4000)
