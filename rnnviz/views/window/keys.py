"""Keys that always work: the window's keys act whatever has the focus.

A key of the window (→ ← ↑ ↓ Space Home B D U L H F5 F11 Page Up/Down …) goes to the window
unless the focused field needs that very key: a line edit being typed in needs the
characters it would take (and ← → Home and Space once it holds text), a spin box the
characters its value can hold (digits, the minus sign) and the ↑ ↓ that step it, a combo box
↑ ↓, a multi-line text field every key it can type or move with. Enter in a one-line field
commits it and gives the keys back (a line edit marked invalid keeps them, to be corrected);
Esc gives them back without committing. The mouse wheel over a spin box or combo box that is
not being edited scrolls the panel it sits in and changes nothing.

The filter sits on the focused field and on each box, not on the application: a Python
filter on every event of the application would also wrap widgets Qt is tearing down.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QKeyEvent, QKeySequence, QValidator, QWheelEvent
from PyQt6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from rnnviz.views.window.window_host import host_widget

_SEEN = frozenset({QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.Wheel})
_ENTER = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})
# Keys a line edit that holds text moves its cursor or types with.
_EDITING = frozenset({Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_Space})
# Keys a spin box steps its value with, and a combo box its choice.
_STEPPING = frozenset({Qt.Key.Key_Up, Qt.Key.Key_Down})
# Keys a multi-line text field moves with.
_MOVING = _EDITING | _STEPPING | {Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}


class KeyRouter(QObject):
    """Routes the keyboard and the wheel of its window's widgets as the module says.

    It watches only the widgets concerned, never the whole application: the field that
    has the focus (its keys) and every box (the wheel). ``watch_boxes`` again after
    building more of the window (the lab builds a tab when it is first shown).
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)  # reached through its parent: no cycle with the window
        app = QApplication.instance()
        assert isinstance(app, QApplication), "the key router needs the application"
        app.focusChanged.connect(self._on_focus_changed)
        self.watch_boxes()

    def watch_boxes(self, *_: object) -> None:
        """Every spin box and combo box of the window: the wheel scrolls past them."""
        for box in host_widget(self).findChildren((QAbstractSpinBox, QComboBox)):
            _no_wheel_focus(box)
            box.installEventFilter(self)  # once: Qt replaces a filter installed before

    def give_keys_back(self) -> None:
        """The focus leaves the field (a spin box commits what was typed) for the window."""
        host_widget(self).setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and _is_field(new) and new.window() is self.parent():
            new.installEventFilter(self)

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if event is None or event.type() not in _SEEN or not isinstance(obj, QWidget):
            return False
        if isinstance(event, QWheelEvent):
            return self._on_wheel(obj, event)
        assert isinstance(event, QKeyEvent)
        if not obj.hasFocus():
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            return self._on_shortcut_override(obj, event)
        return self._on_key_press(obj, event)

    def _on_shortcut_override(self, field: QWidget, event: QKeyEvent) -> bool:
        if not self._is_window_key(event):
            return False
        if _needs(field, event):
            event.accept()  # the field gets the key press
        else:
            event.ignore()  # the window's shortcut takes the key
        return True

    def _on_key_press(self, field: QWidget, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape and _is_field(field):
            self.give_keys_back()
            return True
        if key not in _ENTER or not _is_one_line(field):
            return False
        if isinstance(field, QLineEdit):
            field.event(event)  # the field's own Enter first: it commits (feeds, loads …)
            if field.property("invalid"):
                return True  # a mistake is shown: the field keeps the keys to correct it
        self.give_keys_back()  # a spin box commits as it loses the focus
        return True

    def _on_wheel(self, box: QWidget, event: QWheelEvent) -> bool:
        if not isinstance(box, (QAbstractSpinBox, QComboBox)) or box.hasFocus():
            return False  # being edited: the wheel changes it, as the user expects
        area = _scroll_area_of(box)
        if area is not None:
            viewport = area.viewport()
            assert viewport is not None
            QApplication.sendEvent(viewport, event)
        event.accept()  # handled: Qt does not pass it on to the parents a second time
        return True

    def _is_window_key(self, event: QKeyEvent) -> bool:
        pressed = QKeySequence(event.keyCombination())
        return any(
            action.isEnabled() and action.shortcut() == pressed
            for action in host_widget(self).actions()
        )


def _needs(field: QWidget, event: QKeyEvent) -> bool:
    """Whether ``field`` (the focus widget) uses this key of the window's."""
    text, key = event.text(), event.key()
    typed = bool(text) and text.isprintable()
    if isinstance(field, QAbstractSpinBox | QComboBox) and key in _STEPPING:
        return True
    if isinstance(field, QAbstractSpinBox):
        return typed and _accepts(field, text)
    if isinstance(field, QComboBox) and field.isEditable():
        edit = field.lineEdit()
        return edit is not None and _line_needs(edit, text, key, typed)
    if isinstance(field, QLineEdit):
        return _line_needs(field, text, key, typed)
    if isinstance(field, (QPlainTextEdit, QTextEdit)):
        return not field.isReadOnly() and (typed or key in _MOVING)
    return False


def _line_needs(edit: QLineEdit, text: str, key: int, typed: bool) -> bool:
    if edit.isReadOnly():
        return False
    if key in _EDITING:
        return bool(edit.text())  # an empty field has nothing to move in or space out
    if not typed:
        return False
    validator = edit.validator()
    if validator is None:
        return True
    candidate = edit.text()[: edit.cursorPosition()] + text + edit.text()[edit.cursorPosition() :]
    state = validator.validate(candidate, len(candidate))[0]
    return state != QValidator.State.Invalid


def _accepts(box: QAbstractSpinBox, text: str) -> bool:
    """Whether typing ``text`` into the spin box at its cursor could make a value."""
    edit = box.lineEdit()
    assert edit is not None
    current, at = edit.text(), edit.cursorPosition()
    start, end = at, at
    if edit.hasSelectedText():
        start = edit.selectionStart()
        end = start + len(edit.selectedText())
    candidate = current[:start] + text + current[end:]
    state = box.validate(candidate, start + len(text))[0]
    return state != QValidator.State.Invalid


def _no_wheel_focus(widget: QWidget) -> None:
    """A box that the wheel would give the focus to takes it only from a click or Tab: Qt
    gives the focus before any filter sees the wheel, and then → would edit the box."""
    if isinstance(widget, (QAbstractSpinBox, QComboBox)) and (
        widget.focusPolicy() == Qt.FocusPolicy.WheelFocus
    ):
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


def _is_field(widget: QWidget) -> bool:
    return isinstance(widget, (QLineEdit, QAbstractSpinBox, QComboBox, QPlainTextEdit, QTextEdit))


def _is_one_line(widget: QWidget) -> bool:
    return isinstance(widget, (QLineEdit, QAbstractSpinBox))


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent
