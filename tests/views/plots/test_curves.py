"""Curves whose solid lines are stroked as device-pixel segments look like pyqtgraph's own."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from rnnviz.views.look import sizes
from rnnviz.views.plots.curves import Curve, long_curves
from rnnviz.views.window.snapshots import grab, to_rgb

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

STEPS = np.arange(1, 201, dtype=float)  # (200,)
WAVE = np.sin(STEPS / 7.0)  # (200,) a wavy line: a joint at every point


def picture(
    qtbot, item: pg.PlotDataItem, points: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """(H, W) darkness of a 600x200 plot showing only ``item`` on white; ``points`` are
    given to it alone (``setData(x, y)``) once it is in the plot."""
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.addItem(item)
    plot.setRange(xRange=(0, 201), yRange=(-1.2, 1.2), padding=0)
    if points is not None:  # in a plot whose ranges are set, as the sequence plot's
        item.setData(*points)
    widget.resize(600, 200)
    widget.show()
    qtbot.waitExposed(widget)
    return 255 - to_rgb(grab(widget.viewport())).astype(int).min(axis=2)


@pytest.mark.parametrize("width", [3.0, 6.0])
def test_a_solid_line_looks_as_pyqtgraph_draws_it(qtbot, width: float) -> None:
    pen = sizes.pen("#1f5fbf", width=width)
    ours = picture(qtbot, Curve(STEPS, WAVE, pen=pen, antialias=True))
    theirs = picture(qtbot, pg.PlotDataItem(STEPS, WAVE, pen=pen, antialias=True))
    line = (ours > 128) | (theirs > 128)
    assert line.sum() > 600 * width / 2  # the line is drawn
    # Only the antialiased rims and the joints' corners may differ, and only a little.
    assert (np.abs(ours - theirs) > 64).sum() < 0.03 * line.sum()


def test_a_dashed_line_is_pyqtgraphs_own(qtbot) -> None:
    pen = sizes.pen("#2a8c3a", width=2, dashed=True)
    ours = picture(qtbot, Curve(STEPS, WAVE, pen=pen, antialias=True))
    theirs = picture(qtbot, pg.PlotDataItem(STEPS, WAVE, pen=pen, antialias=True))
    np.testing.assert_array_equal(ours, theirs)


def test_a_gap_in_the_data_is_a_gap_in_the_line(qtbot) -> None:
    values = WAVE.copy()
    values[95:105] = np.nan  # (200,) e.g. outputs after an overflow
    shown = picture(qtbot, Curve(STEPS, values, pen=sizes.pen("#d9540c", width=3)))
    width = shown.shape[1]  # 600 pixels (more on a high-density screen)
    x = round(100 / 201 * width)  # the middle of the gap
    assert shown[:, x - width // 120 : x + width // 120].max() < 32
    assert shown[:, width // 6 : width // 4].max() > 128


def test_a_curve_keeps_pyqtgraphs_data_options_and_markers(qtbot) -> None:
    pen = sizes.pen("#7b2cbf", width=4)
    curve = Curve(STEPS[:10], WAVE[:10], pen=pen, symbol="o", symbolBrush="#7b2cbf")
    x, y = curve.getData()
    np.testing.assert_array_equal(x, STEPS[:10])
    np.testing.assert_array_equal(y, WAVE[:10])
    assert curve.opts["pen"].widthF() == pen.widthF()
    # The markers are drawn over the line: the scatter comes after it among the children.
    children = curve.childItems()
    assert children.index(curve.curve) < children.index(curve.scatter)
    picture(qtbot, curve)


def near(ink: np.ndarray) -> np.ndarray:
    """(H, W) where ``ink`` has a pixel within one pixel."""
    out = ink.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            out |= np.roll(np.roll(ink, dy, axis=0), dx, axis=1)
    return out


def test_a_long_curve_looks_as_all_its_points(qtbot) -> None:
    """100,000 points on 600 pixels: drawn as each pixel column's lowest and highest point
    (``long_curves``), the same picture as every point; a dashed one that dense is drawn
    as a solid line, as its every point with the same pen looks."""
    n = 100_000
    steps = np.arange(1, n + 1, dtype=float)
    values = np.sin(steps / 900.0) + 0.3 * np.random.default_rng(1).standard_normal(n)
    values[[20_000, 70_000]] = [1.19, -1.19]  # one step each, at the plot's edges

    def shown(item: pg.PlotDataItem, decimated: bool) -> np.ndarray:
        widget = _steps_plot(qtbot, item, n, decimated, axes=False)
        return 255 - to_rgb(grab(widget.viewport())).astype(int).min(axis=2)

    for dashed in (False, True):
        pen = sizes.pen("#1f5fbf", width=2, dashed=dashed)
        curve = Curve(steps, values, pen=pen)
        ours = shown(curve, decimated=True)
        assert len(curve.curve.getData()[0]) <= 2.1 * ours.shape[1]  # two points a column
        everything = shown(pg.PlotDataItem(steps, values, pen=sizes.pen("#1f5fbf", 2)), False)
        # Ink in one picture has ink within a pixel in the other (a column's x is its centre).
        a, b = ours > 128, everything > 128
        assert (a & ~near(b)).sum() < 0.01 * a.sum()
        assert (b & ~near(a)).sum() < 0.01 * b.sum()
        for row in (0, ours.shape[0] - 1):  # the two one-step spikes reach the edges
            assert ours[max(row - 2, 0) : row + 3].max() > 128


def test_points_set_alone_are_drawn_in_the_style_given_before_any_data(qtbot) -> None:
    """A curve made without points, then given its points alone (as the sequence plot's
    curves at every step), draws them exactly as one made with them."""
    pen = sizes.pen("#c0392b", width=5)
    later = picture(qtbot, Curve(pen=pen, antialias=True), (STEPS, WAVE))
    at_once = picture(qtbot, Curve(STEPS, WAVE, pen=pen, antialias=True))
    assert (at_once > 128).sum() > 600 * 5 / 2  # the line is drawn
    np.testing.assert_array_equal(later, at_once)


def test_new_points_replace_the_old_ones_on_screen(qtbot) -> None:
    """Points set again and again (longer, shorter, with a gap, none) leave the curve
    exactly as one made with the last of them, and report them as pyqtgraph does."""
    pen = sizes.pen("#1f5fbf", width=3)
    gap = WAVE.copy()
    gap[40:60] = np.nan  # (200,)
    curve = Curve(STEPS[:50], WAVE[:50], pen=pen, antialias=True)
    for x, y in ((STEPS, WAVE), (STEPS[:0], WAVE[:0]), (STEPS, gap), (STEPS[:120], WAVE[:120])):
        curve.setData(x, y)
        shown_x, shown_y = curve.getData()
        if x.size == 0:
            assert shown_x is None
            continue
        np.testing.assert_array_equal(shown_x, x)
        np.testing.assert_array_equal(shown_y, y)
        np.testing.assert_array_equal(curve.getOriginalDataset()[1], y)
    fresh = Curve(STEPS[:120], WAVE[:120], pen=pen, antialias=True)
    np.testing.assert_array_equal(picture(qtbot, curve), picture(qtbot, fresh))


@pytest.mark.parametrize(
    "values",
    [WAVE, np.where(STEPS > 150, np.nan, WAVE), np.where(STEPS == 7, np.inf, WAVE), WAVE * np.nan],
    ids=["finite", "nan", "inf", "all-nan"],
)
def test_a_lines_bounds_are_pyqtgraphs(values: np.ndarray) -> None:
    """The line's rectangle (found at every step without pyqtgraph's warnings filter) spans
    what pyqtgraph's own line reports: the finite data."""
    ours = Curve(STEPS, values, pen=sizes.pen("#1f5fbf", width=3)).curve
    theirs = pg.PlotCurveItem(STEPS, values, pen=sizes.pen("#1f5fbf", width=3))
    for ax in (0, 1):
        np.testing.assert_array_equal(ours.dataBounds(ax), theirs.dataBounds(ax))


def test_long_points_set_alone_are_drawn_as_each_columns_extremes(qtbot) -> None:
    """100,000 points given alone to a curve of a ``long_curves`` plot are reduced to what
    a screen shows, as points given at its making are."""
    n = 100_000
    steps = np.arange(1, n + 1, dtype=float)  # (n,)
    values = np.sin(steps / 900.0)  # (n,)
    curve = Curve(pen=sizes.pen("#1f5fbf", width=2))
    widget = _steps_plot(qtbot, curve, n, decimated=True)
    curve.setData(steps, values)
    assert len(curve.getData()[0]) <= 2.1 * widget.width()
    np.testing.assert_array_equal(curve.getOriginalDataset()[0], steps)


def test_a_lines_rectangle_follows_the_views_scale_as_pyqtgraphs(qtbot) -> None:
    """The rectangle Qt repaints for a line (its data and its pen's pixels around it) is
    pyqtgraph's, after new points, a new range and a new size."""
    pen = sizes.pen("#1f5fbf", width=6)
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    ours = Curve(pen=pen)
    theirs = pg.PlotCurveItem(pen=pen)
    plot.addItem(ours)
    plot.addItem(theirs)
    plot.setRange(xRange=(0, 201), yRange=(-1.2, 1.2), padding=0)
    widget.resize(600, 200)
    widget.show()
    qtbot.waitExposed(widget)

    def same() -> None:
        grab(widget)  # the view takes its new scale as it paints
        assert ours.curve.boundingRect() == theirs.boundingRect()
        assert ours.curve.boundingRect().height() > 2.0  # the data's 2 and the pen's pixels

    for x, y in ((STEPS, WAVE), (STEPS[:50], 3 * WAVE[:50])):
        ours.setData(x, y)
        theirs.setData(x, y)
        same()
    plot.setRange(xRange=(0, 101), yRange=(-10, 10), padding=0)
    same()
    widget.resize(300, 400)
    same()


def _steps_plot(
    qtbot, item: pg.PlotDataItem, n: int, decimated: bool, axes: bool = True
) -> pg.PlotWidget:
    """A 600 × 200 plot of steps 1 … n and values in ±1.2, shown, holding ``item``;
    ``decimated``: its curves drawn as each column's extremes (``long_curves``)."""
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    if not axes:
        plot.hideAxis("left")
        plot.hideAxis("bottom")
    if decimated:
        long_curves(plot)
    plot.addItem(item)
    plot.setRange(xRange=(0, n + 1), yRange=(-1.2, 1.2), padding=0)
    widget.resize(600, 200)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
