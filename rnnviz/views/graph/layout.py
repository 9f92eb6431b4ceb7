"""Where the graph's nodes, edges and camera go: pure geometry in data units, no Qt.

Step k sits in column x = k (h_0 in column 0); the rows are x (bottom), h, y (top), one unit
apart; a stack of layers has one h row per layer, layer l at y = l, and y above the top one
(a bidirectional layer: its forward box lower left, its backward box upper right of it).
The folded layout is the unrolled one collapsed onto the focus column, so a transition is
one interpolation: column k is drawn at ``focus + progress · (k − focus)``.
"""

from __future__ import annotations

import math

import numpy as np

ROW_Y: dict[str, float] = {"x": -1.0, "h": 0.0, "y": 1.0}
NODE_WIDTH = 0.3
NODE_HEIGHT: dict[str, float] = {"x": 0.36, "h": 0.56, "y": 0.36}
BAND_HALF_WIDTH = 0.42  # the selected step's background band
BAND_HALF_HEIGHT = 1.48
LOOP_RADIUS = 0.3
LOOP_OFFSET = 0.2  # how far the loop's centre sits outside the h box (≤ radius: it touches)
LOOP_GAP = 0.04  # between the loop's ends and the box
LAYER_GAP = 1.0  # between the h rows of two stacked layers
# A bidirectional layer's two h boxes per step: forward lower left, backward upper right, so
# each direction's recurrent arrows run on their own line, clear of the other's boxes.
BIDI_DX = 0.17
BIDI_DY = 0.22
BIDI_HEIGHT = 0.36

PX_PER_COLUMN = 105.0  # unrolled zoom: node labels (≥ 12 pt) fit between columns
MAX_COLUMNS = 60  # never draw more columns than this, whatever T is
Y_SPAN = 3.15  # the three rows, their boxes and the labels above and below (at 105 px)
ROWS_SPAN = 2 * (ROW_Y["y"] + NODE_HEIGHT["y"] / 2) + 0.04  # the rows' boxes alone
MIN_SCALE = 12.0  # px per unit: below this the boxes are specks (the view is tiny)
MIN_SPAN = 3.5  # steps a narrow unrolled view still shows (the camera keeps margins too) …
LEGIBLE_SCALE = 40.0  # … as long as this leaves boxes 12 px wide (NODE_WIDTH × 40)
FOLDED_X_SPAN = 2.3  # the folded cell with its self-loop and labels
LEFT_EDGE = -0.6  # the camera does not scroll left of h_0 …
RIGHT_MARGIN = 0.6  # … nor further right than this past the last column
FOLLOW_MARGIN = 1.6  # columns kept between the focus step and the edge of the view


def lerp(a: float, b: float, p: float) -> float:
    return a + (b - a) * p


def columns_x(steps: np.ndarray, focus: float, progress: float) -> np.ndarray:
    """Drawn x of each column (unrolled at progress 1, all on ``focus`` at 0)."""
    return focus + progress * (np.asarray(steps, dtype=float) - focus)  # (n,)


def extra_height(layers: int) -> float:
    """How much taller than one layer's rows a stack of ``layers`` is."""
    return (layers - 1) * LAYER_GAP


def row_y(kind: str, layer: int = 0, layers: int = 1) -> float:
    """Height of the row of ``kind``: h of ``layer``; y above the top of ``layers``."""
    if kind == "h":
        return layer * LAYER_GAP
    return ROW_Y[kind] + (extra_height(layers) if kind == "y" else 0.0)


def middle_y(layers: int) -> float:
    """The height the camera centres on: halfway between the x and y rows."""
    return extra_height(layers) / 2


def h_centre(cx: float, layer: int, direction: int = 0, directions: int = 1) -> tuple[float, float]:
    """Centre of the h box of ``layer``'s ``direction`` (0 forward, 1 backward) in column cx."""
    y = row_y("h", layer)
    if directions == 1:
        return (cx, y)
    sign = 1.0 if direction else -1.0
    return (cx + sign * BIDI_DX, y + sign * BIDI_DY)


def node_rect(
    kind: str, cx: float, layer: int = 0, layers: int = 1, direction: int = 0, directions: int = 1
) -> tuple[float, float, float, float]:
    """(x0, y0, width, height) of the box of a node of row ``kind`` in column ``cx``."""
    if kind == "h" and directions == 2:
        x, y = h_centre(cx, layer, direction, directions)
        return (x - NODE_WIDTH / 2, y - BIDI_HEIGHT / 2, NODE_WIDTH, BIDI_HEIGHT)
    h = NODE_HEIGHT[kind]
    return (cx - NODE_WIDTH / 2, row_y(kind, layer, layers) - h / 2, NODE_WIDTH, h)


Rect = tuple[float, float, float, float]


def up_between(lower: Rect, upper: Rect) -> tuple[float, float, float, float]:
    """From the top centre of box ``lower`` to the bottom centre of box ``upper``."""
    return (lower[0] + lower[2] / 2, lower[1] + lower[3], upper[0] + upper[2] / 2, upper[1])


def across_between(source: Rect, target: Rect) -> tuple[float, float, float, float]:
    """From the side of box ``source`` facing box ``target`` (in the same row) to target's
    near side, at source's height: left to right forward, right to left backward."""
    y = source[1] + source[3] / 2
    if target[0] > source[0]:
        return (source[0] + source[2], y, target[0], y)
    return (source[0], y, target[0] + target[2], y)


def up_segment(cx: float, layer: int) -> tuple[float, float, float, float]:
    """h_t of ``layer`` → h_t of the layer above: from the top of one box to the next."""
    half = NODE_HEIGHT["h"] / 2
    return (cx, row_y("h", layer) + half, cx, row_y("h", layer + 1) - half)


def xh_segment(cx: float) -> tuple[float, float, float, float]:
    """x_t → h_t: from the top of the x box to the bottom of the h box."""
    return (cx, ROW_Y["x"] + NODE_HEIGHT["x"] / 2, cx, ROW_Y["h"] - NODE_HEIGHT["h"] / 2)


def hy_segment(cx: float, layers: int = 1) -> tuple[float, float, float, float]:
    """h_t → y_t: from the top of the top layer's h box to the bottom of the y box."""
    top = row_y("h", layers - 1) + NODE_HEIGHT["h"] / 2
    return (cx, top, cx, row_y("y", layers=layers) - NODE_HEIGHT["y"] / 2)


def hh_segment(cx_prev: float, cx: float, layer: int = 0) -> tuple[float, float, float, float]:
    """h_{t−1} → h_t: from the right side of one h box to the left side of the next."""
    y = row_y("h", layer)
    return (cx_prev + NODE_WIDTH / 2, y, cx - NODE_WIDTH / 2, y)


def loop_centre(cx: float, layer: int = 0) -> tuple[float, float]:
    return (cx + NODE_WIDTH / 2 + LOOP_OFFSET, row_y("h", layer))


def loop_points(cx: float, n: int = 48, layer: int = 0) -> np.ndarray:
    """The folded self-loop h → h: an arc on the right of the h box, out at the top, in below."""
    ox, oy = loop_centre(cx, layer)
    # The arc ends LOOP_GAP right of the box, where cos θ = −(offset − gap) / radius, so its
    # arrowhead is not hidden under the box.
    start = math.acos(-(LOOP_OFFSET - LOOP_GAP) / LOOP_RADIUS)
    theta = np.linspace(start, -start, n)  # (n,) clockwise: out at the top, back at the bottom
    return np.column_stack([ox + LOOP_RADIUS * np.cos(theta), oy + LOOP_RADIUS * np.sin(theta)])


def window(centre: float, last: int, columns: int) -> tuple[int, int]:
    """The columns [lo, hi] to draw: ``columns`` of them around ``centre``, inside 0..last."""
    columns = max(1, min(columns, MAX_COLUMNS))
    lo = round(centre) - columns // 2
    lo = max(0, min(lo, last - columns + 1))
    return lo, min(last, lo + columns - 1)


def legible_share(layers: int) -> float:
    """How much height a stack of ``layers`` needs against one layer, for boxes of the same
    size: its rows' span with their labels over one layer's."""
    return (Y_SPAN + extra_height(layers)) / Y_SPAN


def unrolled_scale(
    height_px: float, label_px: float, layers: int = 1, width_px: float | None = None
) -> float:
    """Pixels per data unit when unrolled: the default zoom, smaller if the rows do not fit.

    The labels above the y row and below the x row keep their size in pixels
    (``label_px`` each, with their gap), so they are kept out of the rows' room: a short
    view shrinks the boxes, never cuts the labels. A narrow view (``width_px``) shows at
    least MIN_SPAN steps while its boxes stay LEGIBLE_SCALE or larger: a tall, narrow graph
    (a stack beside other panels) showed two steps of the unrolling."""
    rows = ROWS_SPAN + extra_height(layers)
    scale = min(PX_PER_COLUMN, (height_px - 2 * label_px) / rows)
    if width_px is not None:
        scale = min(scale, max(width_px / MIN_SPAN, LEGIBLE_SCALE))
    return max(MIN_SCALE, scale)


def folded_scale(width_px: float, height_px: float, label_px: float, layers: int = 1) -> float:
    """Pixels per unit of the folded cell(s), the x_t and y_t labels (``label_px``) kept whole."""
    extra = extra_height(layers)
    rows = (height_px - 2 * label_px) / (ROWS_SPAN + extra)
    return max(MIN_SCALE, min(width_px / FOLDED_X_SPAN, height_px / (Y_SPAN + extra), rows))


def unrolled_centre(
    previous: float,
    focus: float,
    last: int,
    span: float,
    left: float = LEFT_EDGE,
    right: float = RIGHT_MARGIN,
) -> float:
    """Follow the focus step like a cursor: the camera moves only when the step gets within
    ``FOLLOW_MARGIN`` columns of an edge, and never shows more than ``left`` units before h_0
    (room for its label) nor ``right`` past the last column.
    """
    half = span / 2
    margin = min(FOLLOW_MARGIN, span * 0.25)
    centre = previous
    if focus > previous + half - margin:
        centre = focus - half + margin
    elif focus < previous - half + margin:
        centre = focus + half - margin
    lo, hi = left + half, last + right - half
    if lo >= hi:
        return (left + last + right) / 2
    return min(max(centre, lo), hi)


def folded_centre(focus: float) -> float:
    """The folded cell is centred with its self-loop, which sticks out to the right."""
    return focus + (LOOP_OFFSET + LOOP_RADIUS) / 2


def camera(
    progress: float,
    folded: tuple[float, float],
    unrolled: tuple[float, float],
    width_px: float,
    height_px: float,
    mid_y: float = 0.0,
) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) with equal scale on both axes, between (centre, px per unit) pairs,
    centred vertically on ``mid_y``.

    The scale is interpolated geometrically so the zoom feels uniform during a transition.
    """
    centre = lerp(folded[0], unrolled[0], progress)
    scale = math.exp(lerp(math.log(folded[1]), math.log(unrolled[1]), progress))
    half_w, half_h = width_px / scale / 2, height_px / scale / 2
    return (centre - half_w, centre + half_w, mid_y - half_h, mid_y + half_h)


def label_stride(px_per_column: float, min_px: float) -> int:
    """Label every k-th step (k in 1, 2, 5, 10, 20, 50, …) so labels are ≥ min_px apart."""
    k = 1
    while k * px_per_column < min_px:
        k = k * 5 // 2 if str(k)[0] == "2" else k * 2
    return k


def segment_distance(px: float, py: float, segments: np.ndarray) -> np.ndarray:
    """Distance from (px, py) to each segment (n, 4) of (x0, y0, x1, y1)."""
    if segments.size == 0:
        return np.zeros(0)
    a, b = segments[:, :2], segments[:, 2:]  # (n, 2) each
    d = b - a  # (n, 2)
    length2 = np.maximum(np.einsum("ij,ij->i", d, d), 1e-12)  # (n,)
    p = np.array([px, py])
    u = np.clip(np.einsum("ij,ij->i", p - a, d) / length2, 0.0, 1.0)  # (n,)
    closest = a + u[:, None] * d  # (n, 2)
    return np.hypot(*(closest - p).T)  # (n,)
