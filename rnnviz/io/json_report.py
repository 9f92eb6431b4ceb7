"""The analysis report: every number of one forward and backward pass, as strict JSON.

Strict means no ``NaN`` / ``Infinity`` tokens (they are not JSON): a non-finite number is
written as ``null``. Rows the engine could not compute (after an explosion) are ``null``
too, rather than the zeros the engine keeps in their place, so that no reader mistakes
them for a vanished value. The fields are documented in ``rnnviz analyze --help``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rnnviz.engine.bptt import BPTTResult, truncation_cuts
from rnnviz.engine.forward import ForwardTrace
from rnnviz.engine.spectral import gate_spectra, recurrent_radius, recurrent_sigma_max


def build_report(
    trace: ForwardTrace,
    result: BPTTResult | None,
    jacobian: tuple[np.ndarray, int | None] | None,
    grad_names: Mapping[str, str],
    config: Mapping[str, Any],
    truncate: int | None = None,
) -> dict[str, Any]:
    """The report as JSON-ready Python objects.

    ``result`` is None when there was no loss; ``jacobian`` is (‖∂h_T/∂h_t‖ per step, the
    step where the product overflowed) or None; ``grad_names`` renames the Params fields
    of the gradients to the weight file's keys, and fields it lacks are left out.
    """
    p, T = trace.params, trace.T
    forward_ok = trace.valid  # (T,)
    report: dict[str, Any] = {
        "config": dict(config),
        "loss": None,
        "h": per_step(trace.h, forward_ok),
        "c": None if trace.c is None else per_step(trace.c, forward_ok),
        "y": per_step(trace.y, forward_ok),
        "dL_dh": None,
        "dL_dh_norm": None,
        "dL_dc_norm": None,
        "dW_hh_contrib": None,
        "jacobian_norm": None,
        "jacobian_overflow_at": None,
        "truncation_cuts": cut_steps(T, truncate),
        "grads": None,
        "grad_norm_before_clip": None,
        "grad_norm_after_clip": None,
        "spectral_radius": finite_or_none(recurrent_radius(p)),
        "sigma_max": finite_or_none(recurrent_sigma_max(p)),
        "gate_spectra": {
            gate: {"spectral_radius": finite_or_none(rho), "sigma_max": finite_or_none(sigma)}
            for gate, (rho, sigma) in gate_spectra(p).items()
        },
        "exploded_at": trace.exploded_at,
        "exploded_in": None if trace.exploded_at is None else "forward",
    }
    if jacobian is not None:
        norms, overflow_at = jacobian
        ok = np.ones(T, dtype=bool)  # (T,)
        if overflow_at is not None:
            ok[:overflow_at] = False  # beyond float range: the engine shows them as 0
        report["jacobian_norm"] = per_step(norms, ok)
        report["jacobian_overflow_at"] = overflow_at
    if result is not None:
        ok = result.valid  # (T,)
        report["dL_dh"] = per_step(result.dL_dh, ok)
        report["dL_dh_norm"] = per_step(result.dL_dh_norm, ok)
        if result.dL_dc_norm is not None:
            report["dL_dc_norm"] = per_step(result.dL_dc_norm, ok)
        report["dW_hh_contrib"] = per_step(result.dW_hh_contrib, ok)
        report["exploded_at"] = result.exploded_at
        report["exploded_in"] = result.exploded_in
        if trace.exploded_at is None:  # the loss of a forward explosion saw placeholder rows
            report["loss"] = finite_or_none(result.loss)
        if result.exploded_at is None:  # the engine zeroes an explosion's gradients: none exist
            report["grads"] = {
                grad_names[f]: _array(g) for f, g in result.grads.items() if f in grad_names
            }
            report["grad_norm_before_clip"] = finite_or_none(result.grad_norm_before_clip)
            report["grad_norm_after_clip"] = finite_or_none(result.grad_norm_after_clip)
    return report


def finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _array(a: np.ndarray) -> Any:
    """Nested lists of Python floats, with None for every non-finite entry."""
    obj = np.asarray(a).astype(object)
    obj[~np.isfinite(a)] = None
    return obj.tolist()


def per_step(a: np.ndarray, ok: np.ndarray) -> list[Any]:
    """One entry (a number or a row) per step; steps that are not ``ok`` become None."""
    rows = _array(a)
    return [row if good else None for row, good in zip(rows, ok.tolist(), strict=True)]


def cut_steps(T: int, truncate: int | None) -> list[int]:
    """The 1-based steps t that get no gradient from step t+1 (step T has no successor)."""
    cuts = truncation_cuts(T, truncate)[: T - 1]  # (T-1,)
    return (np.flatnonzero(cuts) + 1).tolist()


def dumps_strict(report: Mapping[str, Any]) -> str:
    """JSON text; raises ValueError if a NaN or infinity slipped through (never written)."""
    return json.dumps(report, allow_nan=False)


def write_report(path: str | os.PathLike[str], report: Mapping[str, Any]) -> None:
    Path(path).write_text(dumps_strict(report) + "\n", encoding="utf-8")
