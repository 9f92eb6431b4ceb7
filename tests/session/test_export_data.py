"""Data exports hold exactly the session's numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from rnnviz.session import Session, SessionConfig
from rnnviz.session.export_data import export_csv, export_npz


def stepped() -> Session:
    s = Session(SessionConfig(cell="lstm", hidden_size=3))
    s.seek(6)
    s.run_backward()
    return s


def test_npz_round_trips_every_array(tmp_path: Path) -> None:
    s = stepped()
    export_npz(s, tmp_path / "d.npz")
    with np.load(tmp_path / "d.npz", allow_pickle=False) as d:
        np.testing.assert_array_equal(d["h"], s.trace.h)
        np.testing.assert_array_equal(d["c"], s.trace.c)
        np.testing.assert_array_equal(d["dL_dh_norm"], s.gradients.dL_dh_norm)
        np.testing.assert_array_equal(d["dL_dc_norm"], s.gradients.dL_dc_norm)


def test_csv_has_a_row_per_step_with_exact_values(tmp_path: Path) -> None:
    s = stepped()
    export_csv(s, tmp_path / "d.csv")
    with (tmp_path / "d.csv").open() as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert len(body) == 6 and header[:3] == ["t", "x_1", "h_1"]
    col = {name: i for i, name in enumerate(header)}
    got = np.array([[float(r[col[f"h_{k}"]]) for k in (1, 2, 3)] for r in body])
    np.testing.assert_array_equal(got, s.trace.h)
    norms = np.array([float(r[col["dL_dh_norm"]]) for r in body])
    np.testing.assert_array_equal(norms, s.gradients.dL_dh_norm)


def test_before_backward_only_the_forward_numbers_are_written(tmp_path: Path) -> None:
    s = Session()
    s.seek(3)
    export_csv(s, tmp_path / "f.csv")
    header = (tmp_path / "f.csv").read_text().splitlines()[0].split(",")
    assert "dL_dh_norm" not in header and "y_1" in header
