"""The batch dimension's bookkeeping: a batch of one is the single-sequence pass, and each
sequence of a batch gets its own per-step quantities (the gradients are checked against
PyTorch and finite differences in test_engine_torch.py and test_engine_gradients.py)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import CELLS, bptt, forward, init_params


@pytest.mark.parametrize("cell", CELLS)
def test_a_batch_of_one_is_the_single_sequence_pass(cell: str) -> None:
    rng = np.random.default_rng(1)
    p = init_params(cell, 2, 8, 1, rng, spectral_radius=1.1)
    x, y = rng.standard_normal((30, 2)), rng.standard_normal((30, 1))
    one, batch = forward(p, x), forward(p, x[None])
    assert batch.batch == 1 and one.batch is None
    np.testing.assert_array_equal(batch.h[0], one.h)
    r1, rb = bptt(one, y, jacobians=True), bptt(batch, y[None], jacobians=True)
    assert rb.loss == r1.loss
    for name in r1.grads:
        np.testing.assert_array_equal(rb.grads[name], r1.grads[name])
    np.testing.assert_array_equal(rb.dL_dh_norm[0], r1.dL_dh_norm)
    np.testing.assert_array_equal(rb.jacobian_norm[0], r1.jacobian_norm)


@pytest.mark.parametrize("cell", CELLS)
def test_per_step_quantities_are_per_sequence(cell: str) -> None:
    """Sequence b's rows are those of b alone, times 1/B where they are gradients of the
    batch's mean loss; its Jacobian norms are its own."""
    rng = np.random.default_rng(2)
    B, T = 4, 25
    p = init_params(cell, 3, 6, 2, rng, spectral_radius=1.2)
    x, y = rng.standard_normal((B, T, 3)), rng.standard_normal((B, T, 2))
    trace = forward(p, x)
    result = bptt(trace, y, loss_at="last", truncate=7, jacobians=True)
    for b in range(B):
        alone = bptt(forward(p, x[b]), y[b], loss_at="last", truncate=7, jacobians=True)
        np.testing.assert_allclose(result.dL_dh_norm[b], alone.dL_dh_norm / B, rtol=1e-12)
        np.testing.assert_allclose(result.dW_hh_contrib[b], alone.dW_hh_contrib / B, rtol=1e-12)
        np.testing.assert_allclose(result.jacobian_norm[b], alone.jacobian_norm, rtol=1e-12)
        if alone.dL_dc_norm is not None:
            np.testing.assert_allclose(result.dL_dc_norm[b], alone.dL_dc_norm / B, rtol=1e-12)
            np.testing.assert_allclose(
                result.state_jacobian_norm[b], alone.state_jacobian_norm, rtol=1e-12
            )


def test_batch_inputs_and_targets_are_checked() -> None:
    p = init_params("vanilla", 2, 4, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="expected"):
        forward(p, np.zeros((3, 5, 1)))
    with pytest.raises(ValueError, match="initial states"):
        forward(p, np.zeros((3, 5, 2)), np.zeros((2, 4)))
    trace = forward(p, np.zeros((3, 5, 2)))
    with pytest.raises(ValueError, match="sequences"):
        bptt(trace, np.zeros((2, 5, 1)))
