"""The window on the classroom's screens (offscreen, tests/screens.json): it opens fitted to
the screen and never extends past it, in normal and presentation mode, with and without a
lesson, before and after stepping and B; every plot it shows keeps its legible minimum, the
panels without room wait on a tab, no label is cut or covered, and presentation type is at
least 1/45 of the screen's height."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QByteArray, QRect, Qt
from PyQt6.QtGui import QFont, QFontInfo, QGuiApplication, QScreen
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QTabBar,
    QWidget,
)

from rnnviz.session import Session
from rnnviz.views.lab.compare import GATES_PX, NORMS_PX
from rnnviz.views.look import theme
from rnnviz.views.plots.depth_heatmap import depth_rows, row_label
from rnnviz.views.window import settings, toolbar_hint
from rnnviz.views.window.main_window import DEFAULT_SIZE, FITTED_SHARE, GEOMETRY_KEY, MainWindow
from rnnviz.views.window.presentation import SMALLEST_TEXT_SHARE, font_scale
from rnnviz.views.window.stage import (
    EQUATIONS,
    FOCUS_PANELS,
    GRADIENT_HEATMAP,
    GRADIENTS,
    GRAPH,
    HEATMAP_PX,
    PANELS,
    SEQUENCE,
    STATE_HEATMAP,
)
from rnnviz.views.window.transport import BackwardSweep

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

# The projectors and screens of issue 11 (2560×1440 at device-pixel ratio 2 is 1280×720 in
# the window's own pixels).
CLASSROOM = ("1024x768", "1280x720", "1280x800", "1366x768", "1920x1080", "2560x1440@2")
GRADIENT_PLOT_PX = 180  # the gradient plot's least height with its tick labels
LONGEST_CAPTION = ("gating", 5)  # the built-in slide with the most text
DIRECT = Qt.FindChildOption.FindDirectChildrenOnly


@pytest.fixture(autouse=True)
def settings_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "settings"
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def fast_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BackwardSweep, "DURATION_MS", 200)


@pytest.fixture(autouse=True)
def app_font(qapp: QApplication, kept_appearance: None) -> Iterator[None]:
    """The application's type as the app sets it (theme.apply), not the test runner's, and
    the look put back afterwards even if a test fails while presenting."""
    font = qapp.font()
    app_font = QFont(font)
    app_font.setPointSize(theme.BASE_POINT_SIZE)
    qapp.setFont(app_font)
    yield
    qapp.setFont(font)


def screen_named(name: str) -> QScreen:
    for screen in QGuiApplication.screens():
        if screen.name() == name:
            return screen
    pytest.skip(f"no screen {name}: run offscreen with tests/screens.json (tests/conftest.py)")


def open_on(qtbot, name: str) -> MainWindow:
    """The window as the app opens it, on screen ``name``."""
    w = MainWindow(Session())
    qtbot.addWidget(w)
    w.setScreen(screen_named(name))
    w.show_fitted()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    return w


def settle(qtbot) -> None:
    """Layouts and the stage's arrangement done (two passes: a plan change lays out again)."""
    for _ in range(3):
        qtbot.wait(1)
        QApplication.processEvents()


# ---- what is checked ---------------------------------------------------------------------
def check_inside(w: MainWindow, screen: QScreen) -> None:
    """Inside the screen's room, and its minimum could never push it out."""
    room = screen.geometry() if w.isFullScreen() else screen.availableGeometry()
    frame = w.frameGeometry()
    assert room.contains(frame), f"the window {frame} reaches past the screen's {room}"
    margins = frame.size() - w.geometry().size()
    least = w.minimumSizeHint() + margins
    assert least.width() <= room.width() and least.height() <= room.height(), (
        f"the window needs {least.width()}×{least.height()}, the screen has "
        f"{room.width()}×{room.height()}"
    )


def views(w: MainWindow) -> dict[str, QWidget]:
    return {
        GRAPH: w.graph.graphics,
        STATE_HEATMAP: w.state_heatmap.plot,
        GRADIENT_HEATMAP: w.gradient_heatmap.plot,
        SEQUENCE: w.sequence_plot.widget,
        GRADIENTS: w.gradient_plot.plot,
        EQUATIONS: w.equations,
    }


def check_plots(w: MainWindow) -> None:
    """Each plot the page in front shows is at least its legible height; the heatmaps'
    images and colour bars at least HEATMAP_PX, the gradient plot GRADIENT_PLOT_PX."""
    stage, shown = w.stage, views(w)
    legible = stage.legible_heights()
    page = w.pages.currentWidget()
    in_front = stage.shown if page is stage else stage.hidden if page is stage.more else ()
    for name in in_front:
        view = shown[name]
        assert view.isVisible(), f"the {name} is not shown"
        # Within a pixel or two: the plots' axes settle their heights after the stage has
        # measured them.
        assert view.height() >= legible.get(name, 0) - 2, f"the {name} is squeezed"
    for heatmap, name in ((w.state_heatmap, STATE_HEATMAP), (w.gradient_heatmap, GRADIENT_HEATMAP)):
        if name in in_front:
            image = heatmap.plot.getPlotItem().getViewBox().sceneBoundingRect()
            assert image.height() >= HEATMAP_PX
            assert heatmap.color_bar.vb.sceneBoundingRect().height() >= HEATMAP_PX - 1
    if GRADIENTS in in_front:
        assert w.gradient_plot.plot.height() >= GRADIENT_PLOT_PX
        for side in ("left", "bottom"):  # the tick labels inside the plot, not cut
            axis = w.gradient_plot.plot.getPlotItem().getAxis(side)
            drawn = axis.mapRectToScene(axis.rect())
            assert w.gradient_plot.plot.sceneRect().contains(drawn)


def check_labels(w: MainWindow) -> None:
    """Every label shown is whole (as wide and, wrapped, as tall as its text needs), inside
    its parent, and overlaps no other widget beside it."""
    for label in w.findChildren(QLabel):
        if not label.isVisible() or not label.text() or label.window() is not w:
            continue
        parent = label.parentWidget()
        assert parent is not None
        r = label.geometry()
        what = f"the label {label.text()[:40]!r} ({r.width()}×{r.height()})"
        assert parent.rect().contains(r), f"{what} reaches out of its panel"
        assert r.width() >= label.minimumSizeHint().width(), f"{what} is cut"
        if label.wordWrap():
            assert r.height() >= label.heightForWidth(r.width()), f"{what} is cut"
        for sibling in parent.findChildren(
            QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly
        ):
            if sibling is label or not sibling.isVisible() or sibling.isWindow():
                continue
            assert not r.intersects(sibling.geometry()), (
                f"{what} overlaps a {type(sibling).__name__}"
            )


def inside_window(w: MainWindow, widget: QWidget) -> bool:
    top_left = widget.mapTo(w, widget.rect().topLeft())
    return widget.isVisible() and w.rect().contains(QRect(top_left, widget.size()))


def check_controls(w: MainWindow) -> None:
    """The t counter and, in a lesson, the slide's buttons are on screen."""
    assert inside_window(w, w.transport.step_label)
    bar = w.lessons.bar
    if bar.isVisible():
        for button in (bar.previous_button, bar.next_button, bar.close_button):
            assert inside_window(w, button)


def text_sizes(w: MainWindow) -> list[tuple[float, str]]:
    """(pixel size, what) of every text shown: widgets' own and the plots' tick numbers."""

    def px(font: QFont) -> float:
        return QFontInfo(font).pointSizeF() * w.logicalDpiY() / 72

    found = []
    kinds = (QLabel, QAbstractButton, QTabBar, QAbstractSpinBox, QComboBox, QLineEdit)
    for widget in w.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not w or not isinstance(widget, kinds):
            continue
        if isinstance(widget, (QLabel, QAbstractButton)) and not widget.text():
            continue  # a picture or an icon, no text
        text = widget.text() if isinstance(widget, (QLabel, QAbstractButton)) else ""
        found.append((px(widget.font()), f"{type(widget).__name__} {text}"))
    for view in w.findChildren(pg.GraphicsView):
        if not view.isVisible():
            continue
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem) and item.isVisible() and item.style["showValues"]:
                font = item.style["tickFont"]
                if font is not None:
                    found.append((px(font), "tick numbers"))
    return found


def check_all(w: MainWindow, screen: QScreen, when: str) -> None:
    try:
        check_inside(w, screen)
        check_plots(w)
        check_labels(w)
        check_controls(w)
    except AssertionError as e:
        raise AssertionError(f"{when}: {e}") from None


# ---- the tests -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSROOM)
def test_the_window_fits_the_screen_and_keeps_every_plot_legible(qtbot, name: str) -> None:
    w = open_on(qtbot, name)
    screen = screen_named(name)
    settle(qtbot)
    check_all(w, screen, "opened")

    for _ in range(8):
        qtbot.keyClick(w, Qt.Key.Key_Right)
    qtbot.keyClick(w, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: not w.sweep.running)
    settle(qtbot)
    check_all(w, screen, "after 8 steps and B")

    qtbot.keyClick(w, Qt.Key.Key_F5)
    qtbot.waitUntil(w.isFullScreen)
    settle(qtbot)
    check_all(w, screen, "presenting (F5)")
    smallest = min(text_sizes(w))
    assert smallest[0] >= screen.geometry().height() * SMALLEST_TEXT_SHARE, smallest

    qtbot.keyClick(w, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not w.isFullScreen())
    settle(qtbot)
    check_all(w, screen, "after F5 and Esc")

    w.lessons.open_lesson(*LONGEST_CAPTION)
    qtbot.waitUntil(lambda: not w.sweep.running)
    settle(qtbot)
    check_all(w, screen, "in a lesson")

    qtbot.keyClick(w, Qt.Key.Key_F5)
    qtbot.waitUntil(w.isFullScreen)
    settle(qtbot)
    check_all(w, screen, "presenting a lesson")
    smallest = min(text_sizes(w))
    assert smallest[0] >= screen.geometry().height() * SMALLEST_TEXT_SHARE, smallest

    qtbot.keyClick(w, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not w.isFullScreen())
    settle(qtbot)
    check_all(w, screen, "in a lesson after F5 and Esc")


@pytest.mark.parametrize("name", CLASSROOM)
def test_it_opens_maximised_on_a_projector(qtbot, name: str) -> None:
    w = open_on(qtbot, name)
    assert w.isMaximized()
    assert w.frameGeometry() == screen_named(name).availableGeometry()


def test_it_opens_on_a_large_screen_fitted_and_centred(qtbot) -> None:
    w = open_on(qtbot, "2560x1440")
    room = screen_named("2560x1440").availableGeometry()
    assert not w.isMaximized()
    assert w.size() == room.size() * FITTED_SHARE
    assert w.size().width() >= DEFAULT_SIZE.width()
    assert w.geometry().center() == room.center()


def test_a_remembered_layout_too_large_for_this_screen_is_not_reused(qtbot) -> None:
    big = MainWindow(Session())
    qtbot.addWidget(big)
    big.setScreen(screen_named("1920x1080"))
    big.setGeometry(screen_named("1920x1080").availableGeometry().adjusted(50, 50, -50, -50))
    big.show()
    qtbot.waitExposed(big)
    saved: QByteArray = big.saveGeometry()
    settings.app_settings().setValue(GEOMETRY_KEY, saved)
    big.close()

    w = open_on(qtbot, "1024x768")
    check_inside(w, screen_named("1024x768"))


def test_panels_without_room_wait_on_a_tab_of_their_own(qtbot) -> None:
    w = open_on(qtbot, "1024x768")
    w.lessons.open_lesson(*LONGEST_CAPTION)
    settle(qtbot)
    stage = w.stage
    assert {GRAPH, GRADIENTS} <= set(stage.shown)
    assert stage.hidden, "a lesson on a 1024×768 projector has no room for every panel"
    index = w.pages.indexOf(stage.more)
    assert w.pages.tabText(index) == f"More panels ({len(stage.hidden)})"
    w.pages.tabBar().setCurrentIndex(index)  # the user clicks the tab
    settle(qtbot)
    check_plots(w)
    check_labels(w)
    assert w.state.page == "network"

    w.lessons.close_lesson()
    w.setWindowState(Qt.WindowState.WindowNoState)
    w.setScreen(screen_named("1920x1080"))
    w.setGeometry(screen_named("1920x1080").availableGeometry())
    settle(qtbot)
    assert stage.shown == PANELS and not stage.hidden
    assert w.pages.indexOf(stage.more) < 0
    assert w.pages.currentWidget() is stage  # the page it was on has gone


def test_the_depth_lesson_presented_at_1024x768_shows_each_caption_and_the_depth_map(
    qtbot,
) -> None:
    """Presented (F5) on a 1024×768 projector, every slide's caption is whole and the
    gradient panel with its depth map is on the stage beside the graph."""
    w = open_on(qtbot, "1024x768")
    screen = screen_named("1024x768")
    scenario = w.lessons.open_lesson("depth")
    qtbot.keyClick(w, Qt.Key.Key_F5)
    qtbot.waitUntil(w.isFullScreen)
    n = len(scenario.slides)
    for k in range(1, n + 1):
        if k > 1:
            qtbot.keyClick(w, Qt.Key.Key_PageDown)
        qtbot.waitUntil(lambda: not w.sweep.running)
        settle(qtbot)
        assert w.lessons.bar.position.text() == f"slide {k} / {n}"
        check_all(w, screen, f"presenting the depth lesson, slide {k}")  # the caption whole
        assert inside_window(w, w.lessons.bar.caption)
        assert {GRAPH, GRADIENTS} <= set(w.stage.shown), f"slide {k}: {w.stage.shown}"
        # slide 3: "a row per layer (top on top), colour log₁₀ ‖dL/dh_t‖"
        depth_map, s = w.gradient_plot.depth_map, w.session
        assert depth_map.isVisible()
        rows = depth_rows(s.depth)
        assert [row_label(s.depth, r) for r in rows] == ["layer 3", "layer 2", "layer 1"]
        norms = s.depth_grad_norm  # (L, D, T)
        shown = np.log10(np.stack([norms[layer, d] for layer, d in rows], axis=1))  # (T, 3)
        assert depth_map.image_item.image.shape == (40, 3)
        np.testing.assert_allclose(depth_map.image_item.image, shown)
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not w.isFullScreen())
    settle(qtbot)
    check_all(w, screen, "the depth lesson after F5 and Esc")


@pytest.mark.parametrize(("name", "scale"), [("1024x768", 1.125), ("1920x1080", 1.5)])
def test_presentation_type_is_a_share_of_the_screen_height(name: str, scale: float) -> None:
    assert font_scale(screen_named(name), theme.BASE_POINT_SIZE) == pytest.approx(scale)


@pytest.mark.parametrize("name", ["1024x768", "1366x768", "1920x1080"])
def test_a_deep_bidirectional_network_fits_after_b(qtbot, name: str) -> None:
    w = open_on(qtbot, name)
    screen = screen_named(name)
    w.session.set_config(cell="lstm", hidden_size=32, num_layers=3, bidirectional=True)
    for _ in range(8):
        qtbot.keyClick(w, Qt.Key.Key_Right)
    qtbot.keyClick(w, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: not w.sweep.running)
    settle(qtbot)
    check_all(w, screen, "3-layer bidirectional LSTM after B")
    depth_map = w.gradient_plot.depth_map
    if GRADIENTS in w.stage.shown:
        assert depth_map.isVisible()
        assert depth_map.height() >= depth_map.minimumHeight()
        image = depth_map.plot.getPlotItem().getViewBox().sceneBoundingRect()
        assert image.height() >= 6 * 12  # six rows a readable label's height apart


def h_box_pixels(w: MainWindow) -> tuple[int, int]:
    """(width, height) on screen of the newest step's h box of the focused layer."""
    graph = w.graph
    node = next(n for n in graph.nodes() if n.kind == "h" and n.step == w.session.t)
    x0, y0, width, height = node.rect
    a, b = graph.map_to_viewport(x0, y0), graph.map_to_viewport(x0 + width, y0 + height)
    return abs(b.x() - a.x()), abs(b.y() - a.y())


@pytest.mark.parametrize("name", ["1024x768", "1366x768", "1920x1080"])
def test_a_deep_stack_keeps_boxes_as_large_as_one_layer_gets(qtbot, name: str) -> None:
    """The stage gives a stack's graph the height its layers need for boxes as large as one
    layer's at its least height (a 3-layer stack squeezed into that height drew 7 px
    specks); the other panels make way by priority."""
    w = open_on(qtbot, name)
    w.session.seek(10)
    settle(qtbot)
    one = h_box_pixels(w)
    w.graph.graphics.setFixedHeight(w.stage.legible_heights()[GRAPH])
    settle(qtbot)
    least = h_box_pixels(w)  # one layer's boxes in the least height the stage allows
    w.graph.graphics.setMinimumHeight(0)
    w.graph.graphics.setMaximumHeight(16777215)
    w.session.set_config(cell="lstm", hidden_size=32, num_layers=3, bidirectional=True)
    w.session.seek(10)
    qtbot.keyClick(w, Qt.Key.Key_B)  # the depth map joins the gradient plot: it grows
    qtbot.waitUntil(lambda: not w.sweep.running)
    settle(qtbot)
    check_all(w, screen_named(name), "3-layer bidirectional LSTM after B")
    width, height = h_box_pixels(w)
    assert width >= least[0], f"{width} px wide boxes; one layer gets {least[0]} at least"
    # A bidirectional layer's two boxes share its row: each is 0.36 of a box's height.
    assert height >= 0.6 * least[1], f"{height} px tall boxes; one layer gets {least[1]}"
    assert one[0] >= least[0]


def check_hint_whole(w: MainWindow, text: str, when: str) -> None:
    """The toolbar's hint shows ``text`` whole, inside the window, every button beside it
    and none in the toolbar's » menu."""
    label, bar = w.message, w.toolbar
    assert label.text() == text, f"{when}: the hint shows {label.text()!r}"
    assert inside_window(w, label), f"{when}: the hint is not on screen"
    assert label.heightForWidth(label.width()) <= label.height(), f"{when}: the hint is cut"
    extension = bar.findChild(QWidget, "qt_toolbar_ext_button")
    assert extension is None or not extension.isVisible(), f"{when}: the toolbar overflows"
    for action in bar.actions():
        button = bar.widgetForAction(action)
        if button is not None and action.isVisible():
            assert inside_window(w, button), f"{when}: {action.text()!r} is off the toolbar"


@pytest.mark.parametrize("name", CLASSROOM)
@pytest.mark.parametrize("presenting", [False, True])
def test_the_toolbars_hints_are_whole_on_every_screen(qtbot, name: str, presenting: bool) -> None:
    """On a 1024×768 projector the buttons' names filled the toolbar and Qt put the hint in
    the toolbar's » menu: B at t = 0 did nothing visible. The view buttons (then all of
    them, presenting) give up their names for the room the longest hint needs."""
    w = open_on(qtbot, name)
    screen = screen_named(name)
    if presenting:
        qtbot.keyClick(w, Qt.Key.Key_F5)
        qtbot.waitUntil(w.isFullScreen)
    settle(qtbot)
    height = w.toolbar.height()
    qtbot.keyClick(w, Qt.Key.Key_B)  # nothing fed yet
    settle(qtbot)
    check_hint_whole(w, "Feed at least one step (→) before running the backward pass", name)
    w.session.seek(w.session.sequence.shape[0])
    qtbot.keyClick(w, Qt.Key.Key_Right)  # past the end: the longest hint the app words
    settle(qtbot)
    check_hint_whole(w, toolbar_hint.LONGEST_HINT, name)
    assert w.toolbar.height() == height, "the toolbar grew with the hint: the panels jumped"
    check_all(w, screen, f"{name} with the longest hint")
    wide = name == "1920x1080" and not presenting
    named = {
        w.toolbar.widgetForAction(a).toolButtonStyle()  # type: ignore[union-attr]
        for a in (w.act_backward, w.act_hide_controls, w.presentation.act_present)
    }
    if wide:  # room to spare: every button keeps its name
        assert named == {Qt.ToolButtonStyle.ToolButtonTextBesideIcon}
    for action in (w.act_hide_controls, w.act_full_screen, w.presentation.act_present):
        assert action.toolTip(), "a button that shows its icon alone still names itself"


def test_a_hint_too_long_for_its_lines_is_elided_and_whole_in_its_tooltip(qtbot) -> None:
    w = open_on(qtbot, "1024x768")
    settle(qtbot)
    name = "<b>" + "a very long lesson name " * 12 + ".rnnviz"
    w.show_message(f"Saved {name}", done=True)
    settle(qtbot)
    label = w.message
    assert toolbar_hint.ELLIPSIS in label.text()
    assert label.text().startswith("Saved <b>a very") and label.text().endswith(".rnnviz")
    assert label.heightForWidth(label.width()) <= label.height()
    assert inside_window(w, label)
    assert name in html.unescape(label.toolTip())  # whole, escaped: shown as plain text
    assert "<b>a very" not in label.toolTip()
    w.hint.clear()
    assert label.text() == "" and label.toolTip() == ""


@pytest.mark.parametrize("name", ["1024x768", "1366x768", "1920x1080"])
@pytest.mark.parametrize("presenting", [False, True])
def test_the_gating_lessons_comparison_keeps_its_curves_legible(
    qtbot, name: str, presenting: bool
) -> None:
    """Slides 4 and 5 of the gating lesson show the lab's comparison under the caption. On
    a 1024×768 projector its plots were squeezed to their titles and axes, no curve between
    them; now each keeps its data area, and the page scrolls to what is below."""
    w = open_on(qtbot, name)
    screen = screen_named(name)
    w.lessons.open_lesson("gating", 4)
    if presenting:
        qtbot.keyClick(w, Qt.Key.Key_F5)
        qtbot.waitUntil(w.isFullScreen)
    for slide in (4, 5):
        if slide == 5:
            qtbot.keyClick(w, Qt.Key.Key_PageDown)
        compare = w.lab_panel.view("Compare")
        qtbot.waitUntil(lambda: compare.lab.comparison is not None)  # noqa: B023
        settle(qtbot)
        assert compare.isVisible(), f"slide {slide}: the comparison is not in front"
        for plot, least in ((compare.norm_plot, NORMS_PX), (compare.gate_plot, GATES_PX)):
            data = plot.getViewBox().sceneBoundingRect()
            assert data.height() >= least, f"slide {slide}: a plot's curves get {data.height()}"
        page = w.lab_panel.page("Compare")
        bar = page.verticalScrollBar()
        needed = compare.minimumSizeHint().height()
        assert compare.height() >= needed
        assert (bar.maximum() > 0) == (needed > page.viewport().height())
        # What shows first is the norms' plot, whole: no scrolling needed for the curves.
        top = compare.layout_widget.mapTo(page.viewport(), compare.layout_widget.rect().topLeft())
        norms = compare.norm_plot.sceneBoundingRect()
        assert top.y() + norms.bottom() <= page.viewport().height(), f"slide {slide}"
        check_all(w, screen, f"gating slide {slide}")


@pytest.mark.parametrize(
    ("name", "presenting"), [("1024x768", False), ("1024x768", True), ("1366x768", False)]
)
def test_every_slide_shows_the_panel_it_is_about(qtbot, name: str, presenting: bool) -> None:
    """A slide names the panel its caption talks about. On a 1024×768 projector "The
    equations panel fills in the numbers" showed no equations, "The heatmap shows h over
    time" no heatmap, and the depth lesson's slides on the gradients its graph alone: the
    stage now shows a slide's panel first, and only then the others by priority."""
    w = open_on(qtbot, name)
    screen = screen_named(name)
    if presenting:
        qtbot.keyClick(w, Qt.Key.Key_F5)
        qtbot.waitUntil(w.isFullScreen)
    checked = 0
    for scenario in w.lessons.scenarios:
        for k, slide in enumerate(scenario.slides, start=1):
            w.lessons.open_lesson(scenario.name, k)
            panel = FOCUS_PANELS.get(slide.panel)
            if panel is None:
                continue  # the whole window, or the lab
            qtbot.waitUntil(lambda: not w.sweep.running)
            settle(qtbot)
            where = f"{scenario.name} slide {k} ({slide.panel})"
            assert panel in w.stage.shown, f"{where}: the stage shows {w.stage.shown}"
            assert views(w)[panel].isVisible(), where
            check_all(w, screen, where)
            checked += 1
    assert checked >= 15  # the built-in lessons' slides that name a panel
    w.lessons.close_lesson()
    settle(qtbot)
    assert w.state.focus == ""


@pytest.mark.parametrize("name", ["1024x768", "1366x768"])
def test_the_other_panels_page_gives_each_panel_its_least_width(qtbot, name: str) -> None:
    """The panels waiting on "More panels" went two to a row whatever their widths: at
    1024×768 the inputs' title, their legend, ran past its half of the page ("to com")."""
    w = open_on(qtbot, name)
    w.session.set_config(cell="lstm", hidden_size=16, num_layers=2)
    w.session.seek(12)
    qtbot.keyClick(w, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: not w.sweep.running)
    settle(qtbot)
    stage = w.stage
    assert SEQUENCE in stage.hidden  # the case that was cut
    w.pages.setCurrentWidget(stage.more)
    settle(qtbot)
    for panel in stage.hidden:
        widget = stage.panels[panel]
        assert widget.isVisible(), panel
        assert widget.width() >= stage.least_width(panel), f"the {panel} is too narrow"
    view = w.sequence_plot.widget
    for plot in (w.sequence_plot.inputs_plot, w.sequence_plot.outputs_plot):
        title = plot.titleLabel.item.sceneBoundingRect()
        assert view.sceneRect().contains(title), f"a title is cut: {title} in {view.sceneRect()}"
    check_labels(w)
