"""Turning what a user types into input vectors, with messages that say what is wrong."""

from __future__ import annotations

import re

import numpy as np

from rnnviz.io import limits

ENCODINGS: tuple[str, ...] = ("scalar", "vector", "text")


class InputError(ValueError):
    """Input that cannot be fed; the message is short enough to show next to the field."""


def vocabulary(text: str) -> str:
    """The sorted distinct characters of ``text``: the one-hot alphabet (InputError beyond
    the limits of a text's length and vocabulary)."""
    try:
        limits.check_steps(len(text), 1, "the text")
        vocab = "".join(sorted(set(text)))
        limits.check_count("the text's vocabulary", len(vocab), limits.MAX_VOCAB)
    except limits.LimitError as e:
        raise InputError(str(e)) from None
    return vocab


def one_hot(text: str, vocab: str) -> np.ndarray:
    """(len(text), len(vocab)) one-hot rows, one per character."""
    missing = sorted(set(text) - set(vocab))
    if missing:
        shown = ", ".join(repr(c) for c in missing)
        raise InputError(f"{shown} not in the vocabulary {vocab!r}; load new text to change it")
    index = {c: i for i, c in enumerate(vocab)}
    out = np.zeros((len(text), len(vocab)))  # (T, V)
    out[np.arange(len(text)), [index[c] for c in text]] = 1.0
    return out


def parse_numbers(text: str, width: int) -> np.ndarray:
    """Parse typed numbers into (T, width) rows.

    Scalars (width 1): numbers separated by spaces or commas, one step each.
    Vectors: comma- or space-separated numbers per step, steps separated by ';' or newlines.
    """
    if len(text) > limits.MAX_PASTE_CHARS:  # before splitting it into millions of pieces
        raise InputError(
            f"the text has {len(text):,} characters; the most rnnviz takes is "
            f"{limits.MAX_PASTE_CHARS:,}"
        )
    text = text.strip()
    if not text:
        raise InputError("type a number (or numbers separated by commas)")
    if width == 1:
        groups = [g for g in re.split(r"[\s,;]+", text) if g]
        _check_steps(len(groups))
        rows = [[_number(g)] for g in groups]
    else:
        rows = []
        chunks = [c for c in re.split(r"[;\n]+", text) if c.strip()]
        _check_steps(len(chunks))
        for k, chunk in enumerate(chunks):
            fields = [f for f in re.split(r"[\s,]+", chunk.strip()) if f]
            if len(fields) != width:
                raise InputError(
                    f"step {k + 1} has {len(fields)} numbers; this network takes {width} "
                    f"(e.g. {', '.join(['0.5'] * width)})"
                )
            rows.append([_number(f) for f in fields])
    if not rows:  # only separators (",", ";")
        raise InputError("type a number (or numbers separated by commas)")
    return np.array(rows, dtype=float)  # (T, width)


def _check_steps(count: int) -> None:
    """Before converting a paste: no more steps than any sequence may have."""
    try:
        limits.check_count("the number of steps pasted", count, limits.MAX_STEPS)
    except limits.LimitError as e:
        raise InputError(str(e)) from None


def _number(field: str) -> float:
    try:
        value = float(field)
    except ValueError:
        raise InputError(f"{field!r} is not a number") from None
    if not np.isfinite(value):
        raise InputError(f"{field!r} is not a finite number")
    return value
