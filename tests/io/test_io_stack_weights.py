"""Weight files of stacks: round trips in every format, a real PyTorch model's state_dict, and
one line naming the key for every key set that cannot be read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_params import StackParams, init_stack
from rnnviz.io.stack_weights import (
    load_stack_weights,
    save_stack_weights,
    stack_from_state_dict,
)
from rnnviz.io.weights import WeightFileError

FORMATS = [".npz", ".safetensors", ".pt"]


def needs(suffix: str) -> None:
    if suffix == ".safetensors":
        pytest.importorskip("safetensors")
    if suffix == ".pt":
        pytest.importorskip("torch")


def assert_same(a: StackParams, b: StackParams) -> None:
    assert (a.cell, a.activation, a.num_layers, a.num_directions) == (
        b.cell,
        b.activation,
        b.num_layers,
        b.num_directions,
    )
    assert a.arrays().keys() == b.arrays().keys()
    for name, arr in a.arrays().items():
        np.testing.assert_array_equal(arr, b.arrays()[name], err_msg=name)


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize(
    ("cell", "layers", "bidirectional", "vocab"),
    [
        ("lstm", 3, True, 7),
        ("gru", 2, False, None),
        ("vanilla", 1, True, 4),
        ("lstm", 1, False, None),
    ],
)
def test_round_trip(tmp_path: Path, suffix, cell, layers, bidirectional, vocab) -> None:
    needs(suffix)
    p = init_stack(
        cell, 3, 4, 2, np.random.default_rng(1), num_layers=layers,
        bidirectional=bidirectional, vocab_size=vocab,
    )  # fmt: skip
    path = tmp_path / f"w{suffix}"
    save_stack_weights(path, p)
    loaded = load_stack_weights(path)
    assert_same(loaded.params, p)
    assert loaded.zero_filled == ()
    assert set(loaded.names) == set(p.arrays())


def test_a_real_models_state_dict_under_its_own_names(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")

    class Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = torch.nn.Embedding(10, 3)
            self.encoder = torch.nn.GRU(3, 5, num_layers=3, bidirectional=True, batch_first=True)
            self.head = torch.nn.Linear(10, 4)

        def forward(self, tokens):
            return self.head(self.encoder(self.emb(tokens))[0])

    torch.manual_seed(0)
    model = Tagger().eval()  # float32, as trained models are saved
    path = tmp_path / "tagger.pt"
    torch.save(model.state_dict(), path)
    loaded = load_stack_weights(path)
    p = loaded.params
    assert (p.cell, p.num_layers, p.bidirectional, p.vocab_size) == ("gru", 3, True, 10)
    assert loaded.names["readout.weight"] == "head.weight"
    assert loaded.names["rnn.weight_ih_l2_reverse"] == "encoder.weight_ih_l2_reverse"
    tokens = np.array([1, 7, 3, 3, 9, 0])
    with torch.no_grad():
        want = model.double()(torch.tensor(tokens)[None])[0].numpy()  # (T, 4)
    np.testing.assert_allclose(stack_forward(p, tokens).y, want, rtol=1e-12, atol=1e-14)


def test_float32_and_bias_free_modules(tmp_path: Path) -> None:
    p = init_stack("gru", 2, 3, 1, np.random.default_rng(2), num_layers=2, bidirectional=True)
    arrays = {k: v for k, v in p.arrays().items() if "bias" not in k}
    loaded = stack_from_state_dict(arrays, dtype="float32")
    assert loaded.params.dtype == np.float32
    assert set(loaded.zero_filled) == {k for k in p.arrays() if "bias" in k}
    assert not loaded.params.b_y.any() and not loaded.params.layers[1][1].b_hh.any()
    assert set(loaded.present_names) == set(arrays)


def good(**changes: np.ndarray | None) -> dict[str, np.ndarray]:
    """A 2-layer bidirectional LSTM (H = 4) with an embedding, under a model's own names."""
    p = init_stack("lstm", 3, 4, 2, np.random.default_rng(3), num_layers=2, bidirectional=True,
                   vocab_size=6)  # fmt: skip
    names = {"embedding.weight": "emb.weight", "readout.weight": "fc.weight",
             "readout.bias": "fc.bias"}  # fmt: skip
    arrays = {names.get(k, k.replace("rnn.", "encoder.lstm.")): v for k, v in p.arrays().items()}
    for key, value in changes.items():
        arrays[key.replace("__", ".")] = value
    return {k: v for k, v in arrays.items() if v is not None}


BAD = {
    "projection": (
        good(encoder__lstm__weight_hr_l0=np.zeros((2, 4))),
        "encoder.lstm.weight_hr_l0 is an LSTM projection (proj_size), which rnnviz does not "
        "read; use an LSTM without proj_size",
    ),
    "missing layer": (
        good(encoder__lstm__weight_ih_l1=None),
        "missing key 'encoder.lstm.weight_ih_l1' (the input weights of layer 1)",
    ),
    "missing direction": (
        good(encoder__lstm__weight_hh_l1_reverse=None),
        "missing key 'encoder.lstm.weight_hh_l1_reverse' (the recurrent weights of layer 1, "
        "backward direction)",
    ),
    "one bias missing": (
        good(encoder__lstm__bias_ih_l1=None),
        "missing key 'encoder.lstm.bias_ih_l1' (a recurrent bias)",
    ),
    "two modules": (
        good(dec__weight_hh_l0=np.zeros((16, 4))),
        "several recurrent modules found (dec.weight_hh_l0, encoder.lstm.weight_hh_l0); "
        "expected one",
    ),
    "layer width": (
        good(encoder__lstm__weight_ih_l1=np.zeros((16, 4))),
        "encoder.lstm.weight_ih_l1 has shape (16, 4); expected (16, 8) for lstm with hidden size 4",
    ),
    "readout width": (
        good(fc__weight=np.zeros((2, 4))),
        "fc.weight has shape (2, 4); expected (O, 8): the readout reads the top layer's outputs",
    ),
    "ambiguous": (
        good(fc__bias=None, fc__weight=np.zeros((2, 3))),
        "cannot tell the readout from the embedding (emb.weight, fc.weight): the embedding is "
        "the one without a bias whose width is the input size",
    ),
    "three weights": (
        good(other__weight=np.zeros((2, 2))),
        "several readout weights found (emb.weight, fc.weight, other.weight); expected one "
        "readout and at most one embedding",
    ),
    "unexpected": (
        good(fc__scale=np.zeros(2)),
        "unexpected key 'fc.scale' (1 in all); a weight file holds one RNN/LSTM/GRU (any "
        "layers and directions), one Linear readout and at most one Embedding",
    ),
    "integers": (
        good(emb__weight=np.zeros((6, 3), dtype=np.int64)),
        "emb.weight has dtype int64; weights must be floating-point numbers",
    ),
    "no recurrent module": (
        {"fc.weight": np.zeros((2, 4))},
        "missing key '<prefix>weight_hh_l0' (the recurrent weights)",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_unreadable_key_sets_get_one_line_naming_the_key(tmp_path: Path, case: str) -> None:
    arrays, problem = BAD[case]
    path = tmp_path / "bad.npz"
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(WeightFileError) as info:
        load_stack_weights(path)
    assert str(info.value) == f"{path}: {problem}"


def test_the_good_key_set_reads_with_its_embedding_and_names() -> None:
    loaded = stack_from_state_dict(good())
    p = loaded.params
    assert (p.num_layers, p.num_directions, p.vocab_size, p.cell) == (2, 2, 6, "lstm")
    assert loaded.names["embedding.weight"] == "emb.weight"
    assert loaded.names["rnn.weight_hh_l1_reverse"] == "encoder.lstm.weight_hh_l1_reverse"
    trace = stack_forward(p, [0, 5, 2])
    assert trace.y.shape == (3, 2)


def test_a_bias_free_readout_is_told_from_the_embedding_by_its_width() -> None:
    loaded = stack_from_state_dict(good(fc__bias=None))
    assert loaded.names["readout.weight"] == "fc.weight"
    assert loaded.names["embedding.weight"] == "emb.weight"
    assert loaded.zero_filled == ("readout.bias",)
