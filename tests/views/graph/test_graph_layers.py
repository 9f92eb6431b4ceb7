"""The graph of a stack: one h row per layer unrolled, a stack of cells folded, clicks focus."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PyQt6.QtCore import QRectF, Qt

from rnnviz.session import Session, SessionConfig
from rnnviz.session.explain import format_vector
from rnnviz.views.graph.view import GraphView
from rnnviz.views.look.appearance import appearance
from rnnviz.views.look.palettes import DARK
from rnnviz.views.window.snapshots import settle, to_rgb

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def open_view(
    qtbot, layers: int, size: tuple[int, int] = (1100, 520), bidirectional: bool = False
) -> GraphView:
    config = SessionConfig(
        cell="lstm", hidden_size=5, num_layers=layers, bidirectional=bidirectional
    )
    session = Session(config)
    w = GraphView(session)
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    return w


def click_node(qtbot, w: GraphView, name: str) -> None:
    """A left click on the centre of the box called ``name``, as a user clicks it."""
    where = w.map_to_viewport(*w.node_positions()[name])
    qtbot.mouseClick(w.graphics.viewport(), Qt.MouseButton.LeftButton, pos=where)


def feed(session: Session, n: int) -> None:
    for _ in range(n):
        assert session.step_forward()


def h_name(layers: int, layer: int, step: int) -> str:
    """The name of h_step of ``layer`` (0-based): "h_3" for one layer, "h^2_3" in a stack."""
    return f"h_{step}" if layers == 1 else f"h^{layer + 1}_{step}"


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_unrolled_a_stack_is_a_grid_of_layers_by_steps(qtbot, layers: int) -> None:
    w = open_view(qtbot, layers)
    feed(w.session, 4)
    pos = w.node_positions()
    for step in range(1, 5):
        column = [pos[h_name(layers, k, step)] for k in range(layers)]
        xs, ys = zip(*column, strict=True)
        assert set(xs) == {pos[f"x_{step}"][0]} == {pos[f"y_{step}"][0]}
        # Layer 1 right above x, every next layer above the one before, y above the top one.
        assert pos[f"x_{step}"][1] < ys[0]
        assert all(a < b for a, b in itertools.pairwise(ys))
        assert ys[-1] < pos[f"y_{step}"][1]
    h_nodes = [n for n in w.nodes() if n.kind == "h"]
    assert {n.layer for n in h_nodes} == set(range(layers))
    # Each row reads left to right: one W_hh arrow per layer into every step.
    hh = [e for e in w.edges() if e.kind == "W_hh" and e.step == 3]
    assert len(hh) == layers
    for e in hh:
        (x0, y0), (x1, y1) = e.points[0], e.points[-1]
        assert x0 < x1 and y0 == y1


@pytest.mark.parametrize("layers", [2, 3])
def test_arrows_go_up_from_each_layer_into_the_next(qtbot, layers: int) -> None:
    w = open_view(qtbot, layers)
    feed(w.session, 4)
    pos = w.node_positions()
    nodes = {n.name: n for n in w.nodes()}
    ups = [e for e in w.edges() if e.kind == "W_xh" and e.step == 2]
    assert len(ups) == layers  # x_2 → layer 1, then layer k → layer k + 1
    for k in range(layers - 1):
        lower = nodes[h_name(layers, k, 2)].rect
        upper = nodes[h_name(layers, k + 1, 2)].rect
        (x0, y0), (x1, y1) = ups[k + 1].points[0], ups[k + 1].points[-1]
        assert x0 == x1 == pytest.approx(pos[h_name(layers, k, 2)][0])
        assert y0 == pytest.approx(lower[1] + lower[3])  # from the top of the lower box …
        assert y1 == pytest.approx(upper[1])  # … to the bottom of the upper one
    hy = next(e for e in w.edges() if e.kind == "W_hy" and e.step == 2)
    top = nodes[h_name(layers, layers - 1, 2)].rect
    assert hy.points[0][1] == pytest.approx(top[1] + top[3])  # y reads the top layer


@pytest.mark.parametrize("steps", [3, 30])
def test_each_row_is_named_at_the_left_edge_wherever_the_view_has_followed(
    qtbot, steps: int
) -> None:
    """The rows' names stay at the view's left edge, each on its row's line, also when the
    view has followed the steps far from h_0 (they sat left of h_0 and left with it)."""
    session = Session(SessionConfig(cell="lstm", hidden_size=5, num_layers=3, sequence_length=40))
    w = GraphView(session)
    qtbot.addWidget(w)
    w.resize(420, 520)
    w.show()
    qtbot.waitExposed(w)
    feed(session, steps)
    settle()
    pieces = {p.layer: p for p in w.row_names()}
    assert [pieces[k].text for k in range(3)] == ["layer 1", "layer 2", "layer 3"]
    area = w.drawing_area()
    pixels = to_rgb(w.graphics.viewport().grab().toImage()).astype(int)  # (H, W, 3)
    ratio = pixels.shape[1] / w.graphics.viewport().width()
    nodes = {n.name: n for n in w.nodes()}
    for k in range(3):
        name = pieces[k].rect
        row = w.map_to_viewport(*nodes[h_name(3, k, steps)].centre)
        assert name.top() <= row.y() <= name.bottom()  # on its row's line
        assert name.right() < area.left() < row.x()  # left of the drawing, which shows h_t
        # Painted: its ink is there, dark on the paper.
        top, bottom, left, right = (
            round(v * ratio) for v in (name.top(), name.bottom() + 1, name.left(), name.right())
        )
        assert (pixels[top:bottom, left:right].sum(axis=2) < 500).any()
    # The focused layer (the top one, as the panels show it) in bold, the others not.
    assert session.focus == (2, 0)
    assert [pieces[k].bold for k in range(3)] == [False, False, True]
    session.select(2 if steps == 3 else 29)
    assert {f"h³_{session.selected_step}", f"h¹_{session.selected_step}"} <= set(w.labels())


def test_clicking_a_rows_name_or_arrow_shows_that_layer_and_direction(qtbot) -> None:
    w = open_view(qtbot, 3, bidirectional=True)
    feed(w.session, 4)
    settle()

    def click(layer: int, direction: int | None) -> None:
        piece = next(p for p in w.row_names() if (p.layer, p.direction) == (layer, direction))
        where = piece.rect.center()
        qtbot.mouseClick(w.graphics.viewport().childAt(where), Qt.MouseButton.LeftButton,
                         pos=w.row_header.mapFrom(w.graphics.viewport(), where))  # fmt: skip

    click(0, 1)
    assert w.session.focus == (0, 1)
    click(1, None)  # a name keeps the direction shown when it is its layer's …
    assert w.session.focus == (1, 0)
    click(1, 1)
    click(1, None)
    assert w.session.focus == (1, 1)
    click(2, 0)
    assert w.session.focus == (2, 0)
    bold = [(p.layer, p.direction) for p in w.row_names() if p.bold]
    assert bold == [(2, None), (2, 0)]  # the focused layer's name and row


def test_one_layer_has_no_row_names_and_folding_hides_them(qtbot) -> None:
    w = open_view(qtbot, 1)
    feed(w.session, 4)
    assert w.row_names() == []
    assert w.drawing_area() == w.graphics.viewport().rect()
    stack = open_view(qtbot, 2)
    feed(stack.session, 4)
    assert len(stack.row_names()) == 2
    stack.set_unrolled(False, animate=False)
    assert stack.row_names() == []
    assert stack.drawing_area() == stack.graphics.viewport().rect()


def test_clicking_a_cell_focuses_its_layer_and_selects_its_step(qtbot) -> None:
    w = open_view(qtbot, 3)
    feed(w.session, 6)
    click_node(qtbot, w, "h^2_5")
    assert w.session.focus == (1, 0)
    assert w.session.selected_step == 5
    assert [n.name for n in w.nodes() if n.selected] == ["x_5", "h^2_5", "y_5"]


@pytest.mark.parametrize("layers", [1, 3])
def test_folded_shows_a_stack_of_cells_each_with_its_loop(qtbot, layers: int) -> None:
    w = open_view(qtbot, layers)
    feed(w.session, 4)
    w.set_unrolled(False, animate=False)
    pos = w.node_positions()
    cells = ["h"] if layers == 1 else [f"h^{k + 1}" for k in range(layers)]
    assert set(pos) == {"x", "y", *cells}
    ys = [pos[c][1] for c in cells]
    assert pos["x"][1] < ys[0] and ys[-1] < pos["y"][1]
    cells_text = "one cell," if layers == 1 else "one cell per layer,"
    assert cells_text in w.status.text()
    loops = [e for e in w.edges() if e.loop]
    assert len(loops) == layers
    # Each loop leaves and re-enters its own cell's row.
    assert sorted(float(e.points[:, 1].mean()) for e in loops) == pytest.approx(ys, abs=0.05)


def test_halos_follow_each_layers_gradient_on_one_scale(qtbot) -> None:
    w = open_view(qtbot, 2)
    feed(w.session, 8)
    w.session.run_backward()
    norms = w.session.depth_grad_norm  # (L, D, T)
    assert norms is not None
    glows = {(n.layer, n.step): n.glow for n in w.nodes() if n.kind == "h" and n.step}
    lit = sorted(glows, key=lambda k: norms[k[0], 0, k[1] - 1])
    strengths = [glows[k] for k in lit]
    # A larger ‖dL/dh‖ anywhere in the stack never has a paler halo.
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(strengths))
    # One scale for the whole stack: only the largest norm of all layers is at full strength.
    assert sum(g == pytest.approx(1.0) for g in strengths) == 1


def test_three_layers_keep_their_labels_apart_in_a_small_view(qtbot) -> None:
    w = open_view(qtbot, 3, size=(1000, 360))
    feed(w.session, 12)
    w.session.run_backward()
    settle()
    rects = w.label_rects()
    vp = w.graphics.viewport().rect()
    assert len(rects) > 10
    for i, (name, r) in enumerate(rects):
        assert vp.contains(r.toRect().adjusted(1, 1, -1, -1)), name
        for other, q in rects[i + 1 :]:
            inter = r.intersected(q)
            assert inter.width() <= 1.0 or inter.height() <= 1.0, (name, other)


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_a_bidirectional_stack_draws_both_directions(qtbot, layers: int) -> None:
    w = open_view(qtbot, layers, bidirectional=True)
    feed(w.session, 4)
    assert w.session.depth == (layers, 2)
    nodes = {n.name: n for n in w.nodes()}
    # Each layer named once, between its rows; each row's direction beside it.
    names = {(p.layer, p.direction): p for p in w.row_names()}
    assert set(names) == {(k, d) for k in range(layers) for d in (None, 0, 1)}
    for k in range(layers):
        assert names[k, None].text == f"layer {k + 1}"
        forward, backward = names[k, 0], names[k, 1]
        assert (forward.text, backward.text) == ("→", "←")
        assert backward.rect.bottom() < forward.rect.top()  # ← above →, as their boxes
        assert names[k, None].rect.right() < forward.rect.left()
    for k in range(1, layers + 1):
        fwd, bwd = nodes[f"h^{k}_2"], nodes[f"h^{k}←_2"]
        assert (fwd.direction, bwd.direction) == (0, 1) and fwd.layer == bwd.layer == k - 1
        # Two boxes per layer and step, apart: the backward one upper right of the forward.
        assert fwd.rect[0] + fwd.rect[2] < bwd.rect[0] + bwd.rect[2]
        assert fwd.centre[1] < bwd.centre[1]
        assert fwd.rect[1] + fwd.rect[3] < bwd.rect[1] + bwd.rect[3]
    assert "h^1←_0" not in nodes  # the backward direction starts after the last step
    hh = [e for e in w.edges() if e.kind == "W_hh" and e.step == 2]
    forward = [e for e in hh if e.points[0][0] < e.points[-1][0]]
    backward = [e for e in hh if e.points[0][0] > e.points[-1][0]]
    assert len(forward) == len(backward) == layers
    for e in backward:
        # Right to left: from h←_3's box into h←_2's, on the backward boxes' line.
        (x0, y0), (x1, y1) = e.points[0], e.points[-1]
        k = 1 + round(y0 - nodes["h^1←_2"].centre[1])
        into, source = nodes[f"h^{k}←_2"].rect, nodes[f"h^{k}←_3"].rect
        assert y0 == y1 == pytest.approx(nodes[f"h^{k}←_2"].centre[1])
        assert x0 == pytest.approx(source[0]) and x1 == pytest.approx(into[0] + into[2])
    # The last step's backward box has no arrow in: the backward direction starts there.
    assert not [
        e
        for e in w.edges()
        if e.kind == "W_hh" and e.step == 4 and e.points[0][0] > e.points[-1][0]
    ]
    # x into both boxes of layer 1, both boxes of each layer into both of the next, y from
    # both top boxes.
    ups = [e for e in w.edges() if e.kind == "W_xh" and e.step == 2]
    assert len(ups) == 2 + 4 * (layers - 1)
    tops = {nodes[f"h^{layers}_2"].rect[1] + nodes[f"h^{layers}_2"].rect[3]}
    tops.add(nodes[f"h^{layers}←_2"].rect[1] + nodes[f"h^{layers}←_2"].rect[3])
    hy = [e for e in w.edges() if e.kind == "W_hy" and e.step == 2]
    assert sorted(e.points[0][1] for e in hy) == pytest.approx(sorted(tops))


def test_clicking_a_backward_box_focuses_the_backward_direction(qtbot) -> None:
    w = open_view(qtbot, 3, bidirectional=True)
    feed(w.session, 6)
    click_node(qtbot, w, "h^2←_5")
    assert w.session.focus == (1, 1)
    assert w.session.selected_step == 5
    assert [n.name for n in w.nodes() if n.selected] == ["x_5", "h^2←_5", "y_5"]
    click_node(qtbot, w, "h^3_4")
    assert w.session.focus == (2, 0)
    assert w.session.selected_step == 4


def test_backward_halos_follow_the_backward_directions_gradient(qtbot) -> None:
    w = open_view(qtbot, 2, bidirectional=True)
    feed(w.session, 8)
    w.session.run_backward()
    norms = w.session.depth_grad_norm  # (L, D, T)
    assert norms is not None and norms.shape == (2, 2, 8)
    glows = {(n.layer, n.direction, n.step): n.glow for n in w.nodes() if n.kind == "h" and n.step}
    assert {d for _, d, _ in glows} == {0, 1}
    lit = sorted(glows, key=lambda k: norms[k[0], k[1], k[2] - 1])
    strengths = [glows[k] for k in lit]
    # One log scale over both directions of every layer: a larger norm is never paler.
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(strengths))
    assert sum(g == pytest.approx(1.0) for g in strengths) == 1
    tip = w.node_tooltip("h^1←_3")
    h = w.session.stack_trace.h(0, 1)[2]  # (H,) h←_3 of layer 1
    assert f"layer 1 (backward): h<sub>3</sub> = {format_vector(h)}" in tip
    assert f"{float(norms[0, 1, 2]):.3g}".replace("-", "−") in tip


@pytest.mark.parametrize("size", [(1100, 520), (1000, 360)])
def test_a_bidirectional_stacks_labels_keep_apart(qtbot, size: tuple[int, int]) -> None:
    w = open_view(qtbot, 3, size=size, bidirectional=True)
    feed(w.session, 5)
    w.session.run_backward()
    settle()
    area = w.drawing_area()
    rects = w.label_rects()
    assert len(rects) > 4
    for name, r in rects:
        assert area.contains(r.toRect().adjusted(1, 1, -1, -1)), name
    # Every row is named: three layers, two directions each, beside the drawing.
    pieces = w.row_names()
    assert sorted((p.layer, p.direction) for p in pieces if p.direction is not None) == [
        (k, d) for k in range(3) for d in (0, 1)
    ]
    rects += [(p.text, QRectF(p.rect)) for p in pieces]
    for p in pieces:
        assert p.rect.right() < area.left() and p.rect.top() >= 0, p.text
    for i, (name, r) in enumerate(rects):
        for other, q in rects[i + 1 :]:
            inter = r.intersected(q)
            assert inter.width() <= 1.0 or inter.height() <= 1.0, (name, other)


def test_a_layers_tooltip_shows_that_layers_state_and_gradient(qtbot) -> None:
    w = open_view(qtbot, 3)
    feed(w.session, 4)
    w.session.run_backward()
    tip = w.node_tooltip("h^2_3")
    h = w.session.stack_trace.layers[1][0].h_all[3]  # (H,)
    norms = w.session.depth_grad_norm  # (L, D, T)
    assert norms is not None
    assert f"layer 2: h<sub>3</sub> = {format_vector(h)}" in tip
    assert f"{float(norms[1, 0, 2]):.3g}".replace("-", "−") in tip


def test_hovering_a_weight_of_a_stack_says_each_layer_has_its_own(qtbot) -> None:
    w = open_view(qtbot, 3)
    feed(w.session, 4)
    w.session.set_focus(1, 0)
    up = [e for e in w.edges() if e.kind == "W_xh" and e.step == 3][2]  # layer 2 → layer 3
    assert w.hover_at(*up.points.mean(axis=0)) == "W_xh"
    rows, cols = w.session.params.W_ih.shape
    assert cols == 5  # the focused layer 2 reads layer 1's 5 units, not the 1 input
    assert f"{rows}×{cols} in layer 2" in w.status.text()
    assert "matrix per layer, shared by every step" in w.status.text()


def _arrow_ends(w: GraphView) -> dict[tuple[str, int, int], list[tuple[str, float, float]]]:
    """Each straight arrow, by (kind, step, its place among them), with each end as (the box
    whose outline it lies on, its offset from that box's corner)."""
    boxes = w.nodes()

    def on_outline(x: float, y: float) -> tuple[str, float, float]:
        def off(n) -> float:  # the distance from (x, y) to the box's outline
            x0, y0, bw, bh = n.rect
            inside = min(abs(x - x0), abs(x - x0 - bw), abs(y - y0), abs(y - y0 - bh))
            outside = max(x0 - x, x - x0 - bw, y0 - y, y - y0 - bh, 0.0)
            return outside if outside > 0 else inside

        n = min(boxes, key=off)
        assert off(n) < 1e-9, (x, y)
        return n.name, x - n.rect[0], y - n.rect[1]

    ends: dict[tuple[str, int, int], list[tuple[str, float, float]]] = {}
    for e in w.edges():
        if e.loop:
            continue
        k = sum(1 for kind, step, _ in ends if (kind, step) == (e.kind, e.step))
        ends[(e.kind, e.step, k)] = [on_outline(*p) for p in e.points.tolist()]
    return ends


@pytest.mark.parametrize("bidirectional", [False, True])
def test_while_folding_every_arrow_joins_the_boxes_it_joins_unrolled(
    qtbot, bidirectional: bool
) -> None:
    """Fold frames move every column: each arrow still runs between the same two boxes, its
    ends where they sit on them unrolled, and the recurrent arrows fade with the progress;
    frame after frame, forth and back, and after a step taken mid-fold."""
    w = open_view(qtbot, 3, bidirectional=bidirectional)
    feed(w.session, 6)
    w.session.select(3)

    def frame(progress: float) -> tuple[float, dict[str, tuple], list]:
        if progress != w.progress:
            w.show_progress(progress)
        return progress, {n.name: n.rect for n in w.nodes()}, [e for e in w.edges() if not e.loop]

    def check(unrolled: dict, frames: list) -> None:
        for progress, boxes, arrows in frames:
            assert len(arrows) == len(unrolled)
            for e, (key, ends) in zip(arrows, unrolled.items(), strict=True):
                assert (e.kind, e.step) == key[:2]
                for (x, y), (name, dx, dy) in zip(e.points.tolist(), ends, strict=True):
                    corner = boxes[name][:2]
                    assert (x, y) == pytest.approx((corner[0] + dx, corner[1] + dy), abs=1e-9)
                assert e.opacity == (progress if e.kind == "W_hh" else 1.0)

    unrolled = _arrow_ends(w)
    check(unrolled, [frame(p) for p in (0.8, 0.35, 0.6, 0.05, 0.5)])
    w.session.step_forward()  # mid-fold: the frame shows the new step's arrows
    frames = [frame(p) for p in (0.5, 0.3, 0.9)]
    w.show_progress(1.0)
    check(_arrow_ends(w), frames)


@pytest.mark.usefixtures("kept_appearance")
@pytest.mark.parametrize("layers", [1, 3])
def test_kept_colours_are_the_ones_a_new_view_works_out(qtbot, layers: int) -> None:
    """The graph keeps the value strips and the gradients' colours while the session's
    arrays that decide them stay the same (a sweep): after every kind of change, what it
    shows is what a view opened on the session now shows."""
    w = open_view(qtbot, layers)
    s = w.session
    feed(s, 12)
    changes = [
        s.run_backward,
        *[lambda k=k: s.set_sweep(k) for k in (11, 7, 3)],
        lambda: s.set_sweep(None),
        lambda: s.select(5),
        lambda: s.set_focus(layers - 1, 0),
        s.step_back,
        s.run_backward,
        lambda: s.set_config(spectral_radius=1.2),
        s.run_backward,
        lambda: appearance.set(palette=DARK),
        lambda: s.set_sequence(np.cos(np.arange(s.sequence.shape[0]) / 3.0)),
        lambda: s.seek(12),
        s.run_backward,
    ]
    for change in changes:
        change()
        fresh = GraphView(s)
        qtbot.addWidget(fresh)
        fresh.resize(w.size())
        fresh.show()
        qtbot.waitExposed(fresh)
        # The two may show other windows of steps: the boxes both show are compared.
        mine, theirs = ({n.name: n for n in v.nodes()} for v in (w, fresh))
        both = mine.keys() & theirs.keys()
        assert len(both) > 10
        for name in both:
            a, b = mine[name], theirs[name]
            assert (a.glow, a.glow_color, a.glow_bad) == (b.glow, b.glow_color, b.glow_bad), name
        arrows = [{(e.kind, e.step, i): e for i, e in enumerate(v.edges())} for v in (w, fresh)]
        mine_hh, theirs_hh = (
            {(e.step, e.points[0][1]): (e.width, e.color) for e in a.values() if e.kind == "W_hh"}
            for a in arrows
        )
        common = mine_hh.keys() & theirs_hh.keys()
        assert all(mine_hh[k] == theirs_hh[k] for k in common)
        assert common or s.t == 0
        # The boxes' colours, cell by cell, in both views' pictures drawn whole.
        shown, anew = (to_rgb(v.graphics.viewport().grab().toImage()) for v in (w, fresh))
        seen = 0
        for name in both:
            x0, y0, bw, bh = mine[name].rect
            cells = 5 if mine[name].kind == "h" else 1
            for i in range(cells):
                centre = (x0 + bw / 2, y0 + bh * (i + 0.5) / cells)
                p, q = w.map_to_viewport(*centre), fresh.map_to_viewport(*centre)
                inside = [v.drawing_area().contains(r) for v, r in ((w, p), (fresh, q))]
                if not all(inside):
                    continue  # in the window of steps, out of view
                seen += 1
                assert np.array_equal(shown[p.y(), p.x()], anew[q.y(), q.x()]), name
        assert seen > 10
        fresh.close()


def _same_nodes_as_a_new_view(qtbot, w: GraphView, name: str) -> None:
    """Every node ``w`` draws that a view opened on its session now draws too is the same
    (but for the column of its colours in the strip: the two may show other windows), and
    its box shows the same colours, cell by cell."""
    fresh = GraphView(w.session)
    qtbot.addWidget(fresh)
    fresh.resize(w.size())
    fresh.show()
    qtbot.waitExposed(fresh)
    mine, theirs = ({n.name: n for n in v.nodes()} for v in (w, fresh))
    both = sorted(mine.keys() & theirs.keys())
    assert len(both) > 10, name
    for node in both:
        assert mine[node]._replace(strip=0) == theirs[node]._replace(strip=0), (name, node)
    shown, anew = (to_rgb(v.graphics.viewport().grab().toImage()) for v in (w, fresh))
    seen = 0
    for node in both:
        x0, y0, bw, bh = mine[node].rect
        for i in range(5):
            centre = (x0 + bw / 2, y0 + bh * (i + 0.5) / 5)
            p, q = w.map_to_viewport(*centre), fresh.map_to_viewport(*centre)
            if not all(v.drawing_area().contains(r) for v, r in ((w, p), (fresh, q))):
                continue  # in the window of steps, out of view
            seen += 1
            assert np.array_equal(shown[p.y(), p.x()], anew[q.y(), q.x()]), (name, node)
    assert seen > 10, name
    fresh.close()


@pytest.mark.usefixtures("kept_appearance")
@pytest.mark.parametrize("bidirectional", [False, True])
def test_kept_nodes_and_labels_are_the_ones_a_new_view_makes(qtbot, bidirectional: bool) -> None:
    """The graph keeps each column's nodes, and their labels, while what decides them stays
    the same (a step changes the nodes of a few columns of those drawn): after each step,
    and every other kind of change, its nodes and labels are those a view opened on the
    session now makes."""
    w = open_view(qtbot, 3, bidirectional=bidirectional)
    s = w.session
    d = int(bidirectional)
    changes = [
        ("steps", lambda: feed(s, 12)),
        *[("back", s.step_back)] * 2,
        ("forward", s.step_forward),
        ("select", lambda: s.select(5)),
        ("step", s.step_forward),
        ("focus", lambda: s.set_focus(2, d)),
        ("backward pass", s.run_backward),
        *[(f"sweep {k}", lambda k=k: s.set_sweep(k)) for k in (9, 4)],
        ("sweep done", lambda: s.set_sweep(None)),
        ("back after the backward pass", s.step_back),
        ("new inputs", lambda: s.set_sequence(np.cos(np.arange(s.sequence.shape[0]) / 3.0))),
        ("text", lambda: s.set_sequence("hello world, hello")),
        ("text steps", lambda: feed(s, 3)),
        ("dark theme", lambda: appearance.set(palette=DARK)),
        ("step in the dark", s.step_back),
        ("wider lines", lambda: appearance.set(line_scale=1.6)),
        ("step with wider lines", s.step_forward),
    ]
    for name, change in changes:
        change()
        _same_nodes_as_a_new_view(qtbot, w, name)
        _same_labels_as_a_new_view(qtbot, w, name)


def _same_labels_as_a_new_view(qtbot, w: GraphView, name: str) -> None:
    """Each label ``w`` draws that a view opened on its session now draws at the same place
    (relative to the data's origin: the two may show other windows of steps) looks the
    same there, pixel for pixel: its colour, size and weight are the new view's. Most of
    them are at the same place: their offsets from their boxes are the new view's too."""
    fresh = GraphView(w.session)
    qtbot.addWidget(fresh)
    fresh.resize(w.size())
    fresh.show()
    qtbot.waitExposed(fresh)

    def placed(v: GraphView) -> dict[tuple[str, float, float, float, float], QRectF]:
        """Each label by its text and its rectangle, from the data's origin."""
        x0, y0 = v.graph_item.deviceTransform(v.graphics.viewportTransform()).map(0.0, 0.0)
        return {
            (text, *(round(a, 3) for a in (r.x() - x0, r.y() - y0, r.width(), r.height()))): r
            for text, r in v.label_rects()
        }

    shown, anew = (to_rgb(v.graphics.viewport().grab().toImage()) for v in (w, fresh))
    mine, theirs = placed(w), placed(fresh)
    both = mine.keys() & theirs.keys()
    texts = {key[0] for key in mine} & {key[0] for key in theirs}
    assert len(texts) >= 4 and len(both) >= 0.75 * len(texts), (name, sorted(texts))
    for key in both:
        a, b = (r.toAlignedRect() for r in (mine[key], theirs[key]))
        here = shown[a.top() : a.bottom() + 1, a.left() : a.right() + 1]
        there = anew[b.top() : b.bottom() + 1, b.left() : b.right() + 1]
        assert here.shape == there.shape and np.array_equal(here, there), (name, key)
    fresh.close()


def test_kept_nodes_mark_a_forward_overflow_as_a_new_view_does(qtbot) -> None:
    """The nodes a one-layer graph keeps take the forward pass's faults: those of a new
    view, as steps come and go over the step where the state overflows, and when new
    weights make the state overflow at the steps already fed."""
    w = open_view(qtbot, 1)
    s = w.session
    s.set_config(cell="vanilla", activation="linear", spectral_radius=10.0, sequence_length=400)
    s.seek(400)
    at = s.trace.exploded_at
    assert at is not None
    s.seek(at - 2)
    changes = [
        *[("forward", s.step_forward)] * 4,
        *[("back", s.step_back)] * 2,
        ("calm weights", lambda: s.set_config(spectral_radius=1.0)),
        ("overflowing weights", lambda: s.set_config(spectral_radius=10.0)),
    ]
    for name, change in changes:
        change()
        _same_nodes_as_a_new_view(qtbot, w, name)
        if name.endswith("weights"):  # at the step where the state overflowed
            assert any(n.bad for n in w.nodes()) == (name != "calm weights"), name
