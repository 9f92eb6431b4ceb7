"""The application's current look: a palette of named colours and a scale for type and lines.

There is one ``Appearance`` for the whole application, ``appearance`` below. Views read its
colours at draw time through ``colors()`` (``colors().INK``), never copied at import, so a
change of theme reaches whatever draws next. ``set`` changes the appearance and then, in
this order:

1. gives the Qt application the theme's palette (with Fusion, which honours palettes) and
   scales its font,
2. restyles everything styled through ``keep`` (the shared helpers in ``plot_style`` and
   ``widget_style``: plot axes, titles, hints, fonts and colours of labels), and
3. emits ``changed``: each view restyles what is its own (curve pens, legends written in
   colour, painted panels) in an ``_on_appearance_changed`` handler.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from psygnal import Signal
from PyQt6 import sip
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QApplication

from rnnviz.views.look.palettes import LIGHT, Palette, qt_palette


class Look(NamedTuple):
    palette: Palette
    scale: float
    line_scale: float


class Appearance:
    """The theme's ``palette``, ``scale`` (type, 1 normally) and ``line_scale`` (lines)."""

    changed = Signal()  # once per ``set`` that changed anything

    def __init__(self, palette: Palette) -> None:
        self.palette = palette
        self.scale = 1.0
        self.line_scale = 1.0
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
        self._apply_to_application(new_palette, new_scale)
        self._restyle_kept()
        self.changed.emit()
        return True

    def look(self) -> Look:
        """The palette and scales now, to put back later with ``restore``."""
        return Look(self.palette, self.scale, self.line_scale)

    def restore(self, look: Look) -> None:
        self.set(palette=look.palette, scale=look.scale, line_scale=look.line_scale)

    @contextmanager
    def kept(self) -> Iterator[None]:
        """Whatever changes inside is undone at the end: the look is put back as it was."""
        look = self.look()
        try:
            yield
        finally:
            self.restore(look)

    def pt(self, points: float) -> float:
        """A type size in points at the current scale."""
        return points * self.scale

    def width(self, pixels: float) -> float:
        """A line width at the current scale (and the theme's boost: high contrast is bolder)."""
        return pixels * self.line_scale * self.palette.LINE_BOOST

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


appearance = Appearance(LIGHT)


def colors() -> Palette:
    """The current theme's colours (``colors().INK``, ``colors().REGIME_COLORS`` …): read
    them when drawing, and draw again on ``appearance.changed``."""
    return appearance.palette
