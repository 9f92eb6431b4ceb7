"""The session's verbs against the engine: every number it stores is the engine's."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import bptt, forward, init_params, with_spectral_radius
from rnnviz.engine.stack import stack_forward
from rnnviz.session import Change, InputError, Session, SessionConfig


def expected_params(config: SessionConfig, output_size: int | None = None):
    p = init_params(
        config.cell,
        config.input_size,
        config.hidden_size,
        output_size or config.input_size,
        np.random.default_rng(config.seed),
        scheme=config.init,
        activation=config.activation,
        gate_bias=config.gate_bias,
        t_max=config.t_max,
    )
    return with_spectral_radius(p, config.spectral_radius)


def test_default_session_is_ready_to_step() -> None:
    s = Session()
    assert s.t == 0 and s.sequence.shape == (20, 1)
    assert s.step_forward()
    assert s.t == 1


def test_stepping_equals_the_engine_forward_pass() -> None:
    s = Session()
    for _ in range(7):
        s.step_forward()
    want = forward(expected_params(s.config), s.sequence[:7])
    np.testing.assert_allclose(s.trace.h, want.h, rtol=0, atol=1e-14)
    np.testing.assert_allclose(s.trace.y, want.y, rtol=0, atol=1e-14)


def test_backward_equals_the_engine_bptt_with_echo_targets() -> None:
    s = Session(SessionConfig(target_lag=2, loss_at="last", clip=0.5))
    s.seek(9)
    result = s.run_backward()
    x = s.sequence[:9]
    targets = np.zeros_like(x)
    targets[2:] = x[:7]
    want = bptt(forward(expected_params(s.config), x), targets, loss_at="last", clip=0.5)
    np.testing.assert_allclose(result.dL_dh_norm, want.dL_dh_norm, rtol=1e-12)
    assert result.loss == pytest.approx(want.loss, rel=1e-12)


def test_step_back_and_seek_move_through_history() -> None:
    s = Session()
    s.seek(5)
    h5 = s.trace.h[-1].copy()
    s.step_forward()
    assert s.step_back()
    np.testing.assert_array_equal(s.trace.h[-1], h5)
    s.reset()
    assert s.t == 0 and not s.step_back()


def test_feeding_typed_numbers_overwrites_the_future() -> None:
    s = Session()
    s.seek(3)
    assert s.feed_text("0.5, -1") == 2
    assert s.t == 5 and s.sequence.shape == (5, 1)
    np.testing.assert_array_equal(s.sequence[3:, 0], [0.5, -1.0])


def test_bad_input_feeds_nothing_and_keeps_the_state() -> None:
    s = Session()
    s.seek(4)
    before = s.sequence.copy(), s.trace.h.copy()
    with pytest.raises(InputError, match="'abc' is not a number"):
        s.feed_text("1, abc")
    assert s.t == 4
    np.testing.assert_array_equal(s.sequence, before[0])
    np.testing.assert_array_equal(s.trace.h, before[1])


def test_text_is_one_hot_over_its_vocabulary_with_cross_entropy() -> None:
    s = Session()
    s.load_preset("hello world")
    assert s.vocab == " dehlorw" and s.config.loss == "xent"
    assert s.params.input_size == 8 and s.params.output_size == 8
    s.seek(3)
    np.testing.assert_array_equal(s.targets, [s.vocab.index(c) for c in "hel"])
    assert s.run_backward().loss > 0
    with pytest.raises(InputError, match="not in the vocabulary"):
        s.feed_text("xyz")


def test_spectral_radius_rescales_the_same_matrix() -> None:
    s = Session()
    W = s.params.W_hh.copy()
    s.set_config(spectral_radius=1.5)
    assert s.spectra.rho == pytest.approx(1.5, rel=1e-12)
    np.testing.assert_allclose(s.params.W_hh, W * (1.5 / 0.9), rtol=1e-12)


def test_changing_the_network_keeps_the_fed_inputs() -> None:
    s = Session()
    s.seek(6)
    s.set_config(cell="gru", hidden_size=5)
    assert s.t == 6 and s.trace.h.shape == (6, 5)
    want = forward(expected_params(s.config), s.sequence[:6])
    np.testing.assert_allclose(s.trace.h, want.h, atol=1e-14)


def test_rejected_settings_change_nothing() -> None:
    s = Session()
    before = s.config
    with pytest.raises(ValueError, match="at least 1"):
        s.set_config(hidden_size=0)
    with pytest.raises(ValueError, match="tanh"):
        s.set_config(cell="lstm", activation="relu")
    assert s.config == before


def test_the_change_tells_views_what_changed() -> None:
    s = Session()
    seen: list[Change] = []
    s.changed.connect(seen.append)
    s.step_forward()
    s.run_backward()
    s.step_forward()  # new step: the old gradients no longer describe the sequence
    s.select(1)
    assert seen == [
        Change.STEPS,
        Change.GRADIENTS,
        Change.STEPS | Change.GRADIENTS,
        Change.SELECTION,
    ]
    assert s.gradients is None and s.selected_step == 1


def test_reach_curves_are_powers_scaled_to_the_last_step() -> None:
    s = Session(SessionConfig(activation="linear", spectral_radius=0.8, loss_at="last"))
    s.seek(10)
    g = s.run_backward()
    reach = s.reach
    assert reach is not None and not reach.separate
    np.testing.assert_array_equal(reach.last, g.dL_dh_norm)  # the same pass: no second one
    k = np.arange(9, -1, -1)
    last = g.dL_dh_norm[-1]
    np.testing.assert_allclose(reach.rate, last * 0.8**k, rtol=1e-12)
    np.testing.assert_allclose(reach.bound, last * s.spectra.sigma_max**k, rtol=1e-12)


@pytest.mark.parametrize(
    ("rho", "regime"), [(0.5, "vanishing"), (1.0, "near the edge"), (1.5, "exploding")]
)
def test_regime_badge_follows_the_measured_decay(rho: float, regime: str) -> None:
    # An orthogonal W_hh with zero inputs keeps a linear RNN at exactly ρ per step.
    s = Session(SessionConfig(activation="linear", spectral_radius=rho, init="orthogonal"))
    s.set_sequence(np.zeros(30))
    s.seek(30)
    s.run_backward()
    assert s.regime.name == regime
    assert s.regime.rate == pytest.approx(rho, rel=1e-9)


def test_exploding_forward_is_reported_not_raised() -> None:
    s = Session(SessionConfig(activation="linear", spectral_radius=3.0, init="orthogonal"))
    s.set_sequence(np.ones(800))
    s.seek(800)
    assert s.trace.exploded_at is not None
    g = s.run_backward()
    assert g.exploded_in == "forward" and s.regime.name == "exploding"
    assert np.isfinite(s.trace.h).all() and np.isfinite(g.dL_dh_norm).all()


@pytest.mark.parametrize("num_layers", [1, 3])
def test_what_a_view_was_shown_stays_after_a_step_back_and_another_input(num_layers: int) -> None:
    """Views keep the traces they drew and compare them with the next: a trace handed out
    is never changed, though the next steps write into the same history."""
    s = Session(SessionConfig(hidden_size=8, num_layers=num_layers, sequence_length=30))
    s.seek(20)
    shown, stack_shown = s.trace, s.stack_trace
    then = [a.copy() for a in (shown.h_all, shown.y, stack_shown.y, stack_shown.top)]
    s.step_back()
    s.feed(np.array([9.0]))  # another input at step 20
    s.set_sequence(-s.sequence)  # and all the steps again with other inputs
    s.seek(20)
    for now, was in zip((shown.h_all, shown.y, stack_shown.y, stack_shown.top), then, strict=True):
        np.testing.assert_array_equal(now, was)
    assert not np.allclose(s.trace.h[19], then[0][20])  # the history did change
    want = stack_forward(s.stack_params, s.sequence[:20])
    np.testing.assert_allclose(s.stack_trace.y, want.y, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("num_layers", [1, 3])
def test_stepping_and_seeking_show_the_same_numbers(num_layers: int) -> None:
    stepped = Session(SessionConfig(hidden_size=8, num_layers=num_layers, sequence_length=30))
    sought = Session(SessionConfig(hidden_size=8, num_layers=num_layers, sequence_length=30))
    for _ in range(30):
        stepped.step_forward()
    sought.seek(30)
    a, b = stepped.stack_trace, sought.stack_trace
    np.testing.assert_allclose(a.y, b.y, rtol=1e-12, atol=1e-15)
    for k in range(num_layers):
        np.testing.assert_allclose(a.h(k), b.h(k), rtol=1e-12, atol=1e-15)
    assert a.exploded_at is b.exploded_at is None


@pytest.mark.parametrize(("text", "width"), [(",", 1), (" ; ,", 1), (";", 2), ("\n;\n", 3)])
def test_typing_only_separators_feeds_nothing(text: str, width: int) -> None:
    s = Session(SessionConfig(input_size=width) if width > 1 else None)
    s.seek(3)
    sequence = s.sequence.copy()
    with pytest.raises(InputError, match="type a number"):
        s.feed_text(text)
    assert s.t == 3
    np.testing.assert_array_equal(s.sequence, sequence)
