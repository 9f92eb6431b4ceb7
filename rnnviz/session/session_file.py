"""Saving and reopening a session: a zip with a JSON manifest and NumPy arrays, never pickle.

Layout (format "rnnviz-session", version 1)::

    manifest.json     {"format", "version", "config": {SessionConfig fields}, "vocab",
                       "t", "selected", "cell", "activation", "training": {...} | null}
    arrays/<name>.npy W_ih, W_hh, b_ih, b_hh, W_hy, b_y, sequence  (np.save, no pickle)

Reopening restores exactly the weights, the inputs, how many were fed and the selected step,
and the lab's training history when there is one.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from rnnviz.engine import Params
from rnnviz.engine.params import GATES
from rnnviz.session.config import SessionConfig

FORMAT = "rnnviz-session"
VERSION = 1
SUFFIX = ".rnnviz"
_ARRAYS = ("W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y", "sequence")


class SessionFileError(ValueError):
    """A session file that cannot be opened; the message names the file and the problem."""


@dataclass(frozen=True)
class Snapshot:
    """Everything a session file holds."""

    config: SessionConfig
    params: Params
    sequence: np.ndarray  # (N, I)
    vocab: str
    t: int
    selected: int | None
    training: dict[str, Any] | None  # the lab's history: task and per-epoch numbers


def snapshot(session, training: dict[str, Any] | None = None) -> Snapshot:
    return Snapshot(
        session.config,
        session.params,
        session.sequence.copy(),
        session.vocab,
        session.t,
        session.selected,
        training,
    )


def save_session(path: str | Path, snap: Snapshot) -> None:
    """Write atomically: a crash while saving never leaves half a file under ``path``."""
    path = Path(path)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "config": {f.name: getattr(snap.config, f.name) for f in fields(SessionConfig)},
        "cell": snap.params.cell,
        "activation": snap.params.activation,
        "vocab": snap.vocab,
        "t": snap.t,
        "selected": snap.selected,
        "training": snap.training,
    }
    arrays = {**snap.params.arrays(), "sequence": snap.sequence}
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest, indent=2, allow_nan=False))
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
            z.writestr(f"arrays/{name}.npy", buf.getvalue())
    tmp.replace(path)


def load_session(path: str | Path) -> Snapshot:
    path = Path(path)

    def fail(problem: str) -> SessionFileError:
        return SessionFileError(f"{path}: {problem}")

    if not path.is_file():
        raise fail("no such file")
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "manifest.json" not in names:
                raise fail("not an rnnviz session (no manifest.json inside)")
            manifest = _manifest(z.read("manifest.json"), fail)
            arrays = {}
            for name in _ARRAYS:
                member = f"arrays/{name}.npy"
                if member not in names:
                    raise fail(f"missing array {name}")
                arrays[name] = _array(z.read(member), name, fail)
    except zipfile.BadZipFile:
        raise fail("not an rnnviz session, or the file is truncated (not a valid zip)") from None
    except (EOFError, zipfile.LargeZipFile, OSError) as e:
        raise fail(f"cannot be read ({e})") from None
    return _snapshot(manifest, arrays, fail)


def _manifest(raw: bytes, fail) -> dict[str, Any]:
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


def _array(raw: bytes, name: str, fail) -> np.ndarray:
    try:
        a = np.load(io.BytesIO(raw), allow_pickle=False)
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


def _snapshot(m: dict[str, Any], arrays: dict[str, np.ndarray], fail) -> Snapshot:
    raw_config = m.get("config")
    if not isinstance(raw_config, dict):
        raise fail('its manifest needs a "config" object')
    known = {f.name for f in fields(SessionConfig)}
    unknown = set(raw_config) - known
    if unknown:
        raise fail(f"unknown setting(s) {', '.join(sorted(unknown))}")
    try:
        config = SessionConfig().changed(**raw_config)
        cell = str(m.get("cell", config.cell))
        if cell not in GATES:
            raise ValueError(f"unknown cell {cell!r}")
        G, H = GATES[cell], config.hidden_size
        if arrays["W_hh"].shape != (G * H, H):
            raise ValueError(f"W_hh has shape {arrays['W_hh'].shape}, expected {(G * H, H)}")
        dtype = np.dtype(config.dtype)
        params = Params(
            str(m.get("cell", config.cell)),
            str(m.get("activation", config.activation)),
            *(arrays[n].astype(dtype) for n in _ARRAYS[:-1]),
        )
    except (TypeError, ValueError) as e:
        raise fail(str(e)) from None
    sequence = arrays["sequence"].astype(float)
    if sequence.ndim != 2 or sequence.shape[1] != params.input_size:
        raise fail(
            f"the inputs have shape {sequence.shape}; the weights take "
            f"{params.input_size} values per step"
        )
    vocab = m.get("vocab", "")
    if not isinstance(vocab, str):
        raise fail('"vocab" must be a text')
    t, selected = m.get("t", 0), m.get("selected")
    if not isinstance(t, int) or not 0 <= t <= sequence.shape[0]:
        raise fail(f'"t" must be a step between 0 and {sequence.shape[0]}')
    if selected is not None and (not isinstance(selected, int) or not 1 <= selected <= max(t, 1)):
        raise fail(f'"selected" must be a step between 1 and {t}')
    training = m.get("training")
    if training is not None and not isinstance(training, dict):
        raise fail('"training" must be an object')
    return Snapshot(config, params, sequence, vocab, t, selected, training)


def restore(session, snap: Snapshot) -> None:
    """Put a snapshot into a live session (all or nothing)."""
    session.restore(snap.config, snap.params, snap.sequence, snap.vocab, snap.t, snap.selected)
