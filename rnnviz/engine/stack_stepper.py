"""``RNN``'s step-by-step interface for a stack: feed one input, step back, rewind.

A bidirectional layer cannot be stepped: its backward direction starts after the last step.
After t steps the stack is what it would be for a sequence of exactly those t steps: the
backward direction has run over steps t … 1. So the trace is recomputed over the fed steps
(one ``stack_forward``, on request, once per t); at 3 layers × 200 steps that is a few ms.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine.forward import as_inputs
from rnnviz.engine.stack import StackTrace, stack_forward
from rnnviz.engine.stack_params import StackParams


class StackRNN:
    """The fed inputs of a stack without embedding, and its trace over them."""

    def __init__(self, params: StackParams) -> None:
        if params.embedding is not None:
            raise ValueError("feed a stack with an embedding its embedded rows")
        self.params = params
        self._x = np.empty((16, params.input_size), dtype=params.dtype)  # (C, I)
        self._t = 0
        self._trace: StackTrace | None = None  # the trace of the first ``_t`` steps

    @property
    def t(self) -> int:
        """How many steps have been taken."""
        return self._t

    def step(self, x: np.ndarray | list | float) -> np.ndarray:
        """Feed one input x_t (I,); return y_t (O,) of the stack over steps 1..t."""
        p = self.params
        self.run(np.reshape(np.asarray(x, dtype=p.dtype), (1, -1)))
        return self.trace().y[-1].copy()

    def run(self, xs: np.ndarray) -> None:
        """Take every row of ``xs`` (k, I) as the next steps."""
        p, t = self.params, self._t
        xs = as_inputs(xs, p.input_size, p.dtype)  # (k, I)
        k = xs.shape[0]
        if k == 0:
            return
        capacity = self._x.shape[0]
        while capacity < t + k:
            capacity *= 2
        if capacity != self._x.shape[0]:
            grown = np.empty((capacity, p.input_size), dtype=p.dtype)  # (C, I)
            grown[:t] = self._x[:t]
            self._x = grown
        self._x[t : t + k] = xs
        self._t = t + k
        self._trace = None

    def copy(self) -> StackRNN:
        """An independent stepper with the same fed inputs (a worker thread steps the copy)."""
        twin = StackRNN(self.params)
        twin._x, twin._t, twin._trace = self._x.copy(), self._t, self._trace
        return twin

    def step_back(self) -> None:
        """Undo the last step."""
        self.rewind(self._t - 1)

    def rewind(self, t: int) -> None:
        """Go back to having taken only the first ``t`` steps."""
        t = min(max(t, 0), self._t)
        if t != self._t:
            self._t, self._trace = t, None

    def trace(self) -> StackTrace:
        """The stack over the fed steps (its arrays are new: nothing later changes them)."""
        if self._trace is None:
            self._trace = stack_forward(self.params, self._x[: self._t].copy())
        return self._trace
