"""The gradient lab's engine pieces: gates, saturation, Jacobians, sweep, gradient check."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import (
    CELLS,
    bptt,
    forward,
    init_params,
    jacobian_norms,
    orthogonal,
    with_spectral_radius,
)
from rnnviz.engine.activations import sigmoid
from rnnviz.engine.gates import (
    SATURATED_BELOW,
    TANH_C,
    gate_activations,
    mean_gate,
    relative_slopes,
)
from rnnviz.engine.gradcheck import gradient_check
from rnnviz.engine.jacobian import jacobian_between, step_jacobians
from rnnviz.engine.jacobian_map import jacobian_map_steps, jacobian_norm_matrix
from rnnviz.engine.params import Params
from rnnviz.engine.sweep import radius_sweep, radius_sweep_steps


def linear_rnn(rho: float, H: int = 6, seed: int = 0) -> Params:
    rng = np.random.default_rng(seed)
    p = init_params("vanilla", 1, H, 1, rng, activation="linear")
    return p.with_arrays(W_hh=rho * orthogonal(H, rng))


def fd_state_jacobian(p: Params, x: np.ndarray, k: int, t: int, eps: float = 1e-6) -> np.ndarray:
    """∂h_t/∂h_k by central differences: restart the forward pass from a perturbed h_k."""
    H = p.hidden_size
    base = forward(p, x[:k])
    h_k = base.h_all[-1]
    c_k = None if base.c_all is None else base.c_all[-1]
    J = np.empty((H, H))
    for j in range(H):
        ends = []
        for sign in (1.0, -1.0):
            h = h_k.copy()
            h[j] += sign * eps
            ends.append(forward(p, x[k:t], h0=h, c0=c_k).h_all[-1])
        J[:, j] = (ends[0] - ends[1]) / (2 * eps)
    return J


@pytest.mark.parametrize("cell", CELLS)
def test_jacobian_between_matches_finite_differences(cell: str) -> None:
    rng = np.random.default_rng(3)
    p = init_params(cell, 2, 5, 2, rng)
    x = rng.standard_normal((8, 2))
    trace = forward(p, x)
    np.testing.assert_allclose(
        jacobian_between(trace, 2, 7), fd_state_jacobian(p, x, 2, 7), atol=1e-8
    )


def test_the_lstm_jacobian_of_the_whole_state_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    p = init_params("lstm", 2, 4, 2, rng)
    x = rng.standard_normal((8, 2))
    trace = forward(p, x)
    base = forward(p, x[:2])
    h_k, c_k = base.h_all[-1], base.c_all[-1]
    eps, H = 1e-6, p.hidden_size
    J = np.empty((H, 2 * H))  # ∂h_7/∂(h_2, c_2) by central differences
    for j in range(2 * H):
        ends = []
        for sign in (1.0, -1.0):
            state = np.concatenate([h_k, c_k])
            state[j] += sign * eps
            ends.append(forward(p, x[2:7], h0=state[:H], c0=state[H:]).h_all[-1])
        J[:, j] = (ends[0] - ends[1]) / (2 * eps)
    np.testing.assert_allclose(jacobian_between(trace, 2, 7, include_cell_state=True), J, atol=1e-8)
    M = jacobian_norm_matrix(trace, include_cell_state=True)
    # The last row is what the regime badge reads: ‖∂h_T/∂(h_t, c_t)‖₂.
    np.testing.assert_allclose(M[-1], jacobian_norms(trace, include_cell_state=True)[0])
    np.testing.assert_allclose(np.diag(M), 1.0, rtol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_norm_matrix_agrees_with_the_bptt_jacobian_norms(cell: str) -> None:
    rng = np.random.default_rng(4)
    p = init_params(cell, 1, 4, 1, rng)
    trace = forward(p, rng.standard_normal((10, 1)))
    M = jacobian_norm_matrix(trace)
    np.testing.assert_allclose(M[-1], jacobian_norms(trace)[0], rtol=1e-10)
    np.testing.assert_allclose(np.diag(M), 1.0, rtol=1e-12)
    assert np.all(np.triu(M, 1) == 0)
    sv = np.linalg.svd(jacobian_between(trace, 3, 8), compute_uv=False)
    assert M[7, 2] == pytest.approx(sv[0], rel=1e-10)


def test_norm_matrix_of_a_linear_rnn_is_rho_to_the_distance() -> None:
    rho, T = 0.8, 12
    trace = forward(linear_rnn(rho), np.zeros((T, 1)))
    M = jacobian_norm_matrix(trace)
    t, k = np.indices((T, T))
    want = np.where(k <= t, rho ** (t - k).clip(0), 0.0)
    np.testing.assert_allclose(M, want, rtol=1e-10, atol=0)


def test_long_computations_report_progress_and_can_stop_early() -> None:
    trace = forward(linear_rnn(0.9), np.zeros((6, 1)))
    steps = jacobian_map_steps(trace)
    assert [next(steps), next(steps)] == [(1, 21), (3, 21)]  # pairs k ≤ t done, of 6 · 7 / 2
    steps.close()  # a cancelled worker simply stops iterating
    assert step_jacobians(trace).shape == (6, 6, 6)
    # The sweep computes its ρ in groups (one shared product per step) and reports each group.
    rhos = np.linspace(0.5, 1.5, 41)
    sweep = radius_sweep_steps(linear_rnn(1.0), np.zeros((4, 1)), np.ones((4, 1)), rhos)
    assert list(sweep) == [(21, 41), (41, 41)]


def test_lstm_gates_are_the_cells_own_activations() -> None:
    rng = np.random.default_rng(5)
    p = init_params("lstm", 2, 3, 1, rng)
    x = rng.standard_normal((4, 2))
    trace = forward(p, x)
    a = x[0] @ p.W_ih.T + p.b_ih + p.b_hh  # h_0 = 0: no recurrent term at step 1
    np.testing.assert_allclose(gate_activations(trace)["f"][0], sigmoid(a[3:6]), atol=1e-15)
    np.testing.assert_allclose(mean_gate(trace, "f"), gate_activations(trace)["f"].mean(1))
    with pytest.raises(ValueError, match="no gate"):
        mean_gate(trace, "z")


def vanilla_trace(activation: str, seed: int = 6, rho: float = 3.0):
    rng = np.random.default_rng(seed)
    p = init_params(
        "vanilla", 1, 50, 1, rng, scheme="normal", spectral_radius=rho, activation=activation
    )
    return forward(p, 3 * rng.standard_normal((20, 1)))


def pre_activations(trace) -> np.ndarray:
    """a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh of a vanilla trace, recomputed: (T, H)."""
    p = trace.params
    return trace.x @ p.W_ih.T + p.b_ih + trace.h_all[:-1] @ p.W_hh.T + p.b_hh


def test_vanilla_slopes_are_the_derivative_over_its_maximum() -> None:
    tanh = vanilla_trace("tanh")
    (slope,) = relative_slopes(tanh).values()
    np.testing.assert_allclose(slope, 1 - tanh.h**2, atol=1e-15)
    # Strong weights drive tanh into saturation: 1 − h² < 0.1 exactly where |h| > √0.9.
    assert (slope < SATURATED_BELOW)[5:].mean() > 0.3
    np.testing.assert_array_equal(slope < SATURATED_BELOW, np.abs(tanh.h) > np.sqrt(0.9))
    sig = vanilla_trace("sigmoid")
    np.testing.assert_allclose(relative_slopes(sig)["h"], sig.h * (1 - sig.h) / 0.25)
    assert relative_slopes(sig)["h"].max() <= 1.0
    lin = vanilla_trace("linear", rho=0.9)
    np.testing.assert_array_equal(relative_slopes(lin)["h"], 1.0)


def test_a_relu_unit_is_saturated_exactly_when_it_is_dead() -> None:
    trace = vanilla_trace("relu", rho=1.0)
    dead = pre_activations(trace) <= 0  # (T, H) measured from the weights, not from h
    assert 0.2 < dead.mean() < 0.8
    np.testing.assert_array_equal(relative_slopes(trace)["h"] < SATURATED_BELOW, dead)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_slopes_cover_every_gate_and_tanh_c(cell: str) -> None:
    rng = np.random.default_rng(5)
    p = init_params(cell, 2, 4, 1, rng, spectral_radius=2.0)
    trace = forward(p, 2 * rng.standard_normal((12, 2)))
    slopes, gates = relative_slopes(trace), gate_activations(trace)
    want = {"lstm": ("i", "f", "g", "o", TANH_C), "gru": ("r", "z", "n")}[cell]
    assert tuple(slopes) == want
    for name, a in gates.items():
        # Sigmoid gates: σ(1 − σ) over its maximum 1/4; tanh ones (g, n): 1 − a².
        expected = 1 - a**2 if name in ("g", "n") else 4 * a * (1 - a)
        np.testing.assert_allclose(slopes[name], expected, atol=1e-15)
    if cell == "lstm":
        np.testing.assert_allclose(slopes[TANH_C], 1 - np.tanh(trace.c) ** 2, atol=1e-15)


def saturated_gate_network(cell: str, bias: float = 8.0) -> Params:
    """A gated cell whose carry gate (LSTM f, GRU z) is pinned near 1 by its bias."""
    p = init_params(cell, 1, 6, 1, np.random.default_rng(2))
    H = p.hidden_size
    b_hh = p.b_hh.copy()
    b_hh[H : 2 * H] += bias  # row block 1: the LSTM's f, the GRU's z
    return p.with_arrays(b_hh=b_hh)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_saturated_gates_do_not_stop_the_gradient_along_the_carry_path(cell: str) -> None:
    """What the saturation caption says of gated cells: c (LSTM) and the z path (GRU) pass no
    nonlinearity, so a saturated carry gate keeps the gradient instead of killing it."""
    p = saturated_gate_network(cell)
    trace = forward(p, np.random.default_rng(3).standard_normal((30, 1)))
    carry = relative_slopes(trace)["f" if cell == "lstm" else "z"]  # (T, H)
    assert (carry < SATURATED_BELOW).all()  # every carry gate is saturated at every step
    J = step_jacobians(trace)  # (T, S, S)
    P = np.eye(J.shape[1])
    for s in range(1, trace.T):
        P = J[s] @ P
    H = p.hidden_size
    carried = P[H:, H:] if cell == "lstm" else P[:H, :H]  # ∂c_T/∂c_1 or ∂h_T/∂h_1
    # 29 steps back the gradient keeps most of its size: no vanishing through these gates.
    assert np.linalg.norm(carried, 2) > 0.9


def test_sweep_of_a_linear_rnn_decays_as_rho_to_the_distance() -> None:
    T = 15
    p = linear_rnn(1.0, seed=2)
    rhos = np.array([0.5, 0.9, 1.0, 1.2])
    x = np.zeros((T, 1))
    targets = np.ones((T, 1))
    norms, valid = radius_sweep(p, x, targets, rhos, loss_at="last")
    assert valid.all()
    k = np.arange(T - 1, -1, -1)  # T − t
    for r, rho in enumerate(rhos):
        np.testing.assert_allclose(norms[r], norms[r, -1] * rho**k, rtol=1e-10)


def test_gradient_check_agrees_to_one_in_a_million() -> None:
    rng = np.random.default_rng(8)
    for cell in CELLS:
        p = init_params(cell, 2, 4, 3, rng)
        x = rng.standard_normal((6, 2))
        classes = rng.integers(0, 3, 6)
        check = gradient_check(p, x, classes, loss="xent", max_per_array=20)
        assert check.verdict == "agrees" and check.max_rel_error < 1e-6, (cell, check.arrays)
        assert check.checked == sum(min(a.size, 20) for a in p.arrays().values())


def test_gradient_check_sees_a_wrong_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    import rnnviz.engine.gradcheck as gc

    real = gc.bptt

    def off_by_a_bit(*args, **kwargs):
        result = real(*args, **kwargs)
        result.grads["W_hh"][0, 0] *= 1.01
        return result

    monkeypatch.setattr(gc, "bptt", off_by_a_bit)
    rng = np.random.default_rng(9)
    p = init_params("vanilla", 1, 3, 1, rng)
    x = rng.standard_normal((5, 1))
    check = gradient_check(p, x, rng.standard_normal((5, 1)), max_per_array=None)
    assert check.arrays["W_hh"].rel_error > 1e-4 and check.arrays["W_hh"].verdict == "disagrees"
    assert check.max_rel_error == check.arrays["W_hh"].rel_error and check.verdict == "disagrees"


@pytest.mark.parametrize("cell", CELLS)
def test_the_batched_sweep_is_bptt_at_each_rho(cell: str) -> None:
    """Every ρ of the sweep shares one product per step; each row must still be what BPTT
    gives on the network rescaled to that ρ alone, overflow included (relu at ρ = 40
    overflows within the 400 steps). Gated cells stop at ρ = 3: beyond, their state is
    chaotic and rounding (ρ·W₁ against W·ρ/ρ₀) grows to any size."""
    rng = np.random.default_rng(11)
    activation = "relu" if cell == "vanilla" else "tanh"
    p = init_params(cell, 1, 6, 1, rng, activation=activation)
    T = 400
    x, targets = rng.standard_normal((T, 1)), rng.standard_normal((T, 1))
    rhos = np.array([0.5, 0.9, 1.0, 1.3, 3.0] + ([40.0] if cell == "vanilla" else []))
    norms, valid = radius_sweep(p, x, targets, rhos, "mse", "all", 50)
    for r, rho in enumerate(rhos):
        alone = bptt(forward(with_spectral_radius(p, rho), x), targets, "mse", "all", 50)
        np.testing.assert_array_equal(valid[r], alone.valid)
        np.testing.assert_allclose(norms[r], alone.dL_dh_norm, rtol=1e-9, atol=1e-280)
    if cell == "vanilla":
        assert not valid[-1].all()  # the overflow case really was one
