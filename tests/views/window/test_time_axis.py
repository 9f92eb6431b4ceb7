"""One time axis: the panels stacked on the network page share their steps' x range, and
so do the lab's tabs; axes that count steps or units carry whole numbers only."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt

from rnnviz.session import Session
from rnnviz.session.lab import Lab
from rnnviz.views.lab.panel import LabPanel
from rnnviz.views.look import plot_style
from rnnviz.views.window.main_window import MainWindow
from rnnviz.views.window.transport import BackwardSweep

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def settings_dir(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))


@pytest.fixture
def window(qtbot, monkeypatch) -> MainWindow:
    monkeypatch.setattr(BackwardSweep, "DURATION_MS", 100)
    w = MainWindow(Session())
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    return w


def x_range(plot: pg.PlotWidget | pg.PlotItem) -> tuple[float, float]:
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    x0, x1 = item.getViewBox().viewRange()[0]
    return (round(x0, 6), round(x1, 6))


def shown_ticks(plot: pg.PlotWidget | pg.PlotItem, side: str) -> list[float]:
    """The tick values the axis draws now, at its current length."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    axis = item.getAxis(side)
    low, high = item.getViewBox().viewRange()[0 if side == "bottom" else 1]
    length = axis.width() if side == "left" else axis.geometry().width()
    if axis._tickLevels is not None:  # ticks the panel set (pyqtgraph keeps them there)
        return [v for level in axis._tickLevels for v, _ in level]
    return [v for _, level in axis.tickValues(low, high, length) for v in level]


def test_after_b_the_stacked_panels_share_the_steps(qtbot, window: MainWindow) -> None:
    s = window.session
    s.set_config(sequence_length=60)
    for _ in range(15):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: s.gradients is not None and not window.sweep.running, timeout=3000)
    expected = (0.5, 60.5)  # the whole sequence, fed or not
    assert x_range(window.state_heatmap.plot) == expected
    assert x_range(window.gradient_heatmap.plot) == expected
    assert x_range(window.gradient_plot.plot) == expected
    assert x_range(window.sequence_plot.inputs_plot) == expected
    assert x_range(window.sequence_plot.outputs_plot) == expected


def test_the_labs_tabs_share_the_fed_steps(qtbot) -> None:
    session = Session()  # a sequence of 20, 12 of them fed
    session.seek(12)
    lab = Lab(session)
    panel = LabPanel(lab)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    qtbot.waitExposed(panel)
    lab.compare()
    expected = (0.5, 12.5)
    assert x_range(panel.view("Compare").norm_plot) == expected
    assert x_range(panel.view("Saturation").fraction_plot) == expected
    assert x_range(panel.view("Saturation").heatmap_plot) == expected
    assert x_range(panel.view("ρ sweep").plot) == expected


def test_step_axes_of_a_five_step_lesson_have_whole_ticks(qtbot, window: MainWindow) -> None:
    s = window.session
    s.set_config(sequence_length=5)
    s.seek(5)
    s.run_backward()
    plots = (
        window.gradient_plot.plot,
        window.state_heatmap.plot,
        window.sequence_plot.outputs_plot,
    )
    for plot in plots:
        ticks = shown_ticks(plot, "bottom")
        assert ticks and all(float(v).is_integer() for v in ticks), ticks
        assert {1.0, 5.0} <= set(ticks)


@pytest.mark.parametrize("pixels", [40, 60, 100, 150, 400])
def test_unit_ticks_are_whole_spaced_and_never_one_six(pixels: float) -> None:
    for count in (1, 2, 5, 8, 16, 64, 300):
        values = [v for v, _ in plot_style.count_ticks(count, pixels)]
        assert all(float(v).is_integer() and 1 <= v <= count for v in values)
        assert values == sorted(values) and values[0] == 1  # where the rows start
        assert values[-1] == count or len(values) == 1
        if len(values) > 1:
            room = pixels / count * np.diff(values).min()  # px between the closest two
            assert room >= 0.75 * plot_style.tick_spacing() - 1e-9
    assert [v for v, _ in plot_style.count_ticks(8, 60)] != [1.0, 6.0]


def test_the_unit_axis_of_an_eight_unit_heatmap(window: MainWindow) -> None:
    window.session.seek(4)
    ticks = shown_ticks(window.state_heatmap.plot, "left")
    assert ticks[0] == 1.0 and ticks[-1] == 8.0
    assert all(float(v).is_integer() for v in ticks)
