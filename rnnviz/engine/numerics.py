"""Small numerical helpers shared by the engine: overflow-safe norms, finiteness bookkeeping."""

from __future__ import annotations

import numpy as np

# Values below this are flushed to zero in backward chains: they carry no information, and
# once they become subnormal every floating-point operation on them is many times slower.
FLUSH_BELOW = 1e-290


def row_norms(a: np.ndarray) -> np.ndarray:
    """Euclidean norm of every row of a (T, N) array, exact for huge and tiny entries too.

    The plain sum of squares overflows above ~1e154 and underflows below ~1e-154, which is
    exactly where exploding and vanishing gradients live; those rows are recomputed scaled.
    """
    if a.ndim == 2 and a.strides[0] < 0:
        # Rows laid out last first (the backward pass's arrays): einsum is several times
        # slower against the memory order, so read them forward and flip the result.
        return row_norms(a[::-1])[::-1]
    with np.errstate(all="ignore"):
        norms = np.sqrt(np.einsum("ij,ij->i", a, a))  # (T,) one pass, no temporaries
        risky = np.flatnonzero(~((norms > 1e-140) & (norms < 1e140)))  # 0, tiny, huge, inf
        if risky.size:
            sub = a[risky]
            # Rows that are exactly zero (a vanished gradient: often most of them) are right.
            keep = np.any(sub != 0, axis=1)
            risky, sub = risky[keep], sub[keep]
        if risky.size:
            scale = np.max(np.abs(sub), axis=-1)
            safe = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
            norms[risky] = scale * np.sqrt(np.sum((sub / safe[:, None]) ** 2, axis=-1))
        return norms


# A sum of squares in this range lost nothing to overflow or to underflowing terms that count.
_SAFE_LOW, _SAFE_HIGH = 1e-200, 1e200


def global_norm(arrays: list[np.ndarray]) -> float:
    """‖concat(arrays)‖₂, computed so that large entries do not overflow the squares.

    One dot product per array when the plain sum of squares is a normal finite number
    (training clips every update: the scaled sum costs five NumPy calls per array).
    """
    with np.errstate(all="ignore"):
        plain = sum(float(np.vdot(a, a)) for a in arrays)
        if _SAFE_LOW < plain < _SAFE_HIGH:
            return float(np.sqrt(plain))
        scale = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
        if scale == 0.0 or not np.isfinite(scale):
            return scale
        return scale * float(np.sqrt(sum(float(np.sum((a / scale) ** 2)) for a in arrays)))


def first_bad_row(a: np.ndarray) -> int | None:
    """Index of the first row of ``a`` that holds a non-finite value, or None.

    A row holding inf or NaN has a sum that is not finite, so only rows whose sum is not
    finite (those, or finite values summing beyond the float range) are looked at value by
    value: no (T, N) temporary for every pass, which would cost fresh pages each time.
    """
    if not a.size:
        return None
    rows = a.reshape(a.shape[0], -1)  # (T, N)
    with np.errstate(all="ignore"):
        suspects = np.flatnonzero(~np.isfinite(rows.sum(axis=1)))  # (S,)
    if not suspects.size:
        return None
    bad = ~np.isfinite(rows[suspects]).all(axis=1)  # (S,)
    return int(suspects[np.argmax(bad)]) if bad.any() else None
