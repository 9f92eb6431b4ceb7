"""The session file: a zip of JSON and NumPy arrays, never pickle.

Layout (format "rnnviz-session", version 1)::

    manifest.json     {"format", "version", "config": {the session's settings}, "vocab",
                       "t", "selected", "cell", "activation", "training": {...} | null}
    arrays/<name>.npy W_ih, W_hh, b_ih, b_hh, W_hy, b_y, sequence  (np.save, no pickle);
                      a stack (settings num_layers > 1 or bidirectional) instead holds its
                      arrays under PyTorch's names (rnn.weight_ih_l0_reverse …, readout.*)
    view.json         what the window showed (older files lack it), e.g.
                      {"backward": true, "unrolled": true, "page": "network",
                       "lab_tab": "Compare", "compare": false, "focus": [2, 0]}
                      ("focus": the layer and direction the panels showed)

The training history (``"training"``, see ``rnnviz.io.training_record``) and the view are
kept as they are read; the settings are a plain object that ``rnnviz.session`` checks
against its own. This module checks everything a file can get wrong by itself: the zip, the
JSON, the format and version, the arrays (numeric, finite, never pickled), the inputs' width
against the weights and the step counters against the inputs, and every size against the
limits of ``rnnviz.io.limits`` before it is read (arrays are streamed from the zip, so only
what a checked header declares is ever unpacked).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from rnnviz.engine.params import DTYPES, GATES, Params
from rnnviz.engine.stack_params import StackParams, stack_from_arrays
from rnnviz.io import limits
from rnnviz.io.limits import MAX_TEXT_BYTES, read_member
from rnnviz.io.refusal import refusing

if TYPE_CHECKING:
    from rnnviz.engine.train import TrainingHistory

FORMAT = "rnnviz-session"
VERSION = 1
SUFFIX = ".rnnviz"
VIEW_MEMBER = "view.json"
_ARRAYS = ("W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y", "sequence")

Fail = Callable[[str], "SessionFileError"]


class SessionFileError(ValueError):
    """A session file that cannot be opened; the message names the file and the problem."""


@dataclass(frozen=True)
class SessionContents:
    """Everything a session file holds."""

    config: dict[str, Any]  # the session's settings by name (rnnviz.session checks them)
    params: Params | StackParams  # a stack without embedding
    sequence: np.ndarray  # (N, I)
    vocab: str
    t: int
    selected: int | None
    training: TrainingHistory | None
    view: dict[str, Any]  # what the window showed; {} when the file has none


def write_session(path: str | Path, contents: SessionContents) -> None:
    """Write atomically: the file appears under ``path`` only once complete, through a
    temporary file of a unique name in the same folder (two writers never share one)."""
    # Imported here, as in read_session: the training record and the training engine and
    # tasks it reads into are not needed before the window's first paint (~5 ms).
    from rnnviz.io.training_record import training_to_dict

    path = Path(path)
    c = contents
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "config": c.config,
        "cell": c.params.cell,
        "activation": c.params.activation,
        "vocab": c.vocab,
        "t": c.t,
        "selected": c.selected,
        "training": training_to_dict(c.training),
    }
    arrays = {**c.params.arrays(), "sequence": c.sequence}
    fd, part = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
                z.writestr("manifest.json", json.dumps(manifest, indent=2, allow_nan=False))
                for name, array in arrays.items():
                    buf = io.BytesIO()
                    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
                    z.writestr(f"arrays/{name}.npy", buf.getvalue())
                z.writestr(VIEW_MEMBER, json.dumps(c.view, indent=2))
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, path)
    finally:
        Path(part).unlink(missing_ok=True)


def read_session(path: str | Path) -> SessionContents:
    """Read and check a whole session file; SessionFileError (one line, naming the file)
    for anything wrong with it, whatever it is."""
    with refusing(SessionFileError, path):
        return _read_session(path)


def _read_session(path: str | Path) -> SessionContents:
    """Read and check a whole session file; SessionFileError naming the file and problem."""
    path = Path(path)

    def fail(problem: str) -> SessionFileError:
        return SessionFileError(f"{path}: {problem}")

    if not path.is_file():
        raise fail("no such file")
    try:
        limits.check_bytes("the file", path.stat().st_size)
        with zipfile.ZipFile(path) as z:
            limits.check_zip(z)  # from the directory alone: no member is unpacked yet
            names = set(z.namelist())
            if "manifest.json" not in names:
                raise fail("not an rnnviz session (no manifest.json inside)")
            manifest = _manifest(read_member(z, "manifest.json", MAX_TEXT_BYTES), fail)
            arrays = {}
            for name in _array_names(manifest):
                member = f"arrays/{name}.npy"
                if member not in names:
                    raise fail(f"missing array {name}")
                with z.open(member) as f:  # a stream: only what its header declares is read
                    arrays[name] = _array(f, name, fail)
            view = (
                _view(read_member(z, VIEW_MEMBER, MAX_TEXT_BYTES), fail)
                if VIEW_MEMBER in names
                else {}
            )
    except limits.LimitError as e:
        raise fail(str(e)) from None
    except zipfile.BadZipFile:
        raise fail("not an rnnviz session, or the file is truncated (not a valid zip)") from None
    except (EOFError, zipfile.LargeZipFile, OSError) as e:
        raise fail(f"cannot be read ({e})") from None
    return _contents(manifest, arrays, view, fail)


def _manifest(raw: bytes, fail: Fail) -> dict[str, Any]:
    try:
        m = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise fail("its manifest is not valid JSON") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise fail(f'not an rnnviz session (the manifest needs "format": "{FORMAT}")')
    version = m.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail('its manifest needs a whole-number "version"')
    if version > VERSION:
        raise fail(
            f"session format version {version} is newer than this rnnviz reads "
            f"({VERSION}); update rnnviz"
        )
    return m


def _array(f: IO[bytes], name: str, fail: Fail) -> np.ndarray:
    try:
        limits.check_npy_header(f, f"array {name}")  # before np.load allocates its shape
        a = np.load(f, allow_pickle=False)
    except limits.LimitError as e:
        raise fail(str(e)) from None
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise fail(f"array {name} holds pickled objects, which rnnviz never loads") from None
        raise fail(f"array {name} is damaged ({e})") from None
    except (OSError, EOFError) as e:
        raise fail(f"array {name} is damaged ({e})") from None
    if a.dtype.kind not in "fiu":
        raise fail(f"array {name} is not numeric (dtype {a.dtype})")
    if not np.all(np.isfinite(a)):
        raise fail(f"array {name} holds non-finite values")
    return a


def _view(raw: bytes, fail: Fail) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise fail(f"its {VIEW_MEMBER} is not valid JSON") from None
    if not isinstance(data, dict):
        raise fail(f"its {VIEW_MEMBER} must be an object")
    return data


def _contents(
    m: dict[str, Any], arrays: dict[str, np.ndarray], view: dict[str, Any], fail: Fail
) -> SessionContents:
    config = m.get("config")
    if not isinstance(config, dict):
        raise fail('its manifest needs a "config" object')
    cell, activation = m.get("cell", config.get("cell")), m.get("activation")
    activation = config.get("activation") if activation is None else activation
    dtype = config.get("dtype", "float64")
    if cell not in GATES:
        raise fail(f"unknown cell {cell!r}")
    if dtype not in DTYPES:
        raise fail(f"unknown dtype {dtype!r}")
    L, D = _depth(m)
    first = "W_hh" if (L, D) == (1, 1) else "rnn.weight_hh_l0"
    W_hh = arrays[first]
    H = W_hh.shape[1] if W_hh.ndim == 2 else 0
    if W_hh.shape != (GATES[cell] * H, H) or H == 0:
        raise fail(f"{first} has shape {W_hh.shape}, which no {cell} cell has")
    weights = {n: a.astype(DTYPES[dtype]) for n, a in arrays.items() if n != "sequence"}
    params: Params | StackParams
    try:
        if (L, D) == (1, 1):
            params = Params(str(cell), str(activation), *(weights[n] for n in _ARRAYS[:-1]))
        else:
            params = stack_from_arrays(str(cell), str(activation), weights, L, D)
    except (TypeError, ValueError) as e:
        raise fail(str(e)) from None
    try:
        limits.check_network(params.hidden_size, params.input_size, params.output_size)
        rows = arrays["sequence"]
        if rows.ndim == 2:
            limits.check_steps(rows.shape[0], max(W_hh.shape[0], rows.shape[1]), "the inputs")
    except limits.LimitError as e:
        raise fail(str(e)) from None
    sequence = arrays["sequence"].astype(float)  # (N, I)
    if sequence.ndim != 2 or sequence.shape[1] != params.input_size:
        raise fail(
            f"the inputs have shape {sequence.shape}; the weights take "
            f"{params.input_size} values per step"
        )
    vocab = m.get("vocab", "")
    if not isinstance(vocab, str):
        raise fail('"vocab" must be a text')
    t, selected = m.get("t", 0), m.get("selected")
    if not _whole(t) or not 0 <= t <= sequence.shape[0]:
        raise fail(f'"t" must be a step between 0 and {sequence.shape[0]}')
    if selected is not None and (not _whole(selected) or not 1 <= selected <= max(t, 1)):
        raise fail(f'"selected" must be a step between 1 and {t}')
    training = m.get("training")
    if training is not None and not isinstance(training, dict):
        raise fail('"training" must be an object')
    from rnnviz.io.training_record import training_from_dict

    try:
        history = training_from_dict(training)
    except ValueError as e:
        raise fail(f"the training history {e}") from None
    return SessionContents(config, params, sequence, vocab, t, selected, history, view)


def _depth(m: dict[str, Any]) -> tuple[int, int]:
    """(layers, directions) the settings declare: (1, 1) in files older than stacks."""
    config = m.get("config")
    config = config if isinstance(config, dict) else {}
    L, bidirectional = config.get("num_layers", 1), config.get("bidirectional", False)
    if not _whole(L) or not 1 <= L <= limits.MAX_LAYERS or not isinstance(bidirectional, bool):
        return 1, 1  # the settings' own check names the bad value
    return L, 2 if bidirectional else 1


def _array_names(m: dict[str, Any]) -> list[str]:
    """The arrays a file of these settings holds."""
    L, D = _depth(m)
    if (L, D) == (1, 1):
        return list(_ARRAYS)
    suffixes = ("", "_reverse")[:D]
    names = [
        f"rnn.{w}_l{k}{suffix}"
        for k in range(L)
        for suffix in suffixes
        for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]
    return [*names, "readout.weight", "readout.bias", "sequence"]


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
