"""The training curves: loss and gradient norm per epoch, on log axes."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.session.lab import TrainingHistory
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, sizes, widget_style
from rnnviz.views.look.appearance import appearance, colors

# The curves' colours: names of the theme's colours.
LOSS = "INK"
BASELINE = "MUTED"
BEFORE = "GRADIENT"  # gradient norm before clipping
AFTER = "OUTPUT"  # … and after
THETA = "TARGET"  # the clipping threshold
START_HINT = "choose a task and press Start"
_PAD_DECADES = 0.3


class TrainingPlots(QWidget):
    """Loss per epoch against the task's baseline, and the gradient norm per epoch before
    and after clipping against the threshold; each with a legend above it.

    Passive: ``show_history(history, epochs, clip)`` draws a run. Public: ``loss_plot``,
    ``norm_plot``, ``loss_legend``, ``norm_legend``; curves (pg.PlotDataItem, log y;
    ``getOriginalDataset()`` gives the values): ``loss_curve``, ``baseline_curve``
    (task.baseline), ``before_curve`` and ``after_curve`` (mean gradient norm per epoch
    before and after clipping), ``theta_curve`` (the clipping threshold); ``hint`` (shown
    until there is a run).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ranges: dict[int, tuple[int, int, int]] = {}  # plot → (epochs, low, high)
        # Colours and pens from the theme: _on_appearance_changed.
        self.loss_plot, self.loss_legend = _log_plot("loss  (log scale)")
        self.loss_curve = self.loss_plot.plot(symbolPen=None)
        self.baseline_curve = self.loss_plot.plot()
        self.norm_plot, self.norm_legend = _log_plot("‖∇L‖  (log scale)")
        self.theta_curve = self.norm_plot.plot()
        self.before_curve = self.norm_plot.plot()
        self.after_curve = self.norm_plot.plot()
        self.hint = plot_style.hint_item(START_HINT)
        self.loss_plot.getPlotItem().addItem(self.hint, ignoreBounds=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for legend, plot in (
            (self.loss_legend, self.loss_plot),
            (self.norm_legend, self.norm_plot),
        ):
            layout.addWidget(legend)
            layout.addWidget(plot, 1)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_appearance_changed()

    def _on_appearance_changed(self) -> None:
        """Curves and their legends in the theme's colours and line widths."""
        palette = colors()
        c = {name: getattr(palette, name) for name in (LOSS, BASELINE, BEFORE, AFTER, THETA)}
        entry = plot_style.legend_entry
        self.loss_legend.setText(
            " &nbsp;&nbsp; ".join(
                [
                    "<b>loss per epoch</b>",
                    entry(c[LOSS], "━━", "loss"),
                    entry(c[BASELINE], "╸╸╸", "baseline (best constant guess)"),
                ]
            )
        )
        self.norm_legend.setText(
            " &nbsp;&nbsp; ".join(
                [
                    "<b>gradient norm per epoch</b>",
                    entry(c[BEFORE], "━━", "before clipping"),
                    entry(c[AFTER], "╸╸╸", "after"),
                    entry(c[THETA], "┈┈┈", "threshold θ"),
                ]
            )
        )
        self.loss_curve.setPen(sizes.pen(c[LOSS]))
        self.loss_curve.setSymbolBrush(c[LOSS])
        self.loss_curve.setSymbolSize(sizes.line_width(6))
        self.baseline_curve.setPen(sizes.pen(c[BASELINE], dashed=True))
        self.theta_curve.setPen(sizes.pen(c[THETA], width=2, dashed=True))
        self.before_curve.setPen(sizes.pen(c[BEFORE], width=4))
        self.after_curve.setPen(sizes.pen(c[AFTER], dashed=True))
        for plot in (self.loss_plot, self.norm_plot):
            # Room for "0.005" and the axis name side by side.
            plot.getPlotItem().getAxis("left").setWidth(round(90 * appearance.scale))

    def show_history(self, h: TrainingHistory | None, epochs: int, clip: float | None) -> None:
        """Draw ``h`` over ``epochs`` epochs (or as many as it holds, when more), with the
        threshold line at ``clip`` (None: no clipping). No history: empty axes and the hint.
        """
        losses = np.asarray(h.losses if h is not None else (), dtype=float)  # (E,)
        x = np.arange(1, losses.size + 1)  # (E,)
        n = max(epochs, losses.size, 1)
        self.hint.setVisible(h is None)
        if h is None:
            curves = (self.loss_curve, self.baseline_curve, self.before_curve, self.after_curve)
            for curve in (*curves, self.theta_curve):
                curve.setData([], [])
            self._fit(self.loss_plot, n, np.zeros(0))
            self._fit(self.norm_plot, n, np.zeros(0))
            self.hint.setPos((n + 1) / 2, -1.0)  # the middle of the empty log range
            return
        before = np.asarray(h.norm_before, dtype=float)  # (E,)
        after = np.asarray(h.norm_after, dtype=float)  # (E,)
        self.loss_curve.setData(x, _loggable(losses))
        self.loss_curve.setSymbol("o" if losses.size <= 60 else None)
        ends = np.array([0.5, n + 0.5])
        self.baseline_curve.setData(ends, np.full(2, h.task.baseline))
        self.before_curve.setData(x, _loggable(before))
        self.after_curve.setData(x, _loggable(after))
        if clip is None:
            self.theta_curve.setData([], [])
        else:
            self.theta_curve.setData(ends, np.full(2, clip))
        extra = [] if clip is None else [clip]
        self._fit(self.loss_plot, n, np.concatenate([losses, [h.task.baseline]]))
        self._fit(self.norm_plot, n, np.concatenate([before, after, extra]))

    def _fit(self, plot: pg.PlotWidget, epochs: int, values: np.ndarray) -> None:
        """x over the planned epochs; y over whole decades of the values, padded.

        Rounded to decades, the range changes only now and then as epochs come in: no
        auto-range jitter while the curve grows, and no relayout of the axes per epoch.
        """
        shown = np.log10(_loggable(values[np.isfinite(values)])) if values.size else values
        low = math.floor(float(shown.min())) if shown.size else -2
        high = max(math.ceil(float(shown.max())) if shown.size else 0, low + 1)
        if self._ranges.get(id(plot)) == (epochs, low, high):
            return
        self._ranges[id(plot)] = (epochs, low, high)
        item = plot.getPlotItem()
        y0, y1 = low - _PAD_DECADES, high + _PAD_DECADES
        item.setRange(xRange=(0.5, epochs + 0.5), yRange=(y0, y1), padding=0)
        item.getAxis("left").setTicks(plot_style.log_ticks(y0, y1))


def _log_plot(axis_label: str) -> tuple[pg.PlotWidget, QLabel]:
    plot = pg.PlotWidget(
        background=colors().BACKGROUND, enableMenu=False, axisItems=plot_style.plot_axes()
    )
    item = plot.getPlotItem()
    plot_style.style_plot(item, "epoch", axis_label)
    item.setLogMode(y=True)
    item.setMouseEnabled(x=False, y=False)
    item.disableAutoRange()
    item.showGrid(y=True, alpha=0.3)
    item.getAxis("left").enableAutoSIPrefix(False)
    label = QLabel()  # the legend
    label.setWordWrap(True)
    widget_style.set_font(label)
    widget_style.set_text_color(label, "INK")
    return plot, label


def _loggable(values: np.ndarray) -> np.ndarray:
    """Finite values ≥ LOG_FLOOR: zeros, inf and NaN break a log axis."""
    return np.clip(np.nan_to_num(values, nan=1e300, posinf=1e300), LOG_FLOOR, 1e300)
