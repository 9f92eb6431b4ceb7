"""The gradient plot draws the engine's ‖dL/dh_t‖, the last step's loss ‖∂L_T/∂h_t‖ with the
curves about it (bound, rate, gate path), and the regime, and never breaks on an overflow."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import bptt, forward
from rnnviz.session import Session, SessionConfig, analysis
from rnnviz.session.analysis import EXPLODING_ABOVE, LOG_FLOOR, VANISHING_BELOW
from rnnviz.views.look.appearance import colors
from rnnviz.views.plots import gradient_plot
from rnnviz.views.plots.gradient_plot import (
    BACKWARD_HINT,
    BOUND,
    CURVES,
    LAST,
    MEASURING,
    NORM,
    PATH,
    RATE,
    THEORY_CEILING,
    GradientPlot,
    badge_html,
)

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
    assert all(shown(w, key)[0].size == 0 for key in CURVES)
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


def last_alone(s: Session) -> np.ndarray:
    """‖∂L_T/∂h_t‖: the last step's term of the loss, 1/T of the loss scored there alone."""
    trace = forward(s.params, s.sequence[: s.t])
    scored = s.t if s.config.loss_at == "all" else 1
    return bptt(trace, s.targets, loss=s.config.loss, loss_at="last").dL_dh_norm / scored


def legend(w: GradientPlot, key: str) -> str:
    return w.legend[CURVES.index(key)].text()


def test_theory_overlays_bound_and_rate_the_last_steps_loss(qtbot) -> None:
    s = Session(SessionConfig(spectral_radius=0.7, init="normal", seed=3))
    w = make(qtbot, s)
    run(s, 12)
    alone = last_alone(s)  # (12,)
    x, y = shown(w, LAST)
    np.testing.assert_array_equal(x, np.arange(1, 13))
    np.testing.assert_allclose(y, alone, rtol=1e-12)
    # It meets the total at T, where no other step's loss reaches.
    assert y[-1] == pytest.approx(engine_result(s).dL_dh_norm[-1], rel=1e-12)
    W_hh = s.params.W_hh
    sigma_max = np.linalg.norm(W_hh, 2)
    rho = np.abs(np.linalg.eigvals(W_hh)).max()
    T, t = 12, np.arange(1, 13)
    np.testing.assert_allclose(shown(w, BOUND)[1], sigma_max ** (T - t) * alone[-1], rtol=1e-9)
    np.testing.assert_allclose(shown(w, RATE)[1], rho ** (T - t) * alone[-1], rtol=1e-9)
    assert sigma_max > rho * 1.01  # a non-normal W_hh: the two curves really differ
    assert np.all(alone <= shown(w, BOUND)[1] * (1 + 1e-12))  # a bound: never exceeded
    assert shown(w, PATH)[0].size == 0
    assert "total" in legend(w, NORM) and "last step's loss alone" in legend(w, LAST)
    assert "bound" in legend(w, BOUND) and "rate" in legend(w, RATE)
    assert not w.legend[CURVES.index(PATH)].isVisibleTo(w)


def test_the_bound_of_a_sigmoid_cell_has_its_slope_of_a_quarter(qtbot) -> None:
    s = Session(SessionConfig(activation="sigmoid", spectral_radius=1.4, loss_at="last"))
    w = make(qtbot, s)
    run(s, 15)
    alone = last_alone(s)
    assert shown(w, LAST)[0].size == 0  # the loss is on the last step: it is the total
    sigma_max = np.linalg.norm(s.params.W_hh, 2)
    k = np.arange(14, -1, -1)
    np.testing.assert_allclose(shown(w, BOUND)[1], alone[-1] * (sigma_max / 4) ** k, rtol=1e-9)
    assert np.all(shown(w, NORM)[1] <= shown(w, BOUND)[1] * (1 + 1e-12))
    assert "0.25·σ" in legend(w, BOUND) and "loss on the last step" in legend(w, NORM)


@pytest.mark.parametrize(("cell", "gate", "name"), [("lstm", 1, "∏ f"), ("gru", 1, "∏ z")])
def test_gated_cells_show_their_carry_path_not_a_bound(qtbot, cell, gate, name) -> None:
    s = Session(SessionConfig(cell=cell, gate_bias=3.0, hidden_size=8, sequence_length=30))
    w = make(qtbot, s)
    run(s, 30)
    assert shown(w, BOUND)[0].size == 0 and shown(w, RATE)[0].size == 0
    H = s.params.hidden_size
    g = s.trace.cache[:, gate * H : (gate + 1) * H]  # (30, H): f (i, f, g, o) or z (r, z, n)
    products = np.array([np.prod(g[t + 1 :], axis=0).mean() for t in range(30)])
    np.testing.assert_allclose(shown(w, PATH)[1], last_alone(s)[-1] * products, rtol=1e-9)
    assert name in legend(w, PATH) and "mean over units" in legend(w, PATH)
    assert "path" in legend(w, PATH) and "bound" not in legend(w, PATH)
    assert not w.legend[CURVES.index(BOUND)].isVisibleTo(w)


@pytest.mark.parametrize(
    ("cell", "loss_at", "rho"),
    [("vanilla", "all", 0.9), ("lstm", "last", 0.9), ("gru", "all", 1.3)],
)
def test_badge_rate_is_the_slope_of_the_plotted_curve(qtbot, cell, loss_at, rho) -> None:
    s = Session(SessionConfig(cell=cell, loss_at=loss_at, spectral_radius=rho))
    w = make(qtbot, s)
    s.seek(20)
    before = w.badge.text()
    s.run_backward()
    assert w.badge.text() == before  # the same measurement before and after B
    x, logy = w.curves[LAST if loss_at == "all" else NORM].getData()
    slope = (logy[0] - logy[-1]) / (x[-1] - x[0])  # log10 per step back, end to end
    rate = 10**slope
    assert s.regime.rate == pytest.approx(rate, rel=1e-9)
    assert f"×{rate:.3g} per step back" in w.badge.text()
    name = "vanishing" if rate < VANISHING_BELOW else "exploding" if rate > EXPLODING_ABOVE else ""
    assert w.badge.text().startswith(name or "near the edge")
    assert "∂L<sub>T</sub>/∂h<sub>t</sub>" in w.badge.text()
    tip = w.badge.toolTip()
    assert f"×{VANISHING_BELOW:g}" in tip and f"×{EXPLODING_ABOVE:g}" in tip


def test_regime_badges_say_vanishing_and_exploding(qtbot) -> None:
    s = Session(SessionConfig(spectral_radius=0.5))
    w = make(qtbot, s)
    run(s, 12)
    assert s.regime.name == "vanishing"
    assert w.badge.text() == badge_html(s.regime.text) and "vanishing" in w.badge.text()
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
    for key in CURVES:
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
    for key in CURVES:
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
        np.testing.assert_array_equal(shown(w, LAST)[0], np.arange(k, 13))
        assert shown(w, BOUND)[0].size == 12  # the bound stays whole
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


def test_a_long_reach_is_measured_in_the_worker_and_a_step_measures_again(
    qtbot, monkeypatch
) -> None:
    monkeypatch.setattr(gradient_plot, "INLINE_WORK", 0)  # every reach counts as long
    s = Session(SessionConfig(hidden_size=64, sequence_length=2000))
    w = make(qtbot, s)
    s.seek(1500)
    assert w.badge.text() == MEASURING  # the step returned at once, claiming nothing
    qtbot.waitUntil(lambda: w.runner.running, timeout=5_000)
    s.step_forward()  # the running measurement described 1500 steps
    assert w.badge.text() == MEASURING
    qtbot.waitUntil(lambda: not w.runner.running and w.badge.text() != MEASURING, timeout=20_000)
    c = s.config
    fresh = analysis.reach(s.trace, s.targets, s.loss, c.loss_at, c.truncate, s.spectra)
    assert w.badge.text() == badge_html(fresh.regime.text) and fresh.regime.text
    s.run_backward()
    inside = (fresh.rate > LOG_FLOOR) & (fresh.rate < THEORY_CEILING)
    np.testing.assert_allclose(shown(w, RATE)[1], fresh.rate[inside])


def test_a_long_reach_waits_until_the_steps_stop_and_never_shows_a_stale_claim(
    qtbot, monkeypatch
) -> None:
    """Steps in a row (a held key) start no measurement: the badge says it is measuring;
    once they stop, the regime of the last step is measured and shown."""
    monkeypatch.setattr(gradient_plot, "INLINE_WORK", 0)
    s = Session(SessionConfig(hidden_size=16, sequence_length=300, spectral_radius=0.5))
    w = make(qtbot, s)
    s.seek(200)
    qtbot.waitUntil(lambda: not w.runner.running and w.badge.text() != MEASURING, timeout=20_000)
    measured_at_200 = w.badge.text()
    for _ in range(5):
        s.step_forward()
        assert w.badge.text() == MEASURING  # not the regime measured at 200 steps
        assert not w.runner.running
    assert s.cached_reach() is None
    qtbot.waitUntil(lambda: w.badge.text() != MEASURING, timeout=20_000)
    c = s.config
    fresh = analysis.reach(s.trace, s.targets, s.loss, c.loss_at, c.truncate, s.spectra)
    assert s.t == 205 and w.badge.text() == badge_html(fresh.regime.text)
    assert "vanishing" in measured_at_200 and "vanishing" in w.badge.text()


def test_a_held_key_measures_the_reach_once_the_steps_stop(qtbot) -> None:
    """Steps in a row (→ held) leave even a short reach until they stop: the badge says it
    is measuring, never the regime of an earlier step; a step on its own is measured at
    once."""
    s = Session(SessionConfig(hidden_size=16, sequence_length=300, spectral_radius=0.5))
    w = make(qtbot, s)
    s.seek(200)
    assert w.badge.text() == badge_html(s.regime.text)  # one step: measured at once
    for _ in range(5):
        s.step_forward()
        assert w.badge.text() == MEASURING
        assert s.cached_reach() is None  # nothing computed for a step already gone
    qtbot.waitUntil(lambda: w.badge.text() != MEASURING, timeout=5_000)
    c = s.config
    fresh = analysis.reach(s.trace, s.targets, s.loss, c.loss_at, c.truncate, s.spectra)
    assert s.t == 205 and w.badge.text() == badge_html(fresh.regime.text)
    assert "vanishing" in w.badge.text()
    qtbot.wait(2 * gradient_plot.QUIET_MS)  # a pause: the next step stands alone
    s.step_back()
    fresh = analysis.reach(s.trace, s.targets, s.loss, c.loss_at, c.truncate, s.spectra)
    assert w.badge.text() == badge_html(fresh.regime.text)
