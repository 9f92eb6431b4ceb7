"""Cases whose answer is known in closed form: Jacobians of linear chains, clipping, spectra,
initialisers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.engine import (
    CELLS,
    INITS,
    Params,
    bptt,
    clip_by_global_norm,
    forward,
    init_params,
    orthogonal,
    recurrent_radius,
    sigma_max,
    spectral_radius,
    with_spectral_radius,
)


def vanilla(activation: str, W_hh: np.ndarray, I: int = 2, O: int = 2, seed: int = 0) -> Params:
    """A vanilla cell with the given W_hh, random input/readout weights and zero biases."""
    rng = np.random.default_rng(seed)
    H = W_hh.shape[0]
    return Params(
        "vanilla",
        activation,
        rng.standard_normal((H, I)),
        W_hh,
        np.zeros(H),
        np.zeros(H),
        rng.standard_normal((O, H)),
        np.zeros(O),
    )


def jacobian_norms_of(p: Params, x: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
    T = x.shape[0]
    result = bptt(forward(p, x, h0), np.zeros((T, p.output_size)), jacobians=True)
    assert result.jacobian_overflow_at is None
    return result.jacobian_norm


@pytest.mark.parametrize("rho", [0.5, 0.9, 1.0, 1.1])
def test_linear_orthogonal_chain_has_jacobian_norm_rho_to_the_distance(rho: float) -> None:
    H, T = 6, 40
    p = vanilla("linear", rho * orthogonal(H, np.random.default_rng(1)))
    x = np.random.default_rng(2).standard_normal((T, 2))
    # ∂h_T/∂h_t = (ρQ)^(T−t), and every power of an orthogonal Q has norm 1.
    expected = rho ** (T - np.arange(1, T + 1))
    np.testing.assert_allclose(jacobian_norms_of(p, x), expected, rtol=1e-10)


@pytest.mark.parametrize("rho", [0.5, 0.9, 1.0, 1.1])
def test_tanh_chain_at_rest_is_the_linear_chain(rho: float) -> None:
    H, T = 6, 40
    p = vanilla("tanh", rho * orthogonal(H, np.random.default_rng(3)))
    # Zero inputs, zero biases and h_0 = 0 keep every h_t = 0, where tanh'(0) = 1.
    trace_norms = jacobian_norms_of(p, np.zeros((T, 2)))
    np.testing.assert_allclose(trace_norms, rho ** (T - np.arange(1, T + 1)), rtol=1e-10)


@settings(max_examples=20, deadline=None)
@given(
    H=st.integers(1, 8),
    T=st.integers(1, 30),
    rho=st.floats(0.3, 2.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_tanh_jacobian_is_bounded_by_sigma_max_powers(
    H: int, T: int, rho: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    p = init_params("vanilla", 3, H, 2, rng, spectral_radius=rho)
    x = 2.0 * rng.standard_normal((T, 3))
    # ‖∏ diag(1 − h_s²) W‖ ≤ ∏ ‖W‖ because every tanh' lies in (0, 1].
    bound = sigma_max(p.W_hh) ** (T - np.arange(1, T + 1))
    norms = jacobian_norms_of(p, x, rng.standard_normal(H))
    assert np.all(norms <= bound * (1.0 + 1e-12))


def test_clip_by_global_norm_rescales_to_the_threshold() -> None:
    clipped, before, after = clip_by_global_norm({"g": np.array([3.0, 4.0])}, 2.0)
    np.testing.assert_allclose(clipped["g"], [1.2, 1.6], rtol=1e-15)
    assert before == pytest.approx(5.0, rel=1e-15)
    assert after == pytest.approx(2.0, rel=1e-15)
    unchanged, before, after = clip_by_global_norm({"g": np.array([3.0, 4.0])}, 5.0)
    np.testing.assert_array_equal(unchanged["g"], [3.0, 4.0])
    assert before == after == pytest.approx(5.0, rel=1e-15)
    with pytest.raises(ValueError):
        clip_by_global_norm({"g": np.array([3.0, 4.0])}, 0.0)


def test_bptt_reports_the_norm_before_and_after_clipping() -> None:
    # Every weight 0, x = 0 and h_0 = 0 make y = 0 and h = 0, so the only nonzero gradient
    # is dL/db_y = y − target (MSE over 2 outputs: 2·diff/2) = (3, 4), of norm 5.
    zeros = Params(
        "vanilla",
        "tanh",
        np.zeros((1, 1)),
        np.zeros((1, 1)),
        np.zeros(1),
        np.zeros(1),
        np.zeros((2, 1)),
        np.zeros(2),
    )
    trace = forward(zeros, np.zeros((1, 1)))
    result = bptt(trace, np.array([[-3.0, -4.0]]), clip=2.0)
    assert result.grad_norm_before_clip == pytest.approx(5.0, rel=1e-15)
    assert result.grad_norm_after_clip == pytest.approx(2.0, rel=1e-15)
    assert result.clipped
    np.testing.assert_allclose(result.grads["b_y"], [1.2, 1.6], rtol=1e-15)
    for name in ("W_ih", "W_hh", "b_ih", "b_hh", "W_hy"):
        assert not result.grads[name].any()


@pytest.mark.parametrize("target", [0.25, 1.0, 2.5])
@pytest.mark.parametrize("cell", CELLS)
def test_with_spectral_radius_hits_the_target(cell: str, target: float) -> None:
    p = with_spectral_radius(init_params(cell, 2, 7, 2, np.random.default_rng(4)), target)
    for gate in range(p.n_gates):
        assert spectral_radius(p.recurrent_block(gate)) == pytest.approx(target, rel=1e-10)
    assert recurrent_radius(p) == pytest.approx(target, rel=1e-10)


@pytest.mark.parametrize("scheme", INITS)
@pytest.mark.parametrize("cell", CELLS)
def test_init_is_a_function_of_the_seed(cell: str, scheme: str) -> None:
    def make(seed: int) -> dict[str, np.ndarray]:
        return init_params(cell, 3, 5, 2, np.random.default_rng(seed), scheme=scheme).arrays()

    first, again, other = make(7), make(7), make(8)
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
    # Zero biases and the identity's W_hh are the same for every seed; random weights are not.
    random_names = ("W_ih", "W_hy") if scheme == "identity" else ("W_ih", "W_hh", "W_hy")
    for name in random_names:
        assert not np.array_equal(first[name], other[name]), name


@pytest.mark.parametrize("gain", [0.7, 1.0, 1.3])
@pytest.mark.parametrize("cell", CELLS)
def test_orthogonal_init_has_every_singular_value_equal_to_the_gain(cell: str, gain: float) -> None:
    p = init_params(cell, 3, 6, 2, np.random.default_rng(5), scheme="orthogonal", gain=gain)
    for gate in range(p.n_gates):
        sv = np.linalg.svd(p.recurrent_block(gate), compute_uv=False)
        np.testing.assert_allclose(sv, gain, rtol=1e-12)


@pytest.mark.parametrize("gain", [0.5, 1.0])
@pytest.mark.parametrize("cell", CELLS)
def test_identity_init_is_gain_times_identity(cell: str, gain: float) -> None:
    p = init_params(cell, 3, 6, 2, np.random.default_rng(6), scheme="identity", gain=gain)
    for gate in range(p.n_gates):
        np.testing.assert_array_equal(p.recurrent_block(gate), gain * np.eye(6))
