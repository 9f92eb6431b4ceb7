"""Plots in the shared look: styled axes, round tick values, the diverging colormap,
titles, the selected-step marker and hints.

Axes and titles are styled through ``appearance.keep``, so they follow every change of theme
and scale; their colours are the current theme's (``colors()``), read when they are styled.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, QSize, QSizeF, Qt
from PyQt6.QtGui import QFont, QFontMetricsF, QTextOption
from PyQt6.QtWidgets import QGraphicsItem

from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.sizes import HINT_PT, LABEL_PT, TITLE_PT, font, line_width, pen, pt

TICK_SPACING_PX = 22  # a 13 pt tick label needs about this much room along its axis

# Levels cap here: pyqtgraph's axes compute high − low, which must not overflow to inf.
LEVEL_MAX = 1e307


# A curve's values are drawn within ±PLOT_MAX: a range wider than 2e300 cannot be computed
# (1e308 − (−1e308) is inf, and pyqtgraph refuses it). Values beyond are drawn at the edge,
# and the plot says so (CLAMPED_NOTE).
PLOT_MAX = 1e300
CLAMPED_NOTE = "<br>values beyond ±10³⁰⁰ drawn at the edge"  # a line of its own: never cut


def clamp_to_plot(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """``values`` within ±PLOT_MAX (NaN stays NaN), and whether any finite value was beyond."""
    with np.errstate(invalid="ignore"):
        beyond = bool(np.any(np.abs(values[np.isfinite(values)]) > PLOT_MAX))
    if not beyond:
        return values, False
    return np.clip(values, -PLOT_MAX, PLOT_MAX), True


def diverging_colormap() -> pg.ColorMap:
    """Blue (negative) – white (0) – red (positive); centred on 0 when levels are symmetric."""
    stops = [0.0, 0.25, 0.5, 0.75, 1.0]
    rgb = [
        (5, 48, 97),
        (67, 147, 195),
        (247, 247, 247),
        (214, 96, 77),
        (103, 0, 31),
    ]
    return pg.ColorMap(stops, rgb, name="rnnviz-diverging")


def nice_ceiling(value: float) -> float:
    """The next of 1, 2, 5 × 10^k at or above ``value`` (1 for 0 or NaN; at most LEVEL_MAX).

    Levels rounded this way change only now and then as a trace grows, so colours do not
    flicker from frame to frame, and the colour bar reads in round numbers.
    """
    if math.isnan(value) or value <= 0:
        return 1.0
    if math.isinf(value):
        return LEVEL_MAX
    exponent = math.floor(math.log10(value))
    mantissa = value / 10.0**exponent
    step = next((s for s in (1.0, 2.0, 5.0) if mantissa <= s * (1 + 1e-12)), 10.0)
    return min(step * 10.0**exponent, LEVEL_MAX)


def decade_levels(logs: np.ndarray, floor: float) -> tuple[float, float]:
    """Whole decades around the finite log₁₀ values a decade above ``floor`` (the log of the
    floor a vanished value is clamped to: counted in, it would squeeze every other colour)."""
    shown = logs[np.isfinite(logs) & (logs > floor + 1)]
    if shown.size == 0:
        return (floor, floor + 1)
    low, high = math.floor(float(shown.min())), math.ceil(float(shown.max()))
    return (float(low), float(high if high > low else low + 1))


def symmetric_levels(values: np.ndarray) -> tuple[float, float]:
    """(−L, L) with L the nice ceiling of the largest finite |value| (±1 for no data)."""
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    level = nice_ceiling(top) if top > 0 else 1.0
    return (-level, level)


def label_every(count: int, pixels: float, spacing: float | None = None) -> int:
    """Label every k-th of ``count`` evenly spaced rows (k = 1, 2, 5, 10, 20 …) so that on an
    axis ``pixels`` long the labels stay at least ``spacing`` apart (``tick_spacing()``
    unless given) and do not overlap."""
    spacing = tick_spacing() if spacing is None else spacing
    if count <= 1 or pixels <= 0:
        return 1
    per_row = pixels / count
    return 1 if per_row >= spacing else int(nice_ceiling(spacing / per_row))


def count_ticks(count: int, pixels: float) -> list[tuple[float, str]]:
    """Labels for rows or steps 1..count on an axis ``pixels`` long: whole numbers only,
    1 and the multiples of a round k (1, 2, 5, 10 …) and the last, each at least a label's
    room from the next ("1, 4, 6, 8" for 8 units in a short plot, never "1, 6")."""
    every = label_every(count, pixels)
    room = 0.75 * every  # rows between two labels: 4 rows of 5 still hold a label's height
    shown: list[int] = []
    for v in sorted({1, *range(every, count + 1, every), count}):
        if shown and v - shown[-1] < room:
            if v != count or shown[-1] == 1:
                continue  # 2 beside 1 (every 2): the round number gives way to the start
            shown.pop()  # the last row replaces a round number that crowds it
        shown.append(v)
    return [(float(v), str(v)) for v in shown]


def step_ticks(count: int, pixels: float, label_px: float) -> list[list[tuple[float, str]]]:
    """Ticks for steps 1..count across an axis ``pixels`` wide: labels on the multiples of a
    round k (1, 2, 5, 10 …) at least ``label_px`` apart (the widest label and a gap), and
    unlabelled ticks between them; where not even two fit, one label on a round step three
    quarters of the way or less. pyqtgraph's own spacing ran "10", "20", "30" together in a
    heatmap 100 px wide ("102030")."""
    every = label_every(count, pixels, label_px)
    if 2 * every > count:
        # No two labels fit (20 or 40 steps in 75 px, the hidden-state heatmap at
        # 1024×768), and one on the last step overhangs the axis's end, where pyqtgraph
        # drops it: one label, on a round step at most three quarters of the way.
        every = _round_at_most(0.75 * count)
        major = [(float(every), str(every))]
    else:
        major = [(float(v), str(v)) for v in range(every, count + 1, every)]
    sub = every // 5 if every % 5 == 0 else every // 2
    minor = [(float(v), "") for v in range(sub, count + 1, sub) if v % every] if sub else []
    return [major, minor]


def set_step_ticks(axis: pg.AxisItem, count: int, pixels: float) -> None:
    """``axis`` (along ``pixels``) labels steps 1..count as ``step_ticks`` spaces them for
    its type: the widest label and an em apart."""
    metrics = QFontMetricsF(axis.style["tickFont"] or QFont())
    label_px = metrics.horizontalAdvance(str(count)) + metrics.height()
    axis.setTicks(step_ticks(count, pixels, label_px))


def _round_at_most(value: float) -> int:
    """The largest of 1, 2, 5 × 10^k at or below ``value`` (1 below 1)."""
    if value < 1:
        return 1
    exponent = math.floor(math.log10(value))
    mantissa = value / 10.0**exponent
    return max(s for s in (1, 2, 5) if s <= mantissa * (1 + 1e-12)) * 10**exponent


def level_ticks(low: float, high: float, pixels: float) -> list[list[tuple[float, str]]]:
    """Ticks for a colour bar ``pixels`` long showing low..high: the ends and 0, and the
    halves between them when there is room (an axis's own ticks crowd a short bar)."""
    room = tick_spacing()
    count = 5 if pixels >= 4 * room else 3 if pixels >= 2 * room else 2
    values = np.linspace(low, high, count)  # (count,)
    return [[(float(v), level_label(v)) for v in values]]


def decade_ticks(low: float, high: float, pixels: float) -> list[list[tuple[float, str]]]:
    """Ticks for a colour bar ``pixels`` long showing whole decades low..high (log₁₀
    values): the decades that are multiples of a round k (1, 2, 5 …) keeping the labels
    ``tick_spacing()`` apart (the two ends where no two multiples fit), and unlabelled
    ticks on the others. pyqtgraph's own ran "−1−2−3−4" together on the depth map's bar,
    two rows high."""
    first, last = math.ceil(low), math.floor(high)
    if last < first:
        return [[]]
    every = label_every(last - first + 1, pixels)
    major = [(float(v), level_label(v)) for v in range(first, last + 1) if v % every == 0]
    if len(major) < 2:  # the ends, when they are far enough apart; else the top one
        ends = (first, last) if last > first and pixels >= tick_spacing() else (last,)
        major = [(float(v), level_label(v)) for v in ends]
    shown = {v for v, _ in major}
    minor = [(float(v), "") for v in range(first, last + 1) if v not in shown]
    return [major, minor]


def level_label(v: float) -> str:
    """A colour bar's number, short enough for the bar's axis: "−2e3", not "-2e+03" (a
    label wider than the axis is not drawn at all)."""
    text = re.sub(r"e\+?(-?)0*(\d)", r"e\1\2", f"{v:.3g}")
    return text.replace("-", "−")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(k: int) -> str:
    """1, 10, 0.01 … for small exponents, else 10⁻¹²⁰ (tick strings are plain text)."""
    if -3 <= k <= 3:
        return f"{10.0**k:g}"
    return "10" + str(k).translate(_SUPERSCRIPT)


def log_ticks(low: float, high: float, max_labels: int = 8) -> list[list[tuple[float, str]]]:
    """Ticks for a log axis showing log10 values low..high, for ``AxisItem.setTicks``.

    pyqtgraph's own log ticks crowd minor labels and add an SI scale ("x0.001") to the
    axis label; these are whole decades (every k-th for wide ranges) plus 2 and 5 when the
    range is under three decades. Wide ranges label every 2nd, 5th, 10th … decade.
    """
    first, last = math.ceil(low), math.floor(high)
    decades = list(range(first, last + 1))
    every = int(nice_ceiling(len(decades) / max_labels)) if len(decades) > max_labels else 1
    major = [(float(k), power_of_ten(k)) for k in decades if k % every == 0]
    minor: list[tuple[float, str]] = []
    if high - low < 3:
        for k in range(math.floor(low), last + 1):
            for m in (2, 5):
                v = k + math.log10(m)
                if low <= v <= high:
                    minor.append((v, f"{m * 10.0**k:g}" if -3 <= k <= 3 else ""))
    return [major, minor]


def tick_spacing() -> float:
    """Room a tick label needs along its axis at the current type size, in pixels."""
    return TICK_SPACING_PX * appearance.scale


def _label_style() -> dict[str, str]:
    return {"font-size": f"{pt(LABEL_PT):g}pt", "color": colors().INK}


def plot_axes() -> dict[str, pg.AxisItem]:
    """The four axes of every plot here: make the plot with them (``axisItems=plot_axes()``),
    not with pyqtgraph's, which would be built only to be replaced, and whose hidden top and
    right axes parse their empty label's HTML again on every range change (~1 ms a plot
    before the window's first paint). ``style_plot`` hides the top and right ones."""
    return {
        "left": _PixelAxis("left"),
        # Every bottom axis here counts something (steps, epochs, directions): whole ticks.
        "bottom": _PixelAxis("bottom", whole=True),
        "top": _LabelOnceAxis("top"),
        "right": _LabelOnceAxis("right"),
    }


def style_plot(plot: pg.PlotItem, x_label: str, y_label: str) -> None:
    """Axes in ink with large labels and tick numbers on the theme's paper; kept so. The
    plot was made with ``axisItems=plot_axes()``."""

    def restyle(p: pg.PlotItem) -> None:
        for side in ("left", "bottom"):
            axis = p.getAxis(side)
            axis.setPen(pg.mkPen(colors().INK, width=line_width(1.5)))
            axis.setTextPen(pg.mkPen(colors().INK))
            axis.setTickFont(font(LABEL_PT))
        p.setLabel("bottom", x_label, **_label_style())
        p.setLabel("left", y_label, **_label_style())
        scene = p.scene()
        for view in scene.views() if scene is not None else ():
            if isinstance(view, pg.GraphicsView):  # not an exporter's own view of the scene
                view.setBackground(colors().PAPER)

    assert isinstance(plot.getAxis("left"), _PixelAxis), "made with axisItems=plot_axes()"
    for side in ("top", "right"):  # pyqtgraph shows every axis a plot is made with
        plot.hideAxis(side)
    appearance.keep(plot, "plot", restyle)
    plot.hideButtons()
    # No right-click menus. Make the plots with enableMenu=False as well: otherwise
    # pyqtgraph builds each view's menu (~4 ms a plot, before the first paint) for this
    # line to throw it away.
    plot.setMenuEnabled(False)


class _LabelOnceAxis(pg.AxisItem):
    """An axis that lays its label's HTML out only when the label changed, and only while
    it is shown (most axes here have none: the hidden top and right ones, a colour bar's
    frame)."""

    def __init__(self, orientation: str) -> None:
        self._label_html: str | None = None  # what the label shows (see _updateLabel)
        self._built = False  # pyqtgraph's __init__ lays the label out, then hides it
        super().__init__(orientation)
        self._built = True

    def _updateLabel(self) -> None:
        # pyqtgraph's, without parsing the label's HTML again when it is the same or not
        # shown: it does so on every range change and pen (~350 times, ~15 ms, before the
        # window's first paint). Showing the label (showLabel, setLabel) comes back here.
        html = self.labelString()
        if html != self._label_html and self._built and self.label.isVisible():
            self._label_html = html
            self.label.setHtml(html)
        self._adjustSize()
        self.picture = None
        self.update()


class _PixelAxis(_LabelOnceAxis):
    """An axis kept as a picture of its pixels while the curves in front of it move:
    replaying its ticks, numbers and grid lines cost ~0.06 ms an axis a frame. An SVG gets
    the vectors (snapshots turns item caches off while drawing one).

    A ``whole`` axis counts things: its automatic ticks are whole numbers (no 1.5, 2.5 on a
    5-step sequence), however wide it is."""

    def __init__(self, orientation: str, whole: bool = False) -> None:
        self._reach = 1.0  # set by setPen (which the base class's __init__ calls)
        self._whole = whole
        super().__init__(orientation)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        levels = super().tickSpacing(minVal, maxVal, size)
        if not self._whole:
            return levels
        kept = [(s, o) for s, o in levels if s >= 1 and float(s).is_integer()]
        return kept or [(1.0, 0.0)]

    def setPen(self, *args: object, **kwargs: object) -> None:
        super().setPen(*args, **kwargs)
        # The picture holds only the rectangle's pixels: the axis line's square caps, which
        # meet the other axis's line in the corner, stick out of pyqtgraph's by half a pen.
        self.prepareGeometryChange()
        self._reach = self.pen().widthF()

    def boundingRect(self) -> QRectF:
        reach = self._reach
        return super().boundingRect().adjusted(-reach, -reach, reach, reach)


class StackedPlots(pg.GraphicsLayoutWidget):
    """Two plots one above the other whose data areas keep the least heights their view
    boxes are given: the widget's minimum is what its plots need with their titles and
    axes at the current type size. Squeezed below it (the gating lesson's comparison under
    its caption on a 1024×768 projector), the plots were titles and axes with no curves."""

    def minimumSizeHint(self) -> QSize:
        least = self.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize)
        height = math.ceil(least.height()) + 2 * self.frameWidth()
        return QSize(super().minimumSizeHint().width(), height)


def stacked_plots(
    top_share: int, bottom_share: int, least_px: tuple[int, int] = (0, 0)
) -> tuple[StackedPlots, pg.PlotItem, pg.PlotItem]:
    """Two plots one above the other on the theme's background, sharing the height in
    the ratio top_share : bottom_share, their data areas at least ``least_px`` (top,
    bottom) tall: (their widget, top plot, bottom plot)."""
    widget = StackedPlots()
    widget.setBackground(colors().BACKGROUND)
    top = widget.addPlot(row=0, col=0, enableMenu=False, axisItems=plot_axes())
    bottom = widget.addPlot(row=1, col=0, enableMenu=False, axisItems=plot_axes())
    for plot, least in zip((top, bottom), least_px, strict=True):
        plot.getViewBox().setMinimumHeight(least)
    widget.ci.layout.setRowStretchFactor(0, top_share)
    widget.ci.layout.setRowStretchFactor(1, bottom_share)
    return widget, top, bottom


class ColorBar(pg.ColorBarItem):
    """A colour bar showing ``values`` in ``color_map``: a picture of the levels, neither
    interactive nor with a colour-map menu. Its four axes (its frame, and its numbers on the
    right) lay their labels out only when they change: pyqtgraph's parse their HTML again on
    every range change (~90 times for two bars before the window's first paint)."""

    def __init__(self, values: tuple[float, float], color_map: pg.ColorMap) -> None:
        super().__init__(values=values, colorMap=color_map, interactive=False, colorMapMenu=False)
        self._labels: tuple[str, ...] = ()  # the quantity's names, longest first
        self._label: str | None = None  # the one shown

    def set_labels(self, labels: tuple[str, ...]) -> None:
        """Name the quantity along the bar (rich text): the longest of ``labels`` that fits
        the bar's length, else the last. A short bar (the depth map's, two rows high) cut
        "log₁₀ ‖∂L/∂h_t‖" to "log₁₀ ‖∂L/∂"."""
        self._labels, self._label = labels, None  # measured again (a new type size too)
        self._fit_label()

    def resizeEvent(self, ev: object) -> None:
        super().resizeEvent(ev)
        self._fit_label()

    def label_room(self) -> float:
        """The length (px) along the bar that its name may take."""
        return self.getAxis("left").geometry().height()

    def _fit_label(self) -> None:
        if not self._labels:
            return
        axis = self.getAxis("left")
        room = self.label_room()  # 0 before the first layout: the longest, for now
        for text in self._labels:
            if text != self._label:
                self._label = text
                axis.setLabel(text, **_label_style())
            if room <= 0 or axis.label.boundingRect().width() <= room:
                break  # the last name stays, fitting or not
        axis.resizeEvent()  # pyqtgraph centres the label along the axis only there

    def setAxisItems(self, axisItems: dict[str, pg.AxisItem] | None = None) -> None:
        # PlotItem's __init__ asks here for the axes it has none of yet; ColorBarItem then
        # shows all four and sets them up.
        if axisItems is None and not self.axes:
            axisItems = {side: _LabelOnceAxis(side) for side in ("left", "bottom", "top", "right")}
        super().setAxisItems(axisItems)


def style_color_bar(bar: ColorBar, label: str, *shorter: str) -> None:
    """A frame in ink, large tick numbers on the right and the quantity's name on the left
    (``label``, or the longest of the ``shorter`` names that fits a short bar); kept so."""

    def restyle(b: pg.ColorBarItem) -> None:
        for side in ("left", "right", "top", "bottom"):
            b.getAxis(side).setPen(pg.mkPen(colors().INK, width=line_width(1)))
        values = b.getAxis("right")
        values.setTextPen(pg.mkPen(colors().INK))
        values.setTickFont(font(LABEL_PT))
        values.setWidth(round(70 * appearance.scale))  # room for "−0.5" and "1e+10"
        b.set_labels((label, *shorter))

    appearance.keep(bar, "color bar", restyle)


def plot_title(plot: pg.PlotItem, text: str, points: int = TITLE_PT) -> None:
    """The plot's title in bold ink (kept so; the latest text is the one kept)."""
    appearance.keep(
        plot,
        "title",
        lambda p: p.setTitle(text, size=f"{pt(points):g}pt", color=colors().INK, bold=True),
    )
    # Kept as a picture of its pixels: a title between two plots is inside the rectangle
    # that a moving curve repaints, and laying rich text out again costs ~0.05 ms a frame.
    plot.titleLabel.item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def selection_marker() -> pg.InfiniteLine:
    """The vertical line on the selected step, the same in every time plot."""
    line = pg.InfiniteLine(angle=90, movable=False)
    appearance.keep(line, "pen", lambda m: m.setPen(pen(colors().SELECTION, width=3)))
    return line


HINT_Z = 1000  # above everything a plot draws


def legend_entry(color: str, symbol: str, text: str, bold: bool = False) -> str:
    """A legend's entry as rich text: the curve's ``symbol`` in its colour, then ``text``,
    joined by a no-break space, so that a legend that wraps never leaves a symbol at the
    end of one line and its label's first word on the next (the training tab's "gradient
    norm per epoch ━━ / before clipping ╸╸╸ / after" read as wrongly paired)."""
    shown = f"<b>{symbol}</b>" if bold else symbol
    return f'<span style="color:{color}">{shown}</span>&nbsp;{text}'


class _Hint(pg.TextItem):
    """A text item whose lines are centred on each other (a hint may have two), wrapped to
    the width of its plot: never over the axes or cut. Where even wrapped it does not fit,
    it is not shown (a shrunk hint could not be read)."""

    MARGIN = 8  # px kept free on each side of the plot's area

    def __init__(self, text: str, centred: bool = False) -> None:
        super().__init__("", anchor=(0.5, 0.5))
        self._centred = centred
        option = QTextOption(Qt.AlignmentFlag.AlignHCenter)
        self.textItem.document().setDefaultTextOption(option)
        self.setPlainText(text)

    def setPlainText(self, text: str) -> None:
        if text != self.toPlainText():  # panels set their hint every frame: repaint on change
            super().setPlainText(text)
            self._fit()

    def setFont(self, *args: object) -> None:
        super().setFont(*args)
        self._fit()

    def viewChanged(self, view: object, old: object) -> None:
        super().viewChanged(view, old)
        if isinstance(old, pg.ViewBox):
            old.sigResized.disconnect(self._fit)
        if isinstance(view, pg.ViewBox):
            view.sigResized.connect(self._fit)

    def viewTransformChanged(self) -> None:
        super().viewTransformChanged()
        self._fit()  # the plot's range changed

    def _fit(self) -> None:
        view = self.getViewBox()
        if self._centred and isinstance(view, pg.ViewBox):
            self.setPos(view.viewRect().center())  # where the range is now
        # Centring needs a width to centre in: the widest line's, or the plot's.
        document = self.textItem.document()
        self.textItem.setTextWidth(-1)
        room = self._room()
        self.setTextWidth(min(document.idealWidth(), room.width()))
        size = document.size()  # wrapped at the spaces
        fits = size.width() <= room.width() + 0.5 and size.height() <= room.height()
        self.setOpacity(1.0 if fits else 0.0)

    def _room(self) -> QSizeF:
        """The plot's area in pixels, less the margins (unbounded before it is in one)."""
        view = self.getViewBox()
        if not isinstance(view, pg.ViewBox):
            return QSizeF(1e6, 1e6)
        size = view.boundingRect().size()
        margin = 2 * self.MARGIN
        return QSizeF(max(size.width() - margin, 1.0), max(size.height() - margin, 1.0))


def hint_item(text: str, centred: bool = False) -> pg.TextItem:
    """Centred muted hint text for an empty plot: place it with ``setPos``, or ``centred``
    in the plot's range, whatever that becomes."""
    item = _Hint(text, centred)
    # Over the plot's lines, on a patch of its background: the ρ sweep's dashed ρ = 1 line
    # ran through the middle of "press Run to sweep ρ".
    item.setZValue(HINT_Z)

    def restyle(i: pg.TextItem) -> None:
        i.setColor(colors().MUTED)
        i.setFont(font(HINT_PT))
        i.fill = pg.mkBrush(colors().BACKGROUND)

    appearance.keep(item, "hint", restyle)
    return item
