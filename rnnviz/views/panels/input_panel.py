"""Feeding the network: type inputs, pick a preset, load text, or draw a signal with the mouse."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PyQt6.QtCore import QEvent, QSize, Qt
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from rnnviz.session import Change, InputError, Session
from rnnviz.session.presets import PRESET_HELP, PRESETS
from rnnviz.session.source import Source
from rnnviz.views.binding import listen
from rnnviz.views.look import widget_style
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.blocking import signals_blocked
from rnnviz.views.panels.controls import SIDE_WIDTH, colored_label, titled_group
from rnnviz.views.panels.draw_canvas import DrawCanvas
from rnnviz.views.verbs import Verbs

# The main window steps with these; an empty field has no use for them, so it lets them pass.
WINDOW_KEYS = frozenset({Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Space, Qt.Key.Key_Home})

# QLineEdit keeps only the first 32,767 characters by default and drops the rest without a
# word, so a pasted sequence lost its end (and its last number could be cut into another).
# Fields take any text Qt can hold; what is fed is checked by the session.
MAX_FIELD_CHARS = 2**31 - 1

FEED_HINTS: dict[str, str] = {
    "scalar": "one step per number: 0.5, 1, -0.2",
    "vector": "{n} numbers per step; ';' between steps",
    "text": "one step per character; vocabulary: {vocab}",
}
# What the panel says about where the sequence came from ({name}: the preset, the lesson …).
SOURCE_TEXTS: dict[str, str] = {
    "preset": "{name} preset",
    "typed": "typed in the Feed box",
    "drawn": "drawn on the pad",
    "text": "your text “{name}”",
    "lesson": "lesson “{name}”",
    "trained": "an example of the trained task",
    "values": "values given from a file",
    "zeros": "zeros, to fit the imported weights",
    "saved": "the saved session",
}
SHOWN_TEXT = 16  # characters of the user's text the panel quotes
FEED_PLACEHOLDERS: dict[str, str] = {
    "scalar": "e.g. 0.5, 1, -0.2",
    "vector": "e.g. {example}",
    "text": "type characters, e.g. {sample}",
}


def source_text(source: Source, steps: int) -> str:
    """Where the sequence came from and how long it is, as the panel says it."""
    name = "".join(" " if c == "\n" else c for c in source.name)
    if source.kind == "text" and len(name) > SHOWN_TEXT:
        name = name[: SHOWN_TEXT - 1] + "…"
    count = f"{steps} step{'' if steps == 1 else 's'}"
    return f"{SOURCE_TEXTS[source.kind].format(name=name)}, {count}"


def _invalid_style() -> str:
    """A field holding a mistake: a thick border and a background in the theme's alert."""
    p = colors()
    return (
        f'QLineEdit[invalid="true"] {{ border: 3px solid {p.ALERT}; '
        f"background: {p.INVALID_FIELD}; }}"
    )


class EntryField(QLineEdit):
    """A line edit that leaves the window's stepping keys alone while it is empty.

    Escape hands the keyboard back to the window, so → ← Space Home step the network again.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The style sheet sits on the field alone (on the panel it would reset every child's
        # font to the application default); the explicit font keeps the field's size.
        appearance.keep(self, "invalid", lambda f: f.setStyleSheet(_invalid_style()))
        widget_style.set_font(self)
        self.setMaxLength(MAX_FIELD_CHARS)

    def event(self, event: QEvent | None) -> bool:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.ShortcutOverride
            and not self.text()
            and event.key() in WINDOW_KEYS
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            # Not accepting the override lets the window's shortcut take the key.
            event.ignore()
            return False
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent | None) -> None:
        if event is not None and event.key() == Qt.Key.Key_Escape:
            self.clearFocus()
            self.window().setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        super().keyPressEvent(event)

    def set_invalid(self, invalid: bool) -> None:
        """Mark the field red (the rule of ``_invalid_style``) or back to normal."""
        self.setProperty("invalid", invalid)
        # A dynamic property only restyles after a re-polish.
        self.style().unpolish(self)
        self.style().polish(self)


class InputPanel(QWidget):
    """Type inputs and feed them, pick a preset, load your own text, or draw a signal."""

    def __init__(
        self, session: Session, parent: QWidget | None = None, *, verbs: Verbs | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        # The window's (shared with the other panels); a panel on its own computes alone.
        self.verbs = verbs if verbs is not None else Verbs(session, self)
        widget_style.set_font(self)

        self.entry = EntryField()
        self.entry.setToolTip(
            "Type the next input(s) and press Enter: each number (or character) is one step."
        )
        self.feed_button = QPushButton("Feed")
        self.feed_button.setToolTip("Feed what is typed, one step per number or character.")
        self.feed_error = colored_label("ALERT", bold=True)
        self.feed_error.hide()
        self.feed_hint = colored_label("MUTED")

        self.source_label = colored_label("INK")
        self.source_label.setToolTip("Where the input sequence now comes from, and its length.")
        # Never squeezed below its wrapped lines: the pad under it gives up the height.
        self.source_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.preset_combo = QComboBox()
        # Shown when the inputs are not a preset's: the list does not pretend they are.
        self.preset_combo.setPlaceholderText("— not a preset —")
        for i, name in enumerate(PRESETS):
            self.preset_combo.addItem(name)
            self.preset_combo.setItemData(i, PRESET_HELP[name], Qt.ItemDataRole.ToolTipRole)

        self.text_entry = EntryField()
        self.text_entry.setPlaceholderText("e.g. hello world")
        self.text_entry.setToolTip(
            "Text to use as the input sequence, one character per step. "
            "Its distinct characters become the vocabulary (one-hot inputs)."
        )
        self.load_text_button = QPushButton("Load text")
        self.load_text_button.setToolTip(self.text_entry.toolTip())
        self.text_error = colored_label("ALERT", bold=True)
        self.text_error.hide()

        self.canvas = DrawCanvas(session)
        self.use_drawing_button = QPushButton("Use drawing")
        self.use_drawing_button.setToolTip("Use the drawn signal as the input sequence.")
        self.clear_drawing_button = QPushButton("Clear")
        self.clear_drawing_button.setToolTip("Flatten the drawing to zero.")
        for button in (
            self.feed_button,
            self.load_text_button,
            self.use_drawing_button,
            self.clear_drawing_button,
        ):
            # Buttons keep no focus, so → ← Space Home keep stepping after a click.
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.preset_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        layout = QVBoxLayout(self)
        layout.addWidget(titled_group("Feed inputs", self._feed_box()))
        layout.addWidget(titled_group("Input sequence", self._sequence_box()), stretch=1)

        self.entry.returnPressed.connect(self.feed)
        self.feed_button.clicked.connect(self.feed)
        self.entry.textEdited.connect(lambda _: self._show_error(self.entry, self.feed_error, ""))
        self.preset_combo.activated.connect(self._on_preset_picked)
        self.text_entry.returnPressed.connect(self.load_text)
        self.load_text_button.clicked.connect(self.load_text)
        self.text_entry.textEdited.connect(
            lambda _: self._show_error(self.text_entry, self.text_error, "")
        )
        self.use_drawing_button.clicked.connect(self.canvas.apply)
        self.clear_drawing_button.clicked.connect(self.canvas.clear)
        listen(session.changed, self._on_session_changed)
        self.verbs.cancelled.connect(self._on_sequence_changed)  # the picked preset goes back
        self._on_config_changed()

    def sizeHint(self) -> QSize:
        """The side column's width asks for no more than this (a dock takes its panel's
        width hint), so the network's panels keep the room on a small projector."""
        return QSize(max(self.minimumSizeHint().width(), SIDE_WIDTH), super().sizeHint().height())

    # ---- layout --------------------------------------------------------------------
    def _feed_box(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout()
        row.addWidget(self.entry, stretch=1)
        row.addWidget(self.feed_button)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.feed_error)
        layout.addWidget(self.feed_hint)
        return box

    def _sequence_box(self) -> QWidget:
        """Where the whole input sequence comes from: a preset, your text, or a drawing."""
        box = QWidget()
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.source_label)  # the whole width: it names a text or a lesson
        form.addRow("Preset", self.preset_combo)
        text_row = QHBoxLayout()
        text_row.addWidget(self.text_entry, stretch=1)
        text_row.addWidget(self.load_text_button)
        form.addRow("Text", text_row)
        form.addRow("", self.text_error)
        buttons = QHBoxLayout()
        hint = colored_label("MUTED")
        hint.setText("or draw it:")
        hint.setWordWrap(False)  # two words: a second line would take the pad's height
        buttons.addWidget(hint, stretch=1)
        buttons.addWidget(self.clear_drawing_button)
        buttons.addWidget(self.use_drawing_button)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.canvas, stretch=1)
        return box

    # ---- user actions --------------------------------------------------------------
    def feed(self) -> None:
        """Feed what is typed (validated first: bad input feeds nothing and is marked)."""
        text = self.entry.text()
        self._attempt(self.entry, self.feed_error, lambda: self._feed(text))

    def _feed(self, text: str) -> None:
        steps = self.session.parse(text).shape[0]  # InputError: nothing is fed
        # Thousands of pasted steps at 256 units are computed in the worker; if they are
        # refused there, the text comes back to the box with the reason.
        self.verbs.call(
            "feed_text",
            text,
            label=f"feeding {steps:,} steps",
            failed=partial(self._on_feed_refused, text),
        )
        self.entry.clear()

    def _on_feed_refused(self, text: str, message: str) -> None:
        self.entry.setText(text)
        self._show_error(self.entry, self.feed_error, message)

    def load_text(self) -> None:
        """Use the typed text as the input sequence; its characters become the vocabulary."""
        text = self.text_entry.text()
        if self._attempt(self.text_entry, self.text_error, lambda: self.session.set_sequence(text)):
            self.text_entry.clear()

    def _on_preset_picked(self, index: int) -> None:
        self.verbs.call("load_preset", PRESETS[index], label=f"loading {PRESETS[index]}")

    def _attempt(self, field: EntryField, label: QLabel, action: Callable[[], object]) -> bool:
        """Run ``action``; on InputError show its message under ``field`` and return False."""
        try:
            action()
        except InputError as error:
            self._show_error(field, label, str(error))
            return False
        self._show_error(field, label, "")
        return True

    @staticmethod
    def _show_error(field: EntryField, label: QLabel, message: str) -> None:
        field.set_invalid(bool(message))
        label.setText(message)
        label.setVisible(bool(message))

    # ---- session -------------------------------------------------------------------
    def _on_session_changed(self, changes: Change) -> None:
        if changes & Change.CONFIG:
            self._on_config_changed()
        elif changes & Change.SEQUENCE:
            self._on_sequence_changed()

    def _on_sequence_changed(self) -> None:
        """The source line and the preset list say where the inputs now come from."""
        source = self.session.source
        self.source_label.setText(source_text(source, self.session.sequence.shape[0]))
        preset = source.kind == "preset" and source.name in PRESETS
        with signals_blocked(self.preset_combo):
            self.preset_combo.setCurrentIndex(PRESETS.index(source.name) if preset else -1)
        now = f" Now: {PRESET_HELP[source.name]}" if preset else ""
        self.preset_combo.setToolTip(f"Load a ready-made input sequence.{now}")

    def _on_config_changed(self) -> None:
        config = self.session.config
        self._on_sequence_changed()
        n = config.input_size
        example = "; ".join([", ".join(["0.5"] * n), ", ".join(["1"] * n)])
        vocab = " ".join({" ": "␣", "\n": "↵"}.get(c, c) for c in self.session.vocab)
        sample = self.session.vocab.strip()[:3]
        fields = {"n": n, "example": example, "vocab": vocab, "sample": sample}
        self.feed_hint.setText(FEED_HINTS[config.encoding].format(**fields))
        self.entry.setPlaceholderText(FEED_PLACEHOLDERS[config.encoding].format(**fields))
