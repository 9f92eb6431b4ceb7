"""The tuned engine against the textbook one (rnnviz.engine.reference), to 1e-12.

Both compute the same numbers in a different order, so they agree to rounding: every array
is compared entry by entry to 1e-12 relative, or 1e-12 of the array's largest entry for
entries far smaller than the rest (a relative error there is only rounding next to them).
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import ACTIVATIONS, LOSS_AT, LOSSES, Params, bptt, forward, init_params
from rnnviz.engine.reference import bptt_reference

TOL = 1e-12
CELL_CONFIGS = [("vanilla", a) for a in ACTIVATIONS] + [("lstm", "tanh"), ("gru", "tanh")]
# (I, H, O, T): H = 8 with I = 1 folds the input into the recurrent product (see fold_width);
# T = 1 has no recurrence; T = 23 runs a chain long enough for rounding to build up.
SIZES = [(1, 8, 3, 13), (3, 4, 2, 9), (2, 5, 4, 23), (2, 3, 2, 1)]
TRUNCATIONS = [None, 1, 4]


def assert_equal_to_rounding(name: str, got: np.ndarray, want: np.ndarray) -> None:
    scale = float(np.max(np.abs(want))) if np.size(want) else 0.0
    np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL * scale, err_msg=name)


def problem(
    cell: str, activation: str, loss: str, size: tuple[int, int, int, int], seed: int
) -> tuple[Params, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    I, H, O, T = size
    rng = np.random.default_rng(seed)
    # ρ = 1.1: the chain neither dies out nor blows up over T steps, so every step counts.
    p = init_params(cell, I, H, O, rng, spectral_radius=1.1, activation=activation)
    x = rng.standard_normal((T, I))  # (T, I)
    targets = rng.standard_normal((T, O)) if loss == "mse" else rng.integers(0, O, T)
    h0 = 0.5 * rng.standard_normal(H)  # (H,)
    c0 = 0.5 * rng.standard_normal(H) if cell == "lstm" else None
    return p, x, targets, h0, c0


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("truncate", TRUNCATIONS)
@pytest.mark.parametrize("loss_at", LOSS_AT)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(("cell", "activation"), CELL_CONFIGS)
def test_tuned_bptt_equals_the_reference(
    cell: str,
    activation: str,
    loss: str,
    loss_at: str,
    truncate: int | None,
    size: tuple[int, int, int, int],
    seed: int,
) -> None:
    p, x, targets, h0, c0 = problem(cell, activation, loss, size, seed)
    trace = forward(p, x, h0, c0)
    got = bptt(trace, targets, loss, loss_at, truncate=truncate)
    want = bptt_reference(p, x, targets, loss, loss_at, truncate, h0=h0, c0=c0)

    assert_equal_to_rounding("h", trace.h, want.h)
    assert_equal_to_rounding("y", trace.y, want.y)
    assert got.loss == pytest.approx(want.loss, rel=TOL, abs=0.0)
    assert_equal_to_rounding("dy", got.dy, want.dy)
    assert got.grads.keys() == want.grads.keys()
    for name, g in want.grads.items():
        assert_equal_to_rounding(name, got.grads[name], g)
    assert_equal_to_rounding("dL_dh", got.dL_dh, want.dL_dh)
    assert_equal_to_rounding("dL_dh_norm", got.dL_dh_norm, np.linalg.norm(want.dL_dh, axis=1))
    assert_equal_to_rounding("dW_hh_contrib", got.dW_hh_contrib, want.dW_hh_contrib)
    if cell == "lstm":
        assert_equal_to_rounding("dL_dc_norm", got.dL_dc_norm, np.linalg.norm(want.dL_dc, axis=1))
    else:
        assert got.dL_dc_norm is None and want.dL_dc is None
    assert got.grad_norm_before_clip == pytest.approx(want.grad_norm, rel=TOL, abs=0.0)
    assert got.exploded_at is None and got.valid.all()


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("truncate", TRUNCATIONS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(("cell", "activation"), CELL_CONFIGS)
def test_clipping_equals_the_reference(
    cell: str, activation: str, loss: str, truncate: int | None, seed: int
) -> None:
    # The engine clips the parameter gradients only: the per-step quantities stay the real,
    # unclipped ones, which the reference computes before its clipping line.
    p, x, targets, h0, c0 = problem(cell, activation, loss, (2, 5, 3, 11), seed)
    trace = forward(p, x, h0, c0)
    norm = bptt_reference(p, x, targets, loss, "all", truncate, h0=h0, c0=c0).grad_norm
    for clip in (0.5 * norm, 2.0 * norm):  # clipped, and a threshold it stays under
        got = bptt(trace, targets, loss, "all", truncate=truncate, clip=clip)
        want = bptt_reference(p, x, targets, loss, "all", truncate, clip, h0=h0, c0=c0)
        for name, g in want.grads.items():
            assert_equal_to_rounding(name, got.grads[name], g)
        assert_equal_to_rounding("dL_dh", got.dL_dh, want.dL_dh)
        assert got.grad_norm_before_clip == pytest.approx(norm, rel=TOL, abs=0.0)
        assert got.grad_norm_after_clip == pytest.approx(min(clip, norm), rel=TOL, abs=0.0)
        assert got.clipped == (clip < norm)
