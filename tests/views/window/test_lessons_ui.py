"""Lessons in the real window: the Lessons menu, the lesson bar, Page Down / Page Up through
every built-in lesson with the session in each slide's state, the slides' view hints, the
user's lesson folder (remembered, bad files named) and closing a lesson."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox, QWidget

from rnnviz.resources import asset_path
from rnnviz.session import Session
from rnnviz.session.lessons import Scenario, Slide, load_scenario
from rnnviz.views.look.math_text import math_html
from rnnviz.views.window.main_window import MainWindow
from rnnviz.views.window.transport import BackwardSweep

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

BUILT_IN = ("recurrence", "unrolling", "vanishing", "exploding", "gating", "depth")
GOOD = {
    "format": "rnnviz-scenario",
    "version": 1,
    "title": "My own lesson",
    "slides": [
        {"caption": "Mine, first", "settings": {"hidden_size": 3}, "run": {"steps": 2}},
        {"caption": "Mine, second", "settings": {"hidden_size": 5}, "run": {"steps": 4}},
    ],
}


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never the user's real settings: an INI file in a fresh folder per test."""
    folder = tmp_path / "settings"
    folder.mkdir()
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def fast_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BackwardSweep, "DURATION_MS", 200)


def make_window(qtbot, active: bool = True) -> MainWindow:
    w = MainWindow(Session())
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    if active:  # where the keys go; a message box on top would take them
        w.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    return w


@pytest.fixture
def window(qtbot) -> MainWindow:
    return make_window(qtbot)


def press(qtbot, w: MainWindow, key: Qt.Key) -> None:
    """A key where the keyboard goes (a presentation remote types into the focused widget)."""
    target: QWidget = QApplication.focusWidget() or w
    qtbot.keyClick(target, key)


def lessons_menu(w: MainWindow) -> QMenu:
    bar = w.menuBar()
    titles = [a.text() for a in bar.actions()]
    assert titles.index("&Lessons") == titles.index("&Help") - 1
    menu = bar.actions()[titles.index("&Lessons")].menu()
    assert menu is not None
    return menu


def lesson_entries(w: MainWindow) -> list[QAction]:
    """The menu's lesson entries (checkable) and unreadable files, in order."""
    return [
        a
        for a in lessons_menu(w).actions()
        if a.isCheckable() or a.text().endswith("cannot be read")
    ]


def built_in(name: str) -> Scenario:
    return load_scenario(asset_path("scenarios") / f"{name}.json")


def assert_shows(w: MainWindow, scenario: Scenario, k: int) -> None:
    """The bar shows slide k (1-based) and the session is in that slide's state."""
    bar = w.lessons.bar
    slide: Slide = scenario.slides[k - 1]
    assert bar.isVisible()
    assert bar.title.text() == scenario.title
    assert bar.position.text() == f"slide {k} / {len(scenario.slides)}"
    assert bar.caption.text() == math_html(slide.caption)  # escaped, scripts typeset
    s = w.session
    for key, value in slide.settings.items():
        assert getattr(s.config, key) == value, key
    if "preset" in slide.input:
        assert s.config.preset == slide.input["preset"]
    if "values" in slide.input:
        assert s.sequence[:, 0].tolist() == slide.input["values"]
    n = s.sequence.shape[0]
    assert s.t == (n if slide.steps == "all" else min(int(slide.steps), n))
    assert w.transport.step_label.text() == f"t = {s.t} / {n}"


def test_menu_lists_the_six_built_in_lessons_in_teaching_order(window: MainWindow) -> None:
    entries = lesson_entries(window)
    assert [a.text() for a in entries] == [built_in(name).title for name in BUILT_IN]
    assert all(a.isEnabled() and not a.isChecked() for a in entries)
    assert [s.name for s in window.lessons.scenarios] == list(BUILT_IN)
    assert window.lessons.problems == []
    assert not window.lessons.bar.isVisible()
    assert not window.lessons.act_next.isEnabled()


@pytest.mark.parametrize("name", BUILT_IN)
def test_page_down_plays_every_lesson_to_its_last_slide(qtbot, window: MainWindow, name: str):
    scenario = built_in(name)
    n = len(scenario.slides)
    entry = next(a for a in lesson_entries(window) if a.text() == scenario.title)
    entry.trigger()  # the menu entry, as a click in the Lessons menu does
    assert entry.isChecked()
    assert_shows(window, scenario, 1)
    for k in range(2, n + 1):
        press(qtbot, window, Qt.Key.Key_PageDown)
        assert_shows(window, scenario, k)
    press(qtbot, window, Qt.Key.Key_PageDown)  # past the end: stays, and says so
    assert_shows(window, scenario, n)
    assert "last slide" in window.message.text()
    for k in range(n - 1, 0, -1):
        press(qtbot, window, Qt.Key.Key_PageUp)
        assert_shows(window, scenario, k)
    press(qtbot, window, Qt.Key.Key_PageUp)
    assert_shows(window, scenario, 1)
    assert "first slide" in window.message.text()


def test_caption_is_large_and_wraps(qtbot, window: MainWindow) -> None:
    window.lessons.open_lesson("gating", slide=2)
    caption = window.lessons.bar.caption
    assert caption.font().pointSize() >= 18
    assert caption.wordWrap()
    # The long caption wraps onto more lines instead of widening the window.
    qtbot.waitUntil(lambda: caption.height() > 1.5 * caption.fontMetrics().height())
    assert caption.width() <= window.pages.width()


def test_buttons_go_next_previous_and_close(qtbot, window: MainWindow) -> None:
    lessons = window.lessons
    scenario = built_in("vanishing")
    lessons.open_lesson("vanishing")
    qtbot.mouseClick(lessons.bar.next_button, Qt.MouseButton.LeftButton)
    assert_shows(window, scenario, 2)
    qtbot.mouseClick(lessons.bar.previous_button, Qt.MouseButton.LeftButton)
    assert_shows(window, scenario, 1)
    qtbot.mouseClick(lessons.bar.close_button, Qt.MouseButton.LeftButton)
    assert not lessons.bar.isVisible()
    assert not any(a.isChecked() for a in lesson_entries(window))


def test_unrolled_hint_folds_and_unfolds_the_graph(qtbot, window: MainWindow) -> None:
    window.lessons.open_lesson("unrolling")  # slide 1: folded
    assert not window.graph.unrolled
    press(qtbot, window, Qt.Key.Key_PageDown)  # slide 2: unrolled, animated
    assert window.graph.unrolled
    qtbot.waitUntil(lambda: window.graph.progress == 1.0)
    assert any(label.startswith("h_5") for label in window.graph.labels())


def test_backward_slide_runs_the_animated_sweep(qtbot, window: MainWindow) -> None:
    s = window.session
    window.lessons.open_lesson("unrolling", slide=3)
    assert s.gradients is None
    press(qtbot, window, Qt.Key.Key_PageDown)  # slide 4: the backward pass
    assert window.sweep.running
    assert s.sweep == s.t  # starts at the last step, like key B
    qtbot.waitUntil(lambda: not window.sweep.running)
    assert s.sweep is None and s.gradients is not None
    assert s.gradients.dL_dh_norm.shape == (s.t,)


def test_lab_hint_shows_the_comparison_page(qtbot, window: MainWindow) -> None:
    window.lessons.open_lesson("gating", slide=3)
    assert window.pages.currentWidget() is window.splitter
    press(qtbot, window, Qt.Key.Key_PageDown)  # slide 4: compare, on the lab page
    assert window.pages.currentWidget() is window.lab_panel
    assert window.act_lab.isChecked()
    compare = window.lab_panel.view("Compare")
    assert window.lab_panel.tabs.currentWidget().widget() is compare
    assert window.lab.comparison is not None
    assert window.lab.comparison.steps == window.session.t == 60
    press(qtbot, window, Qt.Key.Key_PageUp)
    assert window.pages.currentWidget() is window.splitter


def test_slide_keys_work_from_a_settings_box_and_right_still_steps(
    qtbot, window: MainWindow
) -> None:
    s = window.session
    scenario = built_in("recurrence")
    window.lessons.open_lesson("recurrence")
    press(qtbot, window, Qt.Key.Key_Right)  # → stays "step": the class feeds the input
    assert s.t == 1
    assert window.lessons.bar.position.text() == "slide 1 / 5"
    combo = window.controls.cell_combo
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    qtbot.keyClick(combo, Qt.Key.Key_PageDown)
    assert_shows(window, scenario, 2)
    assert combo.currentText() == "vanilla RNN"  # the box did not take the key


def test_a_slide_stops_play(qtbot, window: MainWindow) -> None:
    window.player.start()
    window.lessons.open_lesson("recurrence", slide=2)
    assert not window.player.playing
    assert window.session.t == 1


def test_open_lesson_by_path_and_wrong_names(window: MainWindow) -> None:
    lessons = window.lessons
    path = asset_path("scenarios") / "exploding.json"
    assert lessons.open_lesson(path, slide=3).name == "exploding"
    assert_shows(window, built_in("exploding"), 3)
    assert window.session.config.clip == 1.0
    with pytest.raises(ValueError, match="no lesson called 'nope'; the lessons are recurrence"):
        lessons.open_lesson("nope")
    with pytest.raises(ValueError, match="no slide 9"):
        lessons.open_lesson("vanishing", slide=9)
    assert_shows(window, built_in("exploding"), 3)  # a wrong request changes nothing


def test_closing_hides_the_bar_and_keeps_the_network(qtbot, window: MainWindow) -> None:
    s = window.session
    window.lessons.open_lesson("vanishing", slide=3)
    config, t = s.config, s.t
    window.lessons.close_lesson()
    assert not window.lessons.bar.isVisible()
    assert s.config == config and s.t == t
    press(qtbot, window, Qt.Key.Key_PageDown)  # no lesson: the key does nothing
    assert s.config == config and s.t == t
    assert not window.lessons.bar.isVisible()


def write_folder(folder: Path) -> Path:
    folder.mkdir()
    (folder / "mine.json").write_text(json.dumps(GOOD), encoding="utf-8")
    (folder / "broken.json").write_text('{"format": "rnnviz-scenario", "version": 1,')
    (folder / "nocaption.json").write_text(
        json.dumps({"format": "rnnviz-scenario", "version": 1, "slides": [{"caption": ""}]})
    )
    return folder


def problem_boxes(w: MainWindow) -> list[QMessageBox]:
    return [b for b in w.findChildren(QMessageBox) if b.isVisible()]


def test_user_folder_adds_good_lessons_and_names_bad_files(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_folder(tmp_path / "my lessons")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(folder))
    window.lessons.act_add_folder.trigger()

    entries = {a.text(): a for a in lesson_entries(window)}
    titles = [built_in(name).title for name in BUILT_IN]
    assert list(entries) == [
        *titles,
        "My own lesson",
        "broken.json — cannot be read",
        "nocaption.json — cannot be read",
    ]
    assert entries["My own lesson"].isEnabled()
    assert not entries["broken.json — cannot be read"].isEnabled()
    assert "not valid JSON" in entries["broken.json — cannot be read"].toolTip()
    assert 'slide 1: needs a "caption" text' in entries["nocaption.json — cannot be read"].toolTip()

    # Reported once, without blocking the window, naming each file and its problem.
    (box,) = problem_boxes(window)
    assert not box.isModal()
    assert "broken.json</b>: not valid JSON" in box.text()
    assert "nocaption.json</b>: slide 1: needs a" in box.text()
    assert "mine.json" not in box.text()
    assert "2 lesson files could not be read" in window.message.text()

    # The good lesson plays.
    entries["My own lesson"].trigger()
    assert window.lessons.bar.caption.text() == "Mine, first"
    assert window.session.config.hidden_size == 3 and window.session.t == 2
    press(qtbot, window, Qt.Key.Key_PageDown)
    assert window.lessons.bar.caption.text() == "Mine, second"
    assert window.lessons.bar.position.text() == "slide 2 / 2"
    assert window.session.config.hidden_size == 5 and window.session.t == 4


def test_user_folder_is_remembered_by_a_new_window(
    qtbot, window: MainWindow, tmp_path: Path, settings_dir: Path
) -> None:
    folder = write_folder(tmp_path / "my lessons")
    window.lessons.set_user_folder(folder)
    assert (settings_dir / "rnnviz.ini").is_file()  # the test's settings, not the user's

    later = make_window(qtbot, active=False)
    assert later.lessons.user_folder == folder
    assert [s.name for s in later.lessons.user] == ["mine"]
    assert "My own lesson" in [a.text() for a in lesson_entries(later)]
    # The bad files are reported again when the new window starts, once it is on screen.
    qtbot.waitUntil(lambda: len(problem_boxes(later)) == 1)
    assert "broken.json" in problem_boxes(later)[0].text()


def test_a_missing_user_folder_is_reported(qtbot, window: MainWindow, tmp_path: Path) -> None:
    window.lessons.set_user_folder(tmp_path / "gone")
    (box,) = problem_boxes(window)
    assert "gone</b>: the lessons folder does not exist" in box.text()
    assert [s.name for s in window.lessons.scenarios] == list(BUILT_IN)


def test_reload_reads_an_edited_file(window: MainWindow, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "my lessons")
    window.lessons.set_user_folder(folder)
    (folder / "broken.json").write_text(json.dumps({**GOOD, "title": "Fixed"}))
    window.lessons.act_reload.trigger()
    titles = [a.text() for a in lesson_entries(window)]
    assert "Fixed" in titles and "broken.json — cannot be read" not in titles
    (box,) = problem_boxes(window)  # the old report closed; only nocaption.json is left
    assert "nocaption.json" in box.text() and "broken.json" not in box.text()
