"""The largest network, sequence and file rnnviz takes: one place, checked before allocating.

Every reader (sessions, lessons, weights, sequences) and the Feed box checks what a file or
a paste *declares* (shapes in array headers, sizes in zip directories, counts of values)
against these before it reads or allocates anything, and refuses in one line naming the
limit. Zip bombs are defused by reading, not by guessing from ratios (an array of zeros packs
a thousandfold and is no attack): an array member is read as a stream, and only as many
bytes as its checked header declares are ever unpacked; a JSON member is read up to
MAX_TEXT_BYTES; a .pt file's members must be stored unpacked, as torch writes them.
Together they keep everything one session holds to a few hundred MB, so that no file or
input can exhaust the memory of a 4 GB machine.

=====================  =========  ==============================================
limit                  value      what it bounds
=====================  =========  ==============================================
MAX_HIDDEN             4096       hidden units H
MAX_LAYERS             4          stacked recurrent layers L (each may be bidirectional)
MAX_INPUT              1024       values per input step I (vector width)
MAX_OUTPUT             1024       readout outputs O
MAX_VOCAB              256        distinct characters of a text (its classes)
MAX_STEPS              100,000    steps of a sequence, a lag, a truncation window
MAX_STEP_VALUES        2²³        steps × the widest per-step array (G·H, I or O)
MAX_EPOCHS             100,000    training epochs, and a saved history's length
MAX_SEED               2³¹ − 1    random seeds (0 … MAX_SEED)
MAX_CLIP               10⁶        the gradient-clipping threshold
MAX_FILE_BYTES         1 GiB      a file on disk, and one member of a zip unpacked
MAX_TEXT_BYTES         64 MiB     a JSON document, a CSV file
MAX_PASTE_CHARS        2²²        characters typed or pasted into the Feed box
MAX_ZIP_MEMBERS        64         members of a zip (session, .npz, .pt)
=====================  =========  ==============================================
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO

import numpy as np

MAX_HIDDEN = 4096
# Four layers already show the gradient fading down the stack; more only slows the window.
MAX_LAYERS = 4
MAX_INPUT = 1024
MAX_OUTPUT = 1024
MAX_VOCAB = 256
MAX_STEPS = 100_000
# A (T, G·H) trace array at this size is 64 MB of float64: H = 4096 vanilla runs 2048 steps,
# an LSTM of 256 units 8192.
MAX_STEP_VALUES = 2**23
MAX_EPOCHS = 100_000
MAX_SEED = 2**31 - 1  # what a spin box holds
MAX_CLIP = 1e6
MAX_FILE_BYTES = 2**30
MAX_TEXT_BYTES = 64 * 2**20
MAX_PASTE_CHARS = 2**22  # 100,000 steps of a few numbers each, with room to spare
MAX_ZIP_MEMBERS = 64

_MIB = 2**20


class LimitError(ValueError):
    """Something larger than a documented limit; the message names the limit."""


def check_count(what: str, count: int, limit: int) -> None:
    """``what`` has ``count`` items; refuse if over ``limit``."""
    if count > limit:
        raise LimitError(f"{what} is {count:,}; the most rnnviz takes is {limit:,}")


def check_steps(steps: int, width: int, what: str = "the sequence") -> None:
    """A sequence of ``steps`` rows of ``width`` values (the widest per-step array)."""
    check_count(f"the number of steps of {what}", steps, MAX_STEPS)
    if steps * width > MAX_STEP_VALUES:
        raise LimitError(
            f"{what} has {steps:,} steps of {width:,} values; the most rnnviz takes is "
            f"{MAX_STEP_VALUES:,} values in all (steps × per-step width)"
        )


def check_array_shape(name: str, shape: tuple[int, ...]) -> None:
    """An array's declared shape, before it is read: no side beyond the largest limit, no
    more values than the longest sequence of the widest step."""
    widest = max(MAX_STEPS, 4 * MAX_HIDDEN)
    for side in shape:
        if side > widest:
            raise LimitError(f"{name} declares shape {shape}; no side may exceed {widest:,}")
    total = 1
    for side in shape:
        total *= side
    if total > max(MAX_STEP_VALUES, 4 * MAX_HIDDEN * MAX_HIDDEN):
        raise LimitError(f"{name} declares shape {shape}: {total:,} values, too many to read")


def check_bytes(what: str, size: int, limit: int = MAX_FILE_BYTES) -> None:
    if size > limit:
        raise LimitError(
            f"{what} is {size / _MIB:,.0f} MB; the most rnnviz reads is {limit / _MIB:,.0f} MB"
        )


def check_zip(z: zipfile.ZipFile) -> None:
    """Refuse from the zip's directory alone, before unpacking anything: too many members,
    or members that say they unpack to more than MAX_FILE_BYTES."""
    infos = z.infolist()
    check_count("the number of members of the zip", len(infos), MAX_ZIP_MEMBERS)
    for info in infos:
        check_bytes(f"member {info.filename!r} unpacked", info.file_size)
    check_bytes("the zip unpacked", sum(info.file_size for info in infos))


def read_member(z: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, never more than ``limit`` whatever its header claims (a lying
    header cannot make it unpack more)."""
    info = z.getinfo(name)
    check_bytes(f"member {name!r} unpacked", info.file_size, limit)
    with z.open(info) as f:
        data = f.read(limit + 1)
    check_bytes(f"member {name!r} unpacked", len(data), limit)
    return data


def check_npy_header(f: BinaryIO, name: str) -> None:
    """Read an .npy header from ``f`` and refuse a declared shape beyond the limits, before
    any array is allocated; ``f`` is left where it was."""
    start = f.tell()
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    finally:
        f.seek(start)
    check_array_shape(name, tuple(int(s) for s in shape))
    check_bytes(name, int(np.prod(shape, dtype=object)) * dtype.itemsize)


def check_network(hidden: int, inputs: int, outputs: int) -> None:
    """A network's sizes: hidden units, inputs per step and outputs."""
    check_count("the hidden size", hidden, MAX_HIDDEN)
    check_count("the input size", inputs, max(MAX_INPUT, MAX_VOCAB))
    check_count("the output size", outputs, max(MAX_OUTPUT, MAX_VOCAB))
