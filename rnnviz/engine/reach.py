"""How far one error reaches back: the last step's loss alone, and the gated cells' carry paths.

The total ‖dL/dh_t‖ sums every later step's loss; how fast one error fades going back is
seen only in the gradient of a single loss, the last step's: ‖∂L_T/∂h_t‖. For the vanilla
cell h_{t+1} = f(W_hh h_t + …), so ∂h_{t+1}/∂h_t = diag(f′(a_{t+1})) W_hh and

    ‖∂L_T/∂h_t‖ ≤ ‖∂L_T/∂h_T‖ · (c · σ_max(W_hh))^(T−t),   c = max f′ (SLOPE_BOUND).

No such bound holds for the total gradient (the losses of later steps add to it) nor for a
gated cell (its Jacobian is not diag(·) W_hh); a gated cell's memory runs along the direct
path of its forget (LSTM) or update (GRU) gate instead (``gate_path``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine.bptt import bptt
from rnnviz.engine.forward import ForwardTrace
from rnnviz.engine.gates import gate_activations
from rnnviz.engine.losses import scored_steps

# The largest slope of each activation: sigmoid′ = h(1 − h) ≤ 1/4, relu′ ∈ {0, 1}.
SLOPE_BOUND: dict[str, float] = {"tanh": 1.0, "relu": 1.0, "linear": 1.0, "sigmoid": 0.25}
# The gate whose product is the direct path from h_t (or c_t) to step T.
CARRY_GATE: dict[str, str] = {"lstm": "f", "gru": "z"}


@dataclass(frozen=True, eq=False)
class LastStepGradient:
    norm: np.ndarray  # (T,) ‖∂L_T/∂h_t‖; 0 where not valid
    valid: np.ndarray  # (T,) bool: rows the backward pass computed before any overflow
    exploded_at: int | None  # as BPTTResult.exploded_at
    exploded_in: str | None  # "forward" | "backward" | None


def last_step_gradient(
    trace: ForwardTrace,
    targets: np.ndarray | list,
    loss: str = "mse",
    loss_at: str = "all",
    truncate: int | None = None,
) -> LastStepGradient:
    """‖∂L_T/∂h_t‖ for t = 1..T, where L_T is the last step's term of the loss L.

    The loss averages over its scored steps (like nn.MSELoss / nn.CrossEntropyLoss), so
    with ``loss_at="all"`` the last step's term is 1/T of the loss scored on the last step
    alone: the curve meets the total ‖dL/dh_T‖ at t = T, where no other loss reaches.
    """
    result = bptt(trace, targets, loss=loss, loss_at="last", truncate=truncate)
    share = 1.0 / scored_steps(trace.T, loss_at).size
    return LastStepGradient(
        result.dL_dh_norm * share, result.valid, result.exploded_at, result.exploded_in
    )


def gate_path(trace: ForwardTrace) -> np.ndarray | None:
    """The mean over units of ∏_{s=t+1..T} g_s for t = 1..T (1 at t = T), shape (T,).

    g is the LSTM's forget gate f (the path c_t → c_T) or the GRU's update gate z (the
    path h_t → h_T through h_s = (1 − z_s) n_s + z_s h_{s−1}): the part of the memory that
    is carried without passing through W_hh. None for the vanilla cell, or after a forward
    overflow (the gates are placeholders from there on).
    """
    gate = CARRY_GATE.get(trace.params.cell)
    if gate is None or trace.exploded_at is not None or trace.T == 0:
        return None
    g = gate_activations(trace)[gate].astype(np.float64)  # (T, H)
    products = np.ones_like(g)  # (T, H): row t−1 holds ∏_{s>t} g_s
    # Backwards cumulative product of rows T..2, then back in step order.
    products[:-1] = np.cumprod(g[:0:-1], axis=0)[::-1]
    return products.mean(axis=1)
