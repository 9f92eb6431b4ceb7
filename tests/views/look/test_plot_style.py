"""Plots in the shared look: tick labels spaced to fit, and axes and titles kept as
pictures that still show what is current."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PyQt6.QtWidgets import QGraphicsItem

from rnnviz.session import Session
from rnnviz.views.look import plot_style
from rnnviz.views.look.appearance import appearance
from rnnviz.views.look.palettes import DARK, LIGHT
from rnnviz.views.plots.sequence_plot import SequencePlot
from rnnviz.views.window.snapshots import grab, svg_document, to_rgb

SVG = "http://www.w3.org/2000/svg"
# The offscreen platform cannot resize native windows; that is not a fault of the view.
pytestmark = [
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints"),
    pytest.mark.usefixtures("kept_appearance"),
]


def test_tick_labels_are_spaced_by_the_axis_length() -> None:
    assert plot_style.label_every(8, 400) == 1  # 50 px a row: every unit
    assert plot_style.label_every(64, 400) == 5  # 6 px a row: every 5th, ≥ 22 px apart
    assert plot_style.label_every(64, 120) == 20
    assert plot_style.label_every(64, 0) == 1  # not laid out yet
    for count, pixels in ((64, 400), (128, 150), (1000, 300)):
        every = plot_style.label_every(count, pixels)
        assert every * pixels / count >= plot_style.TICK_SPACING_PX


def test_colour_bar_ticks_fit_the_bar() -> None:
    five, three, two = (plot_style.level_ticks(-1.0, 1.0, px)[0] for px in (200, 60, 30))
    assert [v for v, _ in five] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert [label for _, label in three] == ["−1", "0", "1"]
    assert [v for v, _ in two] == [-1.0, 1.0]


def test_plot_axes_and_titles_kept_as_pixels_show_what_is_current(qtbot) -> None:
    """Axes and titles keep a picture of their pixels between frames; a new range, length
    or theme draws them anew, and an SVG still gets their numbers and words as text."""
    session = Session()
    plot = SequencePlot(session)
    qtbot.addWidget(plot)
    plot.resize(600, 400)
    plot.show()
    qtbot.waitExposed(plot)
    kept_items = [
        item
        for item in plot.widget.scene().items()
        if item.cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache
    ]
    assert len(kept_items) >= 6  # two axes and a title per plot
    changes = [
        *[lambda n=n: session.set_config(sequence_length=n) for n in (20, 57, 300, 8)],
        lambda: appearance.set(palette=DARK),
        lambda: appearance.set(scale=1.5),
    ]
    for i, change in enumerate(changes):
        change()
        kept = to_rgb(grab(plot.widget.viewport())).astype(int)
        for item in kept_items:
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        drawn = to_rgb(grab(plot.widget.viewport())).astype(int)
        for item in kept_items:
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # Text blended from a picture may round a channel by a level.
        np.testing.assert_allclose(kept, drawn, atol=2, err_msg=f"change {i}")
    appearance.set(palette=LIGHT, scale=1.0)
    texts = " ".join((t.text or "") for t in svg_document(plot).iter(f"{{{SVG}}}text"))
    assert "2" in texts.split() and "input" in texts  # tick numbers and the title's words
    assert all(i.cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache for i in kept_items)


def test_colour_bar_numbers_are_short_enough_for_the_bar() -> None:
    labels = [plot_style.level_label(v) for v in (-2000.0, 1e-5, -0.5, 0.0, 1e10, 123.0)]
    assert labels == ["−2e3", "1e−5", "−0.5", "0", "1e10", "123"]


def test_an_axis_label_shown_again_says_what_changed_while_it_was_hidden(qtbot) -> None:
    """Axes lay their label out only once built and while it is shown: one hidden and
    shown again reads what is current (here: the unit's SI prefix, after a new range)."""
    import pyqtgraph as pg

    widget = pg.PlotWidget(axisItems=plot_style.plot_axes())
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    plot_style.style_plot(plot, "step t", "h")
    axis = plot.getAxis("left")
    axis.setLabel("h", units="V")
    axis.setRange(0.0, 2.0)
    assert axis.label.toPlainText().strip() == "h (V)"
    axis.showLabel(False)
    axis.setRange(0.0, 0.002)  # millivolts now, while hidden
    axis.showLabel(True)
    assert axis.label.toPlainText().strip() == "h (mV)"


@pytest.mark.parametrize(
    ("count", "pixels", "label"),
    [(40, 75, 20), (20, 75, 10), (45, 75, 20), (9, 12, 5), (3, 2, 2)],
)
def test_a_step_axis_too_short_for_two_labels_still_gets_one(
    count: int, pixels: float, label: int
) -> None:
    # 40 steps in 75 px with labels 38 px apart: the hidden-state heatmap at 1024×768 had
    # no step numbered at all.
    major, _ = plot_style.step_ticks(count, pixels, 38.0)
    assert major == [(float(label), str(label))]


@pytest.mark.parametrize(("count", "pixels"), [(40, 100), (40, 600), (200, 300), (5000, 400)])
def test_step_labels_stay_a_label_apart(count: int, pixels: float) -> None:
    label_px = 30.0
    major, minor = plot_style.step_ticks(count, pixels, label_px)
    steps = [int(v) for v, _ in major]
    assert steps and all(text == str(int(v)) for v, text in major)
    every = steps[0]
    assert steps == list(range(every, count + 1, every))
    assert every * pixels / count >= label_px  # a label's room between two labels
    assert all(text == "" and v % every for v, text in minor)


@pytest.mark.parametrize(
    ("low", "high", "pixels", "labels"),
    [
        (-4, 0, 35, ["−4", "0"]),  # the depth map's bar, two rows high: the ends
        (-4, 0, 100, ["−4", "−2", "0"]),
        (-4, 0, 300, ["−4", "−3", "−2", "−1", "0"]),
        (-12, 0, 120, ["−10", "−5", "0"]),
        (-3, 0, 10, ["0"]),  # no room for two: the top
    ],
)
def test_decade_ticks_keep_their_labels_apart(
    qtbot, low: float, high: float, pixels: float, labels: list[str]
) -> None:
    major, minor = plot_style.decade_ticks(low, high, pixels)
    assert [text for _, text in major] == labels
    values = [v for v, _ in major]
    if len(values) > 2 or (len(values) == 2 and values != [low, high]):
        gap = min(b - a for a, b in itertools.pairwise(values))
        assert gap * pixels / (high - low) >= plot_style.tick_spacing()
    assert sorted(v for v, _ in major + minor) == list(range(int(low), int(high) + 1))
