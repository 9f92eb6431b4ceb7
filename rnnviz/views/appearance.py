"""The application's current look: a palette of named colours and a scale for type and lines.

There is one ``Appearance`` for the whole application (``style.appearance``). ``set`` changes
it and then, in this order:

1. rebinds what the views read by name (``style.INK`` …: ``bind``),
2. gives the Qt application the theme's palette (with Fusion, which honours palettes) and
   scales its font,
3. restyles everything styled through ``keep`` (the shared helpers in ``style``: plot axes,
   titles, hints, fonts and colours of labels), and
4. emits ``changed`` (``style.appearance_changed``): each view restyles what is its own (curve
   pens, legends written in colour, painted panels) in an ``_on_appearance_changed`` handler.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from psygnal import Signal
from PyQt6 import sip
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QApplication

from rnnviz.views.palettes import Palette, qt_palette


class Appearance:
    """The theme's ``palette``, ``scale`` (type, 1 normally) and ``line_scale`` (lines)."""

    changed = Signal()  # once per ``set`` that changed anything

    def __init__(self, palette: Palette) -> None:
        self.palette = palette
        self.scale = 1.0
        self.line_scale = 1.0
        self._binders: list[Callable[[Palette], None]] = []
        self._kept: weakref.WeakKeyDictionary[Any, dict[str, Callable[[Any], None]]] = (
            weakref.WeakKeyDictionary()
        )
        self._base_font: QFont | None = None  # the application's font at scale 1

    def set(
        self,
        palette: Palette | None = None,
        scale: float | None = None,
        line_scale: float | None = None,
    ) -> bool:
        """Change what is given; True when anything changed (then everything is restyled)."""
        palette = self.palette if palette is None else palette
        scale = self.scale if scale is None else scale
        line_scale = self.line_scale if line_scale is None else line_scale
        new_palette, new_scale = palette is not self.palette, scale != self.scale
        if not new_palette and not new_scale and line_scale == self.line_scale:
            return False
        self.palette, self.scale, self.line_scale = palette, scale, line_scale
        for bind in self._binders:
            bind(palette)
        self._apply_to_application(new_palette, new_scale)
        self._restyle_kept()
        self.changed.emit()
        return True

    def pt(self, points: float) -> float:
        """A type size in points at the current scale."""
        return points * self.scale

    def width(self, pixels: float) -> float:
        """A line width at the current scale (and the theme's boost: high contrast is bolder)."""
        return pixels * self.line_scale * self.palette.LINE_BOOST

    def bind(self, binder: Callable[[Palette], None]) -> None:
        """Call ``binder(palette)`` now and first thing after every change."""
        self._binders.append(binder)
        binder(self.palette)

    def keep(self, item: Any, key: str, restyle: Callable[[Any], None]) -> None:
        """Style ``item`` with ``restyle(item)`` now and after every change while it lives.

        One restyle per ``key``: keeping the same key again replaces it (a title whose text
        changes keeps only its latest text). Held weakly: a deleted item is dropped.
        """
        self._kept.setdefault(item, {})[key] = restyle
        restyle(item)

    def _restyle_kept(self) -> None:
        for item, restylers in list(self._kept.items()):
            if sip.isdeleted(item):
                del self._kept[item]
                continue
            for restyle in list(restylers.values()):
                restyle(item)

    def _apply_to_application(self, new_palette: bool, new_scale: bool) -> None:
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        if new_palette:
            style = app.style()
            if style is None or style.name().lower() != "fusion":
                app.setStyle("Fusion")  # native styles ignore palettes
            app.setPalette(qt_palette(self.palette))
        if new_scale:
            if self._base_font is None:
                self._base_font = QFont(app.font())
            font = QFont(self._base_font)
            font.setPointSizeF(self._base_font.pointSizeF() * self.scale)
            app.setFont(font)
            if self.scale == 1.0:
                self._base_font = None  # back to the very font it had
