"""Run a function once when a Qt object is destroyed, safe from the garbage collector.

PyQt keeps a slot that is not a QObject's bound method (a partial, a lambda) alive only
through the sender's Python wrapper. When the cycle collector frees a window's wrappers
before Qt deletes the window (a deferred delete), it clears such a slot (a partial's function
becomes NULL) while the C++ sender still lives; ``destroyed`` then calls the cleared object
and the process dies in ``partial_vectorcall``. This module keeps every handler reachable
until it has run, so the collector never sees it as garbage.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QObject

_PENDING: set[_Once] = set()


class _Once:
    """Calls ``fn()`` and lets go of itself; holds nothing that refers back to it."""

    def __init__(self, fn: Callable[[], object]) -> None:
        self.fn = fn

    def __call__(self, _destroyed: object = None) -> None:
        _PENDING.discard(self)
        self.fn()


def on_destroyed(obj: QObject, fn: Callable[[], object]) -> None:
    """Call ``fn()`` when ``obj``'s C++ object is destroyed. ``fn`` must not refer to
    ``obj``: it runs when ``obj`` is half gone."""
    handler = _Once(fn)
    _PENDING.add(handler)
    obj.destroyed.connect(handler)


def pending() -> int:
    """How many handlers wait for their object (for tests: none may leak)."""
    return len(_PENDING)
