"""The editor's QSettings: a file in the data/profile folder when one is set, else Qt's native place."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from latentbrush.paths import settings_file


def open_settings() -> QSettings:
    """LATENTBRUSH_CONFIG or LATENTBRUSH_DATA set (tests, portable installs): an INI file there, so
    the user's ~/.config is never touched; otherwise the native settings of the organisation and
    application names set on the QApplication (~/.config/Latentbrush/Latentbrush.conf on Linux)."""
    path = settings_file()
    if path is None:
        return QSettings()
    path.parent.mkdir(parents=True, exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)
