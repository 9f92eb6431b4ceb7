"""Elman cell, as ``nn.RNN``: h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""

from __future__ import annotations

import numpy as np

from rnnviz.engine import activations
from rnnviz.engine.cells.base import BackFn, StepFn
from rnnviz.engine.params import Params


class Vanilla:
    name = "vanilla"
    has_cell_state = False
    separate_hidden_grad = False

    def input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        # Both biases are constant per step, so they are folded into the one big matmul.
        xb = x @ p.W_ih.T
        xb += p.b_ih + p.b_hh  # in place: a second (T, G*H) temporary costs more than the add
        return xb  # (T, H)

    def cache_width(self, hidden_size: int) -> int:
        return 0

    def make_step(self, p: Params) -> StepFn:
        W_hh, act, dot, add = p.W_hh, activations.function(p.activation), np.dot, np.add

        def step(xb_t, h_prev, c_prev, h_out, c_out, cache_out) -> None:
            dot(W_hh, h_prev, out=h_out)
            add(h_out, xb_t, out=h_out)
            act(h_out, out=h_out)

        return step

    def backward_context(self, p: Params, h_all, c_all, cache) -> np.ndarray:
        return activations.derivative_from_output(p.activation, h_all[1:])  # (T, H) f'(a_t)

    def make_step_backward(self, p: Params, ctx: np.ndarray) -> BackFn:
        W_hh, fp_rows, mul, dot, add = p.W_hh, list(ctx), np.multiply, np.dot, np.add
        W_hh_T = np.ascontiguousarray(W_hh.T)  # (H, H): a plain mat-vec beats vec-mat
        tmp = np.empty(p.hidden_size, dtype=p.dtype)  # (H,)

        def back(t, dh, dc, dxp_out, dhp_out, dh_prev_acc, dc_prev_out) -> None:
            da = mul(dh, fp_rows[t], out=dhp_out)  # (…, H) dL/da_t
            if da.ndim == 1:
                add(dh_prev_acc, dot(W_hh_T, da, out=tmp), out=dh_prev_acc)
            else:
                dh_prev_acc += da @ W_hh  # (R, H) rows of W_hhᵀ da

        return back
