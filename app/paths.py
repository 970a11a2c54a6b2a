"""Where things live: the models (manifest, own weights, fetched weights), user data, settings.

Models are read from, in this order:

1. an override — `--models DIR` or `LATENTBRUSH_MODELS=DIR`: one folder holding manifest.toml, the
   project's own weights and (written by `latentbrush models fetch`) the fetched ones;
2. a source checkout — `models/` beside the package (same one-folder layout, `models/fetched/` is
   git-ignored), so developers and CI work as before;
3. an installed wheel or a PyInstaller bundle — the manifest and the project's own weights are
   package data (`<package>/models/`, read with importlib.resources); fetched third-party weights go
   to the per-user folder `user_models_dir()`, never into site-packages or the bundle.

User data (autosaves, saved vectors, sliders, fetched weights of an installed copy) lives in
`data_dir()`: LATENTBRUSH_DATA, else $XDG_DATA_HOME/latentbrush (~/.local/share/latentbrush).
Settings: a file in LATENTBRUSH_CONFIG or LATENTBRUSH_DATA when either is set (tests, portable
installs), else Qt's native place (~/.config/Latentbrush/).
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

PACKAGE = __package__ or __name__.rpartition(".")[0]   # the import package, whatever it is called
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent                          # a source checkout's root (if it is one)
MODELS = "models"                                       # folder name: in the checkout, package, user data
SETTINGS_FILE = "settings.ini"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def checkout_models_dir() -> Path | None:
    """models/ of a source checkout (pyproject.toml beside the package), or None when installed."""
    if getattr(sys, "frozen", False):
        return None
    d = REPO_ROOT / MODELS
    if (REPO_ROOT / "pyproject.toml").is_file() and (d / "manifest.toml").is_file():
        return d
    return None


def packaged_models_dir() -> Path:
    """The manifest and own weights shipped as package data (wheel or PyInstaller bundle).
    The path is returned even when it does not exist, so errors name where it was looked for."""
    try:
        d = resources.files(PACKAGE) / MODELS
    except (ModuleNotFoundError, TypeError):                     # pragma: no cover - broken install
        return PACKAGE_DIR / MODELS
    # wheels install unpacked and PyInstaller unpacks data into sys._MEIPASS: a real folder
    return d if isinstance(d, Path) else PACKAGE_DIR / MODELS


def models_dir() -> Path:
    """The folder holding manifest.toml: LATENTBRUSH_MODELS, a checkout's models/, or package data."""
    return _env_path("LATENTBRUSH_MODELS") or checkout_models_dir() or packaged_models_dir()


def data_dir() -> Path:
    """Per-user data: LATENTBRUSH_DATA, else $XDG_DATA_HOME/latentbrush (~/.local/share/latentbrush)."""
    env = _env_path("LATENTBRUSH_DATA")
    if env:
        return env
    base = _env_path("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return base / "latentbrush"


def user_models_dir() -> Path:
    """Where an installed copy keeps fetched weights (the manifest's `fetched/…` files)."""
    return data_dir() / MODELS


def is_read_only_install(d: Path) -> bool:
    """True for the models folder inside an installed package or a bundle (never written to)."""
    try:
        d = d.resolve()
    except OSError:
        return False
    packaged = packaged_models_dir().resolve()
    bundle = getattr(sys, "_MEIPASS", None)
    return d == packaged or (bundle is not None and d.is_relative_to(Path(bundle).resolve()))


def fetched_root(models: Path) -> Path:
    """The folder that the manifest's fetched files are relative to: the models folder itself for an
    override or a checkout, the per-user folder for the manifest shipped inside the package."""
    return user_models_dir() if is_read_only_install(models) else models


def config_dir() -> Path | None:
    """A folder for the settings file when LATENTBRUSH_CONFIG or LATENTBRUSH_DATA is set, else None
    (Qt's native place). A data/profile override thus keeps settings away from ~/.config too."""
    return _env_path("LATENTBRUSH_CONFIG") or _env_path("LATENTBRUSH_DATA")


def settings_file() -> Path | None:
    d = config_dir()
    return d / SETTINGS_FILE if d else None
