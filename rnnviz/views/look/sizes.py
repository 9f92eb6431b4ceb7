"""Sizes of type and lines, and the fonts and pens made at them.

Projected in a lecture hall: labels ≥ 12 pt, titles and badges ≥ 14 pt, thick lines. Every
size here is at scale 1; the helpers scale it by the current appearance (presentation mode
enlarges type and lines, high contrast thickens lines), so make fonts and pens when drawing.
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFont

from rnnviz.views.look.appearance import appearance

LABEL_PT = 13
TITLE_PT = 16
BADGE_PT = 15
HINT_PT = 16
LINE_WIDTH = 3


def pt(points: float) -> float:
    """A type size at the appearance's scale (× 1.35 in presentation mode)."""
    return appearance.pt(points)


def line_width(pixels: float) -> float:
    """A line width at the appearance's scale (× 1.5 in presentation mode, bolder in high
    contrast)."""
    return appearance.width(pixels)


def font(point_size: float, bold: bool = False) -> QFont:
    """A font of ``point_size`` at the appearance's scale (made when drawing: a font kept
    from before a change of scale keeps the old size; ``widget_style.set_font`` keeps a
    widget's)."""
    f = QFont()
    f.setPointSizeF(pt(point_size))
    f.setBold(bold)
    return f


def pen(color: str, width: float = LINE_WIDTH, dashed: bool = False, alpha: int = 255) -> object:
    """A cosmetic pen (width in pixels whatever the zoom, at the appearance's scale); dashed
    for theory and targets."""
    c = pg.mkColor(color)
    c.setAlpha(alpha)
    style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
    return pg.mkPen(color=c, width=line_width(width), style=style)
