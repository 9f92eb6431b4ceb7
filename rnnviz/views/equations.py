"""The article's equations with the selected step's numbers filled in."""

from __future__ import annotations

import html
import math
import re

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QTextDocument
from PyQt6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from rnnviz.session import Session
from rnnviz.session.explain import Equation, backward_equation, format_vector, forward_equations
from rnnviz.views import style

FEED_HINT = "press → to feed the first input"
EQUATION_PT = 20
NUMBERS_PT = 15
# "W_hh", "h_12", "σ_max", "∂L/∂y_3": a letter, "_", then the subscript.
_SUBSCRIPT = re.compile(r"([A-Za-zα-ωδσ∂])_([A-Za-z0-9]+)")
# Outside this range of magnitudes 2-decimal numbers say nothing ("0.00") or get long.
_PLAIN_RANGE = (0.01, 100.0)
# The quantity each row computes gets the colour it has in the plots.
_RESULT_COLORS = {"h": style.STATE, "y": style.OUTPUT, "δ": style.GRADIENT, "c": style.STATE}


def rich(text: str) -> str:
    """Equation text as HTML: subscripts for ``a_b``, everything else escaped."""
    return _SUBSCRIPT.sub(r"\1<sub>\2</sub>", html.escape(text, quote=False))


def vector_html(values: np.ndarray) -> str:
    """format_vector's numbers, with a common power of ten factored out when they are tiny
    or huge (10<sup>−3</sup> × [1.20, …] instead of [0.00, 0.00, …])."""
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    if top == 0.0 or _PLAIN_RANGE[0] <= top < _PLAIN_RANGE[1]:
        return format_vector(values)
    exponent = min(max(math.floor(math.log10(top)), -300), 300)  # 10.0**±300 is finite
    scale = f"10<sup>{str(exponent).replace('-', '−')}</sup> × "
    return scale + format_vector(values * 10.0**-exponent)


class EquationsPanel(QWidget):
    """The update and readout of the focused step with every term's numbers, and during the
    backward pass the equation for δ_t = dL/dh_t with its numbers (rnnviz.session.explain).

    The focused step is session.sweep while the backward sweep runs, else
    session.selected_step. The backward equation shows whenever gradients exist.
    Vectors are whole up to 8 numbers, abbreviated in the middle beyond.

    Public, read-only for the main window and tests: ``label`` (the QLabel with the rich
    text), ``text()`` (its plain text, as a reader sees it).
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)  # long equations (gated cells) wrap instead of clipping
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setFont(style.font(NUMBERS_PT))
        self.label.setStyleSheet(f"color: {style.INK}; background: white; padding: 8px;")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        events = session.events
        for event in (
            events.stepped,
            events.selection_changed,
            events.gradients_changed,
            events.sweep_moved,
            events.config_changed,
        ):
            style.listen(event, self._redraw)
        self._redraw()

    def text(self) -> str:
        doc = QTextDocument()
        doc.setHtml(self.label.text())
        return doc.toPlainText()

    # ---- drawing -------------------------------------------------------------------
    def _redraw(self) -> None:
        s = self.session
        step = s.sweep if s.sweep is not None else s.selected_step
        if step is None or not 1 <= step <= s.t:
            self.label.setText(_paragraph(FEED_HINT, style.HINT_PT, style.MUTED))
            return
        trace = s.trace
        parts = [_heading(f"forward pass, step t = {step}")]
        if trace.exploded_at is not None and step >= trace.exploded_at:
            parts.append(_alert(f"h overflowed at t = {trace.exploded_at}: shown as 0 from there"))
        parts += [_equation_html(eq) for eq in forward_equations(trace, step)]
        g = s.gradients
        if g is not None:
            parts.append(_heading(f"backward pass (BPTT), step t = {step}"))
            if g.valid[step - 1]:
                parts.append(_equation_html(backward_equation(trace, g, step)))
            else:
                where = f"the {g.exploded_in} pass" if g.exploded_in else "BPTT"
                parts.append(
                    _alert(f"no finite δ_{step}: {where} overflowed at t = {g.exploded_at}")
                )
        self.label.setText("".join(parts))


def _paragraph(text: str, points: int, color: str) -> str:
    return f'<p style="font-size:{points}pt; color:{color};">{text}</p>'


def _heading(text: str) -> str:
    return _paragraph(f"<b>{html.escape(text)}</b>", style.LABEL_PT, style.MUTED)


def _alert(text: str) -> str:
    return _paragraph(f"<b>{rich(text)}</b>", style.BADGE_PT, style.ALERT)


def _equation_html(eq: Equation) -> str:
    """The equation in large type, then one row per term: symbol = numbers."""
    rows = []
    for term in eq.terms:
        symbol, color = rich(term.symbol), style.INK
        if term is eq.terms[-1]:  # what the equation computes: bold, in its plot colour
            symbol = f"<b>{symbol}</b>"
            color = _RESULT_COLORS.get(term.symbol.split("_")[0], style.INK)
        rows.append(
            f'<tr><td align="right" style="color:{color}; padding-right:8px;">{symbol}</td>'
            f"<td>=</td>"
            f'<td style="font-family:monospace; padding-left:8px;">'
            f"{vector_html(term.values)}</td></tr>"
        )
    return (
        _paragraph(f"<b>{rich(eq.text)}</b>", EQUATION_PT, style.INK)
        + f'<table style="font-size:{NUMBERS_PT}pt; margin-left:12px;">{"".join(rows)}</table>'
    )
