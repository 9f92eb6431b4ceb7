"""View ▸ Theme and View ▸ Presentation mode for the main window.

Themes: light (the default), dark, high contrast, or following the system's light or dark
setting; the choice is remembered. Presentation mode (F5, Esc leaves it) is for the lecture
hall: full screen, the side panels and the menu bar hidden, type × 1.35 and lines × 1.5,
and by default the high-contrast theme (a remembered preference). Leaving it puts back
exactly what it changed.

The controller owns the window's chrome that follows the theme (toolbar icons, the toolbar's
hint, the dock titles); the panels restyle themselves (``style.appearance``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PyQt6 import sip
from PyQt6.QtCore import QByteArray, QEvent, QObject, QRectF, QSize, Qt
from PyQt6.QtGui import (
    QAction,
    QActionGroup,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QPainter,
    QPixmap,
)
from PyQt6.QtSvg import QSvgRenderer
from PyQt6.QtWidgets import QMenu, QMenuBar

from rnnviz.resources import asset_path
from rnnviz.views import style, theme
from rnnviz.views.binding import listen
from rnnviz.views.files import preferred_theme, set_preferred_theme
from rnnviz.views.palettes import DARK, HIGH_CONTRAST, LIGHT, PALETTES, Palette
from rnnviz.views.settings import app_settings

if TYPE_CHECKING:
    from rnnviz.views.main_window import MainWindow

SYSTEM = "system"
THEMES: dict[str, str] = {  # name → menu entry
    LIGHT.name: "Light",
    DARK.name: "Dark",
    HIGH_CONTRAST.name: "High contrast",
    SYSTEM: "Follow the system",
}
FONT_SCALE = 1.35
LINE_SCALE = 1.5
PRESENT_HIGH_CONTRAST_KEY = "appearance/presentation_high_contrast"
# The window's actions that show an icon, and its file (assets/icons/<name>.svg).
_ACTION_ICONS = {
    "act_step": "step_forward",
    "act_back": "step_back",
    "act_reset": "reset",
    "act_backward": "backward",
    "act_unroll": "unroll",
    "act_lab": "lab",
    "act_hide_controls": "hide_controls",
    "act_full_screen": "fullscreen",
}
_ICON_SIZES = (16, 24, 32, 48, 64)


@dataclass(frozen=True)
class _Before:
    """What presentation mode changes, as it was: put back exactly when it ends."""

    window_state: Qt.WindowState
    controls_hidden: bool
    docks_shown: tuple[bool, bool]  # input, controls
    menu_bar_shown: bool
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

    def __init__(self, window: MainWindow, persistent: bool = True) -> None:
        super().__init__(window)
        # Weak: window.presentation → self → window would be a cycle.
        self._window = weakref.ref(window)
        self.persistent = persistent
        saved = preferred_theme() if persistent else None
        self._chosen = saved if saved in THEMES else LIGHT.name
        self._high_contrast = self._read_high_contrast() if persistent else True
        self._system_dark = _system_is_dark()
        self._before: _Before | None = None
        self._forced: Palette | None = None  # the theme presentation mode shows instead
        self._base_icon_size = window.toolbar.iconSize()
        self._build_actions(window)
        hints = QGuiApplication.styleHints()
        if hints is not None:
            hints.colorSchemeChanged.connect(self._on_color_scheme_changed)
        window.player.playing_changed.connect(self._on_playing_changed)
        # Installed after the File menu's filter, so asked first: the window leaves
        # presentation mode before its layout is remembered on closing.
        window.installEventFilter(self)
        listen(style.appearance_changed, self._restyle_window)
        if not style.appearance.set(palette=self._palette()):
            self._restyle_window()  # the window is new: its chrome follows the theme now

    @property
    def window(self) -> MainWindow:
        window = self._window()
        assert window is not None, "the controller lives as long as its window"
        return window

    # ---- themes ---------------------------------------------------------------------
    @property
    def chosen(self) -> str:
        return self._chosen

    @property
    def theme(self) -> str:
        return self._palette().name

    def set_theme(self, name: str) -> None:
        """Show theme ``name`` (or follow the system's light or dark) and remember it. While
        presenting, the new choice is shown at once, and kept after leaving."""
        if name not in THEMES:
            raise ValueError(f"unknown theme {name!r}: one of {', '.join(THEMES)}")
        self._chosen = name
        self._forced = None
        if self.persistent:
            set_preferred_theme(name)
        self.theme_actions[name].setChecked(True)
        style.appearance.set(palette=self._palette())

    def _palette(self) -> Palette:
        if self._forced is not None:
            return self._forced
        if self._chosen == SYSTEM:
            return DARK if self._system_dark else LIGHT
        return PALETTES[self._chosen]

    def _on_color_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        """The system switched between light and dark (or a test says it did)."""
        self._system_dark = scheme == Qt.ColorScheme.Dark
        if self._chosen == SYSTEM:
            style.appearance.set(palette=self._palette())

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
        """Full screen, side panels and menu bar hidden, larger type and lines, high contrast
        (if so preferred)."""
        if self.active:
            return
        w = self.window
        look = style.appearance
        self._before = _Before(
            window_state=w.windowState(),
            controls_hidden=w.act_hide_controls.isChecked(),
            docks_shown=(not w.input_dock.isHidden(), not w.controls_dock.isHidden()),
            menu_bar_shown=not _menu_bar(w).isHidden(),
            scale=look.scale,
            line_scale=look.line_scale,
        )
        self._forced = HIGH_CONTRAST if self._high_contrast else None
        self.act_present.setChecked(True)
        self.act_leave.setEnabled(True)
        w.act_hide_controls.setChecked(True)
        for dock in (w.input_dock, w.controls_dock):
            dock.hide()  # also one the user showed again by itself
        # Its line of height goes to the panels; every menu entry's key still works (the
        # window holds the actions), and the toolbar still leaves presentation mode.
        _menu_bar(w).hide()
        look.set(palette=self._palette(), scale=FONT_SCALE, line_scale=LINE_SCALE)
        w.setWindowState(w.windowState() | Qt.WindowState.WindowFullScreen)

    def leave(self) -> None:
        """Put back the window, side panels, menu bar, theme and sizes as they were before
        ``enter``."""
        before = self._before
        if before is None:
            return
        self._before = None
        self._forced = None
        w = self.window
        self.act_present.setChecked(False)
        self.act_leave.setEnabled(False)
        w.setWindowState(before.window_state)
        _menu_bar(w).setVisible(before.menu_bar_shown)
        style.appearance.set(
            palette=self._palette(), scale=before.scale, line_scale=before.line_scale
        )
        w.act_hide_controls.setChecked(before.controls_hidden)
        for dock, shown in zip((w.input_dock, w.controls_dock), before.docks_shown, strict=True):
            dock.setVisible(shown)

    def toggle(self) -> None:
        if self.active:
            self.leave()
        else:
            self.enter()

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        if event is not None and event.type() == QEvent.Type.Close:
            self.leave()
        return False

    def _on_present_triggered(self, checked: bool) -> None:
        if checked:
            self.enter()
        else:
            self.leave()

    # ---- menus, toolbar, keys ------------------------------------------------------------
    def _build_actions(self, w: MainWindow) -> None:
        def action(text: str, key: str, tip: str) -> QAction:
            a = QAction(text, self)
            a.setShortcut(QKeySequence(key))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.setToolTip(f"{tip} ({key})")
            w.addAction(a)  # works with the menu bar hidden, too
            return a

        self.act_present = action(
            "Presentation mode", "F5", "Full screen, large type and lines, no side panels"
        )
        self.act_present.setCheckable(True)
        self.act_present.triggered.connect(self._on_present_triggered)
        # Esc belongs to the text fields otherwise (it hands the keys back to the window).
        self.act_leave = action("Leave presentation mode", "Esc", "Leave presentation mode")
        self.act_leave.setEnabled(False)
        self.act_leave.triggered.connect(self.leave)
        self.act_present_high_contrast = QAction("High contrast when presenting", self)
        self.act_present_high_contrast.setCheckable(True)
        self.act_present_high_contrast.setChecked(self._high_contrast)
        self.act_present_high_contrast.toggled.connect(self.set_present_in_high_contrast)

        self.theme_menu = QMenu("&Theme", w)
        group = QActionGroup(self)
        group.triggered.connect(self._on_theme_action)
        self.theme_actions: dict[str, QAction] = {}
        for name, text in THEMES.items():
            a = QAction(text, group)
            a.setData(name)
            a.setCheckable(True)
            a.setChecked(name == self._chosen)
            self.theme_actions[name] = a
            self.theme_menu.addAction(a)
        self.theme_menu.addSeparator()
        self.theme_menu.addAction(self.act_present_high_contrast)

        first = w.view_menu.actions()[0] if w.view_menu.actions() else None
        w.view_menu.insertAction(first, self.act_present)
        w.view_menu.insertMenu(first, self.theme_menu)
        w.view_menu.insertSeparator(first)
        # Beside Full screen, where a teacher looks for it.
        w.toolbar.insertAction(_after(w.toolbar.actions(), w.act_full_screen), self.act_present)

    def _on_theme_action(self, action: QAction) -> None:
        self.set_theme(str(action.data()))

    def _read_high_contrast(self) -> bool:
        value = app_settings().value(PRESENT_HIGH_CONTRAST_KEY, True)
        # An INI file gives booleans back as text.
        return value not in (False, "false", "0", 0)

    # ---- the window's chrome -------------------------------------------------------------
    def _restyle_window(self) -> None:
        """Icons in the theme's ink, the toolbar's hint in its colour, toolbar icons and dock
        titles at its scale (the panels restyle themselves)."""
        w = self._window()
        if w is None or sip.isdeleted(w):
            return  # a closed window that Python has let go of, while Qt deletes it
        palette = style.appearance.palette
        for attr, name in _ACTION_ICONS.items():
            getattr(w, attr).setIcon(themed_icon(name, palette))
        self._on_playing_changed(w.player.playing)
        self.act_present.setIcon(themed_icon("present", palette))
        scale = style.appearance.scale
        w.message.setStyleSheet(
            f"color: {palette.MESSAGE}; font-weight: bold; padding-right: 12px;"
        )
        # Set again even when the same: Qt gives a widget with a style sheet (and so every
        # panel inside the dock) the palette of when the sheet was set, not the new one.
        title_pt = theme.TITLE_POINT_SIZE * scale
        for dock in (w.input_dock, w.controls_dock):
            dock.setStyleSheet(f"QDockWidget {{ font-size: {title_pt:g}pt; font-weight: bold; }}")
        base = self._base_icon_size
        w.toolbar.setIconSize(QSize(round(base.width() * scale), round(base.height() * scale)))

    def _on_playing_changed(self, playing: bool) -> None:
        # After the window's own handler, which sets the icon from its file.
        w = self._window()
        if w is not None and not sip.isdeleted(w):
            w.act_play.setIcon(
                themed_icon("pause" if playing else "play", style.appearance.palette)
            )


def themed_icon(name: str, palette: Palette) -> QIcon:
    """The shipped icon ``name`` with its colours mapped to ``palette``'s (as drawn in light)."""
    path = asset_path(f"icons/{name}.svg")
    if not palette.ICONS:
        return QIcon(str(path))
    svg = path.read_text(encoding="utf-8")
    for old, new in palette.ICONS.items():
        svg = svg.replace(old, new)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    icon = QIcon()
    for size in _ICON_SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def _menu_bar(window: MainWindow) -> QMenuBar:
    bar = window.menuBar()
    assert bar is not None
    return bar


def _system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints is not None and hints.colorScheme() == Qt.ColorScheme.Dark


def _after(actions: list[QAction], action: QAction) -> QAction | None:
    """The action after ``action`` in ``actions`` (None: at the end)."""
    i = actions.index(action)
    return actions[i + 1] if i + 1 < len(actions) else None


def install_presentation(window: MainWindow) -> PresentationController:
    """View ▸ Theme and Presentation mode for ``window``; the controller is also
    ``window.presentation``. A window that keeps no settings (``rnnviz render``) shows the
    light theme and remembers nothing."""
    files = getattr(window, "files", None)
    persistent = bool(getattr(files, "persistent", True))
    controller = PresentationController(window, persistent)
    window.presentation = controller  # type: ignore[attr-defined]
    return controller
