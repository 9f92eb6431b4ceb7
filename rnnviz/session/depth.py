"""One direction of one layer of a stack, as the single-layer types every panel reads.

The panels show a single layer: ``Params``, a ``ForwardTrace`` and a ``BPTTResult``. For a
stack, they show the focused layer k, direction d, in step order (row t-1 is step t, also for
the backward direction, which ran over the steps from the last one down):

- its weights, with the readout's columns that read it (zeros below the top layer, which
  the readout does not read), so that ``output_size`` stays the network's;
- its inputs x (the layer below's outputs), its h_t (and c_t), and the network's y_t;
- its total dL/dh_t from the stack's backward pass: through time and through the layers
  above.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from rnnviz.engine import BPTTResult, ForwardTrace, Params
from rnnviz.engine.stack import StackTrace
from rnnviz.engine.stack_bptt import StackBPTTResult
from rnnviz.engine.stack_params import (
    READOUT_BIAS,
    READOUT_WEIGHT,
    RNN_PREFIX,
    Layer,
    StackParams,
    recurrent_key,
)

_FIELDS = ("W_ih", "W_hh", "b_ih", "b_hh")


def focused_params(stack: StackParams, layer: int, direction: int) -> Params:
    """Layer ``layer``, direction ``direction`` with its share of the readout."""
    H, top = stack.hidden_size, layer == stack.num_layers - 1
    W_hy = (
        stack.W_hy[:, direction * H : (direction + 1) * H]  # (O, H)
        if top
        else np.zeros((stack.output_size, H), dtype=stack.dtype)  # (O, H)
    )
    return stack.layer_params(layer, direction).with_arrays(
        W_hy=np.ascontiguousarray(W_hy), b_y=stack.b_y
    )


def focused_trace(st: StackTrace, layer: int, direction: int, params: Params) -> ForwardTrace:
    """The trace of one direction of one layer in step order, with the network's y_t."""
    lt = st.layers[layer][direction]
    if direction == 0:
        return ForwardTrace(params, lt.x, lt.h_all, lt.c_all, lt.cache, st.y, st.exploded_at)
    # Row 0 stays the state the direction starts from (after the last step).
    h_all = np.concatenate([lt.h_all[:1], lt.h[::-1]])  # (T+1, H)
    c_all = None if lt.c_all is None else np.concatenate([lt.c_all[:1], lt.c_all[1:][::-1]])
    x = np.ascontiguousarray(lt.x[::-1])  # (T, I_k)
    cache = np.ascontiguousarray(lt.cache[::-1])  # (T, K)
    return ForwardTrace(params, x, h_all, c_all, cache, st.y, st.exploded_at)


def focused_gradients(
    g: StackBPTTResult, stack: StackParams, layer: int, direction: int
) -> BPTTResult:
    """The stack's backward pass as seen from one direction of one layer."""
    H, top = stack.hidden_size, layer == stack.num_layers - 1
    dW_hy = g.grads[READOUT_WEIGHT]  # (O, D*H)
    grads = {f: g.grads[RNN_PREFIX + recurrent_key(f, layer, direction)] for f in _FIELDS}
    grads["W_hy"] = (
        dW_hy[:, direction * H : (direction + 1) * H]
        if top
        else np.zeros((stack.output_size, H), dtype=stack.dtype)
    )
    grads["b_y"] = g.grads[READOUT_BIAS]
    d = g.layers[layer][direction]
    return BPTTResult(
        loss=g.loss,
        dy=g.dy,
        grads=grads,
        dL_dh=d.dL_dh,
        dL_dh_norm=d.dL_dh_norm,
        dL_dc_norm=d.dL_dc_norm,
        dW_hh_contrib=d.dW_hh_contrib,
        jacobian_norm=d.jacobian_norm,
        jacobian_overflow_at=d.jacobian_overflow_at,
        state_jacobian_norm=None,
        grad_norm_before_clip=g.grad_norm_before_clip,
        grad_norm_after_clip=g.grad_norm_after_clip,
        exploded_at=g.exploded_at,
        exploded_in=g.exploded_in,
        valid=g.valid,
    )


def one_layer_trace(trace: ForwardTrace, stack: StackParams) -> StackTrace:
    """A one-layer unidirectional network's trace as a stack's (no recomputation)."""
    T, dt = trace.T, trace.h_all.dtype
    layer = ForwardTrace(
        stack.layer_params(0, 0),
        trace.x,
        trace.h_all,
        trace.c_all,
        trace.cache,
        np.zeros((T, 0), dtype=dt),  # (T, 0): the layer itself reads nothing out
        trace.exploded_at,
    )
    return StackTrace(stack, None, trace.x, ((layer,),), (trace.h,), trace.y, trace.exploded_at)


def map_layers(stack: StackParams, change: Callable[[int, int, Params], Params]) -> StackParams:
    """The stack with ``change(layer, direction, Params) -> Params`` applied to every
    direction of every layer (its recurrent arrays; the readout stays)."""
    layers = tuple(
        tuple(_layer(change(k, d, stack.layer_params(k, d))) for d in range(stack.num_directions))
        for k in range(stack.num_layers)
    )
    return replace(stack, layers=layers)


def _layer(p: Params) -> Layer:
    return Layer(p.W_ih, p.W_hh, p.b_ih, p.b_hh)
