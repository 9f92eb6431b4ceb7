"""Every vector the equations panel prints equals the formula printed with it.

For every cell, at random steps, with full and truncated BPTT: each term is recomputed from
its printed formula with the textbook engine (rnnviz/engine/reference.py), and each
equation's result is the sum (or the product) its text says.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import ACTIVATIONS, bptt, forward, init_params
from rnnviz.engine.params import Params
from rnnviz.engine.reference import CELLS, DF, F, bptt_reference, sigmoid
from rnnviz.session.explain import Equation, backward_equations, forward_equations

KINDS = [("vanilla", a) for a in ACTIVATIONS] + [("lstm", "tanh"), ("gru", "tanh")]
T = 12


def network(cell: str, activation: str, seed: int) -> tuple[Params, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = init_params(cell, 2, 3, 2, rng, activation=activation, gate_bias=1.0)
    return p, rng.standard_normal((T, 2)), rng.standard_normal((T, 2))


def textbook_steps(p: Params, x: np.ndarray) -> tuple[dict, dict, dict]:
    """h, c and the step caches of reference.py, keyed by 1-based step (0: the start)."""
    step = CELLS[p.cell][0]
    H = p.hidden_size
    hs, cs, caches = {0: np.zeros(H)}, {0: np.zeros(H) if p.cell == "lstm" else None}, {}
    for t in range(1, len(x) + 1):
        hs[t], cs[t], caches[t] = step(p, x[t - 1], hs[t - 1], cs[t - 1])
    return hs, cs, caches


def by_symbol(eq: Equation) -> dict[str, np.ndarray]:
    return {term.symbol: term.values for term in eq.terms}


def check_forward(p: Params, x: np.ndarray, hs: dict, cs: dict, caches: dict, t: int) -> None:
    update, readout = forward_equations(forward(p, x), t)
    y = by_symbol(readout)
    assert readout.text == f"y_{t} = W_hy h_{t} + b_y"
    np.testing.assert_allclose(y[f"W_hy h_{t}"], p.W_hy @ hs[t], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(y[f"y_{t}"], y[f"W_hy h_{t}"] + y["b_y"], rtol=1e-12, atol=1e-14)
    u, H = by_symbol(update), p.hidden_size
    if p.cell == "vanilla":
        W_hh_h, W_xh_x = u[f"W_hh h_{t - 1}"], u[f"W_xh x_{t}"]
        np.testing.assert_allclose(W_hh_h, p.W_hh @ hs[t - 1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(W_xh_x, p.W_ih @ x[t - 1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(u["b"], p.b_ih + p.b_hh, rtol=1e-12)
        a = W_hh_h + W_xh_x + u["b"]  # (H,) the printed sum
        np.testing.assert_allclose(u[f"a_{t}"], a, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(u[f"h_{t}"], F[p.activation](a), rtol=1e-12, atol=1e-14)
    elif p.cell == "lstm":
        assert update.text == f"c_{t} = f ⊙ c_{t - 1} + i ⊙ g,  h_{t} = o ⊙ tanh(c_{t})"
        a = p.W_ih @ x[t - 1] + p.b_ih + p.W_hh @ hs[t - 1] + p.b_hh  # (4H,)
        i, f, g, o = (u[f"{n}_{t}"] for n in "ifgo")
        np.testing.assert_allclose(
            np.concatenate([i, f, o]), sigmoid(a[[*range(2 * H), *range(3 * H, 4 * H)]]), rtol=1e-12
        )
        np.testing.assert_allclose(g, np.tanh(a[2 * H : 3 * H]), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(u[f"c_{t}"], f * cs[t - 1] + i * g, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(u[f"h_{t}"], o * np.tanh(u[f"c_{t}"]), rtol=1e-12, atol=1e-14)
    else:
        assert update.text == f"h_{t} = (1 − z) ⊙ n + z ⊙ h_{t - 1}"
        r, z, n = (u[f"{k}_{t}"] for k in "rzn")
        np.testing.assert_allclose(
            np.concatenate([r, z, n]), np.concatenate(caches[t][:3]), rtol=1e-12
        )
        np.testing.assert_allclose(u[f"h_{t}"], (1 - z) * n + z * hs[t - 1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("cell", "activation"), KINDS)
@pytest.mark.parametrize("truncate", [None, 5])
def test_every_printed_vector_equals_its_printed_formula(
    cell: str, activation: str, truncate: int | None
) -> None:
    p, x, targets = network(cell, activation, seed=len(cell) + len(activation))
    trace = forward(p, x)
    result = bptt(trace, targets, truncate=truncate)
    ref = bptt_reference(p, x, targets, truncation=truncate)
    hs, cs, caches = textbook_steps(p, x)
    delta = {t: ref.dL_dh[t - 1] for t in range(1, T + 1)}  # δ_t, textbook
    dc = {t: ref.dL_dc[t - 1] for t in range(1, T + 1)} if cell == "lstm" else {}
    cut = {T} | ({t for t in range(1, T) if (T - t) % truncate == 0} if truncate else set())
    steps = np.random.default_rng(7).choice(np.arange(1, T + 1), size=6, replace=False)
    for t in [*steps.tolist(), T, *cut]:
        check_forward(p, x, hs, cs, caches, t)
        eqs = backward_equations(trace, result, t, truncate)
        b = by_symbol(eqs[0])
        direct = b[f"W_hyᵀ ∂L/∂y_{t}"]
        np.testing.assert_allclose(direct, p.W_hy.T @ ref.dy[t - 1], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(b[f"δ_{t}"], delta[t], rtol=1e-9, atol=1e-13)
        if t in cut:
            assert eqs[0].text.startswith(f"δ_{t} = W_hyᵀ ∂L/∂y_{t}   (")
            np.testing.assert_allclose(b[f"δ_{t}"], direct, rtol=1e-12, atol=1e-14)
            back = None
        elif cell == "vanilla":
            a_next, h_next = caches[t + 1]
            local = b[f"f'(a_{t + 1}) ⊙ δ_{t + 1}"]
            np.testing.assert_allclose(
                local, DF[activation](a_next, h_next) * delta[t + 1], rtol=1e-9, atol=1e-13
            )
            back = b["W_hhᵀ(…)"]
            np.testing.assert_allclose(back, p.W_hh.T @ local, rtol=1e-12, atol=1e-14)
        elif cell == "lstm":
            assert eqs[0].text.startswith(f"δ_{t} = W_hyᵀ ∂L/∂y_{t} + W_hhᵀ ∂L/∂a_{t + 1}   (")
            # The textbook backward step at t+1, fed δ_{t+1} and what reaches c_{t+1} from c_{t+2}.
            beyond = dc[t + 2] * caches[t + 2][1] if t + 2 <= T and t + 1 not in cut else 0 * dc[1]
            step_back = CELLS["lstm"][1](p, caches[t + 1], delta[t + 1], beyond)
            back = b[f"W_hhᵀ ∂L/∂a_{t + 1}"]
            np.testing.assert_allclose(back, step_back.dh_prev, rtol=1e-9, atol=1e-13)
        else:
            back = b[f"(∂h_{t + 1}/∂h_{t})ᵀ δ_{t + 1}"]
            step_back = CELLS["gru"][1](p, caches[t + 1], delta[t + 1])
            np.testing.assert_allclose(back, step_back.dh_prev, rtol=1e-9, atol=1e-13)
        if back is not None:  # δ_t is the printed sum
            np.testing.assert_allclose(b[f"δ_{t}"], direct + back, rtol=1e-9, atol=1e-13)
        if cell != "lstm":
            assert len(eqs) == 1
            continue
        c = by_symbol(eqs[1])
        o = caches[t][3]
        through_h = c[f"δ_{t} ⊙ o_{t} ⊙ (1 − tanh² c_{t})"]
        np.testing.assert_allclose(
            through_h, delta[t] * o * (1 - np.tanh(cs[t]) ** 2), rtol=1e-9, atol=1e-13
        )
        total = c[f"∂L/∂c_{t}"]
        np.testing.assert_allclose(total, dc[t], rtol=1e-9, atol=1e-13)
        if t in cut:
            assert eqs[1].text == f"∂L/∂c_{t} = δ_{t} ⊙ o_{t} ⊙ (1 − tanh² c_{t})"
            np.testing.assert_allclose(total, through_h, rtol=1e-12, atol=1e-14)
        else:
            assert eqs[1].text.endswith(f" + ∂L/∂c_{t + 1} ⊙ f_{t + 1}")
            carried = c[f"∂L/∂c_{t + 1} ⊙ f_{t + 1}"]
            np.testing.assert_allclose(carried, dc[t + 1] * caches[t + 1][1], rtol=1e-9, atol=1e-13)
            np.testing.assert_allclose(total, through_h + carried, rtol=1e-9, atol=1e-13)
