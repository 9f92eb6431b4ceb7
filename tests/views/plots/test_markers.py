"""Markers on each step only while the steps stay apart: at 60 steps in a narrow plot they
would merge into a band, so the curve is a line alone; wide enough, the markers come back."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.session import Session
from rnnviz.views.plots.gradient_plot import NORM, GradientPlot
from rnnviz.views.plots.sequence_plot import SequencePlot

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def make(qtbot, widget, width: int, height: int):
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_sequence_plot_markers_only_while_the_steps_stay_apart(qtbot) -> None:
    s = Session()
    s.set_sequence(np.sin(np.arange(60) / 4))  # 60 steps
    w = make(qtbot, SequencePlot(s), 500, 400)
    s.seek(60)
    assert w.curves["input"].opts["symbol"] is None, "60 markers in 400 px merge into a band"
    w.resize(1900, 400)
    qtbot.waitUntil(lambda: w.curves["input"].opts["symbol"] == "o")
    s.set_sequence(np.sin(np.arange(20) / 4))
    w.resize(500, 400)
    qtbot.wait(10)
    assert w.curves["input"].opts["symbol"] == "o"  # 20 steps in 400 px stay apart


def test_gradient_plot_markers_only_while_the_steps_stay_apart(qtbot) -> None:
    s = Session()
    s.set_sequence(np.sin(np.arange(60) / 4))
    s.seek(60)
    w = make(qtbot, GradientPlot(s), 500, 400)
    s.run_backward()
    curve = w.curves[NORM]
    assert curve.opts["symbol"] is None
    w.resize(1900, 400)
    qtbot.waitUntil(lambda: curve.opts["symbol"] == "o")
    s.set_sequence(np.sin(np.arange(12) / 4))
    s.seek(12)
    w.resize(500, 400)
    s.run_backward()
    qtbot.wait(10)
    assert curve.opts["symbol"] == "o"


def test_markers_that_come_back_are_the_legends_marks(qtbot) -> None:
    """Markers dropped in a narrow width come back with the width as the marks the titles'
    legend shows: dots for the inputs and targets, squares for the outputs."""
    s = Session()
    s.set_sequence(np.sin(np.arange(60) / 4))
    s.seek(40)
    w = make(qtbot, SequencePlot(s), 800, 400)
    assert all(c.opts["symbol"] is None for c in w.curves.values()), "60 in 800 px merge"
    assert not any(c.scatter.isVisible() for c in w.curves.values())
    w.resize(1500, 400)
    qtbot.waitUntil(lambda: w.curves["input"].opts["symbol"] == "o")
    legend = {"upcoming": "o", "input": "o", "output": "s", "target": "o"}  # ●, ■, ○
    assert {k: c.opts["symbol"] for k, c in w.curves.items()} == legend
    assert all(c.scatter.isVisible() for c in w.curves.values())
    assert "━■━" in w.legend_text() and "━●━" in w.legend_text()
