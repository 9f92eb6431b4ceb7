"""Plot curves whose solid lines are stroked in device pixels, as separate segments.

Qt strokes an antialiased wide polyline with joins, under the view's scaling transform,
two to three times slower than the same segments already mapped to pixels (≈ 0.38 ms
against 0.15 ms for 200 points of a wavy line at 3 px), for every curve of every frame that
moves, and more so the more points. An opaque segment's square cap covers the joint with the
next, so the line looks the same. A straight line gains nothing (its outline is simple):
the theory lines keep pyqtgraph's own curves.

A step changes a column or two of a plot (its repaint is narrowed to them): a line then
draws what reaches that column, the solid segments there, or the dashed part there with its
dashes offset by the length of the line before it (Qt dashing the whole line for a narrow
repaint skipped the segments outside the clip in whole patterns, and moved the dashes it
drew). New points alone (``setData(x, y)``) skip pyqtgraph's pass over every style option.

Anything else (translucent pens, fills, step mode, exporters, SVG painters) is drawn by
pyqtgraph as before.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QLineF, QRectF, Qt
from PyQt6.QtGui import QPaintEngine, QPainter, QPen, QTransform
from PyQt6.QtWidgets import QStyleOptionGraphicsItem, QWidget
from pyqtgraph.graphicsItems.PlotDataItem import PlotDataset
from pyqtgraph.Qt import internals


class Curve(pg.PlotDataItem):
    """A ``pg.PlotDataItem`` (same options, data and signals) whose line is a ``_Line``.
    Add it with ``plot.addItem``, as ``plot.plot`` would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._line_styled = False  # whether the line has this item's pen and options
        super().__init__()
        # PlotDataItem makes its PlotCurveItem itself: swap it before any data is set.
        self.curve.sigClicked.disconnect(self.sigClicked)
        self.curve.setParentItem(None)
        self.curve = _Line()
        self.curve.setParentItem(self)
        self.curve.stackBefore(self.scatter)  # markers stay on top of the line
        self.curve.sigClicked.connect(self.sigClicked)
        # With its plot's peak downsampling (``long_curves``), a column's two extremes are
        # what a screen shows; pyqtgraph keeps ~5 points a pixel (and has no setter).
        self.opts["autoDownsampleFactor"] = 1.0
        self.setData(*args, **kwargs)

    def setData(self, *args: Any, **kwargs: Any) -> None:
        """As pyqtgraph's, with a short path for new points alone, ``setData(x, y)``, of a
        line without markers (an animated curve at every step): the points go to the line as
        pyqtgraph would give them (mapped, downsampled, gaps at non-finite values), without
        building every style option again, checking the data's type and the line's pen."""
        if kwargs or len(args) != 2 or not self._plain_line():
            super().setData(*args, **kwargs)
            return
        x, y = (a.view(np.ndarray) if isinstance(a, np.ndarray) else np.array(a) for a in args)
        self._dataset = PlotDataset(x, y) if len(x) and len(y) else None
        self._datasetMapped = self._datasetDisplay = None
        self._adsLastValue = 1
        shown = self._getDisplayDataset()
        if shown is None:
            self.curve.hide()
        else:
            # pyqtgraph's 'auto' connection: all points when known finite, else gaps.
            finite = shown.containsNonfinite is False
            self.curve.set_points(shown.x, shown.y, "all" if finite else "finite", finite)
            self.curve.show()
        self.informViewBoundsChanged()
        self.sigPlotChanged.emit(self)

    def _plain_line(self) -> bool:
        """Whether this curve is a line alone, whose points pyqtgraph connects by itself."""
        o = self.opts
        return (
            o["symbol"] is None
            and o["pen"] is not None
            and isinstance(o["connect"], str)
            and o["connect"] == "auto"
            and not o["stepMode"]
            and self._line_styled
        )

    def updateItems(self, styleUpdate: bool = True) -> None:
        super().updateItems(styleUpdate)
        # pyqtgraph hands the line its style with its points only, none while there are no
        # points: the short path may skip the style once the line has had it.
        self._line_styled = self._dataset is not None and self.opts["pen"] is not None

    def continue_dashes(self, x: np.ndarray, y: np.ndarray) -> None:
        """A dashed line's dashes continue those of a line through the points (x, y) that ends
        where this one starts, as if that line were drawn too: moving the start along the
        same path (the inputs still to come, from the last fed step) moves no dash."""
        lead = (np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        old = self.curve.lead
        if old is None or not all(map(np.array_equal, old, lead)):
            self.curve.lead = lead
            self.curve.update()


def long_curves(plot: pg.PlotItem) -> None:
    """Draw the plot's curves of many steps (100,000 on 1,000 pixels) as each pixel column's
    lowest and highest point, what a screen shows of them, not as a 100,000-point path
    (0.4 s a frame). A plot sets this for every curve added to it."""
    plot.setDownsampling(auto=True, mode="peak")


class _Line(pg.PlotCurveItem):
    def __init__(self) -> None:
        super().__init__()
        # Qt says which part of the line a paint is for (``exposedRect``), not all of it.
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self._lines = internals.PrimitiveArray(QLineF, 4)  # reused: no allocation a frame
        # A device pixel's width and height in data units, until the view's scale changes.
        self._pixel: tuple[float, float] | None = None
        # The points of a line before this one, whose dashes this one continues (x, y).
        self.lead: tuple[np.ndarray, np.ndarray] | None = None

    def set_points(self, x: np.ndarray, y: np.ndarray, connect: str, finite: bool) -> None:
        """Show the points (x, y), as ``setData(x=x, y=y, connect=connect,
        skipFiniteCheck=finite)`` would with the pen and options this line has."""
        self.xData, self.yData = x, y  # (n,) (n,)
        self.opts["connect"], self.opts["skipFiniteCheck"] = connect, finite
        self.path = self.fillPath = self._fillPathList = self._mouseShape = None
        self._lineSegmentsRendered = False
        self.invalidateBounds()
        self.prepareGeometryChange()
        self.update()
        self.sigPlotChanged.emit(self)

    def viewTransformChanged(self) -> None:
        self._pixel = None
        super().viewTransformChanged()

    def boundingRect(self) -> QRectF:
        """pyqtgraph's rectangle (the data and the pen's pixels around it), whose pixel size
        is kept until the view's scale changes instead of asked of Qt at every step."""
        if self._boundingRect is None:
            xmin, xmax = self.dataBounds(ax=0)
            ymin, ymax = self.dataBounds(ax=1)
            if xmin is None or xmax is None or ymin is None or ymax is None:
                return QRectF()
            pad = self.pixelPadding()
            px, py = self._pixel_size() if pad > 0 else (0.0, 0.0)
            px, py = px * pad, py * pad
            self._boundingRect = QRectF(
                xmin - px, ymin - py, 2 * px + xmax - xmin, 2 * py + ymax - ymin
            )
        return self._boundingRect

    def _pixel_size(self) -> tuple[float, float]:
        """A device pixel's width and height in data units (0 before the line is shown)."""
        if self._pixel is None:
            vectors = self.pixelVectors()
            if any(v is None for v in vectors):
                return 0.0, 0.0  # asked again once the line is in a view
            self._pixel = (_length(vectors[0]), _length(vectors[1]))
        return self._pixel

    def dataBounds(
        self, ax: int, frac: float = 1.0, orthoRange: tuple[float, float] | None = None
    ) -> tuple[float | None, float | None]:
        """pyqtgraph's bounds, found without its warnings filter and copies (a tenth of the
        time: the line's rectangle is worked out again at every step), whenever they are
        the data's finite extremes alone: all of the data, no fill, a pen in pixels."""
        values = self.xData if ax == 0 else self.yData
        pens = (self.opts["pen"], self.opts["shadowPen"])
        if (
            values is None
            or len(values) == 0
            or frac < 1.0
            or orthoRange is not None
            or self.opts["fillLevel"] is not None
            or any(pen is not None and not pen.isCosmetic() for pen in pens)
        ):
            return super().dataBounds(ax, frac, orthoRange)
        low, high = float(np.fmin.reduce(values)), float(np.fmax.reduce(values))  # NaN left out
        if not (math.isfinite(low) and math.isfinite(high)):  # infinities: pyqtgraph's way
            return super().dataBounds(ax, frac, orthoRange)
        return low, high

    def paint(
        self, p: QPainter, opt: QStyleOptionGraphicsItem | None, widget: QWidget | None
    ) -> None:
        pen = self.opts["pen"]
        if self.lead is not None and pen.style() != Qt.PenStyle.SolidLine:
            pen = self._continuing(pen, p.transform())
        # A step repaints a few columns (``exposedRect``): what lies elsewhere is left out.
        exposed = None if opt is None else p.transform().mapRect(opt.exposedRect)  # device px
        x, y = self.getData()
        if x is not None and len(x) > 1 and self._in_pixels(p, pen):
            dense = len(x) > abs((x[-1] - x[0]) * p.transform().m11())  # points per px > 1
            if pen.style() == Qt.PenStyle.SolidLine or dense:
                self._draw_segments(p, pen, x, y, exposed)
                return
            if exposed is not None and self._draw_dashes_near(p, pen, x, y, exposed):
                return
        self.opts["pen"], kept = pen, self.opts["pen"]
        try:
            super().paint(p, opt, widget)
        finally:
            self.opts["pen"] = kept

    def _continuing(self, pen: QPen, transform: QTransform) -> QPen:
        """``pen`` with its dashes offset by the length of the lead's line on screen (in pen
        widths, as Qt measures dashes)."""
        assert self.lead is not None
        x, y = self.lead
        X = x * transform.m11() + transform.dx()  # (m,) device pixels
        Y = y * transform.m22() + transform.dy()  # (m,)
        length = float(np.hypot(np.diff(X), np.diff(Y)).sum()) if X.size > 1 else 0.0
        continuing = QPen(pen)
        continuing.setDashOffset(length / max(pen.widthF(), 1.0))
        return continuing

    def _in_pixels(self, p: QPainter, pen: QPen) -> bool:
        """Whether this line may be drawn here from its points mapped to device pixels: on
        screen (an SVG keeps its paths, an export its options), a plain opaque pen in pixels,
        nothing but the line, and a view that only scales and shifts."""
        connect = self.opts["connect"]
        engine = p.paintEngine()
        return not (
            self._exportOpts is not False
            or engine is None
            or engine.type() != QPaintEngine.Type.Raster
            or not pen.isCosmetic()
            or not pen.isSolid()  # a plain colour, not a gradient or pattern
            or pen.color().alpha() != 255  # overlapping caps would show
            or self.opts["shadowPen"] is not None
            or self.opts["fillLevel"] is not None
            or self.opts["stepMode"]
            or self.opts["compositionMode"] is not None
            or not isinstance(connect, str)  # an array of which points connect
            or connect not in ("all", "finite")
            or p.transform().type().value > QTransform.TransformationType.TxScale.value
        )

    def _draw_segments(
        self, p: QPainter, pen: QPen, x: np.ndarray, y: np.ndarray, exposed: QRectF | None
    ) -> None:
        """Draw the segments between consecutive finite points that reach ``exposed`` (all
        for None), in device pixels, solid.

        A dashed line comes here only with more points than pixels: a square wave of 5000
        steps crosses each pixel column top to bottom, where no dash can be seen, and Qt took
        0.4 s to dash its 200,000 pixels.
        """
        transform = p.transform()
        X = x * transform.m11() + transform.dx()  # (n,)
        Y = y * transform.m22() + transform.dy()  # (n,)
        ok = np.isfinite(X) & np.isfinite(Y)  # (n,)
        keep = ok[:-1] & ok[1:]  # (n−1,) segments between finite points
        if exposed is not None:
            keep &= _reaching(X, pen, exposed)
        i = np.flatnonzero(keep)  # (k,) the segments drawn
        lines = self._lines
        lines.resize(i.size)
        segments = lines.ndarray()  # (k, 4) x0, y0, x1, y1
        segments[:, 0], segments[:, 1] = X[i], Y[i]
        segments[:, 2], segments[:, 3] = X[i + 1], Y[i + 1]
        p.save()
        p.resetTransform()  # the clip stays: it is kept in device pixels
        p.setRenderHint(QPainter.RenderHint.Antialiasing, bool(self.opts["antialias"]))
        solid = QPen(pen)
        solid.setStyle(Qt.PenStyle.SolidLine)  # a dashed one only here: too dense to see dashes
        p.setPen(solid)
        p.drawLines(*lines.drawargs())
        p.restore()

    def _draw_dashes_near(
        self, p: QPainter, pen: QPen, x: np.ndarray, y: np.ndarray, exposed: QRectF
    ) -> bool:
        """Draw the part of a dashed line that reaches ``exposed`` (device pixels), its
        dashes offset by the length of the line before it: the dashes fall where they fall
        on the whole line, which Qt would dash from end to end (a step exposes one column).
        False when the whole line is needed, or the line has gaps or thin dashes (Qt draws
        those pixel by pixel, not by length)."""
        if pen.widthF() <= 1.0:
            return False
        transform = p.transform()
        whole = transform.mapRect(self.boundingRect())  # device px
        if exposed.left() <= whole.left() and exposed.right() >= whole.right():
            return False  # all of it: pyqtgraph's own path, kept from frame to frame
        X = x * transform.m11() + transform.dx()  # (n,) device pixels
        Y = y * transform.m22() + transform.dy()  # (n,)
        if not (np.isfinite(X).all() and np.isfinite(Y).all()):
            return False  # a gap starts the dashes again
        near = np.flatnonzero(_reaching(X, pen, exposed))  # (k,) segments near
        if near.size == 0:
            return True  # nothing of it here
        first, last = int(near[0]), int(near[-1]) + 1  # points, the segments' ends
        if first == 0 and last == len(x) - 1:
            return False  # all of it: pyqtgraph's own path, kept from frame to frame
        before = float(np.hypot(np.diff(X[: first + 1]), np.diff(Y[: first + 1])).sum())
        part = QPen(pen)
        part.setDashOffset(pen.dashOffset() + before / pen.widthF())
        p.setRenderHint(QPainter.RenderHint.Antialiasing, bool(self.opts["antialias"]))
        p.setPen(part)
        p.drawPath(pg.arrayToQPath(x[first : last + 1], y[first : last + 1], connect="all"))
        return True


def _reaching(X: np.ndarray, pen: QPen, exposed: QRectF) -> np.ndarray:
    """(n−1,) which segments between the points at device x ``X`` (n,) may put ink in
    ``exposed``: a square cap reaches half the pen's width past its end (diagonally √2
    times that), a bevel or round join as far, a miter join up to its limit, antialiasing
    a pixel more. NaN ends compare False."""
    miter = pen.joinStyle() in (Qt.PenJoinStyle.MiterJoin, Qt.PenJoinStyle.SvgMiterJoin)
    reach = max(pen.widthF(), 1.0) * max(0.75, pen.miterLimit() / 2 if miter else 0.0) + 2.0
    X0, X1 = X[:-1], X[1:]  # (n−1,)
    return (np.minimum(X0, X1) <= exposed.right() + reach) & (
        np.maximum(X0, X1) >= exposed.left() - reach
    )


def _length(vector: pg.Point) -> float:
    try:
        return float(vector.length())
    except OverflowError:  # a pixel wider than floats reach: no padding, as pyqtgraph
        return 0.0
