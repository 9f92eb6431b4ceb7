"""The network page as a stage, not a squeeze: every panel it shows keeps a legible minimum,
and when the room cannot hold them all, panels are shown by priority (the graph, the
gradient plot, the hidden-state heatmap first; the panel a lesson's slide is about before
all of them, see focused_plans) and the rest wait on a page of their own.

A plan is a set of rows of panels, each row a splitter sharing its width by weights. The
stage takes the first plan, from the fullest to the barest, whose panels all get at least
their legible minimum at the stage's size; what that plan leaves out goes to ``more``, a
page of its own (two panels to a row, scrolling when they need more height than it has)
that the window shows as a tab while it holds anything. The barest plan, the graph alone,
is the page's minimum: the window never has to grow past the screen to hold the panels.

Legible minimums are measured, not guessed: a plot's data area gets a fixed number of
pixels, plus whatever its axes, titles and colour bar take at the current type size, plus
the height its wrapped headers need at the width the plan gives the panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QObject, QSize, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QResizeEvent
from PyQt6.QtWidgets import QBoxLayout, QLayout, QLayoutItem, QSplitter, QVBoxLayout, QWidget

from rnnviz.views.binding import listen
from rnnviz.views.look.appearance import appearance
from rnnviz.views.look.widget_style import VerticalScroll

GRAPH = "graph"
EQUATIONS = "equations"
STATE_HEATMAP = "hidden-state heatmap"
GRADIENT_HEATMAP = "gradient heatmap"
SEQUENCE = "sequence plot"
GRADIENTS = "gradient plot"
PANELS = (GRAPH, EQUATIONS, STATE_HEATMAP, GRADIENT_HEATMAP, SEQUENCE, GRADIENTS)

# The data area each plot keeps, in pixels at type scale 1 (its axes come on top of it).
GRAPH_PX = 150  # the graph's drawing: the x, h and y rows with whole labels (one layer)
HEATMAP_PX = 100  # a heatmap's image, and the colour bar beside it
HEATMAP_WIDTH_PX = 60  # a heatmap image's least width (a column of a few pixels a step)
GRADIENTS_PX = 135  # the gradient curves: with their axes the plot is over 180 px tall
SEQUENCE_PX = 50  # each of the input and output plots
HANDLE_PX = 6  # a splitter's handle

Row = tuple[tuple[str, int], ...]  # (panel, weight) from left to right


@dataclass(frozen=True)
class Plan:
    """Rows of panels from top to bottom, each with its share of the height; the panels of
    PANELS not in it wait in ``more``."""

    rows: tuple[tuple[int, Row], ...]  # (weight, row)

    @property
    def panels(self) -> tuple[str, ...]:
        return tuple(name for _, row in self.rows for name, _ in row)


# From the fullest to the barest: each drops or moves what matters least.
PLANS = (
    Plan(
        (
            (7, ((GRAPH, 7), (EQUATIONS, 4))),
            (4, ((STATE_HEATMAP, 1), (GRADIENT_HEATMAP, 1))),
            (8, ((SEQUENCE, 1), (GRADIENTS, 1))),
        )
    ),
    Plan(((7, ((GRAPH, 3), (STATE_HEATMAP, 2))), (8, ((SEQUENCE, 2), (GRADIENTS, 3))))),
    Plan(((7, ((GRAPH, 3), (STATE_HEATMAP, 2))), (8, ((GRADIENTS, 1),)))),
    Plan(((1, ((GRAPH, 3), (STATE_HEATMAP, 4), (GRADIENTS, 5))),)),
    Plan(((1, ((GRAPH, 2), (GRADIENTS, 3))),)),
    Plan(((7, ((GRAPH, 1),)), (8, ((GRADIENTS, 1),)))),
    Plan(((1, ((GRAPH, 1),)),)),
)


# What a lesson's slide is about (WindowState.focus) → its panel.
FOCUS_PANELS = {
    "graph": GRAPH,
    "equations": EQUATIONS,
    "heatmap": STATE_HEATMAP,
    "gradients": GRADIENTS,
}
# The panels that matter least first: a plan without a slide's panel shows it in place of
# the first of these it has. The graph is never given up.
LEAST_FIRST = (EQUATIONS, GRADIENT_HEATMAP, SEQUENCE, STATE_HEATMAP, GRADIENTS)


def focused_plans(focus: str | None) -> tuple[Plan, ...]:
    """The plans to try, fullest first, when ``focus`` (a panel, or None) must be shown:
    PLANS with ``focus`` in place of the panel that matters least in each plan without it
    (the slide "The equations panel fills in the numbers" on a 1024×768 projector showed
    no equations: no compact plan holds them), then ``focus`` alone (the depth lesson's
    slides, all about the gradients, showed its 3-layer graph alone there), then PLANS as
    they are, for a stage with no room even for that."""
    if focus is None or focus == GRAPH:
        return PLANS
    shown_first = []
    for plan in PLANS:
        if focus not in plan.panels:
            gone = next((name for name in LEAST_FIRST if name in plan.panels), None)
            if gone is None:
                continue  # the graph alone
            plan = Plan(
                tuple(
                    (weight, tuple((focus if name == gone else name, w) for name, w in row))
                    for weight, row in plan.rows
                )
            )
        if plan not in shown_first:
            shown_first.append(plan)
    shown_first.append(Plan(((1, ((focus, 1),)),)))
    return (*shown_first, *(plan for plan in PLANS if plan not in shown_first))


# ---- measuring ------------------------------------------------------------------------------
def minimum_height(widget: QWidget, width: int) -> int:
    """The least height ``widget`` shows everything in at ``width``: a word-wrapped label
    or a flow of labels counts the lines it needs there, every other part its minimum."""
    layout = widget.layout()
    own = max(widget.minimumHeight(), widget.minimumSizeHint().height())
    if widget.hasHeightForWidth() and layout is None:
        return max(own, widget.heightForWidth(width))
    if layout is None:
        return own
    return max(widget.minimumHeight(), _layout_height(layout, width))


def _layout_height(layout: QLayout, width: int) -> int:
    m = layout.contentsMargins()
    inner = width - m.left() - m.right()
    vertical = (QBoxLayout.Direction.TopToBottom, QBoxLayout.Direction.BottomToTop)
    if isinstance(layout, QBoxLayout) and layout.direction() in vertical:
        items = [layout.itemAt(i) for i in range(layout.count())]
        heights = [_item_height(item, inner) for item in items if item and not item.isEmpty()]
        gaps = max(layout.spacing(), 0) * max(len(heights) - 1, 0)
        return m.top() + m.bottom() + sum(heights) + gaps
    if layout.hasHeightForWidth():  # a row or a flow: its height laid out at this width
        return max(layout.heightForWidth(width), layout.minimumSize().height())
    return layout.minimumSize().height()


def _item_height(item: QLayoutItem, width: int) -> int:
    widget, layout = item.widget(), item.layout()
    if widget is not None:
        return minimum_height(widget, width)
    if layout is not None:
        return _layout_height(layout, width)
    return item.minimumSize().height()


def plot_chrome(view: pg.GraphicsView, direction: Qt.Orientation = Qt.Orientation.Vertical) -> int:
    """Pixels a plot widget spends on its axes, titles, colour bar and margins, in height
    (or width): its scene's layout at its minimum, whose data areas may shrink to nothing."""
    item = view.getPlotItem() if isinstance(view, pg.PlotWidget) else view.centralWidget
    least = item.effectiveSizeHint(Qt.SizeHint.MinimumSize)
    frame = 2 * view.frameWidth()
    if direction == Qt.Orientation.Horizontal:
        return math.ceil(least.width()) + frame
    return math.ceil(least.height()) + frame


# ---- the splitters ------------------------------------------------------------------------
class Splitter(QSplitter):
    """A splitter that shares its room in fixed proportions until the user drags a handle.

    QSplitter alone sizes panels by their size hints, which leaves a panel without one (or
    a busy one) far too small or large; proportions also survive hiding the side panels.
    """

    def __init__(self, orientation: Qt.Orientation, panels: tuple[tuple[QWidget, int], ...]):
        super().__init__(orientation)
        self.setChildrenCollapsible(False)
        self.setHandleWidth(HANDLE_PX)
        self._weights = [weight for _, weight in panels]
        for widget, _ in panels:
            self.addWidget(widget)
            widget.show()  # a widget moved here from another splitter was hidden by the move
        self._dragged = False
        self.splitterMoved.connect(self._on_dragged)

    def _on_dragged(self) -> None:
        self._dragged = True

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        if not self._dragged:
            horizontal = self.orientation() == Qt.Orientation.Horizontal
            room = self.width() if horizontal else self.height()
            self.setSizes(share(room, self._weights))


def share(room: int, weights: list[int]) -> list[int]:
    """``room`` pixels between handles, in proportion to ``weights``."""
    room -= HANDLE_PX * (len(weights) - 1)
    total = sum(weights)
    return [room * w // total for w in weights]


# ---- the stage ------------------------------------------------------------------------------
class Stage(QWidget):
    """The network page: the plan's rows, each panel at its legible minimum or more.

    Public: ``plan``, ``shown`` and ``hidden`` (panel names on the stage and on ``more``),
    ``more`` (the page of the hidden panels, two to a row, scrolling when they need more
    height than it has), ``panels`` (name → widget), ``rows`` and ``more_rows`` (the row
    splitters, top to bottom), ``legible_heights()``, ``arrange()``; ``more_changed`` is
    emitted when what ``more`` holds changes.
    """

    more_changed = pyqtSignal()

    def __init__(self, panels: dict[str, QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panels = panels
        self._more_column = QWidget()
        self.more = VerticalScroll(self._more_column)
        self.plan: Plan | None = None
        self._widths: dict[str, int] = {}  # least widths measured, by panel
        self._heights: dict[str, dict[int, int]] = {}  # least heights, by panel and width
        self.rows: list[Splitter] = []
        self.more_rows: list[Splitter] = []
        self._more_built: Plan | None = None  # the plan more_rows were built for
        self._arranging = False
        self._focus: str | None = None  # the panel shown first (set_focus)
        for widget in (self, self._more_column):
            layout = QVBoxLayout(widget)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(HANDLE_PX)
        watcher = _NeedsWatcher(self)  # a child: it goes with the stage
        for widget in panels.values():
            widget.installEventFilter(watcher)
        # Once the panels have restyled and laid their plots out at the new type size: the
        # axes' heights are known only then.
        self._after_restyle = QTimer(self)
        self._after_restyle.setSingleShot(True)
        self._after_restyle.timeout.connect(self._on_appearance_settled)
        listen(appearance.changed, self._on_appearance_changed)
        self._apply_plan(PLANS[0])

    def set_focus(self, panel: str | None) -> None:
        """Show ``panel`` (one of PANELS) first when there is no room for every panel: the
        panel a lesson's slide is about; None for none."""
        if panel != self._focus:
            self._focus = panel
            self.arrange()

    @property
    def shown(self) -> tuple[str, ...]:
        return self.plan.panels if self.plan is not None else ()

    @property
    def hidden(self) -> tuple[str, ...]:
        return tuple(name for name in PANELS if name not in self.shown)

    @property
    def more_plan(self) -> Plan:
        """The hidden panels in the order of PANELS, two to a row where both keep their
        least width side by side, else one: paired regardless, at 1024×768 the inputs'
        title (their legend) ran past its half of the page, cut at "to com"."""
        width = self._more_width()
        rows: list[tuple[str, ...]] = []
        hidden = list(self.hidden)
        while hidden:
            pair = tuple(hidden[:2])
            halves = share(width, [1] * len(pair))
            if any(w < self.least_width(name) for name, w in zip(pair, halves, strict=True)):
                pair = pair[:1]
            rows.append(pair)
            del hidden[: len(pair)]
        return Plan(tuple((1, tuple((name, 1) for name in row)) for row in rows))

    def _more_width(self) -> int:
        """The width the page of the other panels gives them: the stage's, less its bar."""
        bar = self.more.verticalScrollBar()
        return self.width() - (bar.sizeHint().width() if bar is not None else 0)

    # ---- sizes ------------------------------------------------------------------------
    def _views(self) -> dict[str, pg.GraphicsView]:
        """The drawing of each panel that has one (the equations are all text)."""
        p: dict[str, Any] = self.panels
        return {
            GRAPH: p[GRAPH].graphics,
            STATE_HEATMAP: p[STATE_HEATMAP].plot,
            GRADIENT_HEATMAP: p[GRADIENT_HEATMAP].plot,
            GRADIENTS: p[GRADIENTS].plot,
            SEQUENCE: p[SEQUENCE].widget,
        }

    def legible_heights(self) -> dict[str, int]:
        """The least height of each panel's drawing at the current type size: its data
        area's pixels plus what the plot's axes, titles and colour bar take."""
        views = self._views()
        graph: Any = self.panels[GRAPH]
        return {
            GRAPH: graph.legible_height(GRAPH_PX * appearance.scale),
            STATE_HEATMAP: HEATMAP_PX + plot_chrome(views[STATE_HEATMAP]),
            GRADIENT_HEATMAP: HEATMAP_PX + plot_chrome(views[GRADIENT_HEATMAP]),
            GRADIENTS: GRADIENTS_PX + plot_chrome(views[GRADIENTS]),
            SEQUENCE: 2 * SEQUENCE_PX + plot_chrome(views[SEQUENCE]),
        }

    def least_width(self, name: str) -> int:
        """A panel's least width: its own minimum; a heatmap's image at least
        HEATMAP_WIDTH_PX wide; the inputs and outputs as wide as their titles, which are
        their legends (a narrower plot cuts them off)."""
        if name not in self._widths:
            self._widths[name] = self._measure_width(name)
        return self._widths[name]

    def least_height(self, name: str, width: int) -> int:
        """A panel's least height at ``width`` (``minimum_height``), measured once until
        the panel's needs change."""
        heights = self._heights.setdefault(name, {})
        if width not in heights:
            heights[width] = minimum_height(self.panels[name], width)
        return heights[width]

    def _forget(self, name: str | None = None) -> None:
        """What was measured of panel ``name`` (of every panel for None) is out of date."""
        for measured in (self._widths, self._heights):
            if name is None:
                measured.clear()
            else:
                measured.pop(name, None)

    def _measure_width(self, name: str) -> int:
        panel: Any = self.panels[name]
        least = panel.minimumSizeHint().width()
        if name in (STATE_HEATMAP, GRADIENT_HEATMAP):
            chrome = plot_chrome(panel.plot, Qt.Orientation.Horizontal)
            return max(least, HEATMAP_WIDTH_PX + chrome)
        if name != SEQUENCE:
            return least
        titles = max(
            plot.titleLabel.item.boundingRect().width() + plot.getAxis("left").width()
            for plot in (panel.inputs_plot, panel.outputs_plot)
        )
        margins = panel.width() - panel.widget.width()
        return max(least, math.ceil(titles) + max(margins, 0) + HANDLE_PX)

    def row_heights(self, plan: Plan, width: int) -> list[int] | None:
        """Each row's least height at ``width``, or None when a panel would get less than
        its minimum width."""
        heights = []
        for _, row in plan.rows:
            widths = share(width, [weight for _, weight in row])
            tallest = 0
            for (name, _), w in zip(row, widths, strict=True):
                if w < self.least_width(name):
                    return None
                tallest = max(tallest, self.least_height(name, w))
            heights.append(tallest)
        return heights

    def fits(self, plan: Plan, size: QSize) -> bool:
        heights = self.row_heights(plan, size.width())
        return heights is not None and total_height(heights) <= size.height()

    def minimumSizeHint(self) -> QSize:
        """The barest plan's: the graph alone."""
        bare = PLANS[-1]
        width = max(self.panels[name].minimumSizeHint().width() for name in bare.panels)
        heights = self.row_heights(bare, max(width, self.width())) or [0]
        return QSize(width, total_height(heights))

    # ---- arranging --------------------------------------------------------------------
    def _on_appearance_changed(self) -> None:
        self._forget()
        self.arrange()
        self._after_restyle.start(0)

    def _on_needs_changed(self, panel: QObject) -> None:
        """A panel laid itself out again: a header wrapped, a badge or legend appeared.

        Most of the time nothing the stage measured of it changed (a new number in a
        label of the same size, on every change of ρ): then the plan and the rows stand.
        """
        changed = [
            name
            for name, widget in self.panels.items()
            if widget is panel and not self._still_measures(name)
        ]
        for name in changed:
            self._forget(name)
        if changed or not self._legible():
            self.arrange()

    def _legible(self) -> bool:
        """Whether every plot still holds its legible height (its axes may have grown)."""
        views = self._views()
        return all(views[n].minimumHeight() == h for n, h in self.legible_heights().items())

    def _still_measures(self, name: str) -> bool:
        """Whether panel ``name`` measures as it did at every width it was measured at
        (False when it was not measured yet)."""
        heights = self._heights.get(name)
        if name not in self._widths or not heights:
            return False
        panel = self.panels[name]
        if self._measure_width(name) != self._widths[name]:
            return False
        return all(minimum_height(panel, width) == h for width, h in heights.items())

    def _on_appearance_settled(self) -> None:
        self._forget()
        self.arrange()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        self._forget()  # the splitters' margins and the plots' own widths changed too
        self.arrange()

    def arrange(self) -> None:
        """Show the fullest plan that fits the stage now, each row at least its minimum."""
        if self._arranging:
            return
        self._arranging = True
        try:
            views = self._views()
            for name, height in self.legible_heights().items():
                if views[name].minimumHeight() != height:
                    views[name].setMinimumHeight(height)
                    self._forget(name)
            size = self.size()
            plans = focused_plans(self._focus)
            plan = next((p for p in plans if self.fits(p, size)), PLANS[-1])
            if plan != self.plan:
                self._apply_plan(plan)
            _hold(self.rows, self.row_heights(plan, size.width()))
            more = self.more_plan
            if more != self._more_built:  # the page's width pairs them otherwise now
                self._build_more(more)
            _hold(self.more_rows, self.row_heights(more, self._more_width()))
        finally:
            self._arranging = False

    def _apply_plan(self, plan: Plan) -> None:
        """Build the plan's splitters around the panels (moving them out of the old ones)."""
        before = self.hidden
        self.plan = plan
        self.rows = _row_splitters(self.panels, plan)
        main = Splitter(
            Qt.Orientation.Vertical,
            tuple((row, w) for row, (w, _) in zip(self.rows, plan.rows, strict=True)),
        )
        _replace_all(self, [main])
        self._build_more(self.more_plan)
        if self.hidden != before:
            self.more_changed.emit()

    def _build_more(self, more: Plan) -> None:
        """The page of the other panels in rows as ``more`` lays them out."""
        self._more_built = more
        self.more_rows = _row_splitters(self.panels, more)
        _replace_all(self._more_column, self.more_rows)


def _row_splitters(panels: dict[str, QWidget], plan: Plan) -> list[Splitter]:
    return [
        Splitter(Qt.Orientation.Horizontal, tuple((panels[name], w) for name, w in row))
        for _, row in plan.rows
    ]


def _replace_all(page: QWidget, widgets: list[Splitter]) -> None:
    """``page``'s splitters replaced by ``widgets`` (the old ones are empty by now: their
    panels moved into the new ones)."""
    layout = page.layout()
    assert layout is not None
    while (old := layout.takeAt(0)) is not None:
        gone = old.widget()
        if gone is not None:
            gone.hide()
            gone.deleteLater()
    for widget in widgets:
        layout.addWidget(widget)


def _hold(rows: list[Splitter], heights: list[int] | None) -> None:
    """Each row at least its least height (none when the plan does not fit at all)."""
    for row, height in zip(rows, heights or [0] * len(rows), strict=True):
        if row.minimumHeight() != height:
            row.setMinimumHeight(height)


def total_height(heights: list[int]) -> int:
    return sum(heights) + HANDLE_PX * max(len(heights) - 1, 0)


class _NeedsWatcher(QObject):
    """Arranges the stage again when a panel's needs change: a header wraps onto another
    line, a badge or a legend entry appears. It reaches the stage as its Qt parent: a
    reference of its own would make a cycle for the garbage collector to tear apart."""

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        stage = self.parent()
        needs = event is not None and event.type() == QEvent.Type.LayoutRequest
        if needs and obj is not None and isinstance(stage, Stage):
            stage._on_needs_changed(obj)
        return False
