"""Small widgets in the shared look: panel titles and their rows, badges, and the font and
text colour of any widget, kept so after every change of theme or scale
(``appearance.keep``)."""

from __future__ import annotations

import math

from PyQt6.QtCore import QEvent, QObject, QSize, Qt
from PyQt6.QtGui import QResizeEvent, QTextDocument
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QWidget

from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.sizes import BADGE_PT, LABEL_PT, TITLE_PT, font

_WIDE = 1 << 14  # pixels: wider than any line a label shows


class WrappingLabel(QLabel):
    """A label that reads on one line where there is room and wraps between words where
    there is not: it asks for the one-line width, but needs only its longest word, so a
    narrow panel grows a line taller instead of demanding the whole line's width (a plain
    QLabel's minimum is the whole line; a word-wrapped one asks for a compact block even
    where one line fits)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self._one_line: tuple[tuple[object, ...], QSize] | None = None
        # What the label adds to its text's own width (margins, padding), learned from
        # the last measurement: the next search starts where the answer almost surely is.
        self._beside_text = 0

    def sizeHint(self) -> QSize:
        key = (self.text(), self.font().key(), self.styleSheet(), self.textFormat())
        if self._one_line is None or self._one_line[0] != key:
            self._one_line = (key, self._measure_one_line())
        return self._one_line[1]

    def _measure_one_line(self) -> QSize:
        """The narrowest width at which the text stays on one line (and no narrower than
        the longest word): searched with the label's own layout, so margins, padding and
        rich text count as drawn. The search starts from the text's width as a text
        document sets it, and brackets outwards from there: a new number in a label (ρ as
        the slider moves) takes two or three layouts of the label instead of fifteen."""
        line = self.heightForWidth(_WIDE)
        floor = self.minimumSizeHint().width()
        text = self._text_width()
        guess = min(max(text + self._beside_text, floor), _WIDE)

        def fits(width: int) -> bool:
            return self.heightForWidth(width) <= line

        # low: the widest width known not to fit (or below the floor); high: one that fits.
        if fits(guess):
            high, step = guess, 1
            while high - step >= floor and fits(high - step):
                high -= step
                step *= 2
            low = max(high - step, floor - 1)
        else:
            low, step = guess, 1
            while low + step < _WIDE and not fits(low + step):
                low += step
                step *= 2
            high = min(low + step, _WIDE)
        while high - low > 1:
            middle = (low + high) // 2
            if fits(middle):
                high = middle
            else:
                low = middle
        self._beside_text = high - text
        return QSize(high, line)

    def _text_width(self) -> int:
        """The text's one-line width as a text document lays it out in the label's font."""
        document = QTextDocument()
        document.setDefaultFont(self.font())
        document.setDocumentMargin(0)
        if self.textFormat() == Qt.TextFormat.PlainText:
            document.setPlainText(self.text())
        else:
            document.setHtml(self.text())
        return math.ceil(document.idealWidth())


class SteadyBox(QWidget):
    """Holds one label whose text changes often (a number, as a slider moves), and asks its
    window for a new layout only when the label's needs change.

    A label given a new text asks its parent's layout to lay out again, and that one asks
    its own, up to the window: on every change of ρ, about a millisecond of layouts of the
    side panel that end where they began. Here the label has no layout around it: the box
    places it over its whole area and passes its request on only when the label's size
    hints, or its height at the box's width, changed. The box is shown and hidden with
    the label (a badge hidden until it has text takes no room).
    """

    def __init__(self, label: QLabel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        hidden = label.isHidden() and label.testAttribute(
            Qt.WidgetAttribute.WA_WState_ExplicitShowHide
        )
        label.setParent(self)
        self.setSizePolicy(label.sizePolicy())
        self.setVisible(not hidden)
        label.installEventFilter(self)
        self._needs = self._measure()

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if obj is self.label and event is not None:
            if event.type() == QEvent.Type.ShowToParent:
                self.show()
            elif event.type() == QEvent.Type.HideToParent:
                self.hide()
        return False

    def _measure(self) -> tuple[QSize, QSize, int]:
        label = self.label
        height = label.heightForWidth(self.width()) if label.hasHeightForWidth() else -1
        return label.sizeHint(), label.minimumSizeHint(), height

    def sizeHint(self) -> QSize:
        return self.label.sizeHint()

    def minimumSizeHint(self) -> QSize:
        return self.label.minimumSizeHint()

    def hasHeightForWidth(self) -> bool:
        return self.label.hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:
        return self.label.heightForWidth(width)

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        self.label.setGeometry(self.rect())
        self._needs = self._measure()
        super().resizeEvent(event)

    def event(self, event: QEvent | None) -> bool:
        if event is not None and event.type() == QEvent.Type.LayoutRequest:
            needs = self._measure()
            if needs != self._needs:
                self._needs = needs
                self.setSizePolicy(self.label.sizePolicy())
                self.updateGeometry()
            return True
        return super().event(event)


class VerticalScroll(QScrollArea):
    """A column of settings that scrolls up and down on a short screen, never sideways: as
    wide as its content needs, and only a few lines tall at the least, so a long form does
    not make the window taller than the screen."""

    SHORTEST_PX = 120

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content.installEventFilter(self)

    def _bar_width(self) -> int:
        bar = self.verticalScrollBar()
        return bar.sizeHint().width() if bar is not None else 0

    def minimumSizeHint(self) -> QSize:
        content = self.widget()
        if content is None:
            return super().minimumSizeHint()
        need = content.minimumSizeHint()
        return QSize(need.width() + self._bar_width(), min(need.height(), self.SHORTEST_PX))

    def sizeHint(self) -> QSize:
        content = self.widget()
        if content is None:
            return super().sizeHint()
        hint = content.sizeHint().expandedTo(content.minimumSizeHint())
        return QSize(hint.width() + self._bar_width(), hint.height())

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if event is not None and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the content's needs changed (a larger type, a message)
        return super().eventFilter(obj, event)


def set_font(widget: QWidget, points: float = LABEL_PT, bold: bool = False) -> None:
    """Give ``widget`` (and the children that inherit it) a font of ``points`` at the
    appearance's scale, now and after every change."""
    appearance.keep(widget, "font", lambda w: w.setFont(font(points, bold)))


def set_text_color(widget: QWidget, name: str) -> None:
    """Write ``widget``'s text in the theme's colour ``name`` ("INK", "MUTED", "ALERT", …),
    now and after every change of theme.

    A style sheet on the widget itself: a palette colour would be undone whenever an
    ancestor's style sheet is set again. Give the widget its font with ``set_font`` first:
    a style sheet drops a font the widget only inherits (to the application's 9 pt).
    """
    appearance.keep(
        widget, "color", lambda w: w.setStyleSheet(f"color: {getattr(colors(), name)};")
    )


def title_label(text: str) -> QLabel:
    label = WrappingLabel(text)
    set_font(label, TITLE_PT, bold=True)
    set_text_color(label, "INK")
    return label


def title_row(title: QLabel, *right: QWidget) -> QHBoxLayout:
    """A panel's header: its title on the left, the given widgets (a badge, a button) on
    the right."""
    row = QHBoxLayout()
    row.addWidget(title)
    row.addStretch(1)
    for widget in right:
        row.addWidget(widget)
    return row


def badge_label() -> QLabel:
    """A rounded coloured tag (regime, "exploded at t = …"); hidden until it has text."""
    label = WrappingLabel()
    set_font(label, BADGE_PT, bold=True)
    label.hide()
    return label


def set_badge(label: QLabel, text: str, color: str | None = None) -> None:
    """Show ``text`` on a ``color`` tag (the theme's ALERT unless given), or hide the badge
    for an empty text. The view calls it again when the theme changes."""
    # Called on every frame: a style sheet re-polishes the label even when it is the same.
    background = color or colors().ALERT
    sheet = f"color: white; background-color: {background}; border-radius: 6px; padding: 3px 10px;"
    if label.styleSheet() != sheet:
        label.setStyleSheet(sheet)
    label.setText(text)
    label.setVisible(bool(text))
