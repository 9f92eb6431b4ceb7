"""The graph's drawing: what is on screen, as plain records, and the one item that paints them.

All nodes, edges and labels of the visible window go through one ``GraphItem`` so a frame
is a single paint call (≤ a few hundred primitives), however long the sequence is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRect, QRectF, Qt
from PyQt6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPen,
    QPolygonF,
    QTransform,
)
from PyQt6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from rnnviz.views.graph_style import BAD_COLOR, HOVER_GLOW
from rnnviz.views.style import INPUT, OUTPUT, SELECTION, STATE

NODE_COLORS: dict[str, str] = {"x": INPUT, "h": STATE, "y": OUTPUT}
NODE_PEN_WIDTH = 2.5
SELECTED_PEN_WIDTH = 5.0
FAINT_OPACITY = 0.35  # inputs of the sequence that have not been fed yet
BAND_COLOR = (236, 236, 236)
HALO_MIX = 0.55  # halo colour = this much of the gradient colour on white: arrows stand out
HOVER_MARGIN = 14.0  # the hover glow is this many pixels wider than its edge
SUB_SCALE = 0.72  # subscript size relative to its base text
LABEL_BACKDROP = QColor(255, 255, 255, 150)  # keeps labels legible where they touch a line


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
    ) -> None:
        self.nodes, self.edges, self.labels, self.band = nodes, edges, labels, band
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
            painter.setBrush(QColor(*BAND_COLOR))
            painter.drawRoundedRect(transform.mapRect(QRectF(*self.band)), 8.0, 8.0)
        for n, r in boxes:
            if n.glow is not None or n.glow_bad:
                self._paint_node_glow(painter, n, r, scale)
        painter.restore()
        for e in self.edges:
            self._paint_edge(painter, e, scale)
        painter.save()
        painter.resetTransform()
        for n, r in boxes:
            self._paint_node(painter, n, r)
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
        painter.setOpacity(FAINT_OPACITY if n.faint else 1.0)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("white"))
        painter.drawRect(rect)
        image = self._images.get(n.kind)
        if n.strip >= 0 and image is not None:
            # Whole pixels: a fractional target sends drawImage down the antialiased path.
            painter.drawImage(rect.toRect(), image, QRect(n.strip, 0, 1, image.height()))
        if n.selected:
            pen = QPen(QColor(SELECTION), SELECTED_PEN_WIDTH)
        elif n.bad:
            pen = QPen(QColor(BAD_COLOR), SELECTED_PEN_WIDTH, Qt.PenStyle.DashLine)
        else:
            style = Qt.PenStyle.DashLine if n.faint else Qt.PenStyle.SolidLine
            pen = QPen(QColor(NODE_COLORS[n.kind]), NODE_PEN_WIDTH, style)
        pen.setCosmetic(True)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        painter.setOpacity(1.0)

    def _paint_node_glow(self, painter: QPainter, n: NodeSpec, rect: QRectF, scale: float) -> None:
        """‖dL/dh_t‖ as a halo around h_t: wider and darker for a larger gradient."""
        if n.glow_bad:
            margin = 0.09 * scale
            pen = QPen(QColor(BAD_COLOR), 4.0, Qt.PenStyle.DashLine)
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
        """Labels at a fixed size in points, placed at their data anchors (device pixels)."""
        painter.setOpacity(1.0)
        for lab in self.labels:
            base_font = self._font(lab.size, lab.bold, lab.italic)
            sub_font = self._font(max(8, round(lab.size * SUB_SCALE)), lab.bold, False)
            suffix_font = self._font(lab.size, False, False)
            fm, fm_sub = QFontMetricsF(base_font), QFontMetricsF(sub_font)
            sub_x = fm.horizontalAdvance(lab.base)
            suffix_x = sub_x + fm_sub.horizontalAdvance(lab.sub)
            width = suffix_x + QFontMetricsF(suffix_font).horizontalAdvance(lab.suffix)
            height = fm.ascent() + fm.descent() + fm_sub.ascent() * 0.3
            anchor = transform.map(QPointF(*lab.pos))
            left = anchor.x() - lab.align[0] * width + lab.offset[0]
            top = anchor.y() - lab.align[1] * height + lab.offset[1]
            baseline = top + fm.ascent()
            painter.fillRect(QRectF(left - 2, top, width + 4, height), LABEL_BACKDROP)
            painter.setPen(QColor(lab.color))
            painter.setFont(base_font)
            painter.drawText(QPointF(left, baseline), lab.base)
            if lab.sub:
                painter.setFont(sub_font)
                painter.drawText(QPointF(left + sub_x, baseline + fm_sub.ascent() * 0.35), lab.sub)
            if lab.suffix:
                painter.setFont(suffix_font)
                painter.drawText(QPointF(left + suffix_x, baseline), lab.suffix)

    def _font(self, size: int, bold: bool, italic: bool) -> QFont:
        key = (size, bold, italic)
        if key not in self._fonts:
            f = QFont()
            f.setPointSize(size)
            f.setBold(bold)
            f.setItalic(italic)
            self._fonts[key] = f
        return self._fonts[key]


def _polygon(points: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(float(x), float(y)) for x, y in points])


def _lighter(color: str) -> QColor:
    """``color`` mixed with white, opaque (a translucent fill costs ~3x more to paint)."""
    c = QColor(color)
    mix = [round(255 + (v - 255) * HALO_MIX) for v in (c.red(), c.green(), c.blue())]
    return QColor(*mix)
