"""Entry point: `latentbrush [IMAGE]` opens the editor; `latentbrush SUBCOMMAND …` runs headless."""

from __future__ import annotations

import argparse
import logging
import sys
import time

CLI_COMMANDS = {"models", "bench", "generate", "translate", "project", "scribble", "attribute", "inpaint", "parts"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _command_of(argv) in CLI_COMMANDS:
        from app.cli import run_cli

        return run_cli(argv)
    return run_gui(argv)


def _command_of(argv: list[str]) -> str | None:
    """The first word after the global options (`--models DIR` may come before a subcommand)."""
    i = 0
    while i < len(argv) and argv[i].startswith("--models"):
        i += 1 if "=" in argv[i] else 2
    return argv[i] if i < len(argv) else None


def main_gui() -> int:
    return run_gui(sys.argv[1:])


def _parse_gui(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="latentbrush", description=(
        "Latentbrush photo editor. Headless commands: " + ", ".join(sorted(CLI_COMMANDS))
        + " (latentbrush COMMAND --help)."))
    p.add_argument("image", nargs="?", help="an image to open")
    p.add_argument("--no-fetch", action="store_true", help="do not fetch missing default models at start")
    p.add_argument("--models", help="models directory (default: models/ of the installation)")
    p.add_argument("--recover", action="store_true",
                   help="restore the session a crash left behind without asking")
    p.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def run_gui(argv: list[str]) -> int:
    t0 = time.perf_counter()
    args = _parse_gui(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from PySide6.QtCore import QByteArray, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from app import APP_ID, APP_NAME, __version__
    from app.engine.dispatcher import Dispatcher
    from app.engine.worker import Engine
    from app.ml.devices import configure_threads
    from app.ml.errors import ManifestError
    from app.ml.fetch import missing_defaults
    from app.ml.manifest import Manifest
    from app.ml.registry import ModelManager
    from app.paths import models_dir
    from app.ui.main_window import MainWindow
    from app.ui.startup import first_run_fetch

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("Latentbrush")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    from pathlib import Path

    mdir = Path(args.models) if args.models else models_dir()
    try:
        manifest = Manifest.load(mdir)
    except ManifestError as e:
        print(f"latentbrush: {e}", file=sys.stderr)
        return 2
    configure_threads()
    from app.engine.gc_guard import MainThreadGC

    collector = MainThreadGC(parent=app)    # never collect Qt objects on the worker thread
    engine = Engine(ModelManager(manifest))
    dispatcher = Dispatcher(engine)
    window = MainWindow(dispatcher, manifest, QSettings())
    geometry = window.settings.value("geometry")
    if isinstance(geometry, (QByteArray, bytes)):      # a hand-edited settings file may hold anything
        window.restoreGeometry(geometry)
    window.show()
    if args.startup_probe:
        def probe() -> None:
            print(f"WINDOW_SHOWN {time.perf_counter() - t0:.4f}", flush=True)
            window.interactive = False
            window.close()
        QTimer.singleShot(0, probe)
    elif window.session.offer_recovery(ask=not args.recover):
        pass
    elif args.image:
        window.files.open_path(args.image)
        if manifest.default("generator") and not missing_defaults(manifest):
            dispatcher.submit("warmup", label="Loading models")
    else:
        missing = missing_defaults(manifest)
        if missing and not args.no_fetch:
            first_run_fetch(window, missing)
        elif manifest.default("generator") and not missing:
            window.new_face()
    rc = app.exec()
    engine.shutdown()
    collector.stop()
    return int(rc)


if __name__ == "__main__":
    raise SystemExit(main())
