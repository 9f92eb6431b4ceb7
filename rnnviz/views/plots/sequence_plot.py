"""The inputs, outputs and targets over time."""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QFont, QFontMetricsF
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from rnnviz.session import Change, Session
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, sizes
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.plots.curves import Curve, long_curves
from rnnviz.views.plots.narrowed_repaint import NarrowedRepaint

MAX_COMPONENTS = 4  # vector inputs: the first few components stay readable
_MARKER_ROOM = 2.0  # markers on each step while steps are this many marker widths apart
_LINE_MARKER_PX = 9.0  # the input's marker (numbers), before the line scale
_TEXT_TARGET_PX = 20.0  # the target's circle (text), before the line scale
_SMOOTH_UP_TO = 300  # antialiased lines while the steps are pixels apart


def _suffix(i: int) -> str:
    return "" if i == 0 else f" {i + 1}"


class SequencePlot(QWidget):
    """Two plots over the steps t = 1..N sharing the x axis: the inputs on top, the outputs
    and targets below, with the selected step marked in both. Clicking a fed step selects it.
    Each plot's title is its legend, so no line of the panel's height is spent on one.

    Numbers (scalar / vector encoding): one curve per component (the first MAX_COMPONENTS).
    Text: every curve holds class indices into session.vocab (the y axis is labelled with the
    characters): the input character, the target character, and as the output the
    *predicted* character, argmax_k y_t[k] (no probabilities: just which class won).

    Public, read-only for the main window and tests:
    ``curves``: dict of pg.PlotDataItem keyed "input" (fed steps 1..t, solid), "upcoming"
    (steps t..N of session.sequence, faint, starting at the last fed step so the line
    continues; empty when all are fed), "output" (fed steps up to any overflow), "target"
    (fed steps); component k > 1 of a vector adds keys like "input 2".
    ``legend_text()`` (the two titles' text: what each mark means), ``inputs_plot`` and
    ``outputs_plot`` (pg.PlotItem), ``markers`` (one pg.InfiniteLine per plot), ``widget``
    (the pg.GraphicsLayoutWidget).
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setBackground(colors().BACKGROUND)
        self.widget.ci.layout.setContentsMargins(2, 2, 6, 2)
        self.widget.ci.layout.setVerticalSpacing(0)
        self.inputs_plot = self.widget.addPlot(
            row=0, col=0, enableMenu=False, axisItems=plot_style.plot_axes()
        )
        self.outputs_plot = self.widget.addPlot(
            row=1, col=0, enableMenu=False, axisItems=plot_style.plot_axes()
        )
        self.outputs_plot.setXLink(self.inputs_plot)
        # A step changes a column or two of each plot: only those are painted again.
        self._repaint = NarrowedRepaint(
            self.widget, (self.inputs_plot.getViewBox(), self.outputs_plot.getViewBox())
        )
        plot_style.style_plot(self.inputs_plot, "", "x<sub>t</sub>")
        plot_style.style_plot(self.outputs_plot, "step t", "y<sub>t</sub>")
        # The plots share their x axis: the top one needs no numbers under it.
        self.inputs_plot.getAxis("bottom").setStyle(showValues=False)
        for plot in (self.inputs_plot, self.outputs_plot):
            plot.setMouseEnabled(x=False, y=False)
            plot.disableAutoRange()
            plot.showGrid(y=True, alpha=0.25)
            long_curves(plot)
        self.markers = (plot_style.selection_marker(), plot_style.selection_marker())
        for plot, marker in zip((self.inputs_plot, self.outputs_plot), self.markers, strict=True):
            plot.addItem(marker, ignoreBounds=True)
        self.widget.scene().sigMouseClicked.connect(self._on_click)
        # Markers, character ticks and the room for the targets' circles depend on pixels.
        for plot in (self.inputs_plot, self.outputs_plot):
            plot.getViewBox().sigResized.connect(self._on_resized)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.widget, 1)

        self.curves: dict[str, Curve] = {}
        self._symbols: dict[str, object] = {}  # each curve's marker, while markers fit
        self._markers = self._smooth = True  # how the curves are drawn (by length)
        self._layout_key: tuple[bool, int, bool, bool] | None = None
        self._titles = ("", "")
        self._clamped = (False, False)  # whether each plot draws values at its edge
        self._axes_key: tuple[object, ...] | None = None  # what the axes show now
        listen(session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_appearance_changed()

    def legend_text(self) -> str:
        """The plots' titles, which say what each mark and colour means (HTML)."""
        return "\n".join(self._titles)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 160)

    # ---- items ---------------------------------------------------------------------
    def _build_curves(self, text: bool, n: int, markers: bool, smooth: bool) -> None:
        """Create the curve items for this encoding, width and length (on config changes
        only). Long sequences get lines without markers (they would merge into a band), and
        very long ones lines without antialiasing (at a step or more a pixel it shows
        nothing, and costs half the paint)."""
        for key, curve in self.curves.items():
            self._plot_for(key).removeItem(curve)
        self.curves, self._symbols = {}, {}
        self._markers, self._smooth = markers, smooth
        p = colors()
        for i in range(n):
            color_in = p.INPUT if n == 1 else p.COMPONENTS[i]
            color_out = p.OUTPUT if n == 1 else p.COMPONENTS[i]
            color_target = p.TARGET if n == 1 else p.COMPONENTS[i]
            faint = _faint(color_in)
            sx = _suffix(i)
            # Upcoming first, so the fed marks are drawn over the step they share.
            self._add(
                "upcoming" + sx,
                pen=None if text else sizes.pen(faint, width=2, dashed=True),
                symbol="o",
                symbolBrush=faint,
                symbolSize=12 if text else 7,
            )
            self._add(
                "input" + sx,
                pen=None if text else sizes.pen(color_in),
                symbol="o",
                symbolBrush=color_in,
                symbolSize=12 if text else _LINE_MARKER_PX,
            )
            self._add(
                "output" + sx,
                pen=None if text else sizes.pen(color_out),
                symbol="o" if text else "s",
                symbolBrush=color_out,
                symbolSize=12 if text else 8,
            )
            self._add(
                "target" + sx,
                pen=None if text else sizes.pen(color_target, width=2, dashed=True),
                symbol="o",
                symbolBrush=None,
                symbolPen=sizes.pen(color_target, width=2.5),
                symbolSize=_TEXT_TARGET_PX if text else 11,
            )

        self._titles = _titles(text, n)
        self._clamped = (False, False)
        for plot, title in zip((self.inputs_plot, self.outputs_plot), self._titles, strict=True):
            plot_style.plot_title(plot, title, points=sizes.LABEL_PT)

    def _show_markers(self, markers: bool) -> None:
        """The lines with or without their markers: set on the curves there are, not by
        making them again (~5 ms, twice as the window first lays itself out)."""
        self._markers = markers
        for key, symbol in self._symbols.items():
            self.curves[key].setSymbol(symbol if markers else None)

    def _plot_for(self, key: str) -> pg.PlotItem:
        return self.inputs_plot if key.startswith(("input", "upcoming")) else self.outputs_plot

    def _add(self, key: str, **opts: object) -> None:
        opts.setdefault("symbolPen", None)
        opts["symbolSize"] = sizes.line_width(cast(float, opts["symbolSize"]))
        if opts["pen"] is not None:  # a line: its markers come and go with the room
            self._symbols[key] = opts["symbol"]
            if not self._markers:
                opts["symbol"] = None
        curve = self.curves[key] = Curve(antialias=self._smooth, **opts)
        self._plot_for(key).addItem(curve)

    def _on_session_changed(self, changes: Change) -> None:
        if changes & (Change.STEPS | Change.SEQUENCE | Change.CONFIG):
            self._redraw()  # with the markers
        elif changes & Change.SELECTION:
            self._on_selection_changed()

    def _on_appearance_changed(self) -> None:
        """Curves and legends made again in the theme's colours and line widths."""
        for plot in (self.inputs_plot, self.outputs_plot):
            plot.getAxis("left").setWidth(round(56 * appearance.scale))  # steps line up
        self._layout_key = None
        self._axes_key = None
        self._redraw()

    # ---- drawing -------------------------------------------------------------------
    def _redraw(self) -> None:
        s = self.session
        text = s.config.encoding == "text"
        t, N = s.t, s.sequence.shape[0]
        n = 1 if text else min(s.sequence.shape[1], MAX_COMPONENTS)
        key = (text, n, self._markers_fit(N), N <= _SMOOTH_UP_TO)
        rebuilt = key != self._layout_key  # every curve is drawn anew
        if rebuilt:
            before, self._layout_key = self._layout_key, key
            if before is not None and (before[:2], before[3]) == (key[:2], key[3]):
                self._show_markers(key[2])  # only the room changed (a resize)
            else:
                self._build_curves(*key)
        steps = np.arange(1, N + 1)  # (N,) 1-based
        # Values too large for any axis (≈ 1e308) are drawn at its edge, and said to be.
        seq, big_in = plot_style.clamp_to_plot(self._per_step(s.sequence))  # (N, n)
        trace = s.trace
        outputs, big_out = plot_style.clamp_to_plot(self._per_step(trace.y))  # (t, n_out)
        # Class targets (text, or given as class indices) are one number per step.
        targets, big_target = plot_style.clamp_to_plot(
            self._per_step(s.targets, classes=text or s.targets.ndim == 1)
        )  # (t, ·)
        self._mark_clamped((big_in, big_out or big_target))
        valid = trace.valid  # (t,) outputs after an overflow are not data
        # The steps between which each plot's curves changed (a change of ρ leaves the
        # inputs as they are: their plot is not painted again).
        ins: list[tuple[float, float]] = []
        outs: list[tuple[float, float]] = []
        for i in range(seq.shape[1]):
            sx = _suffix(i)
            ins += _show(self.curves["input" + sx], steps[:t], seq[:t, i])
            # Upcoming starts at the last fed step so the faint line continues the solid one.
            start = max(t - 1, 0) if t < N else N
            upcoming = self.curves["upcoming" + sx]
            ins += _show(upcoming, steps[start:], seq[start:, i])
            upcoming.continue_dashes(steps[: start + 1], seq[: start + 1, i])
            # A network with fewer outputs than inputs (imported, or shown by rnnviz.show)
            # has no output i to draw beside input i.
            out_i = outputs[valid, i] if i < outputs.shape[1] else np.zeros(0)
            outs += _show(self.curves["output" + sx], steps[:t][valid][: out_i.size], out_i)
            target_i = targets[:, i] if i < targets.shape[1] else np.zeros(0)
            outs += _show(self.curves["target" + sx], steps[: target_i.size], target_i)
        moved = self._set_ranges(seq, outputs[valid], targets, max(N, t, 1), text)
        self._on_selection_changed()
        if rebuilt or moved:
            self._repaint.whole()  # every curve is drawn elsewhere
            return
        for plot, changed in ((self.inputs_plot, ins), (self.outputs_plot, outs)):
            if changed:
                first, last = min(a for a, _ in changed), max(b for _, b in changed)
                self._repaint.narrow(plot.getViewBox(), first, last, self._reach_px())

    def _mark_clamped(self, clamped: tuple[bool, bool]) -> None:
        """Each plot's title says when some of its values are drawn at the edge."""
        if clamped == self._clamped:
            return
        self._clamped = clamped
        plots = (self.inputs_plot, self.outputs_plot)
        for plot, title, big in zip(plots, self._titles, clamped, strict=True):
            shown = title + (plot_style.CLAMPED_NOTE if big else "")
            plot_style.plot_title(plot, shown, points=sizes.LABEL_PT)

    def _per_step(self, values: np.ndarray, classes: bool = False) -> np.ndarray:
        """What the curves show per step: components (numbers) or a class index (text).

        ``classes``: the values are class indices already (text targets).
        """
        if classes:
            return values.astype(float)[:, None]  # (T, 1)
        if self.session.config.encoding != "text":
            return values[:, :MAX_COMPONENTS]  # (T, n)
        if values.shape[0] == 0:
            return np.zeros((0, 1))
        return np.argmax(values, axis=1).astype(float)[:, None]  # (T, 1) one-hot → index

    def _reach_px(self) -> float:
        """How far past its step a point's marks reach, in pixels: the largest marker's
        radius (a text target's circle), its pen and a pixel of antialiasing."""
        return sizes.line_width(_TEXT_TARGET_PX) / 2 + sizes.line_width(2.5) + 1.0

    def _set_ranges(
        self, seq: np.ndarray, outputs: np.ndarray, targets: np.ndarray, N: int, text: bool
    ) -> bool:
        """Fixed ranges from what will be shown (the inputs' over the whole sequence), in
        round numbers, so they change only now and then as outputs come in: an axis that
        changes is laid out and drawn again (≈ 1 ms a step). Returns whether they changed."""
        if text:
            vocab = self.session.vocab
            key: tuple[object, ...] = (N, vocab)
        else:
            shown = np.concatenate([outputs.ravel(), targets.ravel()])
            key = (N, _rounded(_padded(seq)), _rounded(_padded(shown)))
        if key == self._axes_key:
            return False
        self._axes_key = key
        self.inputs_plot.setXRange(0.5, N + 0.5, padding=0)
        plots = (self.inputs_plot, self.outputs_plot)
        if text:
            self._fit_characters()
            return True
        for plot, y_range in zip(plots, key[1:], strict=True):
            plot.getAxis("left").setTicks(None)
            plot.setYRange(*y_range, padding=0)
        return True

    def _markers_fit(self, steps: int) -> bool:
        """Markers on every step while they stay apart; closer, they merge into a band."""
        width = self.outputs_plot.getViewBox().width()
        room = width / max(steps, 1)
        return room >= _MARKER_ROOM * sizes.line_width(_LINE_MARKER_PX)

    def _on_resized(self) -> None:
        s = self.session
        text = s.config.encoding == "text"
        if (
            self._layout_key is not None
            and self._markers_fit(s.sequence.shape[0]) != (self._layout_key[2])
        ):
            self._redraw()  # the curves are built again, with or without markers
        elif text:
            self._fit_characters()

    def _fit_characters(self) -> None:
        """Text: one row per character, its tick labels thinned to what fits the height (a
        visible glyph for space and newline), and room above the top row and below the
        bottom one for the targets' circles."""
        vocab = self.session.vocab
        rows = max(len(vocab) - 1, 0)
        radius = sizes.line_width(_TEXT_TARGET_PX) / 2 + 2  # px, with the pen
        for plot in (self.inputs_plot, self.outputs_plot):
            height = max(plot.getViewBox().height(), 4 * radius)
            # pad (in rows) such that pad · px_per_row ≥ radius, px_per_row = height / span
            pad = max(0.5, radius * rows / (height - 2 * radius))
            plot.setYRange(-pad, rows + pad, padding=0)
            axis = plot.getAxis("left")
            line = QFontMetricsF(axis.style["tickFont"] or QFont()).height()
            per_row = height / (rows + 2 * pad)
            every = max(1, math.ceil(1.1 * line / per_row))
            labelled = [(float(k), _char_label(c)) for k, c in enumerate(vocab) if k % every == 0]
            unlabelled = [(float(k), "") for k in range(len(vocab)) if k % every]
            axis.setTicks([labelled, unlabelled])

    def _on_selection_changed(self) -> None:
        step = self.session.selected_step
        plots = (self.inputs_plot, self.outputs_plot)
        for plot, marker in zip(plots, self.markers, strict=True):
            before = marker.value() if marker.isVisible() else None
            marker.setVisible(step is not None)
            if step is not None:
                marker.setValue(step)
            if step != before:
                for moved in {before, step} - {None}:
                    self._repaint.narrow(plot.getViewBox(), moved, moved, self._reach_px())

    def _on_click(self, event: object) -> None:
        """A left click on a fed step (in either plot) focuses every panel on it."""
        if event.button() != Qt.MouseButton.LeftButton:
            return
        for plot in (self.inputs_plot, self.outputs_plot):
            view = plot.getViewBox()
            if view.sceneBoundingRect().contains(event.scenePos()):
                step = round(view.mapSceneToView(event.scenePos()).x())
                if 1 <= step <= self.session.t:
                    self.session.select(step)
                return


def _show(curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """``curve`` shows these points (x: steps). Set only when they differ from what it shows:
    setting the same points again lays the curve out and repaints its plot, and a change of
    a setting (ρ, the seed …) changes the outputs, never the inputs or targets. Returns the
    steps between which the drawn curve changed ([] for none).

    A long curve drawn as each pixel column's extremes (``long_curves``) groups its points
    from its first step: when that moves (the inputs to come), every column may change."""
    shown_x, shown_y = curve.getOriginalDataset()
    if shown_x is not None and np.array_equal(shown_x, x) and np.array_equal(shown_y, y):
        return []
    was_reduced = _reduced(curve)
    curve.setData(x, y)
    if was_reduced or _reduced(curve):
        x_ends = [v for v in (shown_x, x) if v is not None and v.size]  # (·,) each
        return [(min(float(v.min()) for v in x_ends) - 1, max(float(v.max()) for v in x_ends) + 1)]
    steps = _changed_steps(shown_x, shown_y, x, y)
    return [] if steps is None else [steps]


def _reduced(curve: pg.PlotDataItem) -> bool:
    """Whether ``curve`` draws fewer points than it was given (peak downsampling)."""
    given, drawn = curve.getOriginalDataset()[0], curve.getData()[0]
    return given is not None and drawn is not None and len(drawn) != len(given)


def _changed_steps(
    old_x: np.ndarray | None, old_y: np.ndarray | None, x: np.ndarray, y: np.ndarray
) -> tuple[float, float] | None:
    """The first and last step whose drawing differs between the points (old_x, old_y) and
    (x, y), both on whole steps, in increasing order: a changed point moves the segments to
    its neighbours too. None when neither has a point."""
    if old_x is None or old_y is None or old_x.size == 0 or x.size == 0:
        both = np.concatenate([v for v in (old_x, x) if v is not None])  # (n,)
        if both.size == 0:
            return None
        return float(both.min()) - 1.0, float(both.max()) + 1.0
    if _run(old_x) and _run(x):  # a step's curves: the few comparisons of their overlap
        return _changed_run(int(old_x[0]), old_y, int(x[0]), y)
    lo = int(min(old_x.min(), x.min()))
    size = int(max(old_x.max(), x.max())) - lo + 1
    before, after = np.full(size, np.nan), np.full(size, np.nan)  # (size,) by step
    before[old_x.astype(int) - lo] = old_y
    after[x.astype(int) - lo] = y
    same = (before == after) | (np.isnan(before) & np.isnan(after))  # (size,)
    steps = np.flatnonzero(~same) + lo  # (k,)
    if steps.size == 0:  # the same drawing from other arrays (a step listed twice)
        steps = np.array([lo, lo + size - 1])
    return float(steps.min()) - 1.0, float(steps.max()) + 1.0


def _run(x: np.ndarray) -> bool:
    """Whether the increasing whole steps ``x`` follow one another without a gap."""
    return x.dtype.kind in "iu" and int(x[-1]) - int(x[0]) == x.size - 1


def _changed_run(a: int, old_y: np.ndarray, b: int, y: np.ndarray) -> tuple[float, float]:
    """``_changed_steps`` for points on the runs of steps from ``a`` (old_y) and from ``b``
    (y): where the values of the steps both have differ, and the steps one of them has
    (a step only one has is counted changed even when it is not a number: more repainted)."""
    a1, b1 = a + old_y.size - 1, b + y.size - 1  # last steps
    first, last = min(a, b), max(a1, b1)
    lo, hi = max(a, b), min(a1, b1)  # the steps both have
    if lo > hi:
        return float(first) - 1.0, float(last) + 1.0
    u, v = old_y[lo - a : hi - a + 1], y[lo - b : hi - b + 1]  # (m,) each
    differ = np.flatnonzero((u != v) & ((u == u) | (v == v)))  # NaN equals NaN here
    ends = [first, lo - 1] if first < lo else []
    ends += [hi + 1, last] if last > hi else []
    ends += [lo + int(differ[0]), lo + int(differ[-1])] if differ.size else []
    if not ends:  # the same drawing from other arrays
        ends = [first, last]
    return float(min(ends)) - 1.0, float(max(ends)) + 1.0


def _swatch(color: str, glyph: str) -> str:
    return f'<span style="color:{color}">{glyph}</span>'


def _titles(text: bool, n: int) -> tuple[str, str]:
    """The two plots' titles, each with the legend of its marks (colours by kind, or by
    component for vectors)."""
    p = colors()
    faint = _faint(p.INPUT)
    if text:
        return (
            f"input character {_swatch(p.INPUT, '●')} fed {_swatch(faint, '●')} to come",
            f"predicted {_swatch(p.OUTPUT, '●')} (argmax y<sub>t</sub>), "
            f"target {_swatch(p.TARGET, '◯')}",
        )
    one = n == 1
    top = (
        f"input x<sub>t</sub> {_swatch(p.INPUT if one else p.INK, '━●━')} fed "
        f"{_swatch(faint if one else p.MUTED, '╍●╍')} to come"
    )
    bottom = (
        f"output y<sub>t</sub> {_swatch(p.OUTPUT if one else p.INK, '━■━')}, "
        f"target {_swatch(p.TARGET if one else p.INK, '╍○╍')}"
    )
    if not one:
        bottom += " &nbsp;" + " ".join(_swatch(p.COMPONENTS[i], f"■{i + 1}") for i in range(n))
    return top, bottom


def _faint(color: str) -> str:
    """The colour of inputs still to come: ``color`` faded towards the paper."""
    c = pg.mkColor(color)
    return (c.darker(170) if colors().dark else c.lighter(160)).name()


def _char_label(c: str) -> str:
    """A visible tick label for a vocabulary character (space and newline included)."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(c, c)


def _rounded(span: tuple[float, float]) -> tuple[float, float]:
    """``span`` widened to whole steps of 1, 2 or 5 × 10^k (about eight of them)."""
    low, high = span
    step = plot_style.nice_ceiling((high - low) / 8)
    return (math.floor(low / step) * step, math.ceil(high / step) * step)


def _padded(values: np.ndarray) -> tuple[float, float]:
    """(low, high) around the finite values with 10 % room (−1..1 for no data)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (-1.0, 1.0)
    low, high = float(finite.min()), float(finite.max())
    pad = 0.1 * (high - low) if high > low else max(abs(high) * 0.1, 0.5)
    return (low - pad, high + pad)
