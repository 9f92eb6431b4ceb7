"""The interface every cell implements; the forward and BPTT loops are written once against it.

Notation (PyTorch's): the pre-activation of every gate is split into an input part
``xproj_t = W_ih x_t + b_ih`` and a recurrent part ``hproj_t = W_hh h_{t-1} + b_hh``.
A backward step returns the gradient with respect to both parts, so that the weight
gradients can be accumulated with one matmul each after the time loop.

The loops call steps through closures (``make_step``, ``make_step_backward``) that bind the
weights and per-sequence arrays once: at H = 128 a step is ~2 µs of arithmetic, so attribute
look-ups per step would cost as much as the maths.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from rnnviz.engine.params import Params

# step(xb_t, h_prev, c_prev, h_out, c_out, cache_out): one forward step, written into the outs.
StepFn = Callable[
    [np.ndarray, np.ndarray, "np.ndarray | None", np.ndarray, "np.ndarray | None", np.ndarray],
    None,
]
# back(t, dh, dc, dxp_out, dhp_out, dh_prev_acc, dc_prev_out): see Cell.make_step_backward.
BackFn = Callable[
    [
        int,
        np.ndarray,
        "np.ndarray | None",
        np.ndarray,
        np.ndarray,
        np.ndarray,
        "np.ndarray | None",
    ],
    None,
]


class Cell(Protocol):
    name: str
    has_cell_state: bool
    # True when dL/d(xproj) and dL/d(hproj) differ (GRU: r multiplies the recurrent part of n).
    separate_hidden_grad: bool

    def input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        """Everything that does not depend on h, for all steps at once: (T, G*H)."""
        ...

    def cache_width(self, hidden_size: int) -> int:
        """How many numbers per step the forward pass keeps for the backward pass."""
        ...

    def make_step(self, p: Params) -> StepFn:
        """The forward step for these weights."""
        ...

    def backward_context(
        self, p: Params, h_all: np.ndarray, c_all: np.ndarray | None, cache: np.ndarray
    ) -> Any:
        """Whatever the backward step needs, derived once per sequence with vectorised ops."""
        ...

    def make_step_backward(self, p: Params, ctx: Any) -> BackFn:
        """The backward step through step ``t`` (0-based) of the sequence ``ctx`` describes.

        ``back(t, dh, dc, dxp_out, dhp_out, dh_prev_acc, dc_prev_out)`` takes dL/dh_t (and the
        part of dL/dc_t that flows back from c_{t+1}), writes the gradients of the input and
        recurrent pre-activations into ``dxp_out``/``dhp_out`` (they may be one array), *adds*
        what flows into h_{t-1} to ``dh_prev_acc`` (which holds y_{t-1}'s own term already)
        and writes what flows into c_{t-1} to ``dc_prev_out``. ``dh`` may be a (R, H) stack of
        row vectors with outs of matching leading shape: that is a Jacobian product.
        """
        ...
