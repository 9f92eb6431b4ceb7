"""Timing helpers and a plain-text table printer shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of_each(fns: list[Callable[[], object]], repeats: int = 15) -> list[float]:
    """The fastest run of each function, in seconds, with their runs interleaved.

    A ratio of two timings is only fair when both saw the same machine: taking turns means
    a slow spell (another process, a clock change) touches all of them alike.
    """
    for fn in fns:
        fn()  # warm-up
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
