"""Typeset text everywhere: no raw ``_``, ``^`` or braces reach the screen. Every visible
widget's text and tooltip, every menu entry, plot axis title, plot title and text item is
read as displayed, at the start, after a backward pass, on every lab tab and on every slide
of every built-in lesson; the converter escapes what it is given and adds only scripts."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTabBar,
    QWidget,
)

from rnnviz.resources import asset_path
from rnnviz.session import Session
from rnnviz.views.look.math_text import has_raw_markup, math_html, shown_text
from rnnviz.views.window.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch) -> MainWindow:
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))
    w = MainWindow(Session())
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    return w


def displayed(widget: QWidget) -> list[str]:
    """What ``widget`` shows or offers on hover, as displayed (rich text rendered)."""
    texts = [widget.toolTip()]
    if isinstance(widget, QLabel):
        plain = widget.textFormat() == Qt.TextFormat.PlainText
        texts.append(widget.text() if not plain else widget.text().replace("<", "‹"))
    if isinstance(widget, QAbstractButton):
        texts.append(widget.text())
    if isinstance(widget, QGroupBox):
        texts.append(widget.title())
    if isinstance(widget, QTabBar):
        for i in range(widget.count()):
            texts += [widget.tabText(i), widget.tabToolTip(i)]
    if isinstance(widget, QComboBox):
        for i in range(widget.count()):
            tip = widget.itemData(i, Qt.ItemDataRole.ToolTipRole)
            texts += [widget.itemText(i), tip if isinstance(tip, str) else ""]
    if isinstance(widget, QLineEdit):
        texts.append(widget.placeholderText())
    if isinstance(widget, pg.GraphicsView) and widget.scene() is not None:
        for item in widget.scene().items():
            if isinstance(item, pg.AxisItem):
                texts.append(item.labelText)
            elif isinstance(item, pg.LabelItem):
                texts.append(item.text)
            elif isinstance(item, pg.TextItem):
                texts.append(item.toPlainText())
            texts.append(item.toolTip())
    for action in widget.actions():
        texts += [action.text(), action.toolTip()]
        if isinstance(widget, QMenu) and action.menu() is not None:
            texts += [a.toolTip() for a in action.menu().actions()]
    return [shown_text(t) for t in texts if t]


def raw_markup(window: MainWindow, where: str) -> list[str]:
    found = []
    for widget in [window, *window.findChildren(QWidget)]:
        if not (widget.isVisible() or isinstance(widget, QMenu)):
            continue
        found += [f"{where}: {type(widget).__name__}: {t}" for t in displayed(widget)]
    return [f for f in found if has_raw_markup(f.split(": ", 2)[2])]


def test_no_raw_markup_on_screen_in_any_state(qtbot, window: MainWindow) -> None:
    found = raw_markup(window, "start")
    window.session.seek(12)
    window.session.run_backward()
    found += raw_markup(window, "after B")
    lab = window.lab_panel
    window.act_lab.trigger()
    window.lab.compare()
    for i in range(lab.tabs.count()):
        name = lab.tabs.tabText(i)
        lab.show_tab(name)
        found += raw_markup(window, f"lab {name}")
    window.act_lab.trigger()
    lessons = sorted(asset_path("scenarios").glob("*.json"))
    assert len(lessons) >= 5
    for lesson in lessons:
        window.lessons.open_lesson(lesson.stem)
        k = 1
        found += raw_markup(window, f"{lesson.stem} slide {k}")
        while window.lessons.next_slide():
            k += 1
            found += raw_markup(window, f"{lesson.stem} slide {k}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("typed", "html"),
    [
        ("W_xh x_t", "W<sub>xh</sub> x<sub>t</sub>"),
        ("y_T", "y<sub>T</sub>"),
        ("ρ^(T−t)", "ρ<sup>T−t</sup>"),
        ("c_{t−1}", "c<sub>t−1</sub>"),
        ("σ_i  (log scale)", "σ<sub>i</sub>  (log scale)"),
        ("log₁₀ ‖∂L/∂h_t‖", "log₁₀ ‖∂L/∂h<sub>t</sub>‖"),
        ("σ_max^(T−t)", "σ<sub>max</sub><sup>T−t</sup>"),
        ('<img src="/dev/zero"> a_b', '&lt;img src="/dev/zero"&gt; a<sub>b</sub>'),
        ("x_(t − lag)", "x<sub>t − lag</sub>"),
    ],
)
def test_the_converter_sets_scripts_and_escapes_the_rest(typed: str, html: str) -> None:
    assert math_html(typed) == html
    assert not has_raw_markup(shown_text(math_html(typed)))
