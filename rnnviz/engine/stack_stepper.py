"""``RNN``'s step-by-step interface for a stack: feed one input, step back, rewind.

A unidirectional stack steps like one layer: each layer is an ``RNN`` fed the new outputs of
the layer below, and a ``Readout`` keeps y_t, so a step costs one cell step per layer and one
readout row, and going back is free. Its traces view those histories (see ``RNN.trace``).

A bidirectional layer cannot be stepped: its backward direction starts after the last step.
After t steps the stack is what it would be for a sequence of exactly those t steps: the
backward direction has run over steps t … 1. So its trace is recomputed over the fed steps
(one ``stack_forward`` per t, on request; at 3 layers × 200 steps of an LSTM of 32 units,
tens of milliseconds). The last few are kept: stepping back and forth costs nothing, and
``prepare`` works out the next step's ahead, while the window has nothing else to do.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from rnnviz.engine.forward import as_inputs
from rnnviz.engine.numerics import first_bad_row
from rnnviz.engine.stack import StackTrace, finish_stack_trace, stack_forward
from rnnviz.engine.stack_params import StackParams
from rnnviz.engine.stepper import RNN

KEPT_TRACES = 4  # a bidirectional stack's traces kept, by steps fed


class StackRNN:
    """The fed inputs of a stack without embedding, and its trace over them."""

    def __init__(self, params: StackParams) -> None:
        if params.embedding is not None:
            raise ValueError("feed a stack with an embedding its embedded rows")
        self.params = params
        self._x = np.empty((16, params.input_size), dtype=params.dtype)  # (C, I)
        self._t = 0
        # Unidirectional: one stepped RNN per layer (each reads out nothing).
        self._layers = (
            None
            if params.bidirectional
            else [RNN(params.layer_params(k, 0)) for k in range(params.num_layers)]
        )
        self._readout = None if self._layers is None else Readout(params)
        self._traces: dict[int, StackTrace] = {}  # by steps fed, for the current inputs
        self._latest: StackTrace | None = None  # a unidirectional stack's, at t steps

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
        self._latest = None
        if self._layers is None:
            # A kept trace of more than t steps still holds if it read these very inputs (a
            # step back, then the same step again).
            self._traces = {
                n: trace
                for n, trace in self._traces.items()
                if n <= t or np.array_equal(trace.x[t : t + k], xs[: n - t])
            }
            return
        if k == 1:
            # One cell step a layer: a forward pass over one row costs several times more.
            below = xs[0]  # (I_l,): what the next layer reads at the new step
            for rnn in self._layers:
                computed = int(rnn.feed_row(below))
                below = rnn.states(t, t + 1)[0]  # (H,)
        else:
            below = xs  # (k, I_l): what the next layer reads at the new steps
            for rnn in self._layers:
                computed = rnn.run(below)
                below = rnn.states(t, t + k)  # (k, H)
        # The readout of the steps the top layer computed (its others are as they were).
        if computed:
            assert self._readout is not None
            self._readout.take(t + k - computed, self._layers[-1].states(t + k - computed, t + k))

    def copy(self) -> StackRNN:
        """An independent stepper with the same fed inputs and layers (a worker thread steps
        the copy); the kept traces are shared (nothing changes them)."""
        twin = copy.copy(self)
        twin._x = self._x.copy()
        twin._layers = None if self._layers is None else [rnn.copy() for rnn in self._layers]
        twin._readout = None if self._readout is None else self._readout.copy()
        twin._traces = dict(self._traces)
        return twin

    def step_back(self) -> None:
        """Undo the last step."""
        self.rewind(self._t - 1)

    def rewind(self, t: int) -> None:
        """Go back to having taken only the first ``t`` steps."""
        if t < self._t:
            self._latest = None
        self._t = min(max(t, 0), self._t)
        for rnn in self._layers or ():
            rnn.rewind(self._t)

    def trace(self) -> StackTrace:
        """The stack over the fed steps (nothing later changes its arrays)."""
        t = self._t
        if self._layers is not None:
            # Each layer's trace views its history (see RNN.trace): only the latest is kept
            # (``step`` reads it, then the caller).
            if self._latest is None:
                self._latest = self._stepped_trace()
            return self._latest
        trace = self._traces.get(t)
        if trace is None:
            trace = stack_forward(self.params, self._x[:t].copy())  # (t, I)
            self._keep(t, trace)
        return trace

    def _stepped_trace(self) -> StackTrace:
        """A unidirectional stack's trace from its layers' histories and its readout's."""
        assert self._layers is not None and self._readout is not None
        t = self._t
        layers = [(rnn.trace(),) for rnn in self._layers]
        outputs = [lt.h for (lt,) in layers]  # (t, H) each
        x = layers[0][0].x  # (t, I)
        y = self._readout.rows(t)
        if y is None or any(lt.exploded_at is not None for (lt,) in layers):
            # An overflow somewhere: the readout anew over every step, blanked from it on.
            return finish_stack_trace(self.params, None, x, layers, outputs)
        return StackTrace(self.params, None, x, tuple(layers), tuple(outputs), y, None)

    def prepare(self, x: np.ndarray | list | float) -> None:
        """Work out now the trace after feeding ``x`` (I,) next, and keep it for when that
        very input is fed: a bidirectional stack's step then costs nothing. A unidirectional
        stack steps one cell a layer anyway: nothing to do."""
        if self._layers is not None:
            return
        p, t = self.params, self._t
        xs = as_inputs(np.reshape(np.asarray(x, dtype=p.dtype), (1, -1)), p.input_size, p.dtype)
        kept = self._traces.get(t + 1)
        if kept is not None and np.array_equal(kept.x[t:], xs):
            return  # kept traces of more steps read the fed inputs (see run)
        self._keep(t + 1, stack_forward(p, np.concatenate([self._x[:t], xs])))  # (t+1, I)

    def _keep(self, t: int, trace: StackTrace) -> None:
        if len(self._traces) >= KEPT_TRACES:
            del self._traces[next(iter(self._traces))]  # the oldest kept
        self._traces[t] = trace


class Readout:
    """A unidirectional stack's y_t = W_hy h_t + b_y for the steps fed, kept like a layer's
    history (see RNN): computed for the steps its top layer computes, handed out as
    read-only views, and the rows a view has seen never written again (a step over them
    moves to a new buffer)."""

    def __init__(self, params: StackParams) -> None:
        self._W_hy_T = params.W_hy.T  # (H, O)
        self._b_y = params.b_y  # (O,)
        self._y = np.empty((16, params.output_size), dtype=params.dtype)  # (C, O)
        self._lent = 0  # rows that handed-out views show
        self._bad: int | None = None  # the first known row that is not finite

    def take(self, t: int, h: np.ndarray) -> None:
        """The rows of steps t+1 … t+k from the top layer's new states there, h (k, H)."""
        k = h.shape[0]
        with np.errstate(all="ignore"):
            y = np.dot(h, self._W_hy_T)  # (k, O)
            y += self._b_y
            finite = math.isfinite(np.add.reduce(y, axis=None))  # one row: cheaper than a scan
        if self._bad is not None and self._bad >= t:
            self._bad = None
        size = capacity = self._y.shape[0]
        while size < t + k:
            size *= 2
        if size != capacity or t < self._lent:
            grown = np.empty((size, self._y.shape[1]), dtype=self._y.dtype)  # (C, O)
            grown[:t] = self._y[:t]
            self._y, self._lent = grown, 0
        self._y[t : t + k] = y
        bad = None if finite else first_bad_row(y)  # None when only the sum overflowed
        if bad is not None and self._bad is None:
            self._bad = t + bad

    def rows(self, t: int) -> np.ndarray | None:
        """y for the first t steps, (t, O) read-only; None when one of them is not finite."""
        if self._bad is not None and self._bad < t:
            return None
        self._lent = max(self._lent, t)
        view = self._y[:t]  # (t, O)
        view.flags.writeable = False
        return view

    def copy(self) -> Readout:
        """An independent readout with the same rows (a stack's copy steps apart)."""
        twin = copy.copy(self)
        twin._y, twin._lent = self._y.copy(), 0
        return twin
