"""The T × T map of ‖∂h_t/∂h_k‖₂ for every pair k ≤ t, computed in blocks of rows.

Every product ∂h_t/∂h_k = J_t J_{t-1} … J_{k+1} is formed: for a block of rows t, the stack
of products is pushed one step further back with one matrix product per step for all rows
of the block at once, P_{t,k} = P_{t,k+1} J_{k+1}. Rows are finished in order, block by
block, so a view can draw them while the rest is computed; two blocks run at once, one in
a helper thread (NumPy leaves the interpreter lock during its matrix products).

The norm of each product: for small networks (H ≤ EXACT_UP_TO) the SVD; otherwise
``certified_norm``: power iteration warm-started from the same row's previous product, with
a proof that the norm is within 1 % (traces, else a Cholesky factorization), and the
eigenvalues of the Gram matrix where no proof comes out. An SVD per product cost 1.3 s at
T = 200, H = 32 and 117 s at T = 1000, H = 64 (quiet machine). The proofs cost ~60 µs of
CPU a product at H = 64, most of it the Gram matrix and its Cholesky factorization, which
the default network needs for nearly every product: its near-orthogonal W_hh keeps the top
singular values within a few % of each other, and nothing cheaper than a factorization
proves a bound then (see certified_norm).

Why every norm is still proved where that misses issue 13's 5 s at T = 1000, H = 64:
cheaper checked methods were not within 1 %. Measured on the map's own float32 products
(T = 300, H = 64, its last 128 rows: 32,600 norms a network, against their SVD): Lanczos on
P Pᵀ from the previous product's top direction (and a random vector) was up to 2.3 % low
after 8 steps and 1.6 % after 16 on the default network, and after 8 steps 4–9 % low on
ReLU and ρ = 1.1 networks, where the top singular values swap (mostly within ten steps of
the diagonal); a carried block of 2–4 directions (subspace iteration) 7–68 % low. Their
error estimates (residual, Kato–Temple with the Ritz gap) held to 0.1 % still let errors of
up to 7.5 % through (1.7 % on the default network) while sending half the default
network's norms to the proof. And the proofs cannot share the two cores: NumPy holds the
interpreter lock in its linalg routines (numpy/numpy#7179), so the helper thread overlaps
the Cholesky tests with matrix products, never with each other: ~14 µs each, ≥ 7 s of them
alone at T = 1000, H = 64.

Each step Jacobian is divided by its largest entry and each block's products by their norm
after every step, the scales kept as logarithms, so a long product neither overflows nor
sinks into slow subnormal numbers; norms beyond the float range are inf, and rows whose
product fell below FLUSH_BELOW are 0 from there on (they leave the block, which makes
vanishing maps fast).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from rnnviz.engine.certified_norm import TOLERANCE, certified_norms
from rnnviz.engine.jacobian import step_jacobians
from rnnviz.engine.numerics import FLUSH_BELOW
from rnnviz.engine.progress import Steps, run_to_end

# Rows computed together: one (128·H × S) @ (S × S) product per step. Fewer, larger
# operations: NumPy's per-call cost is most of a small product's (measured at T = 300,
# H = 64: 32 rows 3.05 s, 64 rows 2.09 s, 128 rows 1.89 s with two threads).
ROWS_PER_BLOCK = 128
# The proved norms' products: float32 takes 27 % less time than float64 (measured at
# T = 300, H = 64). Its rounding moves a norm by ~1e-6 after 1000 steps (measured against
# float64 chains: 1.6e-6 at most, tanh and ReLU, vanilla, LSTM and GRU): the proofs leave
# 3e-4 of the 1 % for it.
PROVED_DTYPE = np.float32
EXACT_UP_TO = 8  # hidden units up to which the SVD of every product is as cheap as a proof
METHOD = "exact (the SVD of every product)"
# The second thread only where BLAS does most of the work: below, both threads mostly wait
# for the interpreter lock (T = 200, H = 32: 0.29 s in one thread, 0.36 s in two).
HELPER_FROM_H = 48
HELPER_AHEAD = 8  # columns the helper thread may take beyond those this thread has taken
_WAIT_S = 0.25  # the longest wait for the helper between two yields (a cancel comes there)
_LOG_MAX = math.log(np.finfo(np.float64).max)
_LOG_FLUSH = math.log(FLUSH_BELOW)


def certified_method(exact: int) -> str:
    """What the map says when its norms were proved to within 1 %: how many were exact."""
    return f"certified to {TOLERANCE:.0%} (power iteration; {exact:,} exact)"


@dataclass(frozen=True)
class JacobianMap:
    """``norms[t-1, k-1]`` = ‖∂h_t/∂h_k‖₂ (LSTM with the cell state: ‖∂h_t/∂(h_k, c_k)‖₂)
    for 1 ≤ k ≤ t ≤ ``rows``: 1 on the diagonal, 0 above it, inf beyond the float range.
    Rows after ``rows`` are not computed yet (NaN). ``method`` says how the norms were
    computed, for the view to say."""

    norms: np.ndarray  # (T, T)
    rows: int
    method: str = METHOD

    @property
    def complete(self) -> bool:
        return self.rows == self.norms.shape[0]


def jacobian_map_steps(
    trace,
    include_cell_state: bool = False,
    steps: np.ndarray | None = None,
    rows_per_block: int = ROWS_PER_BLOCK,
) -> Steps[JacobianMap]:
    """Yields (done, total) pairs as columns are finished and a ``JacobianMap`` of the rows
    done after every block of ``rows_per_block`` rows (rows 1, 2, … in order); returns the
    whole map. ``steps`` may pass ``step_jacobians(trace)`` already computed.

    With ``include_cell_state`` the LSTM's entries are ‖∂h_t/∂(h_k, c_k)‖₂ (see
    ``jacobian_between``); the diagonal stays 1, since ∂h_k/∂(h_k, c_k) = [I 0].
    """
    T, H = trace.T, trace.params.hidden_size
    J = step_jacobians(trace) if steps is None else steps  # (T, S, S): J[s] = ∂s_{s+1}/∂s_s
    shape = _Shape(H, J.shape[1], J.shape[1] if include_cell_state else H)
    assembly = _Assembly(T, H > EXACT_UP_TO, rows_per_block)
    J_unit, log_scale = _unit_steps(J, PROVED_DTYPE if assembly.certified else np.float64)
    blocks = [
        _block(J_unit, log_scale, a, b, shape, assembly.certified) for a, b in assembly.bounds
    ]
    # This thread computes the even blocks, a helper the odd ones: a block costs about its
    # number of columns, so both get about half, and the next block in order is never
    # more than one block away. The helper takes a column only when this thread has taken
    # one (or waits for it): paused or abandoned, the map stops using both cores at once.
    two = len(blocks) > 1 and (os.cpu_count() or 1) > 1 and H >= HELPER_FROM_H
    helper = _Helper(blocks[1::2]) if two else None
    every = 2 if two else 1
    done = 0
    # No np.errstate around this loop: a generator closed from another thread (a cancelled
    # worker) could not leave it. The blocks set it around their own arithmetic.
    try:
        if helper is not None:
            helper.start()
        for index, block in zip(range(0, len(blocks), every), blocks[::every], strict=True):
            while True:
                try:
                    done += next(block)
                except StopIteration as stop:
                    assembly.results[index] = stop.value
                    break
                if helper is not None:
                    helper.allow(1)
                    yield from assembly.place_finished(helper)  # its block may be next
                yield done + (helper.done if helper else 0), assembly.total
            yield from assembly.place_finished(helper)
        while not assembly.complete:  # the helper's last block
            assert helper is not None  # only its blocks can be missing now
            if helper.run_for(HELPER_AHEAD, assembly.shown):
                yield from assembly.place_finished(helper)
            else:
                yield done + helper.done, assembly.total
        yield assembly.total, assembly.total
    finally:
        if helper is not None:
            helper.halt()
    return JacobianMap(assembly.M, T, assembly.method())


def jacobian_norm_matrix(
    trace, include_cell_state: bool = False, rows_per_block: int = ROWS_PER_BLOCK
) -> np.ndarray:
    """``jacobian_map_steps`` run to the end: the (T, T) norms."""
    steps = jacobian_map_steps(trace, include_cell_state, rows_per_block=rows_per_block)
    return run_to_end(steps).norms


class _Assembly:
    """The map as its blocks finish: ``results[i]`` holds block i's (norms, exact count)
    until every block before it is placed; ``shown`` blocks are placed."""

    def __init__(self, T: int, certified: bool, rows: int) -> None:
        self.certified = certified
        self.total = T * (T + 1) // 2
        self.M = np.full((T, T), np.nan)  # (T, T) NaN: not computed yet
        self.M[np.triu_indices(T, 1)] = 0.0
        self.bounds = [(a, min(a + rows, T)) for a in range(0, T, rows)]
        self.results: dict[int, tuple[np.ndarray, int]] = {}
        self.shown = 0
        self.exact = 0

    @property
    def complete(self) -> bool:
        return self.shown == len(self.bounds)

    def method(self) -> str:
        return certified_method(self.exact) if self.certified else METHOD

    def place_finished(self, helper: _Helper | None) -> Generator[JacobianMap, None, None]:
        """Places the blocks that are finished, in order (the helper's too); yields the
        map of the rows done after each but the last."""
        while not self.complete:
            if helper is not None and helper.finished(self.shown):
                self.results[self.shown] = helper.results.pop(self.shown)
            if self.shown not in self.results:
                return
            a, b = self.bounds[self.shown]
            norms, exact = self.results.pop(self.shown)
            self.M[a:b, :b] = norms
            self.exact += exact
            self.shown += 1
            if not self.complete:
                yield JacobianMap(self.M.copy(), b, self.method())


@dataclass(frozen=True)
class _Shape:
    H: int  # rows of every product: h_t
    S: int  # the state's size (LSTM: h and c)
    W: int  # the columns whose norm is taken: h_k, or (h_k, c_k)


def _unit_steps(J: np.ndarray, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """Every J_s divided by its largest |entry| (T, S, S) in ``dtype``, and the logarithms
    of those (T,): inf where J_s is not finite, whose products are then beyond the float
    range. Entries below 1e-30 of the largest become 0: they change no norm by more than
    S·1e-30, and as float32 they could be subnormal numbers, many times slower."""
    with np.errstate(all="ignore"):
        peak = np.max(np.abs(J), axis=(1, 2))  # (T,) NaN or inf where J_s is not finite
        ok = np.isfinite(peak) & (peak > 0)
        scale = np.where(ok, peak, 1.0)  # (T,)
        unit = np.where(ok[:, None, None], J / scale[:, None, None], 0.0)  # (T, S, S)
        unit[np.abs(unit) < 1e-30] = 0.0
        logs = np.where(np.isfinite(peak), np.log(scale), np.inf)  # (T,)
    return unit.astype(dtype), logs


def _block(
    J: np.ndarray, logs: np.ndarray, a: int, b: int, shape: _Shape, certified: bool
) -> Generator[int, None, tuple[np.ndarray, int]]:
    """Rows a..b-1 (0-based) of the map: yields the pairs finished with every column, from
    the last to the first; returns their norms (b − a, b) and how many were exact."""
    out = np.zeros((b - a, b))  # (n, b) 0 above the diagonal
    rows = _Rows(shape, certified)
    for c in range(b - 1, -1, -1):  # column c (0-based): k = c + 1
        if rows.index.size:
            rows.push(J[c + 1], logs[c + 1], out, c, a)  # J[c + 1] = ∂s_{k+1}/∂s_k
        if c >= a:
            out[c - a, c] = 1.0  # ∂h_t/∂h_t = I (LSTM: [I 0])
            rows.add(c - a)
        yield b - max(a, c)  # the pairs of column c in rows a..b-1
    return out, rows.exact


class _Rows:
    """The products P_{t,k} of a block's rows still being followed, scaled to norm 1.

    ``index`` (n,) rows of the block (0-based within it); ``P`` (n, H, S) the scaled
    products; ``log_scale`` (n,) the logarithm of each scale; ``u`` (n, H) each product's
    top left singular direction, approximately, to start the next one's power iteration;
    ``easy`` (n,) whether a trace test proved its last norm (see ``certified_norms``).
    """

    def __init__(self, shape: _Shape, certified: bool) -> None:
        self.shape, self.certified = shape, certified
        H, S = shape.H, shape.S
        self.dtype = PROVED_DTYPE if certified else np.float64
        self.index = np.zeros(0, dtype=np.intp)
        self.P = np.zeros((0, H, S), dtype=self.dtype)
        self.log_scale = np.zeros(0)
        self.u = np.zeros((0, H), dtype=self.dtype)
        self.easy = np.zeros(0, dtype=bool)
        self.exact = 0
        start = np.sin(np.arange(1.0, H + 1))  # (H,) any vector with no special direction
        self._start = (start / np.linalg.norm(start)).astype(self.dtype)

    def add(self, r: int) -> None:
        """Row r joins with P_{t,t} = [I 0]; the next push takes its first step."""
        H, S = self.shape.H, self.shape.S
        self.index = np.concatenate([[r], self.index])
        self.P = np.concatenate([np.eye(H, S, dtype=self.dtype)[None], self.P])
        self.log_scale = np.concatenate([[0.0], self.log_scale])
        self.u = np.concatenate([self._start[None], self.u])
        self.easy = np.concatenate([[False], self.easy])

    def push(self, J: np.ndarray, log_J: float, out: np.ndarray, c: int, a: int) -> None:
        """P ← P J for every row at once; their norms into column c of ``out`` (rows a…);
        rows whose product vanished or left the float range leave, their earlier
        columns filled in."""
        n, H, S = self.P.shape
        if not np.isfinite(log_J):
            out[self.index, : c + 1] = np.inf
            self._keep(np.zeros(n, dtype=bool))
            return
        with np.errstate(all="ignore"):
            self.P = (self.P.reshape(n * H, S) @ J).reshape(n, H, S)  # (n, H, S)
            Y = self.P[:, :, : self.shape.W]  # (n, H, W)
            if self.certified:
                sigma, exact = certified_norms(Y, self.u, self.easy)
                self.exact += exact
            else:
                sigma = _largest_singular_values(Y)
            scale = np.where(sigma > 0, sigma, 1.0)  # (n,) a zero product stays zero
            self.P /= scale.astype(self.dtype)[:, None, None]
            self.log_scale += log_J + np.log(scale)
            norms = np.exp(self.log_scale)  # (n,) inf past the largest float
        vanished = (sigma == 0) | (self.log_scale < _LOG_FLUSH)
        norms[vanished] = 0.0
        out[self.index, c] = norms
        broken = ~vanished & (self.log_scale >= _LOG_MAX)
        for r in self.index[vanished]:
            out[r, :c] = 0.0
        for r in self.index[broken]:
            out[r, :c] = np.inf
        self._keep(~(vanished | broken))

    def _keep(self, keep: np.ndarray) -> None:
        self.index, self.P = self.index[keep], self.P[keep]
        self.log_scale, self.u, self.easy = self.log_scale[keep], self.u[keep], self.easy[keep]


class _Helper(threading.Thread):
    """Runs some blocks of the map in order, one column at a time, as columns are allowed.

    ``done`` counts the pairs finished; ``results[i]`` holds block i's outcome once
    ``ready[i]`` is set. An error is kept and raised again by ``wait`` in the caller's
    thread.
    """

    def __init__(self, blocks: list) -> None:
        super().__init__(name="jacobian-map", daemon=True)
        self.blocks = blocks
        self.done = 0
        self.ready = {2 * i + 1: threading.Event() for i in range(len(blocks))}
        self.results: dict[int, tuple[np.ndarray, int]] = {}
        self.error: Exception | None = None
        self._turns = 0  # columns allowed and not taken yet
        self._stopped = False
        self._changed = threading.Condition()

    def allow(self, columns: int) -> None:
        """Lets the helper take ``columns`` more, up to HELPER_AHEAD not taken yet."""
        with self._changed:
            self._turns = min(self._turns + columns, HELPER_AHEAD)
            self._changed.notify_all()

    def run_for(self, columns: int, index: int) -> bool:
        """Allows ``columns`` more and waits until the helper has taken them or finished
        block ``index``; whether that block is finished."""
        with self._changed:
            self._turns = min(self._turns + columns, HELPER_AHEAD)
            self._changed.notify_all()
            self._changed.wait_for(
                lambda: self._turns == 0 or self.ready[index].is_set(), timeout=_WAIT_S
            )
        return self.finished(index)

    def halt(self) -> None:
        """Stops after the column under way, and waits for that."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        self.join()

    def run(self) -> None:
        try:
            for i, block in enumerate(self.blocks):
                while self._turn():
                    try:
                        self.done += next(block)
                    except StopIteration as stop:
                        self.results[2 * i + 1] = stop.value
                        break
                else:
                    return
                self._finished(2 * i + 1)
        except Exception as exc:  # raised again in the map's own thread
            self.error = exc
            for index in self.ready:
                self._finished(index)

    def _finished(self, index: int) -> None:
        with self._changed:
            self.ready[index].set()
            self._changed.notify_all()

    def _turn(self) -> bool:
        """Waits until a column is allowed and takes it; False once halted."""
        with self._changed:
            while self._turns == 0 and not self._stopped:
                self._changed.wait()
            if self._stopped:
                return False
            self._turns -= 1
            self._changed.notify_all()  # run_for waits for the turns to be taken
            return True

    def finished(self, index: int) -> bool:
        """Whether block ``index`` is one of the helper's and finished; raises the helper's
        error here if it failed."""
        event = self.ready.get(index)
        if event is None or not event.is_set():
            return False
        if self.error is not None:
            raise self.error
        return index in self.results


def _largest_singular_values(Y: np.ndarray) -> np.ndarray:
    """σ₁ of every matrix of a stack (n, H, W) → (n,), exactly.

    A wide matrix (the LSTM's H × 2H) goes through its H × H Gram matrix: measured here,
    its eigenvalues take 50 µs against 80 µs for the SVD at 32 × 64, 0.7 ms against 1.7 ms
    at 64 × 128, at the same accuracy (λ₁ to a few ulps of ‖Y‖₂², so σ₁ to about one; the
    products are scaled to norm ~1, so the squares neither overflow nor underflow).
    """
    _, H, W = Y.shape
    if W <= H:
        return np.linalg.svd(Y, compute_uv=False)[:, 0]
    gram = np.matmul(Y, Y.transpose(0, 2, 1))  # (n, H, H)
    return np.sqrt(np.maximum(np.linalg.eigvalsh(gram)[:, -1], 0.0))
