"""Forward + BPTT time against the NumPy lower bound: 2T chained W_hh mat-vecs.

The recurrence is inherently serial: a forward pass needs T mat-vecs with W_hh and the
backward pass T more with W_hhᵀ, each waiting for the previous one. Timing exactly those
2T chained mat-vecs on the same matrix gives the floor any NumPy implementation can reach.

Where a pass spends its time beyond the bound: the columns "loops" and "rest" split the
ratio, both measured in the same pass (LoopTimer times the engine's forward loop
``single_forward.run_steps`` and backward loop ``single_bptt.run_windows`` as they run).
"loops floor" is what the loops would take if every element-wise NumPy call a step makes
(STEP_CALLS) cost what it costs alone at its size; the line printed for each case gives the
loops' cost per step and per call, against those calls alone. The rest is vectorised work
over all steps, of which the W_hh gradient's product has as many multiply-adds as the
forward chain (printed alone: it is arithmetic the bound does not count).

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
- Weight gradients (single_bptt.weight_gradients): copying the loop's reversed, strided
  pre-activation gradients into step order and then multiplying takes 3.3 ms against
  4.0 ms for multiplying them as they lie, at T = 5000, H = 128.
- A batch's rows are (·, B), one sequence a column (engine/batched.py): at B = 8, H = 32 a
  multiply over one gate's block took 0.96 µs when the block was strided, in (B, 4H) rows,
  against 0.40 µs for the same values in one contiguous run.
- Element-wise passes over every step (the LSTM's backward factors): 1 − s and s(1 − s)
  over the gate columns of the (T, 5H) cache, a strided view, took 0.92 ms against 0.33 ms
  over as many values in a contiguous array, at 1000 x 128.
- Zeroing the backward chain's five arrays up front took 1.6 ms of a ~35 ms LSTM pass at
  1000 x 128 (0.04 ms without): the loop writes whole every row it reaches, so only the
  rows it leaves (a vanished chain, dL/dc_t at a truncation cut) are zeroed
  (single_bptt.backward_chain).
- An element-wise pass costs ~1 ns a value here, in cache or not: the LSTM's backward factors
  (19 passes of T x H values) took 2.36 ms over all 1000 steps at once and 2.0–2.4 ms in
  blocks of 16–128 steps that stay in cache. The rest of a pass is counted in values.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnviz.bench.machine import machine_line
from rnnviz.bench.table import best_of_each, print_table
from rnnviz.engine import bptt, forward, init_params, single_bptt, single_forward
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


@dataclass(frozen=True)
class Case:
    """One measured case: seconds for each timing, the loops' share, calls' costs alone."""

    cell: str
    T: int
    H: int
    label: str
    fwd: float  # the fastest forward pass
    whole: float  # the fastest forward + BPTT pass
    bound: float  # 2T chained mat-vecs
    faults: float  # page faults per pass
    loops: float  # the two serial loops, inside the fastest pass that LoopTimer saw
    pass_timed: float  # that pass, whole: loops + rest
    calls_alone: float  # a step's element-wise calls (STEP_CALLS), each timed alone
    grad_product: float  # the W_hh gradient's product (G*H, T) @ (T, H) alone: part of rest
    skipped: int = 0  # the first steps the backward loop did not reach (the chain vanished)

    @property
    def calls(self) -> int:
        return len(STEP_CALLS[self.cell])

    @property
    def loop_floor(self) -> float:
        """The least time the loops of this design need: the bound's 2T products, plus every
        step's element-wise calls, each at what it costs alone at its size."""
        return self.bound + self.T * self.calls_alone

    def row(self) -> list[str]:
        b = self.bound
        return [
            self.cell,
            f"{self.T}x{self.H}",
            self.label,
            f"{self.fwd * 1e3:.2f}",
            f"{self.whole * 1e3:.2f}",
            f"{b * 1e3:.2f}",
            f"{self.whole / b:.2f}x",
            f"{self.faults:.0f}",
            f"{self.loops / b:.2f}x",
            f"{(self.pass_timed - self.loops) / b:.2f}x",
            f"{self.loop_floor / b:.2f}x",
        ]

    def explanation(self) -> str:
        """Where the loops spend a step (forward + backward), in µs; when the backward loop
        stopped early, only that (a step's share would mean nothing)."""
        rest = (
            f"rest {(self.pass_timed - self.loops) * 1e3:.2f} ms, of which the W_hh gradient's "
            f"product alone {self.grad_product * 1e3:.2f} ms"
        )
        if self.skipped:
            return (
                f"{self.cell} {self.T}x{self.H}: the backward loop stopped after "
                f"{self.T - self.skipped} of {self.T} steps (the chain vanished): loops "
                f"{self.loops * 1e3:.2f} ms; {rest}"
            )
        per_step, product = self.loops / self.T * 1e6, self.bound / self.T * 1e6
        beside = per_step - product
        return (
            f"{self.cell} {self.T}x{self.H}: loops {per_step:.1f} µs a step = products "
            f"{product:.1f} + {beside:.1f} for {self.calls} element-wise calls "
            f"({beside / self.calls:.2f} µs each; alone {self.calls_alone * 1e6:.1f} µs, "
            f"{self.calls_alone * 1e6 / self.calls:.2f} each); {rest}"
        )


def measure_case(T: int, H: int, cell: str, loss_at: str, gain: float, seed: int = 0) -> Case:
    rng = np.random.default_rng(seed)
    p = init_params(cell, 1, H, 1, rng, scheme="orthogonal", gain=gain)
    x = rng.standard_normal((T, 1))  # (T, 1)
    y = rng.standard_normal((T, 1))  # (T, 1)
    faults = _faults()
    timer = LoopTimer()
    with timer:
        t_fwd, t_all, bound = best_of_each(
            [
                lambda: forward(p, x),
                lambda: timer.run(lambda: bptt(forward(p, x), y, loss_at=loss_at)),
                bound_chain(p.W_hh, 2 * T),  # (G*H, H): gated cells multiply all gate rows
            ]
        )
    passes = 16 * 3  # best_of_each: a warm-up and 15 timed runs of each of the three
    per_pass = (_faults() - faults) / passes
    pass_timed, loops, skipped = timer.fastest()
    alone = step_calls_alone(cell, H)
    dz, h = np.full((T, p.W_hh.shape[0]), 0.5), np.full((T, H), 0.5)  # (T, G*H), (T, H)
    (product,) = best_of_each([lambda: dz.T @ h], repeats=5)
    label = f"ρ={gain:g}, loss@{loss_at}"
    return Case(
        cell, T, H, label, t_fwd, t_all, bound, per_pass, loops, pass_timed, alone, product, skipped
    )


def run_case(T: int, H: int, cell: str, loss_at: str, gain: float, seed: int = 0) -> list[str]:
    return measure_case(T, H, cell, loss_at, gain, seed).row()


class LoopTimer:
    """Times the engine's two serial loops as it runs them, inside whole passes.

    While active, ``single_forward.run_steps`` (the forward loop) and
    ``single_bptt.run_windows`` (the backward loop) are wrapped: each call's time is added
    to the pass that ``run`` is timing. ``fastest`` gives the fastest pass and the time its
    loops took, so that ratio = loops + rest holds within one run.
    """

    def __init__(self) -> None:
        # (whole pass, its loops) in seconds, and the steps its backward loop skipped
        self.passes: list[tuple[float, float, int]] = []
        self._loops = 0.0
        self._skipped = 0

    def __enter__(self) -> LoopTimer:
        self._saved = single_forward.run_steps, single_bptt.run_windows
        single_forward.run_steps = self._timed(self._saved[0])
        single_bptt.run_windows = self._timed(self._saved[1], backward=True)
        return self

    def __exit__(self, *exc: object) -> None:
        single_forward.run_steps, single_bptt.run_windows = self._saved

    def _timed(self, loop: Callable[..., Any], backward: bool = False) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            start = time.perf_counter()
            out = loop(*args)
            self._loops += time.perf_counter() - start
            if backward:
                self._skipped = int(out)  # run_windows: the first steps it did not reach
            return out

        return timed

    def run(self, fn: Callable[[], object]) -> None:
        self._loops, self._skipped = 0.0, 0
        start = time.perf_counter()
        fn()
        self.passes.append((time.perf_counter() - start, self._loops, self._skipped))

    def fastest(self) -> tuple[float, float, int]:
        return min(self.passes)


# The element-wise NumPy calls a step makes besides its products, forward then backward, as
# (kind, values in units of H), read from the cells' step functions (cells/*.py: _make_step,
# then the back closure of _factored_back, or of make_step_backward for the vanilla cell).
# "ufunc": a binary ufunc into an output or in place; "tanh": in place; "broadcast": a
# step's (3, H) rows of a gate-major (3, T, H) array times a (H,) vector, into (3, H).
STEP_CALLS: dict[str, tuple[tuple[str, int], ...]] = {
    "vanilla": (("tanh", 1), ("ufunc", 1)),
    "lstm": (
        *(("tanh", 4), ("ufunc", 4), ("ufunc", 4)),  # all gates' tanh, then σ of i, f, o
        *(("ufunc", 1),) * 3,  # c_t = f ⊙ c_{t-1} + i ⊙ g
        *(("tanh", 1), ("ufunc", 1)),  # h_t = o ⊙ tanh(c_t)
        *(("ufunc", 1), ("ufunc", 1), ("broadcast", 3), ("ufunc", 1), ("ufunc", 1)),
    ),
    "gru": (
        *(("ufunc", 1), ("ufunc", 2), ("tanh", 2), ("ufunc", 2), ("ufunc", 2)),  # hn; r, z
        *(("ufunc", 1), ("ufunc", 1), ("tanh", 1)),  # n
        *(("ufunc", 1),) * 3,  # h_t = n + z ⊙ (h_{t-1} − n)
        *(("broadcast", 3), ("broadcast", 3), ("ufunc", 1), ("ufunc", 1)),
    ),
}


def step_calls_alone(cell: str, H: int) -> float:
    """Seconds for one step's STEP_CALLS, each kind and size timed alone in a tight loop."""
    calls = STEP_CALLS[cell]
    kinds = sorted(set(calls))
    mul, tanh = np.multiply, np.tanh

    def timed(kind: str, k: int) -> Callable[[], object]:
        a, out = np.full(k * H, 0.5), np.empty(k * H)  # tanh(tanh(…)) of 0.5 stays normal
        if kind == "tanh":
            return lambda: [tanh(a, a) for _ in range(1000)]
        if kind == "ufunc":
            return lambda: [mul(a, a, out) for _ in range(1000)]
        rows = np.full((k, 64, H), 0.5)[:, 5]  # (k, H) a step's rows of (k, T, H)
        v, into = np.full(H, 0.5), np.empty((k, H))
        return lambda: [mul(rows, v, into) for _ in range(1000)]

    costs = best_of_each([timed(*kind) for kind in kinds], repeats=15)
    each = {kind: c / 1000 for kind, c in zip(kinds, costs, strict=True)}
    return sum(each[call] for call in calls)


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
    cases = []
    for cell in cells.split(","):
        for T, H in sizes:
            cases.append(measure_case(T, H, cell, "all", 0.9))
        if not args.gated:
            # Gradients that vanish into the subnormal range must not slow anything.
            cases.append(measure_case(5000, 128, cell, "last", 0.5))
    headers = [
        *("cell", "T x H", "case", "fwd ms", "fwd+BPTT ms", "bound ms", "ratio", "faults"),
        *("loops", "rest", "loops floor"),
    ]
    print_table(headers, [case.row() for case in cases])
    print(
        "bound = 2T chained W_hh mat-vecs (NumPy's floor for the serial recurrence; gated "
        "cells: the gate-stacked (G*H, H) matrix); ratio = fwd+BPTT / bound; faults = page "
        "faults per pass; loops = the forward and backward serial loops, timed as the "
        "engine runs them, / bound; rest = the rest of that pass (vectorised: input "
        "projection, backward factors, weight gradients, norms, checks) / bound; loops floor "
        "= (bound + each step's element-wise NumPy calls, "
        f"{ {cell: len(calls) for cell, calls in STEP_CALLS.items()} } a step, each at what "
        "it costs alone at its size) / bound"
    )
    for case in cases:
        print(case.explanation())
    if not args.plain:
        # The same in a process that changed no setting, as a notebook importing the engine.
        print("\nThe same in a plain process (no rnnviz.runtime setting):", flush=True)
        flags = ["--gated"] if args.gated else ["--cells", args.cells]
        cmd = [sys.executable, "-m", "rnnviz.bench.engine", "--plain", *flags]
        subprocess.run(cmd, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
