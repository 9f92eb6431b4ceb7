"""The plots have no right-click menu (the window's actions and keys do what pyqtgraph's
menu would; its entries would undo the fixed ranges). The plots are made without one, so
that pyqtgraph does not build a menu per plot before the first paint only to drop it."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QMenu

from rnnviz.views.window.main_window import MainWindow

# The offscreen platform warns of a click that no widget takes (a plot without a menu)
# and of a popup it cannot raise.
pytestmark = pytest.mark.qt_log_ignore(
    r"Mouse event .* not accepted", r"This plugin does not support"
)


def _right_click(qtbot, widget: pg.GraphicsView) -> object:
    """What pops up after a right-click in the middle of the plot's drawing area."""
    viewport = widget.viewport()
    assert viewport is not None
    qtbot.mouseClick(viewport, Qt.MouseButton.RightButton, pos=viewport.rect().center())
    qtbot.wait(20)  # a menu would pop up inside the click; let any queued event run
    return QApplication.activePopupWidget()


def test_pyqtgraphs_own_plot_pops_up_its_menu(qtbot) -> None:
    """The click below reaches a plot's menu when there is one."""
    plain = pg.PlotWidget()
    qtbot.addWidget(plain)
    plain.resize(400, 300)
    plain.show()
    qtbot.waitExposed(plain)
    menu = _right_click(qtbot, plain)
    assert isinstance(menu, QMenu)
    assert "View All" in [a.text() for a in menu.actions()]
    menu.close()


def test_a_right_click_on_the_network_pages_plots_pops_up_nothing(
    qtbot, window: MainWindow
) -> None:
    plots = (
        window.state_heatmap.plot,
        window.gradient_heatmap.plot,
        window.gradient_plot.plot,
        window.sequence_plot.widget,
    )
    for plot in plots:
        assert _right_click(qtbot, plot) is None
