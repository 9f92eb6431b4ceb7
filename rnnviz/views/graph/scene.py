"""From the session to what the graph draws: the window's data, then nodes, edges and labels.

``build_content`` reads the session once per change (values, levels, gradient strengths of the
window of steps); ``build_scene`` places it for an animation progress (0 folded … 1 unrolled)
and is cheap enough to run every frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QRectF

from rnnviz.session import Session
from rnnviz.views.graph import layout as gl
from rnnviz.views.graph.items import (
    GLOW_REACH,
    SELECTED_PEN_WIDTH,
    EdgeSpec,
    LabelSpec,
    NodeSpec,
    arrow_head_half,
)
from rnnviz.views.graph.style import (
    BAD_COLOR,
    EDGE_WIDTH,
    edge_color,
    gradient_colors,
    gradient_strength,
    gradient_width,
    strip_rgba,
    value_level,
)
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.sizes import LABEL_PT

NODE_LABEL_PT = LABEL_PT + 2
EDGE_LABEL_PT = LABEL_PT + 1
MIN_LABEL_PT = LABEL_PT - 3  # labels of narrow columns shrink down to this, then thin out
FOLDED_LABEL_PT = LABEL_PT + 5
NODE_LABEL_SPACING = 60.0  # px between labelled columns
EDGE_LABEL_SPACING = 200.0  # the weights' labels repeat less often than the nodes'
LOOP_MIN_STRENGTH = 0.45  # the folded loop's palest gradient colour (3:1 on the paper)
# Below this many px per column a weight's label touches the next column's h_t label: then
# only the selected step's weights are labelled.
ROOMY_COLUMN_PX = 95.0
BAD_WIDTH = 4.0
H_LABEL_DX = gl.NODE_WIDTH / 2 + 0.1  # h_t's label clears its gradient halo
LABEL_GAP = 4.0  # px between a label and the arrowhead or box it sits beside
FOLDED_LABEL_OFFSET = 6.0


@dataclass(frozen=True)
class Content:
    """The session's numbers for the columns lo..hi, ready to colour."""

    T: int  # steps fed
    layers: int  # stacked layers, one h row each
    focus_layer: int  # the layer the single-layer panels show
    focus_direction: int  # … and its direction (0 forward, 1 backward)
    directions: int  # 2: bidirectional, two h boxes per layer and step
    N: int  # steps in the sequence (fed and upcoming)
    lo: int
    hi: int
    focus: int  # the selected step (0 before the first step): the folded cell shows it
    selected: int | None
    strips: dict[str, np.ndarray]  # kind → (rows, stride·h rows, 4) RGBA (see strip_column)
    first: dict[str, int]  # kind → its first step drawn
    count: dict[str, int]  # kind → number of fed (drawn) columns (per h row: see ``row``)
    stride: int  # strip columns (per h row): the window's width, whatever was fed of it
    fwd_bad: np.ndarray  # (rows, T+1) h_k (y_k: the last row) not finite in the forward pass
    chars: dict[tuple[str, int], str]  # text mode: (kind, step) → character shown
    # per h row: lit steps → (strength, colour), None: bad
    grad: tuple[dict[int, tuple[float, str] | None], ...]


@dataclass(frozen=True)
class Scene:
    nodes: tuple[NodeSpec, ...]
    edges: tuple[EdgeSpec, ...]
    labels: tuple[LabelSpec, ...]
    band: tuple[float, float, float, float] | None
    bounds: QRectF


def row(c: Content, layer: int, direction: int = 0) -> int:
    """The h row of ``layer``'s ``direction``: strips, gradients and faults are per row."""
    return layer * c.directions + direction


def _h_rows(session: Session) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Every (layer, direction)'s h_t, t = 0..T in step order (T+1, H), and which of its
    steps 1..T are finite (T,); a backward direction has no state at step 0 (zeros)."""
    L, D = session.depth
    if L * D == 1:
        return [session.trace.h_all], [session.trace.valid]
    st = session.stack_trace
    h_alls, valids = [], []
    for k in range(L):
        for d in range(D):
            tr = st.layers[k][d]
            if d == 0:
                h_alls.append(tr.h_all)  # (T+1, H)
                valids.append(tr.valid)  # (T,)
            else:
                h = st.h(k, 1)  # (T, H) in step order
                h_alls.append(np.concatenate([np.zeros_like(h[:1]), h]))  # (T+1, H)
                valids.append(tr.valid[::-1])  # (T,)
    return h_alls, valids


class ContentMemo:
    """The last frame's colours, by what decides them, for ``build_content`` to reuse: the
    strips of the window's values (the same while a sweep or a selection moves), and the
    gradient strengths of every step with their colours (the same while a sweep moves, and
    after a step that leaves the gradients alone). The session replaces an array or a
    result when it changes, never changes it in place: the same object is the same
    content."""

    def __init__(self) -> None:
        self.values: tuple[tuple[object, ...], ValueColours] | None = None
        self.gradients: tuple[object, GradientColours | None] | None = None


# The value strips, which columns are bad in the forward pass, and text mode's characters.
ValueColours = tuple[dict[str, np.ndarray], np.ndarray, dict[tuple[str, int], str]]
# Per h row: the gradient strength of each step 1..T (NaN: not finite), and its colour.
GradientColours = tuple[np.ndarray, tuple[list[str], ...]]


def build_content(session: Session, lo: int, hi: int, memo: ContentMemo | None = None) -> Content:
    """The session's numbers for the columns lo..hi; ``memo``: the last frame's colours,
    reused where what decides them is the same objects (see ContentMemo)."""
    T, N = session.t, session.sequence.shape[0]
    L, D = session.depth
    selected = session.selected_step
    p = session.params
    memo = memo if memo is not None else ContentMemo()
    key: tuple[object, ...] = (
        session.trace,
        session.stack_trace if L * D > 1 else None,
        session.sequence,
        p,
        session.config.encoding,
        session.vocab,
        T,
        N,
        lo,
        hi,
    )
    if memo.values is None or not _same(memo.values[0], key):
        memo.values = (key, _value_colours(session, lo, hi))
    strips, fwd_bad, chars = memo.values[1]
    x0, x1 = max(1, lo), min(N, hi)  # steps of the x strips (upcoming ones too)
    h0, h1 = max(0, lo), min(T, hi)
    y0, y1 = max(1, lo), min(T, hi)
    return Content(
        T=T,
        layers=L,
        focus_layer=session.focus[0],
        focus_direction=session.focus[1],
        directions=session.depth[1],
        N=N,
        lo=lo,
        hi=hi,
        focus=selected or 0,
        selected=selected,
        strips=strips,
        first={"x": x0, "h": h0, "y": y0},
        count={"x": max(0, x1 - x0 + 1), "h": max(0, h1 - h0 + 1), "y": max(0, y1 - y0 + 1)},
        stride=hi - lo + 1,
        fwd_bad=fwd_bad,
        chars=chars,
        grad=_window_gradients(session, lo, hi, memo),
    )


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Whether two memo keys hold the same objects (arrays and results: by identity)."""
    return all(x is y or (isinstance(x, int | str) and x == y) for x, y in zip(a, b, strict=True))


def _value_colours(session: Session, lo: int, hi: int) -> ValueColours:
    """The strips of the window lo..hi, the forward pass's faults, and text's characters."""
    T, N = session.t, session.sequence.shape[0]
    L, D = session.depth
    # One layer: the session's trace as ever; a stack: every layer's every direction.
    h_alls, valids = _h_rows(session)
    y = session.trace.y if L * D == 1 else session.stack_trace.y  # (T, O)
    p = session.params
    bounded = p.cell != "vanilla" or p.activation in ("tanh", "sigmoid")
    x0, x1 = max(1, lo), min(N, hi)  # steps of the x strips (upcoming ones too)
    h0, h1 = max(0, lo), min(T, hi)
    y0, y1 = max(1, lo), min(T, hi)
    seq_level = value_level(session.sequence, bounded=False)
    # Step s of a strip is in column s mod stride, the window's width (of row r of h: r·stride
    # further on): while the window slides along with the steps, every node that stays in
    # view keeps its column, and the graph repaints only the columns that changed.
    stride = hi - lo + 1
    h_strips = [
        _ring(strip_rgba(h[h0 : h1 + 1], value_level(h, bounded)), h0, stride) for h in h_alls
    ]
    strips = {
        "x": _ring(strip_rgba(session.sequence[x0 - 1 : x1], seq_level), x0, stride),
        "h": np.concatenate(h_strips, axis=1),  # (H, L·D·stride, 4)
        "y": _ring(strip_rgba(y[y0 - 1 : y1], value_level(y, bounded=False)), y0, stride),
    }
    fwd_bad = np.zeros((L * D, T + 1), dtype=bool)  # (L·D, T+1)
    for r, valid in enumerate(valids):
        fwd_bad[r, 1:] = ~valid
    return strips, fwd_bad, _characters(session, (x0, x1), (y0, y1))


def _ring(strip: np.ndarray, first: int, stride: int) -> np.ndarray:
    """The (H, n, 4) strip of steps first… as ``stride`` columns, step s in column s mod
    stride (the columns of no step blank: no node reads them)."""
    ring = np.zeros((strip.shape[0], stride, 4), dtype=strip.dtype)  # (H, stride, 4)
    columns = (first + np.arange(strip.shape[1])) % stride  # (n,)
    ring[:, columns] = strip
    return ring


def strip_column(c: Content, kind: str, step: int, r: int = 0) -> int:
    """The column of ``kind``'s strip image that the node of ``step`` (of h row ``r``) shows."""
    return (r * c.stride if kind == "h" else 0) + step % c.stride


def _characters(
    session: Session, x_steps: tuple[int, int], y_steps: tuple[int, int]
) -> dict[tuple[str, int], str]:
    """Text mode: the character each x_t encodes and the most likely one y_t predicts."""
    if session.config.encoding != "text" or not session.vocab:
        return {}
    # A space or a newline would be an invisible label.
    vocab = session.vocab.replace(" ", "␣").replace("\n", "↵")
    rows = {"x": session.sequence, "y": session.trace.y}
    out: dict[tuple[str, int], str] = {}
    for kind, (first, last) in (("x", x_steps), ("y", y_steps)):
        for s in range(first, last + 1):
            k = int(np.argmax(rows[kind][s - 1]))
            out[(kind, s)] = vocab[k] if k < len(vocab) else ""
    return out


def _window_gradients(
    session: Session, lo: int, hi: int, memo: ContentMemo
) -> tuple[dict[int, tuple[float, str] | None], ...]:
    """Per h row (layer, direction): step → (strength, colour) of the window's lit steps,
    None where the gradient is not finite; one log scale for the whole stack. Steps below
    the backward sweep's cursor are not lit yet."""
    L, D = session.depth
    g = session.gradients  # replaced whenever the stack's gradients are
    if memo.gradients is None or memo.gradients[0] is not g:
        memo.gradients = (g, _gradient_colours(session))
    colours = memo.gradients[1]
    if colours is None:
        return tuple({} for _ in range(L * D))
    strength, shades = colours
    steps = range(max(1, lo, session.sweep or 1), min(session.t, hi) + 1)
    return tuple(
        {k: None if math.isnan(s[k - 1]) else (s[k - 1], shade[k - 1]) for k in steps}
        for s, shade in zip(strength.tolist(), shades, strict=True)
    )


def _gradient_colours(session: Session) -> GradientColours | None:
    """Every h row's gradient strength at steps 1..t, on one log scale for the stack, with
    its colour; None without gradients of the fed steps."""
    L, D = session.depth
    if L * D == 1:
        g = session.gradients
        if g is None or g.dL_dh_norm.size != session.t:
            return None
        rows = gradient_strength(g.dL_dh_norm, g.valid)[None, :]  # (1, t)
    else:
        norms = session.depth_grad_norm  # (L, D, t) | None
        if norms is None or norms.shape[2] != session.t:
            return None
        flat = norms.ravel()  # row r = layer·D + direction
        rows = gradient_strength(flat, np.isfinite(flat)).reshape(L * D, -1)  # (L·D, t)
    return rows, tuple(gradient_colors(r) for r in rows)


# ---- placing it --------------------------------------------------------------------
# A column's edges by what decides them (see _column_key): a frame makes again only the
# columns that changed since the last one (a step changes one or two of ~20). While folding:
# the content's edges at two progresses (see _moving_edges).
EdgeMemo = dict[tuple[object, ...], tuple["EdgeSpec", ...]]


def build_scene(
    c: Content,
    progress: float,
    hover: str | None,
    px_per_column: float,
    label_scale: float = 1.0,
    memo: EdgeMemo | None = None,
    node_memo: NodeMemo | None = None,
    label_memo: LabelMemo | None = None,
) -> Scene:
    """The content placed for ``progress``; unrolled labels at ``label_scale`` of their size
    (narrow columns: see ``label_scale``). ``memo`` and ``node_memo``: the last frame's
    columns of edges and of nodes, reused where unchanged and replaced by this frame's;
    ``label_memo``: the nodes' labels, reused for the same nodes at the same size."""
    if progress <= 0.0:
        return _folded(c, hover)
    X = gl.columns_x(np.arange(c.hi + 1), c.focus, progress)  # (hi+1,) column → drawn x
    # While folding every column moves at every frame: nothing to reuse (see _node_column_key).
    nodes = _unrolled_nodes(c, X, node_memo if progress >= 1.0 else None)
    edges = _unrolled_edges(c, X, progress, hover, {} if memo is None else memo)
    if progress >= 1.0:
        labels = _unrolled_labels(c, nodes, X, px_per_column, label_scale, label_memo)
    else:
        labels = tuple(
            _node_label(
                n, _clearance(c, n.step, 0.0, row(c, n.layer, n.direction)), layers=c.layers
            )
            for n in nodes
            if n.step == c.focus
        )
    band = None
    if c.selected is not None:
        bx = float(X[c.selected])
        half = gl.BAND_HALF_HEIGHT + gl.extra_height(c.layers) / 2
        band = (
            bx - gl.BAND_HALF_WIDTH,
            gl.middle_y(c.layers) - half,
            2 * gl.BAND_HALF_WIDTH,
            2 * half,
        )
    left, right = float(X[c.lo]), float(X[c.hi])
    return Scene(nodes, edges, labels, band, _bounds(left, right + 1.0, c.layers))


def node_name(
    kind: str, step: int | None, layers: int, layer: int, direction: int = 0, directions: int = 1
) -> str:
    """ "h_3" ("h" folded); in a stack an h node names its layer (1 at the bottom): "h^2_3",
    and a backward direction's its arrow: "h^2←_3"."""
    if kind != "h" or layers * directions == 1:
        base = kind
    else:
        base = f"h^{layer + 1}" + ("←" if direction else "")
    return base if step is None else f"{base}_{step}"


# A node's label by the node's identity (the nodes of unchanged columns are the last frame's
# objects) → (node, size, label), for the same size of columns and labels and the same stack.
# What else decides a label is the node's (its h row's gradient, which sets the W_hh arrowhead
# it clears, is the node's halo) or the look's: a new look needs a new memo.
LabelMemo = dict[int, tuple["NodeSpec", tuple[object, ...], "LabelSpec"]]

# A column's nodes by what decides them (see _node_column_key), by kind, layer and direction:
# a step changes the nodes of a few columns of the ~20 drawn, as it does their edges.
NodeMemo = dict[tuple[object, ...], dict[tuple[str, int, int], NodeSpec]]


def _unrolled_nodes(
    c: Content, X: np.ndarray, memo: NodeMemo | None = None
) -> tuple[NodeSpec, ...]:
    """Every node of the window, kind by kind, row by row, step by step; ``memo``: the last
    frame's columns, reused where unchanged and replaced by this frame's."""
    steps = sorted({c.first[k] + j for k in ("x", "h", "y") for j in range(c.count[k])})
    columns: dict[int, dict[tuple[str, int, int], NodeSpec]] = {}
    fresh: NodeMemo = {}
    for step in steps:
        key = _node_column_key(c, step)
        column = None if memo is None else memo.get(key)
        if column is None:
            column = _column_nodes(c, X, step)
        columns[step] = fresh[key] = column
    if memo is not None:
        memo.clear()
        memo.update(fresh)
    nodes: list[NodeSpec] = []
    for kind in ("x", "h", "y"):
        for layer in range(c.layers if kind == "h" else 1):
            for d in range(c.directions if kind == "h" else 1):
                for j in range(c.count[kind]):
                    step = c.first[kind] + j
                    if d == 1 and step == 0:  # the backward direction starts after step T
                        continue
                    nodes.append(columns[step][(kind, layer, d)])
    # The focus column is drawn last, on top of the others it collapses onto.
    return tuple(sorted(nodes, key=lambda n: n.step == c.focus))


def _column_nodes(c: Content, X: np.ndarray, step: int) -> dict[tuple[str, int, int], NodeSpec]:
    """The nodes of ``step``'s column, by (kind, layer, direction)."""
    out: dict[tuple[str, int, int], NodeSpec] = {}
    cx = float(X[step])
    for kind in ("x", "h", "y"):
        if not c.first[kind] <= step < c.first[kind] + c.count[kind]:
            continue
        for layer in range(c.layers if kind == "h" else 1):
            for d in range(c.directions if kind == "h" else 1):
                if d == 1 and step == 0:
                    continue
                strip = strip_column(c, kind, step, row(c, layer, d))
                name = node_name(kind, step, c.layers, layer, d, c.directions)
                node = _node(c, kind, step, name, cx, strip, layer, d, c.directions)
                out[(kind, layer, d)] = node
    return out


def _node_column_key(c: Content, step: int) -> tuple[object, ...]:
    """Everything the nodes of ``step``'s column depend on (see _node), unrolled, where a
    column's x is its step: whether it is fed (else it shows x alone), the stack's shape,
    the strips' width, the forward faults and gradients of its rows, the selection and
    focus, and text mode's characters."""
    fed = step <= c.T
    return (
        step,
        fed,
        c.layers,
        c.directions,
        c.stride,
        tuple(c.fwd_bad[:, step].tolist()) if fed else (),
        tuple(g.get(step, ()) for g in c.grad),
        step == c.selected,
        c.focus_layer,
        c.focus_direction,
        c.chars.get(("x", step), ""),
        c.chars.get(("y", step), ""),
    )


def _node(
    c: Content,
    kind: str,
    step: int,
    name: str,
    cx: float,
    strip: int,
    layer: int = 0,
    direction: int = 0,
    directions: int = 1,
) -> NodeSpec:
    """The node of ``kind`` at ``step``; an h node of (``layer``, ``direction``), drawn as
    one of two boxes per step when ``directions`` is 2 (the folded stack draws one)."""
    r = row(c, layer, direction)
    faint = kind == "x" and step > c.T
    bad = kind != "x" and step <= c.T and bool(c.fwd_bad[r if kind == "h" else -1, step])
    glow, glow_color, glow_bad = None, "", False
    grad = c.grad[r]
    if kind == "h" and step in grad:
        g = grad[step]
        if g is None:
            glow_bad = True
        else:
            glow, glow_color = g
    return NodeSpec(
        name=name,
        kind=kind,
        step=step,
        rect=gl.node_rect(kind, cx, layer, c.layers, direction, directions),
        strip=strip,
        faint=faint,
        bad=bad,
        # In a stack only the focused (layer, direction)'s h_t is outlined: the cell the
        # panels show.
        selected=c.selected is not None
        and step == c.selected
        and not faint
        and (
            kind != "h"
            or c.layers * c.directions == 1
            or (layer, direction) == (c.focus_layer, c.focus_direction)
        ),
        glow=glow,
        glow_color=glow_color,
        glow_bad=glow_bad,
        char=c.chars.get((kind, step), ""),
        layer=layer,
        direction=direction,
    )


def _hh_style(c: Content, step: int, r: int = 0) -> tuple[float, str, bool]:
    """(width, colour, dashed) of the W_hh edge into h_step of row ``r``: the gradient when
    it is lit."""
    grad = c.grad[r]
    if step not in grad:
        return EDGE_WIDTH, edge_color(), False
    g = grad[step]
    if g is None:
        return BAD_WIDTH, BAD_COLOR, True
    return gradient_width(g[0]), g[1], False


def _loop_style(c: Content, layer: int = 0) -> tuple[float, str, bool]:
    """The folded self-loop's style: as the W_hh edge into the focus step, but never paler
    than ``LOOP_MIN_STRENGTH``. It is the recurrence itself, drawn once; at a step whose
    gradient is the smallest (the last one, when gradients explode) it would vanish."""
    r = row(c, layer)
    g = c.grad[r].get(c.focus)
    if g is None or g[0] >= LOOP_MIN_STRENGTH:
        return _hh_style(c, c.focus, r)
    return (
        gradient_width(LOOP_MIN_STRENGTH),
        gradient_colors(np.array([LOOP_MIN_STRENGTH]))[0],
        False,
    )


def _edge(
    kind: str,
    step: int,
    points: np.ndarray,
    hover: str | None,
    style: tuple[float, str, bool] | None = None,
    opacity: float = 1.0,
    loop: bool = False,
) -> EdgeSpec:
    """An edge in ``style`` (width at scale 1, colour, dashed), a weight's arrow unless given;
    its width at the appearance's scale."""
    width, color, dashed = style or (EDGE_WIDTH, edge_color(), False)
    width = appearance.width(width)
    return EdgeSpec(kind, step, points, width, color, dashed, hover == kind, opacity, loop)


def _segment(seg: tuple[float, float, float, float]) -> np.ndarray:
    return np.array(seg).reshape(2, 2)  # (2, 2)


def _unrolled_edges(
    c: Content, X: np.ndarray, progress: float, hover: str | None, memo: EdgeMemo
) -> tuple[EdgeSpec, ...]:
    look = (appearance.width(EDGE_WIDTH), edge_color())  # what the plain arrows are drawn in
    if progress < 1.0:
        edges = _moving_edges(c, progress, hover, memo, look)
        for layer in range(c.layers):
            loop = gl.loop_points(float(X[c.focus]), layer=layer)
            style = _loop_style(c, layer)
            edges.append(_edge("W_hh", c.focus, loop, hover, style, 1.0 - progress, True))
        return tuple(edges)
    edges = []
    fresh: EdgeMemo = {}
    for s in range(max(1, c.lo), min(c.T, c.hi) + 1):
        key = _column_key(c, X, s, progress, hover, look)
        column = memo.get(key)
        if column is None:
            column = _column_edges(c, X, s, progress, hover)
        fresh[key] = column
        edges.extend(column)
    memo.clear()
    memo.update(fresh)
    return tuple(edges)


class _ByIdentity:
    """A memo key's part that is its object itself, not its value (and keeps the object
    alive, so that no other object takes its id)."""

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByIdentity) and other.obj is self.obj


def _moving_edges(
    c: Content, progress: float, hover: str | None, memo: EdgeMemo, look: tuple[float, str]
) -> list[EdgeSpec]:
    """The edges while folding, when every column moves at every frame. Each end of an edge
    lies at a fixed offset from its column's x, which moves linearly with the progress (see
    gl.columns_x), and a W_hh arrow's opacity is the progress: so the edges at progress 1
    and ½, made once for the content, give every frame's by interpolation."""
    key = ("fold", _ByIdentity(c), hover, look)
    both = memo.get(key)
    if both is None:
        steps = np.arange(c.hi + 1)  # (hi+1,)
        both = tuple(
            e
            for p in (1.0, 0.5)
            for s in range(max(1, c.lo), min(c.T, c.hi) + 1)
            for e in _column_edges(c, gl.columns_x(steps, c.focus, p), s, p, hover)
        )
    memo.clear()
    memo[key] = both
    m = len(both) // 2
    if m == 0:
        return []
    whole, half = both[:m], both[m:]
    at_one = np.array([e.points for e in whole])  # (m, 2, 2)
    at_half = np.array([e.points for e in half])  # (m, 2, 2)
    points = at_one + (progress - 1.0) * 2.0 * (at_one - at_half)  # (m, 2, 2)
    bounds = np.hstack([points.min(axis=1), points.max(axis=1)]).tolist()  # (m, 4)
    return [
        EdgeSpec(
            e.kind,
            e.step,
            xy,
            e.width,
            e.color,
            e.dashed,
            e.highlighted,
            progress if h.opacity != e.opacity else e.opacity,
            e.loop,
            tuple(box),
        )
        for e, h, xy, box in zip(whole, half, points, bounds, strict=True)
    ]


def _column_key(
    c: Content,
    X: np.ndarray,
    s: int,
    progress: float,
    hover: str | None,
    look: tuple[float, str],
) -> tuple[object, ...]:
    """Everything the edges into column s depend on: the columns' places (the one after,
    for a backward direction's arrow, when it is drawn), the stack's shape, the gradient's
    styles, the hovered weight, the fold's progress and the appearance."""
    rows = c.layers * c.directions
    after = float(X[s + 1]) if c.directions == 2 and s + 1 <= min(c.T, c.hi) else None
    styles = tuple(_hh_style(c, s, r) for r in range(rows))
    return (
        s,
        float(X[s - 1]),
        float(X[s]),
        after,
        c.layers,
        c.directions,
        styles,
        hover,
        progress,
        look,
    )


def _column_edges(
    c: Content, X: np.ndarray, s: int, progress: float, hover: str | None
) -> tuple[EdgeSpec, ...]:
    """The edges into column s: x_s up into the first layer, each layer into the next, the
    top one into y_s, and the recurrence from the column before."""
    if c.directions == 2:
        return tuple(_bidirectional_edges(c, X, s, progress, hover))
    cx = float(X[s])
    edges = [_edge("W_xh", s, _segment(gl.xh_segment(cx)), hover)]
    # A stack: layer l+1 reads layer l's h_t through its own input weights.
    for layer in range(c.layers - 1):
        edges.append(_edge("W_xh", s, _segment(gl.up_segment(cx, layer)), hover))
    edges.append(_edge("W_hy", s, _segment(gl.hy_segment(cx, c.layers)), hover))
    for layer in range(c.layers):
        seg = _segment(gl.hh_segment(float(X[s - 1]), cx, layer))
        style = _hh_style(c, s, row(c, layer))
        edges.append(_edge("W_hh", s, seg, hover, style, opacity=progress))
    return tuple(edges)


def _bidirectional_edges(
    c: Content, X: np.ndarray, s: int, progress: float, hover: str | None
) -> list[EdgeSpec]:
    """The edges into step s of a bidirectional stack: x_s into both boxes of layer 1, both
    boxes of layer l into both of layer l+1 (it reads [forward; backward]), y_s from both
    top boxes; the forward recurrence from s−1 (left to right), the backward from s+1."""
    L = c.layers

    def box(step: int, layer: int, d: int) -> gl.Rect:
        return gl.node_rect("h", float(X[step]), layer, L, d, 2)

    up = gl.up_between
    edges = [
        _edge("W_xh", s, _segment(up(gl.node_rect("x", float(X[s])), box(s, 0, d))), hover)
        for d in (0, 1)
    ]
    for layer in range(L - 1):
        for a in (0, 1):
            for b in (0, 1):
                seg = up(box(s, layer, a), box(s, layer + 1, b))
                edges.append(_edge("W_xh", s, _segment(seg), hover))
    y_box = gl.node_rect("y", float(X[s]), layers=L)
    edges += [_edge("W_hy", s, _segment(up(box(s, L - 1, d), y_box)), hover) for d in (0, 1)]
    for layer in range(L):
        for d, source in ((0, s - 1), (1, s + 1)):
            if source > min(c.T, c.hi):  # no box past T (the backward start) or the window
                continue
            seg = gl.across_between(box(source, layer, d), box(s, layer, d))
            style = _hh_style(c, s, row(c, layer, d))
            edges.append(_edge("W_hh", s, _segment(seg), hover, style, opacity=progress))
    return edges


def _folded(c: Content, hover: str | None) -> Scene:
    """One cell, or a stack of cells each with its self-loop, x at the bottom, y at the top."""
    cx = float(c.focus)
    L = c.layers
    x_step = c.focus if c.focus >= 1 else 1
    nodes = (
        _folded_node(c, "x", x_step, cx),
        *(_folded_node(c, "h", c.focus, cx, layer) for layer in range(L)),
        _folded_node(c, "y", c.focus if c.focus >= 1 else None, cx),
    )
    loops = tuple(
        _edge("W_hh", c.focus, gl.loop_points(cx, layer=k), hover, _loop_style(c, k), loop=True)
        for k in range(L)
    )
    ups = tuple(_edge("W_xh", c.focus, _segment(gl.up_segment(cx, k)), hover) for k in range(L - 1))
    edges = (
        _edge("W_xh", c.focus, _segment(gl.xh_segment(cx)), hover),
        _edge("W_hy", c.focus, _segment(gl.hy_segment(cx, L)), hover),
        *ups,
        *loops,
    )
    xh, hy = gl.xh_segment(cx), gl.hy_segment(cx, L)
    size = FOLDED_LABEL_PT
    p = colors()
    below, above = (0, FOLDED_LABEL_OFFSET), (0, -FOLDED_LABEL_OFFSET)
    labels = [
        _label("x", "t", (cx, xh[1] - gl.NODE_HEIGHT["x"]), (0.5, 0), below, size, p.INPUT),
        _label("y", "t", (cx, hy[3] + gl.NODE_HEIGHT["y"]), (0.5, 1), above, size, p.OUTPUT),
        _edge_label("xh", (cx, (xh[1] + xh[3]) / 2), (0, 0.5), (10, 0), size),
        _edge_label("hy", (cx, (hy[1] + hy[3]) / 2), (0, 0.5), (10, 0), size),
    ]
    for layer in range(L):
        ox, oy = gl.loop_centre(cx, layer)
        h_base = "h" if L == 1 else f"h{_superscript(layer + 1)}"
        h_label = _label(h_base, "t", (cx - H_LABEL_DX, oy), (1, 0.5), (-6, 0), size, p.INK)
        labels.insert(1 + layer, h_label)
        labels.append(_edge_label("hh", (ox + gl.LOOP_RADIUS, oy), (0, 0.5), (10, 0), size))
    return Scene(nodes, edges, tuple(labels), None, _bounds(cx - 1.0, cx + 1.5, L))


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _folded_node(c: Content, kind: str, step: int | None, cx: float, layer: int = 0) -> NodeSpec:
    """The folded cell's node of ``kind``, showing ``step``'s values (an empty box for none)."""
    j = -1 if step is None else step - c.first[kind]
    name = node_name(kind, None, c.layers, layer)
    rect = gl.node_rect(kind, cx, layer, c.layers)
    if step is None or not 0 <= j < c.count[kind]:
        return NodeSpec(name, kind, step, rect, -1, faint=True, layer=layer)
    return _node(c, kind, step, name, cx, strip_column(c, kind, step, row(c, layer)), layer)


def _unrolled_labels(
    c: Content,
    nodes: tuple[NodeSpec, ...],
    X: np.ndarray,
    px_per_column: float,
    label_scale: float = 1.0,
    memo: LabelMemo | None = None,
) -> tuple[LabelSpec, ...]:
    """Every k-th step's labels (and the selected step's), k chosen so they do not crowd;
    ``memo``: the labels of earlier frames' nodes (see LabelMemo).

    In order of priority, the selected step's first: where the view then finds two labels
    overlapping or one cut by its edge, the later one gives way (``GraphView``)."""
    node_k = gl.label_stride(px_per_column, NODE_LABEL_SPACING)
    edge_k = gl.label_stride(px_per_column, EDGE_LABEL_SPACING)
    roomy = px_per_column >= ROOMY_COLUMN_PX
    node_pt, edge_pt = label_points(label_scale)
    size = (px_per_column, node_pt, c.layers, c.directions)
    known = {} if memo is None else memo
    fresh: LabelMemo = {}
    chosen: list[LabelSpec] = []
    others: list[LabelSpec] = []
    for n in nodes:
        if n.step == c.selected or n.step % node_k == 0:
            kept = known.get(id(n))
            if kept is not None and kept[0] is n and kept[1] == size:
                label = kept[2]
            else:
                clearance = _clearance(c, n.step, px_per_column, row(c, n.layer, n.direction))
                label = _node_label(n, clearance, node_pt, c.layers, c.directions)
            fresh[id(n)] = (n, size, label)  # the node kept: its id stays its own
            (chosen if n.step == c.selected else others).append(label)
    if memo is not None:
        memo.clear()
        memo.update(fresh)
    for s in range(max(1, c.lo), min(c.T, c.hi) + 1):
        if s == c.selected or (roomy and s % edge_k == 0):
            (chosen if s == c.selected else others).extend(
                _weight_labels(c, X, s, edge_pt, px_per_column)
            )
    return (*chosen, *others)


def _weight_labels(
    c: Content, X: np.ndarray, s: int, size: int, px_per_column: float
) -> tuple[LabelSpec, ...]:
    """W_hh above its arrow into step s (above the head, as wide as the gradient makes it),
    W_xh and W_hy beside theirs."""
    cx = float(X[s])
    xh, hy = gl.xh_segment(cx), gl.hy_segment(cx, c.layers)
    mid = (float(X[s - 1]) + cx) / 2
    dx = weight_label_dx(px_per_column)
    line = gl.h_centre(cx, 0, 0, c.directions)[1]  # layer 1's forward recurrence
    return (
        _edge_label("hh", (mid, line), (0.5, 1), (0, -_clearance(c, s, px_per_column)), size),
        _edge_label("xh", (cx, (xh[1] + xh[3]) / 2), (0, 0.5), (dx, 0), size),
        _edge_label("hy", (cx, (hy[1] + hy[3]) / 2), (0, 0.5), (dx, 0), size),
    )


def _clearance(c: Content, step: int | None, px_per_column: float, layer: int = 0) -> float:
    """Pixels from the h row's line to a label beside it: clear of the W_hh arrowhead into
    ``step`` and of the h boxes' halos (``px_per_column`` pixels a unit), so the label may
    reach under (over) the neighbouring column's halo."""
    lit = step is not None and 1 <= step <= c.T
    width = _hh_style(c, step or 0, layer)[0] if lit else EDGE_WIDTH
    halo = (gl.NODE_HEIGHT["h"] / 2 + GLOW_REACH) * px_per_column
    return max(arrow_head_half(appearance.width(width)), halo) + LABEL_GAP


def _node_label(
    n: NodeSpec, clearance: float, size: int = NODE_LABEL_PT, layers: int = 1, directions: int = 1
) -> LabelSpec:
    """x_t below its box, y_t above, h_t to the lower left: below the W_hh arrowhead
    (``clearance`` px under the row's line) and outside the gradient halo. In a stack of
    ``layers`` h_t names its layer as a superscript: h²_t; of two ``directions``, its
    direction after it: h²_t→, h²_t←."""
    cx, cy = n.centre
    half = n.rect[3] / 2
    sub = str(n.step)
    suffix = f" {n.char}" if n.char else ""
    if n.kind == "h":
        base = "h" if layers * directions == 1 else f"h{_superscript(n.layer + 1)}"
        arrow = "" if directions == 1 else ("←" if n.direction else "→")
        offset = (-LABEL_GAP, clearance)
        return _label(base, sub, (cx - H_LABEL_DX, cy), (1, 0), offset, size, suffix=arrow)
    p = colors()
    if n.kind == "x":
        color = p.MUTED if n.faint else p.INPUT
        below = (0, node_label_offset())
        return _label("x", sub, (cx, cy - half), (0.5, 0), below, size, color, suffix)
    above = (0, -node_label_offset())
    return _label("y", sub, (cx, cy + half), (0.5, 1), above, size, p.OUTPUT, suffix)


def _label(
    base: str,
    sub: str,
    pos: tuple[float, float],
    align: tuple[float, float],
    offset: tuple[float, float],
    size: int = NODE_LABEL_PT,
    color: str | None = None,
    suffix: str = "",
) -> LabelSpec:
    """A node's label, in ink unless ``color`` is given; ``size`` in points at scale 1."""
    color = color or colors().INK
    return LabelSpec(base, sub, pos, align, offset, size, color, bold=True, suffix=suffix)


def _edge_label(
    sub: str,
    pos: tuple[float, float],
    align: tuple[float, float],
    offset: tuple[float, float],
    size: int = EDGE_LABEL_PT,
) -> LabelSpec:
    return LabelSpec("W", sub, pos, align, offset, size, colors().MUTED, italic=True)


def node_label_offset() -> float:
    """Px between x_t (y_t) and the bottom (top) of its box: clear of a selected box's pen."""
    return appearance.width(SELECTED_PEN_WIDTH) / 2 + LABEL_GAP


def alternatives(label: LabelSpec) -> tuple[LabelSpec, ...]:
    """Where else a label may go when its place is taken: h_t to the lower right of its box
    (the mirror of its usual place), where the next column has no label in the way."""
    if not label.base.startswith("h") or label.align[0] != 1:
        return ()
    x, y = label.pos
    dx, dy = label.offset
    return (label._replace(pos=(x + 2 * H_LABEL_DX, y), align=(0, 0), offset=(-dx, dy)),)


def weight_label_dx(px_per_column: float) -> float:
    """Px from W_xh's (W_hy's) arrow to its label: clear of the arrowhead and of the halo
    of the h box the arrow meets (``px_per_column`` pixels a unit)."""
    halo = (gl.NODE_WIDTH / 2 + GLOW_REACH) * px_per_column
    return max(arrow_head_half(appearance.width(EDGE_WIDTH)), halo) + LABEL_GAP


def label_points(label_scale: float) -> tuple[int, int]:
    """(node, weight) label sizes in points when unrolled labels shrink by ``label_scale``."""
    node = max(MIN_LABEL_PT, round(NODE_LABEL_PT * label_scale))
    return node, max(MIN_LABEL_PT, round(EDGE_LABEL_PT * label_scale))


def sample_labels(label_scale: float = 1.0) -> dict[str, LabelSpec]:
    """Labels of each kind, as wide as they get near the start of a sequence, for the room
    the camera keeps: "node" (x_t, y_t), "h0" (h_0's, left of the first column), "h" (h_t's,
    between two columns; at full size), "weight" (W_xh, right of a column) and "folded" (the
    folded cell's x_t and y_t); unrolled ones shrunk by ``label_scale``."""
    anchor = ((0.0, 0.0), (0.0, 0.0), (0.0, 0.0))
    node, weight = label_points(label_scale)
    return {
        "node": _label("x", "88", *anchor, size=node),
        "h0": _label("h", "0", *anchor, size=node),
        "h": _label("h", "88", *anchor),
        "weight": _edge_label("xh", *anchor, size=weight),
        "folded": _label("x", "t", *anchor, size=FOLDED_LABEL_PT),
    }


def _bounds(left: float, right: float, layers: int = 1) -> QRectF:
    """Everything drawn lies inside this rectangle (labels stick out by < 1 unit)."""
    return QRectF(left - 1.0, -2.5, right - left + 2.0, 5.0 + gl.extra_height(layers))


# ---- what is under the mouse --------------------------------------------------------
def node_at(scene: Scene, x: float, y: float, tolerance: float) -> NodeSpec | None:
    """The topmost node whose box (grown by ``tolerance`` data units) contains (x, y)."""
    for n in reversed(scene.nodes):
        x0, y0, w, h = n.rect
        if x0 - tolerance <= x <= x0 + w + tolerance and y0 - tolerance <= y <= y0 + h + tolerance:
            return n
    return None


def edge_kind_at(scene: Scene, x: float, y: float, tolerance: float) -> str | None:
    """The kind of the nearest visible edge within ``tolerance`` data units, if any."""
    best, kind = tolerance, None
    for e in scene.edges:
        if e.opacity < 0.3:
            continue
        segments = np.hstack([e.points[:-1], e.points[1:]])  # (n−1, 4)
        d = float(gl.segment_distance(x, y, segments).min())
        if d <= best:
            best, kind = d, e.kind
    return kind
