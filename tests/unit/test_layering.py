"""app/core and app/ml import no Qt; app/ui imports no torch (statically, relative imports
included, and at run time in a fresh interpreter)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def module_name(path: Path, root: Path = APP.parent) -> str:
    """app/ml/nets/unet.py → latentbrush.ml.nets.unet; a package's __init__.py → the package."""
    parts = list(path.resolve().relative_to(root.resolve()).with_suffix("").parts)
    if parts and parts[0] == "app":
        parts[0] = "latentbrush"          # the folder app/ is installed as the package latentbrush
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path = APP.parent) -> set[str]:
    """Absolute names of what a file imports; relative imports (`from ..engine import x`) are
    resolved against the file's package, and `from pkg import name` also counts pkg.name."""
    mods: set[str] = set()
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            mods.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            mods.add(stem)
            mods.update(f"{stem}.{a.name}" for a in node.names if a.name != "*")
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
    assert offenders("ui", ("torch", "torchvision", "latentbrush.engine", "latentbrush.ml.registry",
                            "latentbrush.ml.checkpoints", "latentbrush.ml.runners")) == []


def test_ui_modules_import_with_torch_blocked():
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['torchvision'] = None\n"
        "import pkgutil, importlib, latentbrush.ui\n"
        "for m in pkgutil.walk_packages(latentbrush.ui.__path__, 'latentbrush.ui.'):\n"
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
    assert {"torch", "PySide6.QtCore"} <= imported_modules(bad, tmp_path)


def test_the_checker_resolves_relative_imports(tmp_path):
    pkg = tmp_path / "app" / "ui" / "panels"
    pkg.mkdir(parents=True)
    f = pkg / "x.py"
    f.write_text("from ...engine import worker\nfrom ..canvas.view import CanvasView\nfrom . import y\n"
                 "from ... import ml\n")
    got = imported_modules(f, tmp_path)
    assert {"latentbrush.engine", "latentbrush.engine.worker", "latentbrush.ui.canvas.view", "latentbrush.ui.panels.y", "latentbrush.ml"} <= got
    init = pkg / "__init__.py"
    init.write_text("from .x import z\n")
    assert "latentbrush.ui.panels.x" in imported_modules(init, tmp_path)


_LOADED = """
import importlib, json, pkgutil, sys
banned = tuple(sys.argv[2].split(","))
for pkg_name in sys.argv[1].split(","):
    pkg = importlib.import_module(pkg_name)
    for m in pkgutil.walk_packages(pkg.__path__, pkg_name + "."):
        importlib.import_module(m.name)
print(json.dumps(sorted(k for k in sys.modules if k.split(".")[0] in banned)))
"""


def loaded_modules(packages: str, banned: str, path: Path = APP.parent) -> list[str]:
    """Import every module of the packages in a fresh interpreter; the banned modules it loaded."""
    import json

    r = subprocess.run([sys.executable, "-c", _LOADED, packages, banned], capture_output=True, text=True,
                       env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(path)},
                       cwd=path, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_importing_core_and_ml_loads_no_qt():
    assert loaded_modules("latentbrush.core,latentbrush.ml", "PySide6,shiboken6") == []


def test_importing_core_loads_no_torch():
    assert loaded_modules("latentbrush.core", "torch,torchvision") == []


def test_the_run_time_check_sees_an_indirect_qt_import(tmp_path):
    pkg = tmp_path / "lib"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helper.py").write_text("def f():\n    return 1\nimport shiboken6  # noqa\n")
    assert "shiboken6" in loaded_modules("lib", "PySide6,shiboken6", tmp_path)
