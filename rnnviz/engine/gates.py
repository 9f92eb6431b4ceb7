"""Looking inside a forward trace: gate activations and saturation.

These make the mechanism visible: an LSTM's forget gate near 1 keeps the cell-state path
open; a tanh unit with |h| near 1 has a derivative near 0, so the gradient through it dies
even when σ_max(W_hh) > 1.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine.activations import derivative_from_output
from rnnviz.engine.forward import ForwardTrace
from rnnviz.engine.params import GATE_NAMES

SATURATED_ABOVE = 0.9


def gate_activations(trace: ForwardTrace) -> dict[str, np.ndarray]:
    """Each gate's activation per step, keyed by gate name: (T, H) each; empty for vanilla."""
    p = trace.params
    if p.cell == "vanilla":
        return {}
    H = p.hidden_size
    return {
        name: trace.cache[:, k * H : (k + 1) * H]  # (T, H)
        for k, name in enumerate(GATE_NAMES[p.cell])
    }


def mean_gate(trace: ForwardTrace, name: str) -> np.ndarray:
    """The mean over units of one gate per step, (T,): e.g. the LSTM's forget gate 'f'."""
    gates = gate_activations(trace)
    if name not in gates:
        raise ValueError(f"the {trace.params.cell} cell has no gate {name!r}")
    return gates[name].mean(axis=1)


def saturated_fraction(trace: ForwardTrace, threshold: float = SATURATED_ABOVE) -> np.ndarray:
    """The fraction of hidden units with |h_t| > threshold, per step: (T,)."""
    if trace.T == 0:
        return np.zeros(0)
    return (np.abs(trace.h) > threshold).mean(axis=1)


def activation_derivative(trace: ForwardTrace) -> np.ndarray:
    """The derivative of the cell's state nonlinearity at every step and unit: (T, H).

    Vanilla: f'(a_t) (1 − h² for tanh). LSTM: 1 − tanh²(c_t), the factor on the path
    through h_t = o ⊙ tanh(c_t). GRU: 1 − n_t², the factor through the candidate state.
    """
    p = trace.params
    if p.cell == "vanilla":
        return derivative_from_output(p.activation, trace.h)
    if p.cell == "lstm":
        tc = np.tanh(trace.c)  # (T, H)
        return 1.0 - tc * tc
    n = gate_activations(trace)["n"]  # (T, H)
    return 1.0 - n * n
