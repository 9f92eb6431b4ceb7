"""The steppers' history: a step costs one cell step a layer (no copy, no scan of the steps
before it), the traces they hand out never change afterwards, and an overflow is tracked a
step at a time with the same report as the forward pass."""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.engine import RNN, ForwardTrace, forward, init_params, numerics
from rnnviz.engine.stack import StackTrace, stack_forward
from rnnviz.engine.stack_params import init_stack
from rnnviz.engine.stack_stepper import StackRNN

# A scalar input into 16 units: forward folds it into the recurrent product (fold_width),
# while a single step projects it. Three inputs into 4 units: both project.
SIZES = [(1, 16, 2), (3, 4, 2)]
CELLS = ["vanilla", "lstm", "gru"]


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _stepper(kind: str, cell: str, sizes: tuple[int, int, int]) -> RNN | StackRNN:
    I, H, O = sizes
    if kind == "rnn":
        return RNN(init_params(cell, I, H, O, _rng(kind, cell, sizes)))
    return StackRNN(init_stack(cell, I, H, O, _rng(kind, cell, sizes), num_layers=3))


def _arrays(trace: object) -> list[np.ndarray]:
    """Every array a trace holds (a stack's: its own and its layers')."""
    if isinstance(trace, StackTrace):
        own = [trace.x, trace.y, *trace.outputs]
        return own + [a for (layer,) in trace.layers for a in _arrays(layer)]
    found = [trace.x, trace.h_all, trace.cache, trace.y]
    return found + ([] if trace.c_all is None else [trace.c_all])


def _reference(stepper: RNN | StackRNN, xs: np.ndarray) -> object:
    if isinstance(stepper, RNN):
        return forward(stepper.params, xs)
    return stack_forward(stepper.params, xs)


# The user's verbs on a stepper: a step with one of three inputs (few, so that a step back
# then the same input again happens often), several steps at once, a step back, a rewind.
VERBS = st.lists(
    st.one_of(
        st.tuples(st.just("step"), st.integers(0, 2)),
        st.tuples(st.just("run"), st.integers(1, 20)),
        st.tuples(st.just("back"), st.just(0)),
        st.tuples(st.just("rewind"), st.integers(0, 40)),
    ),
    min_size=1,
    max_size=40,
)


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("kind", ["rnn", "stack"])
@settings(max_examples=25, deadline=None)
@given(verbs=VERBS)
def test_a_trace_handed_out_never_changes_and_the_last_is_the_forward_pass(
    kind: str, cell: str, sizes: tuple[int, int, int], verbs: list[tuple[str, int]]
) -> None:
    stepper = _stepper(kind, cell, sizes)
    pool = _rng("inputs", sizes).standard_normal((3, sizes[0]))  # (3, I)
    fed: list[np.ndarray] = []  # the inputs of the steps taken, as the user sees them
    held = []  # every trace handed out, with a copy of its arrays then
    for verb, n in verbs:
        if verb == "step":
            stepper.step(pool[n])
            fed.append(pool[n])
        elif verb == "run":
            xs = pool[np.arange(len(fed), len(fed) + n) % 3]  # (n, I)
            stepper.run(xs)
            fed.extend(xs)
        elif verb == "back":
            stepper.step_back()
            del fed[-1:]
        else:
            stepper.rewind(n)
            del fed[n:]
        assert stepper.t == len(fed)
        trace = stepper.trace()
        held.append((trace, [a.copy() for a in _arrays(trace)]))
    for trace, then in held:
        for now, was in zip(_arrays(trace), then, strict=True):
            np.testing.assert_array_equal(now, was)
    if fed:
        want = _reference(stepper, np.array(fed))
        np.testing.assert_allclose(trace.y, want.y, rtol=1e-12, atol=1e-14)
        for got, exact in zip(_arrays(trace), _arrays(want), strict=True):
            np.testing.assert_allclose(got, exact, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["rnn", "stack"])
def test_a_trace_is_read_only(kind: str) -> None:
    stepper = _stepper(kind, "lstm", (1, 16, 2))
    stepper.run(np.ones((5, 1)))
    for a in _arrays(stepper.trace()):
        with pytest.raises(ValueError, match="read-only"):
            a[...] = 0.0


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("kind", ["rnn", "stack"])
def test_a_step_scans_its_own_rows_only_and_copies_no_history(
    kind: str, cell: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a step costs does not grow with the steps before it: the overflow check reads
    the new rows, and the trace views the history (a copy only when a buffer doubles)."""
    scanned: list[int] = []
    scan = numerics.first_bad_row

    def counted(a: np.ndarray) -> int | None:
        scanned.append(a.shape[0])
        return scan(a)

    for module in ("single_forward", "stack", "stack_stepper"):
        monkeypatch.setattr(f"rnnviz.engine.{module}.first_bad_row", counted, raising=False)
    stepper = _stepper(kind, cell, (1, 16, 2))
    xs = _rng("steps").standard_normal((300, 1))  # (300, I)
    stepper.run(xs[:100])
    scanned.clear()
    before, moved = stepper.trace(), 0
    for x in xs[100:]:
        stepper.step(x)
        trace = stepper.trace()
        moved += not np.shares_memory(trace.y, before.y)
        before = trace
    assert max(scanned, default=0) <= 1
    assert moved == 2  # the buffers double twice: 128 → 256 → 512 steps


@pytest.mark.parametrize("kind", ["rnn", "stack"])
def test_a_step_back_then_the_same_input_rewrites_nothing(kind: str) -> None:
    stepper = _stepper(kind, "gru", (1, 16, 2))
    xs = _rng("again").standard_normal((40, 1))  # (40, I)
    stepper.run(xs)
    first = stepper.trace()
    stepper.rewind(30)
    stepper.run(xs[30:35])
    stepper.step_back()
    for x in xs[34:]:
        stepper.step(x)
    again = stepper.trace()
    for a, b in zip(_arrays(again), _arrays(first), strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.size == 0 or np.shares_memory(a, b)  # the same rows, not a copy of them
    stepper.step_back()
    stepper.step(-xs[-1])  # another input: written elsewhere, the earlier traces stay
    assert not np.shares_memory(stepper.trace().y, first.y)
    np.testing.assert_array_equal(first.y, again.y)


def _overflowing(kind: str) -> tuple[RNN | StackRNN, np.ndarray]:
    """A linear network fed inf at step 6: its state is not finite from there on."""
    if kind == "rnn":
        p = init_params("vanilla", 1, 4, 1, _rng("decay"), activation="linear", gain=0.5)
        stepper: RNN | StackRNN = RNN(p)
    else:
        sp = init_stack("vanilla", 1, 4, 1, _rng("decay"), num_layers=2, activation="linear")
        stepper = StackRNN(sp)
    xs = np.ones((12, 1))  # (12, 1)
    xs[5] = np.inf
    return stepper, xs


@pytest.mark.parametrize("kind", ["rnn", "stack"])
def test_an_overflow_is_reported_as_forward_reports_it_until_it_is_undone(kind: str) -> None:
    stepper, xs = _overflowing(kind)
    for x in xs:
        stepper.step(x)
    trace, want = stepper.trace(), _reference(stepper, xs)
    assert trace.exploded_at == want.exploded_at == 6
    np.testing.assert_allclose(trace.y, want.y, rtol=1e-12, atol=1e-15)
    assert not trace.y[5:].any()  # blanked from step 6 on
    first = trace if isinstance(trace, ForwardTrace) else trace.layers[0][0]
    assert first.exploded_at == 6 and not first.h[5:].any()  # blanked
    if isinstance(stepper, RNN):
        assert not np.isfinite(stepper.h).all()  # the history keeps the real values
    stepper.rewind(5)
    assert stepper.trace().exploded_at is None
    stepper.run(xs[5:])  # the same steps again: the same overflow
    assert stepper.trace().exploded_at == 6
    stepper.rewind(5)
    calm = np.ones((7, 1))  # (7, 1)
    for x in calm:
        stepper.step(x)  # steps 6 … 12 again, finite this time
    trace = stepper.trace()
    assert trace.exploded_at is None and np.isfinite(trace.y).all()
    np.testing.assert_allclose(trace.y, _reference(stepper, np.ones((12, 1))).y, rtol=1e-12)
    # Views of the history again, not blanked copies: the overflow is forgotten.
    stepper.step(np.ones(1))
    assert np.shares_memory(stepper.trace().y, trace.y)


def test_a_readout_overflow_alone_is_reported_as_the_stack_reports_it() -> None:
    """Huge readout weights: y overflows while every state is finite; the layers' traces
    keep their rows, the stack's y is blanked from that step on (as stack_forward)."""
    sp = init_stack("vanilla", 1, 4, 1, _rng("readout"), num_layers=2, activation="linear")
    sp = dataclasses.replace(sp, W_hy=np.full_like(sp.W_hy, 1e300))
    xs = np.ones((20, 1))  # (20, 1)
    xs[7] = 1e20  # the states stay finite, the readout overflows
    stepper = StackRNN(sp)
    for x in xs:
        stepper.step(x)
    trace, want = stepper.trace(), stack_forward(sp, xs)
    assert trace.exploded_at == want.exploded_at == 8
    np.testing.assert_array_equal(trace.y[7:], 0.0)
    np.testing.assert_allclose(trace.y, want.y, rtol=1e-12)
    for (got,), (exact,) in zip(trace.layers, want.layers, strict=True):
        assert got.exploded_at is None and np.isfinite(got.h).all()
        np.testing.assert_allclose(got.h, exact.h, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["rnn", "stack"])
def test_a_copy_and_its_original_write_apart(kind: str) -> None:
    stepper = _stepper(kind, "lstm", (1, 16, 2))
    xs = _rng("twins").standard_normal((30, 1))  # (30, I)
    stepper.run(xs[:20])
    twin = stepper.copy()
    stepper.rewind(10)
    stepper.run(-xs[10:20])
    twin.step_back()
    twin.step(-xs[19])
    want_twin = _reference(twin, np.concatenate([xs[:19], -xs[19:20]]))
    want = _reference(stepper, np.concatenate([xs[:10], -xs[10:20]]))
    np.testing.assert_allclose(twin.trace().y, want_twin.y, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(stepper.trace().y, want.y, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["rnn", "stack"])
def test_huge_finite_outputs_are_not_an_overflow(kind: str) -> None:
    """Outputs of 1e308 are finite though their sum is not: the cheap check of a step's row
    (its sum) looks at the values before it takes the step for an overflow (whose traces are
    blanked copies, not views of the history)."""
    stepper = _stepper(kind, "gru", (1, 16, 2))
    huge = {"W_hy": np.zeros_like(stepper.params.W_hy), "b_y": np.full(2, 1e308)}
    if isinstance(stepper, RNN):
        stepper = RNN(stepper.params.with_arrays(**huge))
    else:
        stepper = StackRNN(dataclasses.replace(stepper.params, **huge))
    xs = _rng("huge").standard_normal((6, 1))  # (6, 1)
    for x in xs:
        stepper.step(x)
    trace = stepper.trace()
    assert trace.exploded_at is _reference(stepper, xs).exploded_at is None
    np.testing.assert_array_equal(trace.y, 1e308)
    stepper.step(xs[0])
    assert np.shares_memory(stepper.trace().y, trace.y)
