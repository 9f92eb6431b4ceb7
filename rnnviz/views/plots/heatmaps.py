"""Heatmaps over time of the hidden state and of dL/dh_t.

Both draw a (T, H) array with ``pg.ImageItem(axisOrder="col-major")``: the first axis is x,
so ``image_item.image`` *is* the (T, H) array (no transpose), step t is the column centred
on x = t (1-based) and hidden unit i the row centred on y = i (1-based, unit 1 at the top).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtWidgets import QGraphicsRectItem, QVBoxLayout, QWidget

from rnnviz.session import Change, Session
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, widget_style
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.focus_text import focus_name, focus_tip
from rnnviz.views.plots.image_item import ImageItem
from rnnviz.views.plots.narrowed_repaint import NarrowedRepaint

FEED_HINT = "press → to feed the first input"
# On two lines: on one it is wider than the heatmap at the window's default size.
BACKWARD_HINT = "press B to run\nbackpropagation through time"
# Bounded activations get fixed colour levels; the others are scaled to the trace.
_BOUNDED = ("tanh", "sigmoid")


def first_bad_step(values: np.ndarray) -> int | None:
    """The first 1-based step whose row holds inf or NaN, or None."""
    bad = ~np.isfinite(values).all(axis=1)  # (T,)
    return int(np.argmax(bad)) + 1 if bad.any() else None


def _changed_steps(old: np.ndarray | None, new: np.ndarray) -> tuple[int, int] | None:
    """The first and last step (1-based) whose column differs between the (T, H) values
    drawn before and now, or None when all may have (no earlier values, another height);
    (1, 0) when none did."""
    if old is None or old.shape[1:] != new.shape[1:]:
        return None
    common = min(old.shape[0], new.shape[0])
    differ = (old[:common] != new[:common]).any(axis=1)  # (common,)
    rows = np.flatnonzero(differ)  # (k,) 0-based
    first = int(rows[0]) if rows.size else common
    last = int(rows[-1]) if rows.size else -1
    if old.shape[0] != new.shape[0]:  # columns that came or went
        first, last = min(first, common), max(old.shape[0], new.shape[0]) - 1
    return first + 1, last + 1


class _TimeHeatmap(QWidget):
    """A (T, H) heatmap over the steps with a colour bar, a selected-step marker and a badge.

    Public, read-only for the main window and tests:
    ``image_item`` (pg.ImageItem; ``.image`` is the shown (T, H) array, None when empty),
    ``color_bar`` (pg.ColorBarItem; ``.levels()``), ``marker`` (pg.InfiniteLine on the
    selected step), ``badge`` (QLabel, "exploded at t = …"), ``hint`` (pg.TextItem shown
    when there is nothing to draw), ``plot`` (pg.PlotWidget), ``title`` (QLabel: for a
    stack it names the layer and direction shown, and its tooltip what that has computed).
    Clicking a column selects that step.
    """

    def __init__(
        self, session: Session, title: str, bar_label: str, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._extent: tuple[int, int] | None = None  # (N steps, H units) the axes show
        self._ticks: tuple[object, ...] | None = None  # what the ticks were made for
        self._rect = QRectF()  # where the image is drawn, in (step, unit) coordinates
        self.plot = pg.PlotWidget(
            background=colors().BACKGROUND, enableMenu=False, axisItems=plot_style.plot_axes()
        )
        item = self.plot.getPlotItem()
        # "unit", not "hidden unit": a rotated label longer than a short plot is cut off.
        plot_style.style_plot(item, "step t", "unit")
        item.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()
        item.invertY(True)  # unit 1 on top, like the rows of a matrix
        item.setContentsMargins(0, 12, 0, 0)  # room for the colour bar's top number
        self.image_item = ImageItem(axisOrder="col-major")
        item.addItem(self.image_item)
        self.color_bar = plot_style.ColorBar((-1.0, 1.0), plot_style.diverging_colormap())
        plot_style.style_color_bar(self.color_bar, bar_label)
        self.color_bar.setImageItem(self.image_item, insert_in=item)
        self.marker = plot_style.selection_marker()
        self.marker.hide()
        item.addItem(self.marker, ignoreBounds=True)
        self.hint = plot_style.hint_item("")
        item.addItem(self.hint, ignoreBounds=True)
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        item.getViewBox().sigResized.connect(self._set_ticks)
        # A step changes a column or two: only those are painted again.
        self._repaint = NarrowedRepaint(self.plot, (item.getViewBox(),))
        self._drawn: np.ndarray | None = None  # a copy of the values drawn, to compare with

        self._title = title
        self.title = widget_style.title_label(title)
        self._retitle()
        self.badge = widget_style.badge_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(widget_style.title_row(self.title, self.badge))
        layout.addWidget(self.plot, 1)

        listen(session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)

    # What the picture is drawn from: a change of any of these draws it again.
    _DRAWN_FROM = Change(0)
    # Whether a redraw compares the values with those drawn, to repaint only the steps that
    # changed (a step of the hidden state changes one column; each frame of the backward
    # sweep moves the grey band over the whole picture anyway).
    _NARROWS = True

    def _on_session_changed(self, changes: Change) -> None:
        if changes & (Change.FOCUS | Change.DATA):
            self._retitle()
        if changes & self._DRAWN_FROM:
            self._redraw()  # with the marker
        elif changes & Change.SELECTION:
            self._on_selection_changed()

    def _retitle(self) -> None:
        """The title names the layer and direction of a stack that the heatmap shows."""
        s = self.session
        name = focus_name(s.depth, s.focus)
        self.title.setText(f"{self._title} · {name}" if name else self._title)
        self.title.setToolTip(focus_tip(s))

    def _on_appearance_changed(self) -> None:
        """Ticks spaced for the type size; the badge drawn again in the theme's colours."""
        self._ticks = None
        self._set_ticks()
        self._redraw()

    def _redraw(self) -> None:
        raise NotImplementedError

    # ---- drawing -------------------------------------------------------------------
    def _show(
        self,
        values: np.ndarray | None,
        levels: tuple[float, float],
        hint: str,
        finite: bool = False,
    ) -> None:
        """Draw (T, H) values (None or no rows: empty with the hint) at fixed levels;
        ``finite``: the caller has already replaced inf and NaN."""
        H = self.session.config.hidden_size
        N = max(self.session.sequence.shape[0], self.session.t, 1)
        # What is drawn anew besides the columns whose values changed: everything, when
        # the axes, the colours or the hint change.
        whole = (hint, bool(hint)) != (self.hint.toPlainText(), self.hint.isVisible())
        if self._extent != (N, H):  # axes and ticks only when the shape changes, not per frame
            whole = True
            self._extent = (N, H)
            self.plot.getPlotItem().setRange(
                xRange=(0.5, N + 0.5), yRange=(0.5, H + 0.5), padding=0, disableAutoRange=True
            )
            self._set_ticks()
            self.hint.setPos((N + 1) / 2, (H + 1) / 2)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        if levels != self.color_bar.levels():
            whole = True
            self.color_bar.setLevels(levels)
            self._set_ticks()
        if values is None or values.shape[0] == 0:
            if self.image_item.image is not None:  # clearing an empty image repaints it
                self.image_item.clear()
            self._drawn = None
            self._repaint.whole()
            return
        T, width = values.shape
        # ImageItem draws inf/NaN as a silently blank image: show them as 0 (with a badge).
        if not finite and not np.isfinite(values).all():  # a check: a copy costs 10× more
            values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        changed = None if whole or not self._NARROWS else _changed_steps(self._drawn, values)
        if self._NARROWS:
            self._drawn = values.copy()  # (T, H): the caller's array may be a reused buffer
        self.image_item.setImage(values, autoLevels=False, levels=levels)
        rect = QRectF(0.5, 0.5, T, width)
        if rect != self._rect:
            self._rect = rect
            self.image_item.setRect(rect)
        if changed is None:
            self._repaint.whole()
        else:
            # Step t is the column from t − ½ to t + ½; a pixel more for rounding.
            box = self.plot.getPlotItem().getViewBox()
            self._repaint.narrow(box, changed[0] - 0.5, changed[1] + 0.5, 1.0)

    def _set_ticks(self) -> None:
        """As many labels as the plot has room for: integer unit numbers (no 2.5), steps
        whose labels do not run together, and the colour bar's levels."""
        H = self.session.config.hidden_size
        N = max(self.session.sequence.shape[0], self.session.t, 1)
        item = self.plot.getPlotItem()
        height, width = item.getViewBox().height(), item.getViewBox().width()
        every = plot_style.label_every(H, height)
        key = (H, N, every, self.color_bar.levels(), round(height), round(width))
        if key == self._ticks:
            return
        self._ticks = key
        item.getAxis("left").setTicks([plot_style.count_ticks(H, height)])
        plot_style.set_step_ticks(item.getAxis("bottom"), N, width)
        self.color_bar.getAxis("right").setTicks(plot_style.level_ticks(*key[3], height))

    def _on_selection_changed(self) -> None:
        step = self._marked_step()
        before = self.marker.value() if self.marker.isVisible() else None
        self.marker.setVisible(step is not None)
        if step is not None:
            self.marker.setValue(step)
        if step != before:
            reach = self.marker.pen.widthF() + 2.0
            box = self.plot.getPlotItem().getViewBox()
            for moved in {before, step} - {None}:
                self._repaint.narrow(box, moved, moved, reach)

    def _marked_step(self) -> int | None:
        return self.session.selected_step

    def _on_click(self, event: object) -> None:
        """A left click on a fed column focuses every panel on that step."""
        if event.button() != Qt.MouseButton.LeftButton:
            return
        view = self.plot.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        step = round(view.mapSceneToView(event.scenePos()).x())
        if 1 <= step <= self.session.t:
            self.session.select(step)


class StateHeatmap(_TimeHeatmap):
    """The hidden state h_t over the fed steps: ``image_item.image`` equals session.trace.h.

    Levels: −1..1 for tanh, sigmoid and the gated cells (their h lies in that range);
    for relu/linear ±(1, 2 or 5 × 10^k) just above max |h| of the trace, recomputed on each
    step. Non-finite rows are drawn as 0 and ``badge`` says "exploded at t = …".
    See _TimeHeatmap for the public attributes.
    """

    _DRAWN_FROM = Change.STEPS | Change.SEQUENCE | Change.CONFIG

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, "hidden state h<sub>t</sub>", "h", parent)
        self._redraw()
        self._on_selection_changed()

    def _levels(self, h: np.ndarray) -> tuple[float, float]:
        p = self.session.params
        if p.cell != "vanilla" or p.activation in _BOUNDED:
            return (-1.0, 1.0)
        return plot_style.symmetric_levels(h)

    def _redraw(self) -> None:
        trace = self.session.trace
        h = trace.h  # (T, H)
        self._show(h, self._levels(h), "" if trace.T else FEED_HINT)
        bad = [s for s in (trace.exploded_at, first_bad_step(h)) if s is not None]
        widget_style.set_badge(self.badge, f"exploded at t = {min(bad)}" if bad else "")
        self._on_selection_changed()


class GradientHeatmap(_TimeHeatmap):
    """dL/dh_t over the steps: ``image_item.image`` equals session.gradients.dL_dh.

    Levels are ±(1, 2 or 5 × 10^k) just above max |dL/dh|, fixed per backward pass. While
    the backward sweep runs (session.sweep = k), steps before k are drawn as 0 and covered
    by a grey band (``pending``, a QGraphicsRectItem). Without gradients the image is empty
    and ``hint`` says to press B. See _TimeHeatmap for the other public attributes.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, "gradient ∂L/∂h<sub>t</sub>", "∂L/∂h", parent)
        self.pending = QGraphicsRectItem()
        self.pending.setBrush(pg.mkBrush(colors().PENDING))
        self.pending.setPen(pg.mkPen(None))
        self.pending.hide()
        self.plot.getPlotItem().addItem(self.pending, ignoreBounds=True)
        self._levels = (-1.0, 1.0)
        # dL/dh with inf/NaN as 0, made once per backward pass: at 5000 × 256 cleaning it
        # again for every frame of the sweep took most of a frame's 100 ms.
        self._clean: tuple[object, np.ndarray] | None = None
        self._set_levels()
        self._redraw()

    def _on_appearance_changed(self) -> None:
        self.pending.setBrush(pg.mkBrush(colors().PENDING))
        super()._on_appearance_changed()

    def _marked_step(self) -> int | None:
        # An empty heatmap has no step to point at (and a marker there would not follow the
        # steps: they leave this panel untouched).
        return self.session.selected_step if self.session.gradients is not None else None

    _DRAWN_FROM = Change.GRADIENTS | Change.SWEEP | Change.STEPS | Change.SEQUENCE | Change.CONFIG
    _NARROWS = False

    def _on_session_changed(self, changes: Change) -> None:
        if changes & Change.GRADIENTS:
            self._set_levels()
        super()._on_session_changed(changes)

    def _set_levels(self) -> None:
        g = self.session.gradients
        # Computed once per backward pass so the colours stay put during the sweep.
        self._levels = (-1.0, 1.0) if g is None else plot_style.symmetric_levels(g.dL_dh)

    def _redraw(self) -> None:
        g = self.session.gradients
        self._on_selection_changed()  # the marker comes and goes with the gradients
        if g is None:
            self._clean = None
            self._show(None, self._levels, BACKWARD_HINT if self.session.t else FEED_HINT)
            self.pending.hide()
            widget_style.set_badge(self.badge, "")
            return
        if self._clean is None or self._clean[0] is not g:
            self._clean = (g, np.nan_to_num(g.dL_dh, nan=0.0, posinf=0.0, neginf=0.0))
        shown = self._clean[1]  # (T, H)
        sweep = self.session.sweep
        if sweep is not None:
            shown = shown.copy()
            shown[: sweep - 1] = 0.0  # not reached by the backward pass yet
        self._show(shown, self._levels, "", finite=True)
        before = (self.pending.isVisible(), self.pending.rect())
        self.pending.setVisible(sweep is not None and sweep > 1)
        if sweep is not None:
            self.pending.setRect(QRectF(0.5, 0.5, sweep - 1, g.dL_dh.shape[1]))
        if (self.pending.isVisible(), self.pending.rect()) != before:
            self._repaint.whole()  # the grey band over the steps not reached yet moved
        bad = g.exploded_at if g.exploded_at is not None else first_bad_step(g.dL_dh)
        where = f" ({g.exploded_in} pass)" if g.exploded_in else ""
        widget_style.set_badge(self.badge, f"exploded at t = {bad}{where}" if bad else "")
