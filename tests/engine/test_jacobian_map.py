"""The T × T map of ‖∂h_t/∂h_k‖₂: every entry against the SVD of the product formed
independently (jacobian_between, or a plain chain of matrix products): exactly for small
networks, within 1 % where the norms are proved instead; the rows handed out in order; and
products far beyond the float range or far below it."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from rnnviz.engine import CELLS, forward, init_params
from rnnviz.engine.certified_norm import TOLERANCE
from rnnviz.engine.jacobian import jacobian_between, step_jacobians
from rnnviz.engine.jacobian_map import (
    EXACT_UP_TO,
    HELPER_AHEAD,
    HELPER_FROM_H,
    METHOD,
    JacobianMap,
    certified_method,
    jacobian_map_steps,
    jacobian_norm_matrix,
)
from rnnviz.engine.params import Params
from rnnviz.engine.progress import run_to_end

BLOCK = 16  # rows per block in these tests: several blocks at sizes an SVD per pair affords
T_MORE_THAN_A_BLOCK = BLOCK + 9
H_PROVED = 2 * EXACT_UP_TO  # the smallest networks whose norms are proved, not exact


def linear_rnn(rho: float, H: int = 3) -> Params:
    """h_t = ρ Q h_{t-1} with Q orthogonal: ‖∂h_t/∂h_k‖₂ = ρ^(t−k) exactly."""
    p = init_params("vanilla", 1, H, 1, np.random.default_rng(0), activation="linear")
    Q = np.linalg.qr(np.random.default_rng(1).standard_normal((H, H)))[0]  # (H, H)
    return p.with_arrays(W_hh=rho * Q)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("include_cell_state", [False, True])
def test_every_norm_is_the_svd_of_the_product(cell: str, include_cell_state: bool) -> None:
    rng = np.random.default_rng(7)
    p = init_params(cell, 2, 5, 1, rng, gain=1.1)
    trace = forward(p, rng.standard_normal((T_MORE_THAN_A_BLOCK, 2)))
    M = jacobian_norm_matrix(trace, include_cell_state, BLOCK)  # (T, T)
    T = trace.T
    for t in range(1, T + 1):
        for k in range(1, t + 1):
            P = jacobian_between(trace, k, t, include_cell_state=include_cell_state)
            want = np.linalg.svd(P, compute_uv=False)[0]
            assert M[t - 1, k - 1] == pytest.approx(want, rel=1e-10), (t, k)
    assert np.all(np.triu(M, 1) == 0)


def test_rows_arrive_in_order_block_by_block() -> None:
    rng = np.random.default_rng(8)
    p = init_params("gru", 1, 4, 1, rng)
    trace = forward(p, rng.standard_normal((2 * BLOCK + 5, 1)))
    T = trace.T
    steps = jacobian_map_steps(trace, rows_per_block=BLOCK)
    progress, snapshots = [], []
    while True:
        try:
            item = next(steps)
        except StopIteration as stop:
            final = stop.value
            break
        (snapshots if isinstance(item, JacobianMap) else progress).append(item)
    assert isinstance(final, JacobianMap) and final.complete and final.method == METHOD
    assert [s.rows for s in snapshots] == [BLOCK, 2 * BLOCK]
    for s in snapshots:
        np.testing.assert_array_equal(s.norms[: s.rows], final.norms[: s.rows])
        lower = np.tril(np.ones((T, T), dtype=bool))
        assert np.isnan(s.norms[s.rows :][lower[s.rows :]]).all()  # not computed yet
    done = [d for d, _ in progress]
    assert done == sorted(done) and progress[-1] == (T * (T + 1) // 2,) * 2


def test_products_beyond_the_float_range_are_inf_and_the_rest_exact() -> None:
    rho, T = 10.0, 330
    trace = forward(linear_rnn(rho), np.zeros((T, 1)))
    M = jacobian_norm_matrix(trace)
    t, k = np.indices((T, T))
    gap = t - k
    fits = (gap >= 0) & (gap <= 307)  # 10^307 < the largest float64 < 10^309
    np.testing.assert_allclose(M[fits], rho ** gap[fits].astype(float), rtol=1e-9)
    assert np.isinf(M[gap >= 309]).all()


def test_products_that_vanish_are_exact_down_to_the_flush_level_then_zero() -> None:
    rho, T = 0.05, 260
    trace = forward(linear_rnn(rho), np.zeros((T, 1)))
    M = jacobian_norm_matrix(trace)
    t, k = np.indices((T, T))
    gap = t - k
    above = (gap >= 0) & (gap <= 220)  # 0.05^220 ≈ 1e-286, above FLUSH_BELOW = 1e-290
    np.testing.assert_allclose(M[above], rho ** gap[above].astype(float), rtol=1e-9)
    assert np.all(M[gap >= 225] == 0)  # below 1e-290: flushed, like the BPTT chain


def test_the_map_of_a_run_to_the_end_is_the_last_snapshot_completed() -> None:
    trace = forward(linear_rnn(0.9), np.zeros((5, 1)))
    result = run_to_end(jacobian_map_steps(trace))
    assert result.rows == 5 and result.complete
    np.testing.assert_allclose(np.diag(result.norms), 1.0)


def relative_errors(M: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|M / want − 1| over the pairs k ≤ t whose exact norm is a positive float."""
    T = M.shape[0]
    pairs = np.tril(np.ones((T, T), dtype=bool)) & (want > 0) & np.isfinite(want)
    return np.abs(M[pairs] / want[pairs] - 1)


@pytest.mark.parametrize(
    ("cell", "activation", "rho", "include_cell_state"),
    [
        ("vanilla", "tanh", 0.9, False),
        ("vanilla", "tanh", 1.5, False),
        ("vanilla", "relu", 0.9, False),
        ("vanilla", "relu", 1.3, False),
        ("lstm", "tanh", 1.0, False),
        ("lstm", "tanh", 1.0, True),  # H × 2H products: the norm through the Gram matrix
        ("gru", "tanh", 1.0, False),
    ],
)
def test_proved_norms_are_within_one_percent_of_the_svd(
    cell: str, activation: str, rho: float, include_cell_state: bool
) -> None:
    rng = np.random.default_rng(11)
    p = init_params(cell, 2, H_PROVED, 1, rng, activation=activation, gain=rho)
    trace = forward(p, rng.standard_normal((T_MORE_THAN_A_BLOCK, 2)))
    result = run_to_end(jacobian_map_steps(trace, include_cell_state, rows_per_block=BLOCK))
    M, T = result.norms, trace.T
    want = np.zeros((T, T))
    for t in range(1, T + 1):
        for k in range(1, t + 1):
            P = jacobian_between(trace, k, t, include_cell_state=include_cell_state)
            want[t - 1, k - 1] = np.linalg.svd(P, compute_uv=False)[0]
    assert relative_errors(M, want).max() <= TOLERANCE
    np.testing.assert_array_equal(M[want == 0], 0.0)  # ReLU: dead products, and k > t
    assert result.method.startswith(f"certified to {TOLERANCE:.0%} (power iteration; ")


def test_proved_norms_hold_when_the_top_direction_changes_place() -> None:
    """Step Jacobians that stretch one direction, then another, in turns of 5 to 9 steps:
    the previous product's top direction (the warm start) is the wrong one after every
    turn, and the top singular values cross. Checked against the plain chain of products."""
    H, T = H_PROVED, 70
    rng = np.random.default_rng(5)
    Q = np.linalg.qr(rng.standard_normal((H, H)))[0]  # (H, H)
    steps = np.empty((T, H, H))  # (T, H, H) J[s] = ∂h_{s+1}/∂h_s
    turn, axis = 0, 0
    for s in range(T):
        if s == turn:
            turn, axis = s + int(rng.integers(5, 10)), int(rng.integers(H))
        stretch = np.full(H, 0.8)
        stretch[axis] = 1.25
        steps[s] = (Q * stretch) @ Q.T
    trace = SimpleNamespace(T=T, params=SimpleNamespace(hidden_size=H))
    M = run_to_end(jacobian_map_steps(trace, steps=steps)).norms
    want = np.eye(T)
    for t in range(1, T + 1):
        P = np.eye(H)  # (H, H) ∂h_t/∂h_k, k going back from t
        for k in range(t - 1, 0, -1):
            P = P @ steps[k]
            want[t - 1, k - 1] = np.linalg.svd(P, compute_uv=False)[0]
    assert relative_errors(M, want).max() <= TOLERANCE


@pytest.mark.parametrize(("activation", "rho"), [("tanh", 0.9), ("tanh", 1.5), ("relu", 1.2)])
def test_proved_norms_stay_within_one_percent_over_long_chains(activation: str, rho: float) -> None:
    """300 steps of float32 products (the map's) against float64 chains of the engine's
    step Jacobians: the rounding of the long products fits in what the proofs leave."""
    T, H = 300, H_PROVED
    rng = np.random.default_rng(12)
    p = init_params("vanilla", 1, H, 1, rng, activation=activation, gain=rho)
    trace = forward(p, np.sin(0.3 * np.arange(T))[:, None])
    steps = step_jacobians(trace)  # (T, H, H) J[s] = ∂h_{s+1}/∂h_s
    M = run_to_end(jacobian_map_steps(trace, steps=steps)).norms
    want = np.eye(T)  # 0 where the chain became exactly 0
    for t in range(2, T + 1):
        chain = np.empty((t - 1, H, H))  # ∂h_t/∂h_k for k = t−1, t−2, …, each scaled
        logs = np.empty(t - 1)  # (t−1,) the logarithms of the scales
        P, log_size, n = np.eye(H), 0.0, 0
        for k in range(t - 1, 0, -1):
            P = P @ steps[k]
            size = np.abs(P).max()
            if size == 0:
                break
            P /= size
            log_size += np.log(size)
            chain[n], logs[n], n = P, log_size, n + 1
        sv = np.linalg.svd(chain[:n], compute_uv=False)[:, 0]  # (n,)
        want[t - 1, t - 1 - np.arange(1, n + 1)] = sv * np.exp(logs[:n])
    assert relative_errors(M, want).max() <= TOLERANCE


def test_proved_norms_beyond_the_float_range_are_inf_and_below_it_zero() -> None:
    """W = ρQ, Q orthogonal: every singular value of a product is ρ^(t−k), all equal,
    so only the Cholesky test can prove them."""
    t, k = np.indices((330, 330))
    gap = t - k
    big = jacobian_norm_matrix(forward(linear_rnn(10.0, H_PROVED), np.zeros((330, 1))))
    fits = (gap >= 0) & (gap <= 307)
    np.testing.assert_allclose(big[fits], 10.0 ** gap[fits].astype(float), rtol=TOLERANCE)
    assert np.isinf(big[gap >= 309]).all()
    small = jacobian_norm_matrix(forward(linear_rnn(0.05, H_PROVED), np.zeros((260, 1))))
    t, k = np.indices((260, 260))
    gap = t - k
    above = (gap >= 0) & (gap <= 220)
    np.testing.assert_allclose(small[above], 0.05 ** gap[above].astype(float), rtol=TOLERANCE)
    assert np.all(small[gap >= 225] == 0)


def test_the_map_says_how_many_norms_were_exact() -> None:
    assert certified_method(1234) == "certified to 1% (power iteration; 1,234 exact)"


def helped(H: int) -> bool:
    """Whether a map of two blocks of rows of an H-unit network starts its helper thread."""
    trace = forward(linear_rnn(0.9, H), np.zeros((4 * BLOCK, 1)))
    steps = jacobian_map_steps(trace, rows_per_block=BLOCK)
    next(steps)
    running = any(t.name == "jacobian-map" for t in threading.enumerate())
    steps.close()
    return running


def test_only_networks_big_enough_for_blas_to_dominate_get_a_second_thread() -> None:
    assert helped(HELPER_FROM_H) and not helped(HELPER_FROM_H - 1)


def test_closing_the_map_early_stops_its_helper_thread() -> None:
    trace = forward(linear_rnn(0.9, HELPER_FROM_H), np.zeros((4 * BLOCK, 1)))
    steps = jacobian_map_steps(trace, rows_per_block=BLOCK)
    next(steps)
    assert any(t.name == "jacobian-map" for t in threading.enumerate())
    steps.close()  # a cancelled worker simply stops iterating
    assert not any(t.name == "jacobian-map" for t in threading.enumerate())


def test_a_map_no_longer_asked_for_more_keeps_no_core_busy() -> None:
    """Paused (or abandoned) between two yields, the helper thread takes at most
    HELPER_AHEAD more columns of at most BLOCK pairs each, then waits."""
    trace = forward(linear_rnn(0.9, HELPER_FROM_H), np.zeros((4 * BLOCK, 1)))
    steps = jacobian_map_steps(trace, rows_per_block=BLOCK)
    for _ in range(3):
        before, _total = next(steps)
    time.sleep(0.5)  # time enough for the helper to run through its blocks, were it free
    after, _total = next(steps)
    assert after - before <= (1 + HELPER_AHEAD + 1) * BLOCK
    steps.close()
