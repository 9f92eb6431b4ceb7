"""‖dL/dh_t‖ on a log axis, the last step's loss ‖∂L_T/∂h_t‖ with the curves that are
about it (a bound, a rate or a gate path, each labelled as what it is), and the regime badge."""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from rnnviz.session import Change, Session
from rnnviz.session.analysis import LOG_FLOOR, NO_REGIME, REGIME_TIP, Reach
from rnnviz.session.session import ReachOf
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, sizes, widget_style
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.flow import FlowLayout
from rnnviz.views.look.focus_text import focus_name, focus_tip
from rnnviz.views.plots.curves import Curve, long_curves
from rnnviz.views.plots.depth_heatmap import DepthHeatmap
from rnnviz.views.worker import Runner

NORM = "‖dL/dh_t‖"  # the total gradient: what the optimiser gets
LAST = "‖∂L_T/∂h_t‖"  # the last step's loss alone (drawn when the loss scores more steps)
BOUND = "bound"  # ‖∂L_T/∂h_T‖ (c σ_max)^(T−t): Reach.bound
RATE = "ρ rate"  # ‖∂L_T/∂h_T‖ ρ^(T−t): Reach.rate
PATH = "gate path"  # ‖∂L_T/∂h_T‖ mean ∏ f or ∏ z: Reach.path
CURVES = (NORM, LAST, BOUND, RATE, PATH)  # also the legend's order
THEORY = (BOUND, RATE, PATH)
FEED_HINT = "press → to feed the first input"
BACKWARD_HINT = "press B to run backpropagation through time"
_MARKER_PX = 9.0  # the total's markers, before the line scale
_MARKER_ROOM = 2.0  # markers on each step while steps are this many marker widths apart
_PAD_DECADES = 0.4
THEORY_CEILING = 1e300  # theory values beyond this (or inf) are left out: not data
_DEFAULT_DECADES = (-3.0, 1.0)
# session.reach_work (steps × hidden units × gates, × layers × directions when the whole
# stack is needed) below this: the reach (one backward pass of the last step's
# loss) is computed at once, tens of milliseconds; beyond, in the worker, while the badge
# says it is measuring (at 5000 steps of 256 units it took seconds on every step).
INLINE_WORK = 100_000
# A long reach is measured once the steps and settings have held still this long: while a
# key repeats or a slider moves, a measurement per frame competed with the frame for the
# CPU and Python's lock (a step at 1000 × 128 took 28 ms instead of 10) and was out of date
# by the next frame. Shorter than a step of the player at its default speed (250 ms).
# Steps within this of each other (a held key) wait the same way, however short the reach:
# it was 1–2.5 ms of an 8 ms step frame, for a badge nobody reads 30 times a second.
QUIET_MS = 100
TITLE = "gradient size per step ‖∂L/∂h<sub>t</sub>‖"
MEASURING = "measuring how far the gradient reaches back…"
_TIPS = {
    NORM: "The total gradient dL/dh<sub>t</sub>: every later step's loss sends its part "
    "back to h<sub>t</sub>. This is what the optimiser gets.",
    LAST: "The gradient of the last step's loss alone (its term in L): how far one error "
    "reaches back. It meets the total at t = T, where no other loss reaches.",
    BOUND: "An upper bound on ‖∂L<sub>T</sub>/∂h<sub>t</sub>‖: each step back multiplies "
    "it by diag(f′) W<sub>hh</sub>, whose norm is at most max f′ · σ<sub>max</sub> "
    "(max f′ = 1 for tanh, relu, linear; 1/4 for sigmoid). Anchored at t = T. "
    "The curve can never rise above it.",
    RATE: "ρ<sup>T−t</sup>, anchored at t = T: the long-run rate of a linear cell. Exact "
    "for a linear cell with a normal W<sub>hh</sub> (e.g. orthogonal); a tanh cell's "
    "slopes below 1 make the real decay faster. A rate, not a bound.",
    PATH: "The direct path of the memory from step t to T without W<sub>hh</sub>: the "
    "product of the gate over steps t+1..T, averaged over units, anchored at t = T. "
    "A path, not a bound: the other paths add to it.",
}


class GradientPlot(QWidget):
    """How strongly the loss depends on each step's state: ‖dL/dh_t‖ for t = 1..T, log y.

    Public, read-only for the main window and tests:
    ``curves``: dict of pg.PlotDataItem keyed by CURVES. ``NORM``: the total ‖dL/dh_t‖ of
    the valid steps, clamped to ≥ LOG_FLOOR. ``LAST``: ‖∂L_T/∂h_t‖ (session.reach.last) at
    its valid, positive steps, only when the loss scores more than one step (otherwise it
    is NORM). While the sweep runs both show only steps ≥ session.sweep. ``BOUND`` (a wide
    grey band, vanilla only), ``RATE`` (dashed, vanilla only), ``PATH`` (dashed, LSTM and
    GRU): session.reach's curves over the whole chain, without values beyond the float
    range. ``curve.getOriginalDataset()`` gives the plotted values; ``getData()`` their log10.
    ``badge`` (QLabel): badge_html(session.regime.text), coloured by regime, REGIME_TIP as
    tooltip.
    ``exploded`` (QLabel): "exploded at t = … (… pass)" when BPTT overflowed. ``numbers``
    (QLabel): ρ, σ_max and the loss; ``clipping`` (QLabel, hidden with clipping off): the
    gradient norm before → after clipping. ``legend``: a QLabel per entry of CURVES, in
    that order, shown when its curve has data (NORM always). ``hint`` (pg.TextItem) when
    there is nothing to plot, ``marker`` (the selected step), ``plot`` (pg.PlotWidget).
    ``depth_map`` (DepthHeatmap, built for the first stack or when first asked for): for a
    stack after the backward pass, ‖dL/dh_t‖ of every layer and direction under the plot,
    which shows the focused one (``title`` names it).
    The title, badges, numbers and legend flow onto more rows when the panel is narrow.
    The axes are fixed once per backward pass: no auto-range while the sweep animates.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.plot = pg.PlotWidget(
            background=colors().BACKGROUND, enableMenu=False, axisItems=plot_style.plot_axes()
        )
        item = self.plot.getPlotItem()
        # Short: a long rotated label is cut off in a short plot (the title names it in full).
        plot_style.style_plot(item, "step t", "‖∂L/∂h<sub>t</sub>‖")
        item.setLogMode(y=True)
        item.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()
        item.showGrid(y=True, alpha=0.3)
        long_curves(item)
        item.getAxis("left").enableAutoSIPrefix(False)
        # Pens and the markers' colour and size come from the theme (_on_appearance_changed).
        # The theory lines are straight on the log axis: Qt's own stroke is as fast there.
        # Added bottom to top: the band under the dashed lines under the measured curves.
        self.curves: dict[str, pg.PlotDataItem] = {key: item.plot() for key in THEORY}
        self.curves[LAST] = Curve()
        self.curves[NORM] = Curve(symbolPen=None)
        item.addItem(self.curves[LAST])
        item.addItem(self.curves[NORM])
        self.marker = plot_style.selection_marker()
        item.addItem(self.marker, ignoreBounds=True)
        self.hint = plot_style.hint_item("", centred=True)
        item.addItem(self.hint, ignoreBounds=True)

        self.title = widget_style.title_label(TITLE)
        self.badge = widget_style.badge_label()
        self.badge.setToolTip(REGIME_TIP)
        self.exploded = widget_style.badge_label()
        self.numbers = widget_style.WrappingLabel()
        self.clipping = widget_style.WrappingLabel()
        self.legend = tuple(widget_style.WrappingLabel() for _ in CURVES)
        for label in (self.numbers, self.clipping, *self.legend):
            widget_style.set_font(label)
            widget_style.set_text_color(label, "INK")
        for key, label in zip(CURVES, self.legend, strict=True):
            label.setToolTip(_TIPS[key])
        # The badge and the numbers change with every setting (a new ρ): in steady boxes,
        # a new text of the same size lays out neither this panel nor the window.
        header = FlowLayout()
        for widget in (self.title, widget_style.SteadyBox(self.badge)):
            header.addWidget(widget)
        info = FlowLayout(spacing=14)
        numbers = widget_style.SteadyBox(self.numbers)
        for widget in (numbers, self.clipping, self.exploded, *self.legend):
            info.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addLayout(info)
        layout.addWidget(self.plot, 1)
        self._layout = layout
        # Built for the first stack (or when asked for): one layer never shows it, and its
        # plot and colour bar were a tenth of the window's construction at launch.
        self._depth_map: DepthHeatmap | None = None
        self._build_depth_map_for_a_stack()

        self._reach: Reach | None = None  # what the drawn curves come from
        self.runner = Runner(self)  # computes the session's reach when it is long
        self.runner.returned.connect(self._on_reach_computed)
        self.runner.finished.connect(self._on_runner_finished)
        self.runner.failed.connect(self._on_reach_failed)
        self._measuring: tuple[object, object] | None = None  # (trace, config) in the worker
        self._again = False  # measure again once the cancelled run has stopped
        self._quiet = QTimer(self)  # a long reach waits for the session to hold still
        self._quiet.setSingleShot(True)
        self._quiet.setInterval(QUIET_MS)
        self._quiet.timeout.connect(self._measure)
        self._recent = QTimer(self)  # runs for QUIET_MS after each step
        self._recent.setSingleShot(True)
        self._recent.setInterval(QUIET_MS)
        self._held = False  # this step came within QUIET_MS of the last: a held key
        self._decades = _DEFAULT_DECADES
        self._extent: tuple[int, tuple[float, float]] | None = None  # (steps, y decades) shown
        self._ticks: tuple[tuple[float, float], int] | None = None  # (decades, labels) shown
        item.getViewBox().sigResized.connect(self._set_ticks)
        item.getViewBox().sigResized.connect(self._fit_markers)
        listen(session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_appearance_changed()
        self._on_gradients_changed()
        self._on_selection_changed()

    @property
    def depth_map(self) -> DepthHeatmap:
        if self._depth_map is None:
            self._depth_map = DepthHeatmap(self.session)
            # At its legible height: the curves get the rest.
            self._layout.addWidget(self._depth_map)
        return self._depth_map

    def _build_depth_map_for_a_stack(self) -> None:
        if self.session.depth != (1, 1):
            _ = self.depth_map  # draws the session from now on

    # ---- event handlers --------------------------------------------------------------
    def _on_session_changed(self, changes: Change) -> None:
        if changes & (Change.CONFIG | Change.FOCUS):
            self._build_depth_map_for_a_stack()
        # A step: new fed steps, same inputs, settings and layer.
        stepped = changes & Change.STEPS and not changes & (
            Change.SEQUENCE | Change.CONFIG | Change.FOCUS
        )
        self._held = bool(stepped) and self._recent.isActive()
        if stepped:
            self._recent.start()
        if changes & Change.GRADIENTS:
            self._on_gradients_changed()  # draws all of it
            return
        if changes & (Change.STEPS | Change.SEQUENCE | Change.SWEEP):
            self._draw()  # with the marker
        elif changes & Change.SELECTION:
            self._on_selection_changed()
        if changes & (Change.DATA | Change.FOCUS):
            self._on_config_changed()  # the badge is measured on the fed steps

    def _on_gradients_changed(self) -> None:
        """Once per backward pass: theory curves, the fixed axes, the numbers."""
        g = self.session.gradients
        self._reach = self._current_reach() if g is not None else None
        T = g.dL_dh_norm.size if g is not None else 0
        steps = np.arange(1, T + 1)  # (T,) 1-based
        for key in THEORY:
            curve = self._theory(key)
            if curve is None:
                self.curves[key].setData([], [])
                continue
            # Values beyond the float range (0, inf) are not data: leave them out.
            inside = (curve > LOG_FLOOR) & (curve < THEORY_CEILING)  # (T,)
            self.curves[key].setData(steps[inside], curve[inside])
        self._decades = self._y_decades()
        self._extent = None
        self._draw()
        self._fit_markers()
        self._on_config_changed()
        self._set_legend()

    def _on_config_changed(self) -> None:
        s = self.session
        name = focus_name(s.depth, s.focus)
        self.title.setText(f"{TITLE} · {name}" if name else TITLE)
        self.title.setToolTip(focus_tip(s))
        reach = self._current_reach()
        regime = NO_REGIME if reach is None else reach.regime
        p = colors()
        color = p.REGIME_COLORS.get(regime.name, p.MUTED)
        waiting = self.runner.running or self._quiet.isActive()
        text = MEASURING if reach is None and waiting else regime.text
        widget_style.set_badge(self.badge, badge_html(text), color)
        self.numbers.setText(self._numbers_text())
        self.clipping.setText(self._clipping_text())
        self.clipping.setVisible(bool(self.clipping.text()))
        g = self.session.gradients
        exploded = "" if g is None or g.exploded_at is None else self._exploded_text()
        widget_style.set_badge(self.exploded, exploded)

    def _on_appearance_changed(self) -> None:
        """The theme's colours, and line, marker and tick sizes at its scale."""
        p = colors()
        # The bound is a wide grey band under ρ: for a normal W_hh (e.g. orthogonal) with
        # a linear cell they coincide, and both must stay visible.
        self.curves[BOUND].setPen(sizes.pen(p.THEORY_SIGMA_BAND, width=9))
        self.curves[RATE].setPen(sizes.pen(p.THEORY_RHO, dashed=True))
        self.curves[PATH].setPen(sizes.pen(p.THEORY_RHO, dashed=True))
        self.curves[LAST].setPen(sizes.pen(p.OUTPUT, width=3))
        self.curves[NORM].setPen(sizes.pen(p.GRADIENT, width=4))
        self.curves[NORM].setSymbolBrush(p.GRADIENT)
        self.curves[NORM].setSymbolSize(sizes.line_width(_MARKER_PX))
        self._fit_markers()
        self._set_legend()
        self._on_config_changed()  # the badges' colours
        self._ticks = None
        self._set_ticks()

    def _on_selection_changed(self) -> None:
        step = self.session.selected_step
        self.marker.setVisible(step is not None and self.session.gradients is not None)
        if step is not None:
            self.marker.setValue(step)

    # ---- the reach, in the worker when it is long ----------------------------------
    def _current_reach(self) -> Reach | None:
        """The session's reach when it is at hand or quick to compute; else None until the
        session has held still for QUIET_MS and the worker has computed it (None before a
        step is fed)."""
        s = self.session
        if s.t == 0:
            return None
        cached = s.cached_reach()
        if cached is not None:
            return cached
        if s.reach_work < INLINE_WORK and not self._held:
            return s.reach
        if self.runner.running and self._measuring != (s.trace, s.config):
            self.runner.cancel()  # out of date: free the CPU for the frames now
        self._quiet.start()  # (again): measured once the changes stop
        return None

    def _measure(self) -> None:
        s = self.session
        if s.t == 0:
            return
        self._held = False  # the steps have stopped
        # Computed meanwhile (e.g. asked for by a command), or short: computed and shown now.
        if s.cached_reach() is not None or s.reach_work < INLINE_WORK:
            self._on_gradients_changed()
            return
        now = (s.trace, s.config)
        if self.runner.running:
            if self._measuring != now:  # a run for steps or settings that are gone
                self._again = True
                self.runner.cancel()
            return
        self._again = False
        self._measuring = now
        self.runner.start(s.reach_steps())

    def _on_runner_finished(self, _outcome: str) -> None:
        self._measuring = None
        if self._again:
            self._measure()

    def _on_reach_failed(self, message: str) -> None:
        widget_style.set_badge(self.badge, html.escape(message), colors().ALERT)

    def _on_reach_computed(self, computed: ReachOf) -> None:
        if self.session.keep_reach(computed):
            self._on_gradients_changed()  # the theory curves and the badge

    # ---- drawing -------------------------------------------------------------------
    def _draw(self) -> None:
        """The measured curves: every sweep frame, so only setData (the axes stay fixed)."""
        g = self.session.gradients
        s = self.session
        T = g.dL_dh_norm.size if g is not None else 0
        # The steps of the panels stacked with this one (heatmaps, inputs): one time axis.
        N = max(s.sequence.shape[0], s.t, 1)
        if (N, self._decades) != self._extent:
            self._extent = (N, self._decades)
            self._set_range(N)
        if g is None:
            for key in (NORM, LAST):
                if self.curves[key].xData is not None and self.curves[key].xData.size:
                    self.curves[key].setData([], [])  # only when it shows something: it repaints
            self._set_hint(BACKWARD_HINT if self.session.t else FEED_HINT)
        else:
            steps = np.arange(1, T + 1)  # (T,) 1-based
            swept = steps >= (self.session.sweep or 1)  # (T,)
            keep = g.valid & np.isfinite(g.dL_dh_norm) & swept  # (T,)
            norms = np.maximum(g.dL_dh_norm[keep], LOG_FLOOR)  # zeros break a log axis
            self.curves[NORM].setData(steps[keep], norms)
            reach = self._reach
            if reach is not None and reach.separate:
                # Steps the last loss does not reach (truncated away) are exactly 0: no point.
                mine = reach.valid & np.isfinite(reach.last) & (reach.last > 0) & swept
                self.curves[LAST].setData(steps[mine], np.maximum(reach.last[mine], LOG_FLOOR))
            else:
                self.curves[LAST].setData([], [])
            self._set_hint("" if g.valid.any() else "no finite gradient: " + self._exploded_text())
        self._on_selection_changed()

    def _theory(self, key: str) -> np.ndarray | None:
        reach = self._reach
        if reach is None:
            return None
        return {BOUND: reach.bound, RATE: reach.rate, PATH: reach.path}[key]

    def _y_decades(self) -> tuple[float, float]:
        """log10 range of everything the pass will show, padded; fixed for its sweep."""
        g = self.session.gradients
        if g is None:
            return _DEFAULT_DECADES
        values = [np.maximum(g.dL_dh_norm[g.valid & np.isfinite(g.dL_dh_norm)], LOG_FLOOR)]
        if self._reach is not None and self._reach.separate:
            last = self._reach.last
            values.append(last[self._reach.valid & np.isfinite(last) & (last > LOG_FLOOR)])
        for key in THEORY:
            _, y = self.curves[key].getOriginalDataset()
            if y is not None:
                values.append(np.asarray(y))
        shown = np.concatenate(values)
        if shown.size == 0:
            return _DEFAULT_DECADES
        low, high = math.log10(shown.min()), math.log10(shown.max())
        if high - low < 1.0:  # a flat curve still gets a readable decade around it
            low, high = (low + high) / 2 - 0.5, (low + high) / 2 + 0.5
        return (low - _PAD_DECADES, high + _PAD_DECADES)

    def _set_legend(self) -> None:
        """An entry per drawn curve, in the theme's colours (the total always: it is the
        plot's subject); each is its own label, so they wrap in a narrow panel."""
        loss_at = self.session.config.loss_at
        for key, label in zip(CURVES, self.legend, strict=True):
            label.setText(_legend_text(key, self._reach, loss_at))
            _, y = self.curves[key].getOriginalDataset()
            has_data = y is not None and len(y) > 0
            label.setVisible(key == NORM or has_data)

    def _set_range(self, T: int) -> None:
        item = self.plot.getPlotItem()
        item.setRange(xRange=(0.5, T + 0.5), yRange=self._decades, padding=0, disableAutoRange=True)
        self._set_ticks()

    def _fit_markers(self) -> None:
        """A marker on each step while the steps stay apart; closer, a line alone (the
        markers would merge into a band)."""
        view = self.plot.getPlotItem().getViewBox()
        (x0, x1), _ = view.viewRange()
        per_step = view.width() / max(x1 - x0, 1.0)  # px
        apart = per_step >= _MARKER_ROOM * sizes.line_width(_MARKER_PX)
        symbol = "o" if apart else None
        if self.curves[NORM].opts["symbol"] != symbol:
            self.curves[NORM].setSymbol(symbol)

    def _set_ticks(self) -> None:
        """Decades on the log axis, as many labelled as the plot's height has room for."""
        height = self.plot.getPlotItem().getViewBox().height()
        labels = max(2, int(height // plot_style.tick_spacing()))
        if (self._decades, labels) != self._ticks:
            self._ticks = (self._decades, labels)
            ticks = plot_style.log_ticks(*self._decades, max_labels=labels)
            self.plot.getPlotItem().getAxis("left").setTicks(ticks)

    def _set_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def _numbers_text(self) -> str:
        s = self.session.spectra
        parts = [f"ρ = {s.rho:.3g}", f"σ<sub>max</sub> = {s.sigma_max:.3g}"]
        g = self.session.gradients
        if g is not None:
            parts.append(f"loss = {g.loss:.4g}")
        return " &nbsp;&nbsp; ".join(parts)

    def _clipping_text(self) -> str:
        g, clip = self.session.gradients, self.session.config.clip
        if g is None or clip is None:
            return ""
        before, after = g.grad_norm_before_clip, g.grad_norm_after_clip
        if g.clipped:
            return f"‖∇‖ = {before:.3g} → clipped to {after:.3g}"
        return f"‖∇‖ = {before:.3g} (≤ clip {clip:g}, unchanged)"

    def _exploded_text(self) -> str:
        g = self.session.gradients
        assert g is not None and g.exploded_at is not None
        where = f" ({g.exploded_in} pass)" if g.exploded_in else ""
        return f"exploded at t = {g.exploded_at}{where}"


def badge_html(text: str) -> str:
    """The regime's text with its subscripts set as subscripts: ∂L_T reads as ∂L<sub>T</sub>
    from the back of a lecture hall, where an underscore does not."""
    for plain, sub in (("_T", "<sub>T</sub>"), ("_t", "<sub>t</sub>")):
        text = text.replace(plain, sub)
    return text


def _legend_text(key: str, reach: Reach | None, loss_at: str) -> str:
    """One legend entry, saying what the curve is: measured, bound, rate or path."""
    p = colors()
    if key == NORM:
        what = "total: what the optimiser gets" if loss_at == "all" else "loss on the last step"
        return plot_style.legend_entry(p.GRADIENT, "━━●━━", f"‖∂L/∂h<sub>t</sub>‖ {what}")
    if key == LAST:
        return plot_style.legend_entry(
            p.OUTPUT, "━━━", "‖∂L<sub>T</sub>/∂h<sub>t</sub>‖ last step's loss alone"
        )
    if key == BOUND:
        c = reach.slope_bound if reach is not None else None
        factor = "σ<sub>max</sub>" if c in (None, 1.0) else f"({c:g}·σ<sub>max</sub>)"
        return plot_style.legend_entry(p.THEORY_SIGMA_BAND, "███", f"bound {factor}<sup>T−t</sup>")
    if key == RATE:
        return plot_style.legend_entry(
            p.THEORY_RHO, "╸╸╸", "rate ρ<sup>T−t</sup> (long run, linear cell)"
        )
    gate = reach.path_gate if reach is not None else None
    name = "cell-state path ∏ f" if gate == "f" else "update-gate path ∏ z"
    return plot_style.legend_entry(p.THEORY_RHO, "╸╸╸", f"{name} (mean over units)")
