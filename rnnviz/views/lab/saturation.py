"""How saturated the hidden units are, step by step."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from rnnviz.session import Change
from rnnviz.session.lab import SATURATED_ABOVE, Lab
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, sizes, widget_style
from rnnviz.views.look.appearance import appearance, colors

FEED_HINT = "press → to feed the first input"
FRACTION_COLOR = "ALERT"  # the theme's colour of this name
_AXIS_WIDTH = 70  # both left axes alike, so the linked plots line up step for step
_BAR_WIDTH = 130  # the colour bar with its numbers and name
_SYMBOLS_UP_TO = 60
_LEVELS = (0.0, 1.0)  # every derivative shown lies in 0..1


def derivative_formula(cell: str, activation: str) -> str:
    """The derivative the heatmap shows, as rich text: 1 − h² for a tanh RNN."""
    if cell == "lstm":
        return "1 − tanh²(c<sub>t</sub>)"
    if cell == "gru":
        return "1 − n<sub>t</sub>²"
    return {
        "tanh": "1 − h<sub>t</sub>²",
        "sigmoid": "h<sub>t</sub>(1 − h<sub>t</sub>)",
        "relu": "relu′(a<sub>t</sub>)",
        "linear": "1",
    }[activation]


def caption_text(formula: str, activation: str) -> str:
    if activation == "linear":
        return "<b>a linear unit never saturates</b>: its slope is always 1"
    return (
        f"<b>{formula} near 0 = saturated</b>: the gradient through that unit dies, "
        "even when σ<sub>max</sub> &gt; 1"
    )


class SaturationView(QWidget):
    """Which units sit in the flat ends of their nonlinearity, where the gradient dies.

    Top: the fraction of hidden units with |h_t| > 0.9 per fed step (0..1 fixed).
    Bottom: a heatmap of the nonlinearity's derivative (``lab.saturation().derivative``),
    levels fixed at 0..1, dark = 0 = saturated. Redrawn when the session's steps or settings
    change.

    Public, read-only for tests: ``fraction_curve`` (pg.PlotDataItem, x = steps 1..t, y =
    the fraction), ``image_item`` (pg.ImageItem, col-major: ``.image`` is the (T, H) array,
    step t the column at x = t, unit i the row at y = i with unit 1 on top; None when no
    step is fed), ``color_bar`` (pg.ColorBarItem), ``info`` (QLabel: the derivative shown
    and σ_max), ``caption`` (QLabel), ``badge`` (QLabel: "exploded at t = …"), ``hint``,
    ``fraction_plot`` and ``heatmap_plot`` (pg.PlotItem, x axes linked).
    """

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.layout_widget, self.fraction_plot, self.heatmap_plot = plot_style.stacked_plots(2, 3)
        self._setup_plots()
        # Pens and brushes from the theme: _on_appearance_changed.
        self.fraction_curve = self.fraction_plot.plot(symbolPen=None, fillLevel=0.0)
        self.image_item = pg.ImageItem(axisOrder="col-major")
        self.heatmap_plot.addItem(self.image_item)
        self.color_bar = pg.ColorBarItem(
            values=_LEVELS,
            colorMap=pg.colormap.get("viridis"),
            interactive=False,
            colorMapMenu=False,
        )
        plot_style.style_color_bar(self.color_bar, "derivative")
        self.color_bar.setImageItem(self.image_item, insert_in=self.heatmap_plot)
        # The same room on the right of the fraction plot keeps both plots' steps aligned.
        self._spacer = pg.GraphicsWidget()
        self.fraction_plot.layout.addItem(self._spacer, 2, 5)
        self.fraction_plot.layout.setColumnFixedWidth(4, 5)
        self.hint = plot_style.hint_item("")
        self.heatmap_plot.addItem(self.hint, ignoreBounds=True)

        self.title = widget_style.title_label("saturation: units stuck where the slope is flat")
        self.badge = widget_style.badge_label()
        self.info = QLabel()
        self.caption = QLabel()
        for label in (self.info, self.caption):
            widget_style.set_font(label)
            widget_style.set_text_color(label, "INK")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(widget_style.title_row(self.title, self.badge))
        layout.addWidget(self.info)
        layout.addWidget(self.layout_widget, 1)
        layout.addWidget(self.caption)

        listen(lab.session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_appearance_changed()
        self._redraw()

    def _on_appearance_changed(self) -> None:
        """The fraction curve in the theme's colour and line width; axes and the colour bar
        as wide as its type needs."""
        color = getattr(colors(), FRACTION_COLOR)
        fill = pg.mkColor(color)
        fill.setAlpha(0x30)
        self.fraction_curve.setPen(sizes.pen(color, width=4))
        self.fraction_curve.setSymbolBrush(color)
        self.fraction_curve.setSymbolSize(sizes.line_width(8))
        self.fraction_curve.setFillBrush(fill)
        scale = appearance.scale
        for plot in (self.fraction_plot, self.heatmap_plot):
            plot.getAxis("left").setWidth(round(_AXIS_WIDTH * scale))
        for item in (self.color_bar, self._spacer):
            item.setFixedWidth(round(_BAR_WIDTH * scale))

    def _setup_plots(self) -> None:
        top, heat = self.fraction_plot, self.heatmap_plot
        plot_style.style_plot(top, "", f"share |h| > {SATURATED_ABOVE:g}")
        plot_style.style_plot(heat, "step t", "hidden unit")
        plot_style.plot_title(top, f"fraction of units with |h<sub>t</sub>| > {SATURATED_ABOVE:g}")
        heat.setXLink(top)
        heat.invertY(True)  # unit 1 on top, like the rows of a matrix and the state heatmap
        for plot in (top, heat):
            plot.setMouseEnabled(x=False, y=False)
            plot.disableAutoRange()
        top.showGrid(y=True, alpha=0.3)
        # A little room beyond 0 and 1 keeps their tick labels from being cut off.
        top.setRange(yRange=(-0.08, 1.08), padding=0, disableAutoRange=True)
        top.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])

    def _on_session_changed(self, changes: Change) -> None:
        if changes & (Change.STEPS | Change.CONFIG):
            self._redraw()

    def _redraw(self) -> None:
        session = self.lab.session
        p, H = session.params, session.config.hidden_size
        N = max(session.sequence.shape[0], session.t, 1)
        self.fraction_plot.setRange(xRange=(0.5, N + 0.5), padding=0, disableAutoRange=True)
        self.heatmap_plot.setRange(yRange=(0.5, H + 0.5), padding=0, disableAutoRange=True)
        self._set_unit_ticks(H)
        formula = derivative_formula(p.cell, p.activation)
        plot_style.plot_title(self.heatmap_plot, f"slope of the nonlinearity: {formula}")
        sigma = session.spectra.sigma_max
        self.info.setText(
            f"{p.cell} cell, {p.activation} &nbsp;·&nbsp; dark = slope 0 = saturated "
            f"&nbsp;·&nbsp; σ<sub>max</sub>(W<sub>hh</sub>) = {sigma:.3g}"
        )
        self.caption.setText(caption_text(formula, p.activation))
        trace = session.trace
        self.hint.setText("" if trace.T else FEED_HINT)
        self.hint.setVisible(not trace.T)
        self.hint.setPos((N + 1) / 2, (H + 1) / 2)
        if trace.T == 0:
            self.fraction_curve.setData([], [])
            self.image_item.clear()
            widget_style.set_badge(self.badge, "")
            return
        sat = self.lab.saturation()
        steps = np.arange(1, trace.T + 1)  # (T,) 1-based
        self.fraction_curve.setData(steps, sat.fraction)
        self.fraction_curve.setSymbol("o" if N <= _SYMBOLS_UP_TO else None)
        # ImageItem draws inf/NaN as a silently blank image: show them as 0 (with a badge).
        clean = np.nan_to_num(sat.derivative, nan=0.0, posinf=0.0, neginf=0.0)  # (T, H)
        self.image_item.setImage(clean, levels=_LEVELS)
        self.image_item.setRect(QRectF(0.5, 0.5, trace.T, H))
        bad = trace.exploded_at
        widget_style.set_badge(self.badge, f"exploded at t = {bad}" if bad is not None else "")

    def _set_unit_ticks(self, H: int) -> None:
        """Integer unit numbers only (no 2.5), about 16 labels at most."""
        every = int(plot_style.nice_ceiling(H / 16)) if H > 16 else 1
        ticks = [(float(i), str(i)) for i in range(1, H + 1) if (i - 1) % every == 0]
        self.heatmap_plot.getAxis("left").setTicks([ticks])
