"""The spectral-radius sweep: log ‖dL/dh_t‖ over (ρ, t) — the phase diagram of vanishing
(ρ < 1) and exploding (ρ > 1) gradients."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QCloseEvent
from PyQt6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rnnviz.session import Change
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.session.lab import Lab, LabChange, SweepResult
from rnnviz.views.binding import listen
from rnnviz.views.lab.form_widgets import RunProgress
from rnnviz.views.look import plot_style, sizes, widget_style
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.flow import FlowLayout
from rnnviz.views.look.math_text import math_html
from rnnviz.views.look.plain_text import plain_label
from rnnviz.views.worker import CANCELLED, Runner

# A vanished gradient is floored at LOG_FLOOR; counting it in the colour range would
# squeeze every other colour together, so the range starts above it (it shows as the bottom).
FLOOR_DECADE = math.log10(LOG_FLOOR)
OVERFLOW_RGBA = (198, 40, 40, 255)  # colors().ALERT: cells whose computation overflowed
# The ρ = 1 line lies on the map's colours, not on the paper: black on a white halo in every
# theme, so it shows on viridis's dark and light ends alike.
RHO_LINE, RHO_HALO = "#1a1a1a", "#ffffff"
# The session's own ρ: solid, in a colour viridis never uses, on the same white halo.
NOW_LINE = "#d81b60"
RUN_HINT = "press Run to sweep ρ"
QUANTITY_TEXT = (
    "colour: log₁₀ ‖∂L/∂h<sub>t</sub>‖₂, the whole gradient reaching step t, not "
    "normalised; the colour bar spans the whole decades of this sweep's values"
)


class SweepView(QWidget):
    """For each ρ in a range, ‖dL/dh_t‖ of every step, as a heatmap with ρ = 1 and the
    session's own ρ marked.

    The session's W_hh is rescaled to each ρ; cell, activation and inputs stay (``note``
    says which). The sweep runs in a worker thread (``runner``) with a progress bar;
    Cancel keeps the previous result.

    Public, for the main window and tests: ``image_item`` (pg.ImageItem, row-major: its
    ``.image`` is the (R, T) log₁₀ ‖dL/dh_t‖ of ``lab.sweep``, NaN where the computation
    overflowed, None before a sweep), ``overflow_item`` (RGBA image, red on those cells),
    ``color_bar``, ``rho_line`` (at ρ = 1), ``now_line`` (at the session's ρ, which it
    names), ``plot``, ``quantity`` (what the colours are), ``note``, ``message`` (errors and
    "cancelled"), ``rho_from``, ``rho_to``, ``rho_count``, ``run_button``,
    ``cancel_button``, ``progress``, ``runner``; ``levels()`` the colour bar's range.
    """

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        widget_style.set_font(self)
        self.runner = Runner(self)

        self.rho_from = _rho_box(0.5)
        self.rho_to = _rho_box(1.5)
        self.rho_count = QSpinBox()
        self.rho_count.setRange(2, 1001)
        self.rho_count.setValue(41)
        self.rho_count.setToolTip("how many values of ρ, evenly spaced from … to …")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip(math_html("compute ‖∂L/∂h_t‖ for every ρ (in the background)"))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = RunProgress("%v / %m values of ρ")
        # a failure's message may quote anything
        self.message = plain_label(widget_style.WrappingLabel())
        self.quantity = QLabel(QUANTITY_TEXT)
        self.note = QLabel()
        for label in (self.quantity, self.note):
            label.setWordWrap(True)
        for label, color in ((self.message, "ALERT"), (self.quantity, "INK"), (self.note, "MUTED")):
            widget_style.set_font(label)
            widget_style.set_text_color(label, color)

        self.plot = pg.PlotWidget(
            background=colors().BACKGROUND, enableMenu=False, axisItems=plot_style.plot_axes()
        )
        item = self.plot.getPlotItem()
        plot_style.style_plot(item, "step t", "spectral radius ρ")
        item.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()
        item.setContentsMargins(0, 12, 0, 0)  # room for the colour bar's top number
        self.image_item = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.image_item)
        self.overflow_item = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.overflow_item)
        self.color_bar = plot_style.ColorBar((-6.0, 0.0), pg.colormap.get("viridis"))
        plot_style.style_color_bar(self.color_bar, math_html("log₁₀ ‖∂L/∂h_t‖₂"))
        self.color_bar.setImageItem(self.image_item, insert_in=item)
        # A white halo under a black dashed line: visible on dark and on light colours.
        self._halo = pg.InfiniteLine(pos=1.0, angle=0, movable=False)
        item.addItem(self._halo, ignoreBounds=True)
        self.rho_line = pg.InfiniteLine(
            pos=1.0,
            angle=0,
            movable=False,
            label="ρ = 1",
            labelOpts={
                "position": 0.06,
                "color": RHO_LINE,
                "fill": (255, 255, 255, 230),
                "anchors": [(0, 0.5), (0, 0.5)],
            },
        )
        item.addItem(self.rho_line, ignoreBounds=True)
        self._now_halo = pg.InfiniteLine(angle=0, movable=False)
        item.addItem(self._now_halo, ignoreBounds=True)
        self.now_line = pg.InfiniteLine(
            angle=0,
            movable=False,
            label="this network: ρ = {value:.3g}",
            labelOpts={
                "position": 0.94,
                "color": NOW_LINE,
                "fill": (255, 255, 255, 230),
                "anchors": [(1, 0.5), (1, 0.5)],
            },
        )
        item.addItem(self.now_line, ignoreBounds=True)
        self.hint = plot_style.hint_item(RUN_HINT)
        item.addItem(self.hint, ignoreBounds=True)

        self._layout()
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.runner.progressed.connect(self._on_progress)
        self.runner.returned.connect(self._on_returned)
        self.runner.failed.connect(self.message.setText)
        self.runner.finished.connect(self._on_finished)
        listen(lab.changed, self._on_lab_changed)
        listen(lab.session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_appearance_changed()
        self._mark_the_sessions_rho()
        self._on_sweep_changed()

    def _on_appearance_changed(self) -> None:
        """The ρ = 1 and the session's ρ lines and their labels at the type and line scale."""
        for halo in (self._halo, self._now_halo):
            halo.setPen(pg.mkPen(RHO_HALO, width=sizes.line_width(7)))
        dashed = Qt.PenStyle.DashLine
        self.rho_line.setPen(pg.mkPen(RHO_LINE, width=sizes.line_width(3), style=dashed))
        self.now_line.setPen(pg.mkPen(NOW_LINE, width=sizes.line_width(3)))
        for line in (self.rho_line, self.now_line):
            line.label.setFont(sizes.font(sizes.LABEL_PT, bold=True))

    def _layout(self) -> None:
        # A flow, not a row: a narrow window puts the buttons and progress on a line of
        # their own instead of growing wider than the screen.
        controls = FlowLayout(spacing=6)
        for text, box in (
            ("ρ from", self.rho_from),
            ("to", self.rho_to),
            ("values", self.rho_count),
        ):
            controls.addWidget(_pair(QLabel(text), box))
        controls.addWidget(self.run_button)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.progress)
        header = QHBoxLayout()
        header.addWidget(widget_style.title_label("phase diagram: gradient size over (ρ, t)"))
        header.addStretch(1)
        header.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addLayout(controls)
        layout.addWidget(self.quantity)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)

    # ---- verbs -----------------------------------------------------------------------
    def run(self) -> None:
        """Start the sweep over the range in the boxes (a message instead when it is bad)."""
        if self.runner.running:
            return
        try:
            steps = self.lab.sweep_steps(
                self.rho_from.value(), self.rho_to.value(), self.rho_count.value()
            )
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("")
        self.progress.setRange(0, self.rho_count.value())
        self.progress.setValue(0)
        self._set_running(True)
        self.runner.start(steps)

    def levels(self) -> tuple[float, float]:
        low, high = self.color_bar.levels()
        return float(low), float(high)

    # ---- from the worker -----------------------------------------------------------
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_returned(self, result: SweepResult) -> None:
        self.lab.set_sweep(result)

    def _on_finished(self, outcome: str) -> None:
        self._set_running(False)
        if outcome == CANCELLED:
            self.progress.setValue(0)
            if not self.message.text():
                self.message.setText("cancelled: the previous result stays")

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for box in (self.rho_from, self.rho_to, self.rho_count):
            box.setEnabled(not running)

    # ---- from the lab and the session ----------------------------------------------
    def _on_session_changed(self, changes: Change) -> None:
        """A sweep of the old network or inputs would not describe the new ones: stop it.
        The mark follows the network's ρ."""
        if changes & Change.CONFIG:  # settings and weights: where ρ lives
            self._mark_the_sessions_rho()
        if changes & Change.DATA and self.runner.running:
            self.message.setText("the network or inputs changed: run the sweep again")
            self.runner.cancel()

    def _mark_the_sessions_rho(self) -> None:
        """Where the session's network sits on the diagram (its W_hh's ρ; for gated cells
        the largest over the gate blocks, as the ρ setting shows)."""
        rho = self.lab.session.spectra.rho
        for line in (self._now_halo, self.now_line):
            line.setPos(rho)

    def _on_lab_changed(self, changes: LabChange) -> None:
        if changes & LabChange.SWEEP:
            self._on_sweep_changed()

    def _on_sweep_changed(self) -> None:
        result = self.lab.sweep
        if result is None:
            self.image_item.clear()
            self.overflow_item.clear()
            self.note.setText("")
            # The empty plot already spans what a Run would fill: t = 1..T, ρ from..to.
            T = self.lab.inputs()[0].shape[0]
            low, high = self.rho_from.value(), self.rho_to.value()
            self.hint.setVisible(True)
            self.hint.setPos((T + 1) / 2, (low + high) / 2)
            pad = 0.02 * (high - low)  # ρ's ends not on the frame; the steps as in every tab
            self.plot.getPlotItem().setRange(
                xRange=(0.5, T + 0.5),
                yRange=(low - pad, high + pad),
                padding=0,
                disableAutoRange=True,
            )
            self.progress.idle()
            return
        self.hint.setVisible(False)
        self.note.setText(self._note_text(result))
        self._show(result)

    def _show(self, result: SweepResult) -> None:
        R, T = result.log10_norm.shape
        shown = np.where(result.valid, result.log10_norm, np.nan)  # (R, T)
        levels = plot_style.decade_levels(result.log10_norm[result.valid], FLOOR_DECADE)
        self.color_bar.setLevels(levels)
        # NaN cells are left transparent by ImageItem; the red overflow image covers them.
        self.image_item.setImage(shown, levels=levels)
        overflow = np.zeros((R, T, 4), dtype=np.uint8)  # (R, T, RGBA)
        overflow[~result.valid] = OVERFLOW_RGBA
        self.overflow_item.setImage(overflow, levels=(0, 255))
        step = (result.rhos[-1] - result.rhos[0]) / (R - 1)
        rect = QRectF(0.5, result.rhos[0] - step / 2, T, R * step)
        self.image_item.setRect(rect)
        self.overflow_item.setRect(rect)
        self.plot.getPlotItem().setRange(
            xRange=(rect.left(), rect.right()),
            yRange=(rect.top(), rect.bottom()),
            padding=0,
            disableAutoRange=True,
        )

    def _note_text(self, result: SweepResult) -> str:
        s = self.lab.session
        c = s.config
        T = result.log10_norm.shape[1]
        inputs = f"the {T} fed steps" if s.t >= 2 else f"the whole sequence ({T} steps)"
        loss = "loss at every step" if c.loss_at == "all" else "loss at the last step"
        parts = [f"{c.cell} cell", c.activation, f"H = {c.hidden_size}", inputs, loss]
        if c.truncate is not None:
            parts.append(f"truncated to {c.truncate} steps")
        if not result.valid.all():
            parts.append("red: overflowed")
        return "computed for: " + " · ".join(parts)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.stop()
        super().closeEvent(event)


def _rho_box(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, 10.0)
    box.setDecimals(2)
    box.setSingleStep(0.05)
    box.setValue(value)
    return box


def _pair(label: QLabel, box: QWidget) -> QWidget:
    """A label and its box, kept on one line of a flow."""
    pair = QWidget()
    row = QHBoxLayout(pair)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(label)
    row.addWidget(box)
    return pair
