"""Stacks with some weights of one layer and direction replaced (the joint chains' tests
build overflowing and fading directions this way)."""

from __future__ import annotations

import numpy as np

from rnnviz.engine.stack_params import Layer, StackParams


def with_layer(p: StackParams, k: int, d: int, **arrays: np.ndarray) -> StackParams:
    """``p`` with some arrays of layer k, direction d replaced."""
    old = p.layers[k][d]
    new = Layer(**{f: arrays.get(f, getattr(old, f)) for f in ("W_ih", "W_hh", "b_ih", "b_hh")})
    layers = [list(dirs) for dirs in p.layers]
    layers[k][d] = new
    return StackParams(p.cell, p.activation, tuple(map(tuple, layers)), p.W_hy, p.b_y)
