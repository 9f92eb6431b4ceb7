"""The numbers on screen, for a spreadsheet or a notebook: CSV (one row per step) and NPZ."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from rnnviz.session.session import Session


def data_arrays(session: Session) -> dict[str, np.ndarray]:
    """x, h, y and targets for the fed steps, plus the gradients when BPTT has run."""
    trace = session.trace
    arrays = {"x": trace.x, "h": trace.h, "y": trace.y, "targets": session.targets}
    if trace.c is not None:
        arrays["c"] = trace.c
    g = session.gradients
    if g is not None:
        arrays |= {"dL_dh": g.dL_dh, "dL_dh_norm": g.dL_dh_norm, "valid": g.valid}
        if g.jacobian_norm is not None:
            arrays["jacobian_norm"] = g.jacobian_norm
        if g.dL_dc_norm is not None:
            arrays["dL_dc_norm"] = g.dL_dc_norm
    return arrays


def export_npz(session: Session, path: str | Path) -> None:
    np.savez(Path(path), **data_arrays(session))


def export_csv(session: Session, path: str | Path) -> None:
    """One row per step t = 1..T; vector columns are numbered (h_1 … h_H)."""
    arrays = data_arrays(session)
    arrays.pop("dL_dh", None)  # T × H more columns than a spreadsheet needs; the NPZ has it
    header, columns = ["t"], [np.arange(1, session.t + 1)]
    for name, a in arrays.items():
        if a.ndim == 1:
            header.append(name)
            columns.append(a)
        else:
            header += [f"{name}_{k}" for k in range(1, a.shape[1] + 1)]
            columns += list(a.T)
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in zip(*columns, strict=True):
            writer.writerow([_cell(v) for v in row])


def _cell(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return repr(float(value))  # round-trips exactly
