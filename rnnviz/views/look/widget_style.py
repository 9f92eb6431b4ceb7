"""Small widgets in the shared look: panel titles and their rows, badges, and the font and
text colour of any widget, kept so after every change of theme or scale
(``appearance.keep``)."""

from __future__ import annotations

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QWidget

from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.sizes import BADGE_PT, LABEL_PT, TITLE_PT, font


def set_font(widget: QWidget, points: float = LABEL_PT, bold: bool = False) -> None:
    """Give ``widget`` (and the children that inherit it) a font of ``points`` at the
    appearance's scale, now and after every change."""
    appearance.keep(widget, "font", lambda w: w.setFont(font(points, bold)))


def set_text_color(widget: QWidget, name: str) -> None:
    """Write ``widget``'s text in the theme's colour ``name`` ("INK", "MUTED", "ALERT", …),
    now and after every change of theme.

    A style sheet on the widget itself: a palette colour would be undone whenever an
    ancestor's style sheet is set again. Give the widget its font with ``set_font`` first:
    a style sheet drops a font the widget only inherits (to the application's 9 pt).
    """
    appearance.keep(
        widget, "color", lambda w: w.setStyleSheet(f"color: {getattr(colors(), name)};")
    )


def title_label(text: str) -> QLabel:
    label = QLabel(text)
    set_font(label, TITLE_PT, bold=True)
    set_text_color(label, "INK")
    return label


def title_row(title: QLabel, *right: QWidget) -> QHBoxLayout:
    """A panel's header: its title on the left, the given widgets (a badge, a button) on
    the right."""
    row = QHBoxLayout()
    row.addWidget(title)
    row.addStretch(1)
    for widget in right:
        row.addWidget(widget)
    return row


def badge_label() -> QLabel:
    """A rounded coloured tag (regime, "exploded at t = …"); hidden until it has text."""
    label = QLabel()
    set_font(label, BADGE_PT, bold=True)
    label.hide()
    return label


def set_badge(label: QLabel, text: str, color: str | None = None) -> None:
    """Show ``text`` on a ``color`` tag (the theme's ALERT unless given), or hide the badge
    for an empty text. The view calls it again when the theme changes."""
    # Called on every frame: a style sheet re-polishes the label even when it is the same.
    background = color or colors().ALERT
    sheet = f"color: white; background-color: {background}; border-radius: 6px; padding: 3px 10px;"
    if label.styleSheet() != sheet:
        label.setStyleSheet(sheet)
    label.setText(text)
    label.setVisible(bool(text))
