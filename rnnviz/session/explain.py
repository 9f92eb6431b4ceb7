"""The numbers behind the equations panel: every term of a step's update, as vectors.

Views only format these; the arithmetic (which is RNN maths) happens here, on the
session's arrays, so the panel always agrees with the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine import BPTTResult, ForwardTrace
from rnnviz.engine.activations import derivative_from_output


@dataclass(frozen=True)
class Term:
    symbol: str  # as printed, e.g. "W_hh h_{t-1}"
    values: np.ndarray  # (n,)


@dataclass(frozen=True)
class Equation:
    text: str  # the equation with the step number filled in
    terms: tuple[Term, ...]  # its right-hand side pieces, then its result


ACTIVATION_SYMBOL = {"tanh": "tanh", "relu": "relu", "sigmoid": "σ", "linear": ""}


def forward_equations(trace: ForwardTrace, t: int) -> tuple[Equation, ...]:
    """The update and readout at step t (1-based), with the numbers that went in."""
    p = trace.params
    x, h_prev, h = trace.x[t - 1], trace.h_all[t - 1], trace.h_all[t]  # (I,), (H,), (H,)
    y = trace.y[t - 1]  # (O,)
    readout = Equation(
        f"y_{t} = W_hy h_{t} + b_y",
        (Term(f"W_hy h_{t}", p.W_hy @ h), Term("b_y", p.b_y), Term(f"y_{t}", y)),
    )
    if p.cell != "vanilla":
        return (_gated_update(trace, t), readout)
    f = ACTIVATION_SYMBOL[p.activation]
    rec, inp, bias = p.W_hh @ h_prev, p.W_ih @ x, p.b_ih + p.b_hh  # (H,) each
    inside = f"W_hh h_{t - 1} + W_xh x_{t} + b"
    update = Equation(
        f"h_{t} = {f}({inside})" if f else f"h_{t} = {inside}",
        (
            Term(f"x_{t}", x),
            Term(f"W_hh h_{t - 1}", rec),
            Term(f"W_xh x_{t}", inp),
            Term("b", bias),
            Term(f"a_{t}", rec + inp + bias),
            Term(f"h_{t}", h),
        ),
    )
    return (update, readout)


def _gated_update(trace: ForwardTrace, t: int) -> Equation:
    p, H = trace.params, trace.params.hidden_size
    row = trace.cache[t - 1]
    if p.cell == "lstm":
        c = trace.c_all
        names = ("i", "f", "g", "o")
        terms = [Term(f"{n}_{t}", row[k * H : (k + 1) * H]) for k, n in enumerate(names)]
        terms += [Term(f"c_{t}", c[t]), Term(f"h_{t}", trace.h_all[t])]
        return Equation(f"c_{t} = f ⊙ c_{t - 1} + i ⊙ g,  h_{t} = o ⊙ tanh(c_{t})", tuple(terms))
    names = ("r", "z", "n")
    terms = [Term(f"{n}_{t}", row[k * H : (k + 1) * H]) for k, n in enumerate(names)]
    terms.append(Term(f"h_{t}", trace.h_all[t]))
    return Equation(f"h_{t} = (1 − z) ⊙ n + z ⊙ h_{t - 1}", tuple(terms))


def backward_equation(trace: ForwardTrace, result: BPTTResult, t: int) -> Equation:
    """δ_t = dL/dh_t split into y_t's own pull and what flows back from step t+1."""
    p, T = trace.params, trace.T
    direct = p.W_hy.T @ result.dy[t - 1]  # (H,)
    delta = result.dL_dh[t - 1]  # (H,)
    terms = [Term(f"W_hyᵀ ∂L/∂y_{t}", direct)]
    if t < T and p.cell == "vanilla":
        gate = derivative_from_output(p.activation, trace.h_all[t + 1])  # (H,) f'(a_{t+1})
        local = gate * result.dL_dh[t]  # (H,)
        terms += [Term(f"f'(a_{t + 1}) ⊙ δ_{t + 1}", local), Term("W_hhᵀ(…)", delta - direct)]
        text = f"δ_{t} = W_hyᵀ ∂L/∂y_{t} + W_hhᵀ(f'(a_{t + 1}) ⊙ δ_{t + 1})"
        if p.activation == "tanh":
            text = f"δ_{t} = W_hyᵀ ∂L/∂y_{t} + W_hhᵀ((1 − h_{t + 1}²) ⊙ δ_{t + 1})"
    elif t < T:
        terms.append(Term(f"(∂h_{t + 1}/∂h_{t})ᵀ δ_{t + 1}", delta - direct))
        text = f"δ_{t} = W_hyᵀ ∂L/∂y_{t} + (∂h_{t + 1}/∂h_{t})ᵀ δ_{t + 1}"
    else:
        text = f"δ_{t} = W_hyᵀ ∂L/∂y_{t}   (the last step: nothing flows back into it)"
    terms.append(Term(f"δ_{t}", delta))
    return Equation(text, tuple(terms))


def format_vector(v: np.ndarray, max_items: int = 8, digits: int = 2) -> str:
    """[0.12, −0.50, …, 0.33] — whole for short vectors, abbreviated in the middle for long."""
    fmt = f"{{:.{digits}f}}"
    items = [fmt.format(float(a)).replace("-", "−") for a in v]
    if len(items) > max_items:
        half = max_items // 2
        items = [*items[:half], "…", *items[-half:]]
    return "[" + ", ".join(items) + "]"
