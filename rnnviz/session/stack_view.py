"""What the window can show of a stack, until it draws depth: one unidirectional layer.

The window and its session hold single-layer ``Params``. A stack of unidirectional layers is
shown through its top layer: the layers below run once over the inputs, and their outputs
are the inputs the window feeds the top layer. Everything the window computes is then exact
for that layer — h_t, y_t, the loss, and dL/dh_t, which depends only on the readout and the
top layer's own recurrence — while the layers below are not drawn. An embedding is a lookup
before layer 0: its rows are the inputs. A bidirectional stack has no such view (its readout
mixes two directions), and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine import Params
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_params import StackParams

WHOLE = "the whole network"


@dataclass(frozen=True, eq=False)
class WindowView:
    """The single layer the window shows, the inputs to feed it, and that in words."""

    params: Params
    inputs: np.ndarray | None  # (T, I_top) or None: the window's own inputs
    shows: str


def window_view(model: Params | StackParams, inputs: np.ndarray | list | None) -> WindowView:
    """The window's view of ``model`` fed ``inputs`` (rows (T, I), or token ids with an
    embedding); ValueError for a bidirectional stack, or a stack whose inputs are missing."""
    if isinstance(model, Params):
        rows = None if inputs is None else np.asarray(inputs, dtype=float)
        return WindowView(model, rows, WHOLE)
    if model.bidirectional:
        raise ValueError(
            f"the window shows one direction of one layer; a {model.describe()} cannot be "
            "shown yet (rnnviz analyze writes every layer and direction)"
        )
    L = model.num_layers
    top = model.layer_params(L - 1, 0).with_arrays(W_hy=model.W_hy, b_y=model.b_y)
    if L == 1 and model.embedding is None:
        rows = None if inputs is None else np.asarray(inputs, dtype=float)
        return WindowView(top, rows, WHOLE)
    if inputs is None:
        what = "token ids" if model.embedding is not None else "input rows"
        raise ValueError(f"give the inputs ({what}) to show a {model.describe()}")
    trace = stack_forward(model, inputs)
    if L == 1:
        return WindowView(
            top, np.array(trace.x), f"{WHOLE}; its inputs are the tokens' embedding rows"
        )
    return WindowView(
        top,
        np.array(trace.outputs[L - 2]),  # (T, H) what the top layer reads
        f"layer {L} of {L} (the top); its inputs are the outputs of layer {L - 1}",
    )
