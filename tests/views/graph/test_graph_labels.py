"""The graph never clips or overdraws a label: at every size, before and after the backward
pass, stepping forward and back, each label drawn lies whole inside the view, off every
other label, box, gradient halo and arrow (with its head); the camera keeps the selected
step and its neighbours in view; narrow columns shrink their labels, then thin them out."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import pytest
from PyQt6.QtCore import QEvent, QPointF, QRectF, Qt
from PyQt6.QtWidgets import QApplication

from rnnviz.session import Session
from rnnviz.views.graph.view import GraphView
from rnnviz.views.look.appearance import appearance
from rnnviz.views.window.snapshots import settle

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

# (width, height, type scale): a wide panel, the 1366 × 768 window's graph, a short one,
# and presentation mode's larger type.
SIZES = [(1100, 420, 1.0), (640, 230, 1.0), (650, 200, 1.0), (900, 330, 1.5)]


@pytest.fixture
def make_view(qtbot) -> Iterator:
    """Views at a size and type scale; each is closed and deleted (not left for Python's
    cycle collector to free in the middle of a later test's paint) before the look is put
    back."""
    views: list[GraphView] = []

    def make(width: int, height: int, scale: float) -> GraphView:
        appearance.set(scale=scale)
        view = GraphView(Session())
        views.append(view)
        view.resize(width, height)
        # Never the active window: a deleted one would stay Qt's active window on the
        # offscreen platform, and a later test asking for the active window would crash.
        view.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        view.show()
        qtbot.waitExposed(view)
        return view

    with appearance.kept():
        yield make
        for view in views:
            view.close()
            view.deleteLater()
        views.clear()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def drawn_areas(view: GraphView) -> list[tuple[str, QRectF]]:
    """What the graph paints, in viewport pixels: boxes with their pens and halos, arrow
    shafts and arrowheads (an arrowhead is 11 + 1.2 w px long, 2 (6 + 0.8 w) px wide)."""
    t = view.graph_item.deviceTransform(view.graphics.viewportTransform())
    scale = abs(t.m11())
    areas = []
    for n in view.nodes():
        x0, y0, w, h = n.rect
        r = t.mapRect(QRectF(x0, y0, w, h))
        margin = appearance.width(5.0 if n.selected else 2.5) / 2  # the outline's pen
        if n.glow is not None:
            margin = max(margin, (0.03 + 0.07 * n.glow) * scale)
        areas.append((n.name, r.adjusted(-margin, -margin, margin, margin)))
    for e in view.edges():
        if e.opacity < 0.3 or len(e.points) != 2:
            continue
        a, b = (t.map(QPointF(*map(float, p))) for p in e.points)
        half = e.width / 2
        shaft = QRectF(a, b).normalized().adjusted(-half, -half, half, half)
        areas.append((f"{e.kind} into {e.step}", shaft))
        d = np.array([b.x() - a.x(), b.y() - a.y()])
        u = d / max(np.hypot(*d), 1e-9)
        head_len, head_half = 11 + 1.2 * e.width, 6 + 0.8 * e.width
        base = np.array([b.x(), b.y()]) - u * head_len
        normal = np.array([-u[1], u[0]]) * head_half
        corners = [np.array([b.x(), b.y()]), base + normal, base - normal]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        head = QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        areas.append((f"head of {e.kind} into {e.step}", head))
    return areas


def overlap(a: QRectF, b: QRectF) -> bool:
    """More than a pixel of overlap both ways (antialiasing may touch, not cover)."""
    r = a.intersected(b)
    return r.width() > 1.0 and r.height() > 1.0


def problems(view: GraphView) -> list[str]:
    settle()
    viewport = QRectF(view.graphics.viewport().rect())
    labels = view.label_rects()
    found = [f"{name} cut by the edge" for name, r in labels if not viewport.contains(r)]
    for i, (a, ra) in enumerate(labels):
        found += [f"{a} overlaps {b}" for b, rb in labels[i + 1 :] if overlap(ra, rb)]
        found += [f"{a} under {what}" for what, r in drawn_areas(view) if overlap(ra, r)]
    return found


@pytest.mark.parametrize(("width", "height", "scale"), SIZES)
def test_labels_are_whole_and_clear_stepping_and_after_b(make_view, width, height, scale) -> None:
    view = make_view(width, height, scale)
    s = view.session
    found = []
    for _ in range(12):
        s.step_forward()
        found += [f"t = {s.t}: {p}" for p in problems(view)]
    s.run_backward()
    for step in (12, 7, 2, 1):
        s.select(step)
        found += [f"B, selected {step}: {p}" for p in problems(view)]
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize(("width", "height", "scale"), SIZES)
def test_the_selected_step_and_its_neighbours_stay_in_view(make_view, width, height, scale) -> None:
    view = make_view(width, height, scale)
    s = view.session
    for _ in range(7):
        s.step_forward()
    s.run_backward()
    viewport = QRectF(view.graphics.viewport().rect())
    for step in [*range(7, 0, -1), *range(1, 8)]:  # back to the start, then forward again
        s.select(step)
        settle()
        t = view.graph_item.deviceTransform(view.graphics.viewportTransform())
        boxes = {n.name: t.mapRect(QRectF(*n.rect)) for n in view.nodes()}
        for k in (step - 1, step, step + 1):
            if 0 <= k <= 7:
                assert viewport.contains(boxes[f"h_{k}"]), (step, k)
        shown = {name for name, _ in view.label_rects()}
        # The selected step's own labels are never the ones that give way.
        assert {f"h_{step}", f"x_{step}", f"y_{step}"} <= shown, (step, shown)
    s.select(1)
    settle()
    assert {"h_0", "h_1"} <= {name for name, _ in view.label_rects()}  # back at the start


def test_narrow_columns_shrink_their_labels(make_view) -> None:
    wide = make_view(1100, 420, 1.0)
    short = make_view(650, 200, 1.0)
    for view in (wide, short):
        for _ in range(7):
            view.session.step_forward()
        settle()
    height = {
        id(view): max(r.height() for name, r in view.label_rects() if name.startswith("x_"))
        for view in (wide, short)
    }
    assert height[id(short)] < 0.9 * height[id(wide)]


@pytest.mark.parametrize(("width", "height", "scale"), SIZES)
def test_the_h_labels_in_view_have_no_gap(make_view, width, height, scale) -> None:
    """Every h_t label the columns have room for (every step, or every k-th one when they
    are narrow) between the first shown and the newest step's is shown: a label the view's
    edge cuts gives way, rather than moving over the next one's place and pushing a label
    further on out (the default window showed h₁₃ … h₁₈, h₂₀)."""
    view = make_view(width, height, scale)
    s = view.session
    found = []
    for t in range(1, s.sequence.shape[0] + 1):
        s.seek(t)
        steps = sorted(int(name[2:]) for name, _ in view.label_rects() if name.startswith("h_"))
        others = [k for k in steps if k != t]  # narrow columns may leave h_t's out too
        if len(others) < 2:
            continue
        every = min(b - a for a, b in pairwise(others))
        due = {k for k in range(others[0], t if t in steps else others[-1]) if k % every == 0}
        if due - set(steps):
            found.append(f"t = {t}: h labels {steps}, missing {sorted(due - set(steps))}")
    assert not found, "\n".join(found[:10])
