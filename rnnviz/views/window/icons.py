"""The shipped toolbar icons, drawn in the current theme's colours."""

from __future__ import annotations

from PyQt6.QtCore import QByteArray, QRectF, Qt
from PyQt6.QtGui import QIcon, QPainter, QPixmap
from PyQt6.QtSvg import QSvgRenderer

from rnnviz.resources import asset_path
from rnnviz.views.look.palettes import Palette

_ICON_SIZES = (16, 24, 32, 48, 64)


def icon(name: str) -> QIcon:
    """The shipped icon ``name`` as drawn (for the light theme)."""
    return QIcon(str(asset_path(f"icons/{name}.svg")))


def themed_icon(name: str, palette: Palette) -> QIcon:
    """The shipped icon ``name`` with its colours mapped to ``palette``'s (as drawn in light)."""
    path = asset_path(f"icons/{name}.svg")
    if not palette.ICONS:
        return QIcon(str(path))
    svg = path.read_text(encoding="utf-8")
    for old, new in palette.ICONS.items():
        svg = svg.replace(old, new)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    drawn = QIcon()
    for size in _ICON_SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        drawn.addPixmap(pixmap)
    return drawn
