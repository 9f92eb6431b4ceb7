"""The folded graph in a lesson: its W_hh loop is the recurrence itself, after the backward
pass in the gradient's colour, and stays visible (3:1 on the paper or more) even at a step
whose gradient is the smallest, as the last step is when gradients explode; its x and y
labels stay whole when the lesson's bar leaves the graph short."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtGui import QColor, QFont, QFontMetricsF

from rnnviz.session import Session, SessionConfig
from rnnviz.views.graph.layout import NODE_HEIGHT, ROW_Y
from rnnviz.views.graph.scene import FOLDED_LABEL_OFFSET, FOLDED_LABEL_PT
from rnnviz.views.graph.view import GraphView
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.palettes import DARK, HIGH_CONTRAST, LIGHT

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def luminance(color: str) -> float:
    c = np.array(QColor(color).getRgb()[:3]) / 255.0
    lin = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2])


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.usefixtures("kept_appearance")
@pytest.mark.parametrize("palette", [LIGHT, DARK, HIGH_CONTRAST], ids=["light", "dark", "hc"])
def test_the_loop_stays_visible_when_the_gradient_explodes(qtbot, palette) -> None:
    appearance.set(palette=palette)
    # The exploding lesson's network: linear, ρ = 1.2, the loss at the last step only.
    s = Session(SessionConfig(activation="linear", spectral_radius=1.2, loss_at="last"))
    s.load_preset("random")
    view = GraphView(s)
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.set_unrolled(False, animate=False)
    view.show()
    s.seek(s.sequence.shape[0])
    s.run_backward()
    g = s.gradients.dL_dh_norm
    assert g[-1] == g.min() and g[-1] < g[0] / 10, "the last step's gradient is the smallest"
    (loop,) = [e for e in view.edges() if e.loop]
    assert contrast(loop.color, colors().PAPER) >= 3.0
    assert loop.color != colors().EDGE, "it still shows the gradient's colour"


@pytest.mark.parametrize("height", [170, 220, 400])
def test_the_folded_x_and_y_labels_are_whole_in_a_short_graph(qtbot, height) -> None:
    """A lesson's bar leaves the graph short: x_t under the cell and y_t over it stay whole."""
    s = Session()
    s.seek(5)
    view = GraphView(s)
    qtbot.addWidget(view)
    view.resize(700, height)
    view.set_unrolled(False, animate=False)
    view.show()
    qtbot.waitExposed(view)
    view.graphics.grab()  # painted: the camera is applied
    font = QFont(view.font())
    font.setPointSizeF(FOLDED_LABEL_PT * appearance.scale)
    text_px = QFontMetricsF(font).height()
    viewport = view.graphics.viewport()
    x, _ = view.node_positions()["x"]
    box_bottom = view.map_to_viewport(x, ROW_Y["x"] - NODE_HEIGHT["x"] / 2).y()
    box_top = view.map_to_viewport(x, ROW_Y["y"] + NODE_HEIGHT["y"] / 2).y()
    gap = FOLDED_LABEL_OFFSET  # between a folded box and its label
    assert box_bottom + gap + text_px <= viewport.height()
    assert box_top - gap - text_px >= 0
