"""Time to compute the lab's T × T map of ‖∂h_t/∂h_k‖₂, against the targets of issue 13.

Each case runs what the lab's "Compute T × T map" button runs (``Lab.jacobian_map_steps``
on a session fed T steps of its sine preset, step Jacobians included), once: the big cases
take long enough that the machine's other load shows more than repeating would.
The first block of rows is timed too: that is when the map starts filling in. The CPU time
of the process says what the second thread added: on a quiet two-core machine it is up to
twice the time to the map; under load the two threads share what is left.

"proof floor" is what the proofs alone need: for each of the T(T+1)/2 products one Gram
matrix and one Cholesky factorisation (the test that proves its norm where the top singular
values crowd together, as they do in the default network), each timed here on a stack of
random products of the map's size and precision. Two threads share them, but NumPy holds
the interpreter lock in its Cholesky factorisations (numpy/numpy#7179): those run one at a
time, beside the Gram matrices of the other thread at best.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from numpy.linalg import _umath_linalg

from rnnviz.bench.table import best_of_each, print_table
from rnnviz.engine.certified_norm import gram_matrices
from rnnviz.engine.jacobian_map import PROVED_DTYPE, ROWS_PER_BLOCK
from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab

# (T, H, target seconds or None): the targets are issue 13's, for a 2-core machine.
CASES: tuple[tuple[int, int, float | None], ...] = (
    (200, 32, 0.5),
    (500, 64, None),
    (1000, 64, 5.0),
)


def run_case(T: int, H: int, cell: str = "vanilla") -> tuple[float, float, float, str]:
    """(seconds to the whole map, seconds to its first rows, CPU seconds, the method it
    names)."""
    session = Session(SessionConfig(cell=cell, hidden_size=H, sequence_length=T, preset="sine"))
    session.seek(T)
    lab = Lab(session)
    cpu = time.process_time()
    start = time.perf_counter()
    first = None
    steps = lab.jacobian_map_steps()
    while True:
        try:
            item = next(steps)
        except StopIteration as done:
            result = done.value
            break
        if first is None and not isinstance(item, tuple):
            first = time.perf_counter() - start
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return seconds, seconds if first is None else first, cpu, result.method


def proof_seconds(H: int) -> tuple[float, float]:
    """Seconds of one core for one product's Gram matrix and for its Cholesky test, in a
    stack of ROWS_PER_BLOCK products as the map forms them."""
    rng = np.random.default_rng(0)
    Y = rng.standard_normal((ROWS_PER_BLOCK, H, H)).astype(PROVED_DTYPE)  # (n, H, H)
    G = gram_matrices(Y)  # (n, H, H)
    shifted = np.float32(2 * H * H) * np.eye(H, dtype=PROVED_DTYPE) - G  # (n, H, H) above λ₁

    def gram() -> None:
        gram_matrices(Y)

    def cholesky() -> None:
        _umath_linalg.cholesky_lo(shifted, signature="f->f")

    gram_s, cholesky_s = best_of_each([gram, cholesky], repeats=20)
    return gram_s / ROWS_PER_BLOCK, cholesky_s / ROWS_PER_BLOCK


def proof_floor(T: int, H: int) -> float:
    """Seconds the proofs of a T × T map need at least: the Cholesky tests one at a time,
    the Gram matrices beside them on the other core."""
    gram, cholesky = proof_seconds(H)
    cores = min(2, os.cpu_count() or 1)
    return T * (T + 1) / 2 * max(cholesky, (gram + cholesky) / cores)


def row(T: int, H: int, cell: str, target: float | None) -> list[str]:
    floor = proof_floor(T, H)
    seconds, first, cpu, method = run_case(T, H, cell)
    ratio = "" if target is None else f"{seconds / target:.2f}"
    shown = "" if target is None else f"{target:g} s"
    return [
        cell,
        f"{T}x{H}",
        f"{seconds:.2f} s",
        f"{cpu:.2f} s",
        f"{first:.2f} s",
        f"{floor:.2f} s",
        shown,
        ratio,
        method,
    ]


def machine() -> str:
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    return (
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"OpenBLAS threads: {blas}, load {_load()}"
    )


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg()) + " (1/5/15 min)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnviz.bench jacobians", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--cells", default="vanilla", help="comma-separated: vanilla,lstm,gru")
    parser.add_argument(
        "--largest", type=int, default=1000, help="skip cases with T above this (they are slow)"
    )
    args = parser.parse_args(argv)
    print(machine())
    rows = [
        row(T, H, cell, target)
        for cell in args.cells.split(",")
        for T, H, target in CASES
        if args.largest >= T
    ]
    headers = [
        "cell",
        "T x H",
        "map",
        "CPU",
        "first rows",
        "proof floor",
        "target",
        "ratio",
        "method",
    ]
    print_table(headers, rows)
    print(
        "map: the whole T × T map, once; CPU: the process's CPU time for it (both threads); "
        "first rows: its first block; proof floor: a Gram matrix and a Cholesky test per "
        "product, the Cholesky tests one at a time (see the module's doc); "
        "ratio = map / target"
    )
    print(f"load after: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
