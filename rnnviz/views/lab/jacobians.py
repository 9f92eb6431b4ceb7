"""Singular values of ∂h_t/∂h_k and the T × T map of their norms (LSTM: of ∂h_t/∂(h_k, c_k),
the whole state at k, like the regime badge)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QCloseEvent, QShowEvent
from PyQt6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rnnviz.session import Change, InputError
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.session.lab import Lab, LabChange
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, sizes, widget_style
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.blocking import signals_blocked
from rnnviz.views.look.math_text import math_html
from rnnviz.views.look.plain_text import plain_label
from rnnviz.views.worker import CANCELLED, Runner

FLOOR_DECADE = math.log10(LOG_FLOOR)
STRETCH = "ALERT"  # the theme's red: σ > 1, this direction grows going from step k to t
SHRINK = "INPUT"  # the theme's blue: σ < 1, it shrinks
OVERFLOW_RGBA = (40, 40, 40, 255)  # map cells whose product overflowed
FEED_HINT = "feed some steps first"
MAP_HINT = "press “Compute T × T map”"


class JacobianView(QWidget):
    """How much step k's state still moves step t's: the singular values of ∂h_t/∂h_k
    for one pair, and ‖∂h_t/∂h_k‖₂ for every pair k ≤ t as a map. For the LSTM both are of
    ∂h_t/∂(h_k, c_k): the state at k is h and c, and the cell-state path is the LSTM's
    memory (the regime badge measures the same); every label says which is shown.

    The bars start at σ = 1 and go up (red) for directions that grow from k to t, down
    (blue) for those that shrink; they follow the spin boxes and the session's steps. The
    map is computed in a worker thread, its rows drawn block by block as they are done;
    clicking one of its cells picks that (k, t).

    Public, for the main window and tests: ``k_box``, ``t_box`` (QSpinBox, 1 ≤ k ≤ t ≤
    session.t), ``bars`` (pg.BarGraphItem; ``opts["height"]`` is log₁₀ σ_i, largest first,
    floored at LOG_FLOOR), ``sv_label`` (the largest and smallest σ), ``bar_plot``,
    ``map_plot``, ``image_item`` (row-major (T, T): log₁₀ ‖∂h_t/∂h_k‖₂ at [t−1, k−1] for
    k ≤ t, NaN above the diagonal, in rows not computed yet and where the product
    overflowed; None before a map), ``overflow_item`` (dark where the product overflowed),
    ``map_note`` (how the norms were computed, the rows done while it runs, overflow),
    ``color_bar``, ``pair_marker`` (the chosen cell on the map), ``compute_button``,
    ``cancel_button``, ``progress``, ``message``, ``runner``, ``bar_title``, ``map_title``
    and ``mapped`` (QLabels naming the Jacobian shown); ``set_pair(k, t)``.
    """

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        widget_style.set_font(self)
        self.runner = Runner(self)
        self._dirty = True  # the bars wait for the view to be shown

        self.k_box, self.t_box = QSpinBox(), QSpinBox()
        for box in (self.k_box, self.t_box):
            box.setMinimumWidth(80)
        self.k_box.setToolTip("from step k (the earlier state)")
        self.t_box.setToolTip("to step t (the later state)")
        self.sv_label = QLabel()
        widget_style.set_font(self.sv_label, sizes.BADGE_PT)
        self.sv_label.setWordWrap(True)
        widget_style.set_text_color(self.sv_label, "INK")
        self.bar_caption = QLabel()
        widget_style.set_font(self.bar_caption)
        self.bar_caption.setWordWrap(True)
        self.compute_button = QPushButton("Compute T × T map")
        self.bar_title, self.map_title = widget_style.title_label(""), widget_style.title_label("")
        self.mapped = QLabel()
        widget_style.set_font(self.mapped)
        self.mapped.setWordWrap(True)
        widget_style.set_text_color(self.mapped, "INK")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m pairs")
        self.progress.setValue(0)
        self.message = plain_label(QLabel())  # a failure's message may quote anything
        widget_style.set_font(self.message)
        widget_style.set_text_color(self.message, "ALERT")
        self.map_note = QLabel()
        widget_style.set_font(self.map_note)
        self.map_note.setWordWrap(True)
        self.message.setWordWrap(True)

        self._build_bar_plot()
        self._build_map_plot()
        self._layout()

        self.k_box.valueChanged.connect(self._on_k_changed)
        self.t_box.valueChanged.connect(self._on_t_changed)
        self.compute_button.clicked.connect(self.compute_map)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.runner.progressed.connect(self._on_progress)
        self.runner.yielded.connect(self.lab.set_jacobian_map)  # the rows done so far
        self.runner.returned.connect(self.lab.set_jacobian_map)
        self.runner.failed.connect(self.message.setText)
        self.runner.finished.connect(self._on_finished)
        self.map_plot.scene().sigMouseClicked.connect(self._on_map_click)
        listen(lab.session.changed, self._on_session_changed)
        listen(lab.changed, self._on_lab_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_appearance_changed()
        self._name_the_jacobian()
        self._sync_boxes(follow_newest=True)
        self._on_map_changed()

    # ---- construction ----------------------------------------------------------------
    def _build_bar_plot(self) -> None:
        self._bar_steps = 1  # the directions the bars' axis labels (_tick_steps)
        self.bar_plot = pg.PlotWidget(
            background=colors().BACKGROUND, enableMenu=False, axisItems=plot_style.plot_axes()
        )
        item = self.bar_plot.getPlotItem()
        plot_style.style_plot(item, "direction i", math_html("σ_i  (log scale)"))
        item.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()
        item.getAxis("left").enableAutoSIPrefix(False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, pen=None)
        item.addItem(self.bars)
        self._unit_line = pg.InfiniteLine(pos=0.0, angle=0, movable=False)  # σ = 1
        item.addItem(self._unit_line, ignoreBounds=True)
        self.bar_hint = plot_style.hint_item("")
        item.addItem(self.bar_hint, ignoreBounds=True)
        item.getViewBox().sigResized.connect(self._tick_steps)

    def _build_map_plot(self) -> None:
        self._map_steps = 1  # the steps the map's axes label (_tick_steps)
        self.map_plot = pg.PlotWidget(
            background=colors().BACKGROUND, enableMenu=False, axisItems=plot_style.plot_axes()
        )
        item = self.map_plot.getPlotItem()
        plot_style.style_plot(item, "from step k", "to step t")
        item.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()
        item.invertY(True)  # t = 1 on top: the lower triangle of a matrix
        item.setContentsMargins(0, 12, 0, 0)  # room for the colour bar's top number
        self.image_item = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.image_item)
        self.overflow_item = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.overflow_item)
        self.color_bar = plot_style.ColorBar((-1.0, 1.0), plot_style.diverging_colormap())
        self.color_bar.setImageItem(self.image_item, insert_in=item)
        self.pair_marker = pg.ScatterPlotItem(symbol="s", size=16, brush=None)
        item.addItem(self.pair_marker, ignoreBounds=True)
        self.map_hint = plot_style.hint_item("")
        item.addItem(self.map_hint, ignoreBounds=True)
        item.getViewBox().sigResized.connect(self._tick_steps)

    def _layout(self) -> None:
        pair = QHBoxLayout()
        pair.addWidget(QLabel("k"))
        pair.addWidget(self.k_box)
        pair.addWidget(QLabel("t"))
        pair.addWidget(self.t_box)
        pair.addStretch(1)
        compute = QHBoxLayout()
        compute.addWidget(self.compute_button)
        compute.addWidget(self.cancel_button)
        compute.addWidget(self.progress, 1)
        grid = QGridLayout()
        grid.addWidget(self.bar_title, 0, 0)
        grid.addWidget(self.map_title, 0, 1)
        grid.addLayout(pair, 1, 0)
        grid.addLayout(compute, 1, 1)
        pair_info = QVBoxLayout()
        pair_info.addWidget(self.sv_label)
        pair_info.addWidget(self.bar_caption)
        grid.addLayout(pair_info, 2, 0)
        map_info = QVBoxLayout()
        map_info.addWidget(self.message)
        map_info.addWidget(self.map_note)
        grid.addLayout(map_info, 2, 1)
        grid.addWidget(self.bar_plot, 3, 0)
        grid.addWidget(self.map_plot, 3, 1)
        grid.setRowStretch(3, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.mapped)
        layout.addLayout(grid)

    def _on_appearance_changed(self) -> None:
        """Lines, marker, bars and their caption in the theme's colours and widths."""
        p = colors()
        self._unit_line.setPen(sizes.pen(p.INK, width=2, dashed=True))
        self.pair_marker.setPen(sizes.pen(p.SELECTION, width=3))
        self.pair_marker.setSize(sizes.line_width(16))
        stretch, shrink = getattr(p, STRETCH), getattr(p, SHRINK)
        self.bar_caption.setText(
            f'<span style="color:{stretch}">■</span> σ &gt; 1: that direction grows from k to t'
            f' &nbsp; <span style="color:{shrink}">■</span> σ &lt; 1: it shrinks'
        )
        self._draw_pair()

    def _tick_steps(self) -> None:
        """Whole steps and directions only, as many as the plots' sizes leave apart: about
        ten labels whatever the width ran "1012141618" together in the map at 1024×768."""
        bars, grid = self.bar_plot.getPlotItem(), self.map_plot.getPlotItem()
        width = bars.getViewBox().width()
        plot_style.set_step_ticks(bars.getAxis("bottom"), self._bar_steps, width)
        box = grid.getViewBox()
        plot_style.set_step_ticks(grid.getAxis("bottom"), self._map_steps, box.width())
        grid.getAxis("left").setTicks([plot_style.count_ticks(self._map_steps, box.height())])

    # ---- verbs -----------------------------------------------------------------------
    def set_pair(self, k: int, t: int) -> None:
        """Show ∂h_t/∂h_k (clamped to 1 ≤ k ≤ t ≤ session.t)."""
        with signals_blocked(self.k_box), signals_blocked(self.t_box):
            self.t_box.setValue(t)
            self.k_box.setValue(min(k, self.t_box.value()))
        self._draw_pair()

    def compute_map(self) -> None:
        if self.runner.running:
            return
        try:
            steps = self.lab.jacobian_map_steps()
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("")
        T = self.lab.session.t
        self.progress.setRange(0, T * (T + 1) // 2)
        self.progress.setValue(0)
        self._set_running(True)
        self.runner.start(steps)

    # ---- the pair ------------------------------------------------------------------
    def _on_k_changed(self, k: int) -> None:
        if k > self.t_box.value():
            with signals_blocked(self.t_box):
                self.t_box.setValue(k)
        self._draw_pair()

    def _on_t_changed(self, t: int) -> None:
        if t < self.k_box.value():
            with signals_blocked(self.k_box):
                self.k_box.setValue(t)
        self._draw_pair()

    def _sync_boxes(self, follow_newest: bool) -> None:
        """Ranges 1..session.t; t follows the newest step when it was on the newest."""
        T = self.lab.session.t
        with signals_blocked(self.k_box), signals_blocked(self.t_box):
            for box in (self.k_box, self.t_box):
                box.setRange(1, max(T, 1))
                box.setEnabled(T > 0)
            if follow_newest:
                self.t_box.setValue(T)
        self._draw_pair()

    def _draw_pair(self) -> None:
        if not self.isVisible():
            self._dirty = True  # a hidden tab computes nothing until it is shown
            return
        self._dirty = False
        T = self.lab.session.t
        k, t = self.k_box.value(), self.t_box.value()
        cell = self.lab.session.config.cell
        if T == 0:
            self.pair_marker.setData([], [])
            self._set_bars(np.zeros(0), FEED_HINT)
            self.sv_label.setText("")
            return
        self.pair_marker.setData([k], [t])
        try:
            sv = self.lab.pair_singular_values(k, t)  # (H,) largest first
        except InputError as exc:  # a network the tab does not take (a stack)
            self._set_bars(np.zeros(0), "")
            self.sv_label.setText(str(exc))
            return
        except ValueError:  # the product overflowed
            self._set_bars(np.zeros(0), f"{jacobian_symbol(cell, t, k)} overflowed")
            self.sv_label.setText(f"k = {k}, t = {t}: the product overflowed")
            return
        self._set_bars(sv, "")
        self.sv_label.setText(math_html(_sv_text(k, t, sv, cell)))

    def _set_bars(self, sv: np.ndarray, hint: str) -> None:
        heights = np.log10(np.maximum(sv, LOG_FLOOR))  # (H,) zeros break a log axis
        x = np.arange(1, sv.size + 1)
        p = colors()
        stretch, shrink = pg.mkBrush(getattr(p, STRETCH)), pg.mkBrush(getattr(p, SHRINK))
        brushes = [stretch if h > 0 else shrink for h in heights]
        self.bars.setOpts(x=x, height=heights, brushes=brushes)
        H = max(sv.size, self.lab.session.params.hidden_size)
        low = math.floor(min(float(heights.min()) if sv.size else -1.0, -1.0))
        high = math.ceil(max(float(heights.max()) if sv.size else 1.0, 1.0))
        item = self.bar_plot.getPlotItem()
        item.setRange(
            xRange=(0.4, H + 0.6), yRange=(low - 0.2, high + 0.2), padding=0, disableAutoRange=True
        )
        item.getAxis("left").setTicks(plot_style.log_ticks(low, high))
        self._bar_steps = H
        self._tick_steps()
        self.bar_hint.setText(hint)
        self.bar_hint.setVisible(bool(hint))
        self.bar_hint.setPos((H + 1) / 2, high / 2)  # above the σ = 1 line

    # ---- the map -------------------------------------------------------------------
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_finished(self, outcome: str) -> None:
        self._set_running(False)
        if outcome == CANCELLED:
            self.progress.setValue(0)
            if not self.message.text():
                self.message.setText("cancelled: the rows already drawn stay")

    def _set_running(self, running: bool) -> None:
        self.compute_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _on_lab_changed(self, changes: LabChange) -> None:
        if changes & LabChange.JACOBIANS:
            self._on_map_changed()

    def _on_map_changed(self) -> None:
        result = self.lab.jacobian_map
        M = None if result is None else result.norms  # (T, T)
        item = self.map_plot.getPlotItem()
        T = M.shape[0] if M is not None else max(self.lab.session.t, 1)
        item.setRange(xRange=(0.5, T + 0.5), yRange=(0.5, T + 0.5), padding=0)
        self._map_steps = T
        self._tick_steps()
        if M is None:
            self.map_note.setText("")
            self.image_item.clear()
            self.overflow_item.clear()
            self.map_hint.setText(MAP_HINT if self.lab.session.t else FEED_HINT)
            self.map_hint.setVisible(True)
            self.map_hint.setPos((T + 1) / 2, (T + 1) / 2)
            return
        self.map_hint.setVisible(False)
        lower = np.tril(np.ones((T, T), dtype=bool))  # (T, T) k ≤ t
        lower[result.rows :] = False  # rows not computed yet stay blank
        finite = np.isfinite(M) & lower
        with np.errstate(divide="ignore"):
            logs = np.log10(np.maximum(M, LOG_FLOOR))  # (T, T)
        shown = np.where(finite, logs, np.nan)
        levels = _symmetric_levels(shown[finite])
        self.color_bar.setLevels(levels)
        # NaN is transparent: the upper triangle stays blank; overflowed cells turn dark.
        self.image_item.setImage(shown, levels=levels)
        overflow = np.zeros((T, T, 4), dtype=np.uint8)  # (T, T, RGBA)
        overflowed = lower & ~np.isfinite(M)  # (T, T)
        overflow[overflowed] = OVERFLOW_RGBA
        self.map_note.setText(_map_note(result.method, result.rows, T, overflowed.any()))
        self.overflow_item.setImage(overflow, levels=(0, 255))
        rect = QRectF(0.5, 0.5, T, T)
        self.image_item.setRect(rect)
        self.overflow_item.setRect(rect)

    def _on_map_click(self, event: object) -> None:
        """A left click on a cell k ≤ t of the map picks that pair."""
        result = self.lab.jacobian_map
        if event.button() != Qt.MouseButton.LeftButton or result is None:
            return
        view = self.map_plot.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        point = view.mapSceneToView(event.scenePos())
        k, t = round(point.x()), round(point.y())
        if 1 <= k <= t <= result.rows:
            self.set_pair(k, t)

    # ---- from the session ------------------------------------------------------------
    def _on_session_changed(self, changes: Change) -> None:
        if not changes & Change.DATA:
            return
        if self.runner.running:
            self.message.setText("the network or inputs changed: compute the map again")
            self.runner.cancel()
        was_newest = self.t_box.value() == self.t_box.maximum()
        self._name_the_jacobian()
        self._sync_boxes(follow_newest=was_newest)

    def _name_the_jacobian(self) -> None:
        """Titles, colour bar and tooltip say which Jacobian is shown, for the session's cell."""
        cell = self.lab.session.config.cell
        j = jacobian_symbol(cell)
        # A narrow title wraps before the fraction, never inside it ("∂h_t/" over "∂h_k").
        whole = j.replace("/", "/\u2060").replace(" ", "\u00a0")
        self.bar_title.setText(math_html(f"singular values of {whole}"))
        self.map_title.setText(math_html(f"‖{whole}‖₂ for every pair"))
        plot_style.style_color_bar(self.color_bar, math_html(f"log₁₀ ‖{j}‖₂"))
        self.compute_button.setToolTip(
            math_html(f"‖{j}‖₂ for every pair k ≤ t (in the background)")
        )
        self.mapped.setText(math_html(mapped_text(cell)))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self._draw_pair()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.stop()
        super().closeEvent(event)


def jacobian_symbol(cell: str, t: int | str = "t", k: int | str = "k") -> str:
    """The Jacobian the view shows, as plain text: ∂h_t/∂h_k; ∂h_t/∂(h_k, c_k) for the LSTM."""
    if cell == "lstm":
        return f"∂h_{t}/∂(h_{k}, c_{k})"
    return f"∂h_{t}/∂h_{k}"


def mapped_text(cell: str) -> str:
    """What the Jacobian means, for the line above the plots."""
    if cell == "lstm":
        return (
            "∂h_t/∂(h_k, c_k): how the LSTM's whole state at step k, hidden h_k and cell c_k, "
            "moves h_t. The cell-state path is included, as in the regime badge; holding c_k "
            "fixed would hide the LSTM's memory."
        )
    return "∂h_t/∂h_k: how the hidden state at step k moves the hidden state at step t."


def _map_note(method: str, rows: int, T: int, overflowed: bool) -> str:
    """How the map's norms were computed, how far it is, and what dark cells mean."""
    lines = [f"norms: {method}"]
    if rows < T:
        lines.append(f"rows 1–{rows} of {T} done")
    if overflowed:
        lines.append("dark cells: the product overflowed")
    return "\n".join(lines)


def _sv_text(k: int, t: int, sv: np.ndarray, cell: str) -> str:
    if k == t:
        if cell == "lstm":
            return f"k = t = {t}: ∂h_t/∂(h_t, c_t) = [I 0], every σ = 1"
        return f"k = t = {t}: ∂h_t/∂h_t is the identity, every σ = 1"
    return f"‖{jacobian_symbol(cell, t, k)}‖₂ = σ₁ = {sv[0]:.3g}    smallest σ = {sv[-1]:.3g}"


def _symmetric_levels(values: np.ndarray) -> tuple[float, float]:
    """±(whole decades) around 0 = norm 1: blue shrinks, red grows; the floor left out."""
    shown = np.abs(values[values > FLOOR_DECADE + 1])
    top = math.ceil(float(shown.max())) if shown.size else 1
    return (-float(max(top, 1)), float(max(top, 1)))
