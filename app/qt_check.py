"""Before QApplication on Linux: are the system libraries of Qt's xcb platform plugin there?

When they are not, Qt aborts with "no Qt platform plugin could be initialized" and a hint that
names `libxcb-cursor0` whatever is actually missing. We try to load the plugin first (Qt loads it
a moment later anyway, so this costs nothing when all is well); if that fails, `ldd` on the plugin
lists every missing library and we name the Debian/Ubuntu packages that provide them.
No Qt and no torch are imported here.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

# soname → Debian/Ubuntu package (bookworm / jammy names)
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}
# what README's set-up line installs: the xcb libraries a fresh Debian lacks
APT_PACKAGES = ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0",
                "libxcb-render-util0", "libxcb-xkb1", "libxkbcommon-x11-0", "libxcb-shape0",
                "libxcb-xinerama0")


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Will Qt try the xcb plugin? (Linux, and QT_QPA_PLATFORM unset or naming xcb; a Wayland
    session without QT_QPA_PLATFORM uses the wayland plugin.)"""
    if not platform.startswith("linux"):
        return False
    qpa = env.get("QT_QPA_PLATFORM", "").strip()
    if qpa:
        return qpa.split(";")[0].split(":")[0] == "xcb"
    return not env.get("WAYLAND_DISPLAY")


def xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    for root in (spec.submodule_search_locations or []) if spec else []:
        p = Path(root) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if p.is_file():
            return p
    return None


def missing_from_ldd(output: str) -> list[str]:
    """Sonames that `ldd` reports as "not found", in order, without repeats."""
    out: list[str] = []
    for line in output.splitlines():
        name, sep, rest = line.strip().partition("=>")
        if sep and rest.strip() == "not found" and name.strip() not in out:
            out.append(name.strip())
    return out


def packages_for(libs: list[str]) -> list[str]:
    pkgs: list[str] = []
    for lib in libs:
        pkg = DEBIAN_PACKAGES.get(lib)
        if pkg and pkg not in pkgs:
            pkgs.append(pkg)
    return pkgs


def message(missing: list[str], plugin: Path | None = None) -> str:
    pkgs = packages_for(missing)
    unknown = [lib for lib in missing if lib not in DEBIAN_PACKAGES]
    lines = ["latentbrush: Qt cannot open a window: system libraries of its xcb platform plugin are missing:",
             "    " + " ".join(missing)]
    if plugin is not None:
        lines.append(f"(found with: ldd {plugin})")
    if pkgs:
        lines += ["On Debian / Ubuntu install them with:",
                  "    sudo apt-get install " + " ".join(pkgs)]
    if unknown:
        lines.append("Your distribution's package search can tell which packages provide: " + " ".join(unknown))
    lines.append("Or install everything Qt needs at once: sudo apt-get install " + " ".join(APT_PACKAGES))
    return "\n".join(lines)


def _run_ldd(path: Path) -> str:
    ldd = shutil.which("ldd")
    if ldd is None:
        return ""
    try:
        return subprocess.run([ldd, str(path)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _dlopen(path: Path) -> None:
    ctypes.CDLL(str(path))


def check_qt_platform(env: Mapping[str, str] | None = None, *,
                      plugin: Path | None = None,
                      load: Callable[[Path], None] = _dlopen,
                      ldd: Callable[[Path], str] = _run_ldd) -> str | None:
    """None when Qt's xcb plugin can load (or is not going to be used); else the message to
    print instead of Qt's."""
    env = os.environ if env is None else env
    if not uses_xcb(env):
        return None
    plugin = plugin or xcb_plugin()
    if plugin is None:
        return None
    try:
        load(plugin)
    except OSError as e:
        missing = missing_from_ldd(ldd(plugin))
        if missing:
            return message(missing, plugin)
        return f"latentbrush: Qt's xcb platform plugin cannot be loaded: {e}"
    if not env.get("DISPLAY"):      # Qt would blame libxcb-cursor0 here too (a helper was sent looking for it)
        return ("latentbrush: there is no display to show the editor on (DISPLAY is not set). Start it from a "
                "desktop session (or over ssh -X), or use the command line: latentbrush --help")
    return None
