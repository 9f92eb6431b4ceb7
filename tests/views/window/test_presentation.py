"""Themes and presentation mode on the real window: every panel's paper and text follow the
theme and stay readable (WCAG contrast), presentation mode enlarges type and lines and puts
everything back exactly, the choice is remembered, and "system" follows the desktop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PyQt6.QtWidgets import QApplication, QWidget

from rnnviz.session import Session
from rnnviz.views.look.appearance import appearance
from rnnviz.views.look.palettes import LIGHT
from rnnviz.views.plots.gradient_plot import NORM
from rnnviz.views.window import settings
from rnnviz.views.window.main_window import MainWindow
from rnnviz.views.window.presentation import LINE_SCALE, font_scale

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def settings_dir(monkeypatch, tmp_path: Path) -> Path:
    """This test's own settings: a remembered theme must not reach other tests' windows."""
    folder = tmp_path / "settings"
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(folder))
    return folder


def make_window(qtbot) -> MainWindow:
    w = MainWindow(Session())
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def window(qtbot) -> MainWindow:
    w = make_window(qtbot)
    w.session.seek(8)
    w.session.run_backward()
    return w


# ---- what is on screen -----------------------------------------------------------------------
def luminance(color: QColor) -> float:
    """WCAG 2 relative luminance."""

    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * linear(color.redF())
        + 0.7152 * linear(color.greenF())
        + 0.0722 * linear(color.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def views(w: MainWindow) -> dict[str, pg.GraphicsView]:
    return {
        "graph": w.graph.graphics,
        "state heatmap": w.state_heatmap.plot,
        "gradient heatmap": w.gradient_heatmap.plot,
        "sequence plot": w.sequence_plot.widget,
        "gradient plot": w.gradient_plot.plot,
    }


def axes(w: MainWindow) -> list[pg.AxisItem]:
    plots = (
        w.state_heatmap.plot.getPlotItem(),
        w.gradient_heatmap.plot.getPlotItem(),
        w.sequence_plot.inputs_plot,
        w.sequence_plot.outputs_plot,
        w.gradient_plot.plot.getPlotItem(),
    )
    bars = (w.state_heatmap.color_bar, w.gradient_heatmap.color_bar)
    return [p.getAxis(s) for p in plots for s in ("left", "bottom")] + [
        b.getAxis("right") for b in bars
    ]


def paper(view: pg.GraphicsView) -> QColor:
    return view.backgroundBrush().color()


def pixels(widget: QWidget) -> np.ndarray:
    """(height, width, 3) RGB of the widget as drawn."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    bits = image.constBits()
    assert bits is not None
    bits.setsize(image.sizeInBytes())
    rows = np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine())
    # A copy: the image, and the memory the rows look at, go when this function returns.
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def drawn_contrast(widget: QWidget) -> float:
    """Contrast of a text widget as drawn: its most common colour (the background) against
    the colour farthest from it (the core of the letters)."""
    rgb = pixels(widget).reshape(-1, 3).astype(int)
    colours, counts = np.unique(rgb, axis=0, return_counts=True)
    background = colours[np.argmax(counts)]
    ink = colours[np.argmax(np.abs(colours - background).sum(axis=1))]
    return contrast(QColor(*background.tolist()), QColor(*ink.tolist()))


def standing_out(widget: QWidget) -> int:
    """How many pixels stand out (3:1 or more) from the widget's most common colour: text,
    lines and marks. Dark text on dark paper stands out from nothing."""
    rgb = pixels(widget).reshape(-1, 3) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lum = linear @ np.array([0.2126, 0.7152, 0.0722])  # (n,)
    values, counts = np.unique(lum, return_counts=True)
    background = values[np.argmax(counts)]
    ratio = (np.maximum(lum, background) + 0.05) / (np.minimum(lum, background) + 0.05)
    return int((ratio >= 3).sum())


def labels(w: MainWindow) -> dict[str, QWidget]:
    return {
        "graph status": w.graph.status,
        "heatmap title": w.state_heatmap.title,
        "gradient plot title": w.gradient_plot.title,
        "gradient plot numbers": w.gradient_plot.numbers,
        "gradient plot legend": w.gradient_plot.legend[0],
        "spectral radius hint": w.controls.spectra_label,
        "step counter": w.transport.step_label,
        "equations": w.equations,
    }


def tick_points(w: MainWindow) -> list[float]:
    return [a.style["tickFont"].pointSizeF() for a in axes(w)]


def pen_widths(w: MainWindow) -> list[float]:
    curves = [w.gradient_plot.curves[NORM], w.sequence_plot.curves["input"]]
    return [c.opts["pen"].widthF() for c in curves] + [e.width for e in w.graph.edges()]


def activate(qtbot, w: MainWindow) -> None:
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)


# ---- themes ----------------------------------------------------------------------------------
def test_dark_theme_darkens_every_plot_and_keeps_its_text_readable(window: MainWindow) -> None:
    assert window.presentation.theme == "light"
    assert all(luminance(paper(v)) > 0.9 for v in views(window).values())
    light_ticks = [a.textPen().color() for a in axes(window)]
    assert all(luminance(c) < 0.05 for c in light_ticks)  # dark text on white
    shown = {**labels(window), **views(window)}
    marks = {name: standing_out(widget) for name, widget in shown.items()}

    window.presentation.set_theme("dark")
    assert window.presentation.theme == "dark"
    for name, view in views(window).items():
        assert luminance(paper(view)) < 0.05, name
        assert pixels(view).mean() < 90, name  # what is drawn is dark, not only the brush
    for axis in axes(window):
        text = axis.textPen().color()
        assert luminance(text) > 0.5
        assert contrast(text, paper(axis.scene().views()[0])) >= 4.5
    app = QApplication.palette()
    window_colour = app.color(QPalette.ColorRole.Window)
    assert luminance(window_colour) < 0.05
    assert contrast(app.color(QPalette.ColorRole.WindowText), window_colour) >= 4.5
    for name, widget in labels(window).items():
        assert drawn_contrast(widget) >= 4.5, name
    for name, widget in shown.items():  # every text, line and mark is still seen
        assert standing_out(widget) >= 0.8 * marks[name], name
    for panel in (window.equations, window.input_dock, window.controls_dock):
        assert pixels(panel).mean() < 90, panel.objectName()


def test_high_contrast_reaches_seven_to_one_with_thicker_lines(window: MainWindow) -> None:
    light_widths = pen_widths(window)
    window.presentation.set_theme("high-contrast")
    assert window.presentation.theme == "high-contrast"
    for axis in axes(window):
        assert contrast(axis.textPen().color(), paper(axis.scene().views()[0])) >= 7
    for name, widget in labels(window).items():
        assert drawn_contrast(widget) >= 7, name
    assert all(h > lo for h, lo in zip(pen_widths(window), light_widths, strict=True))


def test_light_again_is_the_look_of_before(window: MainWindow) -> None:
    before = [(a.textPen().color().name(), a.pen().widthF()) for a in axes(window)]
    window.presentation.set_theme("dark")
    window.presentation.set_theme("light")
    assert [(a.textPen().color().name(), a.pen().widthF()) for a in axes(window)] == before
    assert all(paper(v) == QColor(LIGHT.PAPER) for v in views(window).values())


def test_the_theme_menu_chooses_and_the_choice_is_remembered(qtbot, window: MainWindow) -> None:
    menu = window.presentation.theme_menu
    assert menu in [a.menu() for a in window.view_menu.actions()]
    entries = {a.text(): a for a in menu.actions() if a.isCheckable()}
    assert {"Light", "Dark", "High contrast", "Follow the system"} <= set(entries)
    assert entries["Light"].isChecked()
    entries["Dark"].trigger()
    assert window.presentation.theme == "dark" and entries["Dark"].isChecked()
    window.presentation.set_present_in_high_contrast(False)
    window.close()

    appearance.set(palette=LIGHT)  # as a new start of the app
    second = make_window(qtbot)
    assert second.presentation.chosen == "dark"
    assert second.presentation.theme_actions["dark"].isChecked()
    assert luminance(paper(second.gradient_plot.plot)) < 0.05
    assert not second.presentation.present_in_high_contrast


def test_render_windows_show_the_light_theme_whatever_is_remembered(qtbot) -> None:
    settings.set_preferred_theme("dark")
    w = MainWindow(Session(), persistent=False)
    qtbot.addWidget(w)
    assert w.presentation.theme == "light"
    assert paper(w.gradient_plot.plot) == QColor(LIGHT.PAPER)


def test_system_theme_follows_the_desktop(window: MainWindow) -> None:
    hints = QGuiApplication.styleHints()
    assert hints is not None
    p = window.presentation
    p.set_theme("dark")
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)  # only "system" listens
    assert p.theme == "dark"
    try:
        p.set_theme("system")
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert p.theme == "dark" and p.chosen == "system"
        assert luminance(paper(window.gradient_plot.plot)) < 0.05
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert p.theme == "light"
        assert luminance(paper(window.gradient_plot.plot)) > 0.9
    finally:
        hints.colorSchemeChanged.emit(hints.colorScheme())  # what the desktop really says


# ---- presentation mode -----------------------------------------------------------------------
def test_presentation_mode_enlarges_everything_and_esc_puts_it_back(
    qtbot, window: MainWindow
) -> None:
    p = window.presentation
    p.set_present_in_high_contrast(False)  # the theme stays: only the sizes change
    ticks, widths = tick_points(window), pen_widths(window)
    app_points = QApplication.font().pointSizeF()
    activate(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert p.active and p.act_present.isChecked()
    assert window.isFullScreen()
    scale = font_scale(window.screen(), app_points)
    assert scale >= 1.1
    assert not window.input_dock.isVisible() and not window.controls_dock.isVisible()
    assert not window.menuBar().isVisible()
    assert p.theme == "light"
    np.testing.assert_allclose(tick_points(window), np.array(ticks) * scale)
    np.testing.assert_allclose(pen_widths(window), np.array(widths) * LINE_SCALE)
    assert QApplication.font().pointSizeF() == pytest.approx(app_points * scale)

    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not p.active and not p.act_present.isChecked()
    assert not window.isFullScreen()
    assert window.input_dock.isVisible() and window.controls_dock.isVisible()
    assert window.menuBar().isVisible() and not window.act_hide_controls.isChecked()
    assert tick_points(window) == ticks
    assert pen_widths(window) == widths
    assert QApplication.font().pointSizeF() == app_points
    assert appearance.scale == 1.0 and appearance.line_scale == 1.0


def test_presentation_mode_is_high_contrast_by_default_and_gives_the_theme_back(
    window: MainWindow,
) -> None:
    p = window.presentation
    window.input_dock.hide()  # the user's own layout: restored as it was, not as default
    p.set_theme("dark")
    assert p.present_in_high_contrast
    button = window.toolbar.widgetForAction(p.act_present)
    assert button is not None and button.isVisible()
    p.act_present.trigger()  # the toolbar button
    assert p.active and p.theme == "high-contrast"
    assert paper(window.gradient_plot.plot) == QColor("#ffffff")
    assert window.gradient_plot.plot.getPlotItem().getAxis("left").textPen().color() == QColor(
        "#000000"
    )
    p.toggle()
    assert not p.active and p.theme == "dark"
    assert luminance(paper(window.gradient_plot.plot)) < 0.05
    assert not window.input_dock.isVisible() and window.controls_dock.isVisible()


def test_closing_while_presenting_remembers_the_layout_from_before(qtbot) -> None:
    first = make_window(qtbot)
    first.presentation.enter()
    first.close()  # the clean exit writes the layout
    assert appearance.scale == 1.0
    second = make_window(qtbot)
    assert not second.isFullScreen()
    assert second.input_dock.isVisibleTo(second) and second.controls_dock.isVisibleTo(second)
    assert second.menuBar().isVisibleTo(second)
