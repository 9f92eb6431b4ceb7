"""BPTT through a bidirectional layer's two directions as one chain of twice the width: the
backward twin of joint_directions.py.

Given what the layer's outputs receive (the readout's dL/dy, or the pull of the layer
above), its two directions' backward chains are independent, and every cell's backward step
is elementwise per unit except the product with [W_hh; W_hy]. So together they are the chain
of the joint cell (``joint_params``) read out by the two readouts side by side, a
block-diagonal matrix too. Only the serial loop runs joined; the norms, the checks and the
weight gradients then run per direction on its columns (``finish_layer_backward``), as
before.

The loop does the same to both directions, and so gives what two loops give (to the
rounding of the dot products), only when
- the truncation windows are the same in each direction's own order of steps (none, or
  cuts symmetric in time): else the caller runs two chains;
- every value stays finite (0 · NaN would carry one direction's overflow into the other's
  rows) and neither chain fades below FLUSH_BELOW at a check of the loop (it flushes a
  vanished chain to 0 and may stop there; joined, it does so only when both have
  vanished): else ``backward_both`` gives None and the caller runs two chains.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine.joint_directions import joint_params
from rnnviz.engine.numerics import FLUSH_BELOW
from rnnviz.engine.single_bptt import (
    FLUSH_MASK,
    Chain,
    LayerBackward,
    backward_chain,
    finish_layer_backward,
)
from rnnviz.engine.single_forward import ForwardTrace


def backward_both(
    traces: tuple[ForwardTrace, ForwardTrace],
    dys: tuple[np.ndarray, np.ndarray],
    cuts: np.ndarray,
) -> tuple[LayerBackward, LayerBackward] | None:
    """``layer_backward`` of both directions of a layer in one serial loop: ``traces`` each
    with its readout (the same cell and sizes), ``dys`` each direction's dL/dy (T, O_d) in
    its own order of steps, ``cuts`` (T,) the truncation cuts of both (see the note above);
    None when the two must run apart."""
    a, b = traces
    pa, pb = a.params, b.params
    G, H, T = pa.n_gates, pa.hidden_size, a.T
    Oa, Ob = pa.output_size, pb.output_size
    W_hy = np.zeros((Oa + Ob, 2 * H), dtype=pa.dtype)  # (Oa + Ob, 2H): block-diagonal
    W_hy[:Oa, :H], W_hy[Oa:, H:] = pa.W_hy, pb.W_hy
    b_y = np.zeros(Oa + Ob, dtype=pa.dtype)
    joint = joint_params(pa, pb, inputs=False).with_arrays(W_hy=W_hy, b_y=b_y)
    K = a.cache.shape[1] // H  # blocks of H a step the cell keeps (see _split)
    cache = np.stack([a.cache.reshape(T, K, H), b.cache.reshape(T, K, H)], axis=2)
    trace = ForwardTrace(
        joint,
        np.empty((T, 0), dtype=pa.dtype),  # (T, 0): the joint cell reads no inputs
        np.hstack([a.h_all, b.h_all]),  # (T+1, 2H)
        None if a.c_all is None else np.hstack([a.c_all, b.c_all]),
        cache.reshape(T, 2 * K * H),  # (T, K*2H): each block [a's H; b's H]
        np.hstack([a.y, b.y]),
        None,
    )
    dy = np.hstack(dys)  # (T, Oa + Ob)
    scored = np.flatnonzero(np.any(dy != 0, axis=1))  # steps that receive a gradient
    with np.errstate(all="ignore"):
        chain = backward_chain(trace, dy, cuts, int(scored[0]) if scored.size else T)
    if _flushed_at_a_check(trace, chain, cuts):
        return None
    found = []
    for d in range(2):
        one = finish_layer_backward(traces[d], _split(chain, d, G, H), dys[d])
        if one.exploded_row is not None:
            return None
        found.append(one)
    return found[0], found[1]


def _flushed_at_a_check(trace: ForwardTrace, chain: Chain, cuts: np.ndarray) -> bool:
    """Whether either direction's chain, run alone, would have been flushed to 0 at a row the
    loop checks (single_bptt.run_windows: row t − 1 after step t when t is a multiple of 16,
    within a truncation window) while it still held a value other than 0. A chain of exact
    zeros there stays zeros either way, flushed or not, stopped or not: rows that receive
    nothing (a loss at the last step only) are no reason to run apart."""
    H = trace.params.hidden_size // 2
    rows = np.arange(trace.T - 1)  # a window's last row is never checked
    rows = rows[(((rows + 1) & FLUSH_MASK) == 0) & ~cuts[:-1]]
    parts = [chain.dH[rows]]  # (R, 2H) dL/dh_{t-1}
    if chain.dC_total is not None:
        # What flows into dL/dc_{t-1} from step t: dL/dc_t ⊙ f_t, as the loop computed it
        # (the LSTM keeps i, f, g, o, tanh c_t a step).
        parts.append(chain.dC_total[rows + 1] * trace.cache[rows + 1, 2 * H : 4 * H])
    tiny = np.ones((rows.size, 2), dtype=bool)  # (R, 2): per direction
    zero = np.ones((rows.size, 2), dtype=bool)
    for part in parts:
        block = part.reshape(rows.size, 2, H)  # (R, 2, H)
        tiny &= (block.max(axis=2) < FLUSH_BELOW) & (block.min(axis=2) > -FLUSH_BELOW)
        zero &= ~block.any(axis=2)
    return bool((tiny & ~zero).any())


def _split(chain: Chain, d: int, G: int, H: int) -> Chain:
    """Direction d's columns of the joint chain, contiguous, in step order."""
    T = chain.dH.shape[0]
    cols = slice(d * H, (d + 1) * H)

    def gates(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a.reshape(T, G, 2, H)[:, :, d]).reshape(T, G * H)

    dhp = gates(chain.dhp)  # (T, G*H)
    dxp = dhp if chain.dxp is chain.dhp else gates(chain.dxp)
    dC = None if chain.dC_total is None else np.ascontiguousarray(chain.dC_total[:, cols])
    return Chain(np.ascontiguousarray(chain.dH[:, cols]), dhp, dxp, dC, None)
