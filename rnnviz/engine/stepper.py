"""The article's interface: an RNN object whose ``step(x)`` consumes one input and returns y."""

from __future__ import annotations

import numpy as np

from rnnviz.engine.cells import get_cell
from rnnviz.engine.forward import ForwardTrace, as_inputs, forward, initial_state
from rnnviz.engine.params import Params


class RNN:
    """Keeps the state and the history of every step, like the article's ``RNN`` class.

    >>> rnn = RNN(params)
    >>> y = rnn.step([1.0])        # h_1 = f(W_hh h_0 + W_xh x_1 + b), y_1 = W_hy h_1 + b_y
    """

    def __init__(
        self, params: Params, h0: np.ndarray | None = None, c0: np.ndarray | None = None
    ) -> None:
        self.params = params
        self._cell = get_cell(params.cell)
        self._step = self._cell.make_step(params)
        self.h0 = initial_state(params, h0)  # (H,)
        self.c0 = initial_state(params, c0) if self._cell.has_cell_state else None
        self.reset()

    def reset(self) -> None:
        """Forget every step: back to h_0 (and c_0)."""
        self.h = self.h0.copy()  # (H,)
        self.c = None if self.c0 is None else self.c0.copy()
        self.xs: list[np.ndarray] = []
        self.hs: list[np.ndarray] = []
        self.ys: list[np.ndarray] = []

    def step(self, x: np.ndarray | list | float) -> np.ndarray:
        """Feed one input x_t (shape (I,)), advance the state, return y_t (shape (O,))."""
        p = self.params
        x_t = as_inputs(np.reshape(np.asarray(x, dtype=p.dtype), (1, -1)), p.input_size, p.dtype)
        xb = self._cell.input_projection(p, x_t)[0]  # (G*H,)
        h = np.empty_like(self.h)  # (H,)
        c = None if self.c is None else np.empty_like(self.c)
        cache = np.empty(self._cell.cache_width(p.hidden_size), dtype=p.dtype)
        with np.errstate(all="ignore"):
            self._step(xb, self.h, self.c, h, c, cache)
            y = p.W_hy @ h + p.b_y  # (O,)
        self.h, self.c = h, c
        self.xs.append(x_t[0])
        self.hs.append(h)
        self.ys.append(y)
        return y

    def step_back(self) -> None:
        """Undo the last step (the state returns to what it was before it)."""
        if not self.xs:
            return
        self.xs.pop()
        self.hs.pop()
        self.ys.pop()
        inputs = np.array(self.xs).reshape(len(self.xs), self.params.input_size)
        trace = forward(self.params, inputs, self.h0, self.c0)
        self.h = trace.h_all[-1].copy()
        self.c = None if trace.c_all is None else trace.c_all[-1].copy()

    @property
    def t(self) -> int:
        """How many steps have been taken."""
        return len(self.xs)

    def trace(self) -> ForwardTrace:
        """The whole history as one forward trace (for BPTT)."""
        inputs = np.array(self.xs).reshape(len(self.xs), self.params.input_size)  # (T, I)
        return forward(self.params, inputs, self.h0, self.c0)
