"""Arrays laid out for fast mat-vecs: starting on a 64-byte boundary, rows of whole blocks.

OpenBLAS's mat-vec loads a matrix row by row in 32-byte vectors, and is slower on a matrix
that does not start on a 32-byte boundary (measured in rnnviz/bench/engine.py); where
``np.empty`` puts a block is luck. Rows of a whole number of 32-byte blocks keep every row
aligned, not only the first.
"""

from __future__ import annotations

import numpy as np

ALIGN = 64  # bytes: a cache line, which is also a whole number of 32-byte vectors
BLOCK = 4  # float64 values in 32 bytes


def padded(n: int) -> int:
    """n rounded up to whole 32-byte blocks of float64 (whole blocks of 4 values)."""
    return -(-n // BLOCK) * BLOCK


def aligned_zeros(shape: tuple[int, ...], dtype: np.dtype | type = np.float64) -> np.ndarray:
    """Zeros whose first element starts on a 64-byte boundary."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    buffer = np.zeros(n * dtype.itemsize + ALIGN, dtype=np.uint8)
    start = -buffer.ctypes.data % ALIGN
    return buffer[start : start + n * dtype.itemsize].view(dtype).reshape(shape)
