"""A wrapping label asks for the width of its text on one line: the narrowest width at
which it stays one line (never narrower than its longest word), whatever the text. A
steady box keeps a label's new text from laying out the whole window."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from rnnviz.views.look import widget_style

WIDE = 1 << 14
TEXTS = (
    "ρ = 0.9 &nbsp;&nbsp; σ<sub>max</sub> = 1.23",
    "ρ = 0.91 &nbsp;&nbsp; σ<sub>max</sub> = 1.243 &nbsp;&nbsp; loss = 0.01234",
    "word",
    "",
    "a much longer line of plain words that a narrow panel would wrap over rows",
    "<b>bold</b> and <i>italic</i> with a swatch <span style='color:red'>━━●━━</span>",
    "ρ = 0.9",
    "averyveryverylongwordwithoutanyspacesinsideit and more",
)


def _one_line(label: widget_style.WrappingLabel) -> int:
    """The definition, searched from scratch: the least width ≥ the longest word's at
    which the label is as tall as on an unbounded line."""
    line = label.heightForWidth(WIDE)
    width = label.minimumSizeHint().width()
    while label.heightForWidth(width) > line:
        width += 1
    return width


@pytest.mark.parametrize("style", ["", "padding: 3px 9px; border: 2px solid black;"])
@pytest.mark.parametrize("plain", [False, True])
def test_the_size_hint_is_the_narrowest_width_of_one_line(
    qtbot: QtBot, style: str, plain: bool
) -> None:
    label = widget_style.WrappingLabel()
    qtbot.addWidget(label)
    widget_style.set_font(label)
    label.setStyleSheet(style)
    if plain:
        label.setTextFormat(Qt.TextFormat.PlainText)
    # In turns, so that each measurement starts from what the one before learned.
    for text in TEXTS + TEXTS[::-1]:
        label.setText(text)
        hint = label.sizeHint()
        assert hint.width() == _one_line(label), text
        assert hint.height() == label.heightForWidth(WIDE), text


def _settle() -> None:
    """Posted events, and those they post (a layout request passed on), as the loop would."""
    for _ in range(3):
        QApplication.processEvents()


class _Requests(QObject):
    """Counts the layout requests that reach a widget."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if event is not None and event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_a_steady_box_lays_out_its_window_only_when_the_label_needs_another_size(
    qtbot: QtBot,
) -> None:
    outer = QWidget()
    column = QVBoxLayout(outer)
    label = QLabel("now ρ = 0.129")
    label.setWordWrap(True)
    box = widget_style.SteadyBox(label)
    column.addWidget(box)
    column.addStretch(1)
    qtbot.addWidget(outer)
    outer.resize(300, 200)
    outer.show()
    qtbot.waitExposed(outer)
    _settle()  # the first layout, done
    requests = _Requests()
    outer.installEventFilter(requests)
    label.setText("now ρ = 0.921")  # the same glyphs: the same size
    _settle()
    assert requests.count == 0
    assert label.text() == "now ρ = 0.921" and label.geometry() == box.rect()
    one_line = box.height()
    label.setText("now ρ = 0.921, and a line long enough to wrap onto a second one here")
    _settle()
    assert requests.count >= 1
    assert box.height() == label.heightForWidth(box.width()) > one_line  # two lines now
    assert label.geometry() == box.rect()


def test_a_steady_box_is_shown_and_hidden_with_its_label(qtbot: QtBot) -> None:
    """A badge hidden until it has text takes no room in its row, boxed or not."""
    outer = QWidget()
    row = QVBoxLayout(outer)
    badge = widget_style.badge_label()  # hidden
    box = widget_style.SteadyBox(badge)
    row.addWidget(box)
    qtbot.addWidget(outer)
    outer.show()
    qtbot.waitExposed(outer)
    assert not box.isVisible() and not badge.isVisible()
    widget_style.set_badge(badge, "vanishing")
    _settle()
    assert box.isVisible() and badge.isVisible() and box.height() > 0
    widget_style.set_badge(badge, "")
    assert not box.isVisible()
