"""Entry point: `latentbrush [IMAGE]` opens the editor; `latentbrush SUBCOMMAND …` runs headless."""

from __future__ import annotations

import argparse
import logging
import sys
import time

CLI_COMMANDS = {"models", "bench", "generate", "translate", "project", "scribble", "attribute", "inpaint", "parts"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    word = _command_of(argv)
    if word in CLI_COMMANDS:
        from latentbrush.cli.main import run_cli

        return run_cli(argv)
    if _misspelt_command(word):
        import difflib

        near = difflib.get_close_matches(word, sorted(CLI_COMMANDS), n=1)
        print(f"latentbrush: unknown command {word!r}" + (f" (did you mean {near[0]}?)" if near else "")
              + f"; commands: {', '.join(sorted(CLI_COMMANDS))}; `latentbrush IMAGE` opens an image in the editor",
              file=sys.stderr)
        return 2
    return run_gui(argv)


def _misspelt_command(word: str | None) -> bool:
    """A first word that is neither a command nor an image to open: no such file and no file extension
    (`latentbrush inpant photo.png` was read as an image named "inpant")."""
    from pathlib import Path

    return bool(word) and not word.startswith("-") and "." not in Path(word).name and not Path(word).exists()


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
    """The window shows first; torch and the models load on the worker thread after it (the
    status bar says so, and edits asked for meanwhile wait for them)."""
    t0 = time.perf_counter()
    args = _parse_gui(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from latentbrush.qt_check import check_qt_platform

    problem = check_qt_platform()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from pathlib import Path

    from PySide6.QtCore import QByteArray, QTimer
    from PySide6.QtWidgets import QApplication

    from latentbrush import APP_ID, APP_NAME, __version__
    from latentbrush.engine.dispatcher import Dispatcher
    from latentbrush.engine.loading import model_loader
    from latentbrush.engine.worker import Engine
    from latentbrush.ml.errors import ManifestError
    from latentbrush.ml.manifest import Manifest
    from latentbrush.paths import models_dir
    from latentbrush.ui.fit import fit_to_screen
    from latentbrush.ui.main_window import MainWindow
    from latentbrush.ui.settings import open_settings
    from latentbrush.ui.startup import model_status

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("Latentbrush")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)

    mdir = Path(args.models) if args.models else models_dir()
    try:
        manifest = Manifest.load(mdir)
    except ManifestError as e:
        print(f"latentbrush: {e}", file=sys.stderr)
        return 2
    from latentbrush.engine.gc_guard import MainThreadGC

    collector = MainThreadGC(parent=app)    # never collect Qt objects on the worker thread
    engine = Engine(loader=model_loader(manifest))
    dispatcher = Dispatcher(engine)
    window = MainWindow(dispatcher, manifest, open_settings())
    geometry = window.settings.value("geometry")
    if isinstance(geometry, (QByteArray, bytes)):      # a hand-edited settings file may hold anything
        window.restoreGeometry(geometry)
    fit_to_screen(window)
    model_status(window)
    window.show()
    if args.startup_probe:
        _probe(window, dispatcher, t0)
    QTimer.singleShot(0, engine.load_models)           # after the first paint
    if not args.startup_probe:
        _open_first(window, args, manifest)
    rc = app.exec()
    engine.shutdown()
    collector.stop()
    return int(rc)


def _open_first(window, args: argparse.Namespace, manifest) -> None:
    """A crashed session, the image named, or the welcome view (fetching missing models)."""
    from latentbrush.ui.startup import first_run_fetch

    missing = manifest.missing_defaults()
    if window.session.offer_recovery(ask=not args.recover):
        pass
    elif args.image:
        window.files.open_path(args.image)
    elif missing and not args.no_fetch:
        first_run_fetch(window, missing)
    if manifest.default("generator") and not missing:     # load the generator before it is asked for
        d = window.dispatcher
        d.models_ready.connect(lambda: d.submit("warmup", label="Loading the generator", quiet=True))


def _probe(window, dispatcher, t0: float) -> None:
    """--startup-probe: print when the window is shown (and whether torch was imported by then),
    then when the models are ready, and quit."""
    from PySide6.QtCore import QTimer

    def shown() -> None:
        print(f"WINDOW_SHOWN {time.perf_counter() - t0:.4f} torch={int('torch' in sys.modules)}", flush=True)

    def ready(*_) -> None:
        print(f"MODELS_READY {time.perf_counter() - t0:.4f}", flush=True)
        window.interactive = False
        window.close()

    QTimer.singleShot(0, shown)
    dispatcher.models_ready.connect(ready)
    dispatcher.models_failed.connect(ready)


if __name__ == "__main__":
    raise SystemExit(main())
