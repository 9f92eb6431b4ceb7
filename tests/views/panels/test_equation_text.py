"""Numbers that change every step are measured, placed and shaped from what the last step's
took, and show exactly what measuring and drawing each text anew shows."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PyQt6.QtCore import QPointF
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter
from PyQt6.QtWidgets import QApplication

from rnnviz.views.look.appearance import appearance
from rnnviz.views.panels import equation_text
from rnnviz.views.panels.equation_text import MIN_PT, SCALES, Fonts, Line, fit, paint, runs
from rnnviz.views.panels.equations import EQUATION_PT, NUMBERS_PT, vector_numbers

# The fonts the panel sets text in: every half point it uses, bold or not, and monospace.
SIZES = sorted({max(MIN_PT, round(pt * s * 2) / 2) for pt in (EQUATION_PT, 14) for s in SCALES})
KEYS = [(pt, bold, mono) for pt in SIZES for bold in (False, True) for mono in (False, True)]
KEYS += [(pt * equation_text.SUB_SCALE, bold, False) for pt in SIZES for bold in (False, True)]
WIDTH, HEIGHT = 900, 700


@pytest.fixture(params=["", "Z003"], ids=["default font", "Z003 (fallback glyphs)"])
def app_font(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """The application's default font, or a font with no glyph for some number characters
    (its "−" and superscripts come from another font), for Fonts made in the test."""
    kept = QApplication.font()
    if request.param:
        QApplication.setFont(QFont(request.param))
    yield request.param
    QApplication.setFont(kept)


def number_texts(seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    texts = ["7", "101", "t = 48", "(1", "layer 3 (top),"]
    for _ in range(40):
        values = rng.standard_normal(rng.integers(1, 12)) * 10.0 ** rng.integers(-6, 6)
        texts.append(vector_numbers(values).text(int(rng.choice([2, 4, 6, 8]))))
    return texts


def test_number_widths_are_what_qt_measures(app_font: str) -> None:
    """A text of number characters is as wide as Qt measures it, and as wide as the text
    with every digit written 0 in a font that says so (Fonts.numbers): a line whose digits
    change takes the same room."""
    fonts = Fonts()
    checked = 0
    for key in KEYS:
        metrics = QFontMetricsF(fonts.font(key))
        for text in number_texts(int(key[0] * 10)):
            assert fonts.width(key, text) == metrics.horizontalAdvance(text), (key, text)
            if fonts.numbers(key) is not None:
                zeroed = text.translate(str.maketrans("123456789", "000000000"))
                assert metrics.horizontalAdvance(zeroed) == metrics.horizontalAdvance(text)
                checked += 1
    if not app_font:  # the panel's own fonts take the short way
        assert checked == len(KEYS) * len(number_texts(0))


def steps(k: int, rng: np.random.Generator, exponents: int = 3) -> tuple[Line, ...]:
    """The lines of a step k: a heading, an equation, and rows of numbers that change (by
    up to ``exponents`` powers of ten)."""
    rows = tuple(
        Line(
            runs(f"{name}_{k}"),
            NUMBERS_PT,
            "#d08000" if name == "h" else "#000000",
            name == "h",
            vector_numbers(
                rng.uniform(-1, 1, 12) * 10.0 ** rng.integers(-exponents, exponents + 1)
            ),
        )
        for name in ("i", "c", "h")
    )
    heading = Line(runs(f"forward pass, layer 3 (top), step t = {k}"), 11, "#777777", bold=True)
    equation = Line(runs(f"c_{k} = f ⊙ c_{k - 1} + i ⊙ g"), EQUATION_PT, "#000000", True)
    return (heading, equation, *rows)


def drawn(layout: equation_text.Layout, fonts: Fonts, by_text: bool) -> np.ndarray:
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    if by_text:  # each text shaped anew, as drawText does (and the SVG export)
        for g in layout.glyphs:
            painter.setPen(QColor(g.color))
            painter.setFont(fonts.font(g.font))
            painter.drawText(QPointF(g.x, g.baseline), g.text)
    else:
        paint(painter, layout, fonts, HEIGHT)
    painter.end()
    bits = image.constBits()
    assert bits is not None
    bits.setsize(image.sizeInBytes())
    return np.frombuffer(bits, np.uint8).copy()


@pytest.mark.parametrize("scale", [1.0, 1.25])
def test_new_numbers_are_drawn_as_drawtext_draws_them(
    app_font: str,
    kept_appearance: None,  # after app_font: the larger type's font is put back first
    scale: float,
) -> None:
    """Step after step (each one's texts shaped from the last ones': digit glyphs put into
    the run of the text with 0 for each digit), the glyphs drawn are drawText's, pixel for
    pixel; and each step is placed as a fresh Fonts places it."""
    appearance.set(scale=scale)
    fonts = Fonts()
    rng = np.random.default_rng(7)
    for k in range(95, 125):
        lines = steps(k, rng)
        layout = fit(lines, WIDTH, HEIGHT, fonts, trusted=True)
        fresh = Fonts()
        assert fit(lines, WIDTH, HEIGHT, fresh) == layout, f"step {k}"
        assert np.array_equal(drawn(layout, fonts, False), drawn(layout, fresh, True)), k


@pytest.mark.usefixtures("qapp")
def test_a_new_step_places_no_line_when_only_its_digits_changed(placed: list[object]) -> None:
    """The lines of step 13 are placed as those of step 12 were: with its digits written
    0, step 12's lines and step 13's are the same lines (the rows' numbers are not placed,
    only how many of them fit, here always 8)."""
    fonts = Fonts()
    rng = np.random.default_rng(3)
    fit(steps(12, rng, 0), WIDTH, HEIGHT, fonts)
    placed.clear()
    for k in range(13, 60):
        layout = fit(steps(k, rng, 0), WIDTH, HEIGHT, fonts, trusted=True)
        assert f"step t = {k}" in layout.text
    assert placed == []
    fit(steps(100, rng, 0), WIDTH, HEIGHT, fonts, trusted=True)
    assert placed  # three digits: a line of another width


@pytest.mark.usefixtures("qapp")
def test_a_digit_beside_a_letter_is_placed_anew(placed: list[object]) -> None:
    """A digit that touches a letter ("x3y") may kern with it, each digit differently: the
    line is not placed as the line with 0 for its digits was."""
    fonts = Fonts()
    fit((Line(runs("feed x3y now"), 14, "#000000"),), WIDTH, HEIGHT, fonts)
    placed.clear()
    layout = fit((Line(runs("feed x4y now"), 14, "#000000"),), WIDTH, HEIGHT, fonts)
    assert layout.text == "feed x4y now"
    assert len(placed) == 1


def test_runs_cut_subscripts_from_their_letters() -> None:
    Run = equation_text.Run
    assert runs("W_hh h_12 + x") == (
        Run("W"),
        Run("hh", True),
        Run(" h"),
        Run("12", True),
        Run(" + x"),
    )
    assert runs("δ_3") == (Run("δ"), Run("3", True))
    assert runs("_x 3_y (1") == (Run("_x 3_y (1"),)  # no letter before "_": plain
    assert runs("") == ()
