"""The network graph: folded and unrolled layouts, the transition, hover, click, gradients."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest
from PyQt6.QtCore import QEvent, QObject, QPointF, Qt
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import QApplication
from screen_pixels import drawn_anew, on_screen

from rnnviz.session import Session, SessionConfig
from rnnviz.session.explain import format_vector
from rnnviz.views.graph.layout import MAX_COLUMNS
from rnnviz.views.graph.style import BAD_COLOR, EDGE_COLOR, EDGE_WIDTH
from rnnviz.views.graph.view import GraphView
from rnnviz.views.look.appearance import appearance
from rnnviz.views.look.palettes import DARK
from rnnviz.views.window.snapshots import settle, svg_document

# The offscreen platform says so when a window is shown; it is not a defect of the view.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def session() -> Session:
    return Session()


@pytest.fixture
def view(qtbot, session: Session) -> GraphView:
    w = GraphView(session)
    qtbot.addWidget(w)
    w.resize(1100, 420)
    w.show()
    qtbot.waitExposed(w)
    return w


def feed(session: Session, n: int) -> None:
    for _ in range(n):
        assert session.step_forward()


def names(view: GraphView, kind: str) -> set[str]:
    return {n for n in view.node_positions() if n.startswith(f"{kind}_")}


def edges_of(view: GraphView, kind: str) -> dict[int, object]:
    return {e.step: e for e in view.edges() if e.kind == kind and not e.loop}


def move_mouse(qtbot, view: GraphView, x: float, y: float) -> None:
    """The mouse moves onto data point (x, y), delivered as the window system does: to the
    window, in its logical pixels, whatever the device-pixel ratio. (QTest.mouseMove takes
    its logical position for device pixels under QT_SCALE_FACTOR, and so points elsewhere.)"""
    viewport = view.graphics.viewport()
    local = view.map_to_viewport(x, y)
    window = viewport.window()
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(viewport.mapTo(window, local)),
        QPointF(viewport.mapToGlobal(local)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window.windowHandle(), event)
    qtbot.wait(25)  # pyqtgraph drops mouse moves closer than 10 ms apart


def test_unrolled_shows_h0_to_hT_with_their_values(view: GraphView, session: Session) -> None:
    assert names(view, "h") == {"h_0"}
    feed(session, 5)
    assert names(view, "h") == {f"h_{k}" for k in range(6)}
    assert names(view, "y") == {f"y_{k}" for k in range(1, 6)}
    pos = view.node_positions()
    xs = [pos[f"h_{k}"][0] for k in range(6)]
    assert np.all(np.diff(xs) > 0)  # h_0 … h_5 left to right
    for k in range(1, 6):  # x_t below h_t below y_t, in one column
        assert pos[f"x_{k}"][0] == pos[f"h_{k}"][0] == pos[f"y_{k}"][0]
        assert pos[f"x_{k}"][1] < pos[f"h_{k}"][1] < pos[f"y_{k}"][1]
    # Inputs not fed yet are shown faintly; fed ones are not.
    faint = {n.name for n in view.nodes() if n.faint}
    assert "x_6" in faint and "x_5" not in faint
    # One W_xh, W_hh and W_hy edge per fed step, and labels h_0 … with the selected step's.
    for kind in ("W_xh", "W_hh", "W_hy"):
        assert sorted(edges_of(view, kind)) == [1, 2, 3, 4, 5]
    assert {"h_0", "h_5", "x_5", "y_5", "W_hh"} <= set(view.labels())
    tip = view.node_tooltip("h_3")
    assert format_vector(session.trace.h_all[3]) in tip


def test_folded_shows_three_nodes_and_a_self_loop(view: GraphView, session: Session) -> None:
    feed(session, 4)
    view.set_unrolled(False, animate=False)
    assert not view.unrolled and view.progress == 0.0
    pos = view.node_positions()
    assert set(pos) == {"x", "h", "y"}
    assert pos["x"][0] == pos["h"][0] == pos["y"][0]
    assert pos["x"][1] < pos["h"][1] < pos["y"][1]
    kinds = sorted((e.kind, e.loop) for e in view.edges())
    assert kinds == [("W_hh", True), ("W_hy", False), ("W_xh", False)]
    assert {"W_xh", "W_hh", "W_hy", "h_t"} <= set(view.labels())
    # The folded cell shows the selected step's numbers.
    session.select(2)
    assert format_vector(session.trace.h_all[2]) in view.node_tooltip("h")


def test_toggle_animates_between_the_layouts(qtbot, view: GraphView, session: Session) -> None:
    feed(session, 6)
    session.select(3)
    unrolled = view.node_positions()
    view.toggle_unrolled()
    assert not view.unrolled and view.animating
    qtbot.waitUntil(lambda: 0.0 < view.progress < 1.0, timeout=1000)
    middle = view.node_positions()["h_6"][0]
    assert 3.0 < middle < unrolled["h_6"][0]  # on its way to the selected column
    qtbot.waitUntil(lambda: not view.animating, timeout=2000)
    assert view.progress == 0.0
    assert set(view.node_positions()) == {"x", "h", "y"}
    assert view.node_positions()["h"] == unrolled["h_3"]  # folded onto the selected step
    view.toggle_unrolled()
    qtbot.waitUntil(lambda: not view.animating and view.progress == 1.0, timeout=2000)
    assert view.node_positions() == unrolled


def test_a_hidden_view_folds_at_once(qtbot, session: Session) -> None:
    w = GraphView(session)  # e.g. built for an offscreen render, not shown yet
    qtbot.addWidget(w)
    feed(session, 3)
    w.set_unrolled(False)
    assert not w.animating and w.progress == 0.0
    assert set(w.node_positions()) == {"x", "h", "y"}


def test_hovering_one_w_hh_edge_lights_every_w_hh_edge(
    qtbot, view: GraphView, session: Session
) -> None:
    feed(session, 6)
    assert view.hovered_edge is None
    w_hh = edges_of(view, "W_hh")[3]
    mid = w_hh.points.mean(axis=0)
    move_mouse(qtbot, view, *mid)
    assert view.hovered_edge == "W_hh"
    for e in view.edges():
        assert e.highlighted == (e.kind == "W_hh")
    assert "shared" in view.status.text()
    w_xh = edges_of(view, "W_xh")[5]
    move_mouse(qtbot, view, *w_xh.points.mean(axis=0))
    assert view.hovered_edge == "W_xh"
    assert all(e.highlighted == (e.kind == "W_xh") for e in view.edges())
    assert len([e for e in view.edges() if e.highlighted]) == 6


def test_hovering_a_node_shows_its_numbers(qtbot, view: GraphView, session: Session) -> None:
    feed(session, 6)
    move_mouse(qtbot, view, *view.node_positions()["h_4"])
    assert view.hovered_edge is None
    assert format_vector(session.trace.h_all[4]) in view.graph_item.toolTip()
    move_mouse(qtbot, view, *view.node_positions()["x_2"])
    assert format_vector(session.sequence[1]) in view.graph_item.toolTip()


def test_clicking_a_node_selects_its_step(qtbot, view: GraphView, session: Session) -> None:
    feed(session, 6)
    assert session.selected_step == 6
    vp = view.graphics.viewport()
    qtbot.mouseClick(
        vp, Qt.MouseButton.LeftButton, pos=view.map_to_viewport(*view.node_positions()["h_2"])
    )
    assert session.selected_step == 2
    assert [n.name for n in view.nodes() if n.selected] == ["x_2", "h_2", "y_2"]
    qtbot.mouseClick(
        vp, Qt.MouseButton.LeftButton, pos=view.map_to_viewport(*view.node_positions()["y_5"])
    )
    assert session.selected_step == 5
    # A not-yet-fed input is not a step that can be selected.
    qtbot.mouseClick(
        vp, Qt.MouseButton.LeftButton, pos=view.map_to_viewport(*view.node_positions()["x_7"])
    )
    assert session.selected_step == 5


def test_backward_pass_sizes_w_hh_edges_by_gradient(view: GraphView, session: Session) -> None:
    feed(session, 8)
    hh = edges_of(view, "W_hh")
    assert {(e.width, e.color) for e in hh.values()} == {(EDGE_WIDTH, EDGE_COLOR)}
    g = session.run_backward()
    assert g is not None
    hh = edges_of(view, "W_hh")
    steps = sorted(hh)
    widths = np.array([hh[s].width for s in steps])
    norms = g.dL_dh_norm[np.array(steps) - 1]
    order = np.argsort(norms)
    assert np.all(np.diff(widths[order]) >= 0)  # wider where ‖dL/dh_t‖ is larger
    assert widths.max() > widths.min()
    assert len({hh[s].color for s in steps}) > 1
    halos = {n.step: n.glow for n in view.nodes() if n.kind == "h" and n.step >= 1}
    glow = np.array([halos[s] for s in steps])
    assert np.all(np.diff(glow[order]) >= 0)
    # The animated sweep lights only the steps it has reached (T down to k).
    session.set_sweep(5)
    hh = edges_of(view, "W_hh")
    assert all((hh[s].width == EDGE_WIDTH) == (s < 5) for s in steps)
    halos = {n.step: n.glow for n in view.nodes() if n.kind == "h" and n.step >= 1}
    assert [s for s in steps if halos[s] is not None] == [5, 6, 7, 8]


def test_exploding_gradients_are_marked_and_do_not_crash(
    qtbot, view: GraphView, session: Session
) -> None:
    session.set_config(activation="linear", spectral_radius=3.0, sequence_length=400)
    session.seek(400)
    g = session.run_backward()
    assert g is not None and g.exploded_at is not None
    session.select(g.exploded_at)
    bad = [e for e in edges_of(view, "W_hh").values() if e.step <= g.exploded_at]
    assert bad and all(e.dashed and e.color == BAD_COLOR for e in bad)
    assert any(n.glow_bad for n in view.nodes())
    assert view.badge.isVisibleTo(view) and str(g.exploded_at) in view.badge.text()
    view.set_unrolled(False, animate=False)
    view.set_unrolled(True)
    qtbot.waitUntil(lambda: not view.animating, timeout=2000)
    assert view.hover_at(*view.node_positions()[f"h_{g.exploded_at}"]) is not None


def test_forward_overflow_is_marked(view: GraphView, session: Session) -> None:
    session.set_config(activation="linear", spectral_radius=10.0, sequence_length=400)
    session.seek(400)
    at = session.trace.exploded_at
    assert at is not None
    session.select(at)
    bad = {n.name for n in view.nodes() if n.bad}
    assert f"h_{at}" in bad and f"h_{at - 1}" not in bad
    assert "forward" in view.badge.text()


def test_a_thousand_steps_build_and_redraw(view: GraphView, session: Session) -> None:
    session.set_config(sequence_length=1000)
    session.seek(1000)
    session.run_backward()
    assert len(names(view, "h")) <= MAX_COLUMNS
    assert "h_1000" in view.node_positions()
    session.select(1)
    assert {"h_0", "h_1"} <= names(view, "h")
    session.set_sweep(500)
    view.redraw()
    view.set_unrolled(False, animate=False)
    assert set(view.node_positions()) == {"x", "h", "y"}


@pytest.mark.usefixtures("kept_appearance")
def test_each_frame_repaints_what_changed_and_nothing_stale_stays(
    qtbot, view: GraphView, session: Session
) -> None:
    """A frame repaints only the area of what changed: after every kind of change the
    picture on screen is the whole scene drawn anew (antialiasing may round by a level)."""
    session.set_config(sequence_length=40)

    def hover(kind: str) -> Callable[[], object]:
        def on_edge() -> object:
            edge = next(e for e in view.edges() if e.kind == kind)
            return view.hover_at(*(edge.points[0] + edge.points[-1]) / 2)

        return on_edge

    changes: list[tuple[str, Callable[[], object]]] = [
        *[("step", session.step_forward)] * 14,
        ("back", session.step_back),
        ("backward pass", session.run_backward),
        *[(f"sweep {k}", lambda k=k: session.set_sweep(k)) for k in (13, 12, 11, 5)],
        ("sweep done", lambda: session.set_sweep(None)),
        ("select far", lambda: session.select(2)),
        ("select near", lambda: session.select(12)),
        ("hover W_hh", hover("W_hh")),
        ("hover W_xh", hover("W_xh")),
        ("leave", lambda: view.hover_at(-50.0, -50.0)),
        ("new weights", lambda: session.set_config(spectral_radius=1.3)),
        ("dark theme", lambda: appearance.set(palette=DARK)),
        ("larger type", lambda: appearance.set(scale=1.5)),
        ("narrower", lambda: view.resize(700, 380)),
        ("folded", lambda: view.set_unrolled(False, animate=False)),
        ("unrolled", lambda: view.set_unrolled(True, animate=False)),
        *[("step", session.step_forward)] * 3,
    ]
    for name, change in changes:
        change()
        shown, anew = scene_pixels(view)
        stale = np.abs(shown - anew).max(axis=2) > 2  # (H, W)
        assert not stale.any(), f"after {name}: {stale.sum()} pixels differ"


def scene_pixels(view: GraphView) -> tuple[np.ndarray, np.ndarray]:
    """The drawing (on screen, drawn anew) right of a stack's row names: those are a
    widget of their own over the view's left edge (see test_graph_layers.py)."""
    left = view.drawing_area().left()
    return on_screen(view.graphics)[:, left:], drawn_anew(view.graphics)[:, left:]


def shown_stack(qtbot, bidirectional: bool) -> tuple[Session, GraphView]:
    """A shown graph of a 3-layer LSTM fed 30 of its 40 steps."""
    config = SessionConfig(
        cell="lstm", hidden_size=6, num_layers=3, bidirectional=bidirectional, sequence_length=40
    )
    session = Session(config)
    view = GraphView(session)
    qtbot.addWidget(view)
    view.resize(1100, 420)
    view.show()
    qtbot.waitExposed(view)
    session.seek(30)
    return session, view


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_stacks_steps_repaint_every_box_that_changed(qtbot, bidirectional: bool) -> None:
    """A step of a bidirectional stack recolours every backward box (its direction starts
    after the last step) and every box above layer 1; a unidirectional stack's only the new
    column. Either way the picture on screen is the scene drawn anew after every change."""
    session, view = shown_stack(qtbot, bidirectional)
    before = scene_pixels(view)[0]
    changes: list[tuple[str, Callable[[], object]]] = [
        *[("step", session.step_forward)] * 3,
        *[("back", session.step_back)] * 2,
        ("backward pass", session.run_backward),
        *[(f"sweep {k}", lambda k=k: session.set_sweep(k)) for k in (28, 27, 20)],
        ("sweep done", lambda: session.set_sweep(None)),
        ("step", session.step_forward),
        ("select", lambda: session.select(26)),
        ("new inputs", lambda: session.set_sequence(np.cos(np.arange(40) / 3.0))),
        ("seek", lambda: session.seek(31)),
    ]
    for name, change in changes:
        change()
        shown, anew = scene_pixels(view)
        # Where two antialiased arrows cross (a bidirectional layer's two into y_t), a
        # clipped repaint may round by 3 levels; a stale box is off by far more.
        stale = np.abs(shown - anew).max(axis=2) > 4  # (H, W)
        assert not stale.any(), f"after {name}: {stale.sum()} pixels differ"
        if name == "step" and bidirectional:
            # The backward boxes of the columns in view took new colours: far more than the
            # new column changed.
            changed = np.abs(shown - before).max(axis=2) > 2  # (H, W)
            columns = np.flatnonzero(changed.any(axis=0))
            assert columns.max() - columns.min() > view.width() / 2
        before = shown


@pytest.mark.usefixtures("kept_appearance")
@pytest.mark.parametrize("line_scale", [0.6, 1.6])
def test_a_stacks_steps_after_new_line_widths_leave_nothing_stale(qtbot, line_scale: float) -> None:
    """Thinner or thicker outlines decide anew which recoloured boxes a step repaints in
    their own pixels (an outline under 2 px does not cover a box's edge), how far the
    outlines reach into their neighbours, and the outlines' pictures: after every step the
    picture on screen is the scene drawn anew."""
    session, view = shown_stack(qtbot, bidirectional=True)
    changes: list[tuple[str, Callable[[], object]]] = [
        ("step", session.step_forward),
        ("back", session.step_back),
        ("line widths", lambda: appearance.set(line_scale=line_scale)),
        *[("back", session.step_back)] * 2,
        ("step", session.step_forward),
    ]
    for name, change in changes:
        change()
        shown, anew = scene_pixels(view)
        stale = np.abs(shown - anew).max(axis=2) > 4  # (H, W) as in the test above
        assert not stale.any(), f"after {name}: {stale.sum()} pixels differ"


@pytest.mark.parametrize("bidirectional", [False, True])
def test_fold_frames_on_screen_are_rough_and_the_pictures_at_rest_smooth(
    qtbot, bidirectional: bool
) -> None:
    """Mid-fold the screen's frame is drawn without antialiasing (a grab of the same frame,
    as an export takes it, is smooth); once the fold comes to rest, folded or unrolled, the
    screen shows the scene drawn anew, antialiased, as before the fold."""
    session, view = shown_stack(qtbot, bidirectional)
    session.run_backward()

    def shades(picture: np.ndarray) -> int:
        """Distinct colours: antialiasing blends every line's edge into the paper."""
        return len(np.unique(picture.reshape(-1, 3), axis=0))

    unrolled = scene_pixels(view)[0]
    for progress in (0.6, 0.3, 0.0, 0.5, 1.0):
        view.show_progress(progress)
        shown, anew = scene_pixels(view)
        if 0.0 < progress < 1.0:
            assert shades(shown) < 0.6 * shades(anew), progress
            continue
        stale = np.abs(shown - anew).max(axis=2) > 2  # (H, W)
        assert not stale.any(), f"at {progress}: {stale.sum()} pixels differ"
        if progress == 1.0:
            assert np.abs(shown - unrolled).max() <= 2


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_folding_frames_edges_cover_the_rectangles_of_their_lines(
    qtbot, bidirectional: bool
) -> None:
    """Mid-fold every edge is new, its rectangle worked out for all of them at once: the
    same as from its own polyline (labels keep off it, repaints reach it)."""
    _, view = shown_stack(qtbot, bidirectional)
    for progress in (0.7, 0.35):
        view.show_progress(progress)
        edges = view.edges()
        assert edges
        for edge in edges:
            x0, y0 = edge.points.min(axis=0)
            x1, y1 = edge.points.max(axis=0)
            assert edge.block[:4] == (x0, y0, x1, y1)


def test_an_svg_of_the_graph_keeps_its_labels_as_text(view: GraphView, session: Session) -> None:
    feed(session, 3)
    on_screen(view.graphics)  # the screen's picture is kept; an SVG is drawn anew, as vectors
    root = svg_document(view.graphics.viewport())
    texts = {(t.text or "").strip() for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"h", "x", "y", "3"} <= texts


def test_stepping_leaves_no_python_objects_behind(qtbot, view: GraphView, session: Session) -> None:
    """Each step makes new node images; PyQt6 kept ~100 bytes of each alive when pyqtgraph
    handed it the pixels' address as an int (the soak's RSS grew with every step)."""
    session.seek(5)

    def steps(n: int) -> None:
        for _ in range(n):
            session.step_back()
            session.step_forward()  # new node images for the step

    tracemalloc.start()
    try:
        steps(20)  # warm: caches and first-use allocations settle, tracemalloc's own too
        gc.collect()
        tracemalloc.take_snapshot()
        before = tracemalloc.take_snapshot()
        steps(300)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = after.compare_to(before, "lineno")
    # Before the fix: over 900 (three per step); a steady window keeps about none.
    assert sum(s.count_diff for s in grown) < 150, grown[:3]


def test_a_tall_narrow_stack_still_shows_three_steps_of_legible_boxes(qtbot) -> None:
    """Beside other panels a stack's graph may be tall and narrow: it zooms out to show
    three whole steps of the unrolling (not two), while its boxes stay 12 px wide."""
    _, view = shown_stack(qtbot, bidirectional=True)
    view.resize(260, 640)
    viewport = view.graphics.viewport()
    qtbot.waitUntil(lambda: viewport.width() < 300)
    view.redraw()
    whole: set[int] = set()
    widths = []
    for n in view.nodes():
        if n.kind != "h" or n.step is None:
            continue
        x0, y0, w, h = n.rect
        a, b = view.map_to_viewport(x0, y0), view.map_to_viewport(x0 + w, y0 + h)
        widths.append(abs(b.x() - a.x()))
        if min(a.x(), b.x()) >= 0 and max(a.x(), b.x()) <= viewport.width():
            whole.add(n.step)
    assert len(whole) >= 3, f"steps {sorted(whole)} in view"
    assert min(widths) >= 12


def test_a_step_that_moves_the_view_paints_it_once(
    qtbot, view: GraphView, session: Session
) -> None:
    """Following the steps, the view moves by a column at each step: it paints once, with
    the new camera, not once for the frame and again for pyqtgraph moving its items (the
    whole view painted twice)."""
    session.set_config(sequence_length=60)
    session.seek(30)
    settle()
    paints: list[int] = []

    class Counter(QObject):
        def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
            if event is not None and event.type() == QEvent.Type.Paint:
                paints[-1] += 1
            return False

    counter = Counter()
    view.graphics.viewport().installEventFilter(counter)
    for _ in range(4):
        before = view.map_to_viewport(*view.node_positions()[f"h_{session.t}"])
        paints.append(0)
        session.step_forward()
        settle()
        after = view.map_to_viewport(*view.node_positions()[f"h_{session.t - 1}"])
        assert after != before  # the view followed: the last step's box moved on screen
    view.graphics.viewport().removeEventFilter(counter)
    assert paints == [1, 1, 1, 1]
