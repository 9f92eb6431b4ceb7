"""The current look: colours are read from the theme's palette when drawing, and what the
shared helpers styled follows every change of theme."""

from __future__ import annotations

import pytest

from rnnviz.views.look import widget_style
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.palettes import DARK, HIGH_CONTRAST, LIGHT

pytestmark = pytest.mark.usefixtures("kept_appearance")


def test_colours_are_the_current_themes() -> None:
    for palette in (DARK, HIGH_CONTRAST, LIGHT):
        appearance.set(palette=palette)
        assert colors() is palette


def test_a_labels_text_colour_and_a_badge_follow_the_theme(qtbot) -> None:
    title, badge = widget_style.title_label("title"), widget_style.badge_label()
    qtbot.addWidget(title)
    qtbot.addWidget(badge)
    widget_style.set_badge(badge, "exploded")
    assert LIGHT.INK in title.styleSheet() and LIGHT.ALERT in badge.styleSheet()
    appearance.set(palette=DARK)
    widget_style.set_badge(badge, "exploded")  # as a view does on appearance.changed
    assert DARK.INK in title.styleSheet() and DARK.ALERT in badge.styleSheet()


def test_a_window_puts_back_the_look_it_found_when_it_closes(qtbot) -> None:
    from rnnviz.session import Session
    from rnnviz.views.window.main_window import MainWindow

    window = MainWindow(Session(), persistent=False)
    qtbot.addWidget(window)
    window.presentation.set_theme("dark")
    window.presentation.enter()
    assert colors() is HIGH_CONTRAST and appearance.scale > 1
    window.close()
    assert colors() is LIGHT and appearance.scale == 1.0
