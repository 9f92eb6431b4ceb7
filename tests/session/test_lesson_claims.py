"""Every measurable sentence of the built-in lessons, computed from the slide's own network.

Each slide is applied exactly as the app applies it (``apply_slide`` with a Lab and a
WindowState), and the numbers its caption or its lesson's summary states are recomputed from
the resulting session. What the words mean here:

- fades / almost nothing: the end value over the start value is below the stated share;
- "about ×r per step": the geometric-mean factor per step, within ±0.05 of r (or closer
  when the caption gives more digits);
- saturated: a nonlinearity's slope over its largest slope below 0.1 (``Lab.saturation``);
- explodes / grows: the regime badge says "exploding" (rate > 1.02 per step back);
- ‖∂L_T/∂h_t‖: ``Session.reach.last``, the gradient of the last step's loss, the curve the
  badge and the theory lines are about.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import bptt
from rnnviz.engine.gates import mean_gate
from rnnviz.resources import asset_path
from rnnviz.session import Session
from rnnviz.session.config import SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.session.lessons import Scenario, load_scenario
from rnnviz.session.player import apply_slide
from rnnviz.session.window_state import WindowState


def _lesson(name: str) -> Scenario:
    return load_scenario(asset_path("scenarios") / f"{name}.json")


def _play(name: str, k: int) -> tuple[Session, Lab]:
    """Slide k (1-based) of a built-in lesson, applied as the Lessons menu applies it."""
    session = Session()
    lab = Lab(session)
    apply_slide(session, _lesson(name).slides[k - 1], lab, WindowState())
    return session, lab


def _per_step(values: np.ndarray) -> float:
    """(values[−1] / values[0])^(1/(n−1)): the geometric-mean factor per step forward."""
    return float((values[-1] / values[0]) ** (1.0 / (values.size - 1)))


def _reach_ratio(session: Session) -> float:
    """‖∂L_T/∂h_1‖ / ‖∂L_T/∂h_T‖: how much of the last step's error reaches step 1."""
    last = session.reach.last
    return float(last[0] / last[-1])


# ---- recurrence ----------------------------------------------------------------------
def test_recurrence_starts_from_h0_zero() -> None:
    s, _ = _play("recurrence", 1)
    assert s.t == 0
    np.testing.assert_array_equal(s.trace.h_all[0], 0.0)


def test_recurrence_step_one_is_the_impulse_through_w_xh_with_no_bias() -> None:
    s, _ = _play("recurrence", 2)
    p = s.params
    assert s.t == 1 and s.sequence[0, 0] == 1.0
    # "here b = 0: this network has no biases"
    for b in (p.b_ih, p.b_hh, p.b_y):
        np.testing.assert_array_equal(b, 0.0)
    np.testing.assert_allclose(s.trace.h[0], np.tanh(p.W_ih @ s.sequence[0] + p.b_ih + p.b_hh))


def test_recurrence_state_keeps_changing_through_w_hh_alone() -> None:
    s, _ = _play("recurrence", 3)
    p, h = s.params, s.trace.h_all  # (T+1, H)
    assert s.t == 6
    np.testing.assert_array_equal(s.sequence[1:6], 0.0)  # the input is 0 from step 2
    for t in range(2, 7):
        np.testing.assert_allclose(h[t], np.tanh(p.W_hh @ h[t - 1]), atol=1e-15)
        assert np.abs(h[t] - h[t - 1]).max() > 0.01  # h keeps changing


def test_recurrence_echo_fades_by_about_0_9_per_step() -> None:
    s, _ = _play("recurrence", 4)
    assert s.spectra.rho == pytest.approx(0.9)
    norms = np.linalg.norm(s.trace.h, axis=1)  # (30,) ‖h_t‖
    assert s.t == 30
    # "shrinks by about ×0.9 per step": the geometric mean over the 29 steps (0.893) …
    assert _per_step(norms) == pytest.approx(0.9, abs=0.05)
    # … and no step makes the echo grow appreciably (the largest factor is 1.01).
    assert (norms[1:] / norms[:-1]).max() < 1.05
    # "to 4 % after 29 steps" (fades: below a tenth)
    assert norms[-1] / norms[0] == pytest.approx(0.04, abs=0.005)
    # the output fades with it: no bias holds y away from 0
    assert np.abs(s.trace.y[-1]).max() < 0.05


# ---- unrolling -----------------------------------------------------------------------
def test_unrolling_text_is_one_hot_and_y_scores_the_current_character() -> None:
    s, _ = _play("unrolling", 3)
    x = s.sequence  # (T, V)
    assert s.config.encoding == "text" and s.loss == "xent"
    assert s.t == len("hello world") and x.shape == (s.t, len(s.vocab))
    np.testing.assert_array_equal(x.sum(axis=1), 1.0)  # one-hot
    assert set(np.unique(x)) == {0.0, 1.0}
    assert s.trace.y.shape == (s.t, len(s.vocab))  # a score for every character
    # "the loss asks for the current one, x_t (target lag 0)"
    assert s.config.target_lag == 0
    np.testing.assert_array_equal(s.targets, np.argmax(x, axis=1))


def test_unrolling_bptt_reaches_from_the_last_step_down_to_h1() -> None:
    s, _ = _play("unrolling", 4)
    g = s.gradients
    assert g is not None and g.valid.all()
    assert np.isfinite(g.dL_dh_norm).all() and g.dL_dh_norm[0] > 0


# ---- vanishing -----------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2])
def test_vanishing_linear_decay_is_exactly_rho_to_the_t_minus_t(k: int) -> None:
    s, _ = _play("vanishing", k)
    r = s.reach
    assert s.config.activation == "linear" and s.spectra.rho == pytest.approx(0.8)
    # the summary and slide 2: "exactly ρ^(T−t) (the dashed theory line)"
    np.testing.assert_allclose(r.last, r.rate, rtol=1e-9)
    assert r.regime.name == "vanishing" and r.regime.rate == pytest.approx(0.8, abs=1e-9)


@pytest.mark.parametrize("k", [3, 4])
def test_vanishing_tanh_stays_under_the_sigma_max_bound(k: int) -> None:
    s, _ = _play("vanishing", k)
    r = s.reach
    # the summary: "with tanh it is at most σ_max^(T−t)"
    assert r.slope_bound == 1.0 and s.spectra.sigma_max == pytest.approx(0.9)
    assert (r.last <= r.bound * (1 + 1e-12)).all()


def test_vanishing_saturated_units_cut_the_gradient_further() -> None:
    s, lab = _play("vanishing", 3)
    assert np.abs(s.sequence).max() == 4.0  # "inputs ±4"
    sat = lab.saturation()
    # "slope 1 − h² < 0.1 for up to a quarter of them"
    assert sat.threshold == 0.1
    assert sat.fraction.max() == pytest.approx(0.25)
    assert sat.fraction.mean() > 0.1
    # "the gradient shrinks ×0.56 per step, far faster than ρ" (= 0.9)
    assert s.reach.regime.rate == pytest.approx(0.56, abs=0.01)
    assert s.reach.regime.rate < 0.9 - 0.3


def test_vanishing_almost_nothing_reaches_the_first_steps() -> None:
    s, _ = _play("vanishing", 4)
    assert s.t == 40
    assert _reach_ratio(s) < 1e-9  # "under 10⁻⁹ of it"
    assert s.regime.name == "vanishing"


# ---- exploding -----------------------------------------------------------------------
def test_exploding_linear_grows_by_1_2_per_step() -> None:
    s, _ = _play("exploding", 1)
    r = s.reach
    assert r.regime.name == "exploding" and r.regime.rate == pytest.approx(1.2, abs=1e-9)
    # every step, not only on average (the summary: "grows like ρ^(T−t)")
    np.testing.assert_allclose(r.last[:-1] / r.last[1:], 1.2, rtol=1e-9)
    np.testing.assert_allclose(r.last, r.rate, rtol=1e-9)


def test_exploding_over_40_steps_is_a_factor_of_about_1200() -> None:
    s, _ = _play("exploding", 2)
    assert s.t == 40
    assert abs(1.2**39 - 1200) < 0.03 * 1200  # "1.2³⁹ ≈ 1,200"
    assert _reach_ratio(s) == pytest.approx(1.2**39, rel=1e-9)


def test_exploding_clipping_rescales_the_gradient_to_theta_keeping_its_direction() -> None:
    s, _ = _play("exploding", 3)
    g = s.gradients
    assert s.config.clip == 1.0 and g.clipped
    assert g.grad_norm_before_clip > 1.0
    assert g.grad_norm_after_clip == pytest.approx(1.0)
    c = s.config
    raw = bptt(s.trace, s.targets, s.loss, c.loss_at, truncate=c.truncate)  # not clipped
    flat = np.concatenate([g.grads[k].ravel() for k in sorted(g.grads)])
    flat_raw = np.concatenate([raw.grads[k].ravel() for k in sorted(raw.grads)])
    np.testing.assert_allclose(flat, flat_raw / np.linalg.norm(flat_raw), rtol=1e-9, atol=1e-15)
    # "per-step norms are shown before clipping"
    np.testing.assert_allclose(g.dL_dh_norm, raw.dL_dh_norm)


def test_exploding_tanh_still_grows_but_far_slower_than_rho() -> None:
    s, lab = _play("exploding", 4)
    r = s.reach
    assert s.config.activation == "tanh" and s.spectra.rho == pytest.approx(1.5)
    assert np.abs(s.trace.h).max() < 1.0  # "tanh bounds h"
    # "it still grows, ×1.11 per step (×20 over 29 steps)"
    assert r.regime.name == "exploding"
    assert r.regime.rate == pytest.approx(1.11, abs=0.005)
    assert _reach_ratio(s) == pytest.approx(20, abs=1)
    # "far less than ρ = 1.5 per step: tanh's slopes, all below 1, damp it"
    assert r.regime.rate < 1.5 - 0.3
    assert lab.saturation().slope.mean() < 0.7
    # the summary: σ_max > 1 is needed (here σ_max = ρ), and the bound holds
    assert s.spectra.sigma_max == pytest.approx(1.5)
    assert (r.last <= r.bound * (1 + 1e-12)).all()


# ---- gating --------------------------------------------------------------------------
def test_gating_vanilla_fades_to_about_1e_minus_5() -> None:
    s, _ = _play("gating", 1)
    assert s.t == 60 and s.config.loss_at == "last"
    assert 1e-6 < _reach_ratio(s) < 1e-4


def test_gating_lstm_forget_gate_starts_open_and_fades_far_more_slowly() -> None:
    s, _ = _play("gating", 2)
    vanilla, _ = _play("gating", 1)
    f = mean_gate(s.trace, "f")  # (T,)
    assert f[0] == pytest.approx(0.95, abs=0.005)  # "f ≈ 0.95" (σ(3) = 0.953)
    assert ((f > 0.9) & (f < 1.0)).all()
    # "fades far more slowly": more than 100× as much reaches t = 1 (165× here)
    assert _reach_ratio(s) > 100 * _reach_ratio(vanilla)


def test_gating_gru_fades_slowly_about_0_97_per_step() -> None:
    s, _ = _play("gating", 3)
    z = mean_gate(s.trace, "z")  # (T,)
    assert ((z > 0.93) & (z < 0.97)).all()  # "z ≈ 0.95"
    assert s.reach.regime.rate == pytest.approx(0.97, abs=0.005)  # "×0.97 per step"
    assert _reach_ratio(s) == pytest.approx(0.2, abs=0.03)  # "a fifth left after 59 steps"


def test_gating_side_by_side_vanilla_vanishes_gated_cells_keep_it() -> None:
    _, lab = _play("gating", 4)
    first = {c: cv.dL_dh_norm[0] / cv.dL_dh_norm[-1] for c, cv in lab.comparison.curves.items()}
    assert first["vanilla"] < 1e-4
    assert min(first["lstm"], first["gru"]) > 100 * first["vanilla"]
    for cell in ("lstm", "gru"):  # the gate curves: open, near 0.95
        gate = lab.comparison.curves[cell].gate_mean
        assert ((gate > 0.9) & (gate < 1.0)).all()


def test_gating_half_shut_gate_loses_the_gradient_faster_than_vanilla() -> None:
    _, lab = _play("gating", 5)
    curves = lab.comparison.curves
    ratio = {c: cv.dL_dh_norm[0] / cv.dL_dh_norm[-1] for c, cv in curves.items()}
    for cell in ("lstm", "gru"):
        # "f and z start near 0.5": each step keeps about half on the carry path
        assert curves[cell].gate_mean == pytest.approx(0.5, abs=0.05)
        assert ratio[cell] < ratio["vanilla"] / 100


# ---- depth ---------------------------------------------------------------------------
def _depth_map(session: Session) -> np.ndarray:
    """‖dL/dh_t‖ of layers 1…L (rows) over the steps: the forward direction of the stack."""
    norms = session.depth_grad_norm  # (L, D, T)
    assert norms is not None and session.gradients.valid.all()
    return norms[:, 0, :]  # (L, T)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_depth_every_slide_is_a_three_layer_stack_with_the_loss_on_the_last_of_40_steps(
    k: int,
) -> None:
    s, _ = _play("depth", k)
    assert s.depth == (3, 1) and s.focus == (2, 0)  # the top layer's curves are shown
    assert s.t == 40 and s.config.loss_at == "last"
    assert s.config.activation == "tanh"
    assert s.config.cell == ("lstm" if k == 4 else "vanilla")


def test_depth_tanh_stack_fades_back_in_time_in_the_top_layer() -> None:
    s, _ = _play("depth", 1)
    top = _depth_map(s)[2]  # (T,)
    # the curves shown are the top layer's, where the gradient only comes back in time
    np.testing.assert_allclose(s.reach.last, top)
    assert s.reach.regime.name == "vanishing"
    assert s.reach.regime.rate == pytest.approx(0.84, abs=0.005)  # "×0.84 per step"
    assert 0.5e-3 < top[0] / top[-1] < 2e-3  # "to 10⁻³ at t = 1" (1.1·10⁻³)


def test_depth_tanh_stack_fades_down_the_layers() -> None:
    s, _ = _play("depth", 2)
    n = _depth_map(s)  # (L, T)
    # "at the last step, layer 2 gets a third of layer 3's ‖dL/dh_t‖ and layer 1 a fifth"
    assert n[1, -1] / n[2, -1] == pytest.approx(1 / 3, abs=0.03)
    assert n[0, -1] / n[2, -1] == pytest.approx(1 / 5, abs=0.03)


def test_depth_map_shows_what_is_left_at_layer_1_step_1() -> None:
    s, _ = _play("depth", 3)
    n = _depth_map(s)  # (L, T)
    # "at layer 1, t = 1, about 6·10⁻⁴ is left" (of the top layer's last-step gradient)
    assert n[0, 0] / n[2, -1] == pytest.approx(6e-4, abs=0.5e-4)


def test_depth_lstm_stack_reaches_much_further_back_and_down() -> None:
    s, _ = _play("depth", 4)
    tanh, _ = _play("depth", 3)
    n, n_tanh = _depth_map(s), _depth_map(tanh)  # (L, T)
    assert s.config.gate_bias == SessionConfig().gate_bias == 3.0  # "+3, the default"
    assert s.reach.regime.rate == pytest.approx(0.91, abs=0.005)  # "×0.91 per step"
    corner, corner_tanh = n[0, 0] / n[2, -1], n_tanh[0, 0] / n_tanh[2, -1]
    assert corner == pytest.approx(0.1, abs=0.02)  # "a tenth left at layer 1, t = 1"
    assert corner / corner_tanh == pytest.approx(180, rel=0.1)  # "(180× tanh's)"
