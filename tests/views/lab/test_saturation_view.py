"""The saturation view shows exactly the session trace's saturation and derivative."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6 import sip
from PyQt6.QtCore import QRectF

from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.views.lab.saturation import SaturationView

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


def test_fraction_and_heatmap_are_the_traces(qtbot) -> None:
    # σ_max = 2 saturates a good share of 12 tanh units: the fraction is not all 0.
    s = Session(SessionConfig(spectral_radius=2.0, hidden_size=12))
    view = make_view(qtbot, s)
    s.seek(20)
    h = s.trace.h  # (20, 12)
    x, fraction = shown_fraction(view)
    np.testing.assert_array_equal(x, np.arange(1, 21))
    np.testing.assert_array_equal(fraction, (np.abs(h) > 0.9).mean(axis=1))
    assert 0 < fraction.max() < 1
    # col-major: the image is the (T, H) array itself; step t at x = t, unit i at y = i.
    np.testing.assert_allclose(view.image_item.image, 1 - h**2)
    rect = view.image_item.mapRectToParent(view.image_item.boundingRect())
    assert rect == QRectF(0.5, 0.5, 20, 12)
    assert view.color_bar.levels() == (0.0, 1.0)
    assert view.image_item.getLevels().tolist() == [0.0, 1.0]
    assert "1 − h<sub>t</sub>² near 0 = saturated" in view.caption.text()


def test_it_follows_steps_and_the_cell(qtbot) -> None:
    s = Session(SessionConfig(spectral_radius=1.5, hidden_size=6))
    view = make_view(qtbot, s)
    s.seek(12)
    s.step_back()
    assert shown_fraction(view)[0].size == 11
    np.testing.assert_allclose(view.image_item.image, 1 - s.trace.h**2)
    s.set_config(cell="lstm")
    tc = np.tanh(s.trace.c)  # (11, 6) the LSTM's factor sits on tanh(c_t)
    np.testing.assert_allclose(view.image_item.image, 1 - tc**2)
    np.testing.assert_array_equal(shown_fraction(view)[1], (np.abs(s.trace.h) > 0.9).mean(axis=1))
    assert "tanh²(c<sub>t</sub>)" in view.caption.text()


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
