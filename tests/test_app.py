"""Starting the app: the display check, the three ways to launch, and the exception hook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QApplication, QMessageBox

from rnnviz.app import FIRST_PAINT_ENV, display_problem, x_server_problem
from rnnviz.errors import ErrorReporter, install_excepthook
from rnnviz.session import Session
from rnnviz.views.window.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
CONSOLE_SCRIPT = Path(sys.executable).with_name("rnnviz")
LAUNCHES: list[list[str]] = [
    [sys.executable, "-m", "rnnviz"],
    [sys.executable, str(ROOT / "main.py")],
]
if CONSOLE_SCRIPT.exists():
    LAUNCHES.append([str(CONSOLE_SCRIPT)])

# The offscreen platform can neither resize nor raise native windows; not a fault of the app.
pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support propagateSizeHints", r"This plugin does not support raise"
)


def run_offscreen(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by a fresh Python on the offscreen platform, its output captured."""
    return subprocess.run(
        [sys.executable, "-c", script],
        env=headless_env(QT_QPA_PLATFORM="offscreen"),
        capture_output=True,
        text=True,
        timeout=60,
    )


def headless_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env | extra


# ---- the display check -----------------------------------------------------------------


@pytest.mark.parametrize(
    "environ",
    [
        {"DISPLAY": ":0"},
        {"WAYLAND_DISPLAY": "wayland-0"},
        {"QT_QPA_PLATFORM": "offscreen"},
        {"QT_QPA_PLATFORM": "minimal"},
        {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":1"},
        {"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "wayland-0"},
        {"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"},
        {"QT_QPA_PLATFORM": "offscreen:size=800x600"},
        {"QT_QPA_PLATFORM": "eglfs"},
    ],
)
def test_a_display_or_a_headless_platform_is_enough(environ: dict[str, str]) -> None:
    assert display_problem(environ, "linux") is None


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({}, "neither DISPLAY nor WAYLAND_DISPLAY is set"),
        ({"QT_QPA_PLATFORM": ""}, "neither DISPLAY nor WAYLAND_DISPLAY is set"),
        ({"QT_QPA_PLATFORM": "xcb"}, "QT_QPA_PLATFORM=xcb needs DISPLAY"),
        ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "needs WAYLAND_DISPLAY"),
    ],
)
def test_no_display_says_what_to_install_or_run(environ: dict[str, str], reason: str) -> None:
    message = display_problem(environ, "linux")
    assert message is not None
    assert reason in message
    assert "sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0" in message
    assert "rnnviz render --out shot.png" in message


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_windows_and_macos_always_have_a_display(platform: str) -> None:
    assert display_problem({}, platform) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland only")
@pytest.mark.parametrize("command", LAUNCHES, ids=lambda c: " ".join(Path(p).name for p in c))
def test_launching_without_a_display_exits_2_with_the_message(command: list[str]) -> None:
    done = subprocess.run(
        command, env=headless_env(QT_QPA_PLATFORM=""), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert "no display found" in done.stderr
    assert "libxcb-cursor0" in done.stderr
    assert "Aborted" not in done.stderr and "qt.qpa" not in done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 only")
def test_a_display_with_no_server_exits_2_with_our_message_not_qts_abort() -> None:
    free = next(n for n in range(77, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    assert x_server_problem({"DISPLAY": f":{free}"}) is not None
    assert x_server_problem({"DISPLAY": f":{free}", "QT_QPA_PLATFORM": "offscreen"}) is None
    done = subprocess.run(
        [sys.executable, "-m", "rnnviz"],
        env=headless_env(QT_QPA_PLATFORM="", DISPLAY=f":{free}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2  # not 134, Qt's abort
    assert done.stderr.startswith(f"rnnviz: no X server answers at DISPLAY=:{free}")
    assert "libxcb-cursor0" not in done.stderr  # Qt's misleading hint


def test_launching_opens_and_paints_the_window() -> None:
    """python -m rnnviz shows the window (main.py and the rnnviz script reach the same
    main(), as the no-display test shows)."""
    done = subprocess.run(
        [sys.executable, "-m", "rnnviz"],
        env=headless_env(QT_QPA_PLATFORM="offscreen", **{FIRST_PAINT_ENV: ""}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("first paint ")


# Imported when first used: no window needs them before its first paint (~15 ms a launch).
LAZY_MODULES = (
    "rnnviz.engine.train",
    "rnnviz.engine.tasks",
    "rnnviz.engine.optim",
    "rnnviz.engine.gradcheck",
    "rnnviz.engine.jacobian_map",
    "rnnviz.io.training_record",
)


def test_the_window_opens_without_the_lab_engines() -> None:
    """The window is built and painted without importing the engines of the lab's long
    computations; the first lab verb that needs one imports it."""
    script = f"""
import sys
from PyQt6.QtWidgets import QApplication
app = QApplication([])
from rnnviz.views.window.main_window import MainWindow
window = MainWindow(persistent=False)
window.show()
app.processEvents()
print(*[m for m in {LAZY_MODULES!r} if m in sys.modules])
window.lab.make_task("adding")
print("rnnviz.engine.tasks" in sys.modules)
"""
    done = run_offscreen(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["", "True"]


def test_the_collector_is_off_while_the_window_starts_and_on_once_it_has_painted() -> None:
    """Python's cycle collector does not run while the window is built (its ~130 passes
    took ~40 ms of the launch), and is on again once the window has painted."""
    script = """
import gc, sys
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication
import rnnviz.app
from rnnviz.views.window import main_window

class Probe(main_window.MainWindow):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        print("built with the collector", "on" if gc.isenabled() else "off")
        self.painted = False
        self.poll = QTimer(self)
        self.poll.timeout.connect(self.check)
        self.poll.start(10)

    def paintEvent(self, event):
        self.painted = True
        super().paintEvent(event)

    def check(self):
        if gc.isenabled():
            print("collector on, painted:", self.painted)
            QApplication.quit()

main_window.MainWindow = Probe
sys.argv = ["rnnviz"]
rnnviz.app.main()
"""
    done = run_offscreen(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "built with the collector off",
        "collector on, painted: True",
    ]


def test_unknown_arguments_are_refused(capsys) -> None:
    from rnnviz.app import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--no-such-option"])
    assert exit_info.value.code == 2
    assert "--no-such-option" in capsys.readouterr().err


# ---- the exception hook ----------------------------------------------------------------


@pytest.fixture
def window(qtbot) -> MainWindow:
    w = MainWindow(Session())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


@pytest.fixture
def reporter(monkeypatch, tmp_path: Path, window: MainWindow):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    hook = install_excepthook(window, tmp_path / "logs" / "rnnviz.log")
    yield hook
    if hook.dialog is not None:
        hook.dialog.close()


def fail_later(message: str) -> None:
    """Raise inside a slot run by Qt's event loop, as a bug in a panel would."""

    def slot() -> None:
        raise RuntimeError(message)

    QTimer.singleShot(0, slot)


# pytest-qt would otherwise catch the exception itself (and fail the test): here the app's
# own hook must see it, as it does outside of tests.
@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_is_shown_logged_and_the_app_keeps_running(
    qtbot, window: MainWindow, reporter: ErrorReporter, capsys
) -> None:
    fail_later("the heatmap broke")
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    dialog = reporter.dialog
    assert dialog is not None
    assert dialog.text() == "RuntimeError: the heatmap broke"
    assert "keeps running" in dialog.informativeText()
    assert str(reporter.log_path) in dialog.informativeText()
    assert "Traceback" in dialog.detailedText()
    assert not dialog.isModal()
    log = reporter.log_path.read_text(encoding="utf-8")
    assert "RuntimeError: the heatmap broke" in log and "Traceback" in log
    assert "RuntimeError: the heatmap broke" in capsys.readouterr().err

    # Back in the window (the dialog stays open beside it), the keys still work ...
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.session.t == 1
    # ... and after the dialog is closed.
    dialog.button(QMessageBox.StandardButton.Close).click()
    assert not dialog.isVisible()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.session.t == 2


@pytest.mark.qt_no_exception_capture
def test_repeated_errors_reuse_one_dialog(
    qtbot, window: MainWindow, reporter: ErrorReporter
) -> None:
    fail_later("first")
    qtbot.waitUntil(lambda: reporter.count == 1)
    first = reporter.dialog
    fail_later("second")
    qtbot.waitUntil(lambda: reporter.count == 2)
    assert reporter.dialog is first
    assert first is not None and first.text() == "RuntimeError: second"
    assert "2 errors so far" in first.informativeText()
    assert reporter.log_path.read_text(encoding="utf-8").count("Traceback") == 2


def test_an_unwritable_log_still_shows_the_error(qtbot, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    reporter = ErrorReporter(blocker / "rnnviz.log")
    try:
        raise ValueError("bad value")
    except ValueError as err:
        reporter.hook(ValueError, err, err.__traceback__)
    assert reporter.dialog is not None
    qtbot.addWidget(reporter.dialog)
    assert "See the terminal" in reporter.dialog.informativeText()
    assert "cannot write the log" in capsys.readouterr().err


def test_install_and_uninstall_replace_sys_excepthook(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    reporter = install_excepthook(None, tmp_path / "rnnviz.log")
    assert sys.excepthook == reporter.hook
    reporter.uninstall()
    assert sys.excepthook is sys.__excepthook__


@pytest.mark.parametrize("script", [ROOT / "main.py", ROOT / "rnnviz" / "__main__.py"])
def test_a_spawned_process_importing_the_launcher_does_not_start_the_app(
    monkeypatch: pytest.MonkeyPatch, script: Path
) -> None:
    """multiprocessing's "spawn" runs the parent's main module again as "__mp_main__": the
    launchers start the app only when run."""
    import runpy

    import rnnviz.cli

    started: list[object] = []
    monkeypatch.setattr(rnnviz.cli, "main", lambda *args: started.append(args) or 0)
    runpy.run_path(str(script), run_name="__mp_main__")
    assert started == []
    with pytest.raises(SystemExit):
        runpy.run_path(str(script), run_name="__main__")
    assert started == [()]
