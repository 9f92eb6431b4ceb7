"""The forward pass over one sequence: every h_t (and c_t) and y_t. ``forward`` in
forward.py sends a single sequence here and a batch to batched.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine import workspace
from rnnviz.engine.cells import get_cell
from rnnviz.engine.cells.base import ForwardRows, StepFn, fold_width
from rnnviz.engine.numerics import first_bad_row
from rnnviz.engine.params import Params


@dataclass(frozen=True, eq=False)
class ForwardTrace:
    """Everything the forward pass computed. Steps are numbered t = 1..T; row t-1 is step t.

    When the state stops being finite at step ``exploded_at`` (1-based), the rows from that
    step on are set to 0 so that nothing downstream sees inf or NaN; ``valid`` marks them.

    A batch of B sequences (``forward`` on (B, T, I) inputs) has every array with a leading
    batch axis; ``exploded_each`` then holds each sequence's ``exploded_at``, and
    ``exploded_at`` is the first of them.
    """

    params: Params
    x: np.ndarray  # (T, I) or (B, T, I)
    h_all: np.ndarray  # (T+1, H): h_0 … h_T; a batch: (B, T+1, H)
    c_all: np.ndarray | None  # (T+1, H): c_0 … c_T for the LSTM, else None; a batch: (B, ·)
    cache: np.ndarray  # (T, K): what the cell keeps for its backward step; a batch: (B, T, K)
    y: np.ndarray  # (T, O) or (B, T, O)
    exploded_at: int | None
    exploded_each: tuple[int | None, ...] | None = None  # a batch: per sequence

    @property
    def T(self) -> int:
        return int(self.x.shape[-2])

    @property
    def batch(self) -> int | None:
        """How many sequences, or None for a single sequence (2-D arrays)."""
        return int(self.x.shape[0]) if self.x.ndim == 3 else None

    @property
    def h(self) -> np.ndarray:
        return self.h_all[..., 1:, :]  # (T, H) or (B, T, H)

    @property
    def c(self) -> np.ndarray | None:
        return None if self.c_all is None else self.c_all[..., 1:, :]  # (T, H) or (B, T, H)

    @property
    def valid(self) -> np.ndarray:
        """(T,) bool, or (B, T) for a batch: False from the step where the state overflowed."""
        if self.exploded_each is None:
            return _valid(self.T, self.exploded_at)
        return np.stack([_valid(self.T, e) for e in self.exploded_each])  # (B, T)

    def sequence(self, b: int) -> ForwardTrace:
        """Sequence b of a batch as a single-sequence trace (contiguous copies)."""
        if self.exploded_each is None:
            raise ValueError("this trace holds a single sequence")
        cont = np.ascontiguousarray
        c_all = None if self.c_all is None else cont(self.c_all[b])
        return ForwardTrace(
            self.params,
            cont(self.x[b]),
            cont(self.h_all[b]),
            c_all,
            cont(self.cache[b]),
            cont(self.y[b]),
            self.exploded_each[b],
        )


def _valid(T: int, exploded_at: int | None) -> np.ndarray:
    ok = np.ones(T, dtype=bool)  # (T,)
    if exploded_at is not None:
        ok[exploded_at - 1 :] = False
    return ok


def as_inputs(x: np.ndarray | list, input_size: int, dtype: np.dtype | None = None) -> np.ndarray:
    """Check and shape a sequence of inputs as (T, I); a 1-D sequence is one scalar per step."""
    arr = np.asarray(x, dtype=dtype if dtype is not None else np.float64)
    if arr.ndim == 1 and input_size == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != input_size:
        raise ValueError(f"inputs have shape {arr.shape}; expected (T, {input_size})")
    return np.ascontiguousarray(arr)


def initial_state(p: Params, state: np.ndarray | None) -> np.ndarray:
    H = p.hidden_size
    if state is None:
        return np.zeros(H, dtype=p.dtype)  # (H,)
    s = np.asarray(state, dtype=p.dtype).reshape(-1)
    if s.shape != (H,):
        raise ValueError(f"initial state has {s.size} values; expected {H}")
    return s


def _first(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def forward_single(
    p: Params,
    x: np.ndarray | list,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    xb: np.ndarray | None = None,
) -> ForwardTrace:
    """The forward pass over one sequence x (T, I). ``xb``: the input projection of x
    (``cell.input_projection``'s values) when the caller has it; unused when the inputs are
    folded into the recurrent product (see joint_directions.py)."""
    cell = get_cell(p.cell)
    x = as_inputs(x, p.input_size, p.dtype)  # (T, I)
    T, H, I = x.shape[0], p.hidden_size, p.input_size
    fold = fold_width(p) if cell.folds_inputs else 0
    # Row t holds h_t and, when the step folds its inputs, x_{t+1} and a 1 after it.
    # Not zeroed: the steps write every h_t; only the padding after x_t and 1 is set to 0.
    rows = workspace.take("forward.rows", (T + 1, H + fold), p.dtype, zero=False)
    rows[0, :H] = initial_state(p, h0)  # rows: (T+1, H + fold)
    c_all = None
    if cell.has_cell_state:
        c_all = workspace.take("forward.c", (T + 1, H), p.dtype, zero=False)  # (T+1, H)
        c_all[0] = initial_state(p, c0)
    cache = workspace.take("forward.cache", (T, cell.cache_width(H)), p.dtype, zero=False)
    with np.errstate(all="ignore"):
        if fold:
            xb = None
            rows[:-1, H : H + I] = x
            rows[:-1, H + I] = 1.0
            rows[:, H + I + 1 :] = 0.0
            rows[-1, H:] = 0.0  # no step reads the last row's inputs
        elif xb is None:
            xb = cell.input_projection(p, x)  # (T, G*H): one matmul for all steps
        # Lists of row views: indexing a list is several times cheaper than slicing an array,
        # and this loop is the one serial part of the whole computation.
        z = list(rows)
        step = cell.make_step(
            p,
            ForwardRows(
                xb=None if xb is None else list(xb),
                z=z,
                h=list(rows[:, :H]) if fold else z,
                c=None if c_all is None else list(c_all),
                cache=list(cache) if cache.shape[1] else [],  # the vanilla cell keeps none
                cache_all=cache,
            ),
            fold,
        )
        run_steps(step, T)
        h_all = rows  # (T+1, H)
        if fold:
            h_all = workspace.take("forward.h", (T + 1, H), p.dtype, zero=False)
            np.copyto(h_all, rows[:, :H])
        y = np.dot(h_all[1:], p.W_hy.T)  # (T, O)
        y += p.b_y
    return finish_trace(p, x, h_all, c_all, cache, y)


def run_steps(step: StepFn, T: int) -> None:
    """The serial loop: ``step(t)`` for t = 0 … T − 1, each step reading the last one's state.

    A function of its own so that the benchmark can time the loop as the engine runs it
    (rnnviz/bench/engine.py)."""
    for t in range(T):
        step(t)


def finish_trace(
    p: Params,
    x: np.ndarray,
    h_all: np.ndarray,
    c_all: np.ndarray | None,
    cache: np.ndarray,
    y: np.ndarray,
) -> ForwardTrace:
    """Check for overflow, blank what follows it (in place), and wrap the arrays."""
    with np.errstate(all="ignore"):
        # The readout can overflow even when the state does not (huge W_hy): check both.
        bad = _first(first_bad_row(h_all[1:]), first_bad_row(y))
        if c_all is not None:
            bad = _first(bad, first_bad_row(c_all[1:]))
        if bad is not None:
            h_all[bad + 1 :] = 0.0
            cache[bad:] = 0.0
            y[bad:] = 0.0
            if c_all is not None:
                c_all[bad + 1 :] = 0.0
    return ForwardTrace(p, x, h_all, c_all, cache, y, None if bad is None else bad + 1)
