"""The forward pass of a stack: each direction of each layer is a single-layer ``forward``
(a bidirectional layer's two of up to 48 units run as one chain of twice the width:
joint_directions.py).

PyTorch's semantics in evaluation mode (dropout between layers is inactive): layer k+1 reads
layer k's outputs; a bidirectional layer runs its backward direction over the reversed
sequence and outputs [h_t forward; h_t backward], width 2H; the readout reads the top layer.
The initial states follow ``nn.RNN``'s ``h_0`` of shape (L*D, H): row k*D + d is layer k,
direction d (the backward direction's is the state after the last step, where it starts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine.forward import ForwardTrace, as_inputs, forward
from rnnviz.engine.joint_directions import JOINT_MAX_UNITS, forward_both
from rnnviz.engine.numerics import first_bad_row
from rnnviz.engine.stack_params import StackParams


@dataclass(frozen=True, eq=False)
class StackTrace:
    """Everything a stack's forward pass computed. Steps are t = 1..T; row t-1 is step t.

    ``layers[k][d]`` is the single-layer trace of layer k, direction d, in that direction's
    own order of steps: the backward direction's row 0 is step T. ``h(k, d)`` gives it in
    step order. When any value stops being finite, ``exploded_at`` is the first step whose
    row holds one somewhere (the single-layer traces blank what follows, in their order).
    """

    params: StackParams
    tokens: np.ndarray | None  # (T,) token ids, when an embedding turned them into x
    x: np.ndarray  # (T, I) the inputs of layer 0
    layers: tuple[tuple[ForwardTrace, ...], ...]  # [layer][direction]
    outputs: tuple[np.ndarray, ...]  # [layer] (T, D*H): [forward; backward] in step order
    y: np.ndarray  # (T, O)
    exploded_at: int | None

    @property
    def T(self) -> int:
        return int(self.x.shape[0])

    def h(self, layer: int, direction: int = 0) -> np.ndarray:
        """h_t of one direction of one layer, in step order: (T, H)."""
        h = self.layers[layer][direction].h  # (T, H) in the direction's order
        return h if direction == 0 else h[::-1]

    def c(self, layer: int, direction: int = 0) -> np.ndarray | None:
        """The LSTM's c_t of one direction of one layer, in step order: (T, H), else None."""
        c = self.layers[layer][direction].c
        return None if c is None else (c if direction == 0 else c[::-1])

    @property
    def top(self) -> np.ndarray:
        """The top layer's outputs, what the readout reads: (T, D*H)."""
        return self.outputs[-1]


def as_tokens(tokens: np.ndarray | list, vocab_size: int) -> np.ndarray:
    """Check a sequence of token ids (whole numbers in 0..V-1): (T,) int64."""
    arr = np.asarray(tokens)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"tokens have shape {arr.shape}; expected (T,) token ids")
    whole = np.issubdtype(arr.dtype, np.integer) or (
        np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
    )
    if arr.size and not whole:
        raise ValueError("tokens must be whole numbers (rows of the embedding)")
    ids = arr.astype(np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        bad = int(ids[(ids < 0) | (ids >= vocab_size)][0])
        raise ValueError(f"token {bad} is not a row of the embedding (0..{vocab_size - 1})")
    return ids


def initial_states(
    p: StackParams, state: np.ndarray | None, width: int | None = None
) -> list[np.ndarray | None]:
    """``nn.RNN``'s h_0 (or ``nn.LSTM``'s c_0), (L*D, H), as one row per layer and direction;
    None for each when not given (zeros)."""
    n = p.num_layers * p.num_directions
    if state is None:
        return [None] * n
    s = np.asarray(state, dtype=p.dtype)
    H = width or p.hidden_size
    if s.shape != (n, H):
        raise ValueError(f"initial state has shape {s.shape}; expected ({n}, {H})")
    return list(s)


def stack_forward(
    p: StackParams,
    inputs: np.ndarray | list,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> StackTrace:
    """Run the stack over a sequence: token ids (T,) with an embedding, else rows (T, I)."""
    tokens = None
    if p.embedding is not None:
        tokens = as_tokens(inputs, p.embedding.shape[0])  # (T,)
        x = p.embedding[tokens]  # (T, I): nn.Embedding is a row lookup
    else:
        x = as_inputs(inputs, p.input_size, p.dtype)  # (T, I)
    D = p.num_directions
    h_rows, c_rows = initial_states(p, h0), initial_states(p, c0)
    layers, outputs = [], []
    below = x  # (T, I_k): what layer k reads
    for k in range(p.num_layers):
        i = k * D  # the row of layer k's first direction in h0 and c0
        dirs = None
        if D == 2 and p.hidden_size <= JOINT_MAX_UNITS:
            # Both directions in one serial chain; None when it overflowed (joint_directions.py).
            a, b = p.layer_params(k, 0), p.layer_params(k, 1)
            dirs = forward_both(a, b, below, (h_rows[i], h_rows[i + 1]), (c_rows[i], c_rows[i + 1]))
        if dirs is None:
            # The backward direction is a forward pass over the reversed sequence, copied:
            # np.dot on rows of negative stride is 1.6x slower (200 × 64, one BLAS thread).
            seqs = (below, np.ascontiguousarray(below[::-1])) if D == 2 else (below,)
            dirs = tuple(
                forward(p.layer_params(k, d), seqs[d], h_rows[i + d], c_rows[i + d])
                for d in range(D)
            )
        out = dirs[0].h if D == 1 else np.hstack([dirs[0].h, dirs[1].h[::-1]])  # (T, D*H)
        layers.append(tuple(dirs))
        outputs.append(out)
        below = out
    return finish_stack_trace(p, tokens, x, layers, outputs)


def finish_stack_trace(
    p: StackParams,
    tokens: np.ndarray | None,
    x: np.ndarray,
    layers: list[tuple[ForwardTrace, ...]],
    outputs: list[np.ndarray],
) -> StackTrace:
    """The readout over the top layer's outputs, the first blanked step, and the trace."""
    T = x.shape[0]
    with np.errstate(all="ignore"):
        y = np.dot(outputs[-1], p.W_hy.T)  # (T, O)
        y += p.b_y
    exploded_at = _first_blank_step(layers, T)
    bad_y = first_bad_row(y)
    if bad_y is not None:
        y[bad_y:] = 0.0
        exploded_at = bad_y + 1 if exploded_at is None else min(exploded_at, bad_y + 1)
    if exploded_at is not None:
        y[exploded_at - 1 :] = 0.0
    return StackTrace(p, tokens, x, tuple(layers), tuple(outputs), y, exploded_at)


def _first_blank_step(layers: list[tuple[ForwardTrace, ...]], T: int) -> int | None:
    """The first step (in step order) that some direction of some layer blanked, or None."""
    first = None
    for dirs in layers:
        for d, trace in enumerate(dirs):
            if trace.exploded_at is not None:
                # The backward direction blanked its steps from exploded_at on, in its order:
                # steps T − exploded_at + 1 down to 1.
                step = trace.exploded_at if d == 0 else 1
                first = step if first is None else min(first, step)
    return first
