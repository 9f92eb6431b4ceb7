"""The graph's drawing: what is on screen, as plain records, and the one item that paints them.

All nodes, edges and labels of the visible window go through one ``GraphItem`` so a frame
is a single paint call (≤ a few hundred primitives), however long the sequence is.

On screen the item keeps what it drew as a picture of the viewport and repaints only where
the scene changed: a step or a sweep frame changes one or two columns of the ten or so in
view, and the rest is copied. Exported pictures (SVG) are drawn in full, as vectors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
from PyQt6 import sip
from PyQt6.QtCore import QLineF, QPoint, QPointF, QRect, QRectF, QSize, Qt
from PyQt6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPaintEngine,
    QPainter,
    QPen,
    QPixmap,
    QPolygonF,
    QRegion,
    QStaticText,
    QTransform,
)
from PyQt6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from rnnviz.views.graph.style import BAD_COLOR, HOVER_GLOW
from rnnviz.views.look.appearance import appearance, colors

NODE_COLORS: dict[str, str] = {"x": "INPUT", "h": "STATE", "y": "OUTPUT"}  # palette names
NODE_PEN_WIDTH = 2.5  # px at scale 1
SELECTED_PEN_WIDTH = 5.0
BAD_GLOW_WIDTH = 4.0
FAINT_OPACITY = 0.35  # inputs of the sequence that have not been fed yet
HALO_MIX = 0.55  # halo colour = this much of the gradient colour on paper: arrows stand out
HOVER_MARGIN = 14.0  # the hover glow is this many pixels wider than its edge
SUB_SCALE = 0.72  # subscript size relative to its base text
BACKDROP_ALPHA = 150  # labels sit on the paper at this opacity where they touch a line
GLOW_REACH = 0.1  # data units: the largest gradient halo around a box (0.03 + 0.07)
AA_MARGIN = 2.0  # px: antialiasing reaches this far past a part's outline
REDRAW_ALL_SHARE = 0.5  # when more of the scene than this changed, it is drawn again whole
# A camera moved by this close to whole device pixels scrolls the picture (antialiasing
# cannot tell a thousandth of a pixel).
SCROLL_SNAP = 1e-3
CLUSTER_GAP = 64.0  # px: changes further apart than this are repainted in separate areas


def arrow_head_half(width: float | np.ndarray) -> float | np.ndarray:
    """Half the width (px) of the arrowhead of an edge ``width`` px wide."""
    return 6.0 + 0.8 * width


def arrow_head_length(width: float | np.ndarray) -> float | np.ndarray:
    return 11.0 + 1.2 * width


# Nodes and labels are named tuples: a frame builds ~80 of them and compares them with the
# last frame's, and tuples are made and hashed in C (a frozen dataclass: ~8x slower to make).
class NodeSpec(NamedTuple):
    name: str  # "h_3", or "x" / "h" / "y" in the folded view
    kind: str  # "x" | "h" | "y"
    step: int | None  # 1-based step (0 for h_0); None for a folded node with nothing yet
    rect: tuple[float, float, float, float]  # (x0, y0, width, height) in data units
    strip: int  # column of the kind's strip image, −1 for an empty box
    faint: bool = False  # not fed yet
    bad: bool = False  # the forward pass overflowed here
    selected: bool = False
    glow: float | None = None  # gradient strength 0..1 of ‖dL/dh_t‖ (h only)
    glow_color: str = ""
    glow_bad: bool = False  # the gradient is not finite here
    char: str = ""  # text mode: the character fed (x) or most likely next (y)
    layer: int = 0  # h only: the stacked layer, 0 at the bottom
    direction: int = 0  # h only: 0 forward, 1 backward (a bidirectional stack)

    @property
    def centre(self) -> tuple[float, float]:
        x0, y0, w, h = self.rect
        return (x0 + w / 2, y0 + h / 2)


@dataclass(frozen=True, eq=False)  # holds an array: compare fields, not specs
class EdgeSpec:
    kind: str  # "W_xh" | "W_hh" | "W_hy"
    step: int  # the step the edge leads into
    points: np.ndarray  # (n, 2) polyline ending at the arrow's tip
    width: float  # pixels
    color: str
    dashed: bool = False
    highlighted: bool = False  # the mouse is on an edge of the same (shared) weight
    opacity: float = 1.0
    loop: bool = False  # the folded self-loop
    # (x0, y0, x1, y1) around the polyline when its maker knows it (a folding frame works
    # out ~300 edges' at once); else worked out from the points (see block).
    bounds: tuple[float, float, float, float] | None = None

    # Worked out once per edge: a frame reuses the edges of the columns that did not change.
    @cached_property
    def key(self) -> tuple[object, ...]:
        """The edge by value (its polyline is an array, which does not compare as a field)."""
        return (
            self.kind,
            self.step,
            self.points.tobytes(),
            self.width,
            self.color,
            self.dashed,
            self.highlighted,
            self.opacity,
            self.loop,
        )

    @cached_property
    def reach_key(self) -> tuple[object, ...]:
        """What decides the pixels the edge may touch: its polyline, width and hover glow."""
        return ("edge", self.points.tobytes(), self.width, self.highlighted)

    @cached_property
    def reach_block(self) -> tuple[float, float, float, float, float]:
        """(x0, y0, x1, y1) around its polyline in data units, and the pixels it may touch
        past that: its arrowhead's half width or its hover glow's round cap (see _spans)."""
        x0, y0, x1, y1, _ = self.block
        reach = max(arrow_head_half(self.width), (self.width + HOVER_MARGIN) / 2)
        return (x0, y0, x1, y1, float(reach) + AA_MARGIN)

    @cached_property
    def block(self) -> tuple[float, float, float, float, float]:
        """(x0, y0, x1, y1) around its polyline in data units, and the pixels its arrowhead
        (or its pen) reaches past that: where no label may go (see covered_rects)."""
        if self.bounds is not None:
            x0, y0, x1, y1 = self.bounds
        else:  # in plain Python: NumPy's min and max cost ~3 µs a call on a few points
            points = self.points.tolist()
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        return (x0, y0, x1, y1, float(max(arrow_head_half(self.width), self.width / 2)))


class LabelSpec(NamedTuple):
    base: str
    sub: str  # drawn as a subscript after ``base``
    pos: tuple[float, float]  # anchor point in data units
    align: tuple[float, float]  # fraction of the text's (width, height) left of / above pos
    offset: tuple[float, float]  # pixels, screen directions (y down)
    size: int  # points
    color: str
    bold: bool = False
    italic: bool = False
    suffix: str = ""  # drawn after the subscript at the base size, not bold


# A piece of the scene (the band is its rectangle): what changed between frames is a list.
Part = NodeSpec | EdgeSpec | LabelSpec | tuple[float, float, float, float]


class NodeTable(NamedTuple):
    """The nodes drawn, as arrays, worked out once per scene (a frame reads them a few times)."""

    rects: np.ndarray  # (n, 4) x0, y0, width, height in data units
    reach: np.ndarray  # (n,) px an outline reaches past its rect: half its pen, 1 px of AA
    strips: np.ndarray  # (n,) the column of its kind's strip, −1 for an empty box
    kinds: np.ndarray  # (n,) "x" | "h" | "y"
    # (n,) whether the box covers its whole pixels opaquely, so that repainting it, and what
    # lies on it, gives the same pixels as drawing everything anew: fed (an opaque strip on a
    # white box) and a solid outline at least 2 px wide, whose middle runs through the
    # pixels at the box's edge and so covers them fully. Nothing drawn before the nodes
    # (band, halos, edges) then shows inside those pixels.
    opaque: np.ndarray


class GraphItem(pg.GraphicsObject):
    """Paints the band, edges (with hover glow), gradient glows, node strips and labels."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: tuple[NodeSpec, ...] = ()
        self.edges: tuple[EdgeSpec, ...] = ()
        self.labels: tuple[LabelSpec, ...] = ()
        self.band: tuple[float, float, float, float] | None = None
        self._images: dict[str, QImage] = {}
        self._bounds = QRectF(-1.0, -2.0, 2.0, 4.0)
        self._fonts: dict[tuple[int, bool, bool], QFont] = {}
        # Labels repeat from frame to frame: their sizes and laid-out glyphs are kept.
        self._label_boxes: dict[tuple[object, ...], tuple[float, float, float, float, float]] = {}
        self._texts: dict[tuple[str, tuple[int, bool, bool]], QStaticText] = {}
        self._pens: dict[tuple[object, ...], QPen] = {}
        # Outlines drawn once, by pen, ratio and place within a pixel (see _outline_stamp).
        self._stamps: dict[tuple[object, ...], tuple[QPen, QImage, int]] = {}
        self._looks: dict[tuple[object, ...], tuple[float, bool]] = {}  # see _node_look
        self._white = QColor("white")  # under the value strips, whose 0 is white
        self._stacked = False
        # The picture of the viewport (see paint), what it was drawn for, and what changed
        # since: scene parts, strip columns by kind (None: every column), or everything.
        self._cache = QPixmap()
        self._cache_key: tuple[float, ...] = ()
        self._cache_transform: QTransform | None = None  # the item's, when it was drawn
        self._changed: list[Part] = []
        # The device pixels each node, label and band reached when last measured (_spans).
        self._span_memo: dict[object, tuple[float, float, float, float]] = {}
        # … and by the part's identity: id → (part, span).
        self._span_same: dict[int, tuple[Part, tuple[float, float, float, float]]] = {}
        self._changed_strips: dict[str, np.ndarray | None] = {}
        self._table: NodeTable | None = None  # the scene's nodes as arrays (see _node_table)
        self._edge_blocks: np.ndarray | None = None  # (m, 5) its edges' (see _part_spans)
        # The last _part_spans, by what it depends on: a frame asks for them once per area.
        self._part_spans_memo: tuple[tuple[float, ...], tuple[np.ndarray, np.ndarray]] | None = None
        self._redraw_all = True
        self._strips: dict[str, np.ndarray] = {}
        self.restyle()

    def restyle(self) -> None:
        """Take the appearance's colours, type size and line widths (cached ones are
        dropped) and paint again."""
        p = colors()
        self._fonts.clear()
        self._label_boxes.clear()
        self._texts.clear()
        self._pens.clear()
        self._stamps.clear()  # keyed by their pens, dropped with them
        self._looks.clear()
        self._forget_spans()
        self._band = QColor(p.BAND)
        self._paper = QColor(p.PAPER)  # the view's background, under everything drawn
        self._backdrop = QColor(p.PAPER)
        self._backdrop.setAlpha(BACKDROP_ALPHA)
        self._redraw_all = True
        self.update()

    def set_images(self, strips: dict[str, np.ndarray]) -> None:
        """One (L, n, 4) RGBA image per row kind; node ``strip`` j is its column j."""
        for kind in strips.keys() | self._strips.keys():
            self._changed_strips[kind] = _changed_columns(
                strips.get(kind), self._strips.get(kind), self._changed_strips.get(kind, ())
            )
        self._strips = dict(strips)
        self._images = {k: _native_image(a) for k, a in strips.items() if a.size}

    def set_scene(
        self,
        nodes: tuple[NodeSpec, ...],
        edges: tuple[EdgeSpec, ...],
        labels: tuple[LabelSpec, ...],
        band: tuple[float, float, float, float] | None,
        bounds: QRectF,
        stacked: bool = False,
    ) -> None:
        """What to paint. ``stacked``: nodes may lie on top of each other (while folding),
        so they are painted one by one in order, not in batches."""
        if stacked or self._stacked:
            self._redraw_all = True  # folding moves every column
        elif not self._redraw_all:
            changed = _changed_parts(
                (*self.nodes, *self.edges, *self.labels), (*nodes, *edges, *labels)
            )
            if band != self.band:
                changed += [b for b in (self.band, band) if b is not None]
            self._changed += changed
            parts = len(nodes) + len(edges) + len(labels)
            self._redraw_all = len(self._changed) > REDRAW_ALL_SHARE * max(parts, 1)
        self.nodes, self.edges, self.labels, self.band = nodes, edges, labels, band
        self._table = None
        self._edge_blocks = None
        self._part_spans_memo = None
        self._stacked = stacked
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self._request_repaint()

    def _request_repaint(self) -> None:
        """Ask Qt to repaint the area the changes reach, not the whole view: less to copy
        from the picture and to the screen. A new camera repaints the whole view anyway."""
        transform = self._cache_transform
        if self._redraw_all or transform is None:
            self.update()
            return
        changed = self._changed + [self.nodes[i] for i in self._recoloured()]
        if not changed:
            return  # the same scene again
        lefts, rights, tops, bottoms = zip(*map(self._spans(transform), changed), strict=True)
        inverse, invertible = transform.inverted()
        if not invertible:
            self.update()
            return
        area = QRectF(QPointF(min(lefts), min(tops)), QPointF(max(rights), max(bottoms)))
        self.update(inverse.mapRect(area))

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem | None = None,
        widget: QWidget | None = None,
    ) -> None:
        engine = painter.paintEngine()
        on_screen = engine is not None and engine.type() == QPaintEngine.Type.Raster
        if widget is None or painter.device() is not widget or not on_screen:
            self._draw(painter, painter.transform())  # an SVG gets vectors, not a picture
            return
        transform = painter.transform()
        self._bring_cache_up_to_date(painter, transform, widget)
        shown = transform.mapRect(self._bounds).toAlignedRect() & widget.rect()
        if shown.isEmpty():
            return
        ratio = self._cache.devicePixelRatioF()
        source = QRectF(
            shown.x() * ratio, shown.y() * ratio, shown.width() * ratio, shown.height() * ratio
        )
        painter.save()
        painter.resetTransform()
        painter.drawPixmap(QRectF(shown), self._cache, source)
        painter.restore()

    def _bring_cache_up_to_date(
        self, painter: QPainter, transform: QTransform, widget: QWidget
    ) -> None:
        """Draw into the viewport's picture what changed since it was last drawn: all of it
        after a change of camera, size or style, else only the changed parts' area."""
        ratio = widget.devicePixelRatioF()
        t = transform
        key = (
            widget.width(),
            widget.height(),
            ratio,
            t.m11(),
            t.m12(),
            t.m21(),
            t.m22(),
            t.dx(),
            t.dy(),
        )
        # _spans knows scaling and moving only: a turned view would be drawn whole.
        exposed: QRect | None = None  # what a scrolled picture has to draw anew
        if key != self._cache_key or t.m12() != 0.0 or t.m21() != 0.0:
            exposed = None if self._redraw_all else self._scroll(key, widget)
            self._cache_key = key
            self._cache_transform = QTransform(t)
            self._redraw_all = self._redraw_all or exposed is None
            self._forget_spans()  # spans are in device pixels, under the old transform
        if len(self._span_memo) + len(self._span_same) > 8000:  # parts of scenes long gone
            self._forget_spans()
        size = QSize(round(widget.width() * ratio), round(widget.height() * ratio))
        if self._cache.size() != size:
            self._cache = QPixmap(size)
            self._redraw_all = True
        self._cache.setDevicePixelRatio(ratio)
        # A rectangle around each cluster of changes (a clip of many rectangles sends every
        # primitive down Qt's slow path, and drawing a little more costs less): a view that
        # follows the steps changes its two edges, where labels come and go. Boxes whose
        # colours alone changed are repainted in their own pixels (see _repaint_boxes): a
        # step of a bidirectional stack recolours every backward box in view.
        changed: list[Part] = []
        boxes = np.zeros(0, dtype=np.intp)  # (k,) indices of the nodes repainted alone
        if not self._redraw_all:
            changed = list(self._changed)
            recoloured = self._recoloured()  # (m,)
            alone = self._node_table().opaque[recoloured]  # (m,)
            if self._stacked or not float(ratio).is_integer():
                alone[:] = False  # boxes may overlap, or not cover whole pixels
            boxes = recoloured[alone]
            changed += [self.nodes[i] for i in recoloured[~alone]]
        self._changed.clear()
        self._changed_strips.clear()
        areas: list[QRect] = []
        if not self._redraw_all:
            spans = [self._spans(transform)(part) for part in changed]
            if exposed is not None and not exposed.isEmpty():
                e = exposed
                spans.append((e.left(), e.left() + e.width(), e.top(), e.top() + e.height()))
            areas = [a.intersected(widget.rect()) for a in _clusters(spans)]
            areas = [a for a in areas if not a.isEmpty()]
            if not areas and not boxes.size:
                return
        redraw_all, self._redraw_all = self._redraw_all, False
        cache_painter = QPainter(self._cache)
        try:
            cache_painter.setRenderHints(painter.renderHints())
            for area in [None] if redraw_all else areas:
                cache_painter.save()
                if area is not None:
                    cache_painter.setClipRect(area)
                # Opaque paper, as under the item on screen: text and edges blend exactly as
                # there.
                cache_painter.fillRect(widget.rect(), self._paper)
                cache_painter.setTransform(transform)
                # A fold frame on screen is drawn without antialiasing (a third less to
                # draw, in motion for 0.3 s); the frames at rest and every picture exported
                # or grabbed are smooth.
                smooth = not self._stacked
                # Outlines from their pictures where those are exact (antialiased, on whole
                # device pixels per pixel) and kept: an area of a frame like the last one.
                # Drawn whole, the view has moved or changed size: strokes cost less than
                # making the pictures (see _outline_stamp).
                stamped = smooth and area is not None and float(ratio).is_integer()
                self._draw(cache_painter, transform, area, smooth, stamped)
                cache_painter.restore()
            if boxes.size:
                self._repaint_boxes(cache_painter, transform, boxes, areas, widget.rect())
        finally:
            cache_painter.end()  # else the picture stays locked to this painter

    def _scroll(self, key: tuple[float, ...], widget: QWidget) -> QRect | None:
        """When the camera only moved by whole pixels (the unrolled view following the
        steps), move the picture along and return the strip it uncovered, in the widget's
        pixels; None when it has to be drawn anew. What moved into view is drawn there; the
        rest lies exactly where drawing it anew would put it, to the pixel."""
        old = self._cache_key
        if not old or old[:7] != key[:7] or self._cache.isNull():
            return None  # another size, ratio or scale
        ratio = key[2]
        shift_x, shift_y = (key[7] - old[7]) * ratio, (key[8] - old[8]) * ratio
        dx, dy = round(shift_x), round(shift_y)
        if abs(shift_x - dx) > SCROLL_SNAP or abs(shift_y - dy) > SCROLL_SNAP:
            return None
        if abs(dx) >= self._cache.width() or abs(dy) >= self._cache.height():
            return None
        self._cache.scroll(dx, dy, self._cache.rect())
        w, h = widget.width(), widget.height()
        x, y = dx / ratio, dy / ratio  # in the widget's pixels
        strip = QRect()
        if dx:
            left = 0 if dx > 0 else w + math.floor(x)
            strip = strip.united(QRect(left, 0, math.ceil(abs(x)), h))
        if dy:
            top = 0 if dy > 0 else h + math.floor(y)
            strip = strip.united(QRect(0, top, w, math.ceil(abs(y))))
        return strip

    def _repaint_boxes(
        self,
        painter: QPainter,
        transform: QTransform,
        boxes: np.ndarray,
        done: list[QRect],
        view: QRect,
    ) -> None:
        """Repaint the nodes of indices ``boxes`` in the whole pixels they cover (see
        NodeTable.opaque): the nodes that reach into those pixels, then the labels, as
        ``_draw`` orders them. A box inside one of ``done`` (already drawn anew) is skipped."""
        sx, sy, dx, dy = transform.m11(), transform.m22(), transform.dx(), transform.dy()
        table = self._node_table()
        rect = table.rects[boxes]  # (k, 4) x0, y0, w, h
        xs = np.sort(sx * (rect[:, [0]] + [0.0, 1.0] * rect[:, [2]]) + dx, axis=1)  # (k, 2)
        ys = np.sort(sy * (rect[:, [1]] + [0.0, 1.0] * rect[:, [3]]) + dy, axis=1)  # (k, 2)
        # left, top, right, bottom of the whole pixels each box reaches, inside the view
        pixels = np.column_stack(
            [np.floor(xs[:, 0]), np.floor(ys[:, 0]), np.ceil(xs[:, 1]), np.ceil(ys[:, 1])]
        )  # (k, 4)
        pixels[:, :2] = np.maximum(pixels[:, :2], [view.left(), view.top()])
        pixels[:, 2:] = np.minimum(pixels[:, 2:], [view.right() + 1, view.bottom() + 1])
        keep = (pixels[:, 2] > pixels[:, 0]) & (pixels[:, 3] > pixels[:, 1])  # (k,)
        for area in done:
            inside = (
                (pixels[:, 0] >= area.left())
                & (pixels[:, 1] >= area.top())
                & (pixels[:, 2] <= area.right() + 1)
                & (pixels[:, 3] <= area.bottom() + 1)
            )  # (k,)
            keep &= ~inside
        pixels = pixels[keep]
        if not pixels.size:
            return
        span = self._spans(transform)
        nodes, labels = self.nodes, self.labels
        # What a box paints reaches past its rectangle by half its outline, and antialiasing
        # touches the pixel beyond (its halo, painted before the boxes, does not matter here).
        reach, rects = table.reach, table.rects  # (n,), (n, 4)
        xa, xb = sx * rects[:, 0] + dx, sx * (rects[:, 0] + rects[:, 2]) + dx  # (n,)
        ya, yb = sy * rects[:, 1] + dy, sy * (rects[:, 1] + rects[:, 3]) + dy  # (n,)
        node_spans = np.column_stack(
            [
                np.minimum(xa, xb) - reach,
                np.maximum(xa, xb) + reach,
                np.minimum(ya, yb) - reach,
                np.maximum(ya, yb) + reach,
            ]
        )  # (n, 4) left, right, top, bottom
        # The boxes' pixels, and what reaches into them: the nodes (the boxes themselves and
        # the outlines of their neighbours) and the labels.
        near = _reaching(node_spans, pixels).any(axis=1)  # (n,)
        near_labels = _reaching(np.array([span(lab) for lab in labels]).reshape(-1, 4), pixels)
        region = QRegion()
        for left, top, right, bottom in pixels.astype(int).tolist():
            region += QRect(left, top, right - left, bottom - top)
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)  # as _draw paints
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        # One pass in the union of the boxes' pixels, in _draw's order and batches: every
        # pixel of it lies in a box that covers it opaquely, so what lies under the boxes
        # (band, halos, edges) cannot show, and each pixel gets the same strokes, in the
        # same order, as when everything is drawn anew.
        painter.setClipRegion(region)
        self._paint_nodes(
            painter,
            [(nodes[i], transform.mapRect(QRectF(*nodes[i].rect))) for i in np.flatnonzero(near)],
            stamped=True,
        )
        self._paint_labels(
            painter, transform, [labels[i] for i in np.flatnonzero(near_labels.any(axis=1))]
        )
        painter.restore()

    def _node_table(self) -> NodeTable:
        """The nodes drawn, as arrays (made at the first call after a new scene)."""
        if self._table is None:
            nodes = self.nodes
            looks = [self._node_look(n) for n in nodes]
            self._table = NodeTable(
                rects=np.array([n.rect for n in nodes], dtype=float).reshape(-1, 4),
                reach=np.array([reach for reach, _ in looks]),
                strips=np.array([n.strip for n in nodes], dtype=np.intp),
                kinds=np.array([n.kind for n in nodes], dtype=object),
                opaque=np.array([opaque for _, opaque in looks], dtype=bool),
            )
        return self._table

    def _node_look(self, n: NodeSpec) -> tuple[float, bool]:
        """What the outline of ``n`` decides, by its pen (see NodeTable): how far it reaches
        past the box, and whether the box covers its whole pixels opaquely."""
        key = ("look", n.kind, n.selected, n.bad, n.faint)
        look = self._looks.get(key)
        if look is None:
            pen = self._node_pen(n)
            solid = pen.style() == Qt.PenStyle.SolidLine and pen.widthF() >= 2
            look = self._looks[key] = (pen.widthF() / 2 + 1.0, solid and not n.faint)
        return look

    def _recoloured(self) -> np.ndarray:
        """Indices (in order) of the nodes whose colour strip differs from the one drawn:
        the same spec, new values."""
        if not self._changed_strips or not self.nodes:
            return np.zeros(0, dtype=np.intp)
        table = self._node_table()
        hit = np.zeros(len(self.nodes), dtype=bool)  # (n,)
        for kind, columns in self._changed_strips.items():
            mine = (table.kinds == kind) & (table.strips >= 0)  # (n,)
            if columns is not None:
                mine &= table.strips < columns.size
                mine[mine] = columns[table.strips[mine]]
            hit |= mine
        return np.flatnonzero(hit)

    def _part_spans(self, transform: QTransform) -> tuple[np.ndarray, np.ndarray]:
        """(left, right, top, bottom) of the device pixels each node (n, 4) and each edge
        (m, 4) may touch, under ``transform``: what _spans gives each, as arrays."""
        sx, sy, dx, dy = transform.m11(), transform.m22(), transform.dx(), transform.dy()
        pen = appearance.width(max(SELECTED_PEN_WIDTH, BAD_GLOW_WIDTH))
        key = (sx, sy, dx, dy, pen)
        if self._part_spans_memo is not None and self._part_spans_memo[0] == key:
            return self._part_spans_memo[1]
        rects = self._node_table().rects  # (n, 4) x0, y0, w, h
        nodes = np.column_stack(
            [rects[:, :2], rects[:, :2] + rects[:, 2:], np.full(len(rects), 0.0)]
        )  # (n, 5)
        nodes[:, 4] = GLOW_REACH * abs(sx) + pen + AA_MARGIN
        if self._edge_blocks is None:
            blocks = [e.reach_block for e in self.edges]
            self._edge_blocks = np.array(blocks, dtype=float).reshape(-1, 5)  # (m, 5)
        edges = self._edge_blocks
        spans = _device_spans(nodes, sx, sy, dx, dy), _device_spans(edges, sx, sy, dx, dy)
        self._part_spans_memo = (key, spans)
        return spans

    def _forget_spans(self) -> None:
        self._span_memo.clear()
        self._span_same.clear()

    def _spans(self, transform: QTransform) -> Callable[[Part], tuple[float, float, float, float]]:
        """(left, right, top, bottom): the device pixels a part may touch, under ``transform``
        (generously: repainting more is harmless, less would leave old pixels on screen).
        The transform only scales and moves: plain arithmetic, as this runs for every part
        of a partly repainted frame."""
        sx, sy, dx, dy = transform.m11(), transform.m22(), transform.dx(), transform.dy()
        pen = appearance.width(max(SELECTED_PEN_WIDTH, BAD_GLOW_WIDTH))
        node_margin = GLOW_REACH * abs(sx) + pen + AA_MARGIN

        memo, same = self._span_memo, self._span_same

        def span(part: Part) -> tuple[float, float, float, float]:
            # Most parts are the very objects of the last frame (its columns are kept): found
            # by identity, which hashes an int. Else nodes and labels compare by value, an
            # edge by what decides its reach (its polyline is an array).
            seen = same.get(id(part))
            if seen is not None and seen[0] is part:
                return seen[1]
            key = part if isinstance(part, tuple) else part.reach_key
            known = memo.get(key)
            if known is None:
                known = memo[key] = measure(part)
            same[id(part)] = (part, known)  # the part kept: its id stays its own
            return known

        def measure(part: Part) -> tuple[float, float, float, float]:
            if isinstance(part, LabelSpec):
                left, top, width, height = self._label_place(part, sx, sy, dx, dy)
                m = 0.25 * height + AA_MARGIN  # glyphs may overhang their advance (italic W)
                return (left - 2 - m, left + width + 2 + m, top - m, top + height + m)
            if isinstance(part, EdgeSpec):
                # Around its polyline, and the arrowhead's half width or the hover glow's
                # round cap: worked out once per edge, and most edges are the last frame's.
                x0, y0, x1, y1, m = part.reach_block
            else:
                x0, y0, w, h = part.rect if isinstance(part, NodeSpec) else part
                x1, y1 = x0 + w, y0 + h
                m = node_margin if isinstance(part, NodeSpec) else AA_MARGIN
            xa, xb, ya, yb = sx * x0 + dx, sx * x1 + dx, sy * y0 + dy, sy * y1 + dy
            return (min(xa, xb) - m, max(xa, xb) + m, min(ya, yb) - m, max(ya, yb) + m)

        return span

    def _draw(
        self,
        painter: QPainter,
        transform: QTransform,
        area: QRect | None = None,
        smooth: bool = True,
        stamped: bool = False,
    ) -> None:
        """Everything, in order: band, halos, edges, nodes, labels; with ``area`` (device
        pixels, the painter clipped to it) only the parts that reach into it. ``smooth``:
        lines and shapes antialiased (text always is); ``stamped``: see _paint_nodes."""
        nodes, edges, labels = list(self.nodes), list(self.edges), list(self.labels)
        if area is not None:
            span = self._spans(transform)
            left, right = area.left(), area.left() + area.width()
            top, bottom = area.top(), area.top() + area.height()
            pixels = np.array([[left, top, right, bottom]], dtype=float)  # (1, 4)
            node_spans, edge_spans = self._part_spans(transform)  # (n, 4), (m, 4)
            nodes = [nodes[i] for i in np.flatnonzero(_reaching(node_spans, pixels)[:, 0])]
            edges = [edges[i] for i in np.flatnonzero(_reaching(edge_spans, pixels)[:, 0])]

            def seen(part: Part) -> bool:
                x0, x1, y0, y1 = span(part)
                return x0 < right and x1 > left and y0 < bottom and y1 > top

            labels = [lab for lab in labels if seen(lab)]
        scale = abs(transform.m11()) or 1.0  # pixels per data unit
        device = painter.device()
        view = QRectF()
        if device is not None:  # in the painter's (logical) pixels, whatever the device
            ratio = device.devicePixelRatioF()
            view = QRectF(0, 0, device.width() / ratio, device.height() / ratio)
        if area is None and not view.isEmpty() and edges:
            # Drawn whole (a fold, a new camera): the edges of columns out of view are not.
            edges = _in_view(edges, transform, view)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, smooth)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for e in edges:
            if e.highlighted:
                self._paint_glow(painter, e)
        # Boxes, halos and labels are drawn in device pixels: a y-flipped transform would send
        # every drawImage and rounded rectangle down Qt's slow path (~10x slower).
        boxes = [(n, transform.mapRect(QRectF(*n.rect))) for n in nodes]
        # A box just outside the view may still reach into it with its halo and outline.
        m = GLOW_REACH * scale + appearance.width(max(SELECTED_PEN_WIDTH, BAD_GLOW_WIDTH))
        reach = view.adjusted(-m, -m, m, m)
        boxes = [(n, r) for n, r in boxes if view.isEmpty() or r.intersects(reach)]
        painter.save()
        painter.resetTransform()
        if self.band is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._band)
            painter.drawRoundedRect(transform.mapRect(QRectF(*self.band)), 8.0, 8.0)
        for n, r in boxes:
            if n.glow is not None or n.glow_bad:
                self._paint_node_glow(painter, n, r, scale)
        painter.restore()
        self._paint_arrows(painter, [e for e in edges if len(e.points) == 2])
        for e in edges:
            if len(e.points) != 2:
                self._paint_edge(painter, e, scale)
        painter.save()
        painter.resetTransform()
        if self._stacked:
            self._paint_stacked(painter, boxes)
        else:
            self._paint_nodes(painter, boxes, stamped)
        self._paint_labels(painter, transform, labels)
        painter.restore()

    # ---- pieces ------------------------------------------------------------------
    def _paint_glow(self, painter: QPainter, e: EdgeSpec) -> None:
        pen = QPen(QColor(*HOVER_GLOW), e.width + HOVER_MARGIN)
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setOpacity(e.opacity)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(_polygon(e.points))
        painter.setOpacity(1.0)

    def _paint_arrows(self, painter: QPainter, edges: list[EdgeSpec]) -> None:
        """Straight edges: one drawLines per pen, one drawPolygon per head, in device pixels
        (Qt strokes lines it must transform about twice as slowly). The geometry of all of
        them as arrays: a fold frame draws a few hundred."""
        if not edges:
            return
        transform = painter.transform()
        sx, sy, dx, dy = transform.m11(), transform.m22(), transform.dx(), transform.dy()
        points = np.array([e.points for e in edges], dtype=float)  # (m, 2, 2)
        width = np.array([e.width for e in edges])  # (m,)
        ax, bx = sx * points[:, 0, 0] + dx, sx * points[:, 1, 0] + dx  # (m,)
        ay, by = sy * points[:, 0, 1] + dy, sy * points[:, 1, 1] + dy  # (m,)
        length = np.hypot(bx - ax, by - ay)  # (m,)
        safe = np.maximum(length, 1.0)  # (m,) the collapsed ones are left out below
        ux, uy = (bx - ax) / safe, (by - ay) / safe  # (m,)
        head_len = arrow_head_length(width)  # (m,)
        head_half = arrow_head_half(width)  # (m,)
        short = length < head_len * 1.2  # (m,) a short edge gets a smaller head
        head_half = np.where(short, head_half * length / (1.2 * head_len), head_half)  # (m,)
        head_len = np.where(short, length / 1.2, head_len)  # (m,)
        cx, cy = bx - ux * head_len, by - uy * head_len  # (m,) the head's base
        nx, ny = -uy * head_half, ux * head_half  # (m,)
        # A thick line must not poke through the tip.
        ex, ey = bx - ux * head_len * 0.9, by - uy * head_len * 0.9  # (m,)
        shown = (length >= 1.0) & (np.array([e.opacity for e in edges]) > 0.01)  # (m,)
        # Not collapsed (folded) nor invisible; grouped by pen (heads: by brush), each group
        # in the edges' order, its shafts and heads side by side in one array each.
        lines: dict[tuple[str, float, bool, float], list[int]] = {}
        heads: dict[tuple[str, float], list[int]] = {}
        for i in np.flatnonzero(shown).tolist():
            e = edges[i]
            lines.setdefault((e.color, e.width, e.dashed, e.opacity), []).append(i)
            heads.setdefault((e.color, e.opacity), []).append(i)
        if not lines:
            return
        shafts = np.column_stack([ax, ay, ex, ey])  # (m, 4)
        tips = np.column_stack([bx, by, cx + nx, cy + ny, cx - nx, cy - ny])  # (m, 6)
        shaft_array = _primitives(QLineF, shafts[[i for group in lines.values() for i in group]])
        head_order = [i for group in heads.values() for i in group]
        head_array = _primitives(QPointF, tips[head_order].reshape(-1, 2))
        painter.save()
        painter.resetTransform()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        start = 0
        for (color, w, dashed, opacity), group in lines.items():
            painter.setOpacity(opacity)
            painter.setPen(self._pen(color, w, dashed))
            painter.drawLines(shaft_array[start : start + len(group)])
            start += len(group)
        painter.setPen(Qt.PenStyle.NoPen)
        start = 0
        for (color, opacity), group in heads.items():
            painter.setOpacity(opacity)
            painter.setBrush(QColor(color))
            for _ in group:
                painter.drawPolygon(head_array[start : start + 3])  # a sip array's slice: a view
                start += 3
        painter.restore()

    def _pen(self, color: str, width: float, dashed: bool) -> QPen:
        key = ("edge", color, width, dashed)
        pen = self._pens.get(key)
        if pen is None:
            pen = QPen(QColor(color), width)
            pen.setCosmetic(True)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            if dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            self._pens[key] = pen
        return pen

    def _paint_edge(self, painter: QPainter, e: EdgeSpec, scale: float) -> None:
        pts = e.points
        direction = pts[-1] - pts[-2]
        length = float(np.hypot(*direction))
        if e.opacity <= 0.01 or length * scale < 1.0:
            return  # collapsed (folded) or invisible
        unit = direction / length
        head_len = arrow_head_length(e.width) / scale
        head_half = arrow_head_half(e.width) / scale
        total = float(np.hypot(*np.diff(pts, axis=0).T).sum())
        if total < head_len * 1.2:
            head_len, head_half = total / 1.2, head_half * total / (1.2 * head_len)
        color = QColor(e.color)
        pen = QPen(color, e.width)
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        if e.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setOpacity(e.opacity)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        shaft = pts.copy()
        shaft[-1] = pts[-1] - unit * head_len * 0.9  # a thick line must not poke through the tip
        painter.drawPolyline(_polygon(shaft))
        tip, base = pts[-1], pts[-1] - unit * head_len
        normal = np.array([-unit[1], unit[0]]) * head_half
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(color))
        painter.drawPolygon(_polygon(np.array([tip, base + normal, base - normal])))
        painter.setOpacity(1.0)

    def _paint_stacked(self, painter: QPainter, boxes: list[tuple[NodeSpec, QRectF]]) -> None:
        """Nodes that may lie on top of each other (while folding), one whole box after the
        other: white box, strip, outline. The white goes in with fillRect (the same pixels
        as a white rectangle without a pen), so the painter's pen and brush change only
        when the outline's pen does: a fold frame paints ~150 boxes."""
        painter.setBrush(Qt.BrushStyle.NoBrush)
        pen: QPen | None = None
        opacity = 1.0
        for n, rect in boxes:
            if (FAINT_OPACITY if n.faint else 1.0) != opacity:
                opacity = FAINT_OPACITY if n.faint else 1.0
                painter.setOpacity(opacity)
            painter.fillRect(rect, self._white)
            image = self._images.get(n.kind)
            if n.strip >= 0 and image is not None:
                # Whole pixels: a fractional target sends drawImage down the antialiased path.
                painter.drawImage(rect.toRect(), image, QRect(n.strip, 0, 1, image.height()))
            if self._node_pen(n) is not pen:
                pen = self._node_pen(n)
                painter.setPen(pen)
            painter.drawRect(rect)
        painter.setOpacity(1.0)

    def _paint_nodes(
        self, painter: QPainter, boxes: list[tuple[NodeSpec, QRectF]], stamped: bool = False
    ) -> None:
        """Nodes that do not overlap, in batches: white boxes, their strips, then the
        outlines of each pen in one call (faint ones, not fed yet, at low opacity).
        ``stamped``: the opaque outlines copied from their pictures (see _outline_stamp),
        the painter untransformed on a picture of whole device pixels per pixel."""
        for faint in (False, True):
            group = [(n, r) for n, r in boxes if n.faint == faint]
            if not group:
                continue
            painter.setOpacity(FAINT_OPACITY if faint else 1.0)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._white)
            painter.drawRects([r for _, r in group])
            for n, r in group:
                image = self._images.get(n.kind)
                if n.strip >= 0 and image is not None:
                    # Whole pixels: a fractional target sends drawImage down the slow path.
                    painter.drawImage(r.toRect(), image, QRect(n.strip, 0, 1, image.height()))
            outlines: dict[int, tuple[QPen, list[QRectF]]] = {}
            for n, r in group:
                pen = self._node_pen(n)
                outlines.setdefault(id(pen), (pen, []))[1].append(r)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for pen, rects in outlines.values():
                if stamped and not faint:
                    for r in rects:
                        painter.drawImage(*self._outline_stamp(painter, pen, r))
                    continue
                painter.setPen(pen)
                painter.drawRects(rects)
        painter.setOpacity(1.0)

    def _outline_stamp(self, painter: QPainter, pen: QPen, r: QRectF) -> tuple[QPoint, QImage]:
        """Where the outline of ``r`` in ``pen`` goes (the painter untransformed), and a
        picture of it on transparent pixels, drawn once for its pen, size and place within a
        pixel: a box keeps them while the view follows the steps by whole pixels. Blended
        on, the picture gives the very pixels the stroke gives (its alpha is the stroke's
        coverage), in ~0.6 of the time of stroking a wide antialiased outline again; making
        it takes ~3.5 times as long."""
        left, top, width, height = r.getRect()
        x, y = math.floor(left), math.floor(top)
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        key = (id(pen), ratio, left - x, top - y, width, height)
        known = self._stamps.get(key)
        if known is None:
            if len(self._stamps) > 600:  # boxes of other sizes and places long gone
                self._stamps.clear()
            reach = math.ceil(pen.widthF() / 2) + 2  # px the stroke and its antialiasing reach
            size = (
                math.ceil(left + width) - x + 2 * reach,
                math.ceil(top + height) - y + 2 * reach,
            )
            stamp = QImage(
                round(size[0] * ratio),
                round(size[1] * ratio),
                QImage.Format.Format_ARGB32_Premultiplied,
            )
            stamp.setDevicePixelRatio(ratio)
            stamp.fill(0)
            stamper = QPainter(stamp)
            stamper.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            stamper.setPen(pen)
            stamper.drawRect(r.translated(reach - x, reach - y))  # the same place in a pixel
            stamper.end()
            known = self._stamps[key] = (pen, stamp, reach)  # the pen kept: its id stays its own
        return QPoint(x - known[2], y - known[2]), known[1]

    def _node_pen(self, n: NodeSpec) -> QPen:
        key = ("node", n.kind, n.selected, n.bad, n.faint)
        pen = self._pens.get(key)
        if pen is None:
            p = colors()
            if n.selected:
                pen = QPen(QColor(p.SELECTION), appearance.width(SELECTED_PEN_WIDTH))
            elif n.bad:
                width = appearance.width(SELECTED_PEN_WIDTH)
                pen = QPen(QColor(BAD_COLOR), width, Qt.PenStyle.DashLine)
            else:
                style = Qt.PenStyle.DashLine if n.faint else Qt.PenStyle.SolidLine
                color = QColor(getattr(p, NODE_COLORS[n.kind]))
                pen = QPen(color, appearance.width(NODE_PEN_WIDTH), style)
            pen.setCosmetic(True)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            self._pens[key] = pen
        return pen

    def _paint_node_glow(self, painter: QPainter, n: NodeSpec, rect: QRectF, scale: float) -> None:
        """‖dL/dh_t‖ as a halo around h_t: wider and darker for a larger gradient."""
        if n.glow_bad:
            margin = 0.09 * scale
            pen = QPen(QColor(BAD_COLOR), appearance.width(BAD_GLOW_WIDTH), Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
        else:
            margin = (0.03 + 0.07 * float(n.glow or 0.0)) * scale
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_lighter(n.glow_color))
        halo = rect.adjusted(-margin, -margin, margin, margin)
        painter.drawRoundedRect(halo, margin, margin)

    def _paint_labels(
        self, painter: QPainter, transform: QTransform, labels: list[LabelSpec]
    ) -> None:
        """Labels at a fixed size in points (at the appearance's scale), placed at their data
        anchors (device pixels): every backdrop in one call, then the texts grouped by font
        and colour."""
        painter.setOpacity(1.0)
        backdrops: list[QRect] = []
        texts: list[tuple[tuple[int, bool, bool], str, float, float, str]] = []
        sx, sy, dx, dy = transform.m11(), transform.m22(), transform.dx(), transform.dy()
        for lab in labels:
            _, _, sub_dy, sub_x, suffix_x = self._label_box(lab)
            left, top, width, height = self._label_place(lab, sx, sy, dx, dy)
            # On whole pixels: a translucent rectangle with fractional edges takes Qt's slow
            # antialiased path (~10 µs each, 9x a pixel-aligned one) for a softness no one sees.
            backdrops.append(QRectF(left - 2, top, width + 4, height).toRect())
            texts.append(((lab.size, lab.bold, lab.italic), lab.color, left, top, lab.base))
            if lab.sub:
                sub_key = (max(8, round(lab.size * SUB_SCALE)), lab.bold, False)
                texts.append((sub_key, lab.color, left + sub_x, top + sub_dy, lab.sub))
            if lab.suffix:
                texts.append(
                    ((lab.size, False, False), lab.color, left + suffix_x, top, lab.suffix)
                )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._backdrop)
        painter.drawRects(backdrops)
        font_key: tuple[int, bool, bool] | None = None
        color = ""
        for key, text_color, x, y, text in sorted(texts, key=lambda t: (t[0], t[1])):
            if key != font_key:
                font_key = key
                painter.setFont(self._font(*key))
            if text_color != color:
                color = text_color
                painter.setPen(QColor(color))
            # Drawn with the font its layout was made for: nothing is shaped again.
            painter.drawStaticText(QPointF(x, y), self._static(text, key))

    def label_size(self, lab: LabelSpec) -> tuple[float, float]:
        """(width, height) in pixels of the label's text."""
        width, height, *_ = self._label_box(lab)
        return width, height

    def label_rects(self, transform: QTransform) -> list[tuple[LabelSpec, QRectF]]:
        """Each label with the rectangle its text covers, in the pixels of ``transform`` (the
        item's transform to the viewport)."""
        sx, sy, dx, dy = transform.m11(), transform.m22(), transform.dx(), transform.dy()
        return [(lab, QRectF(*self._label_place(lab, sx, sy, dx, dy))) for lab in self.labels]

    def _label_place(
        self, lab: LabelSpec, sx: float, sy: float, dx: float, dy: float
    ) -> tuple[float, float, float, float]:
        """(left, top, width, height) of the label's text in device pixels, its anchor
        mapped by the scale (sx, sy) and offset (dx, dy) of the item's transform.

        On whole pixels: text is antialiased differently at different fractions of a pixel,
        so a picture scrolled by whole pixels (see _scroll) would differ from the labels
        drawn anew wherever the camera's position rounds another way."""
        width, height, *_ = self._label_box(lab)
        left = round(sx * lab.pos[0] + dx - lab.align[0] * width + lab.offset[0])
        top = round(sy * lab.pos[1] + dy - lab.align[1] * height + lab.offset[1])
        return left, top, width, height

    def _label_box(self, lab: LabelSpec) -> tuple[float, float, float, float, float]:
        """(width, height, subscript's top, subscript's x, suffix's x) of a label, in px."""
        key = (lab.base, lab.sub, lab.suffix, lab.size, lab.bold, lab.italic)
        box = self._label_boxes.get(key)
        if box is None:
            fm = QFontMetricsF(self._font(lab.size, lab.bold, lab.italic))
            fm_sub = QFontMetricsF(self._font(max(8, round(lab.size * SUB_SCALE)), lab.bold, False))
            sub_x = fm.horizontalAdvance(lab.base)
            suffix_x = sub_x + fm_sub.horizontalAdvance(lab.sub)
            suffix_font = self._font(lab.size, False, False)
            width = suffix_x + QFontMetricsF(suffix_font).horizontalAdvance(lab.suffix)
            height = fm.ascent() + fm.descent() + fm_sub.ascent() * 0.3
            # The subscript's baseline sits 0.35 of its ascent below the base line's.
            sub_dy = fm.ascent() + fm_sub.ascent() * 0.35 - fm_sub.ascent()
            box = self._label_boxes[key] = (width, height, sub_dy, sub_x, suffix_x)
        return box

    def _static(self, text: str, font_key: tuple[int, bool, bool]) -> QStaticText:
        """The text laid out once in its font (drawStaticText skips shaping every frame)."""
        static = self._texts.get((text, font_key))
        if static is None:
            if len(self._texts) > 2000:  # step numbers keep coming on a long sequence
                self._texts.clear()
            static = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), self._font(*font_key))
            self._texts[(text, font_key)] = static
        return static

    def _font(self, size: int, bold: bool, italic: bool) -> QFont:
        key = (size, bold, italic)
        if key not in self._fonts:
            f = QFont()
            f.setPointSizeF(appearance.pt(size))
            f.setBold(bold)
            f.setItalic(italic)
            self._fonts[key] = f
        return self._fonts[key]


def covered_rects(
    nodes: tuple[NodeSpec, ...],
    edges: tuple[EdgeSpec, ...],
    transform: tuple[float, float, float, float],
) -> np.ndarray:
    """(n, 4) rectangles (left, top, right, bottom) in pixels that the boxes with their pens
    and gradient halos, and the edges with their arrowheads, cover: where no label may go.
    ``transform`` is (sx, sy, dx, dy) from data units to pixels. Runs every frame: the
    boxes are handled as arrays, and each edge knows its block (kept with its column)."""
    sx, sy, dx, dy = transform
    scale = abs(sx)
    pen, wide_pen = appearance.width(NODE_PEN_WIDTH) / 2, appearance.width(SELECTED_PEN_WIDTH) / 2
    bad_halo = 0.09 * scale + appearance.width(BAD_GLOW_WIDTH) / 2
    parts: list[np.ndarray] = []  # (k, 5) blocks of (x0, y0, x1, y1, margin px)
    if nodes:
        rect = np.array([n.rect for n in nodes], dtype=float)  # (n, 4) x0, y0, w, h
        margin = np.array(
            [
                bad_halo
                if n.glow_bad
                else max(
                    wide_pen if n.selected or n.bad else pen,
                    (0.03 + 0.07 * n.glow) * scale if n.glow is not None else 0.0,
                )
                for n in nodes
            ]
        )  # (n,)
        corners = rect[:, :2] + rect[:, 2:]  # (n, 2)
        parts.append(np.column_stack([rect[:, :2], corners, margin]))
    shown = [e.block for e in edges if e.opacity >= 0.3]  # one fading out (folding) blocks none
    if shown:
        parts.append(np.array(shown))  # (m, 5)
    if not parts:
        return np.zeros((0, 4))
    spans = _device_spans(np.vstack(parts), sx, sy, dx, dy)  # (n, 4) left, right, top, bottom
    return spans[:, [0, 2, 1, 3]]  # (n, 4) left, top, right, bottom


def _in_view(edges: list[EdgeSpec], transform: QTransform, view: QRectF) -> list[EdgeSpec]:
    """The edges whose line, arrowhead or hover glow reach into ``view`` (pixels); the
    folded loops all (a few, in the middle)."""
    straight = [e for e in edges if len(e.points) == 2]
    if not straight:
        return edges
    sx, sy, dx, dy = transform.m11(), transform.m22(), transform.dx(), transform.dy()
    points = np.array([e.points for e in straight], dtype=float)  # (m, 2, 2)
    xs, ys = points[..., 0] * sx + dx, points[..., 1] * sy + dy  # (m, 2) each
    widths = np.array([e.width for e in straight])  # (m,)
    m = np.maximum(arrow_head_half(widths), (widths + HOVER_MARGIN) / 2) + AA_MARGIN  # (m,)
    inside = (
        (xs.min(axis=1) - m < view.right())
        & (xs.max(axis=1) + m > view.left())
        & (ys.min(axis=1) - m < view.bottom())
        & (ys.max(axis=1) + m > view.top())
    )  # (m,)
    kept = {id(e) for e, k in zip(straight, inside.tolist(), strict=True) if k}
    return [e for e in edges if len(e.points) != 2 or id(e) in kept]


def _clusters(spans: list[tuple[float, float, float, float]]) -> list[QRect]:
    """Whole-pixel rectangles around the (left, right, top, bottom) spans, one per run of
    spans less than ``CLUSTER_GAP`` pixels apart from left to right."""
    out: list[QRect] = []
    run: list[float] = []  # left, right, top, bottom of the run so far
    for left, right, top, bottom in sorted(spans):
        if run and left <= run[1] + CLUSTER_GAP:
            run = [run[0], max(run[1], right), min(run[2], top), max(run[3], bottom)]
            continue
        if run:
            out.append(_whole_pixels(*run))
        run = [left, right, top, bottom]
    if run:
        out.append(_whole_pixels(*run))
    return out


def _whole_pixels(left: float, right: float, top: float, bottom: float) -> QRect:
    x, y = math.floor(left), math.floor(top)
    return QRect(x, y, math.ceil(right) - x, math.ceil(bottom) - y)


def _changed_parts(old: tuple[Part, ...], new: tuple[Part, ...]) -> list[Part]:
    """The parts of ``old`` that ``new`` lacks and those it adds, by value (an edge by its
    key: its polyline is an array). Most parts of a frame are the last frame's very objects
    (columns that did not change are kept), so identity sorts them out first, hashing ints:
    a spec hashes all its fields anew at every call."""
    old_ids, new_ids = {id(p) for p in old}, {id(p) for p in new}
    gone = {_by_value(p): p for p in old if id(p) not in new_ids}
    came = {_by_value(p): p for p in new if id(p) not in old_ids}
    return [p for k, p in gone.items() if k not in came] + [
        p for k, p in came.items() if k not in gone
    ]


def _by_value(part: Part) -> object:
    return part.key if isinstance(part, EdgeSpec) else part


def _device_spans(blocks: np.ndarray, sx: float, sy: float, dx: float, dy: float) -> np.ndarray:
    """(n, 4) left, right, top, bottom in device pixels of the (n, 5) blocks (x0, y0, x1, y1
    in data units, and the pixels each reaches past them), under the scaling (sx, sy) and
    moving (dx, dy)."""
    xa, xb = sx * blocks[:, 0] + dx, sx * blocks[:, 2] + dx  # (n,)
    ya, yb = sy * blocks[:, 1] + dy, sy * blocks[:, 3] + dy  # (n,)
    m = blocks[:, 4]  # (n,)
    return np.column_stack(
        [
            np.minimum(xa, xb) - m,
            np.maximum(xa, xb) + m,
            np.minimum(ya, yb) - m,
            np.maximum(ya, yb) + m,
        ]
    )


def _reaching(spans: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """(n, k): whether each of the (n, 4) spans (left, right, top, bottom) reaches into each
    of the (k, 4) ``areas`` (left, top, right, bottom)."""
    left, right, top, bottom = (spans[:, [i]] for i in range(4))  # (n, 1) each
    x0, y0, x1, y1 = areas.T  # (k,) each
    return (left < x1) & (right > x0) & (top < y1) & (bottom > y0)  # (n, k)


def _changed_columns(
    new: np.ndarray | None, old: np.ndarray | None, before: np.ndarray | tuple[()] | None
) -> np.ndarray | None:
    """Which columns of the (L, n, 4) strip ``new`` differ from ``old`` (or from what
    ``before`` already marked), None for all of them. Columns past the old ones are new.

    A node drawn from column j keeps its spec while its step keeps column j, so comparing
    column by column finds the nodes whose colours changed under an unchanged spec.
    """
    if new is None or old is None or before is None or new.shape[0] != old.shape[0]:
        return None
    common = min(new.shape[1], old.shape[1])
    columns = np.ones(new.shape[1], dtype=bool)  # (n,)
    columns[:common] = (new[:, :common] != old[:, :common]).any(axis=(0, 2))
    marked = min(common, len(before))
    columns[:marked] |= np.asarray(before, dtype=bool)[:marked]
    return columns


def _primitives(kind: type[QLineF] | type[QPointF], values: np.ndarray) -> sip.array:
    """The (n, k) ``values`` as a sip array of n ``kind`` (QLineF: k = 4, QPointF: k = 2),
    which QPainter draws, whole or as a slice, with no Python object per primitive."""
    n, k = values.shape
    out = sip.array(kind, n)
    buffer = sip.voidptr(out, n * k * 8)
    np.frombuffer(buffer, dtype=np.float64).reshape(n, k)[:] = values  # (n, k)
    return out


def _polygon(points: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(float(x), float(y)) for x, y in points])


def _lighter(color: str) -> QColor:
    """``color`` mixed with the paper (white in the light theme), opaque (a translucent fill
    costs ~3x more to paint)."""
    c, paper = QColor(color), QColor(colors().PAPER)
    channels = zip(
        (c.red(), c.green(), c.blue()), (paper.red(), paper.green(), paper.blue()), strict=True
    )
    return QColor(*(round(q + (v - q) * HALO_MIX) for v, q in channels))


def _native_image(rgba: np.ndarray) -> QImage:
    """An (h, w, 4) RGBA array as a QImage of its own, in the painter's native format, so
    that drawImage needs no conversion.

    The buffer goes to QImage as a sip.voidptr: pyqtgraph's ndarray_to_qimage passes its
    address as an int, and PyQt6 then keeps about 100 bytes alive per image, for ever
    (three images per step here: the soak's RSS grew with every step).
    """
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)  # (h, w, 4)
    h, w = rgba.shape[:2]
    view = QImage(sip.voidptr(rgba), w, h, rgba.strides[0], QImage.Format.Format_RGBA8888)
    return view.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
