from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "packaging"
DESKTOP = PKG / "io.github.latentbrush.Latentbrush.desktop"
META = PKG / "io.github.latentbrush.Latentbrush.metainfo.xml"


def test_desktop_entry_fields():
    text = DESKTOP.read_text()
    for key in ("Type=Application", "Name=Latentbrush", "Exec=latentbrush", "Icon=io.github.latentbrush.Latentbrush"):
        assert key in text
    assert (PKG / "io.github.latentbrush.Latentbrush.svg").is_file()
    ET.parse(PKG / "io.github.latentbrush.Latentbrush.svg")


def test_metainfo_is_well_formed_and_names_the_desktop_file():
    root = ET.parse(META).getroot()
    assert root.find("id").text == "io.github.latentbrush.Latentbrush"
    assert root.find("launchable").text == DESKTOP.name


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-validate not installed")
def test_desktop_file_validate():
    r = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed")
def test_appstreamcli_validate():
    r = subprocess.run(["appstreamcli", "validate", "--no-net", "--pedantic", str(META)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_installed_package_is_latentbrush_and_lists_every_subpackage():
    """The folder app/ installs as the import package `latentbrush` (no top-level `app` in
    site-packages); every sub-folder with an __init__.py is in pyproject's package list."""
    import tomllib

    root = PKG.parent
    cfg = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert cfg["package-dir"] == {"latentbrush": "app"}
    found = {".".join(("latentbrush", *p.parent.relative_to(root / "app").parts))
             for p in (root / "app").rglob("__init__.py")}
    assert set(cfg["packages"]) == found
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["latentbrush"] == "latentbrush.main:main"
