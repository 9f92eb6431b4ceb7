"""Autosave across real processes: a killed rnnviz's work is recovered by the next one, and
two processes writing the same file never let a reader see half of it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PyQt6.QtCore import QTimer

from rnnviz.io.session_file import SessionFileError, read_session
from rnnviz.session import Session
from rnnviz.views.window.autosave import Autosaver, has_recovery
from rnnviz.views.window.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

DOOMED = """
import os, signal, sys, time
from PyQt6.QtWidgets import QApplication
app = QApplication(["rnnviz"])
from rnnviz.session import Session, SessionConfig
from rnnviz.views.window.main_window import MainWindow
w = MainWindow(Session(SessionConfig(cell="gru", hidden_size=5, seed=3)))
w.show()
app.processEvents()
w.session.seek(7)
w.session.select(4)
changed = time.monotonic()
while not w.autosave.path.exists():
    app.processEvents()
    time.sleep(0.01)
print(time.monotonic() - changed, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""

WRITER = """
import sys
from rnnviz.io.session_file import write_session
from rnnviz.session import Session
from rnnviz.session.document import Document
path, t, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = Session()
s.seek(t)
contents = Document(s).contents()
for _ in range(n):
    write_session(path, contents)
"""


def env(settings: Path) -> dict[str, str]:
    return {**os.environ, "RNNVIZ_SETTINGS_DIR": str(settings), "QT_QPA_PLATFORM": "offscreen"}


def test_the_work_of_a_killed_process_is_recovered(qtbot, tmp_path: Path, monkeypatch) -> None:
    settings = tmp_path / "settings"
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(settings))
    done = subprocess.run(
        [sys.executable, "-c", DOOMED], env=env(settings), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == -9, done.stderr  # killed, no clean exit
    waited = float(done.stdout.split()[-1])
    assert waited <= Autosaver.INTERVAL_MS / 1000 + 1 <= 10  # a kill -9 loses ≤ 10 s
    assert has_recovery()

    window = MainWindow(Session())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.autosave.recovery_box is not None)
    QTimer.singleShot(0, window.autosave.recover_button.click)
    qtbot.waitUntil(lambda: window.session.t == 7)
    s = window.session
    assert (s.config.cell, s.config.hidden_size, s.config.seed, s.selected) == ("gru", 5, 3, 4)
    assert not has_recovery()


def test_two_processes_writing_one_file_never_show_half_of_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.rnnviz"
    writes = 500
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(t), str(writes)])
        for t in (3, 9)
    ]
    reads, unreadable = 0, 0
    deadline = time.monotonic() + 120
    while any(w.poll() is None for w in writers) and time.monotonic() < deadline:
        if path.exists():
            try:
                assert read_session(path).t in (3, 9)
                reads += 1
            except SessionFileError:
                unreadable += 1
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    assert reads > 0 and unreadable == 0
    assert [p.name for p in tmp_path.iterdir()] == ["shared.rnnviz"]  # no temporary left
