"""Compute a verb away from the session, then commit it in one change.

A verb at the widgets' maxima replays thousands of steps of a wide network (a second or
more). ``steps`` runs the very same verb on a private copy of the session's state, in a
worker thread; ``swap_in`` puts the state it computed into the session on the GUI thread,
inside one of the session's verbs, so views get one ``changed`` with the right flags.

The copy shares the session's arrays and results: the session replaces them instead of
changing them in place, so reading them in another thread is safe. Only the steppers
(``RNN``) change in place; each is copied into buffers of its own.

A commit checks that the session is still in the state the computation began from (the
same objects): a step, an undo or another verb in between makes it stale, and it is not
applied, so a result is never put onto a state it was not computed from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psygnal import SignalInstance

from rnnviz.engine import RNN
from rnnviz.engine.params import GATES
from rnnviz.engine.progress import Steps

if TYPE_CHECKING:
    from rnnviz.session.session import Session

# Roughly nanoseconds of work (one multiply-add of a step ≈ 1 ns, plus the per-step cost
# of the Python loop); below this a verb runs at once, as it always did (≈ 50 ms).
INLINE_WORK = 50_000_000
_PER_STEP = 4_000  # a step's fixed cost in the same units (≈ 4 µs: 100,000 steps ≈ 0.4 s)
_SPECTRA = 3  # eigenvalues of an H × H block ≈ 3 H³ of these units (0.04 s at H = 256)

# Not part of what a verb computes: the session's signal and its count of emissions.
_NOT_STATE = frozenset({"changed", "_emitted"})


@dataclass(frozen=True, eq=False)
class Prepared:
    """A verb's outcome computed on a copy: the state it left, what the verb returned, and
    the state it began from (``base``: the objects, compared by identity)."""

    verb: str
    base: dict[str, object]
    state: dict[str, object]
    result: object


def _state(session: Session) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(session).items()
        if name not in _NOT_STATE and not isinstance(value, SignalInstance)
    }


def steps(
    session: Session, verb: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Steps[Prepared]:
    """``session.<verb>(*args, **kwargs)`` as a generator for a worker thread. The session
    is read now (its steppers copied); nothing it does while the generator runs reaches it.
    The verb's errors (InputError, ValueError) are raised by the generator."""
    return steps_from(session, verb, lambda: (args, kwargs))


def steps_from(
    session: Session,
    verb: str,
    arguments: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]],
) -> Steps[Prepared]:
    """As ``steps``, with the arguments computed in the worker too (e.g. read from a file)."""
    base = {name: getattr(session, name) for name in watched(session)}
    state = {
        name: value.copy() if isinstance(value, RNN) else value
        for name, value in _state(session).items()
    }
    cls = type(session)

    def run() -> Steps[Prepared]:
        yield 0, 1
        args, kwargs = arguments()
        twin = cls.__new__(cls)
        vars(twin).update(state)
        twin._emitted = 0
        result = getattr(twin, verb)(*args, **kwargs)
        return Prepared(verb, base, _state(twin), result)

    return run()


def watched(session: Session) -> list[str]:
    """What identifies the state a computation began from: everything a verb may change
    (the session's ``_STATE``), not the caches that reading it fills in."""
    from rnnviz.session.session import _STATE

    return [name for name in _STATE if hasattr(session, name)]


def is_current(session: Session, prepared: Prepared) -> bool:
    """Whether the session is still in the state ``prepared`` was computed from."""
    names = watched(session)
    return set(names) == set(prepared.base) and all(
        getattr(session, name) is prepared.base[name] for name in names
    )


def swap_in(session: Session, prepared: Prepared) -> bool:
    """Put the computed state into the session (call inside one of its verbs); False, and
    nothing changes, when it is stale."""
    if not is_current(session, prepared):
        return False
    for name, value in prepared.state.items():
        setattr(session, name, value)
    return True


def work(session: Session, verb: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """Roughly how long ``verb`` would take (≈ ns): the steps it replays or feeds × (gates ×
    H² + a step's fixed cost), plus the spectra of a network it draws or is given."""
    c = session.config
    hidden, gates, steps_ = c.hidden_size, GATES[c.cell], session.t
    spectra = 0
    if verb == "set_config":
        hidden = int(kwargs.get("hidden_size", hidden))  # type: ignore[call-overload]
        gates = GATES[str(kwargs.get("cell", c.cell))]
        spectra = 1
    elif verb == "feed_text":
        steps_ += len(str(args[0]))  # at most one step per character
    elif verb in ("restore", "set_params"):
        params = args[1] if verb == "restore" else args[0]
        hidden, gates, spectra = params.hidden_size, params.n_gates, 1
        if verb == "restore":
            steps_ = int(args[4])
    elif verb == "load_preset":
        steps_, spectra = c.sequence_length, 1  # a new sequence, maybe a new network
    return steps_ * (gates * hidden * hidden + _PER_STEP) + spectra * _SPECTRA * gates * hidden**3
