"""Readers fail closed: whatever a hostile or broken file makes go wrong inside a reader
(RecursionError from deep nesting, MemoryError, TypeError from a wrong type, UnicodeError,
…) becomes the reader's own one-line refusal naming the file, never a crash or a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MAX_MESSAGE = 300  # characters: a refusal is one line a person reads, not a dump


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@contextmanager
def refusing(error: type[ValueError], path: str | Path) -> Iterator[None]:
    """Inside, the reader's own ``error`` passes through (made one line); any other
    exception becomes ``error("<path>: cannot be read (<what went wrong>)")``."""
    try:
        yield
    except error as e:
        raise error(one_line(str(e))) from None
    except Exception as e:  # a hostile file may make anything fail: refuse, never crash
        what = str(e) or type(e).__name__
        if isinstance(e, RecursionError):
            what = "nested too deeply"
        elif isinstance(e, MemoryError):
            what = "too large to read"
        raise error(one_line(f"{path}: cannot be read ({what})")) from None
