"""Elman cell, as ``nn.RNN``: h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""

from __future__ import annotations

import numpy as np

from rnnviz.engine import activations
from rnnviz.engine.params import Params


class Vanilla:
    name = "vanilla"
    has_cell_state = False
    separate_hidden_grad = False

    def input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        # Both biases are constant per step, so they are folded into the one big matmul.
        return x @ p.W_ih.T + (p.b_ih + p.b_hh)  # (T, H)

    def cache_width(self, hidden_size: int) -> int:
        return 0

    def step(self, p, xb_t, h_prev, c_prev, h_out, c_out, cache_out) -> None:
        np.dot(p.W_hh, h_prev, out=h_out)
        h_out += xb_t
        activations.apply(p.activation, h_out, out=h_out)

    def backward_context(self, p: Params, h_all, c_all, cache) -> np.ndarray:
        return activations.derivative_from_output(p.activation, h_all[1:])  # (T, H) f'(a_t)

    def step_backward(self, p, ctx, t, dh, dc, dxp_out=None, dhp_out=None):
        da = np.multiply(dh, ctx[t], out=dhp_out)  # (…, H) dL/da_t
        return da @ p.W_hh, None  # (…, H)
