"""Weight files of stacks: layers, directions and an embedding, read off the state_dict keys.

The recurrent module's arrays are ``<rnn>weight_ih_l{k}``, ``<rnn>weight_hh_l{k}``,
``<rnn>bias_ih_l{k}``, ``<rnn>bias_hh_l{k}`` for layers k = 0..L-1, the backward direction's
with the suffix ``_reverse`` (PyTorch's names, any module prefix); the cell follows from the
rows of ``weight_hh_l0`` (H, 4H, 3H). Besides them the file holds the readout
``<readout>weight`` (O, D*H) with its ``<readout>bias``, and optionally an embedding
``<emb>weight`` (V, I): the ``.weight`` without a bias whose width is layer 0's input size.
An LSTM's projection (``weight_hr_l{k}``, ``proj_size``) is refused by name. Every problem is
one line naming the file and the key. Formats as in rnnviz/io/weights.py.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rnnviz.engine.params import DTYPES, GATES
from rnnviz.engine.stack_params import (
    EMBEDDING,
    READOUT_BIAS,
    READOUT_WEIGHT,
    RNN_PREFIX,
    StackParams,
    recurrent_key,
    stack_from_arrays,
)
from rnnviz.io.refusal import refusing
from rnnviz.io.weights import WeightFileError, as_float64, read_arrays, write_arrays

_RECURRENT = re.compile(
    r"^(?P<prefix>.*?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
    r"_l(?P<layer>\d+)(?P<reverse>_reverse)?$"
)
_WHAT = {
    "W_ih": "the input weights",
    "W_hh": "the recurrent weights",
    "b_ih": "the input bias",
    "b_hh": "the recurrent bias",
}
_DIR = ("", ", backward direction")
_CELL_BY_GATES: dict[int, str] = {g: cell for cell, g in GATES.items()}

Fail = Callable[[str], WeightFileError]


@dataclass(frozen=True)
class LoadedStack:
    """The stack read from a file, and the file's key for each canonical name."""

    params: StackParams
    names: dict[str, str]  # canonical name (StackParams.arrays()) -> the file's key
    zero_filled: tuple[str, ...] = ()  # canonical names absent from the file, read as zeros

    @property
    def present_names(self) -> dict[str, str]:
        return {c: k for c, k in self.names.items() if c not in self.zero_filled}


def load_stack_weights(
    path: str | os.PathLike[str], activation: str = "tanh", dtype: str = "float64"
) -> LoadedStack:
    """Read a weight file of any depth and directions; WeightFileError (one line naming the
    file and the key) if it is unusable for any reason."""
    with refusing(WeightFileError, path):
        return _load_stack_weights(path, activation, dtype)


def _load_stack_weights(
    path: str | os.PathLike[str], activation: str = "tanh", dtype: str = "float64"
) -> LoadedStack:
    return stack_from_state_dict(read_arrays(path), activation, dtype, source=str(path))


def save_stack_weights(
    path: str | os.PathLike[str], params: StackParams, names: Mapping[str, str] | None = None
) -> None:
    """Write a stack under ``names`` (canonical name -> key; default the canonical names:
    ``rnn.*``, ``readout.*``, ``embedding.weight``); the format follows the suffix."""
    arrays = params.arrays()
    keys = names or {n: n for n in arrays}
    write_arrays(path, {keys[n]: a for n, a in arrays.items()})


def stack_from_state_dict(
    arrays: Mapping[str, np.ndarray],
    activation: str = "tanh",
    dtype: str = "float64",
    source: str = "state_dict",
) -> LoadedStack:
    """Check a state_dict's keys, dtypes, values and shapes, and build the stack."""

    def fail(problem: str) -> WeightFileError:
        return WeightFileError(f"{source}: {problem}")

    keys = sorted(arrays)
    prefix, num_layers, num_directions = _recurrent_layout(keys, fail)
    names: dict[str, str] = {}
    for k in range(num_layers):
        for d in range(num_directions):
            for field in _WHAT:
                canonical = RNN_PREFIX + recurrent_key(field, k, d)
                names[canonical] = prefix + recurrent_key(field, k, d)
    names.update(_readout_and_embedding(keys, arrays, names[RNN_PREFIX + "weight_ih_l0"], fail))
    unexpected = [k for k in keys if k not in names.values()]
    if unexpected:
        raise fail(
            f"unexpected key {unexpected[0]!r} ({len(unexpected)} in all); a weight file holds "
            "one RNN/LSTM/GRU (any layers and directions), one Linear readout and at most "
            "one Embedding"
        )
    zero_filled = _absent_biases(names, arrays, fail)
    values = {
        c: as_float64(names[c], arrays[names[c]], fail) for c in names if c not in zero_filled
    }
    cell, H = _cell_and_hidden_size(names[RNN_PREFIX + "weight_hh_l0"], values, fail)
    D = num_directions
    _check_outside_shapes(names, values, D * H, fail)
    for c in zero_filled:
        values[c] = np.zeros(
            values[READOUT_WEIGHT].shape[0] if c == READOUT_BIAS else GATES[cell] * H
        )
    try:
        params = stack_from_arrays(cell, activation, values, num_layers, D)
    except ValueError as err:  # a shape, or an activation the cell does not allow
        raise fail(_with_file_keys(str(err), prefix)) from None
    if dtype != "float64":
        params = params.astype(DTYPES[dtype])
    return LoadedStack(params, names, zero_filled)


def _recurrent_layout(keys: list[str], fail: Fail) -> tuple[str, int, int]:
    """The recurrent module's prefix, its number of layers and of directions."""
    found = {k: m for k in keys if (m := _RECURRENT.match(k))}
    if not any(m["kind"] == "weight_hh" for m in found.values()):
        raise fail("missing key '<prefix>weight_hh_l0' (the recurrent weights)")
    for key, m in found.items():
        if m["kind"] == "weight_hr":
            raise fail(
                f"{key} is an LSTM projection (proj_size), which rnnviz does not read; "
                "use an LSTM without proj_size"
            )
    prefixes = sorted({m["prefix"] for m in found.values()})
    if len(prefixes) > 1:
        first = [f"{p}weight_hh_l0" for p in prefixes]
        raise fail(f"several recurrent modules found ({', '.join(first)}); expected one")
    prefix = prefixes[0]
    num_layers = 1 + max(int(m["layer"]) for m in found.values())
    num_directions = 2 if any(m["reverse"] for m in found.values()) else 1
    for k in range(num_layers):
        for d in range(num_directions):
            for field in ("W_hh", "W_ih"):
                key = prefix + recurrent_key(field, k, d)
                if key not in found:
                    where = f" of layer {k}{_DIR[d]}" if k or d else ""
                    raise fail(f"missing key {key!r} ({_WHAT[field]}{where})")
    return prefix, num_layers, num_directions


def _readout_and_embedding(
    keys: list[str], arrays: Mapping[str, np.ndarray], first_input_key: str, fail: Fail
) -> dict[str, str]:
    """Canonical name -> key for the readout and, when there is one, the embedding."""
    weights = [
        k for k in keys if (k == "weight" or k.endswith(".weight")) and not _RECURRENT.match(k)
    ]
    has_bias = {w: w.removesuffix("weight") + "bias" in keys for w in weights}
    if not weights:
        raise fail("missing key '<prefix>.weight' (the readout weights, an nn.Linear)")
    if len(weights) > 2:
        raise fail(
            f"several readout weights found ({', '.join(weights)}); expected one readout and "
            "at most one embedding"
        )
    readout, embedding = weights[0], None
    if len(weights) == 2:
        width = np.shape(arrays[first_input_key])[-1]
        # The embedding has no bias and is as wide as layer 0's inputs.
        could_embed = [
            w
            for w in weights
            if not has_bias[w] and np.ndim(arrays[w]) == 2 and np.shape(arrays[w])[1] == width
        ]
        if len(could_embed) != 1:
            raise fail(
                f"cannot tell the readout from the embedding ({', '.join(weights)}): the "
                "embedding is the one without a bias whose width is the input size"
            )
        embedding = could_embed[0]
        readout = next(w for w in weights if w != embedding)
    names = {READOUT_WEIGHT: readout, READOUT_BIAS: readout.removesuffix("weight") + "bias"}
    if embedding is not None:
        names[EMBEDDING] = embedding
    return names


def _absent_biases(
    names: Mapping[str, str], arrays: Mapping[str, np.ndarray], fail: Fail
) -> tuple[str, ...]:
    """The biases a ``bias=False`` module leaves out: all the recurrent ones, or the readout's."""
    recurrent = [c for c in names if c.startswith(RNN_PREFIX) and "bias" in c]
    absent = [c for c in recurrent if names[c] not in arrays]
    if absent and len(absent) != len(recurrent):
        raise fail(f"missing key {names[absent[0]]!r} (a recurrent bias)")
    if names[READOUT_BIAS] not in arrays:
        absent.append(READOUT_BIAS)
    return tuple(absent)


def _cell_and_hidden_size(
    key: str, values: Mapping[str, np.ndarray], fail: Fail
) -> tuple[str, int]:
    W_hh = values[RNN_PREFIX + "weight_hh_l0"]
    rows, H = W_hh.shape if W_hh.ndim == 2 else (0, 0)
    if H < 1 or rows % H or rows // H not in _CELL_BY_GATES:
        raise fail(
            f"{key} has shape {W_hh.shape}; expected (H, H), (4H, H) or (3H, H) "
            "for a vanilla, LSTM or GRU cell"
        )
    return _CELL_BY_GATES[rows // H], H


def _check_outside_shapes(
    names: Mapping[str, str], values: Mapping[str, np.ndarray], width: int, fail: Fail
) -> None:
    W_hy = values[READOUT_WEIGHT]
    if W_hy.ndim != 2 or W_hy.shape[1] != width or W_hy.shape[0] < 1:
        raise fail(
            f"{names[READOUT_WEIGHT]} has shape {W_hy.shape}; expected (O, {width}): the "
            "readout reads the top layer's outputs"
        )
    if READOUT_BIAS in values and values[READOUT_BIAS].shape != (W_hy.shape[0],):
        raise fail(
            f"{names[READOUT_BIAS]} has shape {values[READOUT_BIAS].shape}; "
            f"expected ({W_hy.shape[0]},)"
        )
    E = values.get(EMBEDDING)
    if E is not None and (E.ndim != 2 or E.shape[0] < 1):
        raise fail(f"{names[EMBEDDING]} has shape {E.shape}; expected (V, I)")


def _with_file_keys(message: str, prefix: str) -> str:
    """A StackParams message with the recurrent module's prefix on every key it names."""
    return re.sub(r"\b((?:weight|bias)_(?:ih|hh)_l\d+(?:_reverse)?)\b", prefix + r"\1", message)
