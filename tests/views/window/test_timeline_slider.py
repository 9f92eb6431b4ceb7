"""The timeline slider of the transport bar: a step repaints the band its handle moved
through, and the screen shows what the slider painted whole shows."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QWidget
from screen_pixels import PaintedAreas, widget_on_screen

from rnnviz.views.look.appearance import appearance
from rnnviz.views.window.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

KEYS = [Qt.Key.Key_Right] * 4 + [Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Left]


def press(qtbot, w: MainWindow, key: Qt.Key) -> None:
    target: QWidget = QApplication.focusWidget() or w
    qtbot.keyClick(target, key)


def test_a_step_repaints_the_band_the_handle_moved_through(qtbot, window: MainWindow) -> None:
    slider = window.transport.slider
    widget_on_screen(slider)
    painted = PaintedAreas(slider)
    for key in KEYS:
        press(qtbot, window, key)
        widget_on_screen(slider)
    assert len(painted.rects) == len(KEYS)  # one paint a step
    step_px = slider.width() / slider.maximum()  # how far the handle moves at a step
    assert max(r.width() for r in painted.rects) < 3 * step_px < slider.width() / 4


@pytest.mark.usefixtures("kept_appearance")
def test_after_steps_seeks_and_a_new_look_the_screen_shows_the_whole_slider(
    qtbot, window: MainWindow
) -> None:
    slider = window.transport.slider
    changes = [lambda key=key: press(qtbot, window, key) for key in KEYS]
    changes += [
        lambda: window.session.seek(17),
        lambda: press(qtbot, window, Qt.Key.Key_Home),
        lambda: appearance.set(scale=1.5),
        lambda: press(qtbot, window, Qt.Key.Key_Right),
        lambda: window.resize(1300, 900),
        lambda: press(qtbot, window, Qt.Key.Key_Right),
    ]
    for k, change in enumerate(changes):
        change()
        shown = widget_on_screen(slider)
        slider.update()
        whole = widget_on_screen(slider)
        assert shown.shape == whole.shape
        assert np.array_equal(shown, whole), f"change {k}: stale slider pixels"
    assert window.session.t == 2
