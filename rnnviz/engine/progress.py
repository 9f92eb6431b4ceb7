"""Long computations are generators: they yield (done, total) and return their result.

A worker thread iterates them, reporting progress and stopping between two yields when
cancelled; a script simply calls ``run_to_end``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

R = TypeVar("R")
Progress = tuple[int, int]  # (done, total)
Steps = Generator[Progress, None, R]


def run_to_end(steps: Steps[R]) -> R:
    """Drain a progress generator and return its result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
