"""How a view listens: one handler per signal (the session's, the lab's, the appearance's),
which reads the flags a change carries and redraws what they say, once."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from psygnal import Signal, SignalInstance
from PyQt6 import sip


def listen(signal: SignalInstance, method: Callable[..., object]) -> None:
    """Connect a view's bound method to ``signal``; it is called with what the signal carries.

    The method is held weakly, as psygnal holds bound methods: the session does not keep the
    view alive. What this adds to ``signal.connect``: a view whose Qt object is already
    deleted while Python still refers to it (a closed panel that a window attribute, a test
    or a reference cycle keeps) is skipped and disconnected. Its child widgets are gone, and
    drawing on them would raise "wrapped C/C++ object … has been deleted".

    The callback refers to nothing that refers back to it (the view only weakly, the signal
    not at all): a cycle through the session would leave whole windows to the garbage
    collector, which tears Qt wrappers apart in any order, even while their C++ objects live.
    """
    view_method = weakref.WeakMethod(method)  # type: ignore[arg-type]

    def call(*args: Any) -> None:
        bound = view_method()
        if bound is not None and not sip.isdeleted(bound.__self__):
            bound(*args)
            return
        emitter = Signal.current_emitter()
        if emitter is not None:
            emitter.disconnect(call)  # the view is gone: stop listening

    signal.connect(call)
