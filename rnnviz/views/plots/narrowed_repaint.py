"""Repaint only the steps a redraw changed, not every item whose data was set.

A step changes the plots over time in a column or two (the new step's point, the marker),
yet pyqtgraph repaints the whole rectangle of every item given new data: both plots of the
sequence panel, the whole hidden-state heatmap, about a fifth of a step frame at 200 steps.
``NarrowedRepaint`` takes over a view's repaints (``NoViewportUpdate``): it repaints what
the scene says changed, as pyqtgraph's ``BoundingRectViewportUpdate`` would, except that a
redraw may say which steps of which plot it changed (``narrow``). The next repaint then
covers, inside that plot's data area, those steps only; whatever changed elsewhere (another
plot, axes, titles, colour bars) is repainted whole, as before. One rectangle around it
all: a step changes both plots of the sequence panel, and painting them clipped to Qt's
region of six rectangles took ~40 % longer than the whole span. With ``apart``, the plots'
changes are painted in passes of their own when that rectangle would mostly cover what did
not change: a step of a bidirectional network moves every output, yet one step of the
inputs above, and Qt tells each item only the bounding rectangle of a paint's region (a
line of the inputs drew all its steps); ~10 % less painting.

The panel that narrows must have compared what it shows with what it showed: every change
inside the data areas in that turn of the event loop has to lie within the steps it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyqtgraph as pg
from PyQt6.QtCore import QObject, QPointF, QRectF
from PyQt6.QtWidgets import QGraphicsView

# Pixels around a data area that still belong to it: the pen and markers of a point on its
# edge reach past it (the view box clips them).
_EDGE_PX = 12.0
_AA_PX = 2  # antialiased edges touch a pixel beyond what they cover
# Passes of their own when one rectangle around all would be this many times their area.
_APART_AREA = 1.5


class NarrowedRepaint(QObject):
    """The repaints of ``view``, whose plots over the steps are ``boxes`` (their x is the
    step); ``apart``: each plot's changes may be painted in a pass of its own. A child of
    the view: it lives and goes with it."""

    def __init__(
        self, view: QGraphicsView, boxes: Sequence[pg.ViewBox], apart: bool = False
    ) -> None:
        super().__init__(view)
        self._view = view
        self._boxes = tuple(boxes)
        self._apart = apart
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
        elsewhere = QRectF()
        for rect in rects:
            i = next((i for i, area in areas.items() if area.contains(rect)), None)
            if i is None:
                elsewhere = elsewhere.united(rect)
            else:
                inside[i] = inside[i].united(rect)
        parts = [elsewhere] if not elsewhere.isEmpty() else []
        for i, named in steps.items():
            if not inside[i].isEmpty():
                band = self._band(self._boxes[i], *named)
                height = inside[i]
                parts.append(QRectF(band.left(), height.top(), band.width(), height.height()))
        if not parts:
            return
        shown = QRectF()
        for part in parts:
            shown = shown.united(part)
        if not self._apart or _area(shown) <= _APART_AREA * sum(map(_area, parts)):
            parts = [shown]
        viewport = self._view.viewport()
        assert viewport is not None
        *now, last = (self._view.mapFromScene(part).boundingRect() for part in parts)
        for pixels in now:  # painted at once: Qt would unite what is waiting to be painted
            viewport.repaint(pixels.adjusted(-_AA_PX, -_AA_PX, _AA_PX, _AA_PX))
        viewport.update(last.adjusted(-_AA_PX, -_AA_PX, _AA_PX, _AA_PX))


def _area(rect: QRectF) -> float:
    return rect.width() * rect.height()
