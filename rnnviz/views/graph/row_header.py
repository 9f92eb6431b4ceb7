"""A stack's rows named at the unrolled graph's left edge: "layer 3" … "layer 1", and for a
bidirectional layer "→" beside its forward row and "←" beside its backward row.

The names used to sit beside h_0, left of the first column. The unrolled view follows the
steps, so they left the view after a few steps, and at 1024×768 and 1366×768 they never
showed at all: six rows of boxes with nothing to say which layer and direction each was.
They now stay in a strip at the view's left edge, which the camera keeps clear of columns,
each at its row's height. A bidirectional layer's two rows are a little over a line of text
apart at 1024×768, so its name sits between them and each row gets its arrow. Clicking a
name or an arrow shows that layer (and direction) in the panels, as clicking a box does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from PyQt6.QtCore import QPointF, QRect, QRectF, Qt
from PyQt6.QtGui import QColor, QFontMetricsF, QMouseEvent, QPainter, QPaintEvent
from PyQt6.QtWidgets import QWidget

from rnnviz.session import Session
from rnnviz.views.look.appearance import colors
from rnnviz.views.look.sizes import LABEL_PT, font

PAD_PX = 6  # between the names and the strip's edges
ARROW_GAP_PX = 4  # between a layer's name and its rows' arrows
TOOLTIP = "Click a layer's name or arrow to show that layer in the panels"
ARROWS = ("→", "←")  # forward, backward
ARROW_PT = LABEL_PT + 4  # an arrow's ink is a third of a line high: larger, still clear


@dataclass(frozen=True)
class RowName:
    """(``layer``, ``direction``)'s h row and the height of its line (px)."""

    layer: int
    direction: int
    y: float


@dataclass(frozen=True)
class Piece:
    """A text drawn in the strip: a layer's name (``direction`` None) or one row's arrow;
    ``rect`` in the strip's pixels; ``bold`` for the focused layer's name and row."""

    text: str
    rect: QRect
    bold: bool
    layer: int
    direction: int | None
    baseline: QPointF  # where the text starts on its baseline
    points: float  # its type size


class RowHeader(QWidget):
    """The strip of row names over the left edge of the graph's viewport (its parent)."""

    def __init__(self, session: Session, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self._rows: tuple[RowName, ...] = ()
        self._focus: tuple[int, int] = (0, 0)
        self._pieces: list[Piece] = []
        # Opaque: the graph is not painted under the strip, and nothing of it shows through.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(TOOLTIP)
        self.hide()

    def width_for(self, layers: int, directions: int) -> int:
        """The strip's width for a stack's names (in bold) and arrows."""
        width = QFontMetricsF(font(LABEL_PT, bold=True)).horizontalAdvance(f"layer {layers}")
        if directions == 2:
            width += ARROW_GAP_PX + _arrow_width()
        return math.ceil(width + 2 * PAD_PX)

    def set_rows(self, rows: tuple[RowName, ...], focus: tuple[int, int], width: int) -> None:
        """Name ``rows`` in a strip ``width`` px wide and as high as the viewport; the
        ``focus`` row's layer and arrow in bold ink, the others muted."""
        parent = self.parentWidget()
        assert parent is not None
        geometry = QRect(0, 0, width, parent.height())
        if (rows, focus) == (self._rows, self._focus):
            if self.geometry() != geometry:
                self.setGeometry(geometry)
            return
        self._rows, self._focus = rows, focus
        self.setGeometry(geometry)
        self._pieces = self._place()
        self.update()

    def shown(self) -> list[Piece]:
        """The names and arrows drawn now, their rectangles in the viewport's pixels."""
        if not self.isVisible():
            return []
        shift = self.pos()
        return [replace(p, rect=p.rect.translated(shift)) for p in self._pieces]

    def restyle(self) -> None:
        """Another type size or theme: the names are measured and drawn again."""
        self._pieces = self._place()
        self.update()

    def resizeEvent(self, event: object) -> None:
        self._pieces = self._place()

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = colors()
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), QColor(p.PAPER))
            for piece in self._pieces:
                painter.setFont(font(piece.points, piece.bold))
                painter.setPen(QColor(p.INK if piece.bold else p.MUTED))
                painter.drawText(piece.baseline, piece.text)
        finally:
            painter.end()

    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        if event is None or event.button() != Qt.MouseButton.LeftButton:
            return
        at = event.position().toPoint()
        for piece in self._pieces:
            if piece.rect.adjusted(-2, -4, 2, 4).contains(at):  # a small target, widened
                direction = piece.direction
                if direction is None:  # a layer's name: its direction now shown, or forward
                    direction = self._focus[1] if self._focus[0] == piece.layer else 0
                self.session.set_focus(piece.layer, direction)
                return

    def _place(self) -> list[Piece]:
        """Each layer's name right-aligned beside the columns (beside the arrows of a
        bidirectional layer) between its rows' lines, each arrow on its row's line. A piece
        that would overlap one placed before it or leave the strip is left out; the focused
        layer's come first."""
        if not self._rows:
            return []
        two = any(r.direction for r in self._rows)
        arrow_w = _arrow_width() if two else 0.0
        right = self.width() - PAD_PX
        name_right = right - (arrow_w + ARROW_GAP_PX if two else 0.0)
        wanted: list[tuple[Piece, bool]] = []  # (piece, whether the focused layer's)
        for k in sorted({r.layer for r in self._rows}):
            mine = [r for r in self._rows if r.layer == k]
            focused = self._focus[0] == k
            y = sum(r.y for r in mine) / len(mine)
            wanted.append((self._piece(f"layer {k + 1}", name_right, y, focused, k, None), focused))
            if two:
                for r in mine:
                    on = (r.layer, r.direction) == self._focus
                    text = ARROWS[r.direction]
                    wanted.append((self._piece(text, right, r.y, on, k, r.direction), focused))
        placed: list[Piece] = []
        for piece, _ in sorted(wanted, key=lambda item: not item[1]):
            r = piece.rect
            inside = r.left() >= 0 and r.top() >= 0 and r.bottom() < self.height()
            if inside and not any(r.intersects(q.rect) for q in placed):
                placed.append(piece)
        return placed

    @staticmethod
    def _piece(
        text: str, right: float, y: float, bold: bool, layer: int, direction: int | None
    ) -> Piece:
        """``text`` right-aligned at ``right``, its ink centred on the line at ``y``: the
        rectangle its ink covers (an arrow's is a third of a line high, so the two arrows of
        a bidirectional layer fit a little over a line apart)."""
        points = LABEL_PT if direction is None else ARROW_PT
        metrics = QFontMetricsF(font(points, bold))
        ink = metrics.tightBoundingRect(text)  # relative to the baseline's start
        left = right - metrics.horizontalAdvance(text)
        top = y - ink.height() / 2
        rect = QRectF(left + ink.left(), top, ink.width(), ink.height()).toAlignedRect()
        return Piece(text, rect, bold, layer, direction, QPointF(left, top - ink.top()), points)


def _arrow_width() -> float:
    metrics = QFontMetricsF(font(ARROW_PT, bold=True))
    return max(metrics.horizontalAdvance(a) for a in ARROWS)
