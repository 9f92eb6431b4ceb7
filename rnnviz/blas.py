"""One BLAS thread for the app and its commands, unless the user chose otherwise.

The matrices here are small (H ≤ a few hundred): a second BLAS thread saves nothing, and on
a two-core machine that also runs Qt it spins against the GUI thread — measured here, a
(256 × 1000) @ (1000 × 256) product took 36 ms with two threads under load and 2.3 ms with
one. This must run before NumPy is first imported, so only entry points call it.
"""

from __future__ import annotations

import os


def prefer_one_blas_thread() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
