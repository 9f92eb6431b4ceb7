"""A tiny typed observer: the session's only way of telling views that something changed."""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Event(Generic[P]):
    """``connect`` a callback; ``emit`` calls every live callback in the order they connected.

    Bound methods are held weakly (like psygnal and Qt): a view listening to the session does
    not keep itself alive through the session, so views are freed when their window closes
    rather than whenever the garbage collector happens to run. Plain functions are held.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callable[[], Callable[P, object] | None]] = []

    def connect(self, callback: Callable[P, object]) -> Callable[P, object]:
        if inspect.ismethod(callback):
            self._callbacks.append(weakref.WeakMethod(callback))
        else:
            self._callbacks.append(lambda cb=callback: cb)
        return callback

    def disconnect(self, callback: Callable[P, object]) -> None:
        for ref in self._callbacks:
            if ref() == callback:
                self._callbacks.remove(ref)
                return
        raise ValueError(f"{callback!r} is not connected to {self.name}")

    def emit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for ref in list(self._callbacks):
            callback = ref()
            if callback is None:
                self._callbacks.remove(ref)  # its owner is gone
            else:
                callback(*args, **kwargs)

    def __len__(self) -> int:
        return sum(ref() is not None for ref in self._callbacks)

    def __repr__(self) -> str:
        return f"Event({self.name!r}, {len(self)} listeners)"
