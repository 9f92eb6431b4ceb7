"""The article's interface: an RNN object whose ``step(x)`` consumes one input and returns y."""

from __future__ import annotations

import copy
import math

import numpy as np

from rnnviz.engine.cells import get_cell
from rnnviz.engine.cells.base import ForwardRows
from rnnviz.engine.forward import ForwardTrace, as_inputs, finish_trace, forward, initial_state
from rnnviz.engine.params import Params


class RNN:
    """Keeps the state and the history of every step, like the article's ``RNN`` class.

    >>> rnn = RNN(params)
    >>> y = rnn.step([1.0])        # h_1 = f(W_hh h_0 + W_xh x_1 + b), y_1 = W_hy h_1 + b_y

    The history lives in buffers that grow by doubling, so a step costs one cell step
    however long the history is, and stepping back is free.

    ``trace`` hands out read-only views of those buffers, not copies. So that nothing later
    changes them, the steps a trace has seen are never written again: a new step over them
    (after a step back, with another input) first moves the history to new buffers. A step
    back then the same input again rewrites nothing: the step is still in the buffers.
    """

    def __init__(
        self, params: Params, h0: np.ndarray | None = None, c0: np.ndarray | None = None
    ) -> None:
        self.params = params
        self._cell = get_cell(params.cell)
        self.h0 = initial_state(params, h0)  # (H,)
        self.c0 = initial_state(params, c0) if self._cell.has_cell_state else None
        self._t = 0
        # Steps the buffers hold for the inputs fed (≥ t: a step back keeps them).
        self._known = 0
        # Steps that handed-out traces view: those rows are never written again.
        self._lent = 0
        # The first known step (0-based row) whose h, c or y is not finite, or None.
        self._bad: int | None = None
        self._shared = False  # the buffers are another stepper's too (``copy``)
        self._allocate(16)

    def _allocate(self, capacity: int) -> None:
        """(Re)allocate the buffers for ``capacity`` steps, keeping the first t."""
        self._shared = False
        p, t = self.params, self._t
        self._forget_from(t)
        self._lent = 0
        old = getattr(self, "_h_all", None)
        H, K = p.hidden_size, self._cell.cache_width(p.hidden_size)
        h_all = np.empty((capacity + 1, H), dtype=p.dtype)  # (C+1, H)
        c_all = np.empty((capacity + 1, H), dtype=p.dtype) if self.c0 is not None else None
        x = np.empty((capacity, p.input_size), dtype=p.dtype)  # (C, I)
        y = np.empty((capacity, p.output_size), dtype=p.dtype)  # (C, O)
        cache = np.empty((capacity, K), dtype=p.dtype)  # (C, K)
        xb = np.empty((capacity, p.n_gates * H), dtype=p.dtype)  # (C, G*H) projected inputs
        if old is None:
            h_all[0] = self.h0
            if c_all is not None:
                c_all[0] = self.c0
        else:
            h_all[: t + 1] = self._h_all[: t + 1]
            if c_all is not None:
                c_all[: t + 1] = self._c_all[: t + 1]
            x[:t], y[:t], cache[:t] = self._x[:t], self._y[:t], self._cache[:t]
        self._h_all, self._c_all, self._x, self._y, self._cache = h_all, c_all, x, y, cache
        self._xb = xb
        h_rows = list(h_all)
        rows = ForwardRows(
            xb=list(xb),
            z=h_rows,
            h=h_rows,
            c=None if c_all is None else list(c_all),
            cache=list(cache),
            cache_all=cache,
        )
        self._step = self._cell.make_step(p, rows)  # bound to these buffers

    def reset(self) -> None:
        """Forget every step: back to h_0 (and c_0)."""
        self._t = 0

    def step(self, x: np.ndarray | list | float) -> np.ndarray:
        """Feed one input x_t (shape (I,)), advance the state, return y_t (shape (O,))."""
        p = self.params
        x_t = as_inputs(np.reshape(np.asarray(x, dtype=p.dtype), (1, -1)), p.input_size, p.dtype)
        self.feed_row(x_t[0])
        return self._y[self._t - 1].copy()

    def feed_row(self, x: np.ndarray) -> bool:
        """``step`` without its checks and its copy of y_t: x (I,) already of the weights'
        dtype (a stack feeds each layer the new state of the one below). False when the
        step was not computed: taken before from the same state, the buffers still hold it."""
        p, t = self.params, self._t
        if t < self._known and (self._x[t] == x).all():
            self._t = t + 1
            return False
        self._forget_from(t)
        self._make_room(1)
        with np.errstate(all="ignore"):  # a layer above an overflow is fed inf
            self._xb[t] = self._cell.input_projection(p, x[None])[0]  # (G*H,)
            self._step(t)
            finite = _finite(self._h_all[t + 1])
            if self._c_all is not None:
                finite = finite and _finite(self._c_all[t + 1])
            if p.output_size:  # a stack's layers read nothing out (~3 µs a step less)
                np.dot(p.W_hy, self._h_all[t + 1], out=self._y[t])
                self._y[t] += p.b_y
                finite = finite and _finite(self._y[t])
        self._x[t] = x
        self._t = self._known = t + 1
        if not finite and self._bad is None:
            self._bad = t
        return True

    def run(self, xs: np.ndarray) -> int:
        """Take every row of ``xs`` (k, I) as the next steps, in one forward pass; return
        how many of the last were computed (the others were in the buffers, see
        ``feed_row``).

        The same numbers as k calls of ``step`` (to rounding), several times faster: the
        input projection and readout are one matmul each.
        """
        p = self.params
        xs = as_inputs(xs, p.input_size, p.dtype)  # (k, I)
        xs = xs[self._retake(xs) :]  # (k', I): the steps not already in the buffers
        t, k = self._t, xs.shape[0]
        if k == 0:
            return 0
        self._forget_from(t)
        self._make_room(k)
        c0 = None if self._c_all is None else self._c_all[t]
        trace = forward(p, xs, self._h_all[t], c0)
        if trace.exploded_at is not None:
            # forward blanks what follows an overflow; the history must keep the real values
            # (inf, NaN) so that the trace reports where the overflow happened.
            for x in xs:
                self.feed_row(x)
            return k
        self._h_all[t + 1 : t + k + 1] = trace.h_all[1:]
        if self._c_all is not None:
            self._c_all[t + 1 : t + k + 1] = trace.c_all[1:]
        self._cache[t : t + k] = trace.cache
        self._y[t : t + k] = trace.y
        self._x[t : t + k] = xs
        self._t = self._known = t + k
        return k

    def _retake(self, xs: np.ndarray) -> int:
        """Take again the first rows of ``xs`` (k, I) that are the inputs of steps still in
        the buffers after t (a rewind, then the same inputs); return how many."""
        t = self._t
        n = min(xs.shape[0], self._known - t)
        if n <= 0:
            return 0
        same = (xs[:n] == self._x[t : t + n]).all(axis=1)  # (n,)
        n = n if same.all() else int(np.argmin(same))
        self._t = t + n
        return n

    def _forget_from(self, t: int) -> None:
        """The steps after the first ``t`` are about to be replaced: forget them."""
        self._known = t
        if self._bad is not None and self._bad >= t:
            self._bad = None

    def _make_room(self, k: int) -> None:
        """Buffers where the next ``k`` steps may be written: big enough, this stepper's
        own, and no handed-out trace viewing those rows."""
        t, capacity = self._t, self._x.shape[0]
        size = capacity
        while size < t + k:
            size *= 2
        if size != capacity or self._shared or t < self._lent:
            self._allocate(size)

    def step_back(self) -> None:
        """Undo the last step (the state returns to what it was before it)."""
        self.rewind(self._t - 1)

    def copy(self) -> RNN:
        """An independent stepper with the same history: stepping either one leaves the
        other as it was (a worker thread steps the copy). The two share their buffers until
        one of them writes a step: it then moves to buffers of its own (≈ 0.1 s at 5000
        steps of 256 units), so a copy that is only read, or replaced, costs nothing."""
        twin = copy.copy(self)
        self._shared = twin._shared = True
        return twin

    def rewind(self, t: int) -> None:
        """Go back to having taken only the first ``t`` steps (no recomputation)."""
        self._t = min(max(t, 0), self._t)

    @property
    def t(self) -> int:
        """How many steps have been taken."""
        return self._t

    @property
    def h(self) -> np.ndarray:
        """The current state h_t, (H,)."""
        return self._h_all[self._t].copy()

    @property
    def c(self) -> np.ndarray | None:
        """The LSTM's current cell state c_t, (H,), else None."""
        return None if self._c_all is None else self._c_all[self._t].copy()

    def states(self, start: int, stop: int) -> np.ndarray:
        """h_t for the steps start+1 … stop, as they were computed: (stop − start, H), a view
        of the history (valid until the next step)."""
        return self._h_all[start + 1 : stop + 1]

    @property
    def xs(self) -> list[np.ndarray]:
        return [row.copy() for row in self._x[: self._t]]

    @property
    def hs(self) -> list[np.ndarray]:
        return [row.copy() for row in self._h_all[1 : self._t + 1]]

    @property
    def ys(self) -> list[np.ndarray]:
        return [row.copy() for row in self._y[: self._t]]

    def trace(self) -> ForwardTrace:
        """The whole history as one forward trace (for BPTT). Its arrays are read-only views
        of the buffers that nothing later changes (see the class); after an overflow, copies
        with the steps from it on blanked (the history keeps inf and NaN)."""
        p, t = self.params, self._t
        if self._bad is not None and self._bad < t:
            c_all = None if self._c_all is None else self._c_all[: t + 1].copy()
            return finish_trace(
                p,
                self._x[:t].copy(),
                self._h_all[: t + 1].copy(),
                c_all,
                self._cache[:t].copy(),
                self._y[:t].copy(),
            )
        self._lent = max(self._lent, t)
        c_all = None if self._c_all is None else _read_only(self._c_all[: t + 1])
        return ForwardTrace(
            p,
            _read_only(self._x[:t]),  # (t, I)
            _read_only(self._h_all[: t + 1]),  # (t+1, H)
            c_all,
            _read_only(self._cache[:t]),  # (t, K)
            _read_only(self._y[:t]),  # (t, O)
            None,
        )


def _read_only(view: np.ndarray) -> np.ndarray:
    view.flags.writeable = False
    return view


def _finite(row: np.ndarray) -> bool:
    """Whether every value of ``row`` is finite. The sum of a row holding inf or NaN is not
    finite; a sum of finite values rarely overflows, and only then are the values looked at
    one by one. (np.add.reduce and math.isfinite: half the cost of row.sum() and np.isfinite
    on one row, and a step checks three.)"""
    return math.isfinite(np.add.reduce(row)) or bool(np.isfinite(row).all())
