"""The last step's loss alone, and the gated cells' carry paths, computed independently."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import bptt, forward, init_params
from rnnviz.engine.reach import gate_path, last_step_gradient


def network(cell: str, T: int = 15, H: int = 6, seed: int = 0, activation: str = "tanh"):
    rng = np.random.default_rng(seed)
    p = init_params(cell, 2, H, 2, rng, scheme="normal", activation=activation)
    return forward(p, rng.standard_normal((T, 2))), rng.standard_normal((T, 2))


@pytest.mark.parametrize("cell", ["vanilla", "lstm", "gru"])
def test_last_step_curve_is_the_last_terms_gradient_and_meets_the_total_at_T(cell: str) -> None:
    trace, targets = network(cell)
    found = last_step_gradient(trace, targets, "mse", "all")
    # L = 1/(T·O) Σ_t Σ_o d²: the last step's term is 1/T of the mean over its outputs.
    alone = bptt(trace, targets, loss_at="last").dL_dh_norm / trace.T
    np.testing.assert_allclose(found.norm, alone, rtol=1e-12)
    total = bptt(trace, targets, loss_at="all").dL_dh_norm
    assert found.norm[-1] == pytest.approx(total[-1], rel=1e-12)
    # With the loss on the last step only, it is the total.
    only = last_step_gradient(trace, targets, "mse", "last").norm
    np.testing.assert_allclose(only, bptt(trace, targets, loss_at="last").dL_dh_norm, rtol=0)


def test_last_step_curve_by_finite_differences() -> None:
    """∂L_T/∂h_t by perturbing h_t and running the rest of the sequence forward."""
    trace, targets = network("vanilla", T=6, H=3, seed=4)
    p, T = trace.params, trace.T
    norm = last_step_gradient(trace, targets, "mse", "all").norm
    x = trace.x

    def last_term(h: np.ndarray, t: int) -> float:  # L_T's share of L, h_t given (0-based t)
        for s in range(t + 1, T):
            h = np.tanh(p.W_hh @ h + p.W_ih @ x[s] + p.b_ih + p.b_hh)
        y = p.W_hy @ h + p.b_y
        return float(np.sum((y - targets[-1]) ** 2) / (T * y.size))

    for t in range(T):
        h = trace.h[t]
        grad = np.array(
            [(last_term(h + e, t) - last_term(h - e, t)) / 2e-6 for e in np.eye(3) * 1e-6]
        )
        assert np.linalg.norm(grad) == pytest.approx(norm[t], rel=1e-6)


@pytest.mark.parametrize(("cell", "gate"), [("lstm", 1), ("gru", 1)])
def test_gate_path_is_the_mean_over_units_of_the_gate_product(cell: str, gate: int) -> None:
    trace, _ = network(cell, T=9, H=4, seed=2)
    H = trace.params.hidden_size
    g = trace.cache[:, gate * H : (gate + 1) * H]  # f (LSTM rows i, f, g, o) or z (r, z, n)
    expected = [np.mean(np.prod(g[t + 1 :], axis=0)) for t in range(trace.T)]
    np.testing.assert_allclose(gate_path(trace), expected, rtol=1e-12)
    assert gate_path(network("vanilla")[0]) is None
