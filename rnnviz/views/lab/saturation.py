"""How saturated the cell's nonlinearities are, step by step: one quantity, two views.

A nonlinearity is saturated where its slope is below ``SATURATED_BELOW`` (0.1) of the largest
slope it can have. The heatmap shows that relative slope for every unit (and, for gated
cells, every gate) and step, with the saturated band in the alert colour; the curve above
is, per step, the share of the heatmap's column in that band.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from rnnviz.session import Change
from rnnviz.session.lab import MAX_SLOPE, SATURATED_BELOW, Lab
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, sizes, widget_style
from rnnviz.views.look.appearance import appearance, colors

FEED_HINT = "press → to feed the first input"
FRACTION_COLOR = "ALERT"  # the theme's colour of this name: the curve and the saturated band
# The least data area of each plot: the fraction's 0 … 1, the heatmap's rows of units.
FRACTION_PX, HEATMAP_PX = 60, 100
_AXIS_WIDTH = 70  # both left axes alike, so the linked plots line up step for step
_BAR_WIDTH = 130  # the colour bar with its numbers and name
_SYMBOLS_UP_TO = 60
_LEVELS = (0.0, 1.0)  # a slope over its maximum lies in 0..1
_MAX_GROUPS = 5  # the LSTM's i, f, g, o and tanh c: at most 4 lines between groups

# The thresholds in the units a student reads off h, worked out from the one rule.
TANH_ABOVE = math.sqrt(1.0 - SATURATED_BELOW)  # 1 − h² < 0.1 ⇔ |h| > 0.949
SIGMOID_SLOPE = SATURATED_BELOW * MAX_SLOPE["sigmoid"]  # σ′ < 0.025
SIGMOID_BELOW = (1.0 - math.sqrt(1.0 - 4.0 * SIGMOID_SLOPE)) / 2.0  # h(1 − h) < 0.025 ⇔
SIGMOID_ABOVE = 1.0 - SIGMOID_BELOW  # h < 0.026 or h > 0.974

_T = f"{SATURATED_BELOW:g}"  # "0.1"
_GATE_RULE = f"slope &lt; {_T} × its maximum"


def fraction_title(cell: str, activation: str) -> str:
    """What the curve counts, as rich text."""
    if cell == "lstm":
        return f"share of i, f, g, o and tanh(c) with {_GATE_RULE}"
    if cell == "gru":
        return f"share of r, z and n with {_GATE_RULE}"
    return {
        "tanh": f"share of units with slope 1 − h² &lt; {_T} (|h| &gt; {TANH_ABOVE:.3f})",
        "sigmoid": (
            f"share of units with slope h(1 − h) &lt; {SIGMOID_SLOPE:g} "
            f"({_T} × its maximum {MAX_SLOPE['sigmoid']:g})"
        ),
        "relu": "share of dead units (a ≤ 0: slope 0)",
        "linear": "share of saturated units (none: the slope is always 1)",
    }[activation]


def slope_formula(cell: str, activation: str) -> str:
    """The heatmap's quantity, as rich text: the slope over its maximum."""
    if cell == "lstm":
        return "i, f, o: 4σ(1 − σ) &nbsp; g, tanh c: 1 − tanh²"
    if cell == "gru":
        return "r, z: 4σ(1 − σ) &nbsp; n: 1 − n²"
    return {
        "tanh": "1 − h<sub>t</sub>²",
        "sigmoid": "h<sub>t</sub>(1 − h<sub>t</sub>) / 0.25",
        "relu": "relu′(a<sub>t</sub>): 1 alive, 0 dead",
        "linear": "1",
    }[activation]


def caption_text(cell: str, activation: str) -> str:
    """What saturation means for the gradient, with the threshold it is counted at."""
    if cell == "lstm":
        return (
            f"<b>saturated = {_GATE_RULE}</b> (red): gates i, f, o near 0 or 1, g and "
            "tanh(c) near ±1. The cell state c<sub>t</sub> = f ⊙ c<sub>t−1</sub> + i ⊙ g "
            "passes through no nonlinearity: saturated gates do not by themselves stop the "
            "gradient along c (a forget gate near 1 carries it)."
        )
    if cell == "gru":
        return (
            f"<b>saturated = {_GATE_RULE}</b> (red): gates r, z near 0 or 1, n near ±1. "
            "In h<sub>t</sub> = (1 − z) ⊙ n + z ⊙ h<sub>t−1</sub> the z path skips the "
            "nonlinearity: saturated gates do not by themselves stop the gradient (z near 1 "
            "carries it)."
        )
    if activation == "linear":
        return "<b>a linear unit never saturates</b>: its slope is always 1"
    if activation == "relu":
        return (
            "<b>saturated = dead</b> (red): a ≤ 0, slope 0, so no gradient passes through "
            "that unit at that step. A live unit has slope 1 and never saturates."
        )
    if activation == "sigmoid":
        return (
            f"<b>saturated = slope h(1 − h) &lt; {SIGMOID_SLOPE:g}</b> (red; h &lt; "
            f"{SIGMOID_BELOW:.3f} or h &gt; {SIGMOID_ABOVE:.3f}). Even unsaturated, a sigmoid "
            f"unit passes at most {MAX_SLOPE['sigmoid']:g} of the gradient per step."
        )
    return (
        f"<b>saturated = slope 1 − h² &lt; {_T}</b> (red; |h| &gt; {TANH_ABOVE:.3f}). "
        "Backprop multiplies the gradient through a unit by its slope, so a saturated unit "
        f"passes less than {_T} of it at that step, even when σ<sub>max</sub> &gt; 1."
    )


def saturation_colormap(alert: str) -> pg.ColorMap:
    """viridis over the unsaturated slopes, the saturated band 0..0.1 in one alert colour:
    the cells the curve counts are the cells that stand out."""
    positions, stops = pg.colormap.get("viridis").getStops(mode="byte")  # (N,), (N, 4)
    band = np.array([pg.mkColor(alert).getRgb()] * 2)  # (2, 4)
    t = SATURATED_BELOW
    return pg.ColorMap(np.r_[0.0, t, t + (1.0 - t) * positions], np.vstack([band, stops]))


class SaturationView(QWidget):
    """Which units (and gates) sit where their slope is flat, where the gradient through them
    shrinks.

    Top: per fed step, the share of the heatmap's cells below the threshold (0..1 fixed).
    Bottom: ``lab.saturation().slope``, each nonlinearity's slope over its maximum, levels
    fixed at 0..1, the saturated band below 0.1 in the alert colour. Gated cells stack their
    gates in groups of H rows (LSTM i, f, g, o, tanh c; GRU r, z, n). Redrawn when the
    session's steps or settings change.

    Public, read-only for tests: ``fraction_curve`` (pg.PlotDataItem, x = steps 1..t, y =
    the share), ``image_item`` (pg.ImageItem, col-major: ``.image`` is the (T, K·H) array,
    step t the column at x = t, row j at y = j + 1 with row 1 on top; None when no step is
    fed), ``color_bar`` (pg.ColorBarItem), ``separators`` (pg.InfiniteLine between gate
    groups, hidden when unused), ``info`` (QLabel: the cell and σ_max), ``caption``
    (QLabel), ``badge`` (QLabel: "exploded at t = …"), ``hint``, ``fraction_plot`` and
    ``heatmap_plot`` (pg.PlotItem, x axes linked).
    """

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.layout_widget, self.fraction_plot, self.heatmap_plot = plot_style.stacked_plots(
            2, 3, (FRACTION_PX, HEATMAP_PX)
        )
        self._setup_plots()
        # Pens and brushes from the theme: _on_appearance_changed.
        self.fraction_curve = self.fraction_plot.plot(symbolPen=None, fillLevel=0.0)
        self.image_item = pg.ImageItem(axisOrder="col-major")
        self.heatmap_plot.addItem(self.image_item)
        self.separators = [pg.InfiniteLine(angle=0, movable=False) for _ in range(_MAX_GROUPS - 1)]
        for line in self.separators:
            self.heatmap_plot.addItem(line, ignoreBounds=True)
        self.color_bar = plot_style.ColorBar(
            _LEVELS, saturation_colormap(getattr(colors(), FRACTION_COLOR))
        )
        plot_style.style_color_bar(self.color_bar, "slope ÷ its maximum")
        self.color_bar.setImageItem(self.image_item, insert_in=self.heatmap_plot)
        # The same room on the right of the fraction plot keeps both plots' steps aligned.
        self._spacer = pg.GraphicsWidget()
        self.fraction_plot.layout.addItem(self._spacer, 2, 5)
        self.fraction_plot.layout.setColumnFixedWidth(4, 5)
        self.hint = plot_style.hint_item("")
        self.heatmap_plot.addItem(self.hint, ignoreBounds=True)

        self.title = widget_style.title_label("saturation: where the slope is flat")
        self.badge = widget_style.badge_label()
        self.info = widget_style.WrappingLabel()
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
        """The curve and the saturated band in the theme's alert colour; line widths, axes
        and the colour bar as wide as the type needs."""
        p = colors()
        color = getattr(p, FRACTION_COLOR)
        fill = pg.mkColor(color)
        fill.setAlpha(0x30)
        self.fraction_curve.setPen(sizes.pen(color, width=4))
        self.fraction_curve.setSymbolBrush(color)
        self.fraction_curve.setSymbolSize(sizes.line_width(8))
        self.fraction_curve.setFillBrush(fill)
        self.color_bar.setColorMap(saturation_colormap(color))
        for line in self.separators:
            line.setPen(sizes.pen(p.BACKGROUND, width=3))
        scale = appearance.scale
        for plot in (self.fraction_plot, self.heatmap_plot):
            plot.getAxis("left").setWidth(round(_AXIS_WIDTH * scale))
        for item in (self.color_bar, self._spacer):
            item.setFixedWidth(round(_BAR_WIDTH * scale))

    def _setup_plots(self) -> None:
        top, heat = self.fraction_plot, self.heatmap_plot
        plot_style.style_plot(top, "", "share saturated")
        plot_style.style_plot(heat, "step t", "hidden unit")
        heat.setXLink(top)
        heat.invertY(True)  # row 1 on top, like the rows of a matrix and the state heatmap
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
        sat = self.lab.saturation()
        rows = sat.slope.shape[1]  # K·H
        # The lab's time axis, the same in every tab: the steps its computations run on.
        N = max(self.lab.inputs()[0].shape[0], 1)
        self.fraction_plot.setRange(xRange=(0.5, N + 0.5), padding=0, disableAutoRange=True)
        self.heatmap_plot.setRange(yRange=(0.5, rows + 0.5), padding=0, disableAutoRange=True)
        self._set_row_ticks(sat.groups, H)
        plot_style.plot_title(self.fraction_plot, fraction_title(p.cell, p.activation))
        formula = slope_formula(p.cell, p.activation)
        plot_style.plot_title(self.heatmap_plot, f"slope ÷ its maximum: {formula}")
        kind = f"{p.cell} cell, {p.activation}" if p.cell == "vanilla" else f"{p.cell} cell"
        sigma = session.spectra.sigma_max
        self.info.setText(
            f"{kind} &nbsp;·&nbsp; red = saturated, the share the curve counts "
            f"&nbsp;·&nbsp; σ<sub>max</sub>(W<sub>hh</sub>) = {sigma:.3g}"
        )
        self.caption.setText(caption_text(p.cell, p.activation))
        T = sat.fraction.size
        self.hint.setText("" if T else FEED_HINT)
        self.hint.setVisible(not T)
        self.hint.setPos((N + 1) / 2, (rows + 1) / 2)
        if T == 0:
            self.fraction_curve.setData([], [])
            self.image_item.clear()
            widget_style.set_badge(self.badge, "")
            return
        steps = np.arange(1, T + 1)  # (T,) 1-based
        self.fraction_curve.setData(steps, sat.fraction)
        self.fraction_curve.setSymbol("o" if N <= _SYMBOLS_UP_TO else None)
        # ImageItem draws inf/NaN as a silently blank image: show them as 0 (with a badge).
        clean = np.nan_to_num(sat.slope, nan=0.0, posinf=0.0, neginf=0.0)  # (T, K·H)
        self.image_item.setImage(clean, levels=_LEVELS)
        self.image_item.setRect(QRectF(0.5, 0.5, T, rows))
        bad = session.trace.exploded_at
        widget_style.set_badge(self.badge, f"exploded at t = {bad}" if bad is not None else "")

    def _set_row_ticks(self, groups: tuple[str, ...], H: int) -> None:
        """Vanilla: integer unit numbers (no 2.5), about 16 labels at most. Gated cells: each
        gate's name at the middle of its H units, with a line between gates."""
        axis = self.heatmap_plot.getAxis("left")
        if len(groups) == 1:
            every = int(plot_style.nice_ceiling(H / 16)) if H > 16 else 1
            ticks = [(float(i), str(i)) for i in range(1, H + 1) if (i - 1) % every == 0]
        else:
            ticks = [(g * H + (H + 1) / 2, name) for g, name in enumerate(groups)]
        axis.setTicks([ticks])
        for g, line in enumerate(self.separators, start=1):
            line.setVisible(g < len(groups))
            line.setPos(g * H + 0.5)
