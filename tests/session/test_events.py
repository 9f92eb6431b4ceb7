"""The observer: order, weak references to methods, disconnect."""

from __future__ import annotations

import gc

import pytest

from rnnviz.session.events import Event


class Listener:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def on(self) -> None:
        self.log.append(self.name)


def test_callbacks_run_in_connection_order() -> None:
    log: list[str] = []
    event: Event[[]] = Event("e")
    a, b = Listener(log, "a"), Listener(log, "b")
    event.connect(a.on)
    event.connect(lambda: log.append("f"))
    event.connect(b.on)
    event.emit()
    assert log == ["a", "f", "b"]


def test_a_dead_listener_is_dropped_not_called() -> None:
    log: list[str] = []
    event: Event[[]] = Event("e")
    listener = Listener(log, "a")
    event.connect(listener.on)
    assert len(event) == 1
    del listener
    gc.collect()
    event.emit()
    assert log == [] and len(event) == 0


def test_disconnect() -> None:
    log: list[str] = []
    event: Event[[]] = Event("e")
    a = Listener(log, "a")
    event.connect(a.on)
    event.disconnect(a.on)
    event.emit()
    assert log == []
    with pytest.raises(ValueError, match="not connected"):
        event.disconnect(a.on)
