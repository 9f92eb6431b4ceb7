"""GRU cell, as ``nn.GRU`` (gate rows r, z, n):

r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz)
n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine.activations import sigmoid
from rnnviz.engine.cells.base import BackFn, StepFn
from rnnviz.engine.params import Params


@dataclass(frozen=True)
class GRUContext:
    cache: np.ndarray  # (T, 4H): r, z, n, hn = W_hn h_{t-1} + b_hn
    h_all: np.ndarray  # (T+1, H)
    hidden_size: int


class GRU:
    name = "gru"
    has_cell_state = False
    separate_hidden_grad = True

    def input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        H = p.hidden_size
        bias = p.b_ih.copy()
        # b_hr and b_hz add like b_ir and b_iz; b_hn sits inside r ⊙ (…) and cannot be folded.
        bias[: 2 * H] += p.b_hh[: 2 * H]
        xb = x @ p.W_ih.T  # (T, 3H)
        xb += bias
        return xb

    def cache_width(self, hidden_size: int) -> int:
        return 4 * hidden_size

    def make_step(self, p: Params) -> StepFn:
        H, W_hh, b_hn = p.hidden_size, p.W_hh, p.b_hh[2 * p.hidden_size :]

        def step(xb_t, h_prev, c_prev, h_out, c_out, cache_out) -> None:
            hp = cache_out[: 3 * H]
            r, z, n, hn = hp[:H], hp[H : 2 * H], hp[2 * H :], cache_out[3 * H :]
            np.dot(W_hh, h_prev, out=hp)  # r, z, n rows of W_hh h
            np.add(n, b_hn, out=hn)
            hp[: 2 * H] += xb_t[: 2 * H]
            sigmoid(hp[: 2 * H], out=hp[: 2 * H])  # r, z
            np.multiply(r, hn, out=n)
            n += xb_t[2 * H :]
            np.tanh(n, out=n)
            # h = n + z ⊙ (h_prev − n) is (1 − z) n + z h_prev with one fewer temporary.
            np.subtract(h_prev, n, out=h_out)
            h_out *= z
            h_out += n

        return step

    def backward_context(self, p: Params, h_all, c_all, cache) -> GRUContext:
        return GRUContext(cache, h_all, p.hidden_size)

    def make_step_backward(self, p: Params, ctx: GRUContext) -> BackFn:
        H, W_hh = ctx.hidden_size, p.W_hh

        def back(t, dh, dc, dxp_out, dhp_out, dh_prev_acc, dc_prev_out) -> None:
            row = ctx.cache[t]
            r, z, n, hn = row[:H], row[H : 2 * H], row[2 * H : 3 * H], row[3 * H :]
            h_prev = ctx.h_all[t]
            dxp, dhp = dxp_out, dhp_out  # (…, 3H) each
            dan = dh * (1.0 - z) * (1.0 - n * n)  # through n = tanh(a_n)
            np.multiply(dan * hn, r * (1.0 - r), out=dxp[..., :H])  # a_r
            np.multiply(dh * (h_prev - n), z * (1.0 - z), out=dxp[..., H : 2 * H])  # a_z
            dxp[..., 2 * H :] = dan
            dhp[..., : 2 * H] = dxp[..., : 2 * H]
            np.multiply(dan, r, out=dhp[..., 2 * H :])  # the recurrent part of a_n is gated by r
            dh_prev_acc += dhp @ W_hh  # (…, H)
            dh_prev_acc += dh * z  # h_{t-1} also reaches h_t directly, through the gate z

        return back
