"""Norms proved to within 1 %: against the SVD, from good and from adversarial start
vectors, for spectra that one direction dominates and spectra that crowd together."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.engine.certified_norm import TOLERANCE, WIDTH, certified_norms


def with_singular_values(sv: np.ndarray, W: int, rng: np.random.Generator) -> np.ndarray:
    """A random H × W matrix (H = len(sv)) with exactly these singular values."""
    H = sv.size
    U = np.linalg.qr(rng.standard_normal((H, H)))[0]  # (H, H)
    V = np.linalg.qr(rng.standard_normal((W, H)))[0]  # (W, H)
    return (U * sv) @ V.T


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def run(Y: np.ndarray, u: np.ndarray, easy: bool) -> tuple[np.ndarray, int]:
    return certified_norms(Y, u.copy(), np.full(Y.shape[0], easy))


def test_the_guarantee_follows_from_the_width() -> None:
    assert np.sqrt(1 + WIDTH) - 1 < TOLERANCE


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    H=st.integers(2, 24),
    wide=st.booleans(),
    decay=st.floats(0.0, 3.0),
    easy=st.booleans(),
)
def test_every_norm_is_within_the_tolerance(
    seed: int, H: int, wide: bool, decay: float, easy: bool
) -> None:
    """From random start vectors, whatever the spread of the singular values: crowded
    (decay 0: all equal) to dominated (decay 3: σ spread over a factor of up to e³)."""
    rng = np.random.default_rng(seed)
    W = 2 * H if wide else H
    sv = rng.uniform(0.1, 10) * np.exp(-decay * np.sort(rng.random(H)))  # (H,) descending
    Y = np.stack([with_singular_values(sv, W, rng) for _ in range(6)])
    u = unit(rng.standard_normal((6, H)))
    norms, exact = run(Y, u, easy)
    want = np.linalg.svd(Y, compute_uv=False)[:, 0]
    assert np.max(np.abs(norms / want - 1)) <= TOLERANCE
    assert 0 <= exact <= 6


def test_a_start_blind_to_the_top_direction_falls_back_to_the_exact_norm() -> None:
    """u ⟂ the top direction: power iteration never sees σ₁ = 3, finds 1, and no proof can
    hold (3 > 1 · (1 + WIDTH)), so the norm is computed exactly and counted."""
    H = 6
    Y = np.diag([3.0, 1.0, 1.0, 1.0, 1.0, 1.0])[None]  # (1, H, H)
    u = np.eye(H)[1:2]  # (1, H) e_2
    for easy in (True, False):
        norms, exact = run(Y, u, easy)
        assert norms[0] == pytest.approx(3.0, rel=1e-12) and exact == 1


def test_crowded_singular_values_are_proved_without_the_exact_norm() -> None:
    """σ all within 0.5 %: no trace test can tell σ₁ apart, the Cholesky test can."""
    rng = np.random.default_rng(3)
    H = 16
    sv = np.linspace(1.0, 0.995, H)
    Y = np.stack([with_singular_values(sv, H, rng) for _ in range(4)])
    norms, exact = run(Y, unit(rng.standard_normal((4, H))), easy=False)
    assert exact == 0
    assert np.max(np.abs(norms - 1.0)) <= TOLERANCE


def test_a_dominated_matrix_is_proved_from_traces_and_stays_easy() -> None:
    rng = np.random.default_rng(4)
    H = 12
    sv = 0.1 ** np.arange(H)  # σ₂/σ₁ = 0.1
    Y = with_singular_values(sv, H, rng)[None]
    u = np.linalg.svd(Y[0])[0][:, :1].T  # (1, H) the top left singular vector
    easy = np.array([True])
    norms, exact = certified_norms(Y, u, easy)
    assert easy[0] and exact == 0
    assert norms[0] == pytest.approx(1.0, rel=1e-6)


def test_zero_matrices_have_norm_zero() -> None:
    Y = np.zeros((2, 3, 3))
    Y[1, 0, 0] = 2.0
    norms, exact = run(Y, unit(np.ones((2, 3))), easy=True)
    assert norms[0] == 0.0 and norms[1] == pytest.approx(2.0, rel=TOLERANCE) and exact == 0
