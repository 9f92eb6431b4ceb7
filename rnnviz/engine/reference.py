"""The textbook version of the engine: every cell and BPTT written plainly, as in min-char-rnn.

Nothing here is tuned and nothing is shared with the fast code in ``cells/`` and ``bptt.py``:
each formula is written out once more, from the equations in PyTorch's documentation, one
vector per step. The tests hold the tuned engine equal to this module to 1e-12 for every cell,
activation, loss and truncation (tests/engine/test_reference.py), so read this file to learn
what the engine computes, and the tuned one to learn how it computes it fast.

Conventions (PyTorch's): W_ih (G*H, I), W_hh (G*H, H), b_ih and b_hh (G*H,) with the gate
blocks stacked along the rows (LSTM i, f, g, o; GRU r, z, n), and the readout
y_t = W_hy h_t + b_y. Steps are t = 0 … T-1 here, as Python counts; h[-1] is the initial state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from rnnviz.engine.params import Params


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


# The vanilla cell's activation f and its derivative f'(a), given a and h = f(a).
F: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "sigmoid": sigmoid,
    "linear": lambda a: a,
}
DF: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "tanh": lambda a, h: 1.0 - h**2,
    "relu": lambda a, h: (a > 0).astype(float),  # the subgradient at 0 is 0, as in PyTorch
    "sigmoid": lambda a, h: h * (1.0 - h),
    "linear": lambda a, h: np.ones_like(a),
}


class Step(NamedTuple):
    """What one forward step produces."""

    h: np.ndarray  # (H,) h_t
    c: np.ndarray | None  # (H,) c_t, LSTM only
    cache: tuple[np.ndarray, ...]  # what step_backward needs


class StepGrads(NamedTuple):
    """What one backward step produces, given the total dL/dh_t."""

    da_x: np.ndarray  # (G*H,) dL/d(W_ih x_t + b_ih)
    da_h: np.ndarray  # (G*H,) dL/d(W_hh h_{t-1} + b_hh)
    dh_prev: np.ndarray  # (H,) dL/dh_{t-1} through this step
    dc_prev: np.ndarray | None  # (H,) dL/dc_{t-1} through this step, LSTM only
    dc: np.ndarray | None  # (H,) the total dL/dc_t, LSTM only


# Vanilla (nn.RNN): h_t = f(a_t), a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh.


def vanilla_step(p: Params, x: np.ndarray, h_prev: np.ndarray, c_prev: None = None) -> Step:
    a = p.W_ih @ x + p.b_ih + p.W_hh @ h_prev + p.b_hh  # (H,)
    h = F[p.activation](a)  # (H,)
    return Step(h, None, (a, h))


def vanilla_step_backward(
    p: Params, cache: tuple, dh: np.ndarray, dc_next: np.ndarray | None = None
) -> StepGrads:
    a, h = cache
    da = dh * DF[p.activation](a, h)  # (H,) through h = f(a)
    dh_prev = p.W_hh.T @ da  # (H,)
    return StepGrads(da, da, dh_prev, None, None)


# LSTM (nn.LSTM): i, f, o = σ(·), g = tanh(·) of W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,
# c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t).


def lstm_step(p: Params, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray) -> Step:
    H = p.hidden_size
    a = p.W_ih @ x + p.b_ih + p.W_hh @ h_prev + p.b_hh  # (4H,)
    i = sigmoid(a[:H])  # (H,) input gate
    f = sigmoid(a[H : 2 * H])  # (H,) forget gate
    g = np.tanh(a[2 * H : 3 * H])  # (H,) candidate
    o = sigmoid(a[3 * H :])  # (H,) output gate
    c = f * c_prev + i * g  # (H,)
    h = o * np.tanh(c)  # (H,)
    return Step(h, c, (i, f, g, o, c, c_prev))


def lstm_step_backward(p: Params, cache: tuple, dh: np.ndarray, dc_next: np.ndarray) -> StepGrads:
    i, f, g, o, c, c_prev = cache
    # c_t reaches the loss two ways: into c_{t+1} (dc_next) and through h_t = o ⊙ tanh(c_t).
    dc = dc_next + dh * o * (1.0 - np.tanh(c) ** 2)  # (H,)
    di, df, dg, do = dc * g, dc * c_prev, dc * i, dh * np.tanh(c)  # (H,) each
    # Back through each gate's nonlinearity: σ' = σ(1 − σ), tanh' = 1 − tanh².
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)])
    dh_prev = p.W_hh.T @ da  # (H,)
    dc_prev = dc * f  # (H,)
    return StepGrads(da, da, dh_prev, dc_prev, dc)


# GRU (nn.GRU): r, z = σ(·) of W_i· x_t + b_i· + W_h· h_{t-1} + b_h·,
# n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn)), h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}.


def gru_step(p: Params, x: np.ndarray, h_prev: np.ndarray, c_prev: None = None) -> Step:
    H = p.hidden_size
    ax = p.W_ih @ x + p.b_ih  # (3H,) the input's part of every gate
    ah = p.W_hh @ h_prev + p.b_hh  # (3H,) the recurrent part
    r = sigmoid(ax[:H] + ah[:H])  # (H,) reset gate
    z = sigmoid(ax[H : 2 * H] + ah[H : 2 * H])  # (H,) update gate
    n = np.tanh(ax[2 * H :] + r * ah[2 * H :])  # (H,) candidate
    h = (1 - z) * n + z * h_prev  # (H,)
    return Step(h, None, (r, z, n, ah[2 * H :], h_prev))


def gru_step_backward(
    p: Params, cache: tuple, dh: np.ndarray, dc_next: np.ndarray | None = None
) -> StepGrads:
    r, z, n, ah_n, h_prev = cache
    da_n = dh * (1 - z) * (1 - n**2)  # (H,) through n = tanh(·)
    da_r = da_n * ah_n * r * (1 - r)  # (H,) r scales W_hn h_{t-1} + b_hn
    da_z = dh * (h_prev - n) * z * (1 - z)  # (H,)
    da_x = np.concatenate([da_r, da_z, da_n])  # (3H,)
    # The reset gate multiplies only the recurrent part of n, so its gradient is r ⊙ da_n.
    da_h = np.concatenate([da_r, da_z, r * da_n])  # (3H,)
    dh_prev = p.W_hh.T @ da_h + dh * z  # (H,) h_{t-1} also reaches h_t directly, through z
    return StepGrads(da_x, da_h, dh_prev, None, None)


CELLS: dict[str, tuple[Callable[..., Step], Callable[..., StepGrads]]] = {
    "vanilla": (vanilla_step, vanilla_step_backward),
    "lstm": (lstm_step, lstm_step_backward),
    "gru": (gru_step, gru_step_backward),
}


def loss_reference(
    loss: str, ys: np.ndarray, targets: np.ndarray, loss_at: str
) -> tuple[float, np.ndarray]:
    """(L, dL/dy) for outputs ys (T, O): nn.MSELoss or nn.CrossEntropyLoss, mean reduced."""
    T, O = ys.shape
    scored = list(range(T)) if loss_at == "all" else [T - 1]
    S = len(scored)
    L, dy = 0.0, np.zeros_like(ys)  # dy: (T, O); steps that are not scored get no gradient
    for t in scored:
        if loss == "mse":  # the mean of (y − target)² over every scored element
            L += np.sum((ys[t] - targets[t]) ** 2) / (S * O)
            dy[t] = 2 * (ys[t] - targets[t]) / (S * O)
        else:  # the mean over scored steps of −log softmax(y_t)[target_t]
            e = np.exp(ys[t] - ys[t].max())  # (O,) shifted by the largest: exp cannot overflow
            prob = e / e.sum()  # (O,)
            L += -np.log(prob[targets[t]]) / S
            dy[t] = prob / S
            dy[t, targets[t]] -= 1 / S
    return float(L), dy


@dataclass(frozen=True)
class ReferenceResult:
    """What ``bptt_reference`` computed; named like the tuned engine's ``BPTTResult``."""

    loss: float
    h: np.ndarray  # (T, H)
    y: np.ndarray  # (T, O)
    dy: np.ndarray  # (T, O) dL/dy_t
    grads: dict[str, np.ndarray]  # W_ih, W_hh, b_ih, b_hh, W_hy, b_y, after clipping
    dL_dh: np.ndarray  # (T, H) the total dL/dh_t
    dL_dc: np.ndarray | None  # (T, H) the total dL/dc_t, LSTM only
    dW_hh_contrib: np.ndarray  # (T,) ‖step t's term of dW_hh‖_F
    grad_norm: float  # the global norm of the gradients before clipping


def bptt_reference(
    p: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    loss: str = "mse",
    loss_at: str = "all",
    truncation: int | None = None,
    clip: float | None = None,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> ReferenceResult:
    """Forward, loss and backpropagation through time, one step at a time (min-char-rnn's loop).

    ``truncation`` k: windows of k steps counted back from the last one; no gradient flows
    from a window into the step before it. ``clip``: rescale all gradients together when
    their global norm exceeds it (Pascanu et al. 2013).
    """
    step, step_backward = CELLS[p.cell]
    T, H = len(xs), p.hidden_size
    hs = {-1: np.zeros(H) if h0 is None else h0}  # (H,) each; hs[-1] is the initial state
    c_init = np.zeros(H) if c0 is None else c0  # (H,)
    cs = {-1: c_init if p.cell == "lstm" else None}  # (H,) each, LSTM only
    caches: dict[int, tuple[np.ndarray, ...]] = {}
    for t in range(T):
        hs[t], cs[t], caches[t] = step(p, xs[t], hs[t - 1], cs[t - 1])
    h = np.array([hs[t] for t in range(T)])  # (T, H)
    y = h @ p.W_hy.T + p.b_y  # (T, O)
    L, dy = loss_reference(loss, y, targets, loss_at)  # dy: (T, O)

    grads = {name: np.zeros_like(W) for name, W in p.arrays().items()}
    dh_next, dc_next = np.zeros(H), np.zeros(H)  # (H,) what flows back from step t+1
    dL_dh, dL_dc, contrib = np.zeros((T, H)), np.zeros((T, H)), np.zeros(T)
    for t in reversed(range(T)):
        grads["W_hy"] += np.outer(dy[t], hs[t])
        grads["b_y"] += dy[t]
        dh = p.W_hy.T @ dy[t] + dh_next  # (H,) total dL/dh_t: y_t's own pull plus the future's
        d = step_backward(p, caches[t], dh, dc_next)
        grads["W_ih"] += np.outer(d.da_x, xs[t])
        grads["b_ih"] += d.da_x
        dW_hh_t = np.outer(d.da_h, hs[t - 1])  # (G*H, H) step t's term of dW_hh
        grads["W_hh"] += dW_hh_t
        grads["b_hh"] += d.da_h
        dL_dh[t], contrib[t] = dh, np.linalg.norm(dW_hh_t)
        if d.dc is not None:
            dL_dc[t] = d.dc
        dh_next, dc_next = d.dh_prev, d.dc_prev
        if truncation is not None and (T - t) % truncation == 0:
            dh_next, dc_next = np.zeros(H), np.zeros(H)  # step t starts a window: cut h_{t-1}

    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    if clip is not None and norm > clip:
        grads = {name: g * (clip / norm) for name, g in grads.items()}
    dc = dL_dc if p.cell == "lstm" else None
    return ReferenceResult(L, h, y, dy, grads, dL_dh, dc, contrib, norm)
