"""LSTM cell, as ``nn.LSTM`` (gate rows i, f, g, o):

i, f, o = σ(·), g = tanh(·)     of  W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
c_t = f ⊙ c_{t-1} + i ⊙ g,      h_t = o ⊙ tanh(c_t)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine.activations import sigmoid
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
        return x @ p.W_ih.T + (p.b_ih + p.b_hh)  # (T, 4H)

    def cache_width(self, hidden_size: int) -> int:
        return 4 * hidden_size

    def step(self, p, xb_t, h_prev, c_prev, h_out, c_out, cache_out) -> None:
        H = p.hidden_size
        np.dot(p.W_hh, h_prev, out=cache_out)
        cache_out += xb_t
        sigmoid(cache_out[: 2 * H], out=cache_out[: 2 * H])  # i, f
        np.tanh(cache_out[2 * H : 3 * H], out=cache_out[2 * H : 3 * H])  # g
        sigmoid(cache_out[3 * H :], out=cache_out[3 * H :])  # o
        i, f, g = cache_out[:H], cache_out[H : 2 * H], cache_out[2 * H : 3 * H]
        np.multiply(f, c_prev, out=c_out)
        c_out += i * g
        o = cache_out[3 * H :]
        np.multiply(o, np.tanh(c_out), out=h_out)

    def backward_context(self, p: Params, h_all, c_all, cache) -> LSTMContext:
        return LSTMContext(cache, c_all, np.tanh(c_all[1:]), p.hidden_size)

    def step_backward(self, p, ctx: LSTMContext, t, dh, dc, dxp_out=None, dhp_out=None):
        H = ctx.hidden_size
        gates = ctx.gates[t]
        i, f, g, o = gates[:H], gates[H : 2 * H], gates[2 * H : 3 * H], gates[3 * H :]
        tc = ctx.tanh_c[t]  # (H,)
        # dL/dc_t collects the direct path and the path through h_t = o ⊙ tanh(c_t).
        dc_total = dh * o * (1.0 - tc * tc)
        if dc is not None:
            dc_total += dc
        shape = (*dh.shape[:-1], 4 * H)
        da = np.empty(shape, dtype=dh.dtype) if dhp_out is None else dhp_out  # (…, 4H)
        # Each gate's pre-activation gradient: chain rule through σ' = s(1-s), tanh' = 1-g².
        np.multiply(dc_total * g, i * (1.0 - i), out=da[..., :H])
        np.multiply(dc_total * ctx.c_all[t], f * (1.0 - f), out=da[..., H : 2 * H])
        np.multiply(dc_total * i, 1.0 - g * g, out=da[..., 2 * H : 3 * H])
        np.multiply(dh * tc, o * (1.0 - o), out=da[..., 3 * H :])
        return da @ p.W_hh, dc_total * f  # (…, H), (…, H)
