"""Sequence files: inputs X or targets Y, one timestep per row, as a (T, N) float array.

``.npy`` files are read with ``np.load(allow_pickle=False)``; a 1-D array is one value per
step. ``.csv`` files hold numbers only, comma separated, one line per step; blank lines are
skipped and a header line is refused (it would silently shift every step by one).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rnnviz.io import limits
from rnnviz.io.refusal import refusing

SEQUENCE_SUFFIXES: tuple[str, ...] = (".npy", ".csv")
_MAX_BYTES = {".npy": limits.MAX_FILE_BYTES, ".csv": limits.MAX_TEXT_BYTES}
_OTHER_SEPARATOR = re.compile(r"[;\t ]+")  # what spreadsheets write instead of commas
_NPY_MAGIC = b"\x93NUMPY"


class SequenceFileError(ValueError):
    """A sequence file that cannot be used; ``str()`` is one line naming the file and problem."""


def load_sequence(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a sequence file as a (T, N) float64 array with T ≥ 1 finite rows;
    SequenceFileError (one line, naming the file) if it is unusable for any reason."""
    with refusing(SequenceFileError, path):
        return _load_sequence(path)


def _load_sequence(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a sequence file as a (T, N) float64 array with T ≥ 1 finite rows."""
    path = Path(path)

    def fail(problem: str) -> SequenceFileError:
        return SequenceFileError(f"{path}: {problem}")

    suffix = path.suffix.lower()
    if suffix not in SEQUENCE_SUFFIXES:
        kind = f"'{path.suffix}'" if path.suffix else "without a suffix"
        raise fail(f"unknown sequence file type {kind}; use .npy or .csv")
    if not path.exists():
        raise fail("no such file")
    if not path.is_file():
        raise fail("not a regular file")
    try:
        limits.check_bytes("the file", path.stat().st_size, _MAX_BYTES[suffix])
    except limits.LimitError as err:
        raise fail(str(err)) from None
    try:
        arr = _read_npy(path, fail) if suffix == ".npy" else _read_csv(path, fail)
    except OSError as err:
        raise fail(f"cannot read it ({err.strerror or err})") from None
    if arr.ndim == 0:
        raise fail("holds a single number; expected one row per timestep")
    if arr.ndim > 2:
        raise fail(f"has shape {arr.shape}; expected (T,) or (T, N): one row per timestep")
    seq = arr[:, None] if arr.ndim == 1 else arr  # (T, N)
    if seq.shape[0] == 0 or seq.shape[1] == 0:
        raise fail(f"is empty (shape {arr.shape}); expected at least one timestep")
    try:
        limits.check_count("the number of values per step", seq.shape[1], limits.MAX_INPUT)
        limits.check_steps(seq.shape[0], seq.shape[1], "the file")
    except limits.LimitError as err:
        raise fail(str(err)) from None
    bad = ~np.isfinite(seq).all(axis=1)  # (T,)
    if bad.any():
        step = int(np.argmax(bad)) + 1
        raise fail(f"row {step} (step {step}) holds a non-finite value (NaN or inf)")
    return np.ascontiguousarray(seq, dtype=np.float64)


def _read_npy(path: Path, fail: Callable[[str], SequenceFileError]) -> np.ndarray:
    # Opened here, not by np.load, so that a bad file never leaks a handle, and so that a
    # file that is no .npy at all is not mistaken for pickled data.
    with open(path, "rb") as f:
        if not f.read(len(_NPY_MAGIC)).startswith(_NPY_MAGIC):
            raise fail("not a .npy file (truncated, corrupt or another format)")
        f.seek(0)
        try:
            limits.check_npy_header(f, "its array")  # before np.load allocates that shape
            arr = np.load(f, allow_pickle=False)
        except limits.LimitError as err:
            raise fail(str(err)) from None
        except ValueError as err:
            # NumPy refuses object arrays with allow_pickle=False; other ValueErrors are
            # damaged files. Its message is the only way to tell them apart.
            if "allow_pickle" in str(err):
                raise fail("holds pickled Python objects, which are never loaded") from None
            raise fail(f"truncated or corrupt .npy file ({err})") from None
        except EOFError as err:
            raise fail(f"truncated or corrupt .npy file ({err})") from None
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise fail(f"has dtype {arr.dtype}; expected real numbers")
    return arr.astype(np.float64)


def _read_csv(path: Path, fail: Callable[[str], SequenceFileError]) -> np.ndarray:
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: spreadsheets often write a BOM
    except UnicodeDecodeError:
        raise fail("not a text file (it is not UTF-8)") from None
    rows: list[list[float | None]] = []  # all numbers once a row has passed the checks
    width_line = 0  # the line that fixed the number of values per row
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(",")
        values = [_number(field) for field in fields]
        other = _OTHER_SEPARATOR.search(line.strip())
        if (
            len(fields) == 1
            and other
            and all(_number(f) is not None for f in _OTHER_SEPARATOR.split(line.strip()))
        ):
            raise fail(
                f"line {number} separates its values with {other.group()[0]!r}; "
                "rnnviz reads commas (e.g. 1,2)"
            )
        if len(rows) >= limits.MAX_STEPS or len(values) > limits.MAX_INPUT:
            raise fail(
                f"line {number} goes beyond the most rnnviz takes "
                f"({limits.MAX_STEPS:,} steps of at most {limits.MAX_INPUT:,} values)"
            )
        if not rows and all(v is None for v in values):
            raise fail(
                f"line {number} looks like a header ({line.strip()!r}); only numbers are "
                "allowed, one timestep per line: delete it"
            )
        for column, (field, value) in enumerate(zip(fields, values, strict=True), start=1):
            if value is None:
                raise fail(f"line {number}, value {column}: {field.strip()!r} is not a number")
            if not math.isfinite(value):
                raise fail(f"line {number}, value {column}: {field.strip()!r} is not finite")
        if rows and len(values) != len(rows[0]):
            raise fail(
                f"line {number} has {len(values)} values, but line {width_line} has {len(rows[0])}"
            )
        if not rows:
            width_line = number
        rows.append(values)
    if not rows:
        raise fail("is empty; expected at least one timestep")
    return np.array(rows, dtype=np.float64)  # (T, N)


def _number(field: str) -> float | None:
    try:
        return float(field)
    except ValueError:
        return None
