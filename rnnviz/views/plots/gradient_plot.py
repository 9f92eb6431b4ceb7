"""‖dL/dh_t‖ on a log axis with the textbook decay curves and the regime badge."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from rnnviz.session import Change, Session
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, sizes, widget_style
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.plots.curves import Curve
from rnnviz.views.plots.flow import FlowLayout

NORM = "‖dL/dh_t‖"
SIGMA = "σ_max^(T−t)"  # the keys of Session.theory_curves()
RHO = "ρ^(T−t)"
FEED_HINT = "press → to feed the first input"
BACKWARD_HINT = "press B to run backpropagation through time"
_THEORY_TIP = "The textbook decay, scaled to meet the measured gradient at the last step T."
_SYMBOLS_UP_TO = 60  # markers on each step while they stay apart
_PAD_DECADES = 0.4
THEORY_CEILING = 1e300  # analysis.theory_curve clips here
_DEFAULT_DECADES = (-3.0, 1.0)


class GradientPlot(QWidget):
    """How strongly the loss depends on each step's state: ‖dL/dh_t‖ for t = 1..T, log y.

    Public, read-only for the main window and tests:
    ``curves``: dict of pg.PlotDataItem keyed ``NORM`` (the measured norms of the valid
    steps, clamped to ≥ LOG_FLOOR; while the sweep runs only steps ≥ session.sweep),
    ``SIGMA`` (a wide grey band) and ``RHO`` (dashed): session.theory_curves() over the
    whole chain, without the points pinned at its clamp bounds, and empty when the last
    step is not finite (they are scaled to it). ``curve.getOriginalDataset()`` gives the
    plotted values; ``getData()`` their log10.
    ``badge`` (QLabel): session.regime.text, coloured by regime. ``exploded`` (QLabel):
    "exploded at t = … (… pass)" when BPTT overflowed. ``numbers`` (QLabel): ρ, σ_max and
    the loss; ``clipping`` (QLabel, hidden with clipping off): the gradient norm before →
    after clipping. ``legend``
    (a QLabel per entry), ``hint`` (pg.TextItem) when there is nothing to plot, ``marker``
    (the selected step), ``plot`` (pg.PlotWidget). The title, badges, numbers and legend
    flow onto more rows when the panel is narrow.
    The axes are fixed once per backward pass: no auto-range while the sweep animates.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.plot = pg.PlotWidget(background=colors().BACKGROUND)
        item = self.plot.getPlotItem()
        # Short: a long rotated label is cut off in a short plot (the title names it in full).
        plot_style.style_plot(item, "step t", "‖∂L/∂h<sub>t</sub>‖")
        item.setLogMode(y=True)
        item.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()
        item.showGrid(y=True, alpha=0.3)
        item.getAxis("left").enableAutoSIPrefix(False)
        # Pens and the markers' colour and size come from the theme (_on_appearance_changed).
        # The theory lines are straight on the log axis: Qt's own stroke is as fast there.
        self.curves: dict[str, pg.PlotDataItem] = {
            SIGMA: item.plot(),
            RHO: item.plot(),
            NORM: Curve(symbolPen=None),
        }
        item.addItem(self.curves[NORM])
        self.marker = plot_style.selection_marker()
        item.addItem(self.marker, ignoreBounds=True)
        self.hint = plot_style.hint_item("")
        item.addItem(self.hint, ignoreBounds=True)

        self.title = widget_style.title_label("gradient size per step ‖∂L/∂h<sub>t</sub>‖")
        self.badge = widget_style.badge_label()
        self.exploded = widget_style.badge_label()
        self.numbers = QLabel()
        self.clipping = QLabel()
        self.legend = tuple(QLabel(entry) for entry in _legend())
        for label in (self.numbers, self.clipping, *self.legend):
            widget_style.set_font(label)
            widget_style.set_text_color(label, "INK")
        self.legend[-1].setToolTip(_THEORY_TIP)
        header = FlowLayout()
        for widget in (self.title, self.badge):
            header.addWidget(widget)
        info = FlowLayout(spacing=14)
        for widget in (self.numbers, self.clipping, self.exploded, *self.legend):
            info.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addLayout(info)
        layout.addWidget(self.plot, 1)

        self._theory: dict[str, np.ndarray] = {}
        self._decades = _DEFAULT_DECADES
        self._extent: tuple[int, tuple[float, float]] | None = None  # (T, y decades) shown
        self._ticks: tuple[tuple[float, float], int] | None = None  # (decades, labels) shown
        item.getViewBox().sigResized.connect(self._set_ticks)
        listen(session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_appearance_changed()
        self._on_gradients_changed()
        self._on_selection_changed()

    # ---- event handlers --------------------------------------------------------------
    def _on_session_changed(self, changes: Change) -> None:
        if changes & Change.GRADIENTS:
            self._on_gradients_changed()  # draws all of it
            return
        if changes & (Change.STEPS | Change.SEQUENCE | Change.SWEEP):
            self._draw()  # with the marker
        elif changes & Change.SELECTION:
            self._on_selection_changed()
        if changes & Change.CONFIG:
            self._on_config_changed()

    def _on_gradients_changed(self) -> None:
        """Once per backward pass: theory curves, the fixed axes, the numbers."""
        g = self.session.gradients
        show_theory = g is not None and bool(g.valid[-1])  # they are scaled to the last step
        self._theory = self.session.theory_curves() if show_theory else {}
        self._decades = self._y_decades()
        T = g.dL_dh_norm.size if g is not None else 0
        steps = np.arange(1, T + 1)  # (T,) 1-based
        for key in (SIGMA, RHO):
            curve = self._theory.get(key, np.zeros(T))  # (T,)
            # Values pinned at the clamp bounds are beyond float range, not data: leave out.
            inside = (curve > LOG_FLOOR) & (curve < THEORY_CEILING)
            self.curves[key].setData(steps[inside], curve[inside])
        self.curves[NORM].setSymbol("o" if T <= _SYMBOLS_UP_TO else None)
        self._extent = None
        self._draw()
        self._on_config_changed()

    def _on_config_changed(self) -> None:
        regime = self.session.regime
        p = colors()
        widget_style.set_badge(self.badge, regime.text, p.REGIME_COLORS.get(regime.name, p.MUTED))
        self.numbers.setText(self._numbers_text())
        self.clipping.setText(self._clipping_text())
        self.clipping.setVisible(bool(self.clipping.text()))
        g = self.session.gradients
        exploded = "" if g is None or g.exploded_at is None else self._exploded_text()
        widget_style.set_badge(self.exploded, exploded)

    def _on_appearance_changed(self) -> None:
        """The theme's colours, and line, marker and tick sizes at its scale."""
        # σ_max is a wide grey band under ρ: for a normal W_hh (e.g. orthogonal) they
        # coincide, and both must stay visible.
        self.curves[SIGMA].setPen(sizes.pen(colors().THEORY_SIGMA_BAND, width=9))
        self.curves[RHO].setPen(sizes.pen(colors().THEORY_RHO, dashed=True))
        self.curves[NORM].setPen(sizes.pen(colors().GRADIENT, width=4))
        self.curves[NORM].setSymbolBrush(colors().GRADIENT)
        self.curves[NORM].setSymbolSize(sizes.line_width(9))
        for label, text in zip(self.legend, _legend(), strict=True):
            label.setText(text)
        self._on_config_changed()  # the badges' colours
        self._ticks = None
        self._set_ticks()

    def _on_selection_changed(self) -> None:
        step = self.session.selected_step
        self.marker.setVisible(step is not None and self.session.gradients is not None)
        if step is not None:
            self.marker.setValue(step)

    # ---- drawing -------------------------------------------------------------------
    def _draw(self) -> None:
        """The measured curve: every sweep frame, so only setData (the axes stay fixed)."""
        g = self.session.gradients
        T = g.dL_dh_norm.size if g is not None else max(self.session.sequence.shape[0], 1)
        if (T, self._decades) != self._extent:
            self._extent = (T, self._decades)
            self._set_range(T)
        if g is None:
            if self.curves[NORM].xData is not None and self.curves[NORM].xData.size:
                self.curves[NORM].setData([], [])  # only when it shows something: it repaints
            self._set_hint(BACKWARD_HINT if self.session.t else FEED_HINT)
        else:
            steps = np.arange(1, T + 1)  # (T,) 1-based
            keep = g.valid & np.isfinite(g.dL_dh_norm)  # (T,)
            if self.session.sweep is not None:
                keep &= steps >= self.session.sweep
            norms = np.maximum(g.dL_dh_norm[keep], LOG_FLOOR)  # zeros break a log axis
            self.curves[NORM].setData(steps[keep], norms)
            self._set_hint("" if g.valid.any() else "no finite gradient: " + self._exploded_text())
        self._on_selection_changed()

    def _y_decades(self) -> tuple[float, float]:
        """log10 range of everything the pass will show, padded; fixed for its sweep."""
        g = self.session.gradients
        if g is None:
            return _DEFAULT_DECADES
        measured = np.maximum(g.dL_dh_norm[g.valid & np.isfinite(g.dL_dh_norm)], LOG_FLOOR)
        theory = [c[(c > LOG_FLOOR) & (c < THEORY_CEILING)] for c in self._theory.values()]
        values = np.concatenate([measured, *theory])
        if values.size == 0:
            return _DEFAULT_DECADES
        low, high = math.log10(values.min()), math.log10(values.max())
        if high - low < 1.0:  # a flat curve still gets a readable decade around it
            low, high = (low + high) / 2 - 0.5, (low + high) / 2 + 0.5
        return (low - _PAD_DECADES, high + _PAD_DECADES)

    def _set_range(self, T: int) -> None:
        item = self.plot.getPlotItem()
        item.setRange(xRange=(0.5, T + 0.5), yRange=self._decades, padding=0, disableAutoRange=True)
        self._set_ticks()

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
        (x0, x1), (y0, y1) = self.plot.getPlotItem().getViewBox().viewRange()
        self.hint.setPos((x0 + x1) / 2, (y0 + y1) / 2)

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


def _legend() -> tuple[str, ...]:
    """Legend entries above the plot (pyqtgraph's legend would sit on top of the curves),
    in the theme's colours; each is its own label, so they wrap in a narrow panel."""
    return (
        f'<span style="color:{colors().GRADIENT}">━━●━━</span> measured',
        f'theory: <span style="color:{colors().THEORY_SIGMA_BAND}">███</span> '
        f'σ<sub>max</sub><sup>T−t</sup> <span style="color:{colors().THEORY_RHO}">╸╸╸</span> '
        "ρ<sup>T−t</sup>",
    )
