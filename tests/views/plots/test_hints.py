"""A plot's hint ("press B to run backpropagation through time") stays inside the plot's
area, wrapped to fit: never over the axes or cut at the sides; where it cannot fit, it is
not shown."""

from __future__ import annotations

import pytest

from rnnviz.session import Session
from rnnviz.views.plots.gradient_plot import GradientPlot
from rnnviz.views.plots.heatmaps import GradientHeatmap

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def make(qtbot, widget, width: int, height: int):
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    widget.grab()  # painted: pyqtgraph maps data to pixels anew only when it paints
    return widget


def plot_item(widget):
    return widget.plot.getPlotItem()


@pytest.mark.parametrize(
    ("view", "size"),
    [
        (GradientHeatmap, (440, 220)),
        (GradientHeatmap, (900, 400)),
        (GradientPlot, (520, 300)),  # the plot's area is 434 px wide: the hint wraps
        (GradientPlot, (900, 500)),
    ],
)
def test_the_hint_stays_inside_the_plot(qtbot, view, size) -> None:
    s = Session()
    s.seek(8)
    w = make(qtbot, view(s), *size)
    qtbot.wait(10)
    assert "press B" in w.hint.toPlainText()
    item = plot_item(w)
    area = item.getViewBox().sceneBoundingRect()
    hint = w.hint.sceneBoundingRect()
    assert w.hint.opacity() == 1.0
    assert area.contains(hint), (area, hint)  # so never over the axes' numbers
    assert abs(hint.center().x() - area.center().x()) < 1.0


def test_a_hint_without_room_is_not_shown(qtbot) -> None:
    s = Session()
    s.seek(8)
    w = make(qtbot, GradientHeatmap(s), 300, 110)  # a 60 px strip: no room for two lines
    qtbot.wait(10)
    hint = w.hint
    area = plot_item(w).getViewBox().sceneBoundingRect()
    assert hint.opacity() == 0.0 or (
        area.contains(hint.sceneBoundingRect()) and hint.scale() >= 0.6
    )
