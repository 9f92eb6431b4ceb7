"""A layout that lines widgets up like words: left to right, wrapping onto new rows.

Headers of titles, badges, numbers and legend entries use it, so a narrow panel grows a
row taller instead of demanding the width of all of them side by side.
"""

from __future__ import annotations

from PyQt6.QtCore import QPoint, QRect, QSize, Qt
from PyQt6.QtWidgets import QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    """Items at their size hints in rows; a row is as tall as its tallest item, and items
    are centred on it vertically. Hidden widgets take no room."""

    def __init__(
        self,
        parent: QWidget | None = None,
        spacing: int = 10,
        row_spacing: int = 2,
        last_at_right: bool = False,
    ):
        """``last_at_right``: the last item sits at the right end of its row (buttons after
        a title)."""
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._row_spacing = row_spacing
        self._last_at_right = last_at_right
        self.setContentsMargins(0, 0, 0, 0)

    # ---- QLayout -------------------------------------------------------------------
    def addItem(self, item: QLayoutItem | None) -> None:
        if item is not None:
            self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        """All in one row."""
        shown = [item.sizeHint() for item in self._items if not item.isEmpty()]
        if not shown:
            return QSize(0, 0)
        width = sum(s.width() for s in shown) + self._spacing * (len(shown) - 1)
        return QSize(width, max(s.height() for s in shown))

    def minimumSize(self) -> QSize:
        """As narrow as the widest item: everything else can go onto more rows."""
        size = QSize(0, 0)
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        return size

    # ---- placing -------------------------------------------------------------------
    def _arrange(self, rect: QRect, move: bool) -> int:
        """Place the items in ``rect`` (only measure unless ``move``); returns the height.

        An item wider than the whole row gets the row's width, and the height it asks for
        at that width (a word-wrapped label grows a line).
        """
        rows: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        x = 0
        for item in self._items:
            if item.isEmpty():
                continue
            size = item.sizeHint()
            if size.width() > rect.width():
                height = item.heightForWidth(rect.width()) if item.hasHeightForWidth() else -1
                size = QSize(rect.width(), height if height > 0 else size.height())
            if rows[-1] and x + self._spacing + size.width() > rect.width():
                rows.append([])
                x = 0
            elif rows[-1]:
                x += self._spacing
            rows[-1].append((item, size))
            x += size.width()
        y = rect.y()
        for row in rows:
            if not row:
                continue
            height = max(size.height() for _, size in row)
            x = rect.x()
            for item, size in row:
                if move:
                    if self._last_at_right and item is row[-1][0] is rows[-1][-1][0]:
                        x = max(x, rect.right() + 1 - size.width())
                    top = y + (height - size.height()) // 2
                    item.setGeometry(QRect(QPoint(x, top), size))
                x += size.width() + self._spacing
            y += height + self._row_spacing
        return max(0, y - rect.y() - self._row_spacing)
