"""Soak: memory and time per block over a long autoplay and many change cycles.

Two runs on one window, as a lesson would use it for an hour:

- autoplay: 10,000 steps through a 200-step sequence, starting again at its end as the
  play button does, every step followed by the event loop as the player's timer runs it;
- change cycles: 200 times the same round of changes that ends where it began (ρ, the
  cell through LSTM and GRU and back, a backward pass, the lab and back, a preset, steps).

The resident memory (RSS) is read after each block, once the event loop is idle and the
garbage collector has run; the first block is a warm-up (caches, first-use allocations)
and growth is measured from its end. Targets: RSS growth under 5 %, and the last block's
time per cycle within 5 % of the first's (flat).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rnnviz.bench.table import print_table

if TYPE_CHECKING:
    from rnnviz.views.window.main_window import MainWindow

STEPS, STEP_BLOCK, SEQUENCE = 10_000, 1_000, 200
CYCLES, CYCLE_BLOCK = 200, 20
RSS_TARGET = 0.05  # growth after warm-up
TIME_TARGET = 0.05  # last block against the first, per cycle
WINDOW = (1600, 1000)


def rss_mb() -> float:
    """This process's resident memory, MB (Linux; 0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _settle() -> None:
    from PyQt6.QtCore import QCoreApplication, QEvent
    from PyQt6.QtWidgets import QApplication

    QApplication.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    QApplication.processEvents()


def autoplay_step(window: MainWindow) -> None:
    """One tick of the play button: the next step, from the start again at the end."""
    if window.session.t >= window.session.sequence.shape[0]:
        window.session.seek(0)
    window.act_step.trigger()
    _settle()


def change_cycle(window: MainWindow) -> None:
    """A round of changes that ends where it began."""
    from rnnviz.session.presets import PRESETS

    s = window.session
    for rho in (1.2, 0.9):
        s.set_config(spectral_radius=rho)
        _settle()
    for cell in ("lstm", "gru", "vanilla"):
        combo = window.controls.cell_combo
        index = combo.findData(cell)
        combo.setCurrentIndex(index)
        combo.activated.emit(index)
        _settle()
    window.run_backward()
    _settle()
    window.sweep.cancel()
    for _ in range(2):
        window.act_lab.trigger()
        _settle()
    for preset in ("square", PRESETS[0]):
        s.load_preset(preset)
        _settle()
    for _ in range(10):
        window.act_step.trigger()
        _settle()


def soak(
    window: MainWindow, action: Callable[[MainWindow], None], count: int, block: int
) -> list[tuple[int, float, float]]:
    """(done, seconds of the block, RSS MB after it) for each block of ``block`` actions."""
    rows = []
    for done in range(block, count + 1, block):
        start = time.perf_counter()
        for _ in range(block):
            action(window)
        elapsed = time.perf_counter() - start
        gc.collect()
        _settle()
        rows.append((done, elapsed, rss_mb()))
    return rows


def soak_rows(steps: int = STEPS, cycles: int = CYCLES) -> list[list[str]]:
    from rnnviz.bench.offscreen import bench_app
    from rnnviz.session import Session, SessionConfig
    from rnnviz.views.window.main_window import MainWindow

    _app = bench_app()  # held: the application lives as long as a reference to it
    window = MainWindow(Session(SessionConfig(sequence_length=SEQUENCE)), persistent=False)
    window.resize(*WINDOW)
    window.show()
    _settle()
    table = []
    runs = (
        ("autoplay steps", autoplay_step, steps, min(STEP_BLOCK, steps)),
        ("change cycles", change_cycle, cycles, min(CYCLE_BLOCK, cycles)),
    )
    for name, action, count, block in runs:
        rows = soak(window, action, count, block)
        _, first_s, warm_rss = rows[0]
        _, last_s, end_rss = rows[-1]
        growth = (end_rss - warm_rss) / warm_rss if warm_rss else 0.0
        slower = last_s / first_s - 1
        for done, seconds, rss in rows:
            table.append([name, f"{done:,}", f"{seconds / block * 1e3:.2f}", f"{rss:.1f}", "", ""])
        table.append(
            [
                name,
                "growth",
                f"{slower:+.1%}",
                f"{growth:+.1%}",
                f"{TIME_TARGET:.0%} / {RSS_TARGET:.0%}",
                "ok" if growth < RSS_TARGET and slower < TIME_TARGET else "OVER",
            ]
        )
    window.close()
    window.deleteLater()
    _settle()
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnviz.bench soak",
        description="Resident memory and time per block over a long autoplay and many change "
        "cycles, offscreen.",
    )
    parser.add_argument("--steps", type=int, default=STEPS, help="autoplay steps")
    parser.add_argument("--cycles", type=int, default=CYCLES, help="change cycles")
    args = parser.parse_args(argv)
    rows = soak_rows(args.steps, args.cycles)
    print("Soak: time per step or cycle and RSS after each block (the first block warms up)")
    print_table(["run", "done", "ms each", "RSS MB", "target", ""], rows)
    return 0
