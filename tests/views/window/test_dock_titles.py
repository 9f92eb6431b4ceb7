"""The side panels' titles: bold at the theme's title size from the first paint, larger
with larger type, and the panels inside them in a new theme's colours (a style sheet keeps
the palette of when it was set: the window sets it again)."""

from __future__ import annotations

import pytest
from PyQt6.QtGui import QPalette

from rnnviz.views.look import theme
from rnnviz.views.look.appearance import appearance
from rnnviz.views.look.palettes import DARK, LIGHT
from rnnviz.views.window.main_window import MainWindow


def _docks(window: MainWindow) -> tuple:
    return (window.input_dock, window.controls_dock)


def test_dock_titles_are_bold_at_the_title_size(window: MainWindow) -> None:
    for dock in _docks(window):
        assert dock.font().pointSizeF() == pytest.approx(theme.TITLE_POINT_SIZE)
        assert dock.font().bold()
    # The title's font does not pass on to the panel.
    assert window.controls.font().pointSizeF() < theme.TITLE_POINT_SIZE


def test_dock_titles_grow_with_the_type(qtbot, window: MainWindow, kept_appearance) -> None:
    appearance.set(scale=1.5)
    qtbot.waitUntil(
        lambda: window.input_dock.font().pointSizeF() == pytest.approx(1.5 * theme.TITLE_POINT_SIZE)
    )
    assert window.controls_dock.font().pointSizeF() == pytest.approx(1.5 * theme.TITLE_POINT_SIZE)


def test_the_panels_in_the_docks_take_a_new_themes_colours(
    qtbot, window: MainWindow, kept_appearance
) -> None:
    role = QPalette.ColorRole.Window
    assert appearance.palette is LIGHT
    light = window.controls.palette().color(role).name()
    assert light == LIGHT.qt[role].lower()
    appearance.set(palette=DARK)
    for panel in (window.controls, window.input_panel):
        qtbot.waitUntil(lambda p=panel: p.palette().color(role).name() == DARK.qt[role].lower())
    assert DARK.qt[role].lower() != light
