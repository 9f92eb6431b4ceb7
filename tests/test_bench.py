"""The benchmarks still run: a tiny case of each, checked for a complete row."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rnnviz.bench.engine import bound_chain, measure_case, run_case
from rnnviz.bench.table import best_of_each


@pytest.mark.parametrize("cell", ["vanilla", "lstm", "gru"])
def test_engine_case_gives_a_full_row(cell: str) -> None:
    row = run_case(20, 8, cell, "all", 0.9)
    assert len(row) == 11
    assert row[:2] == [cell, "20x8"]
    assert all(float(v) > 0 for v in row[3:6])  # fwd, fwd+BPTT and bound times, ms
    assert row[6].endswith("x")
    assert float(row[7]) >= 0  # page faults per pass
    assert float(row[10].rstrip("x")) >= 1  # the loops' floor, over the bound


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_loops_and_the_rest_make_up_the_pass(cell: str) -> None:
    case = measure_case(20, 8, cell, "all", 0.9)
    row = case.row()
    loops, rest = float(row[8].rstrip("x")), float(row[9].rstrip("x"))
    # Both parts come from one timed pass, the ratio's time from the fastest of them.
    assert 0 < loops < case.pass_timed / case.bound
    assert rest > 0
    assert loops + rest == pytest.approx(case.pass_timed / case.bound, abs=0.011)
    assert case.pass_timed <= case.whole  # timed inside the same runs
    # The loops ran: at least the 2T products, each step at least a multiply per call.
    assert case.loops >= case.bound / 2
    explained = case.explanation()
    assert f"{case.calls} element-wise calls" in explained
    per_step = case.loops / case.T * 1e6
    assert f"loops {per_step:.1f} µs a step" in explained


def test_a_backward_loop_that_stopped_early_is_said_to_have_stopped() -> None:
    """ρ = 0.5 with the loss at the last step: the chain vanishes and the backward loop
    stops long before step 1, so a per-step share of the loops would be meaningless (it
    came out negative)."""
    case = measure_case(2000, 8, "vanilla", "last", 0.5)  # 0.5 ** 1000 is far below 1e-290
    assert 0 < case.skipped < 2000
    explained = case.explanation()
    assert f"stopped after {2000 - case.skipped} of 2000 steps" in explained
    assert "µs a step" not in explained
    assert measure_case(40, 8, "vanilla", "all", 0.9).skipped == 0


def test_the_loop_timer_times_only_the_serial_loops_and_restores_them() -> None:
    from rnnviz.bench.engine import LoopTimer
    from rnnviz.engine import single_bptt, single_forward

    saved = single_forward.run_steps, single_bptt.run_windows
    timer = LoopTimer()
    with timer:
        timer.run(lambda: single_forward.run_steps(lambda t: time.sleep(0.01), 2))
        timer.run(lambda: time.sleep(0.02))  # no loop inside
    assert (single_forward.run_steps, single_bptt.run_windows) == saved
    (first, first_loops, _), (second, second_loops, _) = timer.passes
    assert first_loops >= 0.02 and first >= first_loops
    assert second >= 0.02 and second_loops == 0.0
    assert timer.fastest() == min(timer.passes)


def test_bound_chain_runs_on_gated_shapes() -> None:
    # Gated cells multiply a (G*H, H) stack and feed back its first H values.
    bound_chain(np.ones((4 * 3, 3)), 10)()


def test_best_of_each_times_every_function_in_turns() -> None:
    calls: list[str] = []
    times = best_of_each([lambda: calls.append("a"), lambda: calls.append("b")], repeats=3)
    assert len(times) == 2 and all(t >= 0 for t in times)
    assert calls == ["a", "b"] + ["a", "b"] * 3  # a warm-up each, then interleaved


@pytest.mark.parametrize("cell", ["vanilla", "lstm"])
def test_training_rounds_time_the_updates_of_both_libraries(cell: str) -> None:
    from rnnviz.bench.training import ROUND, rnnviz_rounds, torch_rounds
    from rnnviz.engine.tasks import adding_task

    task = adding_task(6)
    assert 0 < rnnviz_rounds(cell, task, 4, 3)() < 60 * ROUND
    theirs = torch_rounds(cell, task, 4, 3)
    if theirs is not None:
        assert 0 < theirs() < 60 * ROUND


def test_the_machine_line_says_the_load() -> None:
    from rnnviz.bench.machine import machine_line

    assert "cores" in machine_line() and "load average" in machine_line()


@pytest.mark.parametrize(("layers", "bidirectional"), [(1, False), (2, True)])
def test_stack_case_gives_a_full_row(layers: int, bidirectional: bool) -> None:
    from rnnviz.bench.stack import run_case as run_stack_case

    row = run_stack_case("lstm", 20, 4, layers, bidirectional)
    assert len(row) == 6 and row[:2] == ["lstm", "20x4"]
    assert all(float(v) > 0 for v in row[3:5]) and row[5].endswith("x")


def test_joint_case_gives_a_full_row() -> None:
    from rnnviz.bench.joint import run_case as run_joint_case
    from rnnviz.bench.joint import two_passes
    from rnnviz.engine.stack import stack_forward
    from rnnviz.engine.stack_params import init_stack

    row = run_joint_case("gru", 20, 4, 2)
    assert len(row) == 9 and row[:3] == ["gru", "20x4", "2 bi"]
    assert all(float(v) > 0 for v in row[3:5] + row[6:8])
    assert row[5].endswith("x") and row[8].endswith("x")
    # The reference computes what the stack computes.
    p = init_stack("lstm", 1, 4, 1, np.random.default_rng(1), num_layers=2, bidirectional=True)
    x = np.random.default_rng(2).standard_normal((9, 1))
    for got, want in zip(stack_forward(p, x).outputs, two_passes(p, x), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_the_stall_probe_sees_a_blocked_event_loop(qtbot) -> None:
    from PyQt6.QtCore import QTimer

    from rnnviz.bench.stalls import StallProbe

    probe = StallProbe()
    probe.start()
    QTimer.singleShot(20, lambda: time.sleep(0.15))  # the GUI thread blocked for 150 ms
    qtbot.wait(300)
    probe.stop()
    assert probe.largest_ms >= 150


@pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
def test_soak_gives_a_row_per_block_and_a_growth_row(qtbot) -> None:
    from rnnviz.bench.soak import soak_rows

    rows = soak_rows(steps=4, cycles=1)
    assert [r[:2] for r in rows] == [
        ["autoplay steps", "4"],
        ["autoplay steps", "RSS growth"],
        ["autoplay steps", "thirds 4-4 -> 4-4"],
        ["autoplay steps", "aged / fresh window"],
        ["change cycles", "1"],
        ["change cycles", "RSS growth"],
        ["change cycles", "thirds 1-1 -> 1-1"],
        ["change cycles", "aged / fresh window"],
    ]
    assert all(len(r) == 7 for r in rows)
    assert all(float(r[4]) > 0 and float(r[2]) > 0 for r in (rows[0], rows[4]))  # RSS, CPU


def test_paired_times_are_the_aged_sides_over_the_fresh_ones() -> None:
    from rnnviz.bench.soak import paired

    aged, fresh = object(), object()

    def act(window: object) -> None:
        deadline = time.process_time() + (0.02 if window is aged else 0.01)
        while time.process_time() < deadline:
            pass

    assert paired(aged, fresh, act, 3) == pytest.approx(1.0, abs=0.2)  # twice the CPU time


def test_soak_drift_compares_the_thirds_after_the_warm_up() -> None:
    from rnnviz.bench.soak import Block, drift

    def block(done: int, ms: float) -> Block:
        return Block(done, (ms, ms, 100.0 * ms, 0.0, ms), 1.0, 100.0)  # median: ms

    # A slow warm-up, then 1 ms for three blocks, a noisy middle, 1.1 ms at the end.
    blocks = [block(10, 9.0), *(block(20 + 10 * i, 1.0) for i in range(3))]
    blocks += [block(50, 3.0), block(60, 0.2), block(70, 5.0)]
    blocks += [block(80 + 10 * i, 1.1) for i in range(3)]
    slower, span = drift(blocks)
    assert slower == pytest.approx(0.1)
    assert span == "20-40 -> 80-100"


def test_jacobian_map_case_gives_a_full_row() -> None:
    from rnnviz.bench.jacobians import row
    from rnnviz.engine.jacobian_map import METHOD

    cells = row(12, 4, "lstm", 0.5)
    assert cells[:2] == ["lstm", "12x4"] and cells[-1] == METHOD
    seconds, cpu, first = (float(c.removesuffix(" s")) for c in cells[2:5])
    assert 0 <= first <= seconds and cpu >= 0  # the first rows come before the whole map
    assert float(cells[7]) == pytest.approx(seconds / 0.5, abs=0.03)  # both rounded


def test_the_proof_floor_runs_the_cholesky_tests_one_at_a_time(monkeypatch) -> None:
    from rnnviz.bench import jacobians

    gram, cholesky = jacobians.proof_seconds(4)
    assert 0 < gram < 1e-2 and 0 < cholesky < 1e-2  # measured: a few µs for 4 × 4
    pairs = 12 * 13 / 2
    monkeypatch.setattr(jacobians, "proof_seconds", lambda H: (1e-3 * H, 2e-3 * H))
    monkeypatch.setattr(jacobians.os, "cpu_count", lambda: 2)
    cells = jacobians.row(12, 4, "vanilla", None)
    assert cells[5] == f"{pairs * 8e-3:.2f} s"  # the Cholesky tests: more than half of both
    monkeypatch.setattr(jacobians.os, "cpu_count", lambda: 1)
    assert jacobians.proof_floor(12, 4) == pytest.approx(pairs * 12e-3)


def test_frame_rows_are_ratios_to_the_minimal_window() -> None:
    from rnnviz.bench.frames import _row

    met = _row("step", "2x2", 4.0, 3.0, 2.0, None, 2.0, "ms")
    assert met[2:8] == ["4.00 ms", "3.00 ms", "2.00 ms", "2.00", "≤ 2", "yes"]
    over = _row("launch", "2x2", 3.0, None, 1.0, None, 1.5, "s")
    assert over[5:8] == ["3.00", "≤ 1.5", "2.00x over"]


def test_a_launch_with_a_bytecode_folder_compiles_into_it_and_paints(tmp_path: Path) -> None:
    """The launch is timed from compiled modules: the first launch leaves them in the
    folder (also with PYTHONDONTWRITEBYTECODE set), and the next launch compiles none."""
    from rnnviz.bench.frames import first_paint_seconds

    seconds = first_paint_seconds("rnnviz.bench.minimal", str(tmp_path))
    compiled = list(tmp_path.rglob("minimal*.pyc"))
    assert seconds > 0 and compiled
    assert first_paint_seconds("rnnviz.bench.minimal", str(tmp_path)) > 0
    assert list(tmp_path.rglob("minimal*.pyc")) == compiled


def test_a_play_frame_feeds_new_steps_and_repaints_the_window(qtbot) -> None:
    """The play case steps forward from the middle of the sequence into steps never fed
    before (a bidirectional stack works its trace out anew for each), and every panel that
    shows the steps paints."""
    from rnnviz.bench.frames import frame_rows

    (row,) = frame_rows(frames=3, runs=1, cases=("play",), networks=(3,))
    assert row[:2] == ["play frame (new steps, 4/s)", "200x32 3-layer bi lstm"]
    assert float(row[2].split()[0]) > 0
    assert {"graph", "h", "seq"} <= set(row[-1].split())


def test_the_frames_benchmark_runs_from_its_command_line() -> None:
    """``python -m rnnviz.bench frames`` makes its own application (none exists there) and
    prints a row for the case asked, however few frames it is asked for."""
    args = ["frames", "--case", "step", "--network", "0", "--frames", "2", "--runs", "1"]
    out = subprocess.run(
        [sys.executable, "-m", "rnnviz.bench", *args, "--launches", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert out.returncode == 0, out.stderr
    assert "step frame (→ / ←)" in out.stdout and "200x64" in out.stdout


@pytest.mark.parametrize("num_layers", [1, 3])
def test_the_step_reference_computes_the_sessions_first_step(num_layers: int) -> None:
    from rnnviz.bench.step import arithmetic, run_case
    from rnnviz.session import Session, SessionConfig

    config = SessionConfig(hidden_size=8, sequence_length=30, cell="lstm", num_layers=num_layers)
    session = Session(config)
    y = arithmetic(session)(session.sequence[0])
    session.step_forward()
    np.testing.assert_allclose(y, session.trace.y[0], rtol=1e-12, atol=1e-15)
    mine, reference = run_case(config, 10, 5, 1)
    assert mine > 0 and reference > 0


@pytest.mark.parametrize("cell", ["lstm", "gru", "vanilla"])
def test_the_floor_activates_no_more_values_than_the_stack_does(monkeypatch, cell: str) -> None:
    """The floor is a part of the forward pass: its tanh calls, by size, are among the
    stack's own (each layer's two directions as one chain of 2H units)."""
    from collections import Counter

    from rnnviz.bench.floor import ACTIVATION_GROUPS, floor_loop
    from rnnviz.engine import activations
    from rnnviz.engine.stack import stack_forward
    from rnnviz.engine.stack_params import init_stack

    T, H, layers = 10, 4, 2
    sizes: list[int] = []
    tanh = np.tanh

    def counted(x: np.ndarray, *args: object, **kwargs: object) -> np.ndarray:
        sizes.append(np.size(x))
        return tanh(x, *args, **kwargs)

    monkeypatch.setattr(np, "tanh", counted)
    monkeypatch.setitem(activations._FORWARD, "tanh", counted)  # the vanilla cell's
    floor_loop(cell, T, H, layers)()
    floor = Counter(sizes)
    assert sum(floor.values()) == layers * T * len(ACTIVATION_GROUPS[cell])
    sizes.clear()
    p = init_stack(cell, 1, H, 1, np.random.default_rng(0), num_layers=layers, bidirectional=True)
    stack_forward(p, np.random.default_rng(1).standard_normal((T, 1)))
    assert floor <= Counter(sizes)


def test_floor_case_gives_a_full_row(qtbot) -> None:
    from rnnviz.bench.floor import minimal_frame_ms, run_case

    median, fastest = minimal_frame_ms(20, 4, frames=3, runs=1)
    assert median >= fastest > 0
    row = run_case("lstm", 20, 4, 2, (median, fastest))
    assert len(row) == 9 and row[:3] == ["lstm", "20x4", "2 bi"]
    assert all(float(v) > 0 for v in row[3:7])
    # What is left of the target is the target less the floor and each minimal frame.
    assert float(row[7]) == pytest.approx(8.0 - float(row[4]) - median, abs=0.01)
