"""What a window lends the controllers it builds: a place for their actions, a line for
their messages, and a way to stop what is animating the session.

Controllers are QObjects parented to the window and reach it through ``host(self)``, typed
by this protocol: they never import the main window, and hold no reference to it that would
make a cycle.
"""

from __future__ import annotations

from typing import Protocol, cast

from PyQt6.QtCore import QObject
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QWidget

from rnnviz.views.verbs import Verbs


class WindowHost(Protocol):
    def add_action(
        self, text: str, key: str | QKeySequence.StandardKey, tip: str, icon: str | None = None
    ) -> QAction:
        """A window-wide action whose key works whatever panel has the focus."""

    def show_message(self, text: str, ms: int = 5000, *, done: bool = False) -> None:
        """A hint in the toolbar that disappears after ``ms`` milliseconds (``done``: it
        reports work done, not a problem)."""

    @property
    def verbs(self) -> Verbs:
        """Runs the session's expensive verbs in a worker, with progress and cancel."""

    def stop_animations(self) -> None:
        """Stop playing and the backward sweep: a verb is about to replace the session."""

    def run_backward(self) -> None:
        """The animated backward pass of key B."""


def host(controller: QObject) -> WindowHost:
    """The window a controller was built for (its Qt parent)."""
    return cast(WindowHost, controller.parent())


def host_widget(controller: QObject) -> QWidget:
    """The same window as a widget: the parent of the controller's dialogs."""
    return cast(QWidget, controller.parent())
