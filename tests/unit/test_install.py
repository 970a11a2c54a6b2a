"""A built wheel, installed (not editable) and run from another folder, finds its manifest and own
weights as package data, keeps fetched weights in the user folder and writes nothing into the
installed package (issue 17)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PKG = "latentbrush"     # the import package (also the wheel's top-level folder)
SRC = "app"             # its folder in the checkout (pyproject.toml: package-dir)
pytestmark = pytest.mark.slow


def _hook():
    spec = importlib.util.spec_from_file_location("lb_setuptools_models", REPO / "packaging" / "setuptools_models.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _pip(*args: str, cwd: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args],
                       cwd=cwd, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel . --no-deps` of a copy of the source tree (the checkout itself stays untouched),
    with a fetched file and an unlisted one in its models/ that must not ship."""
    try:
        setuptools_major = int(importlib.metadata.version("setuptools").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        setuptools_major = 0
    if setuptools_major < 68:       # pyproject.toml's build requirement; --no-build-isolation uses this venv's
        pytest.skip("setuptools >= 68 is not installed in this environment")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for d in (SRC, "packaging"):
        shutil.copytree(REPO / d, src / d, ignore=ignore)
    for f in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / f, src / f)
    for f in _hook().package_data(REPO):
        (src / f.relative_to(REPO)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, src / f.relative_to(REPO))
    (src / "models" / "fetched").mkdir()
    (src / "models" / "fetched" / "face-dcgan64.safetensors").write_bytes(b"fetched")
    (src / "models" / "stray.safetensors").write_bytes(b"unlisted")
    _pip("wheel", ".", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), cwd=src)
    (whl,) = (tmp / "dist").glob("latentbrush-*.whl")
    return whl


@pytest.fixture(scope="module")
def target(wheel, tmp_path_factory) -> Path:
    t = tmp_path_factory.mktemp("site") / "site-packages"
    _pip("install", "--no-deps", "--no-index", "--target", str(t), str(wheel), cwd=wheel.parent)
    return t


def test_wheel_holds_the_manifest_and_own_weights_but_no_fetched_ones(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    own = {f"{PKG}/{f.relative_to(REPO).as_posix()}" for f in _hook().package_data(REPO)}
    assert f"{PKG}/models/manifest.toml" in own and f"{PKG}/models/encoder-face64.safetensors" in own
    assert own <= names, sorted(own - names)
    assert not [n for n in names if "fetched" in n or "stray" in n]
    assert not [n for n in names if not n.startswith((f"{PKG}/", "latentbrush-"))], "one top-level package only"


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else (-1, 0)
            for p in root.rglob("*")}


def _env(target: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LATENTBRUSH_", "XDG_", "PYTHON"))}
    return {**env, "PYTHONPATH": str(target), "LATENTBRUSH_DEVICE": "cpu", "LATENTBRUSH_THREADS": "1", **extra}


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_installed_wheel_lists_its_models_from_any_folder(target, tmp_path):
    before = _snapshot(target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    xdg = tmp_path / "xdg"
    user = xdg / "latentbrush" / "models"
    (user / "fetched").mkdir(parents=True)
    (user / "fetched" / "face-dcgan64.safetensors").write_bytes(b"stand-in")   # as if fetched
    env = _env(target, HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(xdg))
    r = _run([sys.executable, "-c", f"import {PKG}; print({PKG}.__file__)"], elsewhere, env)
    assert Path(r.stdout.strip()).is_relative_to(target), r.stdout + r.stderr   # not the checkout's copy
    for cmd in ([sys.executable, "-m", PKG, "models", "list"], [str(target / "bin" / "latentbrush"), "models", "list"]):
        r = _run(cmd, elsewhere, env)
        assert r.returncode == 0, r.stdout + r.stderr
        lines = {ln.split()[0]: ln for ln in r.stdout.splitlines() if ln.strip()}
        assert "present" in lines["face-dcgan64"] and "missing" in lines["vintage-cyclegan"]
        assert "present" in lines["face-encoder64"]                                   # package data
        assert f"manifest and own weights: {target / PKG / 'models'}" in r.stdout
        assert f"fetched weights: {user}" in r.stdout
    r = _run([sys.executable, "-m", PKG, "models", "list"], elsewhere,
             {**env, "LATENTBRUSH_DATA": str(tmp_path / "profile")})
    assert f"fetched weights: {tmp_path / 'profile' / 'models'}" in r.stdout, r.stdout + r.stderr
    assert "missing" in {ln.split()[0]: ln for ln in r.stdout.splitlines()}["face-dcgan64"]
    assert _snapshot(target) == before, "something was written into the installed package"
    assert not (tmp_path / "home").exists()


@pytest.mark.needs_weights
def test_installed_wheel_generates_with_weights_from_the_user_folder(target, real_models, tmp_path):
    before = _snapshot(target)
    user = tmp_path / "data" / "models" / "fetched"
    user.mkdir(parents=True)
    gen = real_models / "fetched" / "face-dcgan64.safetensors"
    shutil.copy2(gen, user / gen.name)
    env = _env(target, HOME=str(tmp_path / "home"), LATENTBRUSH_DATA=str(tmp_path / "data"))
    r = _run([str(target / "bin" / "latentbrush"), "generate", "-o", "face.png", "--size", "64"], tmp_path, env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "face.png").stat().st_size > 1000
    assert _snapshot(target) == before, "something was written into the installed package"
