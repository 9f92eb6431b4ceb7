"""How views listen to the session and skip drawing the same picture again."""

from __future__ import annotations

import weakref
from collections.abc import Callable

from PyQt6 import sip

from rnnviz.session.events import Event


class DrawnFrom:
    """What a view last drew from, so that drawing again from the same things is skipped.

    The session replaces its arrays, results and settings instead of changing them in
    place, so the same objects mean the same picture. One user action often emits several
    events (a setting: ``stepped``, then ``config_changed``); a view that checks
    ``changed(...)`` first then draws once, at once, with no timer to wait for.
    """

    def __init__(self) -> None:
        self._last: tuple[object, ...] | None = None

    def changed(self, *sources: object) -> bool:
        """True (and remembered) unless every source is what it was last time: the same
        object, or an equal number, string or tuple of them."""
        last, self._last = self._last, sources
        return last is None or len(last) != len(sources) or not all(map(_same, last, sources))


def _same(a: object, b: object) -> bool:
    return a is b or (type(a) is type(b) and isinstance(a, (int, float, str, tuple)) and a == b)


def listen(event: Event[[]], method: Callable[[], object]) -> None:
    """Connect a view's bound method to a session (or lab) event: how every view listens.

    The method is held weakly, like ``Event`` holds bound methods: the session does not keep
    the view alive. What this adds to ``event.connect``: a view whose Qt object is already
    deleted while Python still refers to it (a closed panel that a window attribute, a
    test or a reference cycle keeps) is skipped and disconnected. Its child widgets are
    gone, and drawing on them would raise "wrapped C/C++ object … has been deleted".
    """
    event.connect(_Listener(event, method))


class _Listener:
    """``listen``'s callback. It refers to nothing that refers back to it (the event only
    weakly): a cycle through the session would leave whole windows to the garbage collector,
    which tears Qt wrappers apart in any order, even while their C++ objects still live."""

    __slots__ = ("_event", "_method")

    def __init__(self, event: Event[[]], method: Callable[[], object]) -> None:
        self._event = weakref.ref(event)
        self._method = weakref.WeakMethod(method)  # type: ignore[arg-type]

    def __call__(self) -> None:
        bound = self._method()
        if bound is not None and not sip.isdeleted(bound.__self__):
            bound()
            return
        event = self._event()
        if event is not None:
            event.disconnect(self)  # the view is gone: stop listening
