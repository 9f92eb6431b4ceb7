"""Text from outside is shown literally: a lesson's title, summary and caption, a file's
name in a message or a menu, a problem quoting a file. ``<img src="/dev/zero">`` as rich
text would make Qt read /dev/zero until memory runs out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QTextDocument

from rnnviz.resources import asset_path
from rnnviz.session import Session
from rnnviz.session.document import Document
from rnnviz.views.window.main_window import MainWindow

HOSTILE = '<img src="/dev/zero"><b>bold</b>'

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def shown_text(tooltip: str) -> str:
    """What a tooltip shows: Qt renders it as rich text when it looks like markup."""
    if not Qt.mightBeRichText(tooltip):
        return tooltip
    doc = QTextDocument()
    doc.setHtml(tooltip)
    return doc.toPlainText()


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch) -> MainWindow:
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))
    w = MainWindow(Session())
    qtbot.addWidget(w)
    return w


def test_a_hostile_lesson_title_summary_and_caption_are_shown_literally(
    window: MainWindow, tmp_path: Path
) -> None:
    lesson = json.loads(asset_path("scenarios/recurrence.json").read_text(encoding="utf-8"))
    lesson["title"], lesson["summary"] = HOSTILE, HOSTILE
    lesson["slides"][0]["caption"] = HOSTILE
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "hostile.json").write_text(json.dumps(lesson), encoding="utf-8")
    broken_name = '<img src="x"><b>broken.json'
    (folder / broken_name).write_text("{", encoding="utf-8")
    window.lessons.set_user_folder(folder)
    window.lessons.open_lesson("hostile")
    bar = window.lessons.bar
    assert bar.title.textFormat() == Qt.TextFormat.PlainText and bar.title.text() == HOSTILE
    # The caption's scripts are typeset by our converter, which escapes everything else.
    assert shown_text(bar.caption.text()) == HOSTILE
    entries = {a.text(): a for a in window.lessons.menu.actions()}
    assert shown_text(entries[HOSTILE].toolTip()) == HOSTILE
    assert any(t.startswith(broken_name) for t in entries)  # an action's text is plain
    report = window.lessons.problem_box  # the report of skipped files names it
    assert report is not None and broken_name in shown_text(report.text())


def test_a_hostile_file_name_is_shown_literally(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / '<img src="x"><b>s.rnnviz'
    Document(Session()).save_as(path)
    assert window.files.open_session(path)
    assert window.message.textFormat() == Qt.TextFormat.PlainText
    assert path.name in window.message.text()
    window.files.recent_menu.aboutToShow.emit()  # as when the menu opens
    entry = window.files.recent_menu.actions()[0]
    assert shown_text(entry.toolTip()) == str(path.resolve())


def test_a_problem_quoting_a_file_is_shown_literally(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "bad.rnnviz"
    path.write_text(HOSTILE)
    assert not window.files.open_session(path)
    box = window.files.error_box
    assert box is not None and box.textFormat() == Qt.TextFormat.PlainText
    assert str(path) in box.text()
