"""What the window shows of a stack: its top layer, fed the outputs of the layer below, with
every number it computes equal to the stack's own; the session's given targets."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import init_params
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_bptt import stack_bptt
from rnnviz.engine.stack_params import StackParams, init_stack
from rnnviz.session import InputError, Session
from rnnviz.session.stack_view import WHOLE, window_view


def fed_session(view, targets) -> Session:
    s = Session()
    s.set_params(view.params, view.inputs, targets)
    s.seek(view.inputs.shape[0])
    s.run_backward()
    return s


@pytest.mark.parametrize("cell", ["vanilla", "lstm", "gru"])
def test_the_top_layer_view_computes_the_stacks_own_numbers(cell: str) -> None:
    rng = np.random.default_rng(4)
    p = init_stack(cell, 2, 5, 3, rng, num_layers=3, spectral_radius=1.1)
    x, targets = rng.standard_normal((15, 2)), rng.standard_normal((15, 3))
    view = window_view(p, x)
    assert view.shows == "layer 3 of 3 (the top); its inputs are the outputs of layer 2"
    s = fed_session(view, targets)
    trace = stack_forward(p, x)
    want = stack_bptt(trace, targets)
    np.testing.assert_allclose(s.trace.h, trace.h(2), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(s.trace.y, trace.y, rtol=1e-13, atol=1e-15)
    assert s.gradients.loss == pytest.approx(want.loss, rel=1e-13)
    np.testing.assert_allclose(s.gradients.dL_dh, want.layers[2][0].dL_dh, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(
        s.gradients.grads["W_hh"], want.grads["rnn.weight_hh_l2"], rtol=1e-12, atol=1e-300
    )


def test_an_embedding_feeds_its_rows_and_class_targets_score_with_cross_entropy() -> None:
    rng = np.random.default_rng(5)
    p = init_stack("gru", 3, 4, 5, rng, vocab_size=5)
    tokens = rng.integers(0, 5, 8)
    classes = np.roll(tokens, 1)
    view = window_view(p, tokens)
    assert view.shows == f"{WHOLE}; its inputs are the tokens' embedding rows"
    np.testing.assert_array_equal(view.inputs, p.embedding[tokens])
    s = fed_session(view, classes)
    assert s.loss == "xent"
    want = stack_bptt(stack_forward(p, tokens), classes, loss="xent")
    assert s.gradients.loss == pytest.approx(want.loss, rel=1e-13)


def test_bidirectional_stacks_and_missing_inputs_are_refused_in_words() -> None:
    rng = np.random.default_rng(6)
    bi = init_stack("lstm", 2, 3, 1, rng, num_layers=3, bidirectional=True)
    with pytest.raises(ValueError, match="a 3-layer bidirectional LSTM, 3 units cannot be shown"):
        window_view(bi, np.zeros((4, 2)))
    deep = init_stack("lstm", 2, 3, 1, rng, num_layers=2)
    with pytest.raises(ValueError, match=r"give the inputs \(input rows\) to show a 2-layer"):
        window_view(deep, None)
    single = StackParams.from_single(init_params("gru", 1, 4, 1, rng))
    assert window_view(single, None).shows == WHOLE


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
    with pytest.raises(InputError, match=r"expected \(6, 1\)"):
        s.set_params(p, x, np.zeros((5, 1)))
