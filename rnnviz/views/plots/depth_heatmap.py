"""‖dL/dh_t‖ of every layer and direction of a stack over the steps: how the gradient fades
back in time and down through the layers, on one log colour scale for all of them."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, QSize, Qt
from PyQt6.QtGui import QFontMetrics
from PyQt6.QtWidgets import QGraphicsRectItem, QSizePolicy, QVBoxLayout, QWidget

from rnnviz.session import Change, Session
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.views.binding import listen
from rnnviz.views.look import plot_style, sizes
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.math_text import math_html
from rnnviz.views.plots.image_item import ImageItem

FLOOR_DECADE = math.log10(LOG_FLOOR)
ROW_PT = 20  # a row: its label and room around it, in points at the appearance's scale
AXES_PT = 50  # the step axis under the rows, and room for the colour bar's name
TIP = (
    "Each row is one layer (and direction) of the stack, the top layer on top; each column "
    "a step. Colour: log₁₀ ‖∂L/∂h_t‖, the whole gradient reaching that state, through later "
    "steps and through the layers above; one scale for every row. Click a cell to show "
    "that layer in the heatmaps and plots, at that step."
)


def depth_rows(depth: tuple[int, int]) -> list[tuple[int, int]]:
    """The (layer, direction) of each row, top to bottom: the top layer first, and a
    bidirectional layer's backward row above its forward row, as the graph draws them."""
    L, D = depth
    return [(k, d) for k in range(L - 1, -1, -1) for d in range(D - 1, -1, -1)]


def row_label(depth: tuple[int, int], row: tuple[int, int]) -> str:
    """'layer 3', or 'layer 3 →' / 'layer 3 ←' for the directions of a bidirectional one."""
    (_, D), (k, d) = depth, row
    return f"layer {k + 1}" + ("" if D == 1 else " ←" if d else " →")


class DepthHeatmap(QWidget):
    """log₁₀ ‖dL/dh_t^(l,d)‖ as a (step, row) image, shown for a stack after the backward pass.

    Public, read-only for the gradient panel and tests: ``image_item`` (pg.ImageItem,
    col-major: ``.image`` is the (T, rows) array, column r the layer and direction
    ``depth_rows(session.depth)[r]``, NaN (transparent) where the pass overflowed or the
    sweep has not reached yet), ``color_bar`` (its ``levels()``: whole decades of the
    pass, fixed during the sweep), ``marker`` (the selected step), ``focus_box`` (the
    outline around the row the other panels show), ``plot``. Hidden while there is nothing
    to show (one layer, one direction, or no backward pass). A click on a cell focuses its
    layer and direction and selects its step.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.plot = pg.PlotWidget(
            background=colors().BACKGROUND, enableMenu=False, axisItems=plot_style.plot_axes()
        )
        item = self.plot.getPlotItem()
        plot_style.style_plot(item, "step t", "")
        item.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()
        item.invertY(True)  # the first row (the top layer) on top
        self.image_item = ImageItem(axisOrder="col-major")
        item.addItem(self.image_item)
        self.color_bar = plot_style.ColorBar(
            (FLOOR_DECADE, FLOOR_DECADE + 1), pg.colormap.get("viridis")
        )
        plot_style.style_color_bar(
            self.color_bar, *(math_html(t) for t in ("log₁₀ ‖∂L/∂h_t‖", "log₁₀ ‖∂L/∂h‖", "log₁₀"))
        )
        self.color_bar.setImageItem(self.image_item, insert_in=item)
        self.marker = plot_style.selection_marker()
        item.addItem(self.marker, ignoreBounds=True)
        self.focus_box = QGraphicsRectItem()
        self.focus_box.setBrush(pg.mkBrush(None))
        item.addItem(self.focus_box, ignoreBounds=True)
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        item.getViewBox().sigResized.connect(self._set_level_ticks)
        self.setToolTip(math_html(TIP))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._levels_of: object = None  # the backward pass the levels were set for
        self._shape: tuple[int, tuple[int, int]] | None = None  # (steps, depth) the axes show
        listen(session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_appearance_changed()

    def sizeHint(self) -> QSize:
        """As tall as its rows' labels need (minimumHeight): the plot above takes the rest."""
        return QSize(super().sizeHint().width(), self.minimumHeight())

    def _on_session_changed(self, changes: Change) -> None:
        if changes & (Change.GRADIENTS | Change.SWEEP | Change.DATA | Change.FOCUS):
            self._redraw()
        elif changes & Change.SELECTION:
            self._show_marker()

    def _on_appearance_changed(self) -> None:
        self.focus_box.setPen(sizes.pen(colors().SELECTION, width=3))
        # Room above the plot for the upper half of the colour bar's top number, which is
        # centred on the top edge (nothing above this panel's plot would hold it).
        half = math.ceil(QFontMetrics(sizes.font(sizes.LABEL_PT)).height() / 2)
        self.plot.getPlotItem().layout.setContentsMargins(1, half, 1, 1)
        self._shape = None  # the row labels at the new type size
        self._redraw()

    def _redraw(self) -> None:
        s = self.session
        norms = s.depth_grad_norm  # (L, D, t) or None
        L, D = s.depth
        shown = norms is not None and L * D > 1
        self.setVisible(shown)
        if not shown or s.gradients is None:
            return
        rows = depth_rows((L, D))
        T = norms.shape[2]
        # The steps of the panels stacked with this one: one time axis.
        N = max(s.sequence.shape[0], s.t, 1)
        valid = s.gradients.valid  # (T,)
        with np.errstate(divide="ignore"):
            logs = np.log10(np.maximum(np.stack([norms[k, d] for k, d in rows], axis=1), LOG_FLOOR))
        logs[~valid] = np.nan  # (T, rows)
        if self._levels_of is not s.gradients:
            self._levels_of = s.gradients
            self.color_bar.setLevels(plot_style.decade_levels(logs, FLOOR_DECADE))
            self._set_level_ticks()
        if s.sweep is not None:
            logs[: s.sweep - 1] = np.nan  # not reached by the backward pass yet
        self.image_item.setImage(logs, autoLevels=False, levels=self.color_bar.levels())
        self.image_item.setRect(QRectF(0.5, 0.5, T, len(rows)))
        if self._shape != (N, (L, D)):
            self._shape = (N, (L, D))
            self._set_axes(N, (L, D))
        r = rows.index(s.focus)
        self.focus_box.setRect(QRectF(0.5, r + 0.5, T, 1))
        self._show_marker()

    def _set_axes(self, N: int, depth: tuple[int, int]) -> None:
        """N steps across (as the panels above), a labelled row per layer and direction."""
        rows = depth_rows(depth)
        item = self.plot.getPlotItem()
        item.setRange(
            xRange=(0.5, N + 0.5), yRange=(0.5, len(rows) + 0.5), padding=0, disableAutoRange=True
        )
        labels = [(r + 1, row_label(depth, row)) for r, row in enumerate(rows)]
        item.getAxis("left").setTicks([labels])
        self.setMinimumHeight(round(len(rows) * sizes.pt(ROW_PT) + sizes.pt(AXES_PT)))

    def _set_level_ticks(self) -> None:
        """The colour bar's decades, as many labelled as its length holds apart."""
        length = self.plot.getPlotItem().getViewBox().height()
        ticks = plot_style.decade_ticks(*self.color_bar.levels(), length)
        self.color_bar.getAxis("right").setTicks(ticks)

    def _show_marker(self) -> None:
        step = self.session.selected_step
        self.marker.setVisible(step is not None)
        if step is not None:
            self.marker.setValue(step)

    def _on_click(self, event: object) -> None:
        """A left click on a cell: that layer and direction in every panel, at that step."""
        if event.button() != Qt.MouseButton.LeftButton or not self.isVisible():
            return
        view = self.plot.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        point = view.mapSceneToView(event.scenePos())
        step, r = round(point.x()), round(point.y()) - 1
        rows = depth_rows(self.session.depth)
        if 1 <= step <= self.session.t and 0 <= r < len(rows):
            self.session.set_focus(*rows[r])
            self.session.select(step)
