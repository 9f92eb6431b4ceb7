"""Compute a verb away from the session, then commit it in one change.

A verb at the widgets' maxima replays thousands of steps of a wide network (a second or
more). ``steps`` runs the very same verb on a private copy of the session's state, in a
worker thread; ``swap_in`` puts the state it computed into the session on the GUI thread,
inside one of the session's verbs, so views get one ``changed`` with the right flags.

The copy shares the session's arrays and results: the session replaces them instead of
changing them in place, so reading them in another thread is safe. Only the steppers
(``RNN``, ``StackRNN``) change in place; each is copied (an ``RNN`` shares its buffers
with its copy until one of them steps, so a verb that replaces it copies nothing).

A commit checks that the session is still in the state the computation began from (the
same objects): a step, an undo or another verb in between makes it stale, and it is not
applied, so a result is never put onto a state it was not computed from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psygnal import SignalInstance

from rnnviz.engine import RNN
from rnnviz.engine.progress import Steps
from rnnviz.engine.stack_stepper import StackRNN

# Roughly nanoseconds of work (``Session.work``); below this a verb runs at once, as it
# always did (≈ 50 ms).
INLINE_WORK = 50_000_000

# What changes in place (the rest is replaced): copied for the worker.
_STEPPERS = (RNN, StackRNN)

# Not part of what a verb computes: the session's signal and its count of emissions.
_NOT_STATE = frozenset({"changed", "_emitted"})


@dataclass(frozen=True, eq=False)
class Prepared:
    """A verb's outcome computed on a copy: the state it left, what the verb returned, and
    the state it began from (``base``: the objects, compared by identity)."""

    base: dict[str, object]
    state: dict[str, object]
    result: object


def _state(session: object) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(session).items()
        if name not in _NOT_STATE and not isinstance(value, SignalInstance)
    }


def steps(
    session: object,
    watched: Iterable[str],
    verb: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Steps[Prepared]:
    """``session.<verb>(*args, **kwargs)`` as a generator for a worker thread. The session
    is read now (its steppers copied); nothing it does while the generator runs reaches it.
    ``watched``: what identifies the state it begins from (what a verb may change, not the
    caches that reading the session fills in). The verb's errors are the generator's."""
    base = {name: getattr(session, name) for name in watched if hasattr(session, name)}
    state = {
        name: value.copy() if isinstance(value, _STEPPERS) else value
        for name, value in _state(session).items()
    }
    cls = type(session)

    def run() -> Steps[Prepared]:
        yield 0, 1
        twin = cls.__new__(cls)
        vars(twin).update(state)
        twin._emitted = 0
        result = getattr(twin, verb)(*args, **kwargs)
        return Prepared(base, _state(twin), result)

    return run()


def is_current(session: object, prepared: Prepared) -> bool:
    """Whether the session is still in the state ``prepared`` was computed from."""
    return all(getattr(session, name, None) is was for name, was in prepared.base.items())


def swap_in(session: object, prepared: Prepared) -> bool:
    """Put the computed state into the session (call inside one of its verbs); False, and
    nothing changes, when it is stale."""
    if not is_current(session, prepared):
        return False
    for name, value in prepared.state.items():
        setattr(session, name, value)
    return True
