"""A stack given to the session (set_params) is held whole: every number the panels read
equals the stack's own, for every layer and direction; an embedding feeds its rows; given
targets belong to their inputs."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import init_params
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_bptt import stack_bptt
from rnnviz.engine.stack_params import StackParams, init_stack
from rnnviz.session import InputError, Session


def fed_session(p: StackParams, inputs: np.ndarray, targets: np.ndarray) -> Session:
    s = Session()
    s.set_params(p, inputs, targets)
    s.seek(len(inputs))
    s.run_backward()
    return s


@pytest.mark.parametrize("cell", ["vanilla", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_every_layer_shows_the_stacks_own_numbers(cell: str, bidirectional: bool) -> None:
    rng = np.random.default_rng(4)
    p = init_stack(cell, 2, 5, 3, rng, num_layers=3, bidirectional=bidirectional)
    x, targets = rng.standard_normal((15, 2)), rng.standard_normal((15, 3))
    s = fed_session(p, x, targets)
    trace = stack_forward(p, x)
    want = stack_bptt(trace, targets)
    assert s.gradients.loss == pytest.approx(want.loss, rel=1e-13)
    np.testing.assert_allclose(s.depth_grad_norm, want.dL_dh_norm, rtol=1e-12, atol=1e-300)
    for k in range(3):
        for d in range(p.num_directions):
            s.set_focus(k, d)
            np.testing.assert_allclose(s.trace.h, trace.h(k, d), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(s.trace.y, trace.y, rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(
                s.gradients.dL_dh, want.layers[k][d].dL_dh, rtol=1e-12, atol=1e-300
            )
            key = f"rnn.weight_hh_l{k}" + ("_reverse" if d else "")
            np.testing.assert_allclose(
                s.gradients.grads["W_hh"], want.grads[key], rtol=1e-12, atol=1e-300
            )


def test_an_embedding_feeds_its_rows_and_class_targets_score_with_cross_entropy() -> None:
    rng = np.random.default_rng(5)
    p = init_stack("gru", 3, 4, 5, rng, vocab_size=5)
    tokens = rng.integers(0, 5, 8)
    classes = np.roll(tokens, 1)
    s = fed_session(p, tokens, classes)
    np.testing.assert_array_equal(s.sequence, p.embedding[tokens])
    assert s.loss == "xent" and s.depth == (1, 1)
    want = stack_bptt(stack_forward(p, tokens), classes, loss="xent")
    assert s.gradients.loss == pytest.approx(want.loss, rel=1e-13)


def test_an_embedding_without_token_ids_is_refused_in_words() -> None:
    p = init_stack("lstm", 2, 3, 1, np.random.default_rng(6), num_layers=2, vocab_size=4)
    s = Session()
    with pytest.raises(InputError, match="give the token ids to feed a 2-layer LSTM"):
        s.set_params(p)
    assert s.depth == (1, 1)


def test_a_one_layer_stack_is_held_as_params() -> None:
    single = init_params("gru", 1, 4, 1, np.random.default_rng(6))
    s = Session()
    s.set_params(StackParams.from_single(single))
    assert s.depth == (1, 1)
    for name, a in single.arrays().items():
        np.testing.assert_array_equal(s.params.arrays()[name], a)


def test_given_targets_belong_to_their_inputs_only() -> None:
    rng = np.random.default_rng(7)
    p = init_params("vanilla", 2, 4, 1, rng)
    x, targets = rng.standard_normal((6, 2)), rng.standard_normal((6, 1))
    s = Session()
    s.set_params(p, x, targets)
    np.testing.assert_array_equal(s.targets_for(4), targets[:4])
    s.set_sequence(rng.standard_normal((6, 2)))  # new inputs: the targets no longer apply
    assert not np.array_equal(s.targets_for(6), targets)
    with pytest.raises(InputError, match="targets need the inputs"):
        s.set_params(p, None, targets)
