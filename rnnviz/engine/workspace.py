"""The engine's working memory, reused from one pass to the next of the same shape.

Why: glibc hands every freed block of more than a few hundred kB back to the operating
system, so a pass that allocates its (T, H) arrays afresh touches new pages, and every
first touch of a page is a page fault — measured at T × H = 1000 × 128: ~970 faults per
forward + BPTT pass, which made the pass ~1.3x slower than with the same memory reused
(rnnviz/bench/engine.py). ``rnnviz.runtime.keep_freed_memory`` fixes that for a whole
process, but only entry points may change process settings; a notebook importing the
engine does not get it. So the engine keeps its own.

How: one buffer per role (``"forward.rows"``, ``"bptt.dH"``, …), the last one handed out.
A pass of the same size gets that memory again if nothing else holds it any more — the
results of an earlier pass that the caller still keeps are never overwritten: an array
viewing the buffer holds a reference to it, which the check below sees. Memory held is
bounded (one buffer per role, of the last size asked for) and a buffer of another size
replaces the old one, which is then freed with the last result that uses it.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

from rnnviz.engine.alignment import ALIGN


def _free_count() -> int:
    """What getrefcount says in ``take`` of a buffer nothing else holds: measured, not
    assumed, since interpreters differ in the references they count."""
    probe = {"role": (np.empty(1, np.uint8), 0)}
    buf, _ = probe.get("role", (None, 0))
    return sys.getrefcount(buf)


_FREE = _free_count()
_lock = threading.Lock()  # the lab's worker threads and the GUI thread both run passes
# role -> (raw byte buffer, where its first 64-byte boundary is). Every size is kept: a
# fresh block's address costs ~2 µs to find (ndarray.ctypes), more than reusing one, and a
# training update takes a dozen arrays.
_held: dict[str, tuple[np.ndarray, int]] = {}


def take(
    role: str, shape: tuple[int, ...], dtype: np.dtype | type, zero: bool = True
) -> np.ndarray:
    """An array of ``shape`` starting on a 64-byte boundary, zeros if ``zero`` (else
    whatever the memory held), in the buffer kept for ``role`` when that is free."""
    dtype = np.dtype(dtype)
    n = math.prod(shape) * dtype.itemsize  # math.prod: np.prod costs ~5 µs a call
    size = n + ALIGN
    with _lock:
        buf, start = _held.get(role, (None, 0))
        # Free: referenced only by the dict and by ``buf`` (no array viewing it is alive).
        if buf is None or buf.size != size or sys.getrefcount(buf) > _FREE:
            buf = np.empty(size, np.uint8)
            start = -buf.ctypes.data % ALIGN
            _held[role] = buf, start
    out = buf[start : start + n].view(dtype).reshape(shape)
    if zero:
        out.fill(0)
    return out


def held_bytes() -> int:
    """How much memory the engine keeps for reuse now."""
    with _lock:
        return sum(b.nbytes for b, _ in _held.values())


def release() -> None:
    """Forget every kept buffer (each is freed once no result uses it)."""
    with _lock:
        _held.clear()
