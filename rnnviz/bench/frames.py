"""Time per animation frame of the window, and from launch to its first paint, as ratios.

Absolute times do not carry across machines, so every time is also printed as a ratio to
what pyqtgraph itself needs on the same machine in the same run: a minimal window
(rnnviz/bench/minimal.py: one heatmap and one log curve, new data, one repaint) is timed
in turns with each case, run for run, and launched as often as the app (both from
compiled modules: see launch_seconds).

A frame is one session change (a backward-sweep step, a forward step, a setting, a fold /
unfold animation step) followed by everything it sets off, exactly as the event loop runs
it, offscreen: every panel's handlers, queued timers and layouts, then the paint of what
changed, drawn synchronously before the frame's clock stops. Which panels painted is
counted in an untimed pass and printed, so a panel that skipped its paint cannot hide.
"+ window" is the same frame followed by ``grab()`` of the whole window: everything
painted again, menus, toolbar, side panels and all; a pessimistic bound.

Stepping: "step" goes back and forth at the end of the sequence (a bidirectional stack finds
the traces it keeps, the view does not move); "play" and "held" step forward from the middle
into steps never fed before (the view follows, a bidirectional stack's trace is worked out
anew for each). "play" leaves the window idle between frames, untimed, as Play's ticks do
(250 ms apart at its default speed): its look-ahead works the next step's trace out there
(views/window/look_ahead.py). "held" steps at once again, as a held key does: the window is
never idle, every step works its trace out in its own frame.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PyQt6.QtWidgets import QWidget

    from rnnviz.session import SessionConfig
    from rnnviz.views.window.main_window import MainWindow

# The networks timed: T steps of H units; a stack's cell, layers and directions (issue 14:
# a 3-layer LSTM of 32 units over 200 steps, and the same bidirectional).
NETWORKS: tuple[tuple[int, int, dict[str, object]], ...] = (
    (200, 64, {}),
    (1000, 128, {}),
    (200, 32, {"cell": "lstm", "num_layers": 3}),
    (200, 32, {"cell": "lstm", "num_layers": 3, "bidirectional": True}),
)
ONE_FRAME_MS = 1000 / 60  # "within one frame", "≥ 60 frames per second"
# Targets as ratios to the minimal window (issue 13).
SWEEP_RATIO = STEP_RATIO = FOLD_RATIO = 2.0
SETTING_RATIO = 4.0
LAUNCH_RATIO = 1.5
WINDOW = (1600, 1000)
FRAMES = 60  # timed frames per run
RUNS = 3  # the median of all frames of these runs is reported, and the fastest frame
# The window's panels, as MainWindow names them, and how the table abbreviates them.
PANELS: dict[str, str] = {
    "graph": "graph",
    "state_heatmap": "h",
    "gradient_heatmap": "dh",
    "sequence_plot": "seq",
    "gradient_plot": "norms",
    "equations": "eq",
}
Change = Callable[[int], None]


CASES = ("sweep", "step", "play", "held", "setting", "fold")  # the frames timed (--case)


def frame_rows(
    frames: int = FRAMES,
    runs: int = RUNS,
    cases: tuple[str, ...] = CASES,
    networks: tuple[int, ...] | None = None,
) -> list[list[str]]:
    """The table's rows: each of ``cases`` on each of ``networks`` (indices into NETWORKS;
    all of them for None)."""
    from rnnviz.bench.minimal import MinimalWindow
    from rnnviz.bench.offscreen import bench_app
    from rnnviz.session import Session, SessionConfig
    from rnnviz.views.window.main_window import MainWindow

    _app = bench_app()  # held while the windows live; a test's application keeps its look
    rows = []
    for index, (T, H, stack) in enumerate(NETWORKS):
        if networks is not None and index not in networks:
            continue
        minimal = MinimalWindow(T, H, WINDOW)
        minimal.widget.show()
        config = SessionConfig(hidden_size=H, sequence_length=T, preset="sine").changed(**stack)
        session = Session(config)
        window = MainWindow(session, persistent=False)  # no autosave left behind
        window.resize(*WINDOW)
        window.show()
        session.seek(T)
        _settle()

        def backward(session: Session = session) -> None:
            session.run_backward()

        def sweep(i: int, session: Session = session, T: int = T) -> None:
            session.set_sweep(T - i % T)

        def step(i: int, session: Session = session) -> None:
            session.step_back() if i % 2 == 0 else session.step_forward()

        def play(i: int, session: Session = session, T: int = T) -> None:
            # Steps never fed before, as Play feeds them: a bidirectional stack's trace is
            # worked out anew for every one (its backward direction starts after the last
            # step), where stepping back and forth finds the few it keeps. From the middle
            # of the sequence; at its end, back there (one frame of a run, not its median).
            session.step_forward() if session.t < T else middle()

        def setting(i: int, session: Session = session) -> None:
            session.set_config(spectral_radius=0.9 + 0.01 * (i % 10))

        def fold(i: int, window: MainWindow = window) -> None:
            window.graph.show_progress(abs((i % 20) - 10) / 10)  # unrolled … folded … unrolled

        def nothing(i: int = 0) -> None:
            pass

        def middle(session: Session = session, T: int = T) -> None:
            # Other inputs (the sine negated) from the start: the stepper keeps the steps
            # after t, and takes them again without computing them when the same inputs
            # follow (a step back, then the same step); these must be computed.
            session.set_sequence(-session.sequence)
            session.seek(T // 2)

        timed: dict[str, tuple[str, Callable[[], None], Change, float, bool]] = {
            "sweep": ("backward sweep frame", backward, sweep, SWEEP_RATIO, False),
            "step": ("step frame (→ / ←)", nothing, step, STEP_RATIO, False),
            "play": ("play frame (new steps, 4/s)", middle, play, STEP_RATIO, True),
            "held": ("held → frame (new steps)", middle, play, STEP_RATIO, False),
            "setting": ("setting change (ρ) frame", nothing, setting, SETTING_RATIO, False),
            "fold": ("fold / unfold animation frame", nothing, fold, FOLD_RATIO, False),
        }
        for case, prepare, change, target, ticks in (timed[name] for name in cases):
            prepare()
            idle = _between_ticks if ticks else None
            (median, best), (yardstick, _) = _time_in_turns(
                change, minimal.frame, frames, runs, idle
            )
            whole, _ = _time_frames(change, max(1, frames // 3), 1, window, idle)
            painted = _painted(window, change, idle=idle)
            size = _network_text(T, H, config)
            rows.append(_row(case, size, median, best, yardstick, whole, target, "ms", painted))
            session.seek(T)  # the next case starts, as this one did, with every step fed
        window.graph.show_progress(1.0)
        for widget in (window, minimal.widget):
            widget.close()
            widget.deleteLater()
        _settle()
    return rows


def _network_text(T: int, H: int, c: SessionConfig) -> str:
    """'200x32', or '200x32 3-layer bi lstm' for a stack."""
    text = f"{T}x{H}"
    if c.num_layers > 1 or c.bidirectional:
        text += f" {c.num_layers}-layer{' bi' if c.bidirectional else ''} {c.cell}"
    return text


def _time_in_turns(
    change: Change,
    yardstick: Change,
    frames: int,
    runs: int,
    idle: Callable[[], None] | None = None,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(median, fastest) ms of ``change`` and of ``yardstick``, their runs taking turns so
    that both see the same spells of the shared machine; ``idle`` between the frames of
    both (see _time_frames): a frame after a pause is slower (here ~1.5x, after 70 ms of
    sleep alone), for the minimal window as for the app."""
    mine: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(runs):
        theirs.append(_time_frames(yardstick, frames, 1, idle=idle))
        mine.append(_time_frames(change, frames, 1, idle=idle))
    return _pooled(mine), _pooled(theirs)


def _pooled(results: list[tuple[float, float]]) -> tuple[float, float]:
    """The median of the runs' medians and the fastest frame of all."""
    return statistics.median(m for m, _ in results), min(b for _, b in results)


def _time_frames(
    change: Change,
    frames: int,
    runs: int,
    grab: QWidget | None = None,
    idle: Callable[[], None] | None = None,
) -> tuple[float, float]:
    """(median, fastest) milliseconds of ``frames`` frames in each of ``runs`` runs; with
    ``grab``, each frame ends with grabbing that widget (painting all of it); ``idle``
    runs after each frame, untimed: what the window does between two ticks of Play."""
    times = []
    for _ in range(runs):
        for i in range(-3, frames):  # three frames to warm up
            start = time.perf_counter()
            change(i % frames)
            _settle()
            if grab is not None:
                grab.grab()
            if i >= 0:
                times.append(time.perf_counter() - start)
            if idle is not None:
                idle()
    return statistics.median(times) * 1e3, min(times) * 1e3


def _between_ticks() -> None:
    """The window idle until its look-ahead has run (see views/window/look_ahead.py), as it
    is between two ticks of Play at its default 4 steps a second (250 ms apart)."""
    from PyQt6.QtCore import QEventLoop, QTimer

    from rnnviz.views.window.look_ahead import IDLE_MS

    loop = QEventLoop()
    QTimer.singleShot(IDLE_MS + 20, loop.quit)  # the look-ahead's timer fires first
    loop.exec()


def _settle() -> None:
    """What the event loop does after a change: posted events and zero-delay timers
    (handlers, scene updates, layouts), then the update requests they posted, which paint
    the changed regions and flush them to the (offscreen) window."""
    from PyQt6.QtWidgets import QApplication

    for _ in range(3):
        QApplication.processEvents()


def _painted(
    window: MainWindow, change: Change, frames: int = 6, idle: Callable[[], None] | None = None
) -> str:
    """The panels that painted in every one of a few untimed frames of ``change`` (``idle``
    between them, see _time_frames)."""
    from PyQt6.QtCore import QEvent, QObject
    from PyQt6.QtWidgets import QApplication, QWidget

    panels = {getattr(window, name): short for name, short in PANELS.items()}
    seen: list[set[str]] = []

    class Counter(QObject):
        def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
            if event is not None and event.type() == QEvent.Type.Paint:
                widget = obj if isinstance(obj, QWidget) else None
                while widget is not None and widget not in panels:
                    widget = widget.parentWidget()
                if widget is not None:
                    seen[-1].add(panels[widget])
            return False

    counter = Counter()
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(counter)
    try:
        for i in range(frames):
            seen.append(set())
            change(i)
            _settle()
            if idle is not None:
                idle()
    finally:
        app.removeEventFilter(counter)
    always = set.intersection(*seen)
    return " ".join(short for short in PANELS.values() if short in always) or "none"


def first_paint_seconds(module: str = "rnnviz", bytecode: str | None = None) -> float:
    """From starting ``python -m <module>`` to its window's first paint, offscreen: the app,
    or ``rnnviz.bench.minimal``. With ``bytecode`` (a folder), Python keeps the compiled
    modules there and reads them back at the next launch (see launch_seconds)."""
    from rnnviz.app import FIRST_PAINT_ENV
    from rnnviz.views.window.settings import ENV_DIR

    # A first start in an empty settings folder: another window's autosave left in the
    # user's folder would be offered for recovery in a dialog, and the window would wait.
    with tempfile.TemporaryDirectory(prefix="rnnviz-bench-") as folder:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        env[ENV_DIR] = folder
        if bytecode is not None:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = bytecode
        env[FIRST_PAINT_ENV] = repr(time.monotonic())
        out = subprocess.run(
            [sys.executable, "-m", module], env=env, capture_output=True, text=True, check=True
        ).stdout
    return float(out.split()[-2])


def launch_seconds(launches: int) -> tuple[float, float]:
    """The fastest of ``launches`` first paints of the app and of the minimal window, in
    turns, both from compiled modules, as installed packages start.

    NumPy, Qt and pyqtgraph come with their modules compiled; the app's may not be (a
    source tree, an editable install, PYTHONDONTWRITEBYTECODE set), and then every launch
    compiles its ~180 modules again (~0.3 s here). So both launch with one bytecode folder
    of their own, filled by an untimed launch of each: the same footing for both.
    """
    with tempfile.TemporaryDirectory(prefix="rnnviz-bytecode-") as bytecode:
        for module in ("rnnviz.bench.minimal", "rnnviz"):
            first_paint_seconds(module, bytecode)
        apps, minimal_launches = [], []
        for _ in range(launches):
            minimal_launches.append(first_paint_seconds("rnnviz.bench.minimal", bytecode))
            apps.append(first_paint_seconds("rnnviz", bytecode))
    return min(apps), min(minimal_launches)


def _row(
    case: str,
    size: str,
    value: float,
    best: float | None,
    yardstick: float,
    whole: float | None,
    target: float,
    unit: str,
    painted: str = "",
) -> list[str]:
    """A table row; ratio = value / yardstick (the minimal window's), target a ratio."""

    def shown(v: float | None) -> str:
        return "" if v is None else f"{v:.2f} {unit}"

    ratio = value / yardstick
    verdict = "yes" if ratio <= target else f"{ratio / target:.2f}x over"
    return [
        case,
        size,
        shown(value),
        shown(best),
        shown(yardstick),
        f"{ratio:.2f}",
        f"≤ {target:g}",
        verdict,
        shown(whole),
        painted,
    ]


def machine() -> str:
    """CPU, cores, load and versions: frame times mean little without them."""
    import numpy as np
    import pyqtgraph as pg
    from PyQt6.QtCore import QT_VERSION_STR

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, load {_load()}\n"
        f"Python {platform.python_version()}, NumPy {np.__version__}, Qt {QT_VERSION_STR}, "
        f"pyqtgraph {pg.__version__}, window {WINDOW[0]}x{WINDOW[1]}, "
        f"QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM')}"
    )


def _load() -> str:
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return "/".join(f"{x:.2f}" for x in os.getloadavg()) + " (1/5/15 min)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnviz.bench frames", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--launches", type=int, default=3, help="first-paint runs (best of)")
    parser.add_argument("--frames", type=int, default=FRAMES, help="timed frames per run")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per case")
    parser.add_argument(
        "--case",
        action="append",
        choices=CASES,
        help="time only this kind of frame (may be given again; all of them by default)",
    )
    parser.add_argument(
        "--network",
        action="append",
        type=int,
        choices=range(len(NETWORKS)),
        help="only this network, by its place in the table from 0 (may be given again): "
        + ", ".join(f"{i} = {T}x{H}" for i, (T, H, _) in enumerate(NETWORKS)),
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(machine())
    cases = tuple(args.case) if args.case else CASES
    rows = frame_rows(args.frames, args.runs, cases, tuple(args.network or ()) or None)
    if args.launches > 0:  # --launches 0: the frames alone
        launch, minimal = launch_seconds(args.launches)
        rows.append(
            _row("launch to first paint", "20x8", launch, None, minimal, None, LAUNCH_RATIO, "s")
        )
    from rnnviz.bench.table import print_table

    headers = [
        "case", "T x H", "frame", "fastest", "minimal", "ratio", "target", "met",
        "+ window", "painted",
    ]  # fmt: skip
    print_table(headers, rows)
    print(
        f"frame: median of {args.runs} runs of {args.frames} frames; minimal: the same for "
        "a pyqtgraph window with one heatmap and one log curve (new data, one repaint), its "
        "runs in turns with the case's; ratio = frame / minimal; + window: the frame plus a "
        "grab of the whole window; painted: the panels painted in every frame; first paint: "
        f"best of {args.launches} launches of each, in turns, both from compiled modules "
        "(a bytecode folder of their own, filled by an untimed launch); 60 frames per second = "
        f"{ONE_FRAME_MS:.1f} ms a frame"
    )
    print(f"load after: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
