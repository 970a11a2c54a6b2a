"""Status-bar progress for worker jobs, previews on the canvas; a fresh result is handed to the
session model, which makes it an undo step (app/session/model.py: SessionModel.apply). Talks to
the dispatcher only through its signals and cancel_all()."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton

from latentbrush.core.verdicts import status_line
from latentbrush.ui.context import Window

# jobs whose whole report is also shown in a panel: the status bar gets its first sentence
PANEL_OF = {"parts_edit": "Parts"}


class JobsUI:
    def __init__(self, window: Window, dispatcher) -> None:
        self.w = window
        self.d = dispatcher
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running model edit (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancelling = self.busy = False
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

    def cancel(self) -> None:
        """Esc or Cancel: the running jobs are told to stop, and the status says so until they have (a model
        stops at its next step: a helper's Esc during a 48-MP fill looked unheard for seconds)."""
        was = self.busy
        self.d.cancel_all()
        if was and self.busy:       # (a job that had not started is gone at once)
            self.cancelling = True
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling… (the model stops at its next step)")

    def _show(self, busy: bool) -> None:
        self.cancelling, self.busy = False, busy
        self.cancel_button.setEnabled(True)
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
        else:           # a step of unknown length: a busy bar, not a bar stuck at 0 %
            self.bar.setRange(0, 0)
        if self.cancelling and job.cancelled:       # (what it still reports is not news: it is stopping)
            return
        if self.cancelling:         # a job started since (fill on release, a new edit): its own progress again
            self.cancelling = False
            self.cancel_button.setEnabled(True)
        self.label.setText(f"{job.label}: {p.message}" if p.message else job.label)
        if p.preview is not None and job.kind != "fetch":
            self.w.canvas.set_preview(p.preview, p.preview_bbox)

    def _on_result(self, job, result) -> None:
        self.w.canvas.set_preview(None)
        if self.w.model.apply(job, result, confirm_discard=self.w.confirm_discard) and result.message:
            # long enough to read (a helper missed a part edit's two-sentence report in 5 s)
            panel = PANEL_OF.get(job.kind)      # (elsewhere the status bar is the only place it is said)
            line = status_line(result.message, more=f"(the {panel} panel says more)") if panel else result.message
            self.w.statusBar().showMessage(line, min(20_000, max(5000, 60 * len(line))))

    def _on_failed(self, job, message: str) -> None:
        self.w.canvas.set_preview(None)
        if job.quiet:          # a job the person did not start by hand (e.g. after a stroke)
            self.w.statusBar().showMessage(f"{job.label}: {message}", 10_000)
            return
        self.w.show_error(f"{job.label} failed", message)

    def _on_dropped(self, job, reason: str) -> None:
        self.w.statusBar().showMessage(f"{job.label}: result not applied ({reason})", 10_000)

    def _on_cancelled(self, job) -> None:
        self.w.canvas.set_preview(None)
        self.w.statusBar().showMessage(f"{job.label}: cancelled", 4000)
