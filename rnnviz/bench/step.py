"""One new step of the session, without a window: ``Session.step_forward()`` against the
arithmetic of that step alone.

The reference is what a step computes and nothing else: for each layer, the input's
projection and the cell's step over preallocated rows, then the readout of the top layer
(the engine's own functions, bound once). The ratio is what the session adds: the stepper's
history and overflow check, the traces it hands out, its event. Each case is timed at two
places of the sequence: the time of a step must not grow with the steps before it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from rnnviz.bench.machine import machine_line
from rnnviz.bench.table import print_table
from rnnviz.engine import Params
from rnnviz.engine.cells import get_cell
from rnnviz.engine.cells.base import ForwardRows
from rnnviz.session import Session, SessionConfig

# (cell, T, H, layers, the steps already fed when the timed steps begin)
CASES: tuple[tuple[str, int, int, int, tuple[int, ...]], ...] = (
    ("vanilla", 200, 64, 1, (20, 100)),
    ("vanilla", 1000, 128, 1, (100, 900)),
    ("lstm", 200, 32, 3, (20, 100)),
    ("lstm", 1000, 32, 3, (100, 900)),
)


def config(cell: str, T: int, H: int, layers: int) -> SessionConfig:
    """The session of the app's defaults with this network, fed a sine."""
    base = SessionConfig(hidden_size=H, sequence_length=T, preset="sine")
    return base.changed(cell=cell, num_layers=layers)


def arithmetic(session: Session) -> Callable[[np.ndarray], np.ndarray]:
    """One step's arithmetic for the session's network, from the zero state: ``compute(x)``
    with x (I,) returns y (O,)."""
    stack = session.stack_params
    layers = [stack.layer_params(k, 0) for k in range(stack.num_layers)]
    steps = [_cell_step(p) for p in layers]
    W_hy, b_y = stack.W_hy, stack.b_y  # (O, H), (O,)

    def compute(x: np.ndarray) -> np.ndarray:
        below = x  # (I_k,)
        for step in steps:
            below = step(below)
        y = np.dot(W_hy, below)  # (O,)
        y += b_y
        return y

    return compute


def _cell_step(p: Params) -> Callable[[np.ndarray], np.ndarray]:
    """x (I,) → h (H,): projection, then the cell's step from a zero state, on two rows."""
    cell, H = get_cell(p.cell), p.hidden_size
    h = np.zeros((2, H), dtype=p.dtype)  # (2, H)
    c = np.zeros((2, H), dtype=p.dtype) if cell.has_cell_state else None  # (2, H)
    cache = np.zeros((1, cell.cache_width(H)), dtype=p.dtype)  # (1, K)
    xb = np.zeros((1, p.n_gates * H), dtype=p.dtype)  # (1, G*H)
    rows = ForwardRows(
        xb=list(xb),
        z=list(h),
        h=list(h),
        c=None if c is None else list(c),
        cache=list(cache),
        cache_all=cache,
    )
    step = cell.make_step(p, rows)

    def compute(x: np.ndarray) -> np.ndarray:
        xb[0] = cell.input_projection(p, x[None])[0]
        with np.errstate(all="ignore"):
            step(0)
        return h[1]

    return compute


def run_case(config: SessionConfig, start: int, steps: int, rounds: int) -> tuple[float, float]:
    """(session, reference): the fastest of ``rounds`` medians of ``steps`` new steps from
    ``start``, in µs, the two taking turns. Each round has a session of its own, so every
    timed step is computed (the stepper takes again a step it still holds)."""
    session_medians, reference_medians = [], []
    for _ in range(rounds):
        session = Session(config)
        session.seek(start)
        xs = session.sequence[start : start + steps]  # (steps, I)
        session_medians.append(_median(lambda i, s=session: s.step_forward(), steps))
        compute = arithmetic(session)
        reference_medians.append(_median(lambda i, f=compute, xs=xs: f(xs[i]), steps))
    return min(session_medians) * 1e6, min(reference_medians) * 1e6


def _median(fn: Callable[[int], object], n: int) -> float:
    times = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=60, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per case (fastest)")
    args = parser.parse_args(argv)
    print(machine_line())
    rows = []
    for cell, T, H, layers, starts in CASES:
        for start in starts:
            mine, reference = run_case(config(cell, T, H, layers), start, args.steps, args.rounds)
            rows.append(
                [
                    cell,
                    f"{T}x{H}",
                    str(layers),
                    f"{start + 1}…{start + args.steps}",
                    f"{mine:.1f}",
                    f"{reference:.1f}",
                    f"{mine / reference:.2f}x",
                ]
            )
    headers = ["cell", "T x H", "layers", "steps", "step µs", "arithmetic µs", "ratio"]
    print_table(headers, rows)
    print(
        f"step: Session.step_forward() with no window (median of {args.steps} steps, fastest "
        f"of {args.rounds} rounds); arithmetic: each layer's input projection and cell step, "
        "and the readout; ratio = step / arithmetic"
    )
    return 0
