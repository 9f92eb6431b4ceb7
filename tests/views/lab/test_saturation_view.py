"""The saturation view shows one quantity, the slope over its maximum, as a heatmap and as
the per-step share below 0.1; every fact its captions state is checked here."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import sip
from PyQt6.QtCore import QRectF

from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.views.lab.saturation import (
    SIGMOID_ABOVE,
    SIGMOID_BELOW,
    TANH_ABOVE,
    SaturationView,
)
from rnnviz.views.look.appearance import colors

# The offscreen platform says so for every top-level window; it is not a problem here.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def make_view(qtbot, session: Session) -> SaturationView:
    view = SaturationView(Lab(session))
    qtbot.addWidget(view)
    view.show()
    return view


def shown_fraction(view: SaturationView) -> tuple[np.ndarray, np.ndarray]:
    x, y = view.fraction_curve.getData()
    if x is None:  # an empty curve
        return np.zeros(0), np.zeros(0)
    return np.asarray(x), np.asarray(y)


def shown_slopes(view: SaturationView) -> np.ndarray:
    return np.asarray(view.image_item.image)  # (T, K·H), col-major: step t is row t − 1


def assert_curve_counts_the_heatmap(view: SaturationView) -> None:
    """The truth the view rests on: the curve is the heatmap's per-step share below 0.1."""
    x, fraction = shown_fraction(view)
    image = shown_slopes(view)
    np.testing.assert_array_equal(x, np.arange(1, image.shape[0] + 1))
    np.testing.assert_array_equal(fraction, (image < 0.1).mean(axis=1))


def pre_activations(s: Session) -> np.ndarray:
    """a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh of the session's vanilla trace: (T, H)."""
    p, trace = s.params, s.trace
    return trace.x @ p.W_ih.T + p.b_ih + trace.h_all[:-1] @ p.W_hh.T + p.b_hh


def test_tanh_curve_and_heatmap_show_one_quantity(qtbot) -> None:
    # σ_max = 2 saturates a good share of 12 tanh units: the fraction is not all 0.
    s = Session(SessionConfig(spectral_radius=2.0, hidden_size=12))
    view = make_view(qtbot, s)
    s.seek(20)
    h = s.trace.h  # (20, 12)
    # col-major: the image is the (T, H) array itself; step t at x = t, unit i at y = i.
    np.testing.assert_allclose(shown_slopes(view), 1 - h**2)
    assert_curve_counts_the_heatmap(view)
    # What the title and caption say: slope < 0.1 is |h| > 0.949.
    fraction = shown_fraction(view)[1]
    np.testing.assert_array_equal(fraction, (np.abs(h) > 0.9487).mean(axis=1))
    assert 0 < fraction.max() < 1
    assert f"{TANH_ABOVE:.3f}" == "0.949"
    assert "|h| &gt; 0.949" in view.caption.text() and "1 − h² &lt; 0.1" in view.caption.text()
    rect = view.image_item.mapRectToParent(view.image_item.boundingRect())
    assert rect == QRectF(0.5, 0.5, 20, 12)
    assert view.color_bar.levels() == (0.0, 1.0)
    assert view.image_item.getLevels().tolist() == [0.0, 1.0]
    assert view.color_bar.getAxis("left").labelText == "slope ÷ its maximum"


def test_the_saturated_band_is_in_the_curves_colour(qtbot) -> None:
    view = make_view(qtbot, Session())
    alert = pg.mkColor(colors().ALERT).getRgb()
    lut = view.color_bar.colorMap().map(np.array([0.0, 0.09, 0.11, 1.0]), mode="byte")
    assert tuple(lut[0]) == alert and tuple(lut[1]) == alert
    assert tuple(lut[2]) != alert and tuple(lut[3]) != alert
    # The image is coloured by the same map: its lookup table below 0.1 is the alert colour.
    table = np.asarray(view.image_item.lut)  # (N, 3 or 4) over levels 0..1
    n = table.shape[0]
    assert (table[: int(0.099 * n), :3] == alert[:3]).all()
    assert not (table[int(0.102 * n) + 1 :, :3] == alert[:3]).all(axis=1).any()
    assert view.fraction_curve.opts["pen"].color().getRgb() == alert


def test_relu_counts_its_dead_units(qtbot) -> None:
    s = Session(SessionConfig(activation="relu", spectral_radius=1.0, hidden_size=16))
    view = make_view(qtbot, s)
    s.seek(20)
    dead = pre_activations(s) <= 0  # (T, H) measured from the weights and inputs
    assert 0.1 < dead.mean() < 0.9
    np.testing.assert_array_equal(shown_slopes(view) == 0, dead)
    np.testing.assert_array_equal(shown_fraction(view)[1], dead.mean(axis=1))
    assert_curve_counts_the_heatmap(view)
    assert "dead" in view.caption.text() and "slope 0" in view.caption.text()
    assert set(np.unique(shown_slopes(view))) <= {0.0, 1.0}  # "a live unit has slope 1"


def test_a_linear_cell_shows_none_saturated(qtbot) -> None:
    s = Session(SessionConfig(activation="linear", spectral_radius=1.5, hidden_size=8))
    view = make_view(qtbot, s)
    s.seek(20)
    assert np.abs(s.trace.h).max() > 1  # large states: a tanh cell would count them
    np.testing.assert_array_equal(shown_fraction(view)[1], 0.0)
    np.testing.assert_array_equal(shown_slopes(view), 1.0)
    assert "never saturates" in view.caption.text()


def test_sigmoid_slopes_are_scaled_to_its_maximum(qtbot) -> None:
    s = Session(SessionConfig(activation="sigmoid", spectral_radius=6.0, hidden_size=12))
    view = make_view(qtbot, s)
    s.seek(20)
    h = s.trace.h  # (T, H)
    np.testing.assert_allclose(shown_slopes(view), h * (1 - h) / 0.25)
    assert_curve_counts_the_heatmap(view)
    # The caption's "h < 0.026 or h > 0.974" is the same cut as slope h(1 − h) < 0.025.
    outside = (h < SIGMOID_BELOW) | (h > SIGMOID_ABOVE)
    np.testing.assert_array_equal(shown_slopes(view) < 0.1, outside)
    assert shown_fraction(view)[1].max() > 0
    text = view.caption.text()
    assert "h(1 − h) &lt; 0.025" in text and "h &lt; 0.026 or h &gt; 0.974" in text
    assert f"{SIGMOID_BELOW:.3f}" == "0.026" and f"{SIGMOID_ABOVE:.3f}" == "0.974"
    assert "at most 0.25" in text and (h * (1 - h)).max() <= 0.25


@pytest.mark.parametrize(
    ("cell", "groups"), [("lstm", ["i", "f", "g", "o", "tanh c"]), ("gru", ["r", "z", "n"])]
)
def test_gated_cells_stack_every_gate(qtbot, cell: str, groups: list[str]) -> None:
    H = 6
    s = Session(SessionConfig(cell=cell, spectral_radius=2.0, hidden_size=H))
    view = make_view(qtbot, s)
    s.seek(20)
    sat = view.lab.saturation()
    np.testing.assert_array_equal(shown_slopes(view), sat.slope)
    assert shown_slopes(view).shape == (20, len(groups) * H)
    assert_curve_counts_the_heatmap(view)
    ticks = view.heatmap_plot.getAxis("left")._tickLevels[0]
    assert [label for _, label in ticks] == groups
    shown_lines = [line.value() for line in view.separators if line.isVisible()]
    assert shown_lines == [g * H + 0.5 for g in range(1, len(groups))]
    carry = "c<sub>t</sub> = f ⊙ c<sub>t−1</sub>" if cell == "lstm" else "the z path skips"
    assert carry in view.caption.text()
    assert "do not by themselves stop the gradient" in view.caption.text()


def test_it_follows_steps_and_the_cell(qtbot) -> None:
    s = Session(SessionConfig(spectral_radius=1.5, hidden_size=6))
    view = make_view(qtbot, s)
    s.seek(12)
    s.step_back()
    assert shown_fraction(view)[0].size == 11
    np.testing.assert_allclose(shown_slopes(view), 1 - s.trace.h**2)
    s.set_config(cell="lstm")
    tc = np.tanh(s.trace.c)  # (11, 6) the LSTM's output nonlinearity, its last 6 rows
    np.testing.assert_allclose(shown_slopes(view)[:, 24:], 1 - tc**2)
    assert_curve_counts_the_heatmap(view)
    assert "tanh(c)" in view.caption.text()
    s.set_config(cell="vanilla")
    assert not any(line.isVisible() for line in view.separators)


def test_nothing_fed_shows_the_hint(qtbot) -> None:
    s = Session()
    view = make_view(qtbot, s)
    s.seek(5)
    assert view.image_item.image is not None
    s.reset()
    assert view.image_item.image is None
    assert shown_fraction(view)[0].size == 0
    assert view.hint.isVisible() and "feed" in view.hint.toPlainText()


def test_a_deleted_view_stops_listening(qtbot) -> None:
    s = Session()
    view = SaturationView(Lab(s))
    sip.delete(view)  # as when its panel closes
    s.seek(3)  # a handler still connected would draw on deleted items and raise
    assert s.t == 3
