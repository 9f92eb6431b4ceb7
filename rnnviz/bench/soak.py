"""Soak: memory and time per block over a long autoplay and many change cycles.

Two runs on one window, as a lesson would use it for an hour:

- autoplay: 10,000 steps through a 200-step sequence, starting again at its end as the
  play button does, every step followed by the event loop as the player's timer runs it;
- change cycles: 200 times the same round of changes that ends where it began (ρ, the
  cell through LSTM and GRU and back, a backward pass, the lab and back, a preset, steps).

The resident memory (RSS) is read after each block, once the event loop is idle and the
garbage collector has run; the first block is a warm-up (caches, first-use allocations)
and growth is measured from its end. Targets: RSS growth under 5 %, and time per step or
cycle flat within 5 %.

Time is the process's CPU time of each step or cycle (all its threads). On a machine
shared with other work even that moves ±20 % from block to block with the load (wall-clock
time 2-3x), so the median of the last third of the run against the first third is shown but
proves little. Flatness is measured load-proof instead: after the run, the aged window and a
fresh one (warmed up by one block) take turns, one step or cycle each, in alternating order,
at the same state; the median of the aged one's CPU time over the fresh one's, pair by
pair, is how much slower the long run made it (a load hits both sides of a pair alike).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rnnviz.bench.table import print_table

if TYPE_CHECKING:
    from rnnviz.views.window.main_window import MainWindow

STEPS, STEP_BLOCK, SEQUENCE = 10_000, 1_000, 200
CYCLES, CYCLE_BLOCK = 200, 20
RSS_TARGET = 0.05  # growth after warm-up
TIME_TARGET = 0.05  # the last third against the first third after the warm-up, ±
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


@dataclass(frozen=True)
class Block:
    done: int  # actions done by its end
    cpu_ms: tuple[float, ...]  # each action's CPU time
    wall_ms: float  # wall-clock time per action
    rss_mb: float  # after it

    @property
    def median_ms(self) -> float:
        return statistics.median(self.cpu_ms)


def drift(blocks: list[Block]) -> tuple[float, str]:
    """How much slower the last third of the blocks' actions are than the first third
    after the warm-up block (medians), and which blocks those are."""
    measured = blocks[1:] or blocks
    third = max(1, len(measured) // 3)
    first, last = measured[:third], measured[-third:]
    before = statistics.median([ms for b in first for ms in b.cpu_ms])
    after = statistics.median([ms for b in last for ms in b.cpu_ms])
    span = f"{first[0].done:,}-{first[-1].done:,} -> {last[0].done:,}-{last[-1].done:,}"
    return after / before - 1, span


def soak(
    window: MainWindow, action: Callable[[MainWindow], None], count: int, block: int
) -> list[Block]:
    """One ``Block`` for each ``block`` actions."""
    rows = []
    for done in range(block, count + 1, block):
        cpu = []
        start = time.perf_counter()
        for _ in range(block):
            began = time.process_time()
            action(window)
            cpu.append((time.process_time() - began) * 1e3)
        elapsed = time.perf_counter() - start
        gc.collect()
        _settle()
        rows.append(Block(done, tuple(cpu), elapsed / block * 1e3, rss_mb()))
    return rows


def paired(
    aged: MainWindow, fresh: MainWindow, action: Callable[[MainWindow], None], count: int
) -> float:
    """How much more CPU time ``action`` takes on ``aged`` than on ``fresh``: the median,
    over ``count`` pairs run back to back (in alternating order), of their ratio, − 1."""
    ratios = []
    for i in range(count):
        spent = {}
        for window in (aged, fresh) if i % 2 == 0 else (fresh, aged):
            began = time.process_time()
            action(window)
            spent[window is aged] = time.process_time() - began
        ratios.append(spent[True] / max(spent[False], 1e-9))
    return statistics.median(ratios) - 1


def _window() -> MainWindow:
    from rnnviz.session import Session, SessionConfig
    from rnnviz.views.window.main_window import MainWindow

    window = MainWindow(Session(SessionConfig(sequence_length=SEQUENCE)), persistent=False)
    window.resize(*WINDOW)
    window.show()
    _settle()
    return window


def _close(window: MainWindow) -> None:
    window.close()
    window.deleteLater()
    _settle()


def soak_rows(steps: int = STEPS, cycles: int = CYCLES) -> list[list[str]]:
    from rnnviz.bench.offscreen import bench_app

    _app = bench_app()  # held: the application lives as long as a reference to it
    window = _window()
    table = []
    runs = (
        ("autoplay steps", autoplay_step, steps, min(STEP_BLOCK, steps)),
        ("change cycles", change_cycle, cycles, min(CYCLE_BLOCK, cycles)),
    )
    for name, action, count, block in runs:
        rows = soak(window, action, count, block)
        warm, last = rows[0], rows[-1]
        growth = (last.rss_mb - warm.rss_mb) / warm.rss_mb if warm.rss_mb else 0.0
        slower, span = drift(rows)
        fresh = _window()
        soak(fresh, action, block, block)  # its warm-up
        fresh.session.seek(window.session.t)  # the same state (a cycle ends where it began)
        aged = paired(window, fresh, action, block)
        _close(fresh)
        for b in rows:
            cells = [f"{b.median_ms:.2f}", f"{b.wall_ms:.2f}", f"{b.rss_mb:.1f}"]
            table.append([name, f"{b.done:,}", *cells, "", ""])
        over = ("ok", "OVER")
        table += [
            [name, "RSS growth", "", "", f"{growth:+.1%}", f"< {RSS_TARGET:.0%}"],
            [name, f"thirds {span}", f"{slower:+.1%}", "", "", "(moves with the load)"],
            [name, "aged / fresh window", f"{aged:+.1%}", "", "", f"+-{TIME_TARGET:.0%}"],
        ]
        table[-3].append(over[growth >= RSS_TARGET])
        table[-2].append("")
        table[-1].append(over[abs(aged) >= TIME_TARGET])
    _close(window)
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
    load = os.getloadavg()[0]
    rows = soak_rows(args.steps, args.cycles)
    print(
        "Soak: CPU time of the median step or cycle of each block, wall-clock time per step "
        "or cycle, RSS after the block (the first block warms up); load average "
        f"{load:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    print_table(["run", "done", "CPU ms (median)", "wall ms", "RSS MB", "target", ""], rows)
    return 0
