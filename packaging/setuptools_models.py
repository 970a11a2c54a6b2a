"""setuptools hook (pyproject.toml, [tool.setuptools.cmdclass]): ship models/ inside the package.

A source checkout keeps the manifest and the project's own weights in the top-level models/, where
developers, tests and the training scripts use them in place. A wheel needs them as package data
(read with importlib.resources, see app/paths.py), so the build copies models/manifest.toml and every
file the manifest names that is NOT fetched (source.type != "pypi-wheel") to <package>/models/.
Fetched third-party weights (models/fetched/) and files the manifest does not name never ship.
The sample photo (resources/samples/) ships as <package>/resources/samples/ (app/ui/welcome.py).
An editable install skips the copy: it reads models/ and resources/ of the checkout.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent.parent
MODELS = "models"
SAMPLES = "resources/samples"


def shipped_files(root: Path = ROOT) -> list[Path]:
    """models/manifest.toml and the project's own weight files it names (relative to models/)."""
    models = root / MODELS
    manifest = models / "manifest.toml"
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} is missing: build from a source checkout or its sdist")
    files = [manifest]
    for table in tomllib.loads(manifest.read_text(encoding="utf-8")).get("model", []):
        if dict(table.get("source", {})).get("type") == "pypi-wheel":
            continue                                  # third-party: fetched into the user's folder
        path = models / str(table["file"])
        if not path.is_file():
            raise FileNotFoundError(f"{path} (model {table.get('id')!r}) is missing; cannot ship it")
        files.append(path)
    return files


def package_data(root: Path = ROOT) -> list[Path]:
    """Every file copied into the package: shipped_files() and the sample photo folder."""
    samples = sorted(p for p in (root / SAMPLES).glob("*") if p.is_file())
    return [*shipped_files(root), *samples]


def _top_package(packages: list[str]) -> str:
    tops = sorted({p.split(".")[0] for p in packages})
    if len(tops) != 1:
        raise RuntimeError(f"expected one top-level package, found {tops}")
    return tops[0]


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        pkg = Path(self.build_lib) / _top_package(self.packages)
        for d in (MODELS, SAMPLES):
            shutil.rmtree(pkg / d, ignore_errors=True)   # no stale weights from an earlier build
        for f in package_data():
            target = pkg / f.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.copy_file(str(f), str(target), preserve_mode=False)


class Sdist(sdist):
    """The sdist carries models/ (own weights only) and this hook, so a wheel builds from it."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        for f in [*package_data(), Path(__file__).resolve()]:
            target = Path(base_dir) / f.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.copy_file(str(f), str(target), preserve_mode=False)
