"""Weight files: one single-layer, unidirectional RNN/LSTM/GRU and one Linear readout.

Arrays are stored under PyTorch's ``state_dict`` names, with any module prefix:
``<rnn>weight_ih_l0``, ``<rnn>weight_hh_l0``, ``<rnn>bias_ih_l0``, ``<rnn>bias_hh_l0`` and
``<readout>weight`` (O, H), ``<readout>bias`` (O,). The cell is read off the rows of
``weight_hh_l0`` (H, 4H, 3H rows: vanilla, LSTM, GRU); the activation of a vanilla cell is
not stored in a state_dict, so the caller names it.

A module built with ``bias=False`` has no bias arrays: both recurrent biases absent, or the
readout bias absent, are read as zeros and listed in ``LoadedWeights.zero_filled``. One
recurrent bias without the other is an error (PyTorch never writes that).

Formats: ``.npz`` (``np.load(allow_pickle=False)``), ``.safetensors`` (needs the
``safetensors`` package) and ``.pt`` / ``.pth`` (needs torch; read with
``torch.load(weights_only=True)``, which refuses pickled Python objects).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnviz.engine.params import DTYPES, GATES, Params
from rnnviz.io import limits
from rnnviz.io.refusal import refusing

WEIGHT_SUFFIXES: tuple[str, ...] = (".npz", ".safetensors", ".pt", ".pth")

# Params field -> (state_dict suffix, what it is, for messages).
_FIELDS: dict[str, tuple[str, str]] = {
    "W_ih": ("weight_ih_l0", "the input weights"),
    "W_hh": ("weight_hh_l0", "the recurrent weights"),
    "b_ih": ("bias_ih_l0", "the input bias"),
    "b_hh": ("bias_hh_l0", "the recurrent bias"),
    "W_hy": ("weight", "the readout weights"),
    "b_y": ("bias", "the readout bias"),
}
_RECURRENT = ("W_ih", "W_hh", "b_ih", "b_hh")
_CELL_BY_GATES: dict[int, str] = {g: cell for cell, g in GATES.items()}
# nn.RNN/LSTM/GRU name deeper layers ..._l1, ..._l2 and the backward direction ..._reverse.
_LAYER_KEY = re.compile(r"_l(\d+)(_reverse)?$")
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK"


class WeightFileError(ValueError):
    """A weight file that cannot be used; ``str()`` is one line naming the file and the problem."""


@dataclass(frozen=True)
class LoadedWeights:
    """The network read from a file, and the file's name for each of its arrays."""

    params: Params
    names: dict[str, str]  # Params field (W_ih, …, b_y) -> state_dict key in the file
    zero_filled: tuple[str, ...] = ()  # Params fields absent from the file, read as zeros

    @property
    def present_names(self) -> dict[str, str]:
        """Params field -> key, for the arrays the file really has (gradients are named so)."""
        return {f: k for f, k in self.names.items() if f not in self.zero_filled}


def default_names(rnn_prefix: str = "rnn.", readout_prefix: str = "readout.") -> dict[str, str]:
    """state_dict keys for a module holding ``rnn`` (the recurrent layer) and ``readout``."""
    return {
        f: (rnn_prefix if f in _RECURRENT else readout_prefix) + suffix
        for f, (suffix, _) in _FIELDS.items()
    }


def to_state_dict(params: Params, names: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
    keys = default_names() if names is None else names
    return {keys[f]: np.ascontiguousarray(a) for f, a in params.arrays().items()}


def from_state_dict(
    arrays: Mapping[str, np.ndarray],
    activation: str = "tanh",
    dtype: str = "float64",
    source: str = "state_dict",
) -> LoadedWeights:
    """Check a state_dict's keys, dtypes, values and shapes, and build the network.

    ``source`` names the origin in error messages (the file path).
    """

    def fail(problem: str) -> WeightFileError:
        return WeightFileError(f"{source}: {problem}")

    keys = sorted(arrays)
    for key in keys:
        match = _LAYER_KEY.search(key)
        if match and match.group(1) != "0":
            raise fail(f"multi-layer network found ({key}); only single-layer networks are read")
        if match and match.group(2):
            raise fail(f"bidirectional network found ({key}); only unidirectional ones are read")

    names = _find_names(keys, fail)
    unexpected = [k for k in keys if k not in names.values()]
    if unexpected:
        raise fail(
            f"unexpected key {unexpected[0]!r} ({len(unexpected)} in all); a weight file holds "
            "one single-layer RNN/LSTM/GRU and one Linear readout"
        )
    zero_filled = _absent_biases(names, arrays, fail)
    raw_hh = np.asarray(arrays[names["W_hh"]])
    if raw_hh.ndim == 2 and raw_hh.shape[1] > limits.MAX_HIDDEN:  # before any conversion
        raise fail(
            f"the hidden size is {raw_hh.shape[1]:,}; the most rnnviz takes is "
            f"{limits.MAX_HIDDEN:,}"
        )
    values = {
        f: as_float64(names[f], arrays[names[f]], fail) for f in names if f not in zero_filled
    }
    cell, H = _cell_and_hidden_size(names["W_hh"], values["W_hh"], fail)
    G = GATES[cell]
    _check_shapes(names, values, G * H, H, cell, fail)
    O = values["W_hy"].shape[0]
    try:
        limits.check_network(H, values["W_ih"].shape[1], O)
    except limits.LimitError as err:
        raise fail(str(err)) from None
    for f in zero_filled:
        values[f] = np.zeros(O if f == "b_y" else G * H)
    try:
        params = Params(cell, activation, **values)
    except ValueError as err:  # an activation the cell does not allow
        raise fail(str(err)) from None
    if dtype != "float64":
        params = params.astype(DTYPES[dtype])
    return LoadedWeights(params, names, zero_filled)


def _find_names(keys: list[str], fail: Callable[[str], WeightFileError]) -> dict[str, str]:
    """The key of every Params field, from the recurrent and readout prefixes found."""
    recurrent = [k for k in keys if k.endswith("weight_hh_l0")]
    if not recurrent:
        raise fail("missing key '<prefix>weight_hh_l0' (the recurrent weights)")
    if len(recurrent) > 1:
        raise fail(f"several recurrent layers found ({', '.join(recurrent)}); expected one")
    readout = [k for k in keys if k == "weight" or k.endswith(".weight")]
    if not readout:
        raise fail("missing key '<prefix>.weight' (the readout weights, an nn.Linear)")
    if len(readout) > 1:
        raise fail(f"several readout weights found ({', '.join(readout)}); expected one")
    names = default_names(recurrent[0].removesuffix("weight_hh_l0"), readout[0][: -len("weight")])
    for f in ("W_ih", "W_hy"):
        if names[f] not in keys:
            raise fail(f"missing key {names[f]!r} ({_FIELDS[f][1]})")
    return names


def _absent_biases(
    names: Mapping[str, str],
    arrays: Mapping[str, np.ndarray],
    fail: Callable[[str], WeightFileError],
) -> tuple[str, ...]:
    """The bias fields that a ``bias=False`` module leaves out; anything else missing fails."""
    absent = tuple(f for f in ("b_ih", "b_hh", "b_y") if names[f] not in arrays)
    if ("b_ih" in absent) != ("b_hh" in absent):
        missing = "b_ih" if "b_ih" in absent else "b_hh"
        raise fail(f"missing key {names[missing]!r} ({_FIELDS[missing][1]})")
    return absent


def as_float64(key: str, array: np.ndarray, fail: Callable[[str], WeightFileError]) -> np.ndarray:
    """The array as float64, or ``fail`` when it is not floating-point or not finite."""
    arr = np.asarray(array)
    if not np.issubdtype(arr.dtype, np.floating):
        raise fail(f"{key} has dtype {arr.dtype}; weights must be floating-point numbers")
    if not np.all(np.isfinite(arr)):
        raise fail(f"{key} holds non-finite values (NaN or inf)")
    # Every float16/float32 value is exactly a float64: the conversion loses nothing.
    return np.ascontiguousarray(arr, dtype=np.float64)


def _cell_and_hidden_size(
    key: str, W_hh: np.ndarray, fail: Callable[[str], WeightFileError]
) -> tuple[str, int]:
    rows, H = W_hh.shape if W_hh.ndim == 2 else (0, 0)
    if H < 1 or rows % H or rows // H not in _CELL_BY_GATES:
        raise fail(
            f"{key} has shape {W_hh.shape}; expected (H, H), (4H, H) or (3H, H) "
            "for a vanilla, LSTM or GRU cell"
        )
    return _CELL_BY_GATES[rows // H], H


def _check_shapes(
    names: Mapping[str, str],
    values: Mapping[str, np.ndarray],
    rows: int,
    H: int,
    cell: str,
    fail: Callable[[str], WeightFileError],
) -> None:
    W_ih, W_hy = values["W_ih"], values["W_hy"]
    context = f"for {cell} with hidden size {H}"
    if W_ih.ndim != 2 or W_ih.shape[0] != rows or W_ih.shape[1] < 1:
        raise fail(f"{names['W_ih']} has shape {W_ih.shape}; expected ({rows}, I) {context}")
    if W_hy.ndim != 2 or W_hy.shape[1] != H or W_hy.shape[0] < 1:
        raise fail(f"{names['W_hy']} has shape {W_hy.shape}; expected (O, {H}) {context}")
    expected = {"b_ih": (rows,), "b_hh": (rows,), "b_y": (W_hy.shape[0],)}
    for f, shape in expected.items():
        if f in values and values[f].shape != shape:
            raise fail(f"{names[f]} has shape {values[f].shape}; expected {shape} {context}")


def load_weights(
    path: str | os.PathLike[str], activation: str = "tanh", dtype: str = "float64"
) -> LoadedWeights:
    """Read a weight file (.npz, .safetensors, .pt, .pth); WeightFileError (one line, naming
    the file) if it is unusable for any reason."""
    with refusing(WeightFileError, path):
        return _load_weights(path, activation, dtype)


def _load_weights(
    path: str | os.PathLike[str], activation: str = "tanh", dtype: str = "float64"
) -> LoadedWeights:
    """Read a weight file (.npz, .safetensors, .pt, .pth); raise WeightFileError if unusable."""
    return from_state_dict(read_arrays(path), activation, dtype, source=str(path))


def read_arrays(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every named array in a weight file, as the file holds it; WeightFileError if the file
    cannot be read (call it inside ``refusing``, as the loaders do)."""
    path = Path(path)

    def fail(problem: str) -> WeightFileError:
        return WeightFileError(f"{path}: {problem}")

    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise fail(_unknown_suffix(path))
    if not path.exists():
        raise fail("no such file")
    if not path.is_file():
        raise fail("not a regular file")
    try:
        limits.check_bytes("the file", path.stat().st_size)
    except limits.LimitError as err:
        raise fail(str(err)) from None
    try:
        return reader(path, fail)
    except OSError as err:
        raise fail(f"cannot read it ({err.strerror or err})") from None


def save_weights(
    path: str | os.PathLike[str], params: Params, names: Mapping[str, str] | None = None
) -> None:
    """Write ``params`` under ``names`` (default ``rnn.*`` and ``readout.*``); format by suffix."""
    write_arrays(path, to_state_dict(params, names))


def write_arrays(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> None:
    """Write named arrays as a state_dict; the format follows the suffix."""
    path = Path(path)

    def fail(problem: str) -> WeightFileError:
        return WeightFileError(f"{path}: {problem}")

    writer = _WRITERS.get(path.suffix.lower())
    if writer is None:
        raise fail(_unknown_suffix(path))
    try:
        writer(path, {k: np.ascontiguousarray(a) for k, a in arrays.items()}, fail)
    except OSError as err:
        raise fail(f"cannot write it ({err.strerror or err})") from None


def _unknown_suffix(path: Path) -> str:
    kind = f"'{path.suffix}'" if path.suffix else "without a suffix"
    return f"unknown weight file type {kind}; use {', '.join(WEIGHT_SUFFIXES)}"


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


# --- .npz ------------------------------------------------------------------------------------


def _read_npz(path: Path, fail: Callable[[str], WeightFileError]) -> dict[str, np.ndarray]:
    # Read member by member, each .npy header checked against the limits before its array
    # is allocated (np.load would allocate whatever shape a header declares).
    with open(path, "rb") as f:
        magic = f.read(len(_NPY_MAGIC))
        if magic.startswith(_NPY_MAGIC):
            raise fail("holds a single .npy array, not an .npz archive of named arrays")
        if not magic.startswith(_ZIP_MAGIC):
            raise fail("not an .npz archive (truncated, corrupt or another format)")
        f.seek(0)
        arrays: dict[str, np.ndarray] = {}
        key = ""
        try:
            with zipfile.ZipFile(f) as z:
                limits.check_zip(z)
                for info in z.infolist():
                    key = info.filename.removesuffix(".npy")
                    with z.open(info) as member:
                        if not member.read(len(_NPY_MAGIC)).startswith(_NPY_MAGIC):
                            raise fail(f"member {info.filename!r} is not a NumPy array")
                        member.seek(0)
                        limits.check_npy_header(member, f"array {key!r}")
                        arrays[key] = np.lib.format.read_array(member, allow_pickle=False)
        except limits.LimitError as err:
            raise fail(str(err)) from None
        except ValueError as err:
            # NumPy refuses object arrays with allow_pickle=False; other ValueErrors are
            # damaged arrays. Its message is the only way to tell them apart.
            if "allow_pickle" in str(err):
                raise fail(
                    f"array {key!r} holds pickled Python objects, which are never loaded"
                ) from None
            raise fail(f"truncated or corrupt .npz archive ({_first_line(err)})") from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as err:
            raise fail(f"truncated or corrupt .npz archive ({_first_line(err)})") from None
    return arrays


def _write_npz(
    path: Path, arrays: dict[str, np.ndarray], fail: Callable[[str], WeightFileError]
) -> None:
    with open(path, "wb") as f:  # a file object: np.savez would append .npz to a bare name
        np.savez(f, **arrays)


# --- .safetensors ----------------------------------------------------------------------------


def _safetensors_missing(fail: Callable[[str], WeightFileError]) -> WeightFileError:
    return fail(".safetensors files need the safetensors package: pip install safetensors")


def _read_safetensors(path: Path, fail: Callable[[str], WeightFileError]) -> dict[str, np.ndarray]:
    try:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file
    except ImportError:
        raise _safetensors_missing(fail) from None
    _check_safetensors_header(path, fail)
    try:
        return load_file(path)
    except SafetensorError as err:
        raise fail(f"truncated or corrupt .safetensors file ({_first_line(err)})") from None
    except TypeError as err:  # a dtype NumPy has no type for, such as bfloat16
        raise fail(f"holds a dtype NumPy cannot read ({_first_line(err)})") from None


def _check_safetensors_header(path: Path, fail: Callable[[str], WeightFileError]) -> None:
    """The shapes a .safetensors header declares, checked before anything is loaded."""
    corrupt = "truncated or corrupt .safetensors file"
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        if size > path.stat().st_size - 8:
            raise fail(f"{corrupt} (its header claims more bytes than the file has)")
        try:
            limits.check_bytes("its header", size, limits.MAX_TEXT_BYTES)
        except limits.LimitError as err:
            raise fail(str(err)) from None
        try:
            header = json.loads(f.read(size).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise fail(f"{corrupt} (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise fail(f"{corrupt} (its header is not a JSON object)")
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    try:
        limits.check_count("the number of tensors", len(tensors), limits.MAX_ZIP_MEMBERS)
        for key, entry in tensors.items():
            shape = entry.get("shape") if isinstance(entry, dict) else None
            if not isinstance(shape, list) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
            ):
                raise fail(f"{corrupt} ({key!r} has no valid shape)")
            limits.check_array_shape(repr(key), tuple(shape))
    except limits.LimitError as err:
        raise fail(str(err)) from None


def _write_safetensors(
    path: Path, arrays: dict[str, np.ndarray], fail: Callable[[str], WeightFileError]
) -> None:
    try:
        from safetensors.numpy import save_file
    except ImportError:
        raise _safetensors_missing(fail) from None
    save_file(arrays, path)


# --- .pt / .pth ------------------------------------------------------------------------------


def _torch_missing(fail: Callable[[str], WeightFileError]) -> WeightFileError:
    return fail(".pt/.pth files need PyTorch: pip install torch")


def _read_torch(path: Path, fail: Callable[[str], WeightFileError]) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise _torch_missing(fail) from None
    corrupt = "truncated or corrupt PyTorch file"
    # torch ≥ 1.6 saves a zip (its pickle holds only names; the tensors are members): its
    # directory is checked for bombs first, and anything else is no weight file of ours.
    with open(path, "rb") as f:
        if not f.read(len(_ZIP_MAGIC)).startswith(_ZIP_MAGIC):
            raise fail(
                "not a PyTorch weight file (truncated, corrupt, another format, or saved by "
                "torch older than 1.6)"
            )
        try:
            with zipfile.ZipFile(f) as z:
                limits.check_zip(z)
                if any(i.compress_type != zipfile.ZIP_STORED for i in z.infolist()):
                    # torch stores its members as they are; packed ones could be a bomb
                    raise fail("not a PyTorch weight file (its members are compressed)")
        except limits.LimitError as err:
            raise fail(str(err)) from None
        except (zipfile.BadZipFile, EOFError):
            raise fail(corrupt) from None
    try:
        with warnings.catch_warnings():  # torch's warnings are for developers, not users
            warnings.simplefilter("ignore")
            obj = torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as err:
        # weights_only=True refuses anything but tensors and plain containers; torch says so
        # in this message, any other unpickling error is a damaged file.
        if "Weights only load failed" in str(err) and "Unsupported" in str(err):
            raise fail(
                "holds pickled Python objects that torch.load(weights_only=True) refuses; "
                "save model.state_dict() instead of the model"
            ) from None
        raise fail(corrupt) from None
    except OSError:
        raise  # an unreadable file, reported by load_weights, not a damaged one
    except Exception:  # torch reports damaged files as RuntimeError, EOFError, KeyError…
        raise fail(corrupt) from None
    if not isinstance(obj, Mapping):
        raise fail(
            f"holds an object of type {type(obj).__name__}, not a state_dict "
            "(a mapping of names to tensors)"
        )
    return {str(key): _tensor_array(torch, key, value, fail) for key, value in obj.items()}


def _tensor_array(
    torch: Any, key: object, value: object, fail: Callable[[str], WeightFileError]
) -> np.ndarray:
    """One tensor of a state_dict as a float64 array; sparse, meta and other tensors that
    hold no plain numbers are refused."""
    if not isinstance(value, torch.Tensor):
        raise fail(
            f"{key!r} is not a tensor (type {type(value).__name__}); expected a state_dict "
            "(a mapping of names to tensors)"
        )
    if value.layout != torch.strided:
        raise fail(f"{key} is a sparse tensor; weights must be dense")
    if value.is_meta:
        raise fail(f"{key} is a meta tensor, which holds no numbers")
    if not value.is_floating_point():
        raise fail(f"{key} has dtype {value.dtype}; weights must be floating-point numbers")
    try:
        # float64 holds every float16/bfloat16/float32 value exactly; NumPy has no bfloat16.
        return value.detach().to(torch.float64).numpy()
    except Exception as err:  # a tensor subclass or device NumPy cannot take
        raise fail(f"{key} cannot be read as numbers ({type(err).__name__})") from None


def _write_torch(
    path: Path, arrays: dict[str, np.ndarray], fail: Callable[[str], WeightFileError]
) -> None:
    try:
        import torch
    except ImportError:
        raise _torch_missing(fail) from None
    torch.save({k: torch.from_numpy(a) for k, a in arrays.items()}, path)


_Reader = Callable[[Path, Callable[[str], WeightFileError]], dict[str, np.ndarray]]
_Writer = Callable[[Path, dict[str, np.ndarray], Callable[[str], WeightFileError]], None]
_READERS: dict[str, _Reader] = {
    ".npz": _read_npz,
    ".safetensors": _read_safetensors,
    ".pt": _read_torch,
    ".pth": _read_torch,
}
_WRITERS: dict[str, _Writer] = {
    ".npz": _write_npz,
    ".safetensors": _write_safetensors,
    ".pt": _write_torch,
    ".pth": _write_torch,
}
