"""Text in the sequence plot reads: character ticks thinned to what fits (never overlapping),
space and newline as visible glyphs, the targets' circles whole."""

from __future__ import annotations

from itertools import pairwise

import pytest
from PyQt6.QtCore import QPointF, QRectF
from PyQt6.QtGui import QImage, QPainter

from rnnviz.session import Session
from rnnviz.views.plots.sequence_plot import SequencePlot

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

PANGRAM = "the quick brown fox\njumps over the lazy dog"  # 28 characters, space and newline


def make(qtbot, s: Session, width: int, height: int) -> SequencePlot:
    w = SequencePlot(s)
    qtbot.addWidget(w)
    w.resize(width, height)
    w.show()
    qtbot.waitExposed(w)
    return w


def tick_labels(plot) -> list[tuple[QRectF, str]]:
    """The left axis's tick labels as pyqtgraph draws them: (rectangle, text)."""
    axis = plot.getAxis("left")
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(rect, text) for rect, _, text in texts if text]


@pytest.mark.parametrize("size", [(500, 260), (800, 500), (1200, 900)])
def test_character_ticks_never_overlap(qtbot, size) -> None:
    s = Session()
    s.set_sequence(PANGRAM)
    s.seek(12)
    w = make(qtbot, s, *size)
    for plot in (w.inputs_plot, w.outputs_plot):
        labels = tick_labels(plot)
        assert len(labels) >= 2, "a few characters stay named"
        rects = sorted((rect for rect, _ in labels), key=lambda r: r.top())
        for upper, lower in pairwise(rects):
            assert upper.bottom() <= lower.top() + 0.5, "labels stack into a column"
        axis_rect = plot.getAxis("left").boundingRect()
        for rect, text in labels:
            assert axis_rect.contains(rect), f"{text!r} is cut"


def test_space_and_newline_are_visible_glyphs(qtbot) -> None:
    s = Session()
    s.set_sequence("a b\nc")  # five steps, a vocabulary of five
    w = make(qtbot, s, 800, 900)
    shown = {text for _, text in tick_labels(w.inputs_plot)}
    assert shown == {"↵", "␣", "a", "b", "c"}


@pytest.mark.parametrize("size", [(500, 260), (800, 500)])
def test_target_circles_are_whole(qtbot, size) -> None:
    s = Session()
    s.set_sequence(PANGRAM)
    s.seek(s.sequence.shape[0])
    w = make(qtbot, s, *size)
    curve = w.curves["target"]
    radius = curve.opts["symbolSize"] / 2
    view = w.outputs_plot.getViewBox()
    box = view.sceneBoundingRect()
    xs, ys = curve.getData()
    for x, y in zip(xs, ys, strict=True):
        centre = view.mapViewToScene(QPointF(float(x), float(y)))
        assert box.top() <= centre.y() - radius and centre.y() + radius <= box.bottom()
