"""app/core and app/ml import no Qt; app/ui imports no torch (statically and at run time)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def imported_modules(path: Path) -> set[str]:
    mods: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            mods.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods.add(node.module)
    return mods


def offenders(folder: str, banned: tuple[str, ...]) -> list[str]:
    out = []
    for f in sorted((APP / folder).rglob("*.py")):
        for m in imported_modules(f):
            if m.split(".")[0] in banned or any(m.startswith(b + ".") or m == b for b in banned):
                out.append(f"{f.relative_to(APP)} imports {m}")
    return out


def test_core_imports_neither_qt_nor_torch():
    assert offenders("core", ("PySide6", "shiboken6", "torch", "torchvision")) == []


def test_ml_imports_no_qt():
    assert offenders("ml", ("PySide6", "shiboken6")) == []


def test_ui_imports_no_torch_and_no_engine():
    assert offenders("ui", ("torch", "torchvision", "app.engine", "app.ml.registry",
                            "app.ml.checkpoints", "app.ml.runners")) == []


def test_ui_modules_import_with_torch_blocked():
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['torchvision'] = None\n"
        "import pkgutil, importlib, app.ui\n"
        "for m in pkgutil.walk_packages(app.ui.__path__, 'app.ui.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
                       cwd=APP.parent)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_the_checker_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nfrom PySide6.QtCore import QObject\n")
    assert {"torch", "PySide6.QtCore"} <= imported_modules(bad)
