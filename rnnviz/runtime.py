"""Process settings for the app and its commands: one BLAS thread, freed memory kept.

Both are about the engine's shape of work: small matrices (H ≤ a few hundred) multiplied
thousands of times in a serial loop, plus a few (T, H) arrays per pass. Only entry points
call these (the ``rnnviz`` command, the benchmarks), never the engine: a script or notebook
that imports the engine keeps its own process settings.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt parameters, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Blocks up to this size come from the heap and are reused; glibc's ceiling for the setting.
_MMAP_THRESHOLD = 32 << 20
# Free memory at the top of the heap is handed back to the OS only beyond this much.
_TRIM_THRESHOLD = 64 << 20


def prefer_one_blas_thread() -> None:
    """One BLAS thread, unless the user chose otherwise. Must run before NumPy is imported.

    A second BLAS thread saves nothing on these matrices, and on a two-core machine that
    also runs Qt it spins against the GUI thread — measured here, a (256 × 1000) @
    (1000 × 256) product took 36 ms with two threads under load and 2.3 ms with one.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def keep_freed_memory() -> bool:
    """Let glibc keep freed blocks of up to 32 MB for reuse; True if the setting took.

    By default glibc maps a fresh block for every array above ~1 MB and unmaps it when it
    is freed, so every pass of the engine touches new pages, and each first touch is a page
    fault. Measured here at T × H = 1000 × 128: ~1100 faults per forward + BPTT pass, which
    made the pass 7.3 ms instead of 5.6 ms. Elsewhere than glibc this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process already uses
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )
