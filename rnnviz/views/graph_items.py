"""The graph's drawing: what is on screen, as plain records, and the one item that paints them.

All nodes, edges and labels of the visible window go through one ``GraphItem`` so a frame
is a single paint call (≤ a few hundred primitives), however long the sequence is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QLineF, QPointF, QRect, QRectF, Qt
from PyQt6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPen,
    QPolygonF,
    QStaticText,
    QTransform,
)
from PyQt6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from rnnviz.views.graph_style import BAD_COLOR, HOVER_GLOW
from rnnviz.views.style import appearance

NODE_COLORS: dict[str, str] = {"x": "INPUT", "h": "STATE", "y": "OUTPUT"}  # palette names
NODE_PEN_WIDTH = 2.5  # px at scale 1
SELECTED_PEN_WIDTH = 5.0
BAD_GLOW_WIDTH = 4.0
FAINT_OPACITY = 0.35  # inputs of the sequence that have not been fed yet
HALO_MIX = 0.55  # halo colour = this much of the gradient colour on paper: arrows stand out
HOVER_MARGIN = 14.0  # the hover glow is this many pixels wider than its edge
SUB_SCALE = 0.72  # subscript size relative to its base text
BACKDROP_ALPHA = 150  # labels sit on the paper at this opacity where they touch a line


@dataclass(frozen=True)
class NodeSpec:
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


@dataclass(frozen=True)
class LabelSpec:
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
        self._white = QColor("white")  # under the value strips, whose 0 is white
        self._stacked = False
        self.restyle()

    def restyle(self) -> None:
        """Take the appearance's colours, type size and line widths (cached ones are
        dropped) and paint again."""
        p = appearance.palette
        self._fonts.clear()
        self._label_boxes.clear()
        self._texts.clear()
        self._pens.clear()
        self._band = QColor(p.BAND)
        self._backdrop = QColor(p.PAPER)
        self._backdrop.setAlpha(BACKDROP_ALPHA)
        self.update()

    def set_images(self, strips: dict[str, np.ndarray]) -> None:
        """One (L, n, 4) RGBA image per row kind; node ``strip`` j is its column j."""
        # Converted once to the painter's native format: drawImage then needs no conversion.
        self._images = {
            k: pg.functions.ndarray_to_qimage(a, QImage.Format.Format_RGBA8888).convertToFormat(
                QImage.Format.Format_ARGB32_Premultiplied
            )
            for k, a in strips.items()
            if a.size
        }

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
        self.nodes, self.edges, self.labels, self.band = nodes, edges, labels, band
        self._stacked = stacked
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem | None = None,
        widget: QWidget | None = None,
    ) -> None:
        transform = painter.transform()
        scale = abs(transform.m11()) or 1.0  # pixels per data unit
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for e in self.edges:
            if e.highlighted:
                self._paint_glow(painter, e)
        # Boxes, halos and labels are drawn in device pixels: a y-flipped transform would send
        # every drawImage and rounded rectangle down Qt's slow path (~10x slower).
        device = painter.device()
        seen = QRectF(0, 0, device.width(), device.height()) if device else QRectF()
        boxes = [(n, transform.mapRect(QRectF(*n.rect))) for n in self.nodes]
        boxes = [(n, r) for n, r in boxes if seen.isEmpty() or r.intersects(seen)]
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
        straight = [e for e in self.edges if len(e.points) == 2]
        self._paint_arrows(painter, straight, scale)
        for e in self.edges:
            if len(e.points) != 2:
                self._paint_edge(painter, e, scale)
        painter.save()
        painter.resetTransform()
        if self._stacked:
            for n, r in boxes:
                self._paint_node(painter, n, r)
        else:
            self._paint_nodes(painter, boxes)
        self._paint_labels(painter, transform)
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

    def _paint_arrows(self, painter: QPainter, edges: list[EdgeSpec], scale: float) -> None:
        """Straight edges, all at once: the geometry in NumPy, then one drawLines per pen and
        one drawPolygon per head (a Python loop of NumPy calls per edge cost ~40 µs each)."""
        if not edges:
            return
        p0 = np.array([e.points[0] for e in edges])  # (n, 2)
        p1 = np.array([e.points[1] for e in edges])  # (n, 2)
        width = np.array([e.width for e in edges])  # (n,)
        length = np.hypot(*(p1 - p0).T)  # (n,)
        shown = (length * scale >= 1.0) & (np.array([e.opacity for e in edges]) > 0.01)
        unit = (p1 - p0) / np.maximum(length, 1e-12)[:, None]  # (n, 2)
        head_len = (11.0 + 1.2 * width) / scale  # (n,)
        head_half = (6.0 + 0.8 * width) / scale  # (n,)
        short = length < head_len * 1.2  # a short edge gets a smaller head
        head_half = np.where(short, head_half * length / (1.2 * head_len), head_half)
        head_len = np.where(short, length / 1.2, head_len)
        # A thick line must not poke through the tip.
        shaft_end = p1 - unit * (head_len * 0.9)[:, None]  # (n, 2)
        base = p1 - unit * head_len[:, None]  # (n, 2)
        normal = np.column_stack([-unit[:, 1], unit[:, 0]]) * head_half[:, None]  # (n, 2)
        lines: dict[tuple[str, float, bool, float], list[QLineF]] = {}
        heads: dict[tuple[str, float], list[QPolygonF]] = {}
        for i, e in enumerate(edges):
            if not shown[i]:
                continue
            (ax, ay), (bx, by) = p0[i], shaft_end[i]
            lines.setdefault((e.color, e.width, e.dashed, e.opacity), []).append(
                QLineF(ax, ay, bx, by)
            )
            tip, left, right = p1[i], base[i] + normal[i], base[i] - normal[i]
            heads.setdefault((e.color, e.opacity), []).append(
                QPolygonF([QPointF(*tip), QPointF(*left), QPointF(*right)])
            )
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for (color, w, dashed, opacity), group in lines.items():
            painter.setOpacity(opacity)
            painter.setPen(self._pen(color, w, dashed))
            painter.drawLines(group)
        painter.setPen(Qt.PenStyle.NoPen)
        for (color, opacity), polygons in heads.items():
            painter.setOpacity(opacity)
            painter.setBrush(QColor(color))
            for polygon in polygons:
                painter.drawPolygon(polygon)
        painter.setOpacity(1.0)

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
        head_len = (11.0 + 1.2 * e.width) / scale
        head_half = (6.0 + 0.8 * e.width) / scale
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

    def _paint_node(self, painter: QPainter, n: NodeSpec, rect: QRectF) -> None:
        if n.faint:
            painter.setOpacity(FAINT_OPACITY)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._white)
        painter.drawRect(rect)
        image = self._images.get(n.kind)
        if n.strip >= 0 and image is not None:
            # Whole pixels: a fractional target sends drawImage down the antialiased path.
            painter.drawImage(rect.toRect(), image, QRect(n.strip, 0, 1, image.height()))
        painter.setPen(self._node_pen(n))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        if n.faint:
            painter.setOpacity(1.0)

    def _paint_nodes(self, painter: QPainter, boxes: list[tuple[NodeSpec, QRectF]]) -> None:
        """Nodes that do not overlap, in batches: white boxes, their strips, then the
        outlines of each pen in one call (faint ones, not fed yet, at low opacity)."""
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
                painter.setPen(pen)
                painter.drawRects(rects)
        painter.setOpacity(1.0)

    def _node_pen(self, n: NodeSpec) -> QPen:
        key = ("node", n.kind, n.selected, n.bad, n.faint)
        pen = self._pens.get(key)
        if pen is None:
            p = appearance.palette
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

    def _paint_labels(self, painter: QPainter, transform: QTransform) -> None:
        """Labels at a fixed size in points (at the appearance's scale), placed at their data
        anchors (device pixels): every backdrop in one call, then the texts grouped by font
        and colour."""
        painter.setOpacity(1.0)
        backdrops: list[QRectF] = []
        texts: list[tuple[tuple[int, bool, bool], str, float, float, str]] = []
        for lab in self.labels:
            width, height, sub_dy, sub_x, suffix_x = self._label_box(lab)
            anchor = transform.map(QPointF(*lab.pos))
            left = anchor.x() - lab.align[0] * width + lab.offset[0]
            top = anchor.y() - lab.align[1] * height + lab.offset[1]
            backdrops.append(QRectF(left - 2, top, width + 4, height))
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


def _polygon(points: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(float(x), float(y)) for x, y in points])


def _lighter(color: str) -> QColor:
    """``color`` mixed with the paper (white in the light theme), opaque (a translucent fill
    costs ~3x more to paint)."""
    c, paper = QColor(color), QColor(appearance.palette.PAPER)
    channels = zip(
        (c.red(), c.green(), c.blue()), (paper.red(), paper.green(), paper.blue()), strict=True
    )
    return QColor(*(round(q + (v - q) * HALO_MIX) for v, q in channels))
