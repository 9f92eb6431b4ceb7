"""Sequence files: .npy and .csv read as (T, N) floats, and every bad file as one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnviz.io import SequenceFileError, load_sequence


def save_npy(path: Path, array: np.ndarray) -> Path:
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=True)  # allowed here only to write the object case
    return path


def error_of(path: Path) -> str:
    with pytest.raises(SequenceFileError) as excinfo:
        load_sequence(path)
    text = str(excinfo.value)
    assert "\n" not in text
    return text


def test_npy_two_dimensional_is_kept(tmp_path: Path) -> None:
    x = np.random.default_rng(0).standard_normal((7, 3))  # (T, I)
    seq = load_sequence(save_npy(tmp_path / "x.npy", x))
    assert seq.dtype == np.float64
    np.testing.assert_array_equal(seq, x)


def test_npy_one_dimensional_is_one_value_per_step(tmp_path: Path) -> None:
    seq = load_sequence(save_npy(tmp_path / "x.npy", np.arange(5)))
    assert seq.shape == (5, 1)
    assert seq.dtype == np.float64
    np.testing.assert_array_equal(seq[:, 0], [0, 1, 2, 3, 4])


def test_npy_float32_is_read_exactly(tmp_path: Path) -> None:
    x = np.random.default_rng(1).standard_normal((4, 2)).astype(np.float32)  # (T, I)
    np.testing.assert_array_equal(load_sequence(save_npy(tmp_path / "x.npy", x)), x)


def test_csv_rows_blank_lines_spaces_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("\ufeff1, 2.5\n\n-3e-2,4\n   \n5,6\n", encoding="utf-8")
    np.testing.assert_array_equal(load_sequence(path), [[1, 2.5], [-0.03, 4], [5, 6]])


def test_csv_single_column_and_no_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    path.write_text("0\n2\n1", encoding="utf-8")
    seq = load_sequence(path)
    assert seq.shape == (3, 1)
    np.testing.assert_array_equal(seq[:, 0], [0, 2, 1])


def test_csv_is_exact_for_printed_floats(tmp_path: Path) -> None:
    x = np.random.default_rng(2).standard_normal((6, 2))  # (T, I)
    path = tmp_path / "x.csv"
    path.write_text("\n".join(",".join(repr(float(v)) for v in row) for row in x), "utf-8")
    np.testing.assert_array_equal(load_sequence(path), x)


CSV_PROBLEMS = {
    "header": (
        "time,value\n1,2\n",
        "line 1 looks like a header ('time,value'); only numbers "
        "are allowed, one timestep per line: delete it",
    ),
    "header after blank": (
        "\n\nx\n1\n",
        "line 3 looks like a header ('x'); only numbers are "
        "allowed, one timestep per line: delete it",
    ),
    "word": ("1,2\n3,abc\n", "line 2, value 2: 'abc' is not a number"),
    "trailing comma": ("1,2,\n", "line 1, value 3: '' is not a number"),
    "semicolons": (
        "1;2\n3;4\n",
        "line 1 separates its values with ';'; rnnviz reads commas (e.g. 1,2)",
    ),
    "ragged": ("1,2\n\n3,4,5\n", "line 3 has 3 values, but line 1 has 2"),
    "nan": ("1\nnan\n", "line 2, value 1: 'nan' is not finite"),
    "inf": ("1,-inf\n", "line 1, value 2: '-inf' is not finite"),
    "empty": ("\n  \n", "is empty; expected at least one timestep"),
}


@pytest.mark.parametrize("case", list(CSV_PROBLEMS))
def test_bad_csv(tmp_path: Path, case: str) -> None:
    text, problem = CSV_PROBLEMS[case]
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    assert error_of(path) == f"{path}: {problem}"


def test_csv_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xfe\x00\x01binary")
    assert error_of(path) == f"{path}: not a text file (it is not UTF-8)"


NPY_PROBLEMS = {
    "nan": (np.array([[1.0], [np.nan]]), "row 2 (step 2) holds a non-finite value (NaN or inf)"),
    "scalar": (np.array(3.0), "holds a single number; expected one row per timestep"),
    "3-D": (
        np.zeros((2, 3, 4)),
        "has shape (2, 3, 4); expected (T,) or (T, N): one row per timestep",
    ),
    "no rows": (np.zeros(0), "is empty (shape (0,)); expected at least one timestep"),
    "no columns": (np.zeros((3, 0)), "is empty (shape (3, 0)); expected at least one timestep"),
    "strings": (np.array(["a", "b"]), "has dtype <U1; expected real numbers"),
    "complex": (np.ones(2, dtype=complex), "has dtype complex128; expected real numbers"),
    "objects": (
        np.array([1, "a"], dtype=object),
        "holds pickled Python objects, which are never loaded",
    ),
}


@pytest.mark.parametrize("case", list(NPY_PROBLEMS))
def test_bad_npy(tmp_path: Path, case: str) -> None:
    array, problem = NPY_PROBLEMS[case]
    path = save_npy(tmp_path / "x.npy", array)
    assert error_of(path) == f"{path}: {problem}"


def test_truncated_npy(tmp_path: Path) -> None:
    path = save_npy(tmp_path / "x.npy", np.arange(100.0))
    path.write_bytes(path.read_bytes()[:300])
    # Our words, then NumPy's own detail in parentheses.
    assert error_of(path).startswith(f"{path}: truncated or corrupt .npy file (")


def test_file_that_is_not_npy(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    path.write_text("1,2,3\n", encoding="utf-8")
    assert error_of(path) == f"{path}: not a .npy file (truncated, corrupt or another format)"


def test_unknown_extension_missing_file_and_directory(tmp_path: Path) -> None:
    txt = tmp_path / "x.txt"
    txt.write_text("1\n", encoding="utf-8")
    assert error_of(txt) == f"{txt}: unknown sequence file type '.txt'; use .npy or .csv"
    missing = tmp_path / "missing.csv"
    assert error_of(missing) == f"{missing}: no such file"
    folder = tmp_path / "folder.npy"
    folder.mkdir()
    assert error_of(folder) == f"{folder}: not a regular file"
