"""Time per animation frame of the whole window, and the time from launch to its first paint.

A frame is one session change (a backward-sweep step or a forward step) followed by every
panel redrawing and the window painting, offscreen, exactly as the event loop does it.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

SIZES: tuple[tuple[int, int, float], ...] = ((200, 64, 4.0), (1000, 128, 8.0))  # T, H, ms
FIRST_PAINT_TARGET_S = 0.6
WINDOW = (1600, 1000)
FRAMES = 40  # per timed run


def frame_rows() -> list[list[str]]:
    from PyQt6.QtWidgets import QApplication

    from rnnviz.bench.table import best_of
    from rnnviz.session import Session, SessionConfig
    from rnnviz.views.main_window import MainWindow

    app = QApplication.instance() or QApplication(["rnnviz-bench"])
    assert isinstance(app, QApplication)
    from rnnviz.views import theme

    theme.apply(app)
    rows = []
    for T, H, target_ms in SIZES:
        session = Session(SessionConfig(hidden_size=H, sequence_length=T, preset="sine"))
        window = MainWindow(session)
        window.resize(*WINDOW)
        window.show()
        session.seek(T)
        session.run_backward()
        _settle()

        def sweep(session: Session = session, T: int = T) -> None:
            for i in range(FRAMES):
                session.set_sweep(T - i % T)
                _settle()

        def step(session: Session = session) -> None:
            for i in range(FRAMES):
                if i % 2:
                    session.step_forward()
                else:
                    session.step_back()
                _settle()

        for case, fn in (("backward sweep frame", sweep), ("step frame (→ / ←)", step)):
            ms = best_of(fn, repeats=5) / FRAMES * 1e3
            rows.append(_row(case, f"{T}x{H}", ms, target_ms, "ms"))
        window.close()
        window.deleteLater()
        _settle()
    return rows


def _settle() -> None:
    """Deliver the queued redraws and paint them (the scene's update, then the window's)."""
    from PyQt6.QtWidgets import QApplication

    QApplication.processEvents()
    QApplication.processEvents()


def first_paint_seconds() -> float:
    """From starting ``python -m rnnviz`` to the main window's first paint, offscreen."""
    from rnnviz.app import FIRST_PAINT_ENV

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env[FIRST_PAINT_ENV] = repr(time.monotonic())
    out = subprocess.run(
        [sys.executable, "-m", "rnnviz"], env=env, capture_output=True, text=True, check=True
    ).stdout
    return float(out.split()[-2])


def _row(case: str, size: str, value: float, target: float, unit: str) -> list[str]:
    return [case, size, f"{value:.2f} {unit}", f"{target:g} {unit}", f"{value / target:.2f}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnviz.bench frames", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--launches", type=int, default=3, help="first-paint runs (best of)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"window {WINDOW[0]}x{WINDOW[1]}, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}"
    )
    rows = frame_rows()
    launch = min(first_paint_seconds() for _ in range(args.launches))
    rows.append(_row("launch to first paint", "20x8", launch, FIRST_PAINT_TARGET_S, "s"))
    from rnnviz.bench.table import print_table

    print_table(["case", "T x H", "time", "target", "ratio"], rows)
    print("ratio = time / target (≤ 1 meets the target); frames: best of 5 runs of 40")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
