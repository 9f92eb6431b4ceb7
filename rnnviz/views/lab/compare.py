"""Vanilla, LSTM and GRU gradient curves overlaid, with the gates that explain them."""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QCloseEvent, QShowEvent
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from rnnviz.session import Change
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.session.lab import Comparison, Lab, LabChange
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, sizes, widget_style
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.worker import CANCELLED, Runner

# Keys of CompareView.curves.
VANILLA, LSTM, GRU = "vanilla", "lstm", "gru"
LSTM_C = "lstm c"  # ‖dL/dc_t‖, the LSTM's cell-state path
LSTM_F = "lstm f"  # mean forget gate per step
GRU_Z = "gru z"  # mean update gate per step

CELL_NAMES: dict[str, str] = {VANILLA: "vanilla RNN", LSTM: "LSTM", GRU: "GRU"}
COMPARE_HINT = "press Compare"
# The least data area of each plot: the norms' decades apart, the gates' 0, ½ and 1.
NORMS_PX, GATES_PX = 120, 60
_AXIS_WIDTH = 90  # both left axes alike, so the linked plots line up step for step
_PAD_DECADES = 0.4
_DEFAULT_DECADES = (-3.0, 1.0)


def _swatch(color: str, text: str, dashed: bool = False) -> str:
    return plot_style.legend_entry(color, "╸╸╸╸" if dashed else "━━━", text, bold=True)


def cell_colors() -> dict[str, str]:
    """Each cell's colour in the current theme: vanilla in ink, LSTM in the inputs' blue,
    GRU in orange (a deeper one on white in high contrast)."""
    p = colors()
    gru = "#a34f00" if p.LINE_BOOST > 1 else "#e07000"
    return {VANILLA: p.INK, LSTM: p.INPUT, GRU: gru}


def _legend() -> str:
    by_cell = cell_colors()
    return " &nbsp;&nbsp; ".join(
        [
            _swatch(by_cell[VANILLA], "vanilla RNN ‖∂L/∂h<sub>t</sub>‖"),
            _swatch(by_cell[LSTM], "LSTM ‖∂L/∂h<sub>t</sub>‖"),
            _swatch(by_cell[LSTM], "LSTM cell state ‖∂L/∂c<sub>t</sub>‖", dashed=True),
            _swatch(by_cell[GRU], "GRU ‖∂L/∂h<sub>t</sub>‖"),
        ]
    )


def _gate_caption() -> str:
    by_cell = cell_colors()
    return "<br>".join(
        [
            _swatch(
                by_cell[LSTM],
                "LSTM mean forget gate f: <b>f ≈ 1 keeps the cell-state path open</b>: "
                "the gradient through c is multiplied by f at each step",
            ),
            _swatch(
                by_cell[GRU],
                "GRU mean update gate z: <b>z ≈ 1 carries h forward</b>: the gradient is "
                "multiplied by z at each step",
            ),
        ]
    )


class CompareView(QWidget):
    """Vanilla RNN, LSTM and GRU on the same inputs: who keeps the gradient alive, and why.

    Shows ``lab.comparison``, computed in a worker thread (``runner``: three forward and
    backward passes, seconds at 5000 steps of 256 units) by the Compare button, and
    automatically after the session changes while this view is visible; ``progress``
    counts the cells done and ``cancel_button`` stops it (the previous result stays).

    Public, read-only for the main window and tests:
    ``curves``: dict of pg.PlotDataItem keyed ``VANILLA``, ``LSTM``, ``GRU`` (‖dL/dh_t‖ of
    each cell), ``LSTM_C`` (the LSTM's ‖dL/dc_t‖), all on a log y axis over the valid steps
    only, clamped to ≥ LOG_FLOOR (``getOriginalDataset()`` gives the values, ``getData()``
    their log10); ``LSTM_F`` and ``GRU_Z`` (mean forget / update gate per step, linear 0..1).
    ``compare_button`` (QPushButton), ``info`` (QLabel: steps, hidden size, seed, ρ, loss),
    ``badge`` (QLabel: which cells overflowed), ``hint`` (pg.TextItem when nothing is shown),
    ``norm_plot`` and ``gate_plot`` (pg.PlotItem, x axes linked).
    """

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.compare_button = QPushButton("Compare")
        widget_style.set_font(self.compare_button, sizes.BADGE_PT, bold=True)
        self.compare_button.setToolTip("run vanilla RNN, LSTM and GRU on the current inputs")
        self.compare_button.clicked.connect(self.compare)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m cells")
        self.progress.setRange(0, 3)
        self.progress.setValue(0)
        self.progress.setMinimumWidth(
            self.progress.fontMetrics().horizontalAdvance("3 / 3 cells") * 2
        )

        self.layout_widget, self.norm_plot, self.gate_plot = plot_style.stacked_plots(
            3, 2, (NORMS_PX, GATES_PX)
        )
        self._setup_plots()
        self.curves = self._make_curves()
        self.hint = plot_style.hint_item("")
        self.norm_plot.addItem(self.hint, ignoreBounds=True)

        self.title = widget_style.title_label("vanilla RNN vs LSTM vs GRU: same inputs, same seed")
        self.badge = widget_style.badge_label()
        self.info = widget_style.WrappingLabel()
        self.legend = widget_style.WrappingLabel()
        self.caption = QLabel()
        for label in (self.info, self.legend, self.caption):
            widget_style.set_font(label)
            widget_style.set_text_color(label, "INK")
        self.caption.setWordWrap(True)
        self.runner = Runner(self)
        self._again = False  # compare again once the cancelled run has stopped
        self.cancel_button.clicked.connect(self._cancel)
        self.runner.progressed.connect(self._on_progress)
        self.runner.returned.connect(self.lab.set_comparison)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(widget_style.title_row(self.title, self.badge, self.compare_button))
        layout.addWidget(self.legend)
        layout.addWidget(self.layout_widget, 1)
        layout.addWidget(self.caption)
        # What was run, and its progress, below the curves: on a short page (a lesson's
        # caption above it on a 1024×768 projector) the curves come first.
        running = QHBoxLayout()
        running.addWidget(self.info, 1)
        running.addWidget(self.cancel_button)
        running.addWidget(self.progress)
        layout.addLayout(running)

        # One recomputation per burst of session changes (a lesson slide runs several
        # verbs): the timer fires once the burst is over.
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(0)
        self._refresh.timeout.connect(self.compare)
        listen(lab.session.changed, self._on_session_changed)
        listen(lab.changed, self._on_lab_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_appearance_changed()
        self._on_comparison_changed()

    # ---- comparing, in the worker ----------------------------------------------------
    def compare(self) -> None:
        """Compare the three cells on the session's network and inputs, in the worker; a
        run already going is cancelled and this one starts when it has stopped."""
        if self.runner.running:
            self._again = True
            self.runner.cancel()
            return
        self._again = False
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        self.runner.start(self.lab.compare_steps())

    def _cancel(self) -> None:
        self._again = False
        self.runner.cancel()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_failed(self, message: str) -> None:
        self.info.setText(html.escape(message))  # the info line is rich text; this is not

    def _on_finished(self, outcome: str) -> None:
        self.cancel_button.setEnabled(False)
        self.progress.setValue(0 if outcome == CANCELLED else self.progress.maximum())
        if self._again:
            self.compare()

    # ---- when to compare -----------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.lab.comparison is None and not self.runner.running:
            self._refresh.start()

    def _on_session_changed(self, changes: Change) -> None:
        # A run on the old network or inputs would not describe the new ones. Only a
        # visible view recomputes; a hidden one catches up in showEvent.
        if not changes & Change.DATA:
            return
        if self.isVisible():
            self._refresh.start()
        elif self.runner.running:
            self._cancel()

    def _on_appearance_changed(self) -> None:
        """Curves, legend and caption in the theme's colours and line widths."""
        by_cell = cell_colors()
        blue, orange = by_cell[LSTM], by_cell[GRU]
        pens = {
            LSTM_C: sizes.pen(blue, width=3, dashed=True),
            VANILLA: sizes.pen(by_cell[VANILLA], width=4),
            GRU: sizes.pen(orange, width=4),
            LSTM: sizes.pen(blue, width=4),
            LSTM_F: sizes.pen(blue, width=4),
            GRU_Z: sizes.pen(orange, width=4),
        }
        for key, pen in pens.items():
            self.curves[key].setPen(pen)
        self.legend.setText(_legend())
        self.caption.setText(_gate_caption())
        for plot in (self.norm_plot, self.gate_plot):
            plot.getAxis("left").setWidth(round(_AXIS_WIDTH * appearance.scale))

    def _on_lab_changed(self, changes: LabChange) -> None:
        if changes & LabChange.COMPARISON:
            self._on_comparison_changed()

    def _on_comparison_changed(self) -> None:
        comparison = self.lab.comparison
        if comparison is not None:
            self._draw(comparison)
        elif self.isVisible():
            self._refresh.start()  # stale: a fresh one follows at once, keep the old till then
        else:
            self._clear()

    # ---- drawing -------------------------------------------------------------------
    def _setup_plots(self) -> None:
        norms, gates = self.norm_plot, self.gate_plot
        plot_style.style_plot(norms, "", "‖∂L/∂h<sub>t</sub>‖  (log)")
        plot_style.style_plot(gates, "step t", "mean gate")
        plot_style.plot_title(norms, "gradient size per step")
        plot_style.plot_title(gates, "what the gates do, step by step")
        norms.setLogMode(y=True)
        norms.getAxis("left").enableAutoSIPrefix(False)
        gates.setXLink(norms)
        for plot in (norms, gates):
            plot.setMouseEnabled(x=False, y=False)
            plot.disableAutoRange()
            plot.showGrid(y=True, alpha=0.3)
        # A little room beyond 0 and 1 keeps their tick labels from being cut off.
        gates.setRange(yRange=(-0.08, 1.08), padding=0, disableAutoRange=True)
        gates.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])

    def _make_curves(self) -> dict[str, pg.PlotDataItem]:
        """The curves, in drawing order (pens from the theme: _on_appearance_changed)."""
        norms, gates = self.norm_plot, self.gate_plot
        return {
            LSTM_C: norms.plot(),
            VANILLA: norms.plot(),
            GRU: norms.plot(),
            LSTM: norms.plot(),
            LSTM_F: gates.plot(),
            GRU_Z: gates.plot(),
        }

    def _clear(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])
        self._set_range(max(self.lab.session.sequence.shape[0], 1), _DEFAULT_DECADES)
        self.info.setText(self._info_text(None))
        widget_style.set_badge(self.badge, "")
        self._set_hint(COMPARE_HINT)

    def _draw(self, comparison: Comparison) -> None:
        T = comparison.steps
        steps = np.arange(1, T + 1)  # (T,) 1-based
        shown: list[np.ndarray] = []
        overflowed: list[str] = []
        for cell in (VANILLA, LSTM, GRU):
            c = comparison.curves[cell]
            paths = [(cell, c.dL_dh_norm)]
            if c.dL_dc_norm is not None:
                paths.append((LSTM_C, c.dL_dc_norm))
            for key, norm in paths:
                keep = c.valid & np.isfinite(norm)  # (T,)
                values = np.maximum(norm[keep], LOG_FLOOR)  # zeros break a log axis
                self.curves[key].setData(steps[keep], values)
                shown.append(values)
            if not c.valid.all():
                overflowed.append(CELL_NAMES[cell])
        for key, cell in ((LSTM_F, LSTM), (GRU_Z, GRU)):
            gate = comparison.curves[cell].gate_mean  # (T,)
            keep = np.isfinite(gate)  # (T,) an overflowed trace has NaN gates
            self.curves[key].setData(steps[keep], gate[keep])
        self._set_range(T, _decades(np.concatenate(shown)))
        self.info.setText(self._info_text(comparison))
        text = f"overflow: {', '.join(overflowed)} (those steps not drawn)" if overflowed else ""
        widget_style.set_badge(self.badge, text)
        self._set_hint("" if any(v.size for v in shown) else "no finite gradient")

    def _set_range(self, T: int, decades: tuple[float, float]) -> None:
        self.norm_plot.setRange(
            xRange=(0.5, T + 0.5), yRange=decades, padding=0, disableAutoRange=True
        )
        self.norm_plot.getAxis("left").setTicks(plot_style.log_ticks(*decades))

    def _set_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))
        (x0, x1), (y0, y1) = self.norm_plot.getViewBox().viewRange()
        self.hint.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    def _info_text(self, comparison: Comparison | None) -> str:
        s = self.lab.session
        c = s.config
        where = "at the last step" if c.loss_at == "last" else "at every step"
        parts = [
            f"H = {c.hidden_size}",
            f"seed {c.seed}",
            f"{c.init} weights, ρ(W<sub>hh</sub>) = {c.spectral_radius:g}",
            f"loss {where}",
        ]
        if comparison is not None:
            parts.insert(0, f"{comparison.steps} steps")
        return " &nbsp;·&nbsp; ".join(parts)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.stop()
        super().closeEvent(event)


def _decades(values: np.ndarray) -> tuple[float, float]:
    """log10 range of the shown norms, padded; at least one decade tall."""
    if values.size == 0:
        return _DEFAULT_DECADES
    low, high = math.log10(values.min()), math.log10(values.max())
    if high - low < 1.0:
        low, high = (low + high) / 2 - 0.5, (low + high) / 2 + 0.5
    return (low - _PAD_DECADES, high + _PAD_DECADES)
