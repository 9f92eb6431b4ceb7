"""A verb computed on a copy of the session (``prepare``) and committed (``commit``) leaves the
session exactly as the verb itself would, with the same one change; a stale one changes
nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from rnnviz.engine import init_params
from rnnviz.engine.progress import run_to_end
from rnnviz.session import Change, InputError, Session, SessionConfig
from rnnviz.session.prepared import INLINE_WORK


def fed(config: SessionConfig, t: int) -> Session:
    s = Session(config)
    s.seek(t)
    return s


def imported() -> object:
    return init_params("gru", 1, 12, 1, np.random.default_rng(5))


VERBS: list[tuple[str, tuple, dict]] = [
    ("set_config", (), {"cell": "lstm", "activation": "tanh", "hidden_size": 12}),
    ("set_config", (), {"spectral_radius": 1.3}),
    ("set_config", (), {"encoding": "text"}),
    ("set_config", (), {"num_layers": 2, "bidirectional": True}),
    ("feed_text", ("0.5, -1, 2",), {}),
    ("load_preset", ("square",), {}),
    ("set_params", (imported(),), {}),
]


def assert_same_state(a: Session, b: Session) -> None:
    assert a.config == b.config and a.vocab == b.vocab and a.t == b.t
    assert a.source == b.source and a.selected == b.selected
    np.testing.assert_array_equal(a.sequence, b.sequence)
    for name, array in a.params.arrays().items():
        np.testing.assert_array_equal(array, b.params.arrays()[name])
    np.testing.assert_array_equal(a.trace.h_all, b.trace.h_all)
    np.testing.assert_array_equal(a.trace.y, b.trace.y)
    assert a.spectra == b.spectra


@pytest.mark.parametrize(("verb", "args", "kwargs"), VERBS)
def test_a_committed_verb_equals_the_verb_with_the_same_one_change(verb, args, kwargs) -> None:
    config = SessionConfig(hidden_size=10, sequence_length=30)
    direct, computed = fed(config, 17), fed(config, 17)
    direct_changes: list[Change] = []
    computed_changes: list[Change] = []
    direct.changed.connect(direct_changes.append)
    computed.changed.connect(computed_changes.append)

    expected = getattr(direct, verb)(*args, **kwargs)
    done = run_to_end(computed.prepare(verb, *args, **kwargs))
    assert computed_changes == []  # computing it changed nothing yet
    assert computed.commit(done)

    assert done.result == expected
    assert computed_changes == direct_changes and len(direct_changes) == 1
    assert_same_state(computed, direct)
    # The session goes on from the committed state as from the verb's.
    for s in (direct, computed):
        s.step_back()
        s.feed(s.sequence[0])
    assert_same_state(computed, direct)


def test_a_session_file_is_restored_as_by_restore() -> None:
    saved = fed(SessionConfig(cell="gru", hidden_size=9, sequence_length=40), 33)
    args = (saved.config, saved.params, saved.sequence, saved.vocab, 25, 7)
    direct, computed = Session(), Session()
    direct.restore(*args)
    assert computed.commit(run_to_end(computed.prepare("restore", *args)))
    assert_same_state(computed, direct)
    assert computed.t == 25 and computed.selected == 7


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_stack_is_fed_on_its_own_copy_and_committed(bidirectional: bool) -> None:
    config = SessionConfig(
        hidden_size=6, sequence_length=30, num_layers=3, bidirectional=bidirectional
    )
    direct, computed = fed(config, 12), fed(config, 12)
    pending = computed.prepare("feed_text", "0.5, 1, -2")
    computed.step_back()
    assert not computed.commit(run_to_end(pending))  # the copy's steps did not reach it
    assert computed.t == 11
    computed.step_forward()
    direct.feed_text("0.5, 1, -2")
    assert computed.commit(run_to_end(computed.prepare("feed_text", "0.5, 1, -2")))
    assert_same_state(computed, direct)
    np.testing.assert_array_equal(computed.stack_trace.y, direct.stack_trace.y)


def test_stepping_the_session_while_it_computes_makes_the_commit_stale() -> None:
    s = fed(SessionConfig(hidden_size=8), 5)
    for act in (s.step_back, s.step_forward, lambda: s.select(2), lambda: s.feed([1.0])):
        pending = s.prepare("set_config", cell="gru", activation="tanh")
        act()
        before = (s.config, s.params, s.trace, s.selected)
        changes: list[Change] = []
        s.changed.connect(changes.append)
        done = run_to_end(pending)
        assert not s.commit(done)
        assert changes == [] and (s.config, s.params, s.trace, s.selected) == before
        s.changed.disconnect(changes.append)


def test_the_copy_steps_apart_from_the_session_in_another_thread() -> None:
    """The worker's copy has its own stepper: the session stepping meanwhile (back, then a
    different input) does not change what the copy feeds, nor the copy the session."""
    s = fed(SessionConfig(hidden_size=8, sequence_length=50), 40)
    reference = fed(SessionConfig(hidden_size=8, sequence_length=50), 40)
    expected = reference.feed_text("1, 2, 3")
    pending = s.prepare("feed_text", "1, 2, 3")
    box: list[object] = []
    gate = threading.Event()

    def work() -> None:
        gate.wait(5)
        box.append(run_to_end(pending))

    thread = threading.Thread(target=work)
    thread.start()
    s.seek(10)
    s.feed([-7.0])  # overwrites step 11 of the history, in place
    gate.set()
    thread.join(10)
    done = box[0]
    assert done.result == expected
    h_all = done.state["_trace"].h_all  # type: ignore[union-attr]
    np.testing.assert_array_equal(h_all, reference.trace.h_all)
    assert s.t == 11 and s.trace.x[10, 0] == -7.0
    assert not s.commit(done)  # and it was computed from a state that is gone


def test_a_refused_verb_raises_from_the_computation_and_changes_nothing() -> None:
    s = fed(SessionConfig(hidden_size=8), 3)
    trace = s.trace
    with pytest.raises(InputError):
        run_to_end(s.prepare("feed_text", "1, x"))
    assert s.trace is trace


Work = Callable[[Session], int]


@pytest.mark.parametrize(
    ("name", "work", "inline"),
    [
        ("one step typed", lambda s: s.work("feed_text", "0.5"), True),
        ("the default network's settings", lambda s: s.work("set_config", cell="lstm"), True),
        ("LSTM at 5000 × 256", lambda s: s.work("set_config", cell="lstm", hidden_size=256), False),
        ("10,000 numbers at 256", lambda s: s.work("feed_text", ", ".join(["1"] * 10_000)), False),
        ("a refused setting", lambda s: s.work("set_config", hidden_size=-1), True),
    ],
)
def test_the_work_estimate_keeps_small_verbs_at_once(name: str, work: Work, inline: bool) -> None:
    s = Session(SessionConfig(hidden_size=256 if "256" in name else 8, sequence_length=5000))
    s.seek(5000 if "5000" in name else 20)
    assert (work(s) < INLINE_WORK) is inline
