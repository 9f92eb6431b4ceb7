"""Repaint only the steps a redraw changed, not every item whose data was set.

A step changes the plots over time in a column or two (the new step's point, the marker),
yet pyqtgraph repaints the whole rectangle of every item given new data: both plots of the
sequence panel, the whole hidden-state heatmap, about a fifth of a step frame at 200 steps.
``NarrowedRepaint`` takes over a view's repaints (``NoViewportUpdate``): it repaints what
the scene says changed, as pyqtgraph's ``BoundingRectViewportUpdate`` would, except that a
redraw may say which steps of which plot it changed (``narrow``). The next repaint then
covers, inside that plot's data area, those steps only; whatever changed elsewhere (another
plot, axes, titles, colour bars) is repainted whole, as before. Always one rectangle
around it all: a step changes both plots of the sequence panel, and painting them clipped
to Qt's region of six rectangles took ~40 % longer than the whole span.

The panel that narrows must have compared what it shows with what it showed: every change
inside the data areas in that turn of the event loop has to lie within the steps it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyqtgraph as pg
from PyQt6.QtCore import QObject, QPointF, QRect, QRectF
from PyQt6.QtWidgets import QGraphicsView

# Pixels around a data area that still belong to it: the pen and markers of a point on its
# edge reach past it (the view box clips them).
_EDGE_PX = 12.0
_AA_PX = 2  # antialiased edges touch a pixel beyond what they cover


class NarrowedRepaint(QObject):
    """The repaints of ``view``, whose plots over the steps are ``boxes`` (their x is the
    step). A child of the view: it lives and goes with it."""

    def __init__(self, view: QGraphicsView, boxes: Sequence[pg.ViewBox]) -> None:
        super().__init__(view)
        self._view = view
        self._boxes = tuple(boxes)
        # The steps named in each plot (first, last, reach in pixels), until repainted: mapped
        # to the scene once per repaint, not at every change (pyqtgraph maps points slowly).
        self._steps: dict[int, tuple[float, float, float]] = {}
        self._whole = False  # a redraw asked for all that changed, until repainted
        view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.NoViewportUpdate)
        scene = view.scene()
        assert scene is not None
        scene.changed.connect(self._on_scene_changed)

    def narrow(self, box: pg.ViewBox, first: float, last: float, reach_px: float) -> None:
        """The changes in the data area of ``box`` until the next repaint lie between steps
        ``first`` and ``last`` (x, in data units) and ``reach_px`` pixels around them
        (markers, pens). After ``whole``, nothing is narrowed until the repaint."""
        if self._whole:
            return
        i = self._boxes.index(box)
        was = self._steps.get(i)
        if was is not None:
            first, last, reach_px = min(was[0], first), max(was[1], last), max(was[2], reach_px)
        self._steps[i] = (first, last, reach_px)

    def whole(self) -> None:
        """The next repaint covers all that changed, whatever a redraw narrows it to."""
        self._steps = {}
        self._whole = True

    @staticmethod
    def _band(box: pg.ViewBox, first: float, last: float, reach_px: float) -> QRectF:
        """The scene rectangle of steps ``first`` … ``last`` of ``box`` and ``reach_px``
        around them, over the whole height of its data area."""
        area = box.sceneBoundingRect()
        a = box.mapViewToScene(QPointF(first, 0.0)).x()
        b = box.mapViewToScene(QPointF(last, 0.0)).x()
        left, right = min(a, b) - reach_px, max(a, b) + reach_px
        return QRectF(left, area.top(), right - left, area.height())

    def _on_scene_changed(self, rects: Iterable[QRectF]) -> None:
        steps, self._steps, self._whole = self._steps, {}, False
        # The data areas narrowed: what changed in one lies in its band of steps, and in
        # the height of the items' rectangles there (a new ρ moves the outputs' curve over
        # all steps, but only over the height it takes).
        areas = {
            i: self._boxes[i].sceneBoundingRect().adjusted(-_EDGE_PX, -_EDGE_PX, _EDGE_PX, _EDGE_PX)
            for i in steps
        }
        inside = {i: QRectF() for i in steps}
        shown = QRectF()
        for rect in rects:
            i = next((i for i, area in areas.items() if area.contains(rect)), None)
            if i is None:
                shown = shown.united(rect)
            else:
                inside[i] = inside[i].united(rect)
        for i, named in steps.items():
            if not inside[i].isEmpty():
                band = self._band(self._boxes[i], *named)
                height = inside[i]
                shown = shown.united(
                    QRectF(band.left(), height.top(), band.width(), height.height())
                )
        if shown.isEmpty():
            return
        viewport = self._view.viewport()
        assert viewport is not None
        pixels: QRect = self._view.mapFromScene(shown).boundingRect()
        viewport.update(pixels.adjusted(-_AA_PX, -_AA_PX, _AA_PX, _AA_PX))
