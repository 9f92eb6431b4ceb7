"""Text from outside (file names, lesson titles and summaries, messages quoting a file) is
shown as plain text, never as Qt rich text: ``<img src="/dev/zero">`` in a file would make
Qt read that file. Our own typeset strings are the only rich text on screen."""

from __future__ import annotations

import html

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally. Qt guesses whether a tooltip is rich text
    and offers no switch, so the text is escaped inside markup of our own."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text, quote=False)}</p>"


def plain_label(label: QLabel) -> QLabel:
    """``label`` shows whatever it is given literally (QLabel guesses otherwise)."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label
