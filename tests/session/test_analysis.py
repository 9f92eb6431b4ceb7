"""The gradient panel's facts: the bound is never exceeded, the rate is the curve's exact
slope, and the regime is the same before and after the backward pass."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import bptt
from rnnviz.session import Session, SessionConfig, analysis


def random_session(rng: np.random.Generator, cell: str, activation: str) -> Session:
    T = int(rng.integers(2, 101))
    config = SessionConfig(
        cell=cell,
        activation=activation,
        hidden_size=int(rng.integers(2, 65)),
        spectral_radius=float(rng.uniform(0.3, 1.5)),
        init=str(rng.choice(["orthogonal", "normal", "pytorch"])),
        loss_at=str(rng.choice(["all", "last"])),
        preset=str(rng.choice(["sine", "random", "impulse", "square"])),
        sequence_length=T,
        seed=int(rng.integers(0, 10_000)),
    )
    s = Session(config)
    s.seek(T)
    return s


def test_a_drawn_bound_is_never_exceeded_by_its_curve() -> None:
    """360 random networks: every activation, loss at all steps or the last, ρ in
    [0.3, 1.5], H in 2..64, T in 2..100. The bound is drawn for the vanilla cell only."""
    rng = np.random.default_rng(7)
    kinds = [("vanilla", a) for a in ("tanh", "relu", "sigmoid", "linear")]
    kinds += [("lstm", "tanh"), ("gru", "tanh")]
    bounds = 0
    for k in range(360):
        cell, activation = kinds[k % len(kinds)]
        s = random_session(rng, cell, activation)
        reach = s.reach
        assert reach is not None
        if cell != "vanilla":
            assert reach.bound is None and reach.rate is None and reach.path is not None
            continue
        if reach.bound is None:  # only after an overflow of the last step's pass
            assert not reach.valid[-1]
            continue
        bounds += 1
        ok = reach.valid
        # Rounding: one relative ulp-scale error per step of the chain.
        slack = 1 + 1e-12 * s.t
        assert np.all(reach.last[ok] <= reach.bound[ok] * slack), (k, s.config)
        assert reach.bound[-1] == reach.last[-1]  # anchored at t = T of this curve
        c = 0.25 if activation == "sigmoid" else 1.0
        sigma = np.linalg.norm(s.params.W_hh, 2)
        k_back = np.arange(s.t - 1, -1, -1)
        np.testing.assert_allclose(reach.bound, reach.last[-1] * (c * sigma) ** k_back, rtol=1e-9)
    assert bounds >= 200


def test_without_the_bound_the_total_curve_exceeds_sigma_max_powers() -> None:
    """Why the bound sits on the last step's curve: at the defaults (loss on every step)
    the total gradient lies above σ_max^(T−t) scaled to its own last step."""
    s = Session()
    s.seek(20)
    g = s.run_backward()
    assert g is not None
    naive = g.dL_dh_norm[-1] * s.spectra.sigma_max ** np.arange(19, -1, -1)
    assert (g.dL_dh_norm[:-1] > naive[:-1]).sum() >= 10
    reach = s.reach
    assert reach is not None and reach.bound is not None
    assert np.all(reach.last <= reach.bound * (1 + 1e-12))


@pytest.mark.parametrize("seed", range(40))
def test_rate_is_the_exact_geometric_mean_of_the_curve(seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = random_session(rng, "vanilla", "tanh")
    c = s.config
    alone = bptt(s.trace, s.targets, loss=s.loss, loss_at="last").dL_dh_norm  # (T,)
    expected = (alone[0] / alone[-1]) ** (1 / (s.t - 1))
    regime = s.regime
    assert regime.rate == pytest.approx(expected, rel=1e-9)
    name = (
        "vanishing"
        if expected < analysis.VANISHING_BELOW
        else "exploding"
        if expected > analysis.EXPLODING_ABOVE
        else "near the edge"
    )
    assert regime.name == name and regime.text.startswith(name)
    assert f"×{expected:.3g} per step back" in regime.text
    assert c.loss_at in ("all", "last")


@pytest.mark.parametrize(
    ("cell", "rho"), [("gru", 1.3), ("lstm", 1.3), ("vanilla", 1.3), ("vanilla", 0.95)]
)
@pytest.mark.parametrize("loss_at", ["all", "last"])
def test_regime_is_the_same_before_and_after_the_backward_pass(
    cell: str, rho: float, loss_at: str
) -> None:
    config = SessionConfig(cell=cell, spectral_radius=rho, loss_at=loss_at, sequence_length=40)
    before = Session(config)
    before.seek(40)
    after = Session(config)
    after.seek(40)
    after.run_backward()
    assert before.gradients is None
    assert before.regime == after.regime
    assert before.regime.text


def test_truncation_measures_the_window_the_last_loss_reaches() -> None:
    s = Session(SessionConfig(truncate=5, sequence_length=20, spectral_radius=1.2))
    s.seek(20)
    reach = s.reach
    assert reach is not None and reach.first == 16
    assert np.all(reach.last[:15] == 0) and np.all(reach.last[15:] > 0)
    expected = (reach.last[15] / reach.last[19]) ** (1 / 4)
    assert s.regime.rate == pytest.approx(expected, rel=1e-12)
    # The bound and the rate are drawn only where the last step's loss reaches.
    assert reach.bound is not None and reach.rate is not None
    assert np.isnan(reach.bound[:15]).all() and np.isfinite(reach.bound[15:]).all()
    assert np.isnan(reach.rate[:15]).all() and np.all(reach.last[15:] <= reach.bound[15:])


def test_an_exploding_forward_pass_reads_exploding_before_and_after() -> None:
    config = SessionConfig(activation="linear", spectral_radius=3.0, init="orthogonal")
    s = Session(config)
    s.set_sequence(np.ones(800))
    s.seek(800)
    before = s.regime
    s.run_backward()
    assert before == s.regime and before.name == "exploding"
    assert "forward" in before.text


def test_no_regime_before_two_steps() -> None:
    s = Session()
    assert s.regime == analysis.NO_REGIME
    s.seek(1)
    assert s.regime.text == "" and s.regime.rate is None
