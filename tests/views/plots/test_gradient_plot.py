"""The gradient plot draws the engine's ‖dL/dh_t‖, the textbook curves and the regime, and
never breaks on an overflow."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import bptt, forward
from rnnviz.session import Session, SessionConfig
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.views.look.appearance import colors
from rnnviz.views.plots.gradient_plot import BACKWARD_HINT, NORM, RHO, SIGMA, GradientPlot

# The offscreen platform cannot resize native windows; that is not a fault of the view.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def engine_result(s: Session):
    c = s.config
    trace = forward(s.params, s.sequence[: s.t])
    return bptt(trace, s.targets, loss=c.loss, loss_at=c.loss_at, truncate=c.truncate, clip=c.clip)


def shown(w: GradientPlot, key: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = w.curves[key].getOriginalDataset()
    return np.asarray(x if x is not None else []), np.asarray(y if y is not None else [])


def make(qtbot, s: Session) -> GradientPlot:
    w = GradientPlot(s)
    qtbot.addWidget(w)
    w.resize(800, 450)
    w.show()
    return w


def run(s: Session, steps: int | None = None, sequence: np.ndarray | None = None) -> None:
    if sequence is not None:
        s.set_sequence(sequence)
    s.seek(steps if steps is not None else s.sequence.shape[0])
    s.run_backward()


def test_before_backward_only_the_hint_and_the_predicted_regime(qtbot) -> None:
    s = Session(SessionConfig(spectral_radius=0.5))
    w = make(qtbot, s)
    s.seek(5)
    assert all(shown(w, key)[0].size == 0 for key in (NORM, SIGMA, RHO))
    assert w.hint.isVisible() and w.hint.textItem.toPlainText() == BACKWARD_HINT
    assert w.badge.isVisible() and w.badge.text().startswith("vanishing")
    assert "ρ = 0.5" in w.numbers.text()


def test_curve_is_the_engine_gradient_norm_on_a_log_axis(qtbot) -> None:
    s = Session()
    w = make(qtbot, s)
    run(s, 12)
    expected = engine_result(s).dL_dh_norm  # (12,)
    x, y = shown(w, NORM)
    np.testing.assert_array_equal(x, np.arange(1, 13))
    np.testing.assert_allclose(y, np.maximum(expected, LOG_FLOOR))
    # What is drawn on the log axis is log10 of it.
    np.testing.assert_allclose(w.curves[NORM].getData()[1], np.log10(expected))
    assert not w.hint.isVisible()
    assert f"loss = {engine_result(s).loss:.4g}" in w.numbers.text()


def test_theory_overlays_are_the_textbook_decay_scaled_to_the_last_step(qtbot) -> None:
    s = Session(SessionConfig(spectral_radius=0.7, init="normal", seed=3))
    w = make(qtbot, s)
    run(s, 12)
    last = engine_result(s).dL_dh_norm[-1]
    W_hh = s.params.W_hh
    sigma_max = np.linalg.norm(W_hh, 2)
    rho = np.abs(np.linalg.eigvals(W_hh)).max()
    T, t = 12, np.arange(1, 13)
    np.testing.assert_allclose(shown(w, SIGMA)[1], sigma_max ** (T - t) * last, rtol=1e-9)
    np.testing.assert_allclose(shown(w, RHO)[1], rho ** (T - t) * last, rtol=1e-9)
    assert sigma_max > rho * 1.01  # a non-normal W_hh: the two curves really differ


def test_regime_badges_say_vanishing_and_exploding(qtbot) -> None:
    s = Session(SessionConfig(spectral_radius=0.5))
    w = make(qtbot, s)
    run(s, 12)
    assert s.regime.name == "vanishing"
    assert w.badge.text() == s.regime.text and "vanishing" in w.badge.text()
    assert colors().REGIME_COLORS["vanishing"] in w.badge.styleSheet()

    s2 = Session(SessionConfig(activation="linear", spectral_radius=1.5, sequence_length=60))
    w2 = make(qtbot, s2)
    run(s2, 60)
    assert "exploding" in w2.badge.text()
    assert colors().REGIME_COLORS["exploding"] in w2.badge.styleSheet()
    assert not w2.exploded.isVisible()  # large, but finite
    assert np.isfinite(shown(w2, NORM)[1]).all()


def test_forward_overflow_shows_exploded_and_plots_nothing_infinite(qtbot) -> None:
    s = Session(SessionConfig(activation="linear", spectral_radius=3.0))
    w = make(qtbot, s)
    run(s, sequence=np.random.default_rng(1).standard_normal(700))
    g = engine_result(s)
    assert g.exploded_in == "forward"
    assert w.exploded.isVisible()
    assert w.exploded.text() == f"exploded at t = {g.exploded_at} (forward pass)"
    assert "exploding" in w.badge.text()
    for key in (NORM, SIGMA, RHO):
        x, y = shown(w, key)
        assert np.isfinite(x).all() and np.isfinite(y).all() and (y >= LOG_FLOOR).all()
    assert w.hint.isVisible() and "exploded" in w.hint.textItem.toPlainText()
    assert np.isfinite(w.plot.getPlotItem().getViewBox().viewRange()).all()


def test_backward_overflow_plots_only_the_valid_steps(qtbot) -> None:
    s = Session(SessionConfig(activation="linear", spectral_radius=2.5))
    w = make(qtbot, s)
    run(s, sequence=np.random.default_rng(0).standard_normal(450))
    g = engine_result(s)
    assert g.exploded_in == "backward" and 0 < g.valid.sum() < 450
    x, y = shown(w, NORM)
    np.testing.assert_array_equal(x, np.flatnonzero(g.valid) + 1)
    np.testing.assert_allclose(y, np.maximum(g.dL_dh_norm[g.valid], LOG_FLOOR))
    for key in (SIGMA, RHO):
        assert np.isfinite(shown(w, key)[1]).all()
    assert w.exploded.text() == f"exploded at t = {g.exploded_at} (backward pass)"


def test_sweep_draws_steps_from_k_on_with_a_fixed_range(qtbot) -> None:
    s = Session()
    w = make(qtbot, s)
    run(s, 12)
    expected = engine_result(s).dL_dh_norm
    view = w.plot.getPlotItem().getViewBox()
    fixed = view.viewRange()
    for k in (12, 9, 4, 1):
        s.set_sweep(k)
        x, y = shown(w, NORM)
        np.testing.assert_array_equal(x, np.arange(k, 13))
        np.testing.assert_allclose(y, expected[k - 1 :])
        assert shown(w, SIGMA)[0].size == 12  # the prediction stays whole
        assert view.viewRange() == fixed
    s.set_sweep(None)
    assert shown(w, NORM)[0].size == 12


def test_clipping_numbers_are_shown(qtbot) -> None:
    s = Session(SessionConfig(clip=0.01))
    w = make(qtbot, s)
    run(s, 12)
    g = engine_result(s)
    assert g.grad_norm_before_clip > 0.01
    text = w.clipping.text()
    assert w.clipping.isVisible()
    assert f"{g.grad_norm_before_clip:.3g}" in text
    assert f"clipped to {g.grad_norm_after_clip:.3g}" in text


def test_marker_on_the_selected_step(qtbot) -> None:
    s = Session()
    w = make(qtbot, s)
    run(s, 12)
    s.select(3)
    assert w.marker.isVisible() and w.marker.value() == 3
