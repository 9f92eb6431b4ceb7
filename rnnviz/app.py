"""Start the window: check for a display, create the QApplication, hook errors, theme, show.

Qt is imported only after the display check, so that a machine without a display gets a
clear message (what to install, or how to render without one) instead of Qt's abort.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import os
import signal
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PyQt6.QtWidgets import QWidget

# QPA platforms that need no display server at all.
HEADLESS_PLATFORMS = frozenset(
    {"offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb", "vkkhrdisplay"}
)
# Set by ``python -m rnnviz.bench frames`` to a time.monotonic() stamp taken just before the
# launch: the app prints the seconds from then to its first painted window, and quits.
FIRST_PAINT_ENV = "RNNVIZ_BENCH_LAUNCHED_AT"
# Python's cycle collector is off while the window starts (see main), and back on once it has
# painted, or after this long at the latest (a window that never paints: started minimised).
COLLECTOR_OFF_AT_MOST_MS = 10_000
XCB_PACKAGES = (
    "libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 "
    "libxcb-render-util0 libxcb-xinerama0 libxcb-shape0 libegl1 libgl1 libfontconfig1"
)


def display_problem(environ: Mapping[str, str], platform: str) -> str | None:
    """Why the window cannot open on this machine (a message for the user), or None.

    Only Linux and other X11/Wayland systems need a display server; Windows and macOS
    always have their own.
    """
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    wanted = [p.split(":")[0].strip() for p in environ.get("QT_QPA_PLATFORM", "").split(";")]
    wanted = [p for p in wanted if p]
    x11, wayland = bool(environ.get("DISPLAY")), bool(environ.get("WAYLAND_DISPLAY"))
    if not wanted:
        if x11 or wayland:
            return None
        reason = "neither DISPLAY nor WAYLAND_DISPLAY is set"
    else:
        for name in wanted:
            if name in HEADLESS_PLATFORMS or (name == "xcb" and x11):
                return None
            if name.startswith("wayland") and wayland:
                return None
            if name != "xcb" and not name.startswith("wayland"):
                return None  # a platform we do not know: let Qt decide
        needs = " or ".join(
            "DISPLAY" if name == "xcb" else "WAYLAND_DISPLAY" for name in dict.fromkeys(wanted)
        )
        reason = f"QT_QPA_PLATFORM={environ['QT_QPA_PLATFORM']} needs {needs}, which is not set"
    return (
        f"rnnviz: no display found, so the window cannot open ({reason}).\n"
        "  - On a desktop, start rnnviz from a terminal inside the graphical session; over SSH,\n"
        "    connect with `ssh -X`. Or run it on a virtual display: `xvfb-run rnnviz`.\n"
        "  - If the window still does not open, install Qt's X11 libraries:\n"
        f"      sudo apt-get install {XCB_PACKAGES}\n"
        "  - Without any display, render the window to a picture instead:\n"
        "      rnnviz render --out shot.png --steps 12 --backward"
    )


def x_server_problem(environ: Mapping[str, str]) -> str | None:
    """When Qt would use X11: why no X server answers at DISPLAY (a message), or None.

    Qt aborts the process (exit 134) when DISPLAY names no server, with a hint about
    libxcb-cursor0 that sends users the wrong way; libxcb answers the same question first.
    """
    wanted = environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if not environ.get("DISPLAY") or wanted not in ("", "xcb"):
        return None
    if not wanted and environ.get("WAYLAND_DISPLAY"):
        return None  # Qt may well take Wayland
    try:
        xcb = ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
    except OSError:
        return None  # Qt's own message names the library it misses
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(environ["DISPLAY"].encode(), None)
    failed = xcb.xcb_connection_has_error(connection)
    xcb.xcb_disconnect(connection)
    if not failed:
        return None
    return (
        f"rnnviz: no X server answers at DISPLAY={environ['DISPLAY']}, so the window cannot "
        "open.\n"
        "  - Check that the graphical session is running and that DISPLAY names it; over SSH,\n"
        "    connect with `ssh -X`. Or run it on a virtual display: `xvfb-run rnnviz`.\n"
        "  - Without any display, render the window to a picture instead:\n"
        "      rnnviz render --out shot.png --steps 12 --backward"
    )


def build_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="rnnviz",
        description="Open the rnnviz window with a ready network and a sine wave to feed. "
        "Keys: → step, ← back, Space play/pause, Home reset, B backward pass, "
        "U fold/unfold, F11 full screen. Subcommands: rnnviz analyze, rnnviz render.",
    )


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    problem = display_problem(os.environ, sys.platform) or x_server_problem(os.environ)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2

    # The cycle collector would walk the objects the imports and the window make (~60,000 by
    # the end) in ~130 passes before the first paint, ~40 ms of the launch; no garbage made
    # while starting needs collecting sooner. One pass after the first paint does it all.
    gc.disable()
    from PyQt6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1] or ["rnnviz"])
    app.setApplicationName("rnnviz")
    from rnnviz.errors import install_excepthook

    reporter = install_excepthook()  # before anything else can fail inside a slot
    from rnnviz.views.look import theme

    theme.apply(app)
    from rnnviz.views.window.main_window import MainWindow

    window = MainWindow()
    reporter.parent = window
    # Before the benchmark's report, which therefore times the paint, not the pass after it.
    collect_after_first_paint(window)
    launched = os.environ.get(FIRST_PAINT_ENV)
    if launched is not None:
        report_first_paint(window, float(launched) if launched else started)
    window.show_fitted()
    # Ctrl+C in the terminal quits (Python's own handler cannot run inside Qt's loop).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return app.exec()


def collect_after_first_paint(window: QWidget) -> None:
    """Once ``window`` has painted, collect what starting left and turn Python's cycle
    collector back on (main turned it off)."""
    from PyQt6.QtCore import QEvent, QObject, QTimer

    def collect() -> None:
        if not gc.isenabled():
            gc.collect()
            gc.enable()

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
            if event is not None and event.type() == QEvent.Type.Paint:
                assert watched is not None
                watched.removeEventFilter(self)
                QTimer.singleShot(0, collect)  # after this paint pass
            return False

    window.installEventFilter(FirstPaint(window))
    QTimer.singleShot(COLLECTOR_OFF_AT_MOST_MS, collect)


def report_first_paint(window: QWidget, launched: float) -> None:
    """Print the seconds from ``launched`` to the window's first paint, then quit."""
    from PyQt6.QtCore import QEvent, QObject, QTimer
    from PyQt6.QtWidgets import QApplication

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
            if event is not None and event.type() == QEvent.Type.Paint:
                assert watched is not None
                watched.removeEventFilter(self)
                # After this paint pass has finished drawing every child.
                QTimer.singleShot(0, self.done)
            return False

        def done(self) -> None:
            print(f"first paint {time.monotonic() - launched:.3f} s", flush=True)
            QApplication.quit()

    window.installEventFilter(FirstPaint(window))
