"""The interface every cell implements; the forward and BPTT loops are written once against it.

Notation (PyTorch's): the pre-activation of every gate is split into an input part
``xproj_t = W_ih x_t + b_ih`` and a recurrent part ``hproj_t = W_hh h_{t-1} + b_hh``.
A backward step returns the gradient with respect to both parts, so that the weight
gradients can be accumulated with one matmul each after the time loop.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from rnnviz.engine.params import Params


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

    def step(
        self,
        p: Params,
        xb_t: np.ndarray,
        h_prev: np.ndarray,
        c_prev: np.ndarray | None,
        h_out: np.ndarray,
        c_out: np.ndarray | None,
        cache_out: np.ndarray,
    ) -> None:
        """One forward step, written into ``h_out`` / ``c_out`` / ``cache_out``."""
        ...

    def backward_context(
        self, p: Params, h_all: np.ndarray, c_all: np.ndarray | None, cache: np.ndarray
    ) -> Any:
        """Whatever the backward step needs, derived once per sequence with vectorised ops."""
        ...

    def step_backward(
        self,
        p: Params,
        ctx: Any,
        t: int,
        dh: np.ndarray,
        dc: np.ndarray | None,
        dxp_out: np.ndarray | None = None,
        dhp_out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Back through step ``t`` (0-based): from dL/dh_t (and dL/dc_t) to the previous state.

        ``dh`` may be a (R, H) stack of row vectors (used for Jacobian products). Returns
        (dL/dh_{t-1} through the recurrence, dL/dc_{t-1}); fills ``dxp_out``/``dhp_out`` with
        the gradients of the input and recurrent pre-activations when they are given.
        """
        ...
