"""The import contract, read from the source (ARCHITECTURE.md):

    core  ←  ml  ←  engine / session  ←  ui          (cli and bench drive ml and session)

- no import cycle between modules (imports inside functions and `if TYPE_CHECKING:` included);
- no private name (`_x`) imported from another module;
- no module over 400 lines;
- `core` imports no other layer; `ml` imports neither session, engine nor ui; `session` imports
  neither engine nor ui (nor Qt); `ui` imports nothing from `ml` or `engine`.
"""

from __future__ import annotations

import ast
from pathlib import Path

from test_layering import APP, imported_modules, module_name

MAX_LINES = 400


def module_files(root: Path = APP) -> dict[str, Path]:
    return {module_name(f, root.parent): f for f in sorted(root.rglob("*.py"))}


def graph(root: Path = APP) -> dict[str, set[str]]:
    """Module → the project's modules it imports (a `from pkg import name` counts pkg.name when
    that is a module, else pkg)."""
    mods = module_files(root)
    out: dict[str, set[str]] = {}
    for m, f in mods.items():
        deps = set()
        for d in imported_modules(f, root.parent):
            while d and d not in mods:
                d = d.rpartition(".")[0]
            if d and d != m:
                deps.add(d)
        out[m] = deps
    return out


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in g:
        if root in index:
            continue
        work = [(root, iter(sorted(g[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(g.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def private_imports(root: Path = APP) -> list[str]:
    out = []
    for m, f in module_files(root).items():
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            if isinstance(node, ast.ImportFrom):
                out += [f"{m}: from {'.' * node.level}{node.module or ''} import {a.name}"
                        for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    return out


def layer_violations(g: dict[str, set[str]]) -> list[str]:
    rules = {   # layer → layers it must not import
        "latentbrush.core": ("latentbrush.ml", "latentbrush.engine", "latentbrush.session", "latentbrush.ui",
                             "latentbrush.cli", "latentbrush.bench"),
        "latentbrush.ml": ("latentbrush.engine", "latentbrush.session", "latentbrush.ui", "latentbrush.cli",
                           "latentbrush.bench"),
        "latentbrush.session": ("latentbrush.engine", "latentbrush.ui", "latentbrush.cli", "latentbrush.bench"),
        "latentbrush.engine": ("latentbrush.ui", "latentbrush.cli", "latentbrush.bench"),
        "latentbrush.ui": ("latentbrush.ml", "latentbrush.engine", "latentbrush.cli", "latentbrush.bench"),
    }
    out = []
    for m, deps in g.items():
        for layer, banned in rules.items():
            if m == layer or m.startswith(layer + "."):
                out += [f"{m} imports {d}" for d in sorted(deps) if any(d == b or d.startswith(b + ".") for b in banned)]
    return out


# -- the contract ---------------------------------------------------------------------------------
def test_no_import_cycles():
    assert cycles(graph()) == []


def test_no_private_names_imported_across_modules():
    assert private_imports() == []


def test_no_module_over_400_lines():
    long = {m: n for m, f in module_files().items() if (n := len(f.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_layers_import_only_downwards():
    assert layer_violations(graph()) == []


def test_session_imports_no_qt():
    bad = [f"{m} imports {d}" for m, f in module_files().items() if m.startswith("latentbrush.session")
           for d in imported_modules(f) if d.split(".")[0] in ("PySide6", "shiboken6")]
    assert bad == []


# -- the checkers catch what they are for ---------------------------------------------------------
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "app"
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    for d in [root, *root.rglob("*")]:
        if d.is_dir() and not (d / "__init__.py").exists():
            (d / "__init__.py").write_text("")
    return root


def test_a_cycle_through_a_function_level_or_type_checking_import_is_found(tmp_path):
    root = _tree(tmp_path, {
        "ui/a.py": "from latentbrush.ui.b import x\n",
        "ui/b.py": "def f():\n    from latentbrush.ui.c import y\n",
        "ui/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from latentbrush.ui.a import z\n",
        "ui/d.py": "from latentbrush.ui.a import x\n",
    })
    assert cycles(graph(root)) == [["latentbrush.ui.a", "latentbrush.ui.b", "latentbrush.ui.c"]]


def test_private_and_layer_violations_are_found(tmp_path):
    root = _tree(tmp_path, {
        "ml/m.py": "from latentbrush.ml.n import _helper\nfrom latentbrush.session.model import S\n",
        "ml/n.py": "def _helper():\n    pass\n",
        "ui/v.py": "from latentbrush.ml import m\n",
        "session/model.py": "S = 1\n",
    })
    assert private_imports(root) == ["latentbrush.ml.m: from latentbrush.ml.n import _helper"]
    found = layer_violations(graph(root))
    assert "latentbrush.ml.m imports latentbrush.session.model" in found
    assert "latentbrush.ui.v imports latentbrush.ml.m" in found
    assert not [v for v in found if v.startswith("latentbrush.ml.n") or v.startswith("latentbrush.session")]
