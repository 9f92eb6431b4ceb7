"""The network drawn folded (x → h ⟲ → y) or unrolled through time.

Each node is a box of coloured cells, one per component of its vector (blue < 0 < red); the
selected step stands on a grey band with black outlines. After backpropagation the W_hh
arrow into h_t and a purple halo around h_t grow with log ‖dL/dh_t‖, so the gradient's
fading (or growth) along the chain is visible. Hovering a weight lights it at every step
(the weights are shared); hovering a node shows its numbers; clicking a step selects it.

Only a window of columns around the selected step is drawn (≤ 60, all in one item), so a
frame costs the same at T = 10 and T = 1000.
"""

from __future__ import annotations

import html
import math
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import (
    QEasingCurve,
    QEvent,
    QObject,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    Qt,
    QVariantAnimation,
)
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from rnnviz.session import Change, Session
from rnnviz.session.explain import format_vector
from rnnviz.views.binding import listen
from rnnviz.views.graph import layout as gl
from rnnviz.views.graph.items import (
    EdgeSpec,
    GraphItem,
    LabelSpec,
    NodeSpec,
    arrow_head_half,
    covered_rects,
)
from rnnviz.views.graph.row_header import Piece, RowHeader, RowName
from rnnviz.views.graph.scene import (
    FOLDED_LABEL_OFFSET,
    H_LABEL_DX,
    LABEL_GAP,
    Content,
    ContentMemo,
    EdgeMemo,
    LabelMemo,
    NodeMemo,
    Scene,
    alternatives,
    build_content,
    build_scene,
    edge_kind_at,
    node_at,
    node_label_offset,
    sample_labels,
    weight_label_dx,
)
from rnnviz.views.graph.style import EDGE_WIDTH
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.sizes import LABEL_PT
from rnnviz.views.look.widget_style import badge_label, set_badge, set_font, set_text_color

ANIMATION_MS = 300
EDGE_PX = 4.0  # px kept between the outermost labels and the view's edge
SHELF_PX = 64.0  # labels are checked for overlaps against what lies in their 64 px stretches
HOVER_PX = 9.0  # how close (pixels) the mouse must be to an edge to light it
TOOLTIP_PT = 14
_FALLBACK_SIZE = (900.0, 400.0)  # before the first layout the view box has no size yet
_WEIGHT_TEXT = {
    "W_xh": ("W_ih", "input → state"),
    "W_hh": ("W_hh", "state → next state"),
    "W_hy": ("W_hy", "state → output"),
}


class GraphView(QWidget):
    """The network graph. ``unrolled`` starts True; ``toggle_unrolled`` animates the change."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._unrolled = True
        self._progress = 1.0  # 0 folded … 1 unrolled; animated between the two
        self._hover: str | None = None  # the edge kind under the mouse
        self._content: Content | None = None
        self._scene: Scene | None = None
        self._folded_cam = (0.0, 100.0)  # (centre x, pixels per unit)
        self._unrolled_cam = (0.0, gl.PX_PER_COLUMN)
        self._camera: tuple[float, float, float, float] | None = None  # the range set last
        self._label_scale = 1.0  # unrolled labels shrink by this in narrow columns
        self._gutter = 0  # px at the left edge for a stack's row names, kept clear of columns
        self._edge_memo: EdgeMemo = {}  # the last frame's edges, by column
        self._node_memo: NodeMemo = {}  # … and nodes
        self._label_memo: LabelMemo = {}  # the nodes' labels
        self._content_memo = ContentMemo()  # the last frame's colours
        # Each label's places (its own and its alternatives) with their boxes' numbers.
        self._label_places: dict[LabelSpec, tuple[tuple[LabelSpec, tuple[float, ...]], ...]] = {}

        self.status = QLabel()
        set_font(self.status, LABEL_PT)
        set_text_color(self.status, "INK")
        self.status.setWordWrap(True)  # a narrow panel gets two lines, not a wider window
        self.badge = badge_label()
        self.graphics = pg.GraphicsView(background=colors().PAPER)
        self.view_box = pg.ViewBox(enableMouse=False, enableMenu=False, defaultPadding=0.0)
        self.view_box.disableAutoRange()
        self.graphics.setCentralItem(self.view_box)
        self.graph_item = GraphItem()
        self.view_box.addItem(self.graph_item)
        self.row_header = RowHeader(session, self.graphics.viewport())

        header = QHBoxLayout()
        header.addWidget(self.status, 1)
        header.addWidget(self.badge)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(self.graphics, 1)

        self._anim = QVariantAnimation(self)
        self._anim.setEasingCurve(QEasingCurve.Type.InOutCubic)
        self._anim.valueChanged.connect(self.show_progress)

        scene = self.graphics.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)
        self.graphics.viewport().installEventFilter(self)
        self.view_box.sigResized.connect(self.redraw)

        listen(session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self.redraw()

    def legible_height(self, one_layer_px: float) -> int:
        """The least height of the drawing, given one layer's: a stack needs more, for its
        boxes to be as large as one layer's (three layers: 1.6 times as much)."""
        return round(one_layer_px * gl.legible_share(self.session.depth[0]))

    # ---- folded / unrolled -------------------------------------------------------
    @property
    def unrolled(self) -> bool:
        """Whether the graph is (or is animating towards being) unrolled through time."""
        return self._unrolled

    @property
    def progress(self) -> float:
        """Where the drawing is: 0 folded, 1 unrolled, in between while animating."""
        return self._progress

    @property
    def animating(self) -> bool:
        return self._anim.state() == QVariantAnimation.State.Running

    def set_unrolled(self, on: bool, animate: bool = True) -> None:
        """Fold or unroll; animated only when asked and shown (a hidden view just jumps)."""
        self._unrolled = on
        end = 1.0 if on else 0.0
        self._anim.stop()
        if not animate or not self.isVisible() or self._progress == end:
            self._progress = end
            self._place()
            self._update_status()
            return
        self._anim.setStartValue(self._progress)
        self._anim.setEndValue(end)
        self._anim.setDuration(max(1, round(ANIMATION_MS * abs(end - self._progress))))
        self._anim.start()
        self._update_status()

    def toggle_unrolled(self) -> None:
        self.set_unrolled(not self._unrolled)

    def show_progress(self, progress: float) -> None:
        """Draw the transition at ``progress`` (0 folded … 1 unrolled): one animation frame."""
        self._progress = min(max(float(progress), 0.0), 1.0)
        self._place()

    # ---- what is shown -----------------------------------------------------------
    def redraw(self) -> None:
        """Read the session and redraw everything (what each session change triggers)."""
        w, h = self._viewport_size()
        s = self.session
        focus = s.selected_step or 0
        last = max(s.t, s.sequence.shape[0])  # the last column: fed steps and upcoming inputs
        layers, directions = s.depth
        # Labels keep their size in pixels and the rows get what they leave; narrow columns
        # shrink the labels, which leaves the rows more: a few rounds settle both. A stack's
        # row names take a strip at the left edge (gutter) and the columns the rest.
        arrow = arrow_head_half(appearance.width(EDGE_WIDTH))
        shrink = used = 1.0
        gutter = self.row_header.width_for(layers, directions) if layers * directions > 1 else 0
        for _ in range(3):
            used = shrink  # the size the labels are given room for in this round
            room = {k: self.graph_item.label_size(lab) for k, lab in sample_labels(used).items()}
            label_px = room["node"][1] + node_label_offset() + LABEL_GAP
            scale = gl.unrolled_scale(h, label_px, layers, w - gutter)
            # An h_t label (under the halos) has the room from the previous column's W_xh
            # arrow to its own halo; a wider one shrinks.
            between = scale * (1.0 - H_LABEL_DX) - arrow - 2 * LABEL_GAP
            shrink = min(1.0, between / room["h"][0])
        self._label_scale = min(used, shrink)
        self._gutter = gutter
        span = (w - gutter) / scale  # the columns' room
        shift = gl.BIDI_DX if directions == 2 else 0.0  # the forward boxes sit left of h_0's x
        left = -(shift + H_LABEL_DX + (LABEL_GAP + room["h0"][0] + EDGE_PX) / scale)
        right = (weight_label_dx(scale) + room["weight"][0] + EDGE_PX) / scale
        centre = gl.unrolled_centre(
            self._unrolled_cam[0],
            focus,
            last,
            span,
            min(left, gl.LEFT_EDGE),
            max(right, gl.RIGHT_MARGIN),
        )
        columns = math.ceil(span) + 4
        lo, hi = gl.window(centre, last, columns)
        if not lo <= focus <= hi:
            lo, hi = gl.window(focus, last, columns)
        self._content = build_content(s, lo, hi, self._content_memo)
        self.graph_item.set_images(self._content.strips)
        self._unrolled_cam = (centre, scale)
        folded_room = room["folded"][1] + FOLDED_LABEL_OFFSET + LABEL_GAP
        self._folded_cam = (gl.folded_centre(focus), gl.folded_scale(w, h, folded_room, layers))
        self._place()
        self._update_status()

    def node_positions(self) -> dict[str, tuple[float, float]]:
        """Name → centre (data units) of every node drawn now: "h_0", "x_3", … when unrolled,
        "x", "h", "y" when folded."""
        return {n.name: n.centre for n in self.nodes()}

    def nodes(self) -> tuple[NodeSpec, ...]:
        """The nodes as drawn now (position, strip, selection, gradient halo)."""
        return self._scene.nodes if self._scene is not None else ()

    def edges(self) -> tuple[EdgeSpec, ...]:
        """The edges as drawn now (kind, step, polyline, pen width and colour, highlight)."""
        return self._scene.edges if self._scene is not None else ()

    def labels(self) -> list[str]:
        """The texts of the labels drawn now, e.g. "h_3", "W_hh" (subscripts after "_")."""
        if self._scene is None:
            return []
        return [f"{lab.base}_{lab.sub}" if lab.sub else lab.base for lab in self._scene.labels]

    def label_rects(self) -> list[tuple[str, QRectF]]:
        """Each label drawn now ("h_3", "W_hh" …) with the rectangle its text covers, in
        ``graphics.viewport()`` pixels."""
        transform = self.graph_item.deviceTransform(self.graphics.viewportTransform())
        return [
            (f"{lab.base}_{lab.sub}" if lab.sub else lab.base, rect)
            for lab, rect in self.graph_item.label_rects(transform)
        ]

    def row_names(self) -> list[Piece]:
        """A stack's row names and arrows drawn now at the left edge, their rectangles in
        ``graphics.viewport()`` pixels (none for one layer, or while folded)."""
        return self.row_header.shown()

    def drawing_area(self) -> QRect:
        """The part of ``graphics.viewport()`` that shows the drawing: all of it but the
        strip of a stack's row names."""
        area = self.graphics.viewport().rect()
        if self.row_header.isVisible():
            area.setLeft(self.row_header.width())
        return area

    @property
    def hovered_edge(self) -> str | None:
        """The weight ("W_xh", "W_hh", "W_hy") lit at every step because the mouse is on it."""
        return self._hover

    def map_to_viewport(self, x: float, y: float) -> QPoint:
        """Where the data point (x, y) is in ``graphics.viewport()`` pixels (for tests)."""
        scene_pos = self.view_box.mapViewToScene(QPointF(x, y))
        return self.graphics.mapFromScene(scene_pos)

    # ---- mouse -------------------------------------------------------------------
    def hover_at(self, x: float, y: float) -> str | None:
        """The mouse is at data point (x, y): light a weight or set a node's tooltip.

        Returns the node's name or the edge's kind under the point (None for neither).
        """
        if self._scene is None:
            return None
        px = self.view_box.viewPixelSize()[0]
        node = node_at(self._scene, x, y, 2 * px)
        kind = None if node is not None else edge_kind_at(self._scene, x, y, HOVER_PX * px)
        self.graph_item.setToolTip(self.node_tooltip(node.name) if node is not None else "")
        self._set_hover(kind)
        return node.name if node is not None else kind

    def click_at(self, x: float, y: float) -> int | None:
        """A click at data point (x, y): a node of a fed step t selects t; in a stack, an h
        node also focuses its layer and direction. Returns t."""
        if self._scene is None:
            return None
        node = node_at(self._scene, x, y, 2 * self.view_box.viewPixelSize()[0])
        step = None if node is None else node.step
        if node is None or step is None or not 1 <= step <= self.session.t:
            return None
        if node.kind == "h" and self.session.depth[0] * self.session.depth[1] > 1:
            self.session.set_focus(node.layer, node.direction)
        self.session.select(step)
        return step

    def node_tooltip(self, name: str) -> str:
        """HTML with the node's vector (abbreviated for long ones) and, after BPTT, dL/dh_t."""
        base, _, rest = name.partition("_")
        kind, _, layer = base.partition("^")  # "h^2": layer 2 of a stack
        s = self.session
        step = int(rest) if rest else (s.selected_step or 0)
        lines: list[str] = []
        if kind == "h" and layer and step <= s.t:
            d = 1 if layer.endswith("←") else 0  # "h^2←": layer 2's backward direction
            layer = layer.rstrip("←")
            k = int(layer) - 1
            if d == 0:
                h = s.stack_trace.layers[k][0].h_all[step]  # (H,)
            else:
                h = s.stack_trace.h(k, 1)[step - 1]  # (H,)
            arrow = ("", " (forward)", " (backward)")[d + 1 if s.depth[1] == 2 else 0]
            lines.append(f"layer {layer}{arrow}: h<sub>{step}</sub> = {format_vector(h)}")
            norms = s.depth_grad_norm  # (L, D, t) | None
            if norms is not None and 1 <= step <= norms.shape[2]:
                norm = _number(float(norms[k, d, step - 1]))
                lines.append(f"‖∂L/∂h<sub>{step}</sub>‖ = {norm}")
        elif kind == "h" and step <= s.t:
            lines.append(f"h<sub>{step}</sub> = {format_vector(s.trace.h_all[step])}")
            g = s.gradients
            if g is not None and 1 <= step <= g.dL_dh_norm.size:
                norm = _number(float(g.dL_dh_norm[step - 1]))
                lines.append(f"‖∂L/∂h<sub>{step}</sub>‖ = {norm}")
                lines.append(f"∂L/∂h<sub>{step}</sub> = {format_vector(g.dL_dh[step - 1])}")
        elif kind == "x" and 1 <= step <= s.sequence.shape[0]:
            later = "  (not fed yet)" if step > s.t else ""
            lines.append(f"x<sub>{step}</sub> = {format_vector(s.sequence[step - 1])}{later}")
        elif kind == "y" and 1 <= step <= s.t:
            lines.append(f"y<sub>{step}</sub> = {format_vector(s.trace.y[step - 1])}")
            target = s.targets[step - 1]
            # A character of the user's text, inside our markup: escaped.
            char = html.escape(repr(s.vocab[int(target)]), quote=False)
            shown = format_vector(target) if target.ndim else char
            lines.append(f"target = {shown}")
        else:
            lines.append(f"{kind}: nothing fed yet")
        size = appearance.pt(TOOLTIP_PT)
        return f"<span style='font-size:{size:g}pt'>" + "<br>".join(lines) + "</span>"

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if event is not None and event.type() == QEvent.Type.Leave:
            self._set_hover(None)
        return super().eventFilter(obj, event)

    # ---- internals -----------------------------------------------------------------
    def _on_session_changed(self, changes: Change) -> None:
        # Whatever changed shows in the graph (its steps, numbers, halos, the selection).
        layers = self._content.layers if self._content is not None else None
        self.redraw()
        if self._content is not None and self._content.layers != layers:
            # Another number of layers needs another least height: the page that holds
            # the graph hears it as a layout request (see legible_height).
            layout = self.layout()
            assert layout is not None
            layout.invalidate()

    def _on_appearance_changed(self) -> None:
        """Everything drawn again in the theme's colours, type size and line widths."""
        self.graphics.setBackground(colors().PAPER)
        self.graph_item.restyle()
        self.row_header.restyle()
        self._content_memo = ContentMemo()  # the gradients' colours are the theme's
        self._label_places.clear()  # the labels' sizes are the type size's
        self._label_memo.clear()  # their colours are the theme's, their offsets the line widths'
        self.redraw()

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        p = self.view_box.mapSceneToView(scene_pos)
        self.hover_at(p.x(), p.y())

    def _on_mouse_clicked(self, ev: object) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        p = self.view_box.mapSceneToView(ev.scenePos())  # type: ignore[attr-defined]
        self.click_at(p.x(), p.y())

    def _set_hover(self, kind: str | None) -> None:
        if kind != self._hover:
            self._hover = kind
            self._place()
            self._update_status()

    def _viewport_size(self) -> tuple[float, float]:
        w, h = self.view_box.width(), self.view_box.height()
        return (w, h) if w > 10 and h > 10 else _FALLBACK_SIZE

    def _place(self) -> None:
        """Lay the content out for the current progress and point the camera at it."""
        if self._content is None:
            return
        sc = build_scene(
            self._content,
            self._progress,
            self._hover,
            self._unrolled_cam[1],
            self._label_scale,
            self._edge_memo,
            self._node_memo,
            self._label_memo,
        )
        w, h = self._viewport_size()
        mid = gl.middle_y(self._content.layers)
        centre, scale = self._unrolled_cam  # the centre of the columns, right of the gutter
        unrolled = (centre - self._gutter / (2 * scale), scale)
        camera = gl.camera(self._progress, self._folded_cam, unrolled, w, h, mid)
        if self._progress >= 1.0:
            # The left edge on a whole pixel: as the view follows the steps, the picture
            # moves by whole pixels, and the graph scrolls what it drew instead of drawing
            # it all again.
            x0, x1, y0, y1 = camera
            px = w / (x1 - x0)
            snapped = round(x0 * px) / px
            camera = (snapped, snapped + (x1 - x0), y0, y1)
        names = self._gutter if self._progress >= 1.0 else 0  # the strip shows at rest
        sc = replace(sc, labels=self._whole_labels(sc, camera, w, h, names))
        self._scene = sc
        stacked = 0.0 < self._progress < 1.0  # folding: columns slide over each other
        self.graph_item.set_scene(sc.nodes, sc.edges, sc.labels, sc.band, sc.bounds, stacked)
        if camera != self._camera:  # most frames keep it: setRange would only check that
            self._camera = camera
            x0, x1, y0, y1 = camera
            self.view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)
            # The new camera now, not at the paint: pyqtgraph moves the items there, which
            # asks for a second paint of the whole view after the one that drew the frame.
            self.view_box.updateMatrix()
        self._name_rows(camera, h, names)

    def _name_rows(self, camera: tuple[float, float, float, float], h: float, width: int) -> None:
        """The row names' strip, ``width`` px wide (hidden at 0), each name at its row's
        height under ``camera``."""
        if not width:
            self.row_header.hide()
            return
        _, _, y0, y1 = camera
        c = self._content
        assert c is not None
        scale = h / (y1 - y0)
        D = c.directions
        rows = tuple(
            RowName(k, d, scale * (y1 - gl.h_centre(0.0, k, d, D)[1]))
            for k in range(c.layers)
            for d in range(D)
        )
        self.row_header.set_rows(rows, (c.focus_layer, c.focus_direction), width)
        self.row_header.show()

    def _whole_labels(
        self,
        scene: Scene,
        camera: tuple[float, float, float, float],
        w: float,
        h: float,
        gutter: int = 0,
    ) -> tuple[LabelSpec, ...]:
        """The labels that fit whole: inside the view right of the ``gutter`` (px), off
        every box, halo and arrow, and clear of every label before them (they come in order
        of priority). A label that does not fit is left out, never cut or drawn over."""
        x0, x1, _, y1 = camera
        scale = w / (x1 - x0)
        covered = covered_rects(scene.nodes, scene.edges, (scale, -scale, -scale * x0, scale * y1))
        # Every place a label may take (its own, then its alternatives), in order, with its
        # anchor, alignment, offset and size: known from earlier frames for most labels.
        known = self._label_places
        if len(known) > 4000:  # labels of columns long gone
            known.clear()
        size = self.graph_item.label_size
        places: list[tuple[int, LabelSpec]] = []
        rows: list[tuple[float, ...]] = []
        own: list[int] = []  # for each place, the index of its label's own place
        for i, first in enumerate(scene.labels):
            options = known.get(first)
            if options is None:
                options = known[first] = tuple(
                    (lab, (*lab.pos, *lab.align, *lab.offset, *size(lab)))
                    for lab in (first, *alternatives(first))
                )
            start = len(places)
            for lab, row in options:
                places.append((i, lab))
                rows.append(row)
                own.append(start)
        if not places:
            return ()
        boxes = np.array(rows)  # (m, 8) x, y, align x, align y, offset x, offset y, width, height
        left = scale * (boxes[:, 0] - x0) - boxes[:, 2] * boxes[:, 6] + boxes[:, 4]  # (m,)
        top = scale * (y1 - boxes[:, 1]) - boxes[:, 3] * boxes[:, 7] + boxes[:, 5]  # (m,)
        right, bottom = left + boxes[:, 6], top + boxes[:, 7]  # (m,)
        fits = (left >= gutter) & (top >= 0) & (right <= w) & (bottom <= h)  # (m,)
        # A label whose own place the view's edge cuts is left out, not moved across its
        # box: moved, it took the next label's place, which moved on to the next, until the
        # last one in the row (h₁₉ beside the selected h₂₀) had no place left. The selected
        # step's labels come first and push none out: they may move.
        selected = str(self._content.selected) if self._content is not None else ""
        movable = np.array([lab.sub == selected for _, lab in places])  # (m,)
        fits &= fits[own] | movable
        # Overlapping what is drawn by more than a pixel either way (antialiasing may touch,
        # not cover): one test of every place in the view against every block in it.
        seen = (covered[:, 2] > 0) & (covered[:, 0] < w) & (covered[:, 3] > 0) & (covered[:, 1] < h)
        blocks = covered[seen]  # (n, 4)
        inside = np.flatnonzero(fits)  # (k,)
        if blocks.size and inside.size:
            a, b, c, d = (
                left[inside, None],
                top[inside, None],
                right[inside, None],
                bottom[inside, None],
            )
            # min(right, c) − max(left, a) > 1 across (and so down), as comparisons alone:
            # each of the four differences > 1; a block or place 1 px wide or less covers
            # nothing.
            wide = (blocks[:, 2] - blocks[:, 0] > 1.0) & (blocks[:, 3] - blocks[:, 1] > 1.0)
            roomy = (c - a > 1.0) & (d - b > 1.0)  # (k, 1)
            blocks = blocks[wide]  # (n, 4)
            hits = (blocks[:, 2] > a + 1.0) & (blocks[:, 0] < c - 1.0)  # (k, n)
            hits &= (blocks[:, 3] > b + 1.0) & (blocks[:, 1] < d - 1.0)
            fits[inside] = ~(hits.any(axis=1) & roomy[:, 0])
        # The labels kept so far, filed by stretches of the view's width: a place is checked
        # against its neighbours only.
        shelves: dict[int, list[tuple[float, float, float, float]]] = {}
        kept: list[LabelSpec] = []
        done = -1  # the last label given a place
        rects = np.column_stack([left, top, right, bottom]).tolist()
        for (i, lab), ok, (a, b, c, d) in zip(places, fits.tolist(), rects, strict=True):
            if not ok or i == done:
                continue
            stretches = range(int(a // SHELF_PX), int(c // SHELF_PX) + 1)
            if any(
                min(k[2], c) - max(k[0], a) > 1.0 and min(k[3], d) - max(k[1], b) > 1.0
                for j in stretches
                for k in shelves.get(j, ())
            ):
                continue
            kept.append(lab)
            done = i
            for j in stretches:
                shelves.setdefault(j, []).append((a, b, c, d))
        return tuple(kept)

    def _update_status(self) -> None:
        s, c = self.session, self._content
        if c is None:
            return
        if self._hover is not None:
            name, role = _WEIGHT_TEXT[self._hover]
            rows, cols = getattr(s.params, name).shape
            sub = self._hover[2:]
            text = (
                f"<b>W<sub>{sub}</sub></b> ({role}, {rows}×{cols}) is <b>one</b> matrix, "
                "shared by every step"
            )
            if c.layers > 1:  # s.params: the focused layer's
                text = (
                    f"<b>W<sub>{sub}</sub></b> ({role}, {rows}×{cols} in layer "
                    f"{c.focus_layer + 1}): <b>one</b> matrix per layer, shared by every step"
                )
        elif not self._unrolled:
            at = f"showing t = {c.focus}" if c.focus else "no step fed yet"
            cells = "one cell" if c.layers == 1 else "one cell per layer"
            text = f"<b>Folded</b>: {cells}, reused at every step ({at})"
        else:
            # The same text at every step: a label whose text changes is laid out again.
            text = "<b>Unrolled</b> through time"
            if s.gradients is not None:
                text += "  ·  halo and arrow width: log ‖∂L/∂h<sub>t</sub>‖"
        self.status.setText(text)
        self._update_badge()

    def _update_badge(self) -> None:
        s = self.session
        g = s.gradients
        if s.trace.exploded_at is not None:
            set_badge(self.badge, f"forward overflow at t = {s.trace.exploded_at}")
        elif g is not None and g.exploded_at is not None:
            set_badge(self.badge, f"gradient overflow at t = {g.exploded_at}")
        else:
            set_badge(self.badge, "")


def _number(v: float) -> str:
    return f"{v:.3g}".replace("-", "−")
