"""A sketch pad: drag the mouse to draw a 1-D input signal y(t) over N steps.

Releasing the mouse hands the drawing to the session as the new input sequence. The pad shows
the session's sequence whenever that is a scalar signal, so a preset can be redrawn by hand;
text or vectors it does not pretend to show: it is flat and says what the inputs are.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QPoint, QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PyQt6.QtWidgets import QSizePolicy, QWidget

from rnnviz.session import Change, Session
from rnnviz.session.source import Source
from rnnviz.views.binding import listen
from rnnviz.views.look import sizes, widget_style
from rnnviz.views.look.appearance import appearance, colors

Y_MAX = 1.5  # the pad spans −Y_MAX..Y_MAX; values outside are drawn at the edge
GRID_VALUES = (-1.0, 0.0, 1.0)
DOTS_UP_TO = 120  # beyond this many steps the dots would merge into a thick line
MARGINS = (44, 10, 12, 28)  # left (value labels), top, right, bottom (step labels) in px


class DrawCanvas(QWidget):
    """Drag to draw the input x_t for t = 1..N (N: the scalar sequence's length, else the
    sequence length setting); release to use it as the session's input sequence."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._values = np.zeros(session.config.sequence_length)  # (N,)
        self._last: tuple[int, float] | None = None  # the previous drag point (step, value)
        self._fitted_to: tuple[int, str] | None = None  # (length, encoding) of the pad
        widget_style.set_font(self)
        # The arrow keys belong to the main window (stepping), never to the pad.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMinimumHeight(60)  # a short side column still shows the whole pad
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip(
            "Drag with the mouse to draw the input signal x<sub>t</sub> over the sequence length; "
            "release to use it as the input sequence."
        )
        listen(session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_sequence_changed()

    # ---- public --------------------------------------------------------------------
    def values(self) -> np.ndarray:
        """The drawn signal, one value per step: (N,)."""
        return self._values.copy()

    def set_values(self, values: np.ndarray) -> None:
        """Show ``values`` (N,) on the pad without sending them to the session."""
        self._values = np.clip(np.asarray(values, dtype=float).reshape(-1), -Y_MAX, Y_MAX)
        self.update()

    def apply(self) -> None:
        """Use the drawing as the session's input sequence (back to t = 0)."""
        self.session.set_sequence(self.values(), Source("drawn"))

    def clear(self) -> None:
        self.set_values(np.zeros(self._values.size))

    def point_for(self, step: int, value: float) -> QPoint:
        """Widget pixel of step (1-based) at height ``value``: where to press to draw it."""
        return QPoint(round(self._x(step)), round(self._y(value)))

    # ---- mouse ---------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        if event is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self._last = self._step_value(event.position())
        self._draw_to(self._last)

    def mouseMoveEvent(self, event: QMouseEvent | None) -> None:
        if event is None or self._last is None:
            return
        if not event.buttons() & Qt.MouseButton.LeftButton:
            return
        point = self._step_value(event.position())
        self._draw_to(point)
        self._last = point

    def mouseReleaseEvent(self, event: QMouseEvent | None) -> None:
        if event is None or event.button() != Qt.MouseButton.LeftButton or self._last is None:
            return
        self._draw_to(self._step_value(event.position()))
        self._last = None
        self.apply()

    def _step_value(self, pos: QPointF) -> tuple[int, float]:
        area = self._area()
        n = self._values.size
        step = int(np.clip((pos.x() - area.left()) / area.width() * n, 0, n - 1))  # 0-based
        value = Y_MAX - (pos.y() - area.top()) / area.height() * 2 * Y_MAX
        return step, float(np.clip(value, -Y_MAX, Y_MAX))

    def _draw_to(self, point: tuple[int, float]) -> None:
        """Set the steps between the previous drag point and ``point`` on a straight line,
        so a fast drag that skips steps leaves no gaps."""
        assert self._last is not None
        (s0, v0), (s1, v1) = sorted([self._last, point])
        if s0 == s1:
            self._values[point[0]] = point[1]
        else:
            self._values[s0 : s1 + 1] = np.interp(np.arange(s0, s1 + 1), [s0, s1], [v0, v1])
        self.update()

    # ---- session -------------------------------------------------------------------
    def _on_session_changed(self, changes: Change) -> None:
        # A setting that leaves the inputs, their length and encoding alone (ρ, …) keeps
        # what is drawn, even a drawing not used yet.
        if changes & Change.SEQUENCE or (
            changes & Change.CONFIG and self._fit() != self._fitted_to
        ):
            self._on_sequence_changed()

    def _fit(self) -> tuple[int, str]:
        """(steps, encoding) the pad draws: the scalar sequence's length, else the setting."""
        c = self.session.config
        scalar = c.encoding == "scalar"
        return (self.session.sequence.shape[0] if scalar else c.sequence_length, c.encoding)

    def _on_sequence_changed(self) -> None:
        self._fitted_to = self._fit()
        seq = self.session.sequence  # (N, I)
        if self.session.config.encoding == "scalar":
            self.set_values(seq[:, 0])
        else:
            self.set_values(np.zeros(self._fitted_to[0]))  # flat: a drawing replaces them

    def _on_appearance_changed(self) -> None:
        self.update()  # painted in the theme's colours and line widths

    # ---- painting ------------------------------------------------------------------
    def _area(self) -> QRectF:
        left, top, right, bottom = MARGINS
        return QRectF(self.rect()).adjusted(left, top, -right, -bottom)

    def _x(self, step: int) -> float:
        """The centre of step ``step`` (1-based): N equal columns across the pad."""
        area = self._area()
        return area.left() + (step - 0.5) / self._values.size * area.width()

    def _y(self, value: float) -> float:
        area = self._area()
        return area.top() + (Y_MAX - value) / (2 * Y_MAX) * area.height()

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = self._area()
        painter.fillRect(self.rect(), QColor(colors().PAPER))
        self._paint_grid(painter, area)
        encoding = self.session.config.encoding
        if encoding == "scalar":
            self._paint_signal(painter, area)
        elif area.height() >= 2 * painter.fontMetrics().height():
            painter.setPen(QColor(colors().MUTED))
            painter.drawText(
                area.adjusted(4, 4, -4, -4),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                f"the inputs are {encoding}: draw to replace them",
            )
        painter.end()

    def _paint_grid(self, painter: QPainter, area: QRectF) -> None:
        ink = QColor(colors().INK)
        muted = QColor(colors().MUTED)
        metrics = painter.fontMetrics()
        # A short pad labels only the zero line: three labels would run into each other.
        labelled = GRID_VALUES if area.height() >= 3 * metrics.height() else (0.0,)
        for value in GRID_VALUES:
            y = self._y(value)
            # The zero line is the reference students read values against: make it stand out.
            pen = QPen(ink if value == 0 else muted, sizes.line_width(1.5 if value == 0 else 1))
            if value != 0:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            if value not in labelled:
                continue
            painter.setPen(ink)
            text = f"{value:g}"
            painter.drawText(
                QPointF(
                    area.left() - 6 - metrics.horizontalAdvance(text), y + metrics.ascent() / 2
                ),
                text,
            )
        painter.setPen(QPen(ink, sizes.line_width(1.5)))
        painter.drawRect(area)
        n = self._values.size
        baseline = area.bottom() + metrics.ascent() + 4
        painter.drawText(QPointF(area.left(), baseline), "t = 1")
        last = f"t = {n}"
        painter.drawText(
            QPointF(area.right() - metrics.horizontalAdvance(last), baseline),
            last,
        )

    def _paint_signal(self, painter: QPainter, area: QRectF) -> None:
        color = QColor(colors().INPUT)
        n = self._values.size
        xs = area.left() + (np.arange(n) + 0.5) / n * area.width()  # (N,) as _x, in one go
        ys = area.top() + (Y_MAX - self._values) / (2 * Y_MAX) * area.height()  # (N,) as _y
        line = _envelope(xs, ys, max(1, int(area.width())))
        painter.setPen(QPen(color, sizes.line_width(sizes.LINE_WIDTH)))
        painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y in line.tolist()]))
        if n <= DOTS_UP_TO:
            points = [QPointF(x, y) for x, y in zip(xs.tolist(), ys.tolist(), strict=True)]
            painter.setBrush(color)
            painter.setPen(Qt.PenStyle.NoPen)
            radius = sizes.line_width(4.0)
            for p in points:
                painter.drawEllipse(p, radius, radius)


def _envelope(xs: np.ndarray, ys: np.ndarray, columns: int) -> np.ndarray:
    """(k, 2) points of the polyline through (xs, ys) as a screen of ``columns`` pixels
    shows it: every point when there are few; else each pixel column's lowest and highest
    value, in the order they come (100,000 steps are 2,000 points, drawn the same).
    """
    n = xs.size
    if n <= 2 * columns:
        return np.column_stack([xs, ys])  # (N, 2)
    per = -(-n // columns)  # steps per column, rounded up
    pad = per * columns - n
    ys_ = np.concatenate([ys, np.full(pad, ys[-1])]).reshape(columns, per)  # (C, per)
    xs_ = np.concatenate([xs, np.full(pad, xs[-1])]).reshape(columns, per)  # (C, per)
    lo, hi = ys_.argmin(axis=1), ys_.argmax(axis=1)  # (C,)
    first, last = np.minimum(lo, hi), np.maximum(lo, hi)  # keep each column's order
    rows = np.arange(columns)
    pick = np.column_stack([first, last]).reshape(-1)  # (2C,)
    at = np.repeat(rows, 2)  # (2C,)
    return np.column_stack([xs_[at, pick], ys_[at, pick]])  # (2C, 2)
