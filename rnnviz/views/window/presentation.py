"""View ▸ Theme and View ▸ Presentation mode: the actions, and the application's look
(``appearance``) following the window's state.

Themes: light (the default), dark, high contrast, or following the system's light or dark
setting; the choice is remembered. Presentation mode (F5, Esc leaves it) is for the lecture
hall: type scaled to the screen's height (``font_scale``), lines × 1.5, and by default the
high-contrast theme (a remembered preference); the window follows ``WindowState.presenting``
with its chrome (full screen, the side panels and the menu bar hidden). Leaving it puts back
exactly what it changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QAction, QActionGroup, QGuiApplication, QScreen
from PyQt6.QtWidgets import QApplication, QMenu, QWidget

from rnnviz.session.window_state import WindowState
from rnnviz.views.look.appearance import appearance
from rnnviz.views.look.palettes import DARK, HIGH_CONTRAST, LIGHT, PALETTES, Palette
from rnnviz.views.window.settings import app_settings, preferred_theme, set_preferred_theme
from rnnviz.views.window.window_host import host, host_widget

SYSTEM = "system"
THEMES: dict[str, str] = {  # name → menu entry
    LIGHT.name: "Light",
    DARK.name: "Dark",
    HIGH_CONTRAST.name: "High contrast",
    SYSTEM: "Follow the system",
}
# Type in presentation mode is a share of the screen's height, the same on every projector:
# the smallest text (the application's font) is at least 1/45 of it, and always a little
# larger than at the desk.
SMALLEST_TEXT_SHARE = 1 / 45
MIN_FONT_SCALE = 1.1
LINE_SCALE = 1.5
PRESENT_HIGH_CONTRAST_KEY = "appearance/presentation_high_contrast"


@dataclass(frozen=True)
class _Sizes:
    """The appearance's sizes before presentation mode: put back when it ends."""

    scale: float
    line_scale: float


class PresentationController(QObject):
    """The themes and presentation mode of one window (``window.presentation``).

    Public: ``set_theme(name)`` (one of ``THEMES``; remembered), ``chosen`` (that name,
    "system" included), ``theme`` (the theme shown now: "light", "dark" or
    "high-contrast"), ``enter()``, ``leave()``, ``toggle()``, ``active``,
    ``present_in_high_contrast`` (the preference) and ``set_present_in_high_contrast(on)``;
    the actions ``act_present`` (F5, checkable), ``act_leave`` (Esc, enabled while
    presenting), ``act_present_high_contrast`` and ``theme_actions`` (name → radio action in
    View ▸ Theme, ``theme_menu``).
    """

    def __init__(
        self, state: WindowState, view_menu: QMenu, persistent: bool, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.persistent = persistent
        saved = preferred_theme() if persistent else None
        if saved in THEMES:
            state.theme = saved
        self._high_contrast = self._read_high_contrast() if persistent else True
        self._system_dark = _system_is_dark()
        self._before: _Sizes | None = None
        self._build_actions(view_menu)
        hints = QGuiApplication.styleHints()
        if hints is not None:
            hints.colorSchemeChanged.connect(self._on_color_scheme_changed)
        state.events.theme.connect(self._on_theme)
        state.events.presenting.connect(self._on_presenting)
        appearance.set(palette=self._palette())
        if state.presenting:
            self._on_presenting(True)

    # ---- themes ---------------------------------------------------------------------
    @property
    def chosen(self) -> str:
        return self.state.theme

    @property
    def theme(self) -> str:
        return self._palette().name

    def set_theme(self, name: str) -> None:
        """Show theme ``name`` (or follow the system's light or dark) and remember it. While
        presenting, the new choice is shown at once, and kept after leaving."""
        if name not in THEMES:
            raise ValueError(f"unknown theme {name!r}: one of {', '.join(THEMES)}")
        self.state.theme = name
        if self.persistent:
            set_preferred_theme(name)

    def _on_theme(self, name: str) -> None:
        self.theme_actions[name].setChecked(True)
        appearance.set(palette=self._palette())

    def _palette(self) -> Palette:
        if self.active and self._high_contrast:
            return HIGH_CONTRAST
        chosen = self.state.theme
        if chosen == SYSTEM:
            return DARK if self._system_dark else LIGHT
        return PALETTES.get(chosen, LIGHT)

    def _on_color_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        """The system switched between light and dark (or a test says it did)."""
        self._system_dark = scheme == Qt.ColorScheme.Dark
        if self.state.theme == SYSTEM:
            appearance.set(palette=self._palette())

    # ---- presentation mode ---------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._before is not None

    @property
    def present_in_high_contrast(self) -> bool:
        return self._high_contrast

    def set_present_in_high_contrast(self, on: bool) -> None:
        """Whether presentation mode switches to the high-contrast theme (remembered)."""
        self._high_contrast = on
        self.act_present_high_contrast.setChecked(on)
        if self.persistent:
            app_settings().setValue(PRESENT_HIGH_CONTRAST_KEY, on)

    def enter(self) -> None:
        """Larger type and lines, high contrast (if so preferred); the window goes full
        screen and hides its side panels and menu bar."""
        self.state.presenting = True

    def leave(self) -> None:
        """Put back the theme and sizes (and the window its chrome) as before ``enter``."""
        self.state.presenting = False

    def _on_present_triggered(self, checked: bool) -> None:
        self.state.presenting = checked

    def toggle(self) -> None:
        self.state.presenting = not self.state.presenting

    def _on_presenting(self, on: bool) -> None:
        look = appearance
        self.act_present.setChecked(on)
        self.act_leave.setEnabled(on)
        if on and self._before is None:
            self._before = _Sizes(look.scale, look.line_scale)
            # The application's font is the smallest text; at the desk's scale now.
            desk_pt = QApplication.font().pointSizeF() / look.scale
            scale = font_scale(host_widget(self).screen(), desk_pt)
            look.set(palette=self._palette(), scale=scale, line_scale=LINE_SCALE)
        elif not on and self._before is not None:
            before, self._before = self._before, None
            look.set(palette=self._palette(), scale=before.scale, line_scale=before.line_scale)

    # ---- menus and keys ------------------------------------------------------------------
    def _build_actions(self, view_menu: QMenu) -> None:
        h = host(self)
        self.act_present = h.add_action(
            "Presentation mode", "F5", "Full screen, large type and lines, no side panels"
        )
        self.act_present.setCheckable(True)
        self.act_present.triggered.connect(self._on_present_triggered)
        # Esc belongs to the text fields otherwise (it hands the keys back to the window).
        self.act_leave = h.add_action("Leave presentation mode", "Esc", "Leave presentation mode")
        self.act_leave.setEnabled(False)
        self.act_leave.triggered.connect(self.leave)
        self.act_present_high_contrast = QAction("High contrast when presenting", self)
        self.act_present_high_contrast.setCheckable(True)
        self.act_present_high_contrast.setChecked(self._high_contrast)
        self.act_present_high_contrast.toggled.connect(self.set_present_in_high_contrast)

        self.theme_menu = QMenu("&Theme", host_widget(self))
        group = QActionGroup(self)
        group.triggered.connect(self._on_theme_action)
        self.theme_actions: dict[str, QAction] = {}
        for name, text in THEMES.items():
            a = QAction(text, group)
            a.setData(name)
            a.setCheckable(True)
            a.setChecked(name == self.state.theme)
            self.theme_actions[name] = a
            self.theme_menu.addAction(a)
        self.theme_menu.addSeparator()
        self.theme_menu.addAction(self.act_present_high_contrast)

        first = view_menu.actions()[0] if view_menu.actions() else None
        view_menu.insertAction(first, self.act_present)
        view_menu.insertMenu(first, self.theme_menu)
        view_menu.insertSeparator(first)

    def _on_theme_action(self, action: QAction) -> None:
        self.set_theme(str(action.data()))

    def _read_high_contrast(self) -> bool:
        value = app_settings().value(PRESENT_HIGH_CONTRAST_KEY, True)
        # An INI file gives booleans back as text.
        return value not in (False, "false", "0", 0)


def font_scale(screen: QScreen | None, smallest_pt: float) -> float:
    """The type scale of presentation mode on ``screen``: the smallest text (``smallest_pt``
    at the desk, the application's font) becomes SMALLEST_TEXT_SHARE of the screen's
    height, and never less than MIN_FONT_SCALE × the desk's (with the app's 12 pt: 1.125 on a
    1024×768 projector, 1.5 at 1920×1080)."""
    if screen is None or smallest_pt <= 0:
        return MIN_FONT_SCALE
    smallest_px = smallest_pt * screen.logicalDotsPerInchY() / 72
    # Fonts are drawn at whole pixels: aim for the next whole pixel at or above the share.
    wanted = math.ceil(screen.geometry().height() * SMALLEST_TEXT_SHARE) / smallest_px
    return max(MIN_FONT_SCALE, math.ceil(wanted * 1000) / 1000)


def _system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints is not None and hints.colorScheme() == Qt.ColorScheme.Dark
