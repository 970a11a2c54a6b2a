"""Settings follow a data/profile override (LATENTBRUSH_CONFIG, LATENTBRUSH_DATA): tests and portable
installs never touch the user's ~/.config (issue 17, item 11)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from latentbrush.ui.settings import open_settings


def test_data_override_holds_the_settings(qapp, monkeypatch, tmp_path):
    monkeypatch.delenv("LATENTBRUSH_CONFIG", raising=False)
    monkeypatch.setenv("LATENTBRUSH_DATA", str(tmp_path / "profile"))
    s = open_settings()
    assert s.format() == QSettings.Format.IniFormat
    assert Path(s.fileName()) == tmp_path / "profile" / "settings.ini"
    s.setValue("k", 1)
    s.sync()
    assert (tmp_path / "profile" / "settings.ini").is_file()
    monkeypatch.setenv("LATENTBRUSH_CONFIG", str(tmp_path / "cfg"))
    assert Path(open_settings().fileName()) == tmp_path / "cfg" / "settings.ini"


def test_without_an_override_the_native_place_is_used(qapp, monkeypatch, tmp_path):
    for name in ("LATENTBRUSH_CONFIG", "LATENTBRUSH_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    s = open_settings()            # only its file name is read: nothing is written
    assert s.format() == QSettings.Format.NativeFormat
    assert Path(s.fileName()).is_relative_to(tmp_path / "xdg")
