"""Forward + BPTT time against the NumPy lower bound: 2T chained W_hh mat-vecs.

The recurrence is inherently serial: a forward pass needs T mat-vecs with W_hh and the
backward pass T more with W_hhᵀ, each waiting for the previous one. Timing exactly those
2T chained mat-vecs on the same matrix gives the floor any NumPy implementation can reach.

Why the engine looks as it does: measurements
---------------------------------------------
Measured here (x86_64, OpenBLAS on one thread, float64). The engine's comments keep the
reasons; these are the numbers behind them.

- A step's arithmetic at H = 128 is ~2 µs, so per-step overhead shows. Passing a step its
  six rows as arguments cost ~0.3 µs a step against binding lists of row views once and
  indexing them (cells/base.py); NumPy's dispatch through ``np.dot`` costs ~0.15 µs a
  call, 10% of a mat-vec, against the bound method ``W.dot``.
- Alignment (engine/alignment.py): at H = 128, ``W.dot(v)`` takes 1.26 µs when W starts on
  a 32-byte boundary and 1.42–1.51 µs when it starts 8, 16 or 48 bytes past one.
- Rows laid out last step first (single_bptt._last_step_first): the backward loop walks forward
  through memory, ~10% faster a step once the arrays outgrow the caches (T ≥ 1000 at
  H = 128).
- Weight gradients (single_bptt._weight_gradients): copying the loop's reversed, strided
  pre-activation gradients into step order and then multiplying takes 3.3 ms against
  4.0 ms for multiplying them as they lie, at T = 5000, H = 128.
- A batch's rows are (·, B), one sequence a column (engine/batched.py): at B = 8, H = 32 a
  multiply over one gate's block took 0.96 µs when the block was strided, in (B, 4H) rows,
  against 0.40 µs for the same values in one contiguous run.
- Element-wise passes over every step (the LSTM's backward factors): 1 − s and s(1 − s)
  over the gate columns of the (T, 5H) cache, a strided view, took 0.92 ms against 0.33 ms
  over as many values in a contiguous array, at 1000 x 128.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable

import numpy as np

from rnnviz.bench.machine import machine_line
from rnnviz.bench.table import best_of_each, print_table
from rnnviz.engine import bptt, forward, init_params
from rnnviz.engine.alignment import aligned_zeros
from rnnviz.runtime import keep_freed_memory

SIZES: tuple[tuple[int, int], ...] = ((100, 32), (1000, 128), (1000, 256), (5000, 128))


def bound_chain(W: np.ndarray, steps: int) -> Callable[[], None]:
    """``steps`` chained mat-vecs with W (G*H, H), each using the last result.

    Written as tightly as NumPy allows, so the floor is not flattered: a copy of W on a
    64-byte boundary (a misaligned matrix is up to 20% slower: see the measurements above), the
    bound method ``W.dot`` (no dispatch through ``np.dot``), results into preallocated
    vectors, and the views that feed the first H values back made once, outside the loop.
    """
    H = W.shape[1]
    aligned = aligned_zeros(W.shape, W.dtype)  # (G*H, H)
    aligned[...] = W
    w_dot = aligned.dot

    def chain() -> None:
        a, b = aligned_zeros((W.shape[0],)), aligned_zeros((W.shape[0],))  # (G*H,) each
        a_in, b_in = a[:H], b[:H]  # (H,) the part that feeds back
        for _ in range(steps):
            w_dot(a_in, out=b)
            a, b, a_in, b_in = b, a, b_in, a_in

    return chain


def run_case(T: int, H: int, cell: str, loss_at: str, gain: float, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    p = init_params(cell, 1, H, 1, rng, scheme="orthogonal", gain=gain)
    x = rng.standard_normal((T, 1))  # (T, 1)
    y = rng.standard_normal((T, 1))  # (T, 1)
    faults = _faults()
    t_fwd, t_all, bound = best_of_each(
        [
            lambda: forward(p, x),
            lambda: bptt(forward(p, x), y, loss_at=loss_at),
            bound_chain(p.W_hh, 2 * T),  # (G*H, H): gated cells multiply all gate rows
        ]
    )
    passes = 16 * 3  # best_of_each: a warm-up and 15 timed runs of each of the three
    return [
        f"{cell}",
        f"{T}x{H}",
        f"ρ={gain:g}, loss@{loss_at}",
        f"{t_fwd * 1e3:.2f}",
        f"{t_all * 1e3:.2f}",
        f"{bound * 1e3:.2f}",
        f"{t_all / bound:.2f}x",
        f"{(_faults() - faults) / passes:.0f}",
        f"{elementwise_floor(cell, T, H, bound) if cell in ELEMENTWISE_CALLS else 0:.2f}x",
    ]


# NumPy element-wise calls a step makes besides its product (forward + backward), counted
# in the cells' step functions: what keeps a gated cell above its bound.
ELEMENTWISE_CALLS = {"vanilla": 2, "lstm": 8 + 5, "gru": 11 + 4}


def elementwise_floor(cell: str, T: int, H: int, bound: float) -> float:
    """The time the bound plus the steps' element-wise calls need at least, over the bound.

    One call is timed on H values (the size most of them have) in a tight loop: the cost of
    a NumPy call that any step of this design pays, however its arithmetic is arranged.
    """
    a, b, out = np.ones(H), np.ones(H), np.empty(H)
    mul = np.multiply
    (per_call,) = best_of_each([lambda: [mul(a, b, out) for _ in range(1000)]], repeats=5)
    # T steps, each counted forward and backward in ELEMENTWISE_CALLS.
    return (bound + T * ELEMENTWISE_CALLS[cell] * per_call / 1000) / bound


def _faults() -> int:
    """Page faults of this process so far (minor: pages touched for the first time)."""
    import resource  # not on Windows; the benchmark reports Linux and macOS

    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


GATED_SIZES: tuple[tuple[int, int], ...] = ((1000, 128), (5000, 128))


def main(argv: list[str] | None = None) -> int:
    # Raw: the measurements below the summary are a list, which reflowing would run together.
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cells", default="vanilla", help="comma-separated: vanilla,lstm,gru")
    parser.add_argument(
        "--gated", action="store_true", help="lstm and gru at 1000x128 and 5000x128"
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="only this process, as a script would run: freed memory not kept",
    )
    args = parser.parse_args(argv)
    kept = "no" if args.plain else ("yes" if keep_freed_memory() else "no")
    print(f"{machine_line()}; freed memory kept (rnnviz.runtime): {kept}")
    cells = "lstm,gru" if args.gated else args.cells
    sizes = GATED_SIZES if args.gated else SIZES
    rows = []
    for cell in cells.split(","):
        for T, H in sizes:
            rows.append(run_case(T, H, cell, "all", 0.9))
        if not args.gated:
            # Gradients that vanish into the subnormal range must not slow anything.
            rows.append(run_case(5000, 128, cell, "last", 0.5))
    headers = [
        *("cell", "T x H", "case", "fwd ms", "fwd+BPTT ms", "bound ms", "ratio", "faults"),
        "floor",
    ]
    print_table(headers, rows)
    print(
        "bound = 2T chained W_hh mat-vecs (NumPy's floor for the serial recurrence; gated "
        "cells: the gate-stacked (G*H, H) matrix); ratio = fwd+BPTT / bound; faults = page "
        "faults per pass; floor = (bound + the steps' element-wise NumPy calls, "
        f"{ELEMENTWISE_CALLS} a step, at the measured cost of one call) / bound"
    )
    if not args.plain:
        # The same in a process that changed no setting, as a notebook importing the engine.
        print("\nThe same in a plain process (no rnnviz.runtime setting):", flush=True)
        flags = ["--gated"] if args.gated else ["--cells", args.cells]
        cmd = [sys.executable, "-m", "rnnviz.bench.engine", "--plain", *flags]
        subprocess.run(cmd, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
