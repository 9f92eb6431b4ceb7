"""The forward pass: every h_t (and c_t) and y_t, for one sequence or a batch of them.

One sequence (T, I) runs in single_forward.py, a batch (B, T, I) in batched.py (a batch of
one runs the single-sequence code). The trace type and the helpers are the single
sequence's, re-exported here where the rest of the code imports them from.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine.batched import forward_batch
from rnnviz.engine.params import Params
from rnnviz.engine.single_forward import (
    ForwardTrace,
    as_inputs,
    finish_trace,
    forward_single,
    initial_state,
)

__all__ = ["ForwardTrace", "as_inputs", "finish_trace", "forward", "initial_state"]


def forward(
    p: Params, x: np.ndarray | list, h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> ForwardTrace:
    """The forward pass over one sequence x (T, I), or over a batch (B, T, I) of sequences
    of equal length (h0, c0 then (H,) for every sequence, or (B, H))."""
    if np.ndim(x) == 3:
        return forward_batch(p, x, h0, c0)
    return forward_single(p, x, h0, c0)
