"""The lesson bar: the open lesson's title, where we are in it, and the slide's caption in
large type, with Previous / Next / Close buttons. Shown above the pages only during a lesson."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rnnviz.views.look import widget_style
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.math_text import set_math_text
from rnnviz.views.look.plain_text import plain_label

CAPTION_PT = 20  # the sentence the teacher talks over: read from the back row
HEADER_PT = 16


class LessonBar(QFrame):
    """Public: ``title`` (QLabel), ``position`` (QLabel, "slide k / n"), ``caption`` (QLabel),
    ``previous_button``, ``next_button``, ``close_button`` (QToolButtons showing the given
    actions), and ``show_slide(title, k, n, caption)``."""

    def __init__(
        self,
        previous: QAction,
        next_: QAction,
        close: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lessonBar")
        appearance.keep(self, "colours", lambda bar: bar.setStyleSheet(_sheet()))
        self.title = plain_label(QLabel(self))  # a lesson file's title is data, not HTML
        widget_style.set_font(self.title, HEADER_PT, bold=True)
        self.position = QLabel(self)
        widget_style.set_font(self.position, HEADER_PT)
        self.caption = QLabel(self)
        widget_style.set_font(self.caption, CAPTION_PT)
        self.caption.setWordWrap(True)
        self.caption.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.previous_button = self._button(previous)
        self.next_button = self._button(next_)
        self.close_button = self._button(close)

        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addSpacing(16)
        header.addWidget(self.position)
        header.addStretch(1)
        for button in (self.previous_button, self.next_button):
            header.addWidget(button)
        header.addSpacing(16)
        header.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 10)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.caption)

    def _button(self, action: QAction) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        widget_style.set_font(button, HEADER_PT, bold=True)
        return button

    def show_slide(self, title: str, k: int, n: int, caption: str) -> None:
        """Slide ``k`` of ``n`` (1-based)."""
        self.title.setText(title)
        self.position.setText(f"slide {k} / {n}")
        set_math_text(self.caption, caption)  # the file's text escaped, its scripts typeset


def _sheet() -> str:
    """A warm strip in the theme (the lesson is set apart from the panels); the selector keeps
    the colours on the bar itself, and the buttons keep their own look."""
    p = colors()
    return (
        f"#lessonBar {{ background: {p.LESSON_PAPER}; border-bottom: 3px solid {p.LESSON_EDGE}; }}"
        f"#lessonBar QLabel {{ color: {p.INK}; background: transparent; }}"
    )
