"""Backpropagation through time, for one sequence or a batch of them.

A single-sequence trace runs in single_bptt.py (the textbook version of that loop is
reference.py), a batched one in batched.py. The result type and truncation_cuts are the
single sequence's, re-exported here where the rest of the code imports them from.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine.batched import bptt_batch
from rnnviz.engine.single_bptt import BPTTResult, bptt_single, truncation_cuts
from rnnviz.engine.single_forward import ForwardTrace

__all__ = ["BPTTResult", "bptt", "truncation_cuts"]


def bptt(
    trace: ForwardTrace,
    targets: np.ndarray | list,
    loss: str = "mse",
    loss_at: str = "all",
    truncate: int | None = None,
    clip: float | None = None,
    jacobians: bool = False,
) -> BPTTResult:
    """The gradient of the loss on ``trace``'s outputs for every weight, and for every h_t
    (see single_bptt.bptt_single; for a batched trace, batched.bptt_batch)."""
    if trace.batch is not None:
        return bptt_batch(trace, targets, loss, loss_at, truncate, clip, jacobians)
    return bptt_single(trace, targets, loss, loss_at, truncate, clip, jacobians)
