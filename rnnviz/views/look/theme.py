"""The look of the whole app, set once at start: light, large, readable from the back row."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QApplication

BASE_POINT_SIZE = 12  # menus, buttons, dock contents: the smallest text a projector shows
TITLE_POINT_SIZE = 14  # dock titles and the step counter


def apply(app: QApplication) -> None:
    """Fusion with its light palette (a dark desktop theme must not turn the plots' dark
    text on light background unreadable), a large font, and pyqtgraph's global options."""
    app.setStyle("Fusion")
    style = app.style()
    if style is not None:
        app.setPalette(style.standardPalette())
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    # Global and leaky, so only here: views pass their own options explicitly.
    pg.setConfigOptions(antialias=True, background="w", foreground="k")


def title_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setPointSize(TITLE_POINT_SIZE)
    font.setBold(True)
    return font
