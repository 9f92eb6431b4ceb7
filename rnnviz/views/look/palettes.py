"""The themes' named colours: light (the default), dark and high contrast.

Every view reads its colours by name from the current theme's palette when it draws,
through ``rnnviz.views.look.appearance.colors()`` (``colors().INK``, …). A name means the same
thing in every theme: the data colours keep their hue (blue inputs, orange outputs, purple
gradients) and are only made lighter on dark paper, so a colour learnt in one theme still
reads in another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PyQt6.QtGui import QColor, QPalette

LIGHT_NAME, DARK_NAME, HIGH_CONTRAST_NAME = "light", "dark", "high-contrast"
# The icons' own colours (assets/icons/*.svg): the outline ink, and the two coloured ones.
ICON_INK, ICON_PURPLE, ICON_BLUE = "#263238", "#6a1b9a", "#1565c0"

_Role = QPalette.ColorRole


@dataclass(frozen=True)
class Palette:
    """One theme's colours. Upper-case names are what views read (``colors().INK``)."""

    name: str
    dark: bool
    PAPER: str  # plots, the graph, the equations and the drawing pad
    INK: str  # text and axes
    MUTED: str  # hints and secondary text (never below 4.5:1 on PAPER)
    INPUT: str  # x_t
    OUTPUT: str  # y_t
    TARGET: str  # what y_t should be
    GRADIENT: str  # dL/dh_t
    STATE: str  # h_t
    THEORY_SIGMA_BAND: str  # σ_max^(T−t), drawn wide under ρ^(T−t)
    THEORY_RHO: str  # ρ^(T−t)
    SELECTION: str  # the selected-step marker
    PENDING: tuple[int, int, int, int]  # steps the backward sweep has not reached (RGBA)
    COMPONENTS: tuple[str, ...]  # components of vector inputs
    REGIME_COLORS: dict[str, str]  # badge backgrounds (white text on them)
    ALERT: str  # overflow badges and error text
    MESSAGE: str  # the toolbar's hints
    EDGE: str  # the graph's weight arrows
    BAND: str  # the graph's selected-step band
    GRADIENT_FAINT: str  # the graph's W_hh arrow into a step whose gradient faded …
    GRADIENT_STRONG: str  # … and into the one with the largest gradient
    LESSON_PAPER: str  # the lesson bar
    LESSON_EDGE: str
    INVALID_FIELD: str  # the background of an entry field holding a mistake
    LINE_BOOST: float  # every line width × this (thick lines in high contrast)
    ICONS: dict[str, str]  # icon colour → its colour in this theme (none: the icon as drawn)
    qt: dict[_Role, str] = field(repr=False)  # the Qt palette of the panels and menus
    qt_disabled: dict[_Role, str] = field(repr=False)

    @property
    def BACKGROUND(self) -> str:  # the name the views have always used for PAPER
        return self.PAPER


LIGHT = Palette(
    name=LIGHT_NAME,
    dark=False,
    PAPER="#ffffff",
    INK="#1a1a1a",
    MUTED="#6b6b6b",
    INPUT="#1f5fbf",
    OUTPUT="#d9540c",
    TARGET="#2a8c3a",
    GRADIENT="#7b2cbf",
    STATE="#b8860b",
    THEORY_SIGMA_BAND="#b5b5b5",
    THEORY_RHO="#0f8b8d",
    SELECTION="#111111",
    PENDING=(170, 170, 170, 110),
    COMPONENTS=("#1f5fbf", "#d9540c", "#2a8c3a", "#7b2cbf"),
    REGIME_COLORS={"vanishing": "#1f5fbf", "near the edge": "#2e7d32", "exploding": "#c62828"},
    ALERT="#c62828",
    MESSAGE="#b71c1c",
    EDGE="#505050",
    BAND="#ececec",
    GRADIENT_FAINT="#ded2f0",
    GRADIENT_STRONG="#280050",
    LESSON_PAPER="#fff4d6",
    LESSON_EDGE="#e0b44c",
    INVALID_FIELD="#ffebee",
    LINE_BOOST=1.0,
    ICONS={},
    # Fusion's own light palette, spelled out: on a dark desktop Qt would hand Fusion dark
    # colours, and the light theme must look the same everywhere.
    qt={
        _Role.Window: "#efefef",
        _Role.WindowText: "#000000",
        _Role.Base: "#ffffff",
        _Role.AlternateBase: "#f7f7f7",
        _Role.ToolTipBase: "#ffffdc",
        _Role.ToolTipText: "#000000",
        _Role.PlaceholderText: "#80000000",  # black at half opacity, as Fusion draws it
        _Role.Text: "#000000",
        _Role.Button: "#efefef",
        _Role.ButtonText: "#000000",
        _Role.BrightText: "#ffffff",
        _Role.Light: "#ffffff",
        _Role.Midlight: "#cacaca",
        _Role.Mid: "#b8b8b8",
        _Role.Dark: "#9f9f9f",
        _Role.Shadow: "#767676",
        _Role.Highlight: "#308cc6",
        _Role.HighlightedText: "#ffffff",
        _Role.Accent: "#308cc6",
        _Role.Link: "#0000ff",
        _Role.LinkVisited: "#ff00ff",
    },
    qt_disabled={
        _Role.WindowText: "#bebebe",
        _Role.Text: "#bebebe",
        _Role.ButtonText: "#bebebe",
        _Role.Base: "#efefef",
        _Role.Highlight: "#919191",
        _Role.Dark: "#bebebe",
        _Role.Shadow: "#b1b1b1",
    },
)

DARK = Palette(
    name=DARK_NAME,
    dark=True,
    PAPER="#1b1d21",
    INK="#ececec",
    MUTED="#a9adb3",
    INPUT="#5ea1ff",
    OUTPUT="#ff8c42",
    TARGET="#5cc46c",
    GRADIENT="#c08cff",
    STATE="#e0b23c",
    THEORY_SIGMA_BAND="#5c6068",
    THEORY_RHO="#2ec4c6",
    SELECTION="#f2f2f2",
    PENDING=(60, 62, 70, 160),
    COMPONENTS=("#5ea1ff", "#ff8c42", "#5cc46c", "#c08cff"),
    REGIME_COLORS={"vanishing": "#1f5fbf", "near the edge": "#2e7d32", "exploding": "#c62828"},
    ALERT="#ef5350",
    MESSAGE="#ff8a80",
    EDGE="#b4b8bf",
    BAND="#353a42",
    # Reversed from light: on dark paper a faded gradient recedes into the dark.
    GRADIENT_FAINT="#4a3d5c",
    GRADIENT_STRONG="#f1e6ff",
    LESSON_PAPER="#3b3222",
    LESSON_EDGE="#a07c2c",
    INVALID_FIELD="#5a1f24",
    LINE_BOOST=1.0,
    ICONS={ICON_INK: "#ececec", ICON_PURPLE: "#c08cff", ICON_BLUE: "#5ea1ff"},
    qt={
        _Role.Window: "#2a2d32",
        _Role.WindowText: "#ececec",
        _Role.Base: "#1b1d21",
        _Role.AlternateBase: "#24272b",
        _Role.ToolTipBase: "#3a3e45",
        _Role.ToolTipText: "#ececec",
        _Role.PlaceholderText: "#a9adb3",
        _Role.Text: "#ececec",
        _Role.Button: "#363a40",
        _Role.ButtonText: "#ececec",
        _Role.BrightText: "#ffffff",
        _Role.Light: "#4a4f57",
        _Role.Midlight: "#3f444b",
        _Role.Mid: "#2f3338",
        _Role.Dark: "#151719",
        _Role.Shadow: "#000000",
        _Role.Highlight: "#3d7ee6",
        _Role.HighlightedText: "#ffffff",
        _Role.Accent: "#3d7ee6",
        _Role.Link: "#5ea1ff",
        _Role.LinkVisited: "#c08cff",
    },
    qt_disabled={
        _Role.WindowText: "#7d8187",
        _Role.Text: "#7d8187",
        _Role.ButtonText: "#7d8187",
        _Role.Base: "#24272b",
        _Role.Highlight: "#4a4f57",
    },
)

# Black on white: pure ink, no greys for text, dark saturated colours and thicker lines.
HIGH_CONTRAST = Palette(
    name=HIGH_CONTRAST_NAME,
    dark=False,
    PAPER="#ffffff",
    INK="#000000",
    MUTED="#000000",
    INPUT="#0033cc",
    OUTPUT="#a32900",
    TARGET="#006600",
    GRADIENT="#7000c0",
    STATE="#7a4f00",
    THEORY_SIGMA_BAND="#8c8c8c",
    THEORY_RHO="#005c5c",
    SELECTION="#000000",
    PENDING=(120, 120, 120, 140),
    COMPONENTS=("#0033cc", "#a32900", "#006600", "#7000c0"),
    REGIME_COLORS={"vanishing": "#0033cc", "near the edge": "#006400", "exploding": "#c00000"},
    ALERT="#c00000",
    MESSAGE="#c00000",
    EDGE="#000000",
    BAND="#e0e0e0",
    GRADIENT_FAINT="#c9b3f0",
    GRADIENT_STRONG="#30006b",
    LESSON_PAPER="#fff3b0",
    LESSON_EDGE="#000000",
    INVALID_FIELD="#ffd6d6",
    LINE_BOOST=1.4,
    ICONS={ICON_INK: "#000000", ICON_PURPLE: "#7000c0", ICON_BLUE: "#0033cc"},
    qt={
        _Role.Window: "#ffffff",
        _Role.WindowText: "#000000",
        _Role.Base: "#ffffff",
        _Role.AlternateBase: "#f2f2f2",
        _Role.ToolTipBase: "#ffffff",
        _Role.ToolTipText: "#000000",
        # Grey, not black: an example in an empty field must not pass for typed input
        # (#555555 on white is still 7.5:1).
        _Role.PlaceholderText: "#555555",
        _Role.Text: "#000000",
        _Role.Button: "#ffffff",
        _Role.ButtonText: "#000000",
        _Role.BrightText: "#ffffff",
        _Role.Light: "#ffffff",
        _Role.Midlight: "#ffffff",
        _Role.Mid: "#000000",
        _Role.Dark: "#000000",
        _Role.Shadow: "#000000",
        _Role.Highlight: "#0033cc",
        _Role.HighlightedText: "#ffffff",
        _Role.Accent: "#0033cc",
        _Role.Link: "#0033cc",
        _Role.LinkVisited: "#7000c0",
    },
    qt_disabled={
        _Role.WindowText: "#595959",
        _Role.Text: "#595959",
        _Role.ButtonText: "#595959",
        _Role.Base: "#f2f2f2",
        _Role.Highlight: "#595959",
    },
)

PALETTES: dict[str, Palette] = {p.name: p for p in (LIGHT, DARK, HIGH_CONTRAST)}


def qt_palette(p: Palette) -> QPalette:
    """The Qt palette for panels, menus and dialogs in ``p``'s colours."""
    palette = QPalette()
    for role, color in p.qt.items():
        palette.setColor(role, QColor(color))  # every colour group
    for role, color in p.qt_disabled.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(color))
    return palette


def luminance(color: str | QColor) -> float:
    """WCAG relative luminance of a colour (0 black … 1 white)."""
    c = QColor(color)

    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in (c.redF(), c.greenF(), c.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str | QColor, b: str | QColor) -> float:
    """WCAG contrast ratio of two colours: 1 (the same) … 21 (black on white)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
