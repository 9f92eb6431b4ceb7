"""The numbers behind the equations panel: every term of a step's update, as vectors.

Views only format these; the arithmetic (which is RNN maths) happens here, on the
session's arrays, so the panel always agrees with the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine import BPTTResult, ForwardTrace, truncation_cuts
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


@dataclass(frozen=True)
class Place:
    """Which layer and direction of an (L, D) stack the trace is (0-based): (0, 0) of (1, 1)
    for a one-layer network. The backward direction's previous step is t+1; the readout
    alone pulls on a layer only when it is the top of a unidirectional stack."""

    layer: int = 0
    direction: int = 0
    layers: int = 1
    directions: int = 1

    @property
    def alone(self) -> bool:
        """Its equations are a single layer's: the readout reads it, and only it."""
        return self.layer == self.layers - 1 and self.directions == 1

    def before(self, t: int) -> int:
        """The step whose state step t's update reads: t − 1, or t + 1 going backward."""
        return t - 1 if self.direction == 0 else t + 1


ONE_LAYER = Place()


def forward_equations(
    trace: ForwardTrace, t: int, place: Place = ONE_LAYER
) -> tuple[Equation, ...]:
    """The update and readout at step t (1-based), with the numbers that went in.

    ``trace`` is in step order (a backward direction's too, see session/depth.py): its row
    0 of h_all is the state the direction starts from, before step 1 or after step T."""
    p = trace.params
    s = place.before(t)
    x, h_prev, h = trace.x[t - 1], _state(trace.h_all, s), trace.h_all[t]  # (I,), (H,), (H,)
    y = trace.y[t - 1]  # (O,)
    if place.alone:
        readout = Equation(
            f"y_{t} = W_hy h_{t} + b_y",
            (Term(f"W_hy h_{t}", p.W_hy @ h), Term("b_y", p.b_y), Term(f"y_{t}", y)),
        )
    else:
        # The readout reads the top layer (both directions), not this one: say so in the
        # equation itself, which stays on screen when a remark has no room.
        top = f"[h_{t} →; h_{t} ←]" if place.directions == 2 else f"h_{t}"
        readout = Equation(
            f"y_{t} = W_hy {top} of layer {place.layers} + b_y", (Term(f"y_{t}", y),)
        )
    if p.cell != "vanilla":
        return (_gated_update(trace, t, s), readout)
    f = ACTIVATION_SYMBOL[p.activation]
    rec, inp, bias = p.W_hh @ h_prev, p.W_ih @ x, p.b_ih + p.b_hh  # (H,) each
    inside = f"W_hh h_{s} + W_xh x_{t} + b"
    update = Equation(
        f"h_{t} = {f}({inside})" if f else f"h_{t} = {inside}",
        (
            Term(f"x_{t}", x),
            Term(f"W_hh h_{s}", rec),
            Term(f"W_xh x_{t}", inp),
            Term("b", bias),
            Term(f"a_{t}", rec + inp + bias),
            Term(f"h_{t}", h),
        ),
    )
    return (update, readout)


def _state(rows: np.ndarray, s: int) -> np.ndarray:
    """The state after step s of rows (T+1, H); s = 0 or T+1 is the starting state, row 0."""
    return rows[s if s < rows.shape[0] else 0]


def _gated_update(trace: ForwardTrace, t: int, s: int) -> Equation:
    """Step t's gates and state; s is the step whose state it reads (t − 1 or t + 1)."""
    p, H = trace.params, trace.params.hidden_size
    row = trace.cache[t - 1]
    if p.cell == "lstm":
        c = trace.c_all
        names = ("i", "f", "g", "o")
        terms = [Term(f"{n}_{t}", row[k * H : (k + 1) * H]) for k, n in enumerate(names)]
        terms += [Term(f"c_{t}", c[t]), Term(f"h_{t}", trace.h_all[t])]
        return Equation(f"c_{t} = f ⊙ c_{s} + i ⊙ g,  h_{t} = o ⊙ tanh(c_{t})", tuple(terms))
    names = ("r", "z", "n")
    terms = [Term(f"{n}_{t}", row[k * H : (k + 1) * H]) for k, n in enumerate(names)]
    terms.append(Term(f"h_{t}", trace.h_all[t]))
    return Equation(f"h_{t} = (1 − z) ⊙ n + z ⊙ h_{s}", tuple(terms))


def backward_equations(
    trace: ForwardTrace,
    result: BPTTResult,
    t: int,
    truncate: int | None = None,
    place: Place = ONE_LAYER,
) -> tuple[Equation, ...]:
    """δ_t = dL/dh_t split into y_t's own pull and what flows back from step t+1; for the
    LSTM also dL/dc_t. Each term is computed from the formula printed with it; the result
    is the engine's. ``truncate`` is the BPTT window (None: full BPTT).

    A layer of a stack that the readout does not read alone gets δ_t whole, with where it
    comes from in words: its split has terms no single-layer formula has."""
    if not place.alone:
        after = "t + 1" if place.direction == 0 else "t − 1"
        above = "the readout" if place.layer == place.layers - 1 else "the layer above"
        text = (
            f"δ_{t} = ∂L/∂h_{t}   (the whole gradient: back from step {after} of this "
            f"direction, and from {above} at step {t})"
        )
        return (Equation(text, (Term(f"δ_{t}", result.dL_dh[t - 1]),)),)
    p, T = trace.params, trace.T
    direct = p.W_hy.T @ result.dy[t - 1]  # (H,)
    delta = result.dL_dh[t - 1]  # (H,)
    cuts = truncation_cuts(T, truncate)  # (T,) cuts[t-1]: nothing flows from t+1 into t
    flows = t < T and not cuts[t - 1]
    terms = [Term(f"W_hyᵀ ∂L/∂y_{t}", direct)]
    nxt = result.dL_dh[t] if flows else None  # (H,) δ_{t+1}
    cell_grad = _cell_grads(trace, result, cuts, t) if p.cell == "lstm" else None
    if nxt is None:
        why = "the last step" if t == T else "truncated BPTT"
        text = f"δ_{t} = W_hyᵀ ∂L/∂y_{t}   ({why}: nothing flows back into it)"
    elif p.cell == "vanilla":
        local = derivative_from_output(p.activation, trace.h_all[t + 1]) * nxt  # (H,)
        terms += [Term(f"f'(a_{t + 1}) ⊙ δ_{t + 1}", local), Term("W_hhᵀ(…)", p.W_hh.T @ local)]
        text = f"δ_{t} = W_hyᵀ ∂L/∂y_{t} + W_hhᵀ(f'(a_{t + 1}) ⊙ δ_{t + 1})"
        if p.activation == "tanh":
            text = f"δ_{t} = W_hyᵀ ∂L/∂y_{t} + W_hhᵀ((1 − h_{t + 1}²) ⊙ δ_{t + 1})"
    elif p.cell == "lstm":
        da = _lstm_gate_grads(trace, t + 1, nxt, cell_grad[1])  # (4H,)
        terms.append(Term(f"W_hhᵀ ∂L/∂a_{t + 1}", p.W_hh.T @ da))
        text = (
            f"δ_{t} = W_hyᵀ ∂L/∂y_{t} + W_hhᵀ ∂L/∂a_{t + 1}   (a_{t + 1}: the pre-activations "
            f"of i, f, g, o; they carry δ_{t + 1} and ∂L/∂c_{t + 1} back to h_{t})"
        )
    else:
        terms.append(Term(f"(∂h_{t + 1}/∂h_{t})ᵀ δ_{t + 1}", _gru_back(trace, t + 1, nxt)))
        text = f"δ_{t} = W_hyᵀ ∂L/∂y_{t} + (∂h_{t + 1}/∂h_{t})ᵀ δ_{t + 1}"
    terms.append(Term(f"δ_{t}", delta))
    backward = Equation(text, tuple(terms))
    if cell_grad is None:
        return (backward,)
    return (backward, _cell_equation(trace, t, delta, cell_grad, flows))


def _cell_equation(
    trace: ForwardTrace,
    t: int,
    delta: np.ndarray,
    cell_grad: tuple[np.ndarray, np.ndarray | None],
    flows: bool,
) -> Equation:
    """dL/dc_t = δ_t ⊙ o_t ⊙ (1 − tanh² c_t) + dL/dc_{t+1} ⊙ f_{t+1}."""
    H = trace.params.hidden_size
    o, c = trace.cache[t - 1][3 * H : 4 * H], trace.c_all[t]  # (H,) each
    through_h = delta * o * (1.0 - np.tanh(c) ** 2)  # (H,)
    terms = [Term(f"δ_{t} ⊙ o_{t} ⊙ (1 − tanh² c_{t})", through_h)]
    text = f"∂L/∂c_{t} = δ_{t} ⊙ o_{t} ⊙ (1 − tanh² c_{t})"
    if flows:
        f_next = trace.cache[t][H : 2 * H]  # (H,) f_{t+1}
        terms.append(Term(f"∂L/∂c_{t + 1} ⊙ f_{t + 1}", cell_grad[1] * f_next))
        text += f" + ∂L/∂c_{t + 1} ⊙ f_{t + 1}"
    terms.append(Term(f"∂L/∂c_{t}", cell_grad[0]))
    return Equation(text, tuple(terms))


def _cell_grads(
    trace: ForwardTrace, result: BPTTResult, cuts: np.ndarray, t: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """(dL/dc_t, dL/dc_{t+1}) of the LSTM, from the engine's δ's: dL/dc_s = δ_s ⊙ o_s ⊙
    (1 − tanh² c_s) + dL/dc_{s+1} ⊙ f_{s+1}, run back from the end of t's BPTT window.
    dL/dc_{t+1} is None when nothing flows from step t+1 into step t."""
    H, T = trace.params.hidden_size, trace.T
    end = t
    while end < T and not cuts[end - 1]:
        end += 1  # the last step of t's window: nothing flows into it from after
    dc: np.ndarray | None = None  # (H,) dL/dc_s
    later: np.ndarray | None = None  # (H,) dL/dc_{s+1}
    for s in range(end, t - 1, -1):
        o, c = trace.cache[s - 1][3 * H : 4 * H], trace.c_all[s]  # (H,) each
        through_h = result.dL_dh[s - 1] * o * (1 - np.tanh(c) ** 2)  # (H,)
        later = dc
        dc = through_h if later is None else through_h + later * trace.cache[s][H : 2 * H]
    return dc, later


def _lstm_gate_grads(trace: ForwardTrace, s: int, delta: np.ndarray, dc: np.ndarray) -> np.ndarray:
    """dL/da_s for the LSTM's gate pre-activations a_s = (i, f, g, o), given δ_s and the
    total dL/dc_s: through c_s = f ⊙ c_{s−1} + i ⊙ g and h_s = o ⊙ tanh(c_s)."""
    H = trace.params.hidden_size
    i, f, g, o = (trace.cache[s - 1][k * H : (k + 1) * H] for k in range(4))  # (H,) each
    c_prev, tc = trace.c_all[s - 1], np.tanh(trace.c_all[s])  # (H,) each
    return np.concatenate(
        [
            dc * g * i * (1 - i),
            dc * c_prev * f * (1 - f),
            dc * i * (1 - g**2),
            delta * tc * o * (1 - o),
        ]
    )  # (4H,)


def _gru_back(trace: ForwardTrace, s: int, delta: np.ndarray) -> np.ndarray:
    """(∂h_s/∂h_{s−1})ᵀ δ_s for the GRU, h_s = (1 − z) ⊙ n + z ⊙ h_{s−1} with
    n = tanh(W_in x + b_in + r ⊙ (W_hn h_{s−1} + b_hn))."""
    p, H = trace.params, trace.params.hidden_size
    r, z, n, hn = (trace.cache[s - 1][k * H : (k + 1) * H] for k in range(4))  # (H,) each
    da_n = delta * (1 - z) * (1 - n**2)  # (H,) through n = tanh(·)
    da_r = da_n * hn * r * (1 - r)  # (H,)
    da_z = delta * (trace.h_all[s - 1] - n) * z * (1 - z)  # (H,)
    return p.W_hh.T @ np.concatenate([da_r, da_z, r * da_n]) + delta * z  # (H,)


def format_vector(v: np.ndarray, max_items: int = 8, digits: int = 2) -> str:
    """[0.12, −0.50, …, 0.33] — whole for short vectors, abbreviated in the middle for long."""
    fmt = f"{{:.{digits}f}}"
    items = [fmt.format(float(a)).replace("-", "−") for a in v]
    if len(items) > max_items:
        half = max_items // 2
        items = [*items[:half], "…", *items[-half:]]
    return "[" + ", ".join(items) + "]"
