"""The lines a word-wrapping rich-text label shows, for tests of where text wraps."""

from __future__ import annotations

from PyQt6.QtGui import QTextDocument
from PyQt6.QtWidgets import QLabel


def shown_lines(label: QLabel) -> list[str]:
    """The lines ``label`` shows at its width, as QLabel lays rich text out (a QTextDocument
    as wide as its contents)."""
    document = QTextDocument()
    document.setDefaultFont(label.font())
    document.setDocumentMargin(0)
    document.setHtml(label.text())
    document.setTextWidth(label.contentsRect().width())
    document.documentLayout().documentSize()  # lays the text out
    lines = []
    block = document.begin()
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            lines.append(block.text()[line.textStart() : line.textStart() + line.textLength()])
        block = block.next()
    return lines
