"""Text from outside is shown literally in the panels too: the Feed box's and the text box's
messages (they quote what was typed), the graph's tooltips (they quote the text's
characters), the lab's problem lines. ``<img src="/dev/zero">`` as rich text would make Qt
read /dev/zero until memory runs out."""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QTextDocument
from PyQt6.QtWidgets import QLabel

from rnnviz.session import Session
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


def type_into(qtbot, field, text: str) -> None:
    field.clear()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def assert_every_label_is_literal(window: MainWindow) -> int:
    """Every label quoting the hostile text shows it as plain text; returns how many."""
    quoting = [label for label in window.findChildren(QLabel) if "<img" in label.text()]
    for label in quoting:
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
    return len(quoting)


def test_the_feed_box_message_quotes_what_was_typed_literally(qtbot, window: MainWindow) -> None:
    panel = window.input_panel
    type_into(qtbot, panel.entry, HOSTILE)
    assert window.session.t == 0  # nothing fed
    error = panel.feed_error
    assert error.textFormat() == Qt.TextFormat.PlainText
    assert error.text() == "'<img' is not a number"
    assert assert_every_label_is_literal(window) == 1


def test_a_hostile_text_is_shown_literally_in_messages_and_tooltips(
    qtbot, window: MainWindow
) -> None:
    panel = window.input_panel
    type_into(qtbot, panel.text_entry, HOSTILE)  # a valid text: its characters are the vocabulary
    assert window.session.vocab == "".join(sorted(set(HOSTILE)))
    hint = panel.feed_hint  # it lists the vocabulary, '<' and '>' included
    assert hint.textFormat() == Qt.TextFormat.PlainText and "< =" in hint.text()
    type_into(qtbot, panel.entry, "Z" + HOSTILE)  # Z is not one of them
    assert panel.feed_error.textFormat() == Qt.TextFormat.PlainText
    assert panel.feed_error.text().startswith("'Z' not in the vocabulary '")
    assert window.session.vocab in panel.feed_error.text()  # literally, '<' and '>' included
    type_into(qtbot, panel.entry, HOSTILE)  # fed: every step's target is one of its characters
    assert window.session.t == len(HOSTILE)
    for step, char in enumerate(HOSTILE, start=1):
        if step <= window.session.config.target_lag:
            continue
        tip = shown_text(window.graph.node_tooltip(f"y_{step}"))
        assert f"target = {char!r}" in tip
    assert_every_label_is_literal(window)


def test_every_problem_line_of_the_panels_and_the_lab_is_plain_text(window: MainWindow) -> None:
    """Each line that shows a refusal or a failure (whose message may quote anything)."""
    lines = [*window.controls.errors.values(), window.input_panel.feed_error]
    lines += [window.input_panel.text_error]
    lab = window.lab_panel
    training = lab.view("Training")
    lines += [training.message, training.sampler.error, *training.form.errors.values()]
    lines += [lab.view(tab).message for tab in ("ρ sweep", "Jacobians", "Gradient check")]
    for label in lines:
        label.setText(HOSTILE)
    assert {label.textFormat() for label in lines} == {Qt.TextFormat.PlainText}
    assert all(label.text() == HOSTILE for label in lines)
