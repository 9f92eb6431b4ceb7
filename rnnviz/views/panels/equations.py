"""The article's equations with the focused step's numbers filled in."""

from __future__ import annotations

import math

import numpy as np
from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QColor, QPainter, QPaintEvent, QResizeEvent
from PyQt6.QtWidgets import QSizePolicy, QWidget

from rnnviz.session import Change, Session
from rnnviz.session.explain import Equation, Place, backward_equations, forward_equations
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, sizes
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.focus_text import focus_name
from rnnviz.views.panels.equation_text import Fonts, Layout, Line, Numbers, fit, paint, runs

FEED_HINT = "press → to feed the first input"
EQUATION_PT = 20
NUMBERS_PT = 13  # smaller than the equation: more of each vector fits
EQUATION_SHRINK = 0.75  # an equation shrinks this far to stay on one line before it wraps
# Outside this range of magnitudes 2-decimal numbers say nothing ("0.00") or get long.
_PLAIN_RANGE = (0.01, 100.0)
_WHOLE_UP_TO = 8  # longer vectors keep their first and last four numbers
# The least width that shows every row whole at the smallest type: "W_hh h_0 = [0.00, …,
# 0.00]", and an LSTM's backward rows, were cut at 260 px (measured at type scale 1).
LEAST_WIDTH_PX = 280
_ENDS = np.r_[0:4, -4:0]
_REMARK = "   ("  # explain writes a remark after an equation this way
# What the lines show: made once (flag arithmetic is slow, and this runs every step).
_SHOWN = Change.SELECTION | Change.SWEEP | Change.STEPS | Change.GRADIENTS | Change.CONFIG
# The quantity each row computes gets the colour it has in the plots (palette names).
_RESULT_COLORS = {"h": "STATE", "y": "OUTPUT", "δ": "GRADIENT", "c": "STATE", "∂L/∂c": "GRADIENT"}


def vector_numbers(values: np.ndarray) -> Numbers:
    """format_vector's numbers (2 decimals, "−"), with a common power of ten factored out
    when they are tiny or huge (10⁻³ × [1.20, …] instead of [0.00, 0.00, …])."""
    top = float(np.abs(values).max()) if values.size else 0.0
    if not math.isfinite(top):  # the largest finite one
        finite = np.abs(values[np.isfinite(values)])
        top = float(finite.max()) if finite.size else 0.0
    factor = ""
    if top != 0.0 and not _PLAIN_RANGE[0] <= top < _PLAIN_RANGE[1]:
        exponent = min(max(math.floor(math.log10(top)), -300), 300)  # 10.0**±300 is finite
        factor = f"{plot_style.power_of_ten(exponent)} × "
        values = values * 10.0**-exponent
    n = values.size
    ends = values.tolist() if n <= _WHOLE_UP_TO else values[_ENDS].tolist()  # Python floats
    items = tuple([f"{v:.2f}".replace("-", "−") for v in ends])
    if n <= _WHOLE_UP_TO:
        return Numbers(items, (), factor)
    return Numbers(items[:4], items[4:], factor)


def vector_text(values: np.ndarray, count: int = _WHOLE_UP_TO) -> str:
    """The vector as the panel prints it with room for ``count`` numbers."""
    return vector_numbers(values).text(count)


class EquationsPanel(QWidget):
    """The update and readout of the focused step with every term's numbers, and after the
    backward pass the equation for δ_t = dL/dh_t (and the LSTM's dL/dc_t) with its numbers
    (rnnviz.session.explain).

    The focused step is session.sweep while the backward sweep runs, else
    session.selected_step. Everything is fitted into the panel: the type shrinks (never
    under 12 pt), vectors keep as many numbers as fit (8, 6, 4 or 2, abbreviated in the
    middle), and when that is not enough only each equation and its result are shown.

    Public, read-only for the main window and tests: ``text()`` (the plain text of what is
    shown, one line per equation or row, subscripts written inline: "h3 = tanh(Whh h2 …").
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent fills it all
        self._fonts = Fonts()
        self._lines: tuple[Line, ...] = ()
        self._layout: Layout | None = None
        self._choice = 0  # the last layout's choice of lines and type size …
        self._shape: object = None  # … for lines of this shape at this size
        listen(session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._rebuild()

    def text(self) -> str:
        return self._fitted().text

    def sizeHint(self) -> QSize:
        return QSize(460, 360)

    def minimumSizeHint(self) -> QSize:
        return QSize(round(LEAST_WIDTH_PX * appearance.scale), 100)

    # ---- session -------------------------------------------------------------------
    def _on_session_changed(self, changes: Change) -> None:
        """Rebuild the lines only when the step or the numbers behind them changed."""
        if changes == Change.SELECTION and self.session.sweep is not None:
            return  # the running sweep's step is shown, not the selected one
        if changes & _SHOWN:
            self._rebuild()

    def _rebuild(self) -> None:
        s = self.session
        step = s.sweep if s.sweep is not None else s.selected_step
        self._lines = _lines(s, step)
        self._layout = None
        self.update()

    def _on_appearance_changed(self) -> None:
        """The lines again in the theme's colours, fitted again at its type size."""
        self._shape = None
        self._rebuild()

    # ---- drawing -------------------------------------------------------------------
    def _fitted(self) -> Layout:
        if self._layout is None:
            # Lines of the same lengths at the same size take the same choice of type size
            # and rows: during a sweep only the numbers and step numbers change.
            shape = (self.size(), tuple((len(ln.parts), ln.priority) for ln in self._lines))
            size = (self.width(), self.height())
            trusted = shape == self._shape
            self._layout = fit(self._lines, *size, self._fonts, self._choice, trusted)
            self._choice, self._shape = self._layout.choice, shape
        return self._layout

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        self._layout = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(colors().PAPER))
        paint(painter, self._fitted(), self._fonts, self.height())
        painter.end()


def _lines(s: Session, step: int | None) -> tuple[Line, ...]:
    if step is None or not 1 <= step <= s.t:
        return (Line(runs(FEED_HINT), sizes.HINT_PT, colors().MUTED),)
    trace = s.trace
    place = Place(*s.focus, *s.depth)
    name = focus_name(s.depth, s.focus)
    of = f", {name}" if name else ""
    lines = [_heading(f"forward pass{of}, step t = {step}")]
    if trace.exploded_at is not None and step >= trace.exploded_at:
        lines.append(_alert(f"h overflowed at t = {trace.exploded_at}: shown as 0 from there"))
    for eq in forward_equations(trace, step, place):
        lines += _equation(eq)
    g = s.gradients
    if g is not None:
        lines.append(_heading(f"backward pass (BPTT){of}, step t = {step}"))
        if g.valid[step - 1]:
            for eq in backward_equations(trace, g, step, s.config.truncate, place):
                lines += _equation(eq)
        else:
            where = f"the {g.exploded_in} pass" if g.exploded_in else "BPTT"
            lines.append(_alert(f"no finite δ_{step}: {where} overflowed at t = {g.exploded_at}"))
    return tuple(lines)


def _heading(text: str) -> Line:
    return Line(runs(text), sizes.LABEL_PT, colors().MUTED, bold=True)


def _alert(text: str) -> Line:
    return Line(runs(text), sizes.BADGE_PT, colors().ALERT, bold=True)


def _equation(eq: Equation) -> list[Line]:
    """The equation in large type (a remark after it, "   (…)", in small type under it),
    then one row per term: symbol = numbers. The last term is what the equation computes:
    bold, in its plot colour, and never left out; the terms that carry the recurrence are
    the last to go."""
    text, _, remark = eq.text.partition(_REMARK)
    palette = colors()
    lines = [Line(runs(text), EQUATION_PT, palette.INK, bold=True, shrink=EQUATION_SHRINK)]
    if remark:  # said once the numbers are shown: left out before them
        lines.append(Line(runs("(" + remark), sizes.LABEL_PT, palette.MUTED, priority=1))
    for term in eq.terms:
        result = term is eq.terms[-1]
        name = _RESULT_COLORS.get(term.symbol.split("_")[0], "INK") if result else "INK"
        color = getattr(palette, name)
        numbers = vector_numbers(term.values)
        priority = 0 if result else _priority(term.symbol)
        lines.append(Line(runs(term.symbol), NUMBERS_PT, color, result, numbers, priority))
    return lines


def _priority(symbol: str) -> int:
    """1 for a term that carries the recurrence (W_hh h_{t−1}, the cell state c_t, the
    gradient from step t+1 through h or c), 2 for the others."""
    recurrent = "W_hh" in symbol or "/∂h" in symbol or "/∂c" in symbol or symbol.startswith("c_")
    return 1 if recurrent else 2
