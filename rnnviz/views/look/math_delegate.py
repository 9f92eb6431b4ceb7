"""A table column whose names are typeset: W_ih is shown as W with the subscript ih.

Table items are plain text; the model keeps each name as typed (it is the array's name in a
state_dict), and this delegate paints it through ``math_html``, which escapes everything but
the scripts it adds.
"""

from __future__ import annotations

from PyQt6.QtCore import QModelIndex, QPersistentModelIndex, QSize
from PyQt6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QTextDocument
from PyQt6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from rnnviz.views.look.math_text import math_html

Index = QModelIndex | QPersistentModelIndex


class MathDelegate(QStyledItemDelegate):
    """Paints an item's text typeset, in the item's font and the view's text colour."""

    def displayed_html(self, index: Index) -> str:
        """What a cell shows, as HTML (for tests and for measuring)."""
        return math_html(str(index.data() or ""))

    def _document(self, option: QStyleOptionViewItem, index: Index) -> QTextDocument:
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setDocumentMargin(0)
        document.setHtml(self.displayed_html(index))
        return document

    def paint(self, painter: QPainter | None, option: QStyleOptionViewItem, index: Index) -> None:
        if painter is None:
            return
        self.initStyleOption(option, index)
        document = self._document(option, index)
        option.text = ""  # the style draws the background and selection, we draw the text
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        if style is None:
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, widget)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, option.palette.color(role))
        painter.save()
        top = rect.top() + (rect.height() - document.size().height()) / 2
        painter.translate(rect.left() + 2, top)
        layout = document.documentLayout()
        if layout is not None:
            layout.draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        self.initStyleOption(option, index)
        size = self._document(option, index).size()
        return QSize(int(size.width()) + 8, max(int(size.height()) + 4, option.rect.height()))
