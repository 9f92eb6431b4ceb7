"""A bidirectional layer's two directions run as one cell of twice the width: one serial chain.

Why: the serial loop costs ~10 NumPy calls a step on rows of a few dozen values, so its
time is mostly Python's overhead, not arithmetic: at 32 units one chain of 2H units costs
~1.3x what one of H costs, where two cost 2x (python -m rnnviz.bench joint). Only up to
``JOINT_MAX_UNITS``: beyond, the product with the zero blocks costs more than that saves.

How: given the layer's input sequence, its forward and backward directions are independent
recurrences, and every cell is elementwise per unit except the recurrent product W_hh h. So
together they are one cell of 2H units: each gate block of its arrays is [the forward
direction's H rows; the backward direction's H rows], its recurrent matrix block-diagonal
within each gate block, and its step t reads the forward direction's input x_t and the
backward direction's own step t, x_{T-1-t} (rows counted from 0). The zero blocks add exact
zeros: the values are the two separate passes' up to the rounding of the dot products.

Once a value is not finite that no longer holds (0 · inf is NaN: the overflow would spread
to the other direction), and each direction must blank its own rows from its own first
non-finite value on: a layer whose joint pass overflows anywhere runs again as two passes.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine import workspace
from rnnviz.engine.cells import get_cell
from rnnviz.engine.cells.base import fold_width
from rnnviz.engine.params import Params
from rnnviz.engine.single_forward import ForwardTrace, as_inputs, forward_single

# Up to this many units a direction, one chain is faster than two for every cell (one BLAS
# thread, T = 200, two layers; forward: LSTM 0.77x at 32 units, 0.84x at 48, 0.92x at 56,
# 1.10x at 64, 2.1x at 128; GRU 0.73x at 48, 1.09x at 96; tanh RNN 0.78x at 32, 0.88x at
# 48, 1.0x at 64; backward (joint_backward.py): LSTM 0.90x at 32, 0.98x at 48; GRU 0.77x,
# 0.84x; tanh RNN 0.89x, 1.0x): the recurrent matrix is twice as wide and twice as tall,
# three quarters of it zeros, and its product grows faster than the Python overhead saved.
JOINT_MAX_UNITS = 48


def joint_params(a: Params, b: Params, inputs: bool = True) -> Params:
    """Directions ``a`` and ``b`` (same cell and sizes) as one cell of 2H units that reads
    [a's input; b's input], 2I values a step, and reads nothing out. ``inputs`` False: a
    cell that reads none (W_ih of no columns), for the backward chain, which never reads
    W_ih (building the joint one costs more than the rest, ~50 µs at 64 inputs)."""
    G, H, I = a.n_gates, a.hidden_size, a.input_size if inputs else 0
    W_ih = np.zeros((G, 2, H, 2, I), dtype=a.dtype)  # gate, direction, unit, its inputs
    W_hh = np.zeros((G, 2, H, 2, H), dtype=a.dtype)  # gate, direction, unit, its state
    for d, p in enumerate((a, b)):
        W_ih[:, d, :, d] = p.W_ih.reshape(G, H, -1)[..., :I]
        W_hh[:, d, :, d] = p.W_hh.reshape(G, H, H)
    return Params(
        a.cell,
        a.activation,
        W_ih.reshape(G * 2 * H, 2 * I),
        W_hh.reshape(G * 2 * H, 2 * H),
        _interleaved(a.b_ih, b.b_ih, G),
        _interleaved(a.b_hh, b.b_hh, G),
        np.zeros((0, 2 * H), dtype=a.dtype),  # (0, 2H)
        np.zeros(0, dtype=a.dtype),
    )


def _interleaved(a: np.ndarray, b: np.ndarray, G: int) -> np.ndarray:
    """Two directions' biases (G*H,) as the joint cell's (G*2H,): per gate, a's then b's."""
    return np.stack([a.reshape(G, -1), b.reshape(G, -1)], axis=1).reshape(-1)  # (G*2H,)


def forward_both(
    a: Params,
    b: Params,
    x: np.ndarray,
    h0: tuple[np.ndarray | None, np.ndarray | None],
    c0: tuple[np.ndarray | None, np.ndarray | None],
) -> tuple[ForwardTrace, ForwardTrace] | None:
    """``forward(a, x)`` and ``forward(b, x[::-1])`` in one serial chain (x (T, I)
    contiguous; h0, c0 each direction's initial state or None), or None when a value
    stopped being finite (the caller then runs the two passes, see the module's note)."""
    x = as_inputs(x, a.input_size, a.dtype)  # (T, I)
    cell, T, H = get_cell(a.cell), x.shape[0], a.hidden_size
    x_rev = np.ascontiguousarray(x[::-1])  # (T, I) the backward direction's own order
    joint = joint_params(a, b)
    both = np.hstack([x, x_rev])  # (T, 2I): joint step t reads x_t and x_{T-1-t}
    xb = None
    if not (cell.folds_inputs and fold_width(joint)):
        # Each direction's projection alone: the joint one would multiply the zero blocks too.
        G = a.n_gates
        xb = np.empty((T, G, 2, H), dtype=a.dtype)  # (T, G, 2, H)
        with np.errstate(all="ignore"):  # overflow is checked after the pass (finish_trace)
            xb[:, :, 0] = cell.input_projection(a, x).reshape(T, G, H)
            xb[:, :, 1] = cell.input_projection(b, x_rev).reshape(T, G, H)
        xb = xb.reshape(T, G * 2 * H)  # (T, G*2H)
    trace = forward_single(joint, both, _joined(h0, a), _joined(c0, a), xb=xb)
    if trace.exploded_at is not None:
        return None
    return _split(trace, a, x, 0), _split(trace, b, x_rev, 1)


def _joined(states: tuple[np.ndarray | None, np.ndarray | None], p: Params) -> np.ndarray | None:
    """The joint cell's initial state [a's; b's] (2H,), or None when neither is given."""
    if states[0] is None and states[1] is None:
        return None
    zero = np.zeros(p.hidden_size, dtype=p.dtype)  # (H,)
    return np.concatenate([zero if s is None else np.ravel(s) for s in states])  # (2H,)


def _split(trace: ForwardTrace, p: Params, x: np.ndarray, d: int) -> ForwardTrace:
    """Direction d's trace out of the joint one: its units' columns, contiguous, as its own
    ``forward`` would have made them."""
    H, T = p.hidden_size, trace.T
    cols = slice(d * H, (d + 1) * H)
    h_all = workspace.take(f"joint.h{d}", (T + 1, H), p.dtype, zero=False)  # (T+1, H)
    np.copyto(h_all, trace.h_all[:, cols])
    c_all = None
    if trace.c_all is not None:
        c_all = workspace.take(f"joint.c{d}", (T + 1, H), p.dtype, zero=False)  # (T+1, H)
        np.copyto(c_all, trace.c_all[:, cols])
    # The cache is K blocks of 2H per step (LSTM: i, f, g, o, tanh c; GRU: r, z, n, hn),
    # each [a's H; b's H]; the vanilla cell keeps none.
    K = trace.cache.shape[1] // (2 * H)
    cache = workspace.take(f"joint.cache{d}", (T, K * H), p.dtype, zero=False)  # (T, K*H)
    np.copyto(cache.reshape(T, K, H), trace.cache.reshape(T, K, 2, H)[:, :, d])
    y = np.empty((T, 0), dtype=p.dtype)  # (T, 0): a direction of a layer reads nothing out
    return ForwardTrace(p, x, h_all, c_all, cache, y, None)
