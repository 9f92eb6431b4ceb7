"""The toolbar's hint, whole on every screen: beside the buttons the audience looks at.

On a 1024×768 projector the buttons with their names filled the toolbar, and Qt moved the
hint into the toolbar's » menu, where nobody saw it: B at t = 0 did nothing visible
("Feed at least one step (→) before running the backward pass" sat in the menu). So the
toolbar keeps room for the hint:

- Where the buttons' names leave too little room for the app's longest hint on two lines,
  the view buttons (those after the first separator: Hide controls, Full screen,
  Presentation mode) show their icons alone; where that is not enough (presenting on a
  1024×768 projector), all of them. Their names stay in their tooltips and the menus.
- The hint takes the room left, on up to ``HINT_LINES`` lines. The bar is always as tall as
  those lines, so it never grows when a hint comes: it gives up its own margins for them
  (at the desk 38 px, where its margins and buttons took 43; a 1024×768 window has no
  pixel to spare).
- A hint longer than those lines (a very long file name, an error quoting one) is elided in
  the middle, and its tooltip shows it whole.
"""

from __future__ import annotations

from PyQt6 import sip
from PyQt6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PyQt6.QtWidgets import QLabel, QToolBar, QToolButton, QWidget

from rnnviz.views.look.plain_text import plain_label, plain_tooltip

# The hint always has room for the longest one the app words itself, on two lines.
LONGEST_HINT = "End of the sequence: feed more inputs, or press Home to start again"
HINT_LINES = 2
HINT_PADDING_PX = 12  # right of the hint, off the window's edge (MainWindow's style sheet)
ELLIPSIS = "…"
# What changes the room: for the bar (False), its width and its buttons; for the label
# (True), the type the hint is drawn in.
_REFIT: dict[bool, tuple[QEvent.Type, ...]] = {
    False: (
        QEvent.Type.Resize,
        QEvent.Type.ActionAdded,
        QEvent.Type.ActionRemoved,
        QEvent.Type.FontChange,
        QEvent.Type.StyleChange,
    ),
    True: (QEvent.Type.FontChange, QEvent.Type.StyleChange),
}


class ToolbarHint(QObject):
    """The hint label at the end of ``bar``, and the fitting of the bar around it."""

    def __init__(self, bar: QToolBar) -> None:
        super().__init__(bar)
        self.bar = bar
        self.label = plain_label(QLabel(bar))  # hints quote file names
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._probe = plain_label(QLabel())  # never shown: measures how the label wraps
        self._probe.setWordWrap(True)
        self._text = ""
        self._pending = False  # a fit is scheduled
        self._placed: tuple[object, ...] = ()  # the text, size and type the label was given
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        bar.addWidget(self.label)
        bar.installEventFilter(self)
        self.label.installEventFilter(self)  # its type changes size with the look

    @property
    def text(self) -> str:
        """The hint as it was given (the label may show it elided)."""
        return self._text

    def show(self, text: str, ms: int) -> None:
        """Show ``text`` for ``ms`` milliseconds."""
        self._text = text
        self._place_text()
        self._timer.start(ms)

    def clear(self) -> None:
        self._text = ""
        self._timer.stop()
        self._place_text()

    def fit(self) -> None:
        """The buttons' names shown where they leave the longest hint the app words
        (``LONGEST_HINT``) room on ``HINT_LINES`` lines: first the view buttons show their
        icons alone, then all of them; the hint as wide as the room left."""
        layout = self.bar.layout()
        if layout is not None:  # the bar's margins go to the hint's lines (see the module)
            layout.setContentsMargins(0, 0, 0, 0)
        metrics = self.label.fontMetrics()
        names = Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        icons = Qt.ToolButtonStyle.ToolButtonIconOnly
        buttons, views = self._buttons(), set(self._view_buttons())
        before = [b.toolButtonStyle() for b in buttons]
        for view_style, other_style in ((names, names), (icons, names), (icons, icons)):
            for button in buttons:
                button.setToolButtonStyle(view_style if button in views else other_style)
            room = self._room()
            if self._holds(LONGEST_HINT, room):
                break
        tallest = max((b.sizeHint().height() for b in buttons), default=0)
        size = QSize(max(room, 0), max(tallest, HINT_LINES * metrics.lineSpacing()))
        if size != self.label.size() or [b.toolButtonStyle() for b in buttons] != before:
            self.label.setFixedSize(size)
            # Laid out again from the new sizes: the bar kept a hint it had moved into its »
            # menu (too wide for the buttons of a moment before) there.
            if layout is not None:
                layout.invalidate()
        self._place_text()

    # ---- inside ----------------------------------------------------------------------------
    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if event is not None and event.type() in _REFIT.get(obj is self.label, ()):
            self.fit_soon()
        return False

    def fit_soon(self) -> None:
        """``fit`` once the event loop has run: after the bar's own handling of a change (a
        new action has no button yet) and the rest of a new look (type sizes and icons)."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._fit_if_alive)

    def _fit_if_alive(self) -> None:
        self._pending = False
        if not sip.isdeleted(self.label):
            self.fit()

    def _items(self) -> list[QWidget]:
        """The widgets of the bar's actions, in order, the hint's own left out."""
        found = []
        for action in self.bar.actions():
            widget = self.bar.widgetForAction(action)
            if widget is not None and widget is not self.label and action.isVisible():
                found.append(widget)
        return found

    def _buttons(self) -> list[QToolButton]:
        return [w for w in self._items() if isinstance(w, QToolButton)]

    def _view_buttons(self) -> list[QToolButton]:
        """The buttons after the bar's first separator."""
        buttons: list[QToolButton] = []
        seen_separator = False
        for action in self.bar.actions():
            if action.isSeparator():
                seen_separator = True
                continue
            widget = self.bar.widgetForAction(action)
            if seen_separator and isinstance(widget, QToolButton) and action.isVisible():
                buttons.append(widget)
        return buttons

    def _holds(self, text: str, width: int) -> bool:
        """Whether the hint label ``width`` px wide shows ``text`` whole on HINT_LINES lines,
        as the label wraps it: measured on a hidden twin with its type and style sheet (the
        label's own text changing would lay the bar out again)."""
        if width <= 0:
            return False
        probe, label = self._probe, self.label
        probe.setFont(label.font())
        probe.setStyleSheet(label.styleSheet())
        probe.setText(text)
        probe.ensurePolished()
        return probe.heightForWidth(width) <= HINT_LINES * probe.fontMetrics().lineSpacing()

    def _room(self) -> int:
        """The bar's width left beside its items."""
        layout, bar_style = self.bar.layout(), self.bar.style()
        assert layout is not None and bar_style is not None
        metric = bar_style.PixelMetric
        spacing = bar_style.pixelMetric(metric.PM_ToolBarItemSpacing, None, self.bar)
        extension = bar_style.pixelMetric(metric.PM_ToolBarExtensionExtent, None, self.bar)
        margins = layout.contentsMargins()
        items = self._items()
        used = sum(w.sizeHint().width() for w in items) + spacing * len(items)
        # The » button's room to spare: a hint the bar cannot hold whole would go into its menu.
        return self.bar.width() - used - margins.left() - margins.right() - extension

    def _place_text(self) -> None:
        """The hint in the label, elided in the middle until it fits the label's lines."""
        label, text = self.label, self._text
        placed = (text, label.size(), label.font().key())
        if placed == self._placed:
            return
        self._placed = placed
        label.setToolTip("")
        label.setText(text)
        if not text or label.width() <= 0:
            return
        shown, keep = text, len(text)
        while label.heightForWidth(label.width()) > label.height() and keep > 1:
            keep = keep * 4 // 5
            head = (keep + 1) // 2
            shown = text[:head] + ELLIPSIS + text[len(text) - (keep - head) :]
            label.setText(shown)
        if shown != text:
            label.setToolTip(plain_tooltip(text))
