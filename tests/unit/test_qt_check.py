"""The check before QApplication: which system libraries Qt's xcb plugin lacks (a fake `ldd`)."""

from __future__ import annotations

from pathlib import Path

from latentbrush.qt_check import (
    APT_PACKAGES,
    check_qt_platform,
    message,
    missing_from_ldd,
    packages_for,
    uses_xcb,
)

# what ldd printed on a fresh Debian (trimmed)
LDD = """\
\tlinux-vdso.so.1 (0x00007ffd4b5f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f0c1e400000)
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f0c1e9e1000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f0c1e9da000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f0c1e9d3000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-render-util.so.0 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0c1d800000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibfoo-exotic.so.3 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f0c1ea1e000)
"""
PLUGIN = Path("/venv/PySide6/Qt/plugins/platforms/libqxcb.so")


def test_missing_libraries_from_ldd_output():
    assert missing_from_ldd(LDD) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-render-util.so.0",
                                     "libfoo-exotic.so.3"]
    assert missing_from_ldd("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []


def test_packages_and_message_name_what_is_missing():
    missing = missing_from_ldd(LDD)
    assert packages_for(missing) == ["libxcb-icccm4", "libxcb-keysyms1", "libxcb-render-util0"]
    text = message(missing, PLUGIN)
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-render-util0" in text
    assert "libfoo-exotic.so.3" in text.splitlines()[1] and "provide: libfoo-exotic.so.3" in text
    assert f"ldd {PLUGIN}" in text
    assert "sudo apt-get install " + " ".join(APT_PACKAGES) in text
    assert "libxcb-cursor0" not in text.split("Or install")[0]      # not Qt's misleading hint


def test_only_xcb_on_linux_is_checked():
    assert uses_xcb({}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb:foo=1"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "wayland;xcb"}, "linux")
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not uses_xcb({}, "darwin") and not uses_xcb({}, "win32")


def test_check_reports_missing_libraries_when_the_plugin_cannot_load():
    def fail(path):
        raise OSError("libxcb-icccm.so.4: cannot open shared object file: No such file or directory")

    got = check_qt_platform({}, plugin=PLUGIN, load=fail, ldd=lambda p: LDD)
    assert got is not None and "libxcb-icccm4 libxcb-keysyms1" in got
    # ldd unavailable: the loader's own message
    got = check_qt_platform({}, plugin=PLUGIN, load=fail, ldd=lambda p: "")
    assert got is not None and "cannot open shared object file" in got


def test_check_passes_when_the_plugin_loads_or_is_not_used():
    calls = []
    assert check_qt_platform({"DISPLAY": ":0"}, plugin=PLUGIN, load=calls.append, ldd=lambda p: LDD) is None
    assert calls == [PLUGIN]

    def never(path):
        raise AssertionError("not loaded for offscreen")

    assert check_qt_platform({"QT_QPA_PLATFORM": "offscreen"}, plugin=PLUGIN, load=never) is None


def test_no_display_is_named_as_such_not_as_a_missing_library():
    """Qt's own message without a display blames libxcb-cursor0 (a helper went looking for it)."""
    got = check_qt_platform({}, plugin=PLUGIN, load=lambda p: None, ldd=lambda p: "")
    assert got is not None and "no display" in got and "DISPLAY is not set" in got and "xcb" not in got
    assert check_qt_platform({"DISPLAY": ":1"}, plugin=PLUGIN, load=lambda p: None) is None
