"""Where things live: models/, the user's data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    """LATENTBRUSH_MODELS, else models/ beside the app (source checkout or bundle)."""
    env = os.environ.get("LATENTBRUSH_MODELS")
    if env:
        return Path(env)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "models"
    return REPO_ROOT / "models"


def data_dir() -> Path:
    env = os.environ.get("LATENTBRUSH_DATA")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "latentbrush"
