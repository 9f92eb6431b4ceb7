"""Looking inside a forward trace: gate activations and saturation.

These make the mechanism visible: an LSTM's forget gate near 1 keeps the cell-state path
open; a unit whose nonlinearity sits where its slope is flat passes almost no gradient
through that nonlinearity, even when σ_max(W_hh) > 1.

Saturation is one rule for every nonlinearity: its slope divided by the largest slope it can
have (1 for tanh, relu and linear, 1/4 for the sigmoid) is below ``SATURATED_BELOW``. So a
tanh unit is saturated when 1 − h² < 0.1 (|h| > 0.949), a sigmoid when σ′ < 0.025, a relu
when it is dead (slope 0), and a linear unit never.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine.activations import derivative_from_output
from rnnviz.engine.forward import ForwardTrace
from rnnviz.engine.params import GATE_NAMES

SATURATED_BELOW = 0.1  # a slope below this share of its nonlinearity's maximum is saturated
MAX_SLOPE: dict[str, float] = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0}
# Which nonlinearity makes each gate of the gated cells (PyTorch's LSTM and GRU).
GATE_ACTIVATION: dict[str, str] = {
    "i": "sigmoid",
    "f": "sigmoid",
    "g": "tanh",
    "o": "sigmoid",
    "r": "sigmoid",
    "z": "sigmoid",
    "n": "tanh",
}
TANH_C = "tanh c"  # the LSTM's output nonlinearity h = o ⊙ tanh(c), named as a slope group


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


def relative_slopes(trace: ForwardTrace) -> dict[str, np.ndarray]:
    """Every nonlinearity's slope over its largest possible slope, per step and unit, in 0..1.

    Keyed by what it is the slope of, in this order: vanilla "h" (f′(a_t)); LSTM "i", "f",
    "g", "o" and "tanh c"; GRU "r", "z", "n". Each array is (T, H).
    """
    p = trace.params
    if p.cell == "vanilla":
        slope = derivative_from_output(p.activation, trace.h)  # (T, H)
        return {"h": slope / MAX_SLOPE[p.activation]}
    out = {
        name: derivative_from_output(GATE_ACTIVATION[name], a) / MAX_SLOPE[GATE_ACTIVATION[name]]
        for name, a in gate_activations(trace).items()
    }
    if p.cell == "lstm":
        out[TANH_C] = derivative_from_output("tanh", np.tanh(trace.c))  # (T, H)
    return out


def share_saturated(slope: np.ndarray) -> np.ndarray:
    """Per step, the share of the slopes (T, K·H) below ``SATURATED_BELOW``: (T,)."""
    return (slope < SATURATED_BELOW).mean(axis=1)


def saturated_fraction(trace: ForwardTrace) -> np.ndarray:
    """Per step, the share of all the cell's nonlinearities that are saturated: (T,)."""
    slope = np.concatenate(list(relative_slopes(trace).values()), axis=1)  # (T, K*H)
    return share_saturated(slope)
