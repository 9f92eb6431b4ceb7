"""Lines of equation text with subscripts, fitted into a box and painted with a QPainter.

A rich-text QLabel re-parses HTML and lays its text out several times per change (≈ 10 ms a
frame for the equations panel); these lines are measured with cached font metrics and drawn
as glyph runs, each text shaped once (≈ 0.7 ms). Every step brings new numbers: in a font
whose digits share one advance, a line whose digits changed takes the place of the line with
every digit written 0, and a text of number characters is measured and shaped from its
characters' cached advances and glyphs (see Fonts.numbers).

Fitting picks, in order: every line at full size, every line in smaller type (never under
MIN_PT), then fewer lines, the least important first.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, TypeVar

from PyQt6.QtCore import QPointF
from PyQt6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QGlyphRun,
    QPaintEngine,
    QPainter,
    QRawFont,
    QTextLayout,
)

from rnnviz.views.look.appearance import appearance, colors

MIN_PT = 12  # the smallest type a projector shows legibly
SCALES = (1.0, 0.9, 0.8, 0.7, 0.6)  # tried in turn, each size floored at MIN_PT
NUMBER_COUNTS = (8, 6, 4, 2)  # a vector shows as many of its numbers as fit the line
PAD = 8.0  # px around the text
SUB_SCALE = 0.72  # subscript size relative to its line
INDENT_EM = 1.0  # wrapped continuation lines are indented this many em
_Placed = TypeVar("_Placed")  # what Fonts.placed keeps: a Block, or a size in points
# "W_hh", "h_12", "σ_max", "∂L/∂y_3": a letter, "_", then the subscript.
_SUBSCRIPT = re.compile(r"([A-Za-zα-ωδσ∂])_([A-Za-z0-9]+)")
# What numbers, step numbers and their neighbours are written with (vector_numbers, "t = 12",
# "layer 3 (top)", "10⁻⁵ × [1.20, …]").
NUMBER_CHARS = "0123456789.,−…×[]() =⁻⁰¹²³⁴⁵⁶⁷⁸⁹"
_NUMBER_SET = frozenset(NUMBER_CHARS)
_ZEROS = str.maketrans("123456789", "000000000")
_OTHER = f"[^{re.escape(NUMBER_CHARS)}]"
# A digit beside a letter may kern with it, each digit differently.
_DIGIT_BESIDE_OTHER = re.compile(f"{_OTHER}[0-9]|[0-9]{_OTHER}")


# The records a frame makes by the dozen are named tuples: made ~4x faster than frozen
# dataclasses, and as immutable.
class Run(NamedTuple):
    text: str
    sub: bool = False  # drawn smaller and lowered


@functools.lru_cache(maxsize=1024)  # the same equations and symbols come every frame
def runs(text: str) -> tuple[Run, ...]:
    """``a_b`` as a subscript run; everything else plain."""
    pieces = _SUBSCRIPT.split(text)  # plain, letter, subscript, plain, letter, …, plain
    out: list[Run] = []
    before = pieces[0]
    for i in range(1, len(pieces), 3):
        # tuple.__new__: every step brings new texts, and a NamedTuple's own __new__ is slow
        out.append(_new(Run, (before + pieces[i], False)))
        out.append(_new(Run, (pieces[i + 1], True)))
        before = pieces[i + 2]
    if before:
        out.append(_new(Run, (before, False)))
    return tuple(out)


_new = tuple.__new__


def plain(parts: tuple[Run, ...]) -> str:
    return "".join(r.text for r in parts)


class Numbers(NamedTuple):
    """A vector's numbers, formatted: all of them up to 8, else the first and last four."""

    head: tuple[str, ...]
    tail: tuple[str, ...]  # empty when head holds them all
    factor: str = ""  # a common power of ten: "10⁻⁵ × "

    def text(self, count: int) -> str:
        """ "[a, b, …, y, z]" with at most ``count`` numbers."""
        items = list(self.head)
        if self.tail or len(items) > count:
            half = max(1, count // 2)
            items = [*self.head[:half], "…", *(self.tail or self.head)[-half:]]
        return f"{self.factor}[{', '.join(items)}]"


class Line(NamedTuple):
    """One logical line: a text, or (with ``numbers``) a table row ``symbol = numbers``."""

    parts: tuple[Run, ...]  # the text, or the row's symbol
    points: int  # at scale 1: placed at the appearance's scale
    color: str
    bold: bool = False
    numbers: Numbers | None = None  # a row's value
    priority: int = 0  # 0: always shown; higher: left out sooner when room is short
    shrink: float = 1.0  # a text line too wide for one row may shrink to this fraction first


class Glyphs(NamedTuple):
    """A piece of text placed in the box: its font key, colour and baseline position."""

    text: str
    font: tuple[float, bool, bool]  # (points, bold, monospace)
    color: str
    x: float
    baseline: float


class Block(NamedTuple):
    """Lines placed in the box: a text line, or a table's rows."""

    glyphs: tuple[Glyphs, ...]
    texts: tuple[str, ...]  # the plain text of each line
    bottom: float  # where the next line starts


class Chars(NamedTuple):
    """NUMBER_CHARS in one font, shaped one after the other: each one's advance and glyph."""

    advances: dict[str, float]
    glyphs: dict[str, int]
    font: QRawFont
    ascent: float  # the glyphs' y in a shaped line (Fonts.shaped)


class Fonts:
    """QFonts and their metrics, made once per (points, bold, monospace), and the lines
    placed with them."""

    def __init__(self) -> None:
        self._fonts: dict[tuple[float, bool, bool], tuple[QFont, QFontMetricsF]] = {}
        self._placed: dict[Hashable, Any] = {}
        self._widths: dict[tuple[tuple[float, bool, bool], str], float] = {}
        self._shaped: dict[tuple[tuple[float, bool, bool], str], tuple[list[QGlyphRun], float]] = {}
        self._numbers: dict[tuple[float, bool, bool], Chars | None] = {}
        self._indexes: dict[tuple[tuple[float, bool, bool], str], list[list[int]]] = {}

    def font(self, key: tuple[float, bool, bool]) -> QFont:
        return self._get(key)[0]

    def metrics(self, key: tuple[float, bool, bool]) -> QFontMetricsF:
        return self._get(key)[1]

    def width(self, key: tuple[float, bool, bool], text: str) -> float:
        cached = self._widths.get((key, text))
        if cached is None:
            if len(self._widths) > 4000:  # numbers change every frame: keep the cache small
                self._widths.clear()
            chars = self.numbers(key) if _NUMBER_SET.issuperset(text) else None
            if chars is not None:
                cached = sum(map(chars.advances.__getitem__, text))
            else:
                cached = self.metrics(key).horizontalAdvance(text)
            self._widths[(key, text)] = cached
        return cached

    def numbers(self, key: tuple[float, bool, bool]) -> Chars | None:
        """NUMBER_CHARS in this font, if a text of them is shaped as they are one by one:
        in one run of the font's own glyphs, each at the sum of the advances before it (its
        digits share one advance and no two of the characters kern). Then such a text's
        width is the sum of its advances (exactly: advances are multiples of 1/64 px) and a
        line takes the same room whatever its digits; else None."""
        if key in self._numbers:
            return self._numbers[key]
        layout = QTextLayout(NUMBER_CHARS, self.font(key))
        layout.beginLayout()
        line = layout.createLine()
        layout.endLayout()
        found = layout.glyphRuns()
        chars = None
        if len(found) == 1 and len(found[0].glyphIndexes()) == len(NUMBER_CHARS):
            run = found[0]
            xs = [p.x() for p in run.positions()]
            xs.append(self.metrics(key).horizontalAdvance(NUMBER_CHARS))
            advances = {c: b - a for c, a, b in zip(NUMBER_CHARS, xs, xs[1:], strict=False)}
            glyphs = dict(zip(NUMBER_CHARS, run.glyphIndexes(), strict=True))
            pairs = "".join(a + b for a in NUMBER_CHARS for b in NUMBER_CHARS)
            digits = {advances[d] for d in "0123456789"}
            alike = line.ascent() == run.positions()[0].y() and len(digits) == 1
            if alike and self.metrics(key).horizontalAdvance(pairs) == sum(
                map(advances.__getitem__, pairs)
            ):
                chars = Chars(advances, glyphs, run.rawFont(), line.ascent())
        self._numbers[key] = chars
        return chars

    def shaped(self, key: tuple[float, bool, bool], text: str) -> tuple[list[QGlyphRun], float]:
        """``text`` shaped once in its font: its glyph runs (a fallback font for a symbol
        adds one) and its line's ascent, which puts them on the baseline. Drawing them is
        what drawText does after shaping, pixel for pixel, in half the time; most texts
        (symbols, step numbers) come again in the next frame, and numbers are shaped as
        the same numbers with 0 for each digit were (Fonts.numbers)."""
        cached = self._shaped.get((key, text))
        if cached is None:
            if len(self._shaped) > 2000:  # numbers change every frame: keep the cache small
                self._shaped.clear()
            chars = self.numbers(key) if _NUMBER_SET.issuperset(text) else None
            zeroed = text.translate(_ZEROS) if chars is not None else text
            if chars is not None and zeroed != text:
                # Shaped as the text with its digits written 0, each digit's glyph put in.
                runs, ascent = self.shaped(key, zeroed)
                run = QGlyphRun(runs[0])
                run.setGlyphIndexes([chars.glyphs[c] for c in text])
                cached = ([run], ascent)
            else:
                layout = QTextLayout(text, self.font(key))
                layout.beginLayout()
                line = layout.createLine()
                layout.endLayout()
                cached = (layout.glyphRuns(), line.ascent())
            self._shaped[(key, text)] = cached
        return cached

    def glyph_indexes(self, key: tuple[float, bool, bool], text: str) -> list[list[int]]:
        """The glyph indexes of ``text``'s shaped runs (Fonts.shaped), one list per run."""
        cached = self._indexes.get((key, text))
        if cached is None:
            if len(self._indexes) > 2000:  # numbers change every frame: keep the cache small
                self._indexes.clear()
            chars = self.numbers(key) if _NUMBER_SET.issuperset(text) else None
            if chars is not None:  # one run of the font's own glyphs
                cached = [[chars.glyphs[c] for c in text]]
            else:
                cached = [run.glyphIndexes() for run in self.shaped(key, text)[0]]
            self._indexes[(key, text)] = cached
        return cached

    def placed(self, key: Hashable, place: Callable[..., _Placed], *args: Any) -> _Placed:
        """``place(*args)``, computed once for lines placed the same way (``key``: the
        lines, the box's width, the type size, where they start …): a line whose text did
        not change keeps its place, and stepping back and forth shows the same lines
        again."""
        if key in self._placed:
            return self._placed[key]  # type: ignore[no-any-return]
        if len(self._placed) > 2000:  # every step brings new numbers: keep the cache small
            self._placed.clear()
        done = self._placed[key] = place(*args)
        return done

    def _get(self, key: tuple[float, bool, bool]) -> tuple[QFont, QFontMetricsF]:
        if key not in self._fonts:
            points, bold, mono = key
            font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if mono else QFont()
            font.setPointSizeF(points)
            font.setBold(bold)
            self._fonts[key] = (font, QFontMetricsF(font))
        return self._fonts[key]


@dataclass(frozen=True)
class Layout:
    glyphs: tuple[Glyphs, ...]
    text: str  # the plain text of what is shown, one logical line per line
    height: float
    fits: bool
    choice: int = 0  # which (lines, scale) choice it is: a hint for the next fit
    # Layouts of one shape (see _place) have glyphs of the same fonts and colours at the
    # same places, their texts alike but for their digits; None: a layout of its own.
    shape: Hashable | None = None


def fit(
    lines: tuple[Line, ...],
    width: float,
    height: float,
    fonts: Fonts,
    hint: int = 0,
    trusted: bool = False,
) -> Layout:
    """The largest type, and the most lines, that fit ``width`` × ``height`` pixels.

    The choices (all lines at each scale, then without the least important ones at each
    scale, …) are in order of preference, and fit from some choice on; ``hint`` (the last
    layout's choice) is where the search starts, so a frame usually places the lines twice,
    not ten times.
    ``trusted``: the lines are like those the hint was found for (only their numbers
    differ), so the hint is taken if it still fits: once placed, not twice.
    """
    levels = sorted({line.priority for line in lines} | {0}, reverse=True)
    choices = [(most, scale) for most in levels for scale in SCALES]

    def place(i: int) -> Layout:
        most, scale = choices[i]
        shown = tuple(line for line in lines if line.priority <= most)
        placed = _place(shown, width, scale, fonts)
        fits = placed.fits and placed.height <= height
        return Layout(placed.glyphs, placed.text, placed.height, fits, i, placed.shape)

    i = min(max(hint, 0), len(choices) - 1)
    best = place(i)
    if best.fits and trusted:
        return best
    if best.fits:
        while i > 0 and (before := place(i - 1)).fits:
            best, i = before, i - 1
        return best
    while i + 1 < len(choices):
        i += 1
        best = place(i)
        if best.fits:
            return best
    return best


def paint(painter: QPainter, layout: Layout, fonts: Fonts, bottom: float) -> None:
    """The glyphs, but none that would be cut by the ``bottom`` edge (when even the fewest
    lines in the smallest type do not fit, the last ones are left out whole)."""
    engine = painter.paintEngine()
    # An SVG keeps its words as text: it gets drawText, which it writes as <text>.
    if engine is None or engine.type() != QPaintEngine.Type.Raster:
        font_key: tuple[float, bool, bool] | None = None
        color = ""
        for g in _shown(layout.glyphs, fonts, bottom):
            if g.color != color:
                color = g.color
                painter.setPen(QColor(color))
            if g.font != font_key:
                font_key = g.font
                painter.setFont(fonts.font(font_key))
            painter.drawText(QPointF(g.x, g.baseline), g.text)
        return
    if layout.shape is None:  # shaped texts, each drawn at its place
        color = ""
        for g in _shown(layout.glyphs, fonts, bottom):
            if g.color != color:
                color = g.color
                painter.setPen(QColor(color))
            runs, ascent = fonts.shaped(g.font, g.text)
            origin = QPointF(g.x, g.baseline - ascent)
            for run in runs:
                painter.drawGlyphRun(origin, run)
        return
    # A layout of a shape seen before: its runs' fonts and positions are those of the last
    # layout of that shape, only the glyphs of its digits change; the numbers (monospace)
    # change more (a sign, a power of ten): each is drawn as shaped.
    key = ("runs", layout.shape, bottom)
    glyphs = layout.glyphs
    color = ""
    for run in fonts.placed(key, _merged, glyphs, fonts, bottom):
        if run.color != color:
            color = run.color
            painter.setPen(QColor(color))
        if run.glyphs is None:  # numbers
            g = glyphs[run.pieces[0][0]]
            shaped, ascent = fonts.shaped(g.font, g.text)
            origin = QPointF(g.x, g.baseline - ascent)
            for each in shaped:
                painter.drawGlyphRun(origin, each)
            continue
        drawn = run.glyphs
        if run.pieces:  # its texts with digits: their glyphs now
            indexes = list(run.indexes)
            for i, k, start in run.pieces:
                g = glyphs[i]
                put = fonts.glyph_indexes(g.font, g.text)[k]
                indexes[start : start + len(put)] = put
            drawn = QGlyphRun(drawn)
            drawn.setGlyphIndexes(indexes)
        painter.drawGlyphRun(_ORIGIN, drawn)


_ORIGIN = QPointF(0.0, 0.0)


class Merged(NamedTuple):
    """Glyphs of one colour and font, drawn with one call; or a row's numbers."""

    color: str
    glyphs: QGlyphRun | None  # their font, places and glyphs; None: numbers, as shaped
    indexes: tuple[int, ...]  # their glyphs (the numbers': none)
    # The texts with digits among them: (layout glyph, its shaped run, its first index);
    # the numbers': (layout glyph, 0, 0).
    pieces: tuple[tuple[int, int, int], ...]


def _merged(glyphs: tuple[Glyphs, ...], fonts: Fonts, bottom: float) -> list[Merged]:
    """The shown glyphs' shaped runs joined by colour and font, in the order of their first
    glyphs, each glyph at the place drawGlyphRun puts it (the run's origin plus its
    position). Each glyph is drawn as before, in fewer calls (~20, not ~80); only glyphs
    of different colours or fonts change order, and those do not overlap here (a space
    apart, or a letter and its subscript, drawn in their order): the tests compare the
    pixels with drawText's."""
    found: dict[Hashable, tuple[str, QGlyphRun, list[QPointF], list[int], list[Any]]] = {}
    numbers: list[Merged] = []
    for i, g in enumerate(glyphs):
        if not _shown((g,), fonts, bottom):
            continue
        if g.font[2]:  # monospace: numbers
            numbers.append(Merged(g.color, None, (), ((i, 0, 0),)))
            continue
        runs, ascent = fonts.shaped(g.font, g.text)
        x, y = g.x, g.baseline - ascent
        digits = g.text != g.text.translate(_NO_DIGITS)
        for k, run in enumerate(runs):
            raw = run.rawFont()
            key = (g.color, g.font, raw.familyName(), raw.styleName(), raw.pixelSize())
            if key not in found:
                found[key] = (g.color, run, [], [], [])
            positions, indexes, pieces = found[key][2:]
            if digits:
                pieces.append((i, k, len(indexes)))
            positions += [QPointF(x + p.x(), y + p.y()) for p in run.positions()]
            indexes += fonts.glyph_indexes(g.font, g.text)[k]
    merged: list[Merged] = []
    for color, first, positions, indexes, pieces in found.values():
        run = QGlyphRun()
        run.setRawFont(first.rawFont())
        run.setFlags(first.flags())
        run.setPositions(positions)
        run.setGlyphIndexes(indexes)
        merged.append(Merged(color, run, tuple(indexes), tuple(pieces)))
    return merged + numbers


_NO_DIGITS = str.maketrans("", "", "0123456789")


def _shown(glyphs: tuple[Glyphs, ...], fonts: Fonts, bottom: float) -> list[Glyphs]:
    """The glyphs not cut by the ``bottom`` edge."""
    descents: dict[tuple[float, bool, bool], float] = {}  # a few fonts for ~80 glyphs
    shown = []
    for g in glyphs:
        descent = descents.get(g.font)
        if descent is None:
            descent = descents[g.font] = fonts.metrics(g.font).descent()
        if g.baseline + descent <= bottom:
            shown.append(g)
    return shown


def _min_pt() -> float:
    """MIN_PT at the appearance's scale (larger type in presentation mode)."""
    return appearance.pt(MIN_PT)


def _size(points: int, scale: float) -> float:
    scaled = appearance.pt(points) * scale
    return max(_min_pt(), round(scaled * 2) / 2)  # half points: fewer fonts


def _place(lines: tuple[Line, ...], width: float, scale: float, fonts: Fonts) -> Layout:
    """The lines placed from the top: as their shape was (the lines with every digit
    written 0, see _shape) when they take the same room, so that every step brings new
    numbers, not new places for them."""
    # What a placement depends on besides its lines and where they go: the type scale and
    # the numbers' colour.
    look = (appearance.scale, colors().INK)
    blocks = _blocks(lines)
    signatures = tuple(_signature(b) for b in blocks)
    counted = [
        _numbers(b, width, scale, fonts, (sig, scale, look)) if b[0].numbers else (0, (), True)
        for b, sig in zip(blocks, signatures, strict=True)
    ]
    counts = tuple(count for count, _, _ in counted)
    # A table whose fewest numbers run past the width does not fit at this scale.
    whole = all(fitted for _, _, fitted in counted)
    key = ("lines", signatures, counts, width, scale, look)
    placed = fonts.placed(key, _place_shape, lines, counts, width, scale, fonts, look)
    if placed is None:
        return replace(_place_blocks(blocks, counts, width, scale, fonts, look), fits=whole)
    pieces: list[str] = []
    texts: list[str] = []
    for block, (_, shown, _) in zip(blocks, counted, strict=True):
        if not shown:
            pieces += _text_pieces(block[0])
            texts.append(plain(block[0].parts))
            continue
        for line, vector in zip(block, shown, strict=True):
            pieces += [*(r.text for r in line.parts), _EQUALS, vector]
            texts.append(f"{plain(line.parts)}{_EQUALS}{vector}")
    glyphs = tuple(
        [  # the shape's own glyph where it has no digit
            g if g.text == t else Glyphs(t, g.font, g.color, g.x, g.baseline)
            for g, t in zip(placed.glyphs, pieces, strict=True)
        ]
    )
    return Layout(glyphs, "\n".join(texts), placed.height, fits=whole, shape=key)


def _blocks(lines: tuple[Line, ...]) -> list[tuple[Line, ...]]:
    """Each text line, and each table: consecutive rows, which share the symbols' column."""
    blocks: list[tuple[Line, ...]] = []
    i = 0
    while i < len(lines):
        j = i + 1
        if lines[i].numbers is not None:
            while j < len(lines) and lines[j].numbers is not None:
                j += 1
        blocks.append(lines[i:j])
        i = j
    return blocks


def _place_blocks(
    blocks: list[tuple[Line, ...]],
    counts: tuple[int, ...],
    width: float,
    scale: float,
    fonts: Fonts,
    look: object,
) -> Layout:
    """The blocks placed from the top, a table with its count of numbers; a block placed
    the same way before keeps its place."""
    glyphs: list[Glyphs] = []
    texts: list[str] = []
    # Lines that may shrink (the equations) all take the size the widest of them needs, so
    # the equations of one panel stay alike.
    shrunk = min(
        (
            fonts.placed(
                ("one row", ln, width, scale, look), _one_row_points, ln, width, scale, fonts
            )
            for (ln, *_) in blocks
            if ln.numbers is None and ln.shrink < 1.0
        ),
        default=math.inf,
    )
    y = PAD
    for lines, count in zip(blocks, counts, strict=True):
        line = lines[0]
        if line.numbers is None:
            size = shrunk if line.shrink < 1.0 else None
            key = ("text", line, width, scale, size, y, look)
            block = fonts.placed(key, _place_text, line, width, scale, fonts, y, shrunk)
        else:
            key = ("rows", lines, count, width, scale, y, look)
            block = fonts.placed(key, _place_rows, lines, width, scale, fonts, y, count)
        glyphs += block.glyphs
        texts += block.texts
        y = block.bottom
    return Layout(tuple(glyphs), "\n".join(texts), y + PAD, fits=True)


def _shape(lines: tuple[Line, ...], scale: float, fonts: Fonts) -> tuple[Line, ...] | None:
    """The lines with every digit of their text written 0 and the rows' numbers left out
    (their count is placed, not their digits), if the digits' fonts at full size have alike
    digits (Fonts.numbers), else None. A digit beside a letter may kern with it: also None."""
    shape: list[Line] = []
    for line in lines:
        numbers = _NO_NUMBERS if line.numbers is not None else None
        text = " ".join(r.text for r in line.parts)  # a space: runs are measured apart
        zeroed = text.translate(_ZEROS)
        if zeroed == text and "0" not in text:
            shape.append(line._replace(numbers=numbers) if numbers else line)
            continue
        points = _size(line.points, scale)
        sub = _sub_key(points, line.bold and line.numbers is None)  # rows: plain subscripts
        if not (fonts.numbers((points, line.bold, False)) and fonts.numbers(sub)):
            return None
        if _DIGIT_BESIDE_OTHER.search(text):
            return None
        parts = tuple(Run(r.text.translate(_ZEROS), r.sub) for r in line.parts)
        shape.append(line._replace(parts=parts, numbers=numbers))
    return tuple(shape)


def _signature(lines: tuple[Line, ...]) -> tuple[tuple[object, ...], ...]:
    """What _shape makes of the lines, told apart: lines of one signature have one shape."""
    return tuple(
        (
            "".join(("\x1e" if r.sub else "\x1f") + r.text for r in line.parts).translate(_ZEROS),
            *line[1:4],
            line.numbers is None,
            *line[5:],
        )
        for line in lines
    )


def _place_shape(
    lines: tuple[Line, ...],
    counts: tuple[int, ...],
    width: float,
    scale: float,
    fonts: Fonts,
    look: object,
) -> Layout | None:
    """_place_blocks's layout of the lines' shape (see _shape), if they have one and every
    font it sets a digit in has alike digits (smaller type than the full size checked
    there, a subscript of a row), else None."""
    shape = _shape(lines, scale, fonts)
    if shape is None:
        return None
    layout = _place_blocks(_blocks(shape), counts, width, scale, fonts, look)
    digits = {g.font for g in layout.glyphs if "0" in g.text}
    return layout if all(map(fonts.numbers, digits)) else None


_NO_NUMBERS = Numbers((), ())  # a row's numbers in a shape: only their count is placed
_EQUALS = " = "


def _text_pieces(line: Line) -> list[str]:
    """The texts of a text line's glyphs, in _place_text's order: its runs split at spaces."""
    return [p for r in line.parts for p in ((r.text,) if r.sub else r.text.split(" ")) if p]


def _one_row_points(line: Line, width: float, scale: float, fonts: Fonts) -> float:
    """The size at which a line that may shrink fits one row: its own size if it fits, the
    size that fits if that is no smaller than ``line.shrink`` of it, else its own size (it
    wraps). Infinite for a line that may not shrink."""
    if line.numbers is not None or line.shrink >= 1.0:
        return math.inf
    points = _size(line.points, scale)
    one_row = _words_width(_words(line.parts), points, line.bold, fonts)
    room = width - 2 * PAD
    if one_row <= room:
        return points
    fitting = math.floor(points * room / one_row * 2) / 2  # half points
    return fitting if fitting >= max(_min_pt(), points * line.shrink) else points


def _place_text(
    line: Line, width: float, scale: float, fonts: Fonts, y: float, shrunk: float = math.inf
) -> Block:
    """A text line, at ``shrunk`` points if it may shrink (see _one_row_points), wrapped
    into the width where it still does not fit (continuations indented): before a "+" or
    after a "," where possible, so each piece of an equation stays whole; else at any
    space."""
    room = width - 2 * PAD
    points = _size(line.points, scale)
    if line.shrink < 1.0:
        points = min(points, shrunk)
    words = _words(line.parts)
    key = (points, line.bold, False)
    sub = _sub_key(points, line.bold)
    m = fonts.metrics(key)
    space = fonts.width(key, " ")
    indent = INDENT_EM * m.height()

    def run_width(r: Run) -> float:
        return fonts.width(sub if r.sub else key, r.text)

    def words_width(group: list[list[Run]]) -> float:
        return _words_width(group, points, line.bold, fonts)

    rows: list[list[list[Run]]] = [[]]
    x = 0.0  # where the next piece would start on the last row
    for piece in _pieces(words):
        whole = words_width(piece)
        if whole <= room - indent:
            parts = [(piece, whole)]
        else:  # too long for any row: break it at its spaces
            parts = [([word], words_width([word])) for word in piece]
        for group, w in parts:
            if rows[-1] and x + space + w > room:
                rows.append([])
                x = indent
            elif rows[-1]:
                x += space
            rows[-1].extend(group)
            x += w
    shift = m.ascent() * 0.3  # a subscript's baseline drop
    out: list[Glyphs] = []
    for k, row in enumerate(rows):
        baseline = y + m.ascent()
        x = PAD + (indent if k else 0.0)
        for word in row:
            for run in word:
                font = sub if run.sub else key
                out.append(
                    Glyphs(run.text, font, line.color, x, baseline + (shift if run.sub else 0))
                )
                x += run_width(run)
            x += space
        y += m.height() + shift * 0.6
    return Block(tuple(out), (plain(line.parts),), y + m.leading())


def _sub_key(points: float, bold: bool) -> tuple[float, bool, bool]:
    return (max(_min_pt() * SUB_SCALE, points * SUB_SCALE), bold, False)


def _words_width(words: list[list[Run]], points: float, bold: bool, fonts: Fonts) -> float:
    """The width of ``words`` set in one row, a space between each two."""
    key, sub = (points, bold, False), _sub_key(points, bold)
    runs_width = sum(fonts.width(sub if r.sub else key, r.text) for w in words for r in w)
    return runs_width + fonts.width(key, " ") * (len(words) - 1)


def _words(parts: tuple[Run, ...]) -> list[list[Run]]:
    """The runs split at spaces; a subscript stays with the letter it belongs to."""
    words: list[list[Run]] = [[]]
    for run in parts:
        if run.sub:
            words[-1].append(run)
            continue
        for k, piece in enumerate(run.text.split(" ")):
            if k > 0:
                words.append([])
            if piece:
                words[-1].append(Run(piece))
    return [w for w in words if w]


def _pieces(words: list[list[Run]]) -> list[list[list[Run]]]:
    """Words grouped into the pieces a line may break between: before "+", after ","."""
    pieces: list[list[list[Run]]] = [[]]
    for word in words:
        text = plain(tuple(word))
        if pieces[-1] and text == "+":
            pieces.append([])
        pieces[-1].append(word)
        if text.endswith(","):
            pieces.append([])
    return [p for p in pieces if p]


def _columns(rows: tuple[Line, ...], points: float, fonts: Fonts) -> tuple[float, float]:
    """Where the symbols end (right-aligned) and where the numbers start."""
    key = (points, False, False)
    column = (
        PAD
        + INDENT_EM * fonts.metrics(key).height()
        + max(_symbol_width(line, points, fonts) for line in rows)
    )
    return column, column + fonts.width(key, _EQUALS)


def _symbol_width(line: Line, points: float, fonts: Fonts) -> float:
    key, sub = (points, line.bold, False), _sub_key(points, False)
    return sum(fonts.width(sub if r.sub else key, r.text) for r in line.parts)


def _numbers(
    rows: tuple[Line, ...], width: float, scale: float, fonts: Fonts, shape: Hashable
) -> tuple[int, tuple[str, ...], bool]:
    """How many numbers of each vector fit (the same count in every row, so its vectors
    line up), each row's numbers, and whether they fit (False: even the fewest run past
    ``width``). ``shape``: rows like these (_signature …) start their numbers at one
    place."""
    points = _size(rows[0].points, scale)
    mono = (points, False, True)
    start = fonts.placed(("numbers start", shape), _numbers_start, rows, scale, fonts)
    if start is None:
        start = _columns(rows, points, fonts)[1]
    room = width - PAD - start
    for count in NUMBER_COUNTS:
        shown: list[str] = []
        for row in rows:
            assert row.numbers is not None
            shown.append(row.numbers.text(count))
            if fonts.width(mono, shown[-1]) > room:
                break
        else:
            return count, tuple(shown), True
    count = NUMBER_COUNTS[-1]
    return count, tuple(row.numbers.text(count) for row in rows if row.numbers), False


def _numbers_start(rows: tuple[Line, ...], scale: float, fonts: Fonts) -> float | None:
    """Where the rows' numbers start, if it is the same whatever the digits of their
    symbols (they have a shape: _shape), else None."""
    if _shape(rows, scale, fonts) is None:
        return None
    return _columns(rows, _size(rows[0].points, scale), fonts)[1]


def _place_rows(
    rows: tuple[Line, ...], width: float, scale: float, fonts: Fonts, y: float, count: int
) -> Block:
    """``symbol = numbers`` rows: symbols right-aligned in one column, then ``count`` numbers
    of each vector."""
    key = (_size(rows[0].points, scale), False, False)
    mono = (key[0], False, True)
    sub = _sub_key(key[0], False)
    m = fonts.metrics(key)
    shift = m.ascent() * 0.3
    column, start = _columns(rows, key[0], fonts)
    out: list[Glyphs] = []
    texts: list[str] = []
    for line in rows:
        assert line.numbers is not None
        baseline = y + max(m.ascent(), fonts.metrics(mono).ascent())
        bold = (key[0], line.bold, False)
        x = column - _symbol_width(line, key[0], fonts)
        for r in line.parts:
            font = sub if r.sub else bold
            out.append(Glyphs(r.text, font, line.color, x, baseline + (shift if r.sub else 0.0)))
            x += fonts.width(font, r.text)
        out.append(Glyphs(_EQUALS, key, line.color, column, baseline))
        numbers = line.numbers.text(count)
        out.append(Glyphs(numbers, mono, colors().INK, start, baseline))
        texts.append(f"{plain(line.parts)} = {numbers}")
        y += max(m.height(), fonts.metrics(mono).height()) + shift * 0.6
    return Block(tuple(out), tuple(texts), y + m.leading())
