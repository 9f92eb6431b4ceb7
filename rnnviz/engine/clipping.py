"""Gradient-norm clipping, Pascanu, Mikolov & Bengio (2013), Algorithm 1."""

from __future__ import annotations

import numpy as np

from rnnviz.engine.numerics import global_norm


def clip_by_global_norm(
    grads: dict[str, np.ndarray], threshold: float | None, norm: float | None = None
) -> tuple[dict[str, np.ndarray], float, float]:
    """Rescale all gradients together when their global norm exceeds ``threshold``.

    Returns (clipped gradients, norm before, norm after). The direction of the whole
    gradient is kept; only its length is capped at the threshold. ``norm``: the gradients'
    global norm, when the caller has computed it already.
    """
    if threshold is not None and not threshold > 0:
        raise ValueError("the clipping threshold must be a positive number")
    before = global_norm(list(grads.values())) if norm is None else norm
    if threshold is None or before <= threshold:
        return dict(grads), before, before
    scale = threshold / before
    clipped = {k: g * scale for k, g in grads.items()}
    return clipped, before, global_norm(list(clipped.values()))
