"""Event-loop stalls: the longest the window stops answering during one user action.

A stall probe is a timer that ticks every few milliseconds on the GUI thread and records
the largest gap between two of its ticks. Each action below is triggered from the event
loop, as a key press or a click would be, and the loop runs on until everything it set
off (workers, animations) has finished; the largest gap is the longest the window was
frozen. The window is at the widgets' own maxima (hidden size 256, 5000 steps fed), the
case the issue measured at 1.2–2.6 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rnnviz.bench.table import print_table
from rnnviz.io import limits

if TYPE_CHECKING:
    from rnnviz.views.window.main_window import MainWindow

TARGET_MS = 200.0
HIDDEN, LENGTH = 256, 5000  # the controls' maxima
PASTED = 10_000  # numbers pasted into the Feed box
OPENED_STEPS = limits.MAX_STEPS  # steps fed in the session file opened: the most allowed
WINDOW = (1600, 1000)
TICK_MS = 5
QUIET_MS = 300  # how long nothing may be running before an action counts as finished
TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Case:
    name: str
    act: Callable[[MainWindow], object]  # run from the event loop; done when no worker runs
    on_lab: bool = False  # starts on the lab page (else on the network page)
    # Set up after the common start, before measuring (e.g. a smaller network to grow).
    before: Callable[[MainWindow], object] | None = None


class StallProbe:
    """Ticks every ``TICK_MS`` on the GUI thread; ``largest_ms`` is the longest gap seen."""

    def __init__(self) -> None:
        from PyQt6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.largest_ms = 0.0
        self._last = 0.0

    def start(self) -> None:
        self.largest_ms = 0.0
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self._tick()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.largest_ms = max(self.largest_ms, (now - self._last) * 1e3)
        self._last = now


def measure(window: MainWindow, case: Case) -> tuple[float, float]:
    """(largest stall ms, total s): ``case`` run from the event loop until it is done."""
    from PyQt6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    probe = StallProbe()
    quiet_since: list[float] = []
    start = time.perf_counter()

    def check() -> None:
        now = time.perf_counter()
        if _busy(window) or _lab_busy(window):
            quiet_since.clear()
        elif not quiet_since:
            quiet_since.append(now)
        elif now - quiet_since[0] > QUIET_MS / 1e3 or now - start > TIMEOUT_S:
            loop.quit()

    checker = QTimer()
    checker.setInterval(20)
    checker.timeout.connect(check)
    probe.start()
    checker.start()
    QTimer.singleShot(TICK_MS, lambda: case.act(window))
    loop.exec()
    checker.stop()
    probe.stop()
    total = time.perf_counter() - start - QUIET_MS / 1e3
    return probe.largest_ms, total


def _settle(window: MainWindow) -> None:
    """Let the window finish what the last change set off (workers included)."""
    from PyQt6.QtWidgets import QApplication

    deadline = time.perf_counter() + TIMEOUT_S
    QApplication.processEvents()
    while (_lab_busy(window) or _busy(window)) and time.perf_counter() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    QApplication.processEvents()


def _busy(window: MainWindow) -> bool:
    """A worker of the network page is running (a change being computed, the backward
    pass, the gradient's reach)."""
    return window.verbs.computing or window.sweep.running or window.gradient_plot.runner.running


def _lab_busy(window: MainWindow) -> bool:
    from rnnviz.views.worker import Runner

    return any(r.running for r in window.lab_panel.findChildren(Runner))


def _paste(window: MainWindow) -> None:
    """Paste ``PASTED`` numbers from the clipboard into the Feed box and press Enter."""
    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest
    from PyQt6.QtWidgets import QApplication

    clipboard = QApplication.clipboard()
    assert clipboard is not None
    clipboard.setText(", ".join(f"{0.001 * (i % 1000):.3f}" for i in range(PASTED)))
    entry = window.input_panel.entry
    entry.setFocus()
    entry.paste()
    QTest.keyClick(entry, Qt.Key.Key_Return)


def _pick_cell(window: MainWindow, cell: str) -> None:
    combo = window.controls.cell_combo
    index = combo.findData(cell)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def _pick_preset(window: MainWindow, name: str) -> None:
    from rnnviz.session.presets import PRESETS

    combo = window.input_panel.preset_combo
    index = PRESETS.index(name)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def _weights_file() -> Path:
    """A weight file of a vanilla network with ``HIDDEN`` units, written once."""
    import numpy as np

    from rnnviz.engine import init_params
    from rnnviz.io.weights import to_state_dict

    path = Path(tempfile.gettempdir()) / f"rnnviz-bench-h{HIDDEN}.npz"
    if not path.exists():
        params = init_params("vanilla", 1, HIDDEN, 1, np.random.default_rng(1))
        np.savez(path, **to_state_dict(params))
    return path


def _long_session_file() -> Path:
    """A session file with ``OPENED_STEPS`` steps fed (hidden size 8), written once."""
    import numpy as np

    from rnnviz.session import Session, SessionConfig
    from rnnviz.session.document import Document

    path = Path(tempfile.gettempdir()) / f"rnnviz-bench-{OPENED_STEPS}-steps.rnnviz"
    if not path.exists():
        session = Session(SessionConfig(hidden_size=8))
        session.set_sequence(np.sin(0.01 * np.arange(OPENED_STEPS)))
        session.seek(OPENED_STEPS)
        Document(session).save_as(path)
    return path


def cases(session_file: Path, weights_file: Path) -> list[Case]:
    return [
        Case("switch the cell to LSTM", lambda w: _pick_cell(w, "lstm")),
        Case("B: backward pass and its animation", lambda w: w.act_backward.trigger()),
        Case("L: open the gradient lab", lambda w: w.act_lab.trigger()),
        Case("L: back to the network", lambda w: w.act_lab.trigger(), on_lab=True),
        Case(f"paste {PASTED:,} numbers, Enter", _paste),
        Case(
            f"open a session of {OPENED_STEPS:,} steps",
            lambda w: w.files.open_session(session_file),
        ),
        Case(f"load the square preset at {LENGTH} steps", lambda w: _pick_preset(w, "square")),
        Case(
            f"hidden size 128 -> {HIDDEN} at {LENGTH} steps",
            lambda w: w.controls.hidden_spin.setValue(HIDDEN),
            before=lambda w: w.session.set_config(hidden_size=128),
        ),
        Case(
            f"import weights of {HIDDEN} units",
            lambda w: w.files.import_weights(weights_file),
        ),
    ]


def stall_rows(only: str = "") -> list[list[str]]:
    from rnnviz.bench.offscreen import bench_app
    from rnnviz.session import Session, SessionConfig
    from rnnviz.views.window.main_window import MainWindow

    app = bench_app()
    session_file, weights_file = _long_session_file(), _weights_file()
    start = Session(SessionConfig(hidden_size=HIDDEN, sequence_length=LENGTH))
    start.seek(LENGTH)
    saved = (start.config, start.params, start.sequence, start.vocab, start.t, None)
    window = MainWindow(Session(), persistent=False)
    window.resize(*WINDOW)
    window.show()
    rows = []
    for case in cases(session_file, weights_file):
        if only and only not in case.name:
            continue
        # Each action from the same start: the vanilla network at the maxima, all fed.
        window.session.restore(*saved)
        window.state.show_lab(case.on_lab)
        if case.before is not None:
            case.before(window)
        _settle(window)
        stall, total = measure(window, case)
        ratio = stall / TARGET_MS
        rows.append(
            [case.name, f"{stall:.0f}", f"{TARGET_MS:.0f}", f"{ratio:.2f}x", f"{total:.2f}"]
        )
    window.close()
    window.deleteLater()
    app.processEvents()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnviz.bench stalls",
        description="The longest event-loop stall of each action at the widgets' maxima "
        f"(H = {HIDDEN}, {LENGTH} steps fed), offscreen.",
    )
    parser.add_argument("--only", default="", help="run the actions whose name contains this")
    args = parser.parse_args(argv)
    rows = stall_rows(args.only)
    print(f"Event-loop stalls at H = {HIDDEN}, T = {LENGTH} (probe ticks every {TICK_MS} ms)")
    print_table(["action", "largest stall ms", "target ms", "ratio", "until done s"], rows)
    return 0
