"""The T × T map of ‖∂h_t/∂h_k‖₂: every entry against the SVD of the product formed
independently (jacobian_between), the rows handed out in order, and products far beyond
the float range or far below it."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import CELLS, forward, init_params
from rnnviz.engine.jacobian import jacobian_between
from rnnviz.engine.jacobian_map import (
    METHOD,
    ROWS_PER_BLOCK,
    JacobianMap,
    jacobian_map_steps,
    jacobian_norm_matrix,
)
from rnnviz.engine.params import Params
from rnnviz.engine.progress import run_to_end

T_MORE_THAN_A_BLOCK = ROWS_PER_BLOCK + 9


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
    M = jacobian_norm_matrix(trace, include_cell_state)  # (T, T)
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
    trace = forward(p, rng.standard_normal((2 * ROWS_PER_BLOCK + 5, 1)))
    T = trace.T
    steps = jacobian_map_steps(trace)
    progress, snapshots = [], []
    while True:
        try:
            item = next(steps)
        except StopIteration as stop:
            final = stop.value
            break
        (snapshots if isinstance(item, JacobianMap) else progress).append(item)
    assert isinstance(final, JacobianMap) and final.complete and final.method == METHOD
    assert [s.rows for s in snapshots] == [ROWS_PER_BLOCK, 2 * ROWS_PER_BLOCK]
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
