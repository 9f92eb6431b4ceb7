"""One verb, one notification: every verb of the session and the lab emits ``changed`` once,
saying what it changed, and not at all when it changed nothing."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from rnnviz.engine.gradcheck import GradCheck
from rnnviz.engine.jacobian_map import JacobianMap
from rnnviz.engine.train import TrainConfig
from rnnviz.session import Change, InputError, Session, SessionConfig
from rnnviz.session.lab import Lab, LabChange, SweepResult

S, Q, C, G = Change.STEPS, Change.SEQUENCE, Change.CONFIG, Change.GRADIENTS
SEL, SW = Change.SELECTION, Change.SWEEP
CLEARED = G | SW  # a step or a new network drops the backward pass and its animation


def busy() -> Session:
    """Five steps fed, a backward pass half animated, step 2 selected: a verb has
    something of every kind to change."""
    s = Session()
    s.seek(5)
    s.run_backward()
    s.set_sweep(3)
    s.select(2)
    return s


def other() -> Session:
    return Session(SessionConfig(hidden_size=5, preset="square"))


def record(signal) -> list:
    seen: list = []
    signal.connect(seen.append)
    return seen


VERBS: dict[str, tuple[Callable[[Session], object], Change]] = {
    "feed": (lambda s: s.feed(np.array([0.5])), S | Q | CLEARED),
    "feed_text": (lambda s: s.feed_text("0.5, 1"), S | Q | CLEARED),
    "step_forward": (lambda s: s.step_forward(), S | CLEARED),
    "step_back": (lambda s: s.step_back(), S | CLEARED),
    "seek": (lambda s: s.seek(2), S | CLEARED),
    "reset": (lambda s: s.reset(), S | CLEARED | SEL),
    "set_sequence numbers": (lambda s: s.set_sequence([1.0, 2.0]), S | Q | CLEARED | SEL),
    "set_sequence text": (lambda s: s.set_sequence("abc"), S | Q | C | CLEARED | SEL),
    "load_preset": (lambda s: s.load_preset("square"), S | Q | C | CLEARED | SEL),
    "set_config ρ": (lambda s: s.set_config(spectral_radius=0.5), S | C | CLEARED),
    "set_config length": (lambda s: s.set_config(sequence_length=30), S | Q | C | CLEARED),
    "set_config text": (lambda s: s.set_config(encoding="text"), S | Q | C | CLEARED),
    "set_params": (lambda s: s.set_params(other().params), S | C | CLEARED),
    "restore": (
        lambda s: s.restore((o := other()).config, o.params, o.sequence, o.vocab, 4, 1),
        S | Q | C | CLEARED | SEL,
    ),
    "run_backward": (lambda s: s.run_backward(), G | SW),
    "set_sweep": (lambda s: s.set_sweep(1), SW),
    "select": (lambda s: s.select(4), SEL),
}


@pytest.mark.parametrize("verb", VERBS)
def test_a_verb_emits_once_what_it_changed(verb: str) -> None:
    s = busy()
    seen = record(s.changed)
    act, changes = VERBS[verb]
    act(s)
    assert seen == [changes]


UNCHANGED: dict[str, Callable[[Session], object]] = {
    "the same setting": lambda s: s.set_config(spectral_radius=s.config.spectral_radius),
    "the same selection": lambda s: s.select(2),
    "the same sweep step": lambda s: s.set_sweep(3),
    "the step already fed": lambda s: s.seek(5),
    "select a step not fed": lambda s: s.select(99),
}


@pytest.mark.parametrize("verb", UNCHANGED)
def test_a_verb_that_changes_nothing_emits_nothing(verb: str) -> None:
    s = busy()
    seen = record(s.changed)
    UNCHANGED[verb](s)
    assert seen == []


def test_nothing_to_do_emits_nothing() -> None:
    s = Session()
    seen = record(s.changed)
    assert s.run_backward() is None and not s.step_back()
    s.reset()
    s.seek(s.sequence.shape[0])
    seen.clear()
    assert not s.step_forward()
    assert seen == []


def test_a_rejected_verb_emits_nothing() -> None:
    s = busy()
    seen = record(s.changed)
    with pytest.raises(ValueError, match="at least 1"):
        s.set_config(hidden_size=0)
    with pytest.raises(InputError):
        s.feed(np.array([1.0, 2.0]))
    assert seen == []


def sweep_result() -> SweepResult:
    return SweepResult(np.array([0.5, 1.0]), np.zeros((2, 3)), np.ones((2, 3), dtype=bool))


LAB_VERBS: dict[str, tuple[Callable[[Lab], object], LabChange]] = {
    "compare": (lambda lab: lab.compare(), LabChange.COMPARISON),
    "set_sweep": (lambda lab: lab.set_sweep(sweep_result()), LabChange.SWEEP),
    "set_jacobian_map": (
        lambda lab: lab.set_jacobian_map(JacobianMap(np.eye(3), 3)),
        LabChange.JACOBIANS,
    ),
    "training_steps": (
        lambda lab: lab.training_steps(lab.make_task("delay", 6, 2), TrainConfig(epochs=1)),
        LabChange.TRAINING,
    ),
    "set_training": (lambda lab: lab.set_training(None), LabChange.TRAINING),
    "set_gradcheck": (
        lambda lab: lab.set_gradcheck(GradCheck({}, 1)),
        LabChange.GRADCHECK,
    ),
}


@pytest.fixture
def lab() -> Lab:
    """A lab holding a result of every kind, on a session with three steps fed."""
    lab = Lab(Session())
    lab.session.seek(3)
    lab.compare()
    lab.set_sweep(sweep_result())
    lab.set_jacobian_map(JacobianMap(np.ones((3, 3)), 3))
    lab.set_gradcheck(GradCheck({}, 1))
    for report in lab.training_steps(lab.make_task("delay", 6, 2), TrainConfig(epochs=1)):
        lab.record_epoch(report)
    return lab


@pytest.mark.parametrize("verb", LAB_VERBS)
def test_a_lab_verb_emits_once_what_it_changed(lab: Lab, verb: str) -> None:
    seen = record(lab.changed)
    act, changes = LAB_VERBS[verb]
    act(lab)
    assert seen == [changes]


def test_storing_the_same_result_emits_nothing(lab: Lab) -> None:
    seen = record(lab.changed)
    lab.set_sweep(lab.sweep)
    lab.set_training(lab.training)
    assert seen == []


def test_a_new_network_drops_the_labs_results_in_one_change(lab: Lab) -> None:
    seen = record(lab.changed)
    lab.session.set_config(spectral_radius=0.5)
    stale = LabChange.COMPARISON | LabChange.SWEEP | LabChange.JACOBIANS | LabChange.GRADCHECK
    assert seen == [stale]  # the training history is not of the session's network
    assert lab.training is not None and lab.comparison is None
    lab.session.select(1)  # the same network and inputs: nothing to drop
    lab.session.step_forward()  # new steps, but the results are gone already
    assert seen == [stale]


def test_a_dead_listener_is_dropped() -> None:
    """psygnal holds bound methods weakly, as the hand-written observer did."""

    class View:
        def on(self, changes: Change) -> None:
            raise AssertionError("a collected view is never called")

    s = Session()
    view = View()
    s.changed.connect(view.on)
    assert len(s.changed) == 1
    del view
    s.step_forward()
    assert len(s.changed) == 0
