"""Weight files: round trips in every format and cell, PyTorch's own files, every bad file."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from rnnviz.engine import CELLS, Params, forward, init_params
from rnnviz.io import (
    LoadedWeights,
    WeightFileError,
    default_names,
    from_state_dict,
    load_weights,
    save_weights,
    to_state_dict,
)

# A module prefix as PyTorch writes it, an unusual one, and none at all for the recurrent part.
PREFIXES = [("rnn.", "readout."), ("model.encoder.", "model.head."), ("", "fc.")]
FORMATS = ["npz", "safetensors", "pt", "pth"]


def make_params(cell: str, dtype: str = "float64", seed: int = 0) -> Params:
    # "pytorch" draws every bias, so a mixed-up bias would show.
    return init_params(cell, 3, 4, 2, np.random.default_rng(seed), dtype=dtype)


def require_format(fmt: str) -> None:
    if fmt == "safetensors":
        pytest.importorskip("safetensors")
    if fmt in ("pt", "pth"):
        pytest.importorskip("torch")


def assert_same_params(a: Params, b: Params) -> None:
    assert (a.cell, a.activation) == (b.cell, b.activation)
    for name, array in a.arrays().items():
        other = b.arrays()[name]
        assert other.dtype == array.dtype, name
        np.testing.assert_array_equal(other, array, err_msg=name)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def message(excinfo: pytest.ExceptionInfo[WeightFileError]) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(("rnn_prefix", "readout_prefix"), PREFIXES)
def test_round_trip_keeps_every_array_and_name(
    tmp_path: Path, fmt: str, cell: str, rnn_prefix: str, readout_prefix: str
) -> None:
    require_format(fmt)
    params = make_params(cell)
    names = default_names(rnn_prefix, readout_prefix)
    path = tmp_path / f"w.{fmt}"
    save_weights(path, params, names)
    loaded = load_weights(path)
    assert_same_params(params, loaded.params)
    assert loaded.names == names
    assert loaded.zero_filled == ()
    assert loaded.present_names == names


@pytest.mark.parametrize("fmt", FORMATS)
def test_default_names_and_float32(tmp_path: Path, fmt: str) -> None:
    require_format(fmt)
    params = make_params("gru", dtype="float32")
    path = tmp_path / f"w.{fmt}"
    save_weights(path, params)
    loaded = load_weights(path, dtype="float32")
    assert_same_params(params, loaded.params)
    assert loaded.names["W_hh"] == "rnn.weight_hh_l0"
    assert loaded.names["W_hy"] == "readout.weight"
    # float32 values read as float64 are the same numbers.
    np.testing.assert_array_equal(load_weights(path).params.W_ih, params.W_ih)


def test_activation_is_the_callers(tmp_path: Path) -> None:
    params = init_params("vanilla", 2, 3, 1, np.random.default_rng(1), activation="relu")
    path = tmp_path / "w.npz"
    save_weights(path, params)
    assert load_weights(path, activation="relu").params.activation == "relu"
    assert load_weights(path).params.activation == "tanh"


def test_absent_biases_are_zeros_and_have_no_name(tmp_path: Path) -> None:
    params = make_params("lstm")
    arrays = to_state_dict(params, default_names("lstm.", "out."))
    for key in ("lstm.bias_ih_l0", "lstm.bias_hh_l0", "out.bias"):
        del arrays[key]
    loaded = load_weights(write_npz(tmp_path / "w.npz", arrays))
    assert loaded.zero_filled == ("b_ih", "b_hh", "b_y")
    for field in loaded.zero_filled:
        np.testing.assert_array_equal(loaded.params.arrays()[field], 0.0)
    assert loaded.present_names == {
        "W_ih": "lstm.weight_ih_l0",
        "W_hh": "lstm.weight_hh_l0",
        "W_hy": "out.weight",
    }


def test_from_state_dict_names_its_source() -> None:
    arrays = to_state_dict(make_params("vanilla"))
    loaded = from_state_dict(arrays, source="memory")
    assert isinstance(loaded, LoadedWeights)
    del arrays["rnn.weight_ih_l0"]
    with pytest.raises(WeightFileError) as excinfo:
        from_state_dict(arrays, source="memory")
    assert message(excinfo) == "memory: missing key 'rnn.weight_ih_l0' (the input weights)"


# --- files written by PyTorch ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "nonlinearity", "bias"),
    [
        ("vanilla", "tanh", True),
        ("vanilla", "relu", True),
        ("lstm", "tanh", True),
        ("lstm", "tanh", False),
        ("gru", "tanh", True),
    ],
)
def test_torch_state_dict_gives_torchs_outputs(
    tmp_path: Path, cell: str, nonlinearity: str, bias: bool
) -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    I, H, O, T = 3, 5, 2, 12
    if cell == "vanilla":
        rnn = nn.RNN(I, H, nonlinearity=nonlinearity, bias=bias)
    else:
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](I, H, bias=bias)
    rnn, head = rnn.double(), nn.Linear(H, O).double()
    state = {f"encoder.{k}": v for k, v in rnn.state_dict().items()}
    state |= {f"head.{k}": v for k, v in head.state_dict().items()}
    path = tmp_path / "model.pt"
    torch.save(state, path)

    loaded = load_weights(path, activation=nonlinearity)
    x = np.random.default_rng(2).standard_normal((T, I))  # (T, I)
    trace = forward(loaded.params, x)
    with torch.no_grad():
        hs, _ = rnn(torch.from_numpy(x))  # (T, H): unbatched input
        ys = head(hs)  # (T, O)
    np.testing.assert_allclose(trace.h, hs.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(trace.y, ys.numpy(), rtol=0, atol=1e-10)
    assert loaded.params.cell == cell
    assert loaded.names["W_hh"] == "encoder.weight_hh_l0"
    assert loaded.names["b_y"] == "head.bias"
    assert loaded.zero_filled == (() if bias else ("b_ih", "b_hh"))


# --- bad files -------------------------------------------------------------------------------


def good_arrays() -> dict[str, np.ndarray]:
    return to_state_dict(make_params("lstm"))  # H = 4, I = 3, O = 2: W_hh is (16, 4)


def edited(**changes: np.ndarray | None) -> dict[str, np.ndarray]:
    """good_arrays() with keys (dots written as __) replaced, added or (None) removed."""
    arrays = good_arrays()
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    return arrays


BAD_STATE_DICTS = {
    "missing input weights": (
        edited(rnn__weight_ih_l0=None),
        "missing key 'rnn.weight_ih_l0' (the input weights)",
    ),
    "missing recurrent weights": (
        edited(rnn__weight_hh_l0=None),
        "missing key '<prefix>weight_hh_l0' (the recurrent weights)",
    ),
    "missing readout": (
        edited(readout__weight=None, readout__bias=None),
        "missing key '<prefix>.weight' (the readout weights, an nn.Linear)",
    ),
    "one recurrent bias": (
        edited(rnn__bias_hh_l0=None),
        "missing key 'rnn.bias_hh_l0' (the recurrent bias)",
    ),
    "recurrent rows": (
        edited(rnn__weight_hh_l0=np.zeros((10, 4))),
        "rnn.weight_hh_l0 has shape (10, 4); expected (H, H), (4H, H) or (3H, H) "
        "for a vanilla, LSTM or GRU cell",
    ),
    "input rows": (
        edited(rnn__weight_ih_l0=np.zeros((12, 3))),
        "rnn.weight_ih_l0 has shape (12, 3); expected (16, I) for lstm with hidden size 4",
    ),
    "readout columns": (
        edited(readout__weight=np.zeros((2, 5))),
        "readout.weight has shape (2, 5); expected (O, 4) for lstm with hidden size 4",
    ),
    "bias length": (
        edited(rnn__bias_ih_l0=np.zeros(15)),
        "rnn.bias_ih_l0 has shape (15,); expected (16,) for lstm with hidden size 4",
    ),
    "readout bias length": (
        edited(readout__bias=np.zeros(3)),
        "readout.bias has shape (3,); expected (2,) for lstm with hidden size 4",
    ),
    "second layer": (
        edited(rnn__weight_ih_l1=np.zeros((16, 4)), rnn__weight_hh_l1=np.zeros((16, 4))),
        "multi-layer network found (rnn.weight_hh_l1); only single-layer networks are read",
    ),
    "reverse direction": (
        edited(rnn__weight_hh_l0_reverse=np.zeros((16, 4))),
        "bidirectional network found (rnn.weight_hh_l0_reverse); only unidirectional ones are read",
    ),
    "nan": (
        edited(rnn__weight_hh_l0=np.full((16, 4), np.nan)),
        "rnn.weight_hh_l0 holds non-finite values (NaN or inf)",
    ),
    "inf": (
        edited(readout__bias=np.array([0.0, np.inf])),
        "readout.bias holds non-finite values (NaN or inf)",
    ),
    "integers": (
        edited(rnn__weight_ih_l0=np.zeros((16, 3), dtype=np.int64)),
        "rnn.weight_ih_l0 has dtype int64; weights must be floating-point numbers",
    ),
    "unexpected key": (
        edited(embedding__table=np.zeros((3, 3))),
        "unexpected key 'embedding.table' (1 in all); a weight file holds one single-layer "
        "RNN/LSTM/GRU and one Linear readout",
    ),
    "two readouts": (
        edited(other__weight=np.zeros((2, 4))),
        "several readout weights found (other.weight, readout.weight); expected one",
    ),
    "two recurrent layers": (
        edited(enc__weight_hh_l0=np.zeros((16, 4))),
        "several recurrent layers found (enc.weight_hh_l0, rnn.weight_hh_l0); expected one",
    ),
}


@pytest.mark.parametrize("case", list(BAD_STATE_DICTS))
def test_bad_npz_content_is_one_line_naming_file_and_problem(tmp_path: Path, case: str) -> None:
    arrays, problem = BAD_STATE_DICTS[case]
    path = write_npz(tmp_path / "bad.npz", arrays)
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(path)
    assert message(excinfo) == f"{path}: {problem}"


def test_gated_cell_refuses_another_activation(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "w.npz", good_arrays())
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(path, activation="relu")
    assert message(excinfo) == (
        f"{path}: the lstm cell has fixed nonlinearities; activation must be tanh"
    )


def test_object_array_is_refused_not_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "w.npz"
    arrays: dict[str, np.ndarray] = dict(good_arrays())
    arrays["rnn.weight_hh_l0"] = np.array([{"evil": 1}], dtype=object)
    write_npz(path, arrays)
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(path)
    assert message(excinfo) == (
        f"{path}: array 'rnn.weight_hh_l0' holds pickled Python objects, which are never loaded"
    )


def corrupt_files(tmp_path: Path, fmt: str) -> tuple[Path, Path]:
    """A good file cut in half, and a file of garbage under the same extension."""
    good = tmp_path / f"good.{fmt}"
    save_weights(good, make_params("vanilla"))
    data = good.read_bytes()
    truncated = tmp_path / f"truncated.{fmt}"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / f"garbage.{fmt}"
    garbage.write_bytes(b"these are not the weights you are looking for")
    return truncated, garbage


# Our words, then the library's own detail in parentheses (which its versions word differently).
@pytest.mark.parametrize(
    ("fmt", "truncated", "garbage"),
    [
        (
            "npz",
            "truncated or corrupt .npz archive (",
            "not an .npz archive (truncated, corrupt or another format)",
        ),
        (
            "safetensors",
            "truncated or corrupt .safetensors file (",
            "truncated or corrupt .safetensors file (",
        ),
        # PyTorch's own messages run to hundreds of characters: ours alone
        ("pt", "truncated or corrupt PyTorch file", "not a PyTorch weight file (truncated, "),
    ],
    ids=["npz", "safetensors", "pt"],
)
def test_truncated_and_corrupt_files(
    tmp_path: Path, fmt: str, truncated: str, garbage: str
) -> None:
    require_format(fmt)
    truncated_path, garbage_path = corrupt_files(tmp_path, fmt)
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(truncated_path)
    assert message(excinfo).startswith(f"{truncated_path}: {truncated}")
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(garbage_path)
    assert message(excinfo).startswith(f"{garbage_path}: {garbage}")


def test_npy_data_under_an_npz_name(tmp_path: Path) -> None:
    path = tmp_path / "w.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(path)
    assert message(excinfo) == (
        f"{path}: holds a single .npy array, not an .npz archive of named arrays"
    )


def test_torch_refuses_pickled_module(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "module.pt"
    torch.save(torch.nn.Linear(2, 3), path)  # the whole module: pickled Python objects
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(path)
    assert message(excinfo) == (
        f"{path}: holds pickled Python objects that torch.load(weights_only=True) refuses; "
        "save model.state_dict() instead of the model"
    )


def test_torch_checkpoint_is_not_a_state_dict(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "ckpt.pth"
    torch.save({"epoch": 3, "model": torch.nn.RNN(2, 3).state_dict()}, path)
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(path)
    assert message(excinfo) == (
        f"{path}: 'epoch' is not a tensor (type int); expected a state_dict "
        "(a mapping of names to tensors)"
    )
    torch.save(torch.zeros(3), path)
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(path)
    assert message(excinfo) == (
        f"{path}: holds an object of type Tensor, not a state_dict (a mapping of names to tensors)"
    )


def test_torch_integer_tensor(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "w.pt"
    state = {k: torch.from_numpy(v) for k, v in good_arrays().items()}
    state["rnn.weight_ih_l0"] = torch.zeros((16, 3), dtype=torch.int32)
    torch.save(state, path)
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(path)
    assert message(excinfo) == (
        f"{path}: rnn.weight_ih_l0 has dtype torch.int32; weights must be floating-point numbers"
    )


def test_torch_bfloat16_is_read_exactly(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "w.pt"
    state = {k: torch.from_numpy(v).to(torch.bfloat16) for k, v in good_arrays().items()}
    torch.save(state, path)
    loaded = load_weights(path)
    expected = state["rnn.weight_hh_l0"].to(torch.float64).numpy()  # (16, 4)
    np.testing.assert_array_equal(loaded.params.W_hh, expected)


@pytest.mark.parametrize("name", ["w.h5", "weights"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    kind = "'.h5'" if name.endswith(".h5") else "without a suffix"
    expected = f"{path}: unknown weight file type {kind}; use .npz, .safetensors, .pt, .pth"
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(path)
    assert message(excinfo) == expected
    with pytest.raises(WeightFileError) as excinfo:
        save_weights(path, make_params("vanilla"))
    assert message(excinfo) == expected


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(tmp_path / "nope.npz")
    assert message(excinfo) == f"{tmp_path / 'nope.npz'}: no such file"
    folder = tmp_path / "folder.npz"
    folder.mkdir()
    with pytest.raises(WeightFileError) as excinfo:
        load_weights(folder)
    assert message(excinfo) == f"{folder}: not a regular file"


@pytest.mark.parametrize(
    ("fmt", "module", "advice"),
    [
        (
            "safetensors",
            "safetensors",
            ".safetensors files need the safetensors package: pip install safetensors",
        ),
        ("pt", "torch", ".pt/.pth files need PyTorch: pip install torch"),
    ],
)
def test_missing_optional_package_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, module: str, advice: str
) -> None:
    path = tmp_path / f"w.{fmt}"
    path.write_bytes(b"not read")
    # None in sys.modules makes `import module` raise ImportError, as if it were not installed.
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, module, None)
    for action in (lambda: load_weights(path), lambda: save_weights(path, make_params("gru"))):
        with pytest.raises(WeightFileError) as excinfo:
            action()
        assert message(excinfo) == f"{path}: {advice}"
