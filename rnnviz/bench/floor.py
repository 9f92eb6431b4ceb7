"""What a held → frame of a bidirectional stack cannot go under, on this machine.

Each new step of a bidirectional stack runs the whole stack forward again: the backward
direction of every layer starts after the last step, and each layer reads all of the one
below. At 3 layers × 200 steps that is 600 serial steps of a chain of 2H units (each layer's
two directions as one chain, engine/joint_directions.py), however the frame is drawn.

floor: the NumPy calls of those steps that no formulation can leave out, in a bare loop on
rows of the same sizes:

- the recurrent product, one call for every gate (the input and the bias can ride in it);
- the cell's activations, one call for each group that needs the one before (LSTM: the
  gates, then tanh(c_t); GRU: r and z, then n; tanh RNN: h_t). np.tanh stands for every
  activation: a sigmoid is half a tanh plus a half, and tanh written with np.exp costs
  more calls than it saves;
- the products and sums that combine them, each one call on 2H values: LSTM 3 (f ⊙ c_{t−1}
  and i ⊙ g in one call on the two stacked, their sum, o ⊙ tanh(c_t)); GRU 5 (r ⊙ (W_hn h +
  b_hn), plus W_in x + b_in, then h_t = n + z ⊙ (h_{t−1} − n): three); tanh RNN none.

The sigmoids' half-plus-a-half, the engine's copies and checks, and Python's work in the
step function are left out: the floor is below what any NumPy engine can run.

minimal: the frame of the minimal pyqtgraph window (rnnviz/bench/minimal.py: one heatmap
and one log curve, new data, one repaint), the least a frame of a pyqtgraph window costs,
its median and its fastest. A held → frame costs at least floor + minimal, before the
window draws anything of its own, while every value of the backward directions changes
with each step: the graph's boxes, the heatmap, the curves and the equations.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import numpy as np

from rnnviz.bench.machine import machine_line
from rnnviz.bench.table import best_of_each, print_table
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_params import init_stack

TARGET_MS = 8.0  # issue 14: "≤ 8 ms per animation frame" at 3 layers × 200 steps
# The cell's dependent activation calls a step, each as a multiple of the chain's width:
# LSTM tanh over its 4 gates, then over c_t; GRU over r and z, then over n; tanh RNN once.
ACTIVATION_GROUPS: dict[str, tuple[int, ...]] = {"lstm": (4, 1), "gru": (2, 1), "vanilla": (1,)}
GATES = {"lstm": 4, "gru": 3, "vanilla": 1}  # row blocks of the recurrent matrix
COMBINATIONS = {"lstm": 3, "gru": 5, "vanilla": 0}  # elementwise calls on 2H values (above)
CASES: tuple[tuple[str, int, int, int], ...] = (
    ("lstm", 200, 32, 3),  # issue 14's network
    ("gru", 200, 32, 3),
    ("vanilla", 200, 32, 3),
)


def floor_loop(cell: str, T: int, H: int, layers: int) -> Callable[[], None]:
    """The unavoidable NumPy calls of ``layers`` × ``T`` steps of a chain of 2H units (both
    directions of a layer), on rows of the engine's sizes and dtype."""
    units = 2 * H
    rng = np.random.default_rng(0)
    M = rng.standard_normal((GATES[cell] * units, units)) / units  # (G·2H, 2H)
    state = rng.uniform(-1.0, 1.0, units)  # (2H,) a state's range
    product = np.empty(GATES[cell] * units)  # (G·2H,)
    groups = [np.empty(k * units) for k in ACTIVATION_GROUPS[cell]]  # (k·2H,) each
    sources = [product[: g.size] for g in groups]  # values of the right size to activate
    combined = np.empty(units)  # (2H,)
    combinations = range(COMBINATIONS[cell])
    steps = layers * T
    tanh, dot, mul = np.tanh, M.dot, np.multiply

    def run() -> None:
        for _ in range(steps):
            dot(state, product)
            for source, group in zip(sources, groups, strict=True):
                tanh(source, group)
            for _ in combinations:
                mul(state, groups[-1][:units], combined)

    return run


def minimal_frame_ms(T: int, H: int, frames: int = 60, runs: int = 3) -> tuple[float, float]:
    """(median, fastest) frame of the minimal pyqtgraph window, the frame benchmark's
    yardstick, in ms."""
    from rnnviz.bench.frames import WINDOW, _settle, _time_frames
    from rnnviz.bench.minimal import MinimalWindow
    from rnnviz.bench.offscreen import bench_app

    _app = bench_app()  # held while the window lives
    minimal = MinimalWindow(T, H, WINDOW)
    minimal.widget.show()
    _settle()
    median, fastest = _time_frames(minimal.frame, frames, runs)
    minimal.widget.close()
    minimal.widget.deleteLater()
    _settle()
    return median, fastest


def run_case(cell: str, T: int, H: int, layers: int, minimal_ms: tuple[float, float]) -> list[str]:
    """The row of one network: its forward pass, its floor, and what the target leaves for
    the rest of a held → frame beside the minimal window's median and fastest frames."""
    rng = np.random.default_rng(0)
    p = init_stack(cell, 1, H, 1, rng, num_layers=layers, bidirectional=True)
    x = np.sin(np.arange(T) / 5.0)[:, None]  # (T, 1) the sine preset's shape
    forward, floor = best_of_each([lambda: stack_forward(p, x), floor_loop(cell, T, H, layers)])
    left = [TARGET_MS - floor * 1e3 - m for m in minimal_ms]
    return [
        cell,
        f"{T}x{H}",
        f"{layers} bi",
        f"{forward * 1e3:.2f}",
        f"{floor * 1e3:.2f}",
        *(f"{m:.2f}" for m in minimal_ms),
        *(f"{v:.2f}" for v in left),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnviz.bench floor", description=__doc__.splitlines()[0]
    )
    parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(machine_line())
    rows = []
    for cell, T, H, layers in CASES:
        rows.append(run_case(cell, T, H, layers, minimal_frame_ms(T, H)))
    headers = ["cell", "T x H", "layers", "forward ms", "floor ms", "minimal ms", "fastest"]
    print_table([*headers, f"left of {TARGET_MS:g} ms", "fastest"], rows)
    print(
        "forward: stack_forward, what every held → step runs (best of 15); floor: the "
        "product, activation and combining calls it cannot do without, alone in a bare loop "
        "(best of 15, in turns with forward; see the module); minimal: the minimal "
        "pyqtgraph window's frame, median and fastest of 3 runs of 60; "
        f"left: {TARGET_MS:g} ms − floor − minimal, what the target leaves for everything "
        "rnnviz draws (below 0: not met even without drawing)"
    )
    return 0
