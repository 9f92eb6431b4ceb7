"""LSTM cell, as ``nn.LSTM`` (gate rows i, f, g, o):

i, f, o = σ(·), g = tanh(·)     of  W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
c_t = f ⊙ c_{t-1} + i ⊙ g,      h_t = o ⊙ tanh(c_t)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine.activations import sigmoid
from rnnviz.engine.cells.base import BackFn, StepFn
from rnnviz.engine.params import Params


@dataclass(frozen=True)
class LSTMContext:
    gates: np.ndarray  # (T, 4H) activated i, f, g, o
    c_all: np.ndarray  # (T+1, H)
    tanh_c: np.ndarray  # (T, H)
    hidden_size: int


class LSTM:
    name = "lstm"
    has_cell_state = True
    separate_hidden_grad = False

    def input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        xb = x @ p.W_ih.T
        xb += p.b_ih + p.b_hh  # in place: a second (T, G*H) temporary costs more than the add
        return xb  # (T, 4H)

    def cache_width(self, hidden_size: int) -> int:
        return 4 * hidden_size

    def make_step(self, p: Params) -> StepFn:
        H, W_hh = p.hidden_size, p.W_hh

        def step(xb_t, h_prev, c_prev, h_out, c_out, cache_out) -> None:
            np.dot(W_hh, h_prev, out=cache_out)
            cache_out += xb_t
            i, f, g, o = (
                cache_out[:H],
                cache_out[H : 2 * H],
                cache_out[2 * H : 3 * H],
                cache_out[3 * H :],
            )
            sigmoid(cache_out[: 2 * H], out=cache_out[: 2 * H])  # i, f
            np.tanh(g, out=g)
            sigmoid(o, out=o)
            np.multiply(f, c_prev, out=c_out)
            c_out += i * g
            np.multiply(o, np.tanh(c_out), out=h_out)

        return step

    def backward_context(self, p: Params, h_all, c_all, cache) -> LSTMContext:
        return LSTMContext(cache, c_all, np.tanh(c_all[1:]), p.hidden_size)

    def make_step_backward(self, p: Params, ctx: LSTMContext) -> BackFn:
        H, W_hh = ctx.hidden_size, p.W_hh

        def back(t, dh, dc, dxp_out, dhp_out, dh_prev_acc, dc_prev_out) -> None:
            gates = ctx.gates[t]
            i, f, g, o = gates[:H], gates[H : 2 * H], gates[2 * H : 3 * H], gates[3 * H :]
            tc = ctx.tanh_c[t]  # (H,)
            # dL/dc_t collects the direct path and the path through h_t = o ⊙ tanh(c_t).
            dc_total = dh * o * (1.0 - tc * tc)
            if dc is not None:
                dc_total += dc
            da = dhp_out  # (…, 4H)
            # Each gate's pre-activation gradient: chain rule through σ' = s(1-s), tanh' = 1-g².
            np.multiply(dc_total * g, i * (1.0 - i), out=da[..., :H])
            np.multiply(dc_total * ctx.c_all[t], f * (1.0 - f), out=da[..., H : 2 * H])
            np.multiply(dc_total * i, 1.0 - g * g, out=da[..., 2 * H : 3 * H])
            np.multiply(dh * tc, o * (1.0 - o), out=da[..., 3 * H :])
            dh_prev_acc += da @ W_hh  # (…, H)
            np.multiply(dc_total, f, out=dc_prev_out)

        return back


def total_cell_grad(ctx: LSTMContext, dH: np.ndarray, dC_future: np.ndarray) -> np.ndarray:
    """dL/dc_t: the future's pull through c_{t+1} plus the pull through h_t = o ⊙ tanh(c_t)."""
    H = ctx.hidden_size
    o = ctx.gates[:, 3 * H :]  # (T, H)
    return dC_future + dH * o * (1.0 - ctx.tanh_c**2)  # (T, H)
