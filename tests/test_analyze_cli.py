"""``rnnviz analyze`` end to end: files in, strict JSON out, the engine's numbers exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnnviz
from rnnviz.cli import main
from rnnviz.commands.analyze import DESCRIPTION
from rnnviz.engine import (
    Params,
    bptt,
    forward,
    gate_spectra,
    init_params,
    jacobian_norms,
    recurrent_radius,
    recurrent_sigma_max,
    truncation_cuts,
)
from rnnviz.io import (
    SequenceFileError,
    WeightFileError,
    default_names,
    load_sequence,
    save_weights,
    to_state_dict,
)
from rnnviz.io.stack_weights import load_stack_weights

REPO = Path(rnnviz.__file__).resolve().parents[1]
PREFIXED = default_names("encoder.", "head.")


def refuse_constant(token: str) -> float:
    raise AssertionError(f"non-strict JSON token {token}")


def read_report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse_constant)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``rnnviz analyze ARGV`` run in this process."""
    try:
        code = main(["analyze", *map(str, argv)])
    except SystemExit as exit_:  # argparse's own errors and --help
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(
    *argv: str | Path, warnings_are_errors: bool = False
) -> subprocess.CompletedProcess[str]:
    """The real entry point, ``python -m rnnviz analyze``, in a fresh interpreter."""
    # The repository first: the package need not be installed to be tested.
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    flags = ["-W", "error"] if warnings_are_errors else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "rnnviz", "analyze", *map(str, argv)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def save_npy(path: Path, array: np.ndarray) -> Path:
    with open(path, "wb") as f:
        np.save(f, array)
    return path


def save_csv(path: Path, array: np.ndarray) -> Path:
    rows = np.atleast_2d(array.T).T  # (T, N)
    path.write_text("\n".join(",".join(repr(float(v)) for v in row) for row in rows) + "\n")
    return path


def assert_matches_engine(
    report: dict[str, Any],
    p: Params,
    x: np.ndarray,
    targets: np.ndarray,
    names: dict[str, str],
    **options: Any,
) -> None:
    """Every number in the report equals the engine's, computed here directly."""
    trace = forward(p, x)
    result = bptt(trace, targets, **options)
    norms, overflow_at = jacobian_norms(trace)
    assert report["loss"] == result.loss
    np.testing.assert_array_equal(report["h"], trace.h)
    np.testing.assert_array_equal(report["y"], trace.y)
    np.testing.assert_array_equal(report["dL_dh"], result.dL_dh)
    np.testing.assert_array_equal(report["dL_dh_norm"], result.dL_dh_norm)
    np.testing.assert_array_equal(report["dW_hh_contrib"], result.dW_hh_contrib)
    np.testing.assert_array_equal(report["jacobian_norm"], norms)
    assert report["jacobian_overflow_at"] == overflow_at
    assert set(report["grads"]) == set(names.values())
    for field, key in names.items():
        np.testing.assert_array_equal(report["grads"][key], result.grads[field], err_msg=key)
    assert report["grad_norm_before_clip"] == result.grad_norm_before_clip
    assert report["grad_norm_after_clip"] == result.grad_norm_after_clip
    assert report["spectral_radius"] == recurrent_radius(p)
    assert report["sigma_max"] == recurrent_sigma_max(p)
    assert report["gate_spectra"] == {
        gate: {"spectral_radius": rho, "sigma_max": sigma}
        for gate, (rho, sigma) in gate_spectra(p).items()
    }
    assert report["exploded_at"] is None
    assert report["exploded_in"] is None
    if p.cell == "lstm":
        np.testing.assert_array_equal(report["c"], trace.c)
        np.testing.assert_array_equal(report["dL_dc_norm"], result.dL_dc_norm)
    else:
        assert report["c"] is None
        assert report["dL_dc_norm"] is None


# --- the engine's numbers, end to end ---------------------------------------------------------


@pytest.mark.parametrize("cell", ["vanilla", "lstm", "gru"])
def test_weight_file_mse_truncated_and_clipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: str
) -> None:
    T = 10
    p = init_params(cell, 2, 4, 3, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    x, targets = rng.standard_normal((T, 2)), rng.standard_normal((T, 3))  # (T, I), (T, O)
    weights = tmp_path / "w.npz"
    save_weights(weights, p, PREFIXED)
    inputs, target_file = save_npy(tmp_path / "x.npy", x), save_csv(tmp_path / "y.csv", targets)
    out = tmp_path / "out.json"
    code, stdout, stderr = run_cli(
        capsys, "--weights", weights, "--inputs", inputs, "--targets", target_file,
        "--truncate", "3", "--clip", "0.5", "--json", out,
    )  # fmt: skip
    assert (code, stdout, stderr) == (0, "", "")
    report = read_report(out)
    assert_matches_engine(report, p, x, targets, PREFIXED, truncate=3, clip=0.5)
    assert report["config"] == {
        "cell": cell,
        "activation": "tanh",
        "input_size": 2,
        "hidden_size": 4,
        "output_size": 3,
        "steps": T,
        "dtype": "float64",
        "weights": str(weights),
        "init": None,
        "inputs": str(inputs),
        "targets": str(target_file),
        "loss": "mse",
        "loss_at": "all",
        "truncate": 3,
        "clip": 0.5,
        "zero_filled": [],
    }


def test_initialised_lstm_with_xent_at_the_last_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    T = 12
    x = np.random.default_rng(3).standard_normal((T, 2))  # (T, I)
    classes = np.random.default_rng(4).integers(0, 4, T)  # (T,)
    classes[0] = 3  # so the default output size is 4
    inputs, target_file = save_csv(tmp_path / "x.csv", x), save_csv(tmp_path / "y.csv", classes)
    out = tmp_path / "out.json"
    code, _, stderr = run_cli(
        capsys, "--hidden-size", "5", "--cell", "lstm", "--init", "orthogonal",
        "--spectral-radius", "0.9", "--seed", "7", "--inputs", inputs, "--targets", target_file,
        "--loss", "xent", "--loss-at", "last", "--json", out,
    )  # fmt: skip
    assert (code, stderr) == (0, "")
    p = init_params(
        "lstm", 2, 5, 4, np.random.default_rng(7), scheme="orthogonal", spectral_radius=0.9
    )
    report = read_report(out)
    assert_matches_engine(report, p, x, classes, default_names(), loss="xent", loss_at="last")
    assert report["config"]["init"] == {
        "scheme": "orthogonal",
        "spectral_radius": 0.9,
        "seed": 7,
        "gate_bias": 0.0,
    }
    assert report["config"]["output_size"] == 4
    assert set(report["gate_spectra"]) == {"i", "f", "g", "o"}


def test_float32(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x = np.random.default_rng(5).standard_normal((6, 1))  # (T, I)
    targets = np.random.default_rng(6).standard_normal((6, 1))  # (T, O)
    inputs, target_file = save_npy(tmp_path / "x.npy", x), save_npy(tmp_path / "y.npy", targets)
    out = tmp_path / "out.json"
    code, _, _ = run_cli(
        capsys, "--hidden-size", "3", "--cell", "gru", "--dtype", "float32",
        "--inputs", inputs, "--targets", target_file, "--json", out,
    )  # fmt: skip
    assert code == 0
    p = init_params("gru", 1, 3, 1, np.random.default_rng(0), dtype="float32")
    report = read_report(out)
    assert_matches_engine(report, p, x, targets, default_names())
    assert report["config"]["dtype"] == "float32"


def test_without_targets_there_is_no_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = np.random.default_rng(7).standard_normal(8)  # (T,): one input per step
    inputs, out = save_npy(tmp_path / "x.npy", x), tmp_path / "out.json"
    code, _, _ = run_cli(capsys, "--hidden-size", "3", "--inputs", inputs, "--json", out)
    assert code == 0
    report = read_report(out)
    p = init_params("vanilla", 1, 3, 1, np.random.default_rng(0))  # O defaults to I
    trace = forward(p, x[:, None])
    np.testing.assert_array_equal(report["h"], trace.h)
    np.testing.assert_array_equal(report["jacobian_norm"], jacobian_norms(trace)[0])
    no_loss = ("loss", "dL_dh", "dL_dh_norm", "dW_hh_contrib", "grads", "grad_norm_before_clip")
    for field in (*no_loss, "grad_norm_after_clip"):
        assert report[field] is None, field
    assert (report["config"]["loss"], report["config"]["targets"]) == (None, None)
    panel = ("last_step_dL_dh_norm", "bound", "bound_slope", "rho_rate", "gate_path", "regime")
    for field in panel:
        assert report[field] is None, field
    assert len(report["saturated_fraction"]) == 8


def test_bias_free_file_has_no_bias_gradients(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = init_params("gru", 1, 3, 1, np.random.default_rng(8))
    arrays = to_state_dict(p, PREFIXED)
    for key in ("encoder.bias_ih_l0", "encoder.bias_hh_l0"):
        del arrays[key]
    weights = tmp_path / "w.npz"
    with open(weights, "wb") as f:
        np.savez(f, **arrays)
    x, targets = np.ones((5, 1)), np.zeros((5, 1))  # (T, I), (T, O)
    out = tmp_path / "out.json"
    code, _, _ = run_cli(
        capsys, "--weights", weights, "--inputs", save_npy(tmp_path / "x.npy", x),
        "--targets", save_npy(tmp_path / "y.npy", targets), "--json", out,
    )  # fmt: skip
    assert code == 0
    report = read_report(out)
    no_bias = p.with_arrays(b_ih=np.zeros(9), b_hh=np.zeros(9))
    names = {f: k for f, k in PREFIXED.items() if f not in ("b_ih", "b_hh")}
    assert_matches_engine(report, no_bias, x, targets, names)
    assert report["config"]["zero_filled"] == ["encoder.bias_ih_l0", "encoder.bias_hh_l0"]


# --- explosions ------------------------------------------------------------------------------

EXPLODING = ("--hidden-size", "4", "--activation", "linear", "--init", "orthogonal",
             "--spectral-radius", "3")  # fmt: skip


def test_exploding_backward_pass_gives_nulls_not_nan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    T = 400  # h_T ~ 3^400 is finite, dL/dh_1 ~ 3^800 is not
    x = np.random.default_rng(9).standard_normal((T, 1))  # (T, I)
    inputs = save_npy(tmp_path / "x.npy", x)
    targets = save_npy(tmp_path / "y.npy", np.zeros((T, 1)))
    out = tmp_path / "out.json"
    code, _, stderr = run_cli(
        capsys, *EXPLODING, "--inputs", inputs, "--targets", targets, "--json", out
    )
    assert (code, stderr) == (0, "")
    report = read_report(out)
    step = report["exploded_at"]
    assert report["exploded_in"] == "backward"
    assert 1 < step < T
    assert report["loss"] is None  # the squares of y overflowed
    assert report["grads"] is None
    assert report["grad_norm_before_clip"] is None
    assert report["dL_dh_norm"][:step] == [None] * step
    assert all(np.isfinite(report["dL_dh_norm"][step:]))
    assert all(row is not None for row in report["h"])


def test_exploding_forward_pass_through_the_real_entry_point(tmp_path: Path) -> None:
    T = 700  # 3^700 > 1e308: the state itself overflows
    x = np.random.default_rng(9).standard_normal((T, 1))  # (T, I)
    inputs = save_npy(tmp_path / "x.npy", x)
    targets = save_npy(tmp_path / "y.npy", np.zeros((T, 1)))
    out = tmp_path / "out.json"
    proc = run_subprocess(
        *EXPLODING, "--inputs", inputs, "--targets", targets, "--json", out,
        warnings_are_errors=True,
    )  # fmt: skip
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    report = read_report(out)
    step = report["exploded_at"]
    assert report["exploded_in"] == "forward"
    assert report["h"][step - 1 :] == [None] * (T - step + 1)
    assert all(row is not None for row in report["h"][: step - 1])
    assert report["loss"] is None
    assert report["jacobian_norm"] is None
    assert report["dL_dh"] == [None] * T


# --- documentation ---------------------------------------------------------------------------


def test_help_documents_every_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs, out = save_npy(tmp_path / "x.npy", np.ones((3, 1))), tmp_path / "out.json"
    assert run_cli(capsys, "--hidden-size", "2", "--inputs", inputs, "--json", out)[0] == 0
    report = read_report(out)
    code, help_text, _ = run_cli(capsys, "--help")
    assert code == 0
    assert DESCRIPTION.splitlines()[0] in help_text
    for field in [*report, *report["config"], *report["config"]["init"]]:
        assert field in DESCRIPTION, field
    for phrase in ("row t-1 of every per-step array is step t", "truncation_cuts", "null"):
        assert phrase in DESCRIPTION
    assert DESCRIPTION.isascii()


# --- bad arguments and files: one line on stderr, exit status 2 -------------------------------


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(10)
    p = init_params("lstm", 2, 3, 1, rng)
    weights = tmp_path / "w.npz"
    save_weights(weights, p)
    header = tmp_path / "header.csv"
    header.write_text("a,b\n1,2\n", encoding="utf-8")
    bad_weights = tmp_path / "bad.npz"
    with open(bad_weights, "wb") as f:
        np.savez(f, **{k: v for k, v in to_state_dict(p).items() if k != "rnn.weight_ih_l0"})
    return {
        "w": weights,
        "bad_w": bad_weights,
        "x": save_npy(tmp_path / "x.npy", rng.standard_normal((6, 2))),
        "x3": save_npy(tmp_path / "x3.npy", rng.standard_normal((6, 3))),
        "y": save_npy(tmp_path / "y.npy", rng.standard_normal((6, 1))),
        "y2": save_npy(tmp_path / "y2.npy", rng.standard_normal((6, 2))),
        "y5": save_npy(tmp_path / "y5.npy", rng.standard_normal((5, 1))),
        "frac": save_npy(tmp_path / "frac.npy", np.array([0, 1, 2.5, 0, 1, 1])),
        "class9": save_npy(tmp_path / "class9.npy", np.array([0, 1, 9, 0, 1, 1])),
        "header": header,
        "out": tmp_path / "out.json",
        "nowhere": tmp_path / "missing-folder" / "out.json",
    }


# (arguments with {name} standing for files[name], expected message with the same)
BAD_ARGUMENTS = {
    "truncate 0": (
        "--hidden-size 3 --inputs {x} --targets {y} --truncate 0",
        "--truncate must be at least 1, got 0",
    ),
    "clip -1": ("--hidden-size 3 --inputs {x} --targets {y} --clip -1",
                "--clip must be a positive number, got -1.0"),
    "clip nan": ("--hidden-size 3 --inputs {x} --targets {y} --clip nan",
                 "--clip must be a positive number, got nan"),
    "hidden 0": ("--hidden-size 0 --inputs {x}", "--hidden-size must be at least 1, got 0"),
    "output 0": ("--hidden-size 2 --output-size 0 --inputs {x}",
                 "--output-size must be at least 1, got 0"),
    "radius": ("--hidden-size 2 --spectral-radius -1 --inputs {x}",
               "--spectral-radius must be a number >= 0, got -1.0"),
    "seed": ("--hidden-size 2 --seed -3 --inputs {x}", "--seed must be >= 0, got -3"),
    "seed 1e30": ("--hidden-size 2 --seed 1000000000000000000000000000000 --inputs {x}",
                  "--seed is 1,000,000,000,000,000,000,000,000,000,000; the most rnnviz takes "
                  "is 2,147,483,647"),
    "hidden 5000": ("--hidden-size 5000 --inputs {x}",
                    "--hidden-size is 5,000; the most rnnviz takes is 4,096"),
    "no network": ("--inputs {x}", "give --weights FILE, or --hidden-size H to initialise a "
                   "network"),
    "both": ("--weights {w} --hidden-size 3 --inputs {x}",
             "--hidden-size cannot be combined with --weights"),
    "seed with weights": ("--weights {w} --seed 1 --inputs {x}",
                          "--seed cannot be combined with --weights"),
    "loss without targets": ("--hidden-size 3 --inputs {x} --loss xent",
                             "--loss needs --targets"),
    "truncate without targets": ("--hidden-size 3 --inputs {x} --truncate 2",
                                 "--truncate needs --targets"),
    "input width": ("--weights {w} --inputs {x3}",
                    "{x3}: 3 values per row, but the network in {w} has input size 2"),
    "output width": ("--weights {w} --inputs {x} --targets {y2}",
                     "{y2}: 2 values per row, but the network in {w} has output size 1"),
    "rows": ("--hidden-size 3 --inputs {x} --targets {y5}",
             "{y5}: 5 rows, but {x} has 6: one row per timestep in both"),
    "fractional class": ("--hidden-size 3 --inputs {x} --targets {frac} --loss xent",
                         "{frac}: row 3 holds 2.5; --loss xent needs whole class indices >= 0"),
    "class range": ("--hidden-size 3 --output-size 4 --inputs {x} --targets {class9} "
                    "--loss xent",
                    "{class9}: class 9 is out of range: the network has output "
                    "size 4 (classes 0..3)"),
    "xent columns": ("--hidden-size 3 --inputs {x} --targets {y2} --loss xent",
                     "{y2}: 2 values per row; --loss xent needs one class index per row"),
    "hidden 4096": ("--hidden-size 4096 --inputs {x} --targets {y}",
                    "hidden size 4096 over 6 steps is beyond analyze's limit (hidden_size^3 * "
                    "(steps + 30) <= 4e+10, about a minute of work): use a smaller network or "
                    "fewer steps"),
    "lstm relu": ("--hidden-size 3 --cell lstm --activation relu --inputs {x}",
                  "the lstm cell has fixed nonlinearities; activation must be tanh"),
    "weights relu": ("--weights {w} --activation relu --inputs {x}",
                     "{w}: the lstm cell has fixed nonlinearities; activation must be tanh"),
    "bad weight file": ("--weights {bad_w} --inputs {x}",
                        "{bad_w}: missing key 'rnn.weight_ih_l0' (the input weights)"),
    "bad sequence file": ("--hidden-size 2 --inputs {header}",
                          "{header}: line 1 looks like a header ('a,b'); only numbers are "
                          "allowed, one timestep per line: delete it"),
    "unwritable output": ("--hidden-size 2 --inputs {x} --json {nowhere}",
                          "cannot write {nowhere} (No such file or directory)"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_argument_is_one_line_and_exit_2(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], case: str
) -> None:
    arguments, expected = BAD_ARGUMENTS[case]
    argv = arguments.format(**files).split()
    if "--json" not in argv:
        argv += ["--json", str(files["out"])]
    code, stdout, stderr = run_cli(capsys, *argv)
    assert code == 2
    assert stdout == ""
    assert stderr == f"rnnviz analyze: error: {expected.format(**files)}\n"
    assert not files["out"].exists()


def corrupt(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def npz_with(path: Path, **changes: np.ndarray | None) -> Path:
    """A good LSTM weight file with arrays replaced, added or (None) removed; __ stands for ."""
    arrays = to_state_dict(init_params("lstm", 2, 3, 1, np.random.default_rng(12)))
    for key, value in changes.items():
        arrays[key.replace("__", ".")] = value
    arrays = {k: v for k, v in arrays.items() if v is not None}
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def torch_module_file(path: Path) -> Path:
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.LSTM(2, 3), path)  # the pickled module, not its state_dict
    return path


def saved(path: Path) -> Path:
    if path.suffix == ".safetensors":
        pytest.importorskip("safetensors")
    if path.suffix == ".pt":
        pytest.importorskip("torch")
    save_weights(path, init_params("gru", 2, 3, 1, np.random.default_rng(13)))
    return path


# Every kind of bad weight file; each builder gets a folder and returns the file.
BAD_WEIGHT_FILES = {
    "missing key": lambda d: npz_with(d / "w.npz", readout__weight=None),
    "shape": lambda d: npz_with(d / "w.npz", rnn__bias_hh_l0=np.zeros(5)),
    "layer without input weights": lambda d: npz_with(
        d / "w.npz", rnn__weight_hh_l1=np.zeros((12, 3))
    ),
    "direction without input weights": lambda d: npz_with(
        d / "w.npz", rnn__weight_hh_l0_reverse=np.zeros((12, 3))
    ),
    "projection": lambda d: npz_with(d / "w.npz", rnn__weight_hr_l0=np.zeros((2, 3))),
    "non-finite": lambda d: npz_with(d / "w.npz", readout__bias=np.array([np.nan])),
    "object array": lambda d: npz_with(d / "w.npz", readout__bias=np.array([None], dtype=object)),
    "truncated npz": lambda d: corrupt(saved(d / "w.npz")),
    "truncated safetensors": lambda d: corrupt(saved(d / "w.safetensors")),
    "truncated pt": lambda d: corrupt(saved(d / "w.pt")),
    "pickled module": lambda d: torch_module_file(d / "w.pt"),
    "unknown extension": lambda d: d / "w.h5",
    "no such file": lambda d: d / "missing.npz",
}


@pytest.mark.parametrize("case", list(BAD_WEIGHT_FILES))
def test_bad_weight_file_prints_the_loaders_line_and_exits_2(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    path = BAD_WEIGHT_FILES[case](folder)
    with pytest.raises(WeightFileError) as excinfo:  # the message itself is tested in tests/io
        load_stack_weights(path)
    code, stdout, stderr = run_cli(
        capsys, "--weights", path, "--inputs", files["x"], "--json", files["out"]
    )
    assert (code, stdout) == (2, "")
    assert stderr == f"rnnviz analyze: error: {excinfo.value}\n"
    assert "Traceback" not in stderr
    assert not files["out"].exists()


def test_missing_optional_package_through_the_cli(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    path = tmp_path / "w.safetensors"
    path.write_bytes(b"never read")
    monkeypatch.setitem(sys.modules, "safetensors", None)  # import safetensors now fails
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    code, _, stderr = run_cli(
        capsys, "--weights", path, "--inputs", files["x"], "--json", files["out"]
    )
    assert code == 2
    assert stderr == (
        f"rnnviz analyze: error: {path}: .safetensors files need the safetensors package: "
        "pip install safetensors\n"
    )


BAD_SEQUENCE_FILES = {
    "header": lambda d: write_text(d / "x.csv", "a,b\n1,2\n"),
    "not a number": lambda d: write_text(d / "x.csv", "1,2\n1,b\n"),
    "ragged": lambda d: write_text(d / "x.csv", "1,2\n1\n"),
    "non-finite csv": lambda d: write_text(d / "x.csv", "1,2\n1,inf\n"),
    "non-finite npy": lambda d: save_npy(d / "x.npy", np.array([[1.0, np.nan]])),
    "object npy": lambda d: save_object_npy(d / "x.npy"),
    "truncated npy": lambda d: corrupt(save_npy(d / "x.npy", np.ones((50, 2)))),
    "3-D npy": lambda d: save_npy(d / "x.npy", np.ones((2, 2, 2))),
    "unknown extension": lambda d: write_text(d / "x.txt", "1,2\n"),
    "no such file": lambda d: d / "missing.csv",
}


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def save_object_npy(path: Path) -> Path:
    with open(path, "wb") as f:
        np.save(f, np.array([1, "a"], dtype=object), allow_pickle=True)
    return path


@pytest.mark.parametrize("role", ["--inputs", "--targets"])
@pytest.mark.parametrize("case", list(BAD_SEQUENCE_FILES))
def test_bad_sequence_file_prints_the_loaders_line_and_exits_2(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str,
    role: str,
) -> None:  # fmt: skip
    folder = tmp_path / "bad"
    folder.mkdir()
    path = BAD_SEQUENCE_FILES[case](folder)
    with pytest.raises(SequenceFileError) as excinfo:  # the message itself is tested in tests/io
        load_sequence(path)
    good = {"--inputs": files["x"], "--targets": files["y"]}
    good[role] = path
    code, stdout, stderr = run_cli(
        capsys, "--weights", files["w"], "--inputs", good["--inputs"],
        "--targets", good["--targets"], "--json", files["out"],
    )  # fmt: skip
    assert (code, stdout) == (2, "")
    assert stderr == f"rnnviz analyze: error: {excinfo.value}\n"
    assert "Traceback" not in stderr


def test_argparse_errors_exit_2_without_traceback(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = run_cli(capsys, "--hidden-size", "x", "--inputs", files["x"])
    assert code == 2
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1].startswith("rnnviz analyze: error: argument --hidden-size")


def test_bad_file_through_the_real_entry_point(files: dict[str, Path]) -> None:
    proc = run_subprocess(
        "--weights", files["bad_w"], "--inputs", files["x"], "--json", files["out"]
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr == (
        f"rnnviz analyze: error: {files['bad_w']}: missing key 'rnn.weight_ih_l0' "
        "(the input weights)\n"
    )


def test_io_and_analyze_never_import_qt() -> None:
    code = (
        "import sys, rnnviz.io, rnnviz.commands.analyze\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PyQt6', 'pyqtgraph'))\n"
        "assert not qt, qt\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert (proc.returncode, proc.stderr) == (0, "")


# --- the truncation convention ---------------------------------------------------------------


def truncated_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], T: int, K: int
) -> dict[str, Any]:
    x = np.random.default_rng(11).standard_normal((T, 1))  # (T, I)
    out = tmp_path / "out.json"
    code, _, _ = run_cli(
        capsys, "--hidden-size", "3", "--inputs", save_npy(tmp_path / "x.npy", x),
        "--targets", save_npy(tmp_path / "y.npy", x), "--loss-at", "last",
        "--truncate", str(K), "--json", out,
    )  # fmt: skip
    assert code == 0
    return read_report(out)


def test_truncated_gradient_of_the_last_loss_reaches_exactly_k_states(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--help: windows of K steps counted back from T; the loss at T reaches h_T … h_{T-K+1}."""
    norms = truncated_run(tmp_path, capsys, T=7, K=3)["dL_dh_norm"]  # (T,)
    assert [n > 0 for n in norms] == [False] * 4 + [True] * 3


@pytest.mark.parametrize("K", [2, 3, 6])
def test_truncation_windows_of_one_step_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], K: int
) -> None:
    # T = 6, a multiple of each K: windows fill the sequence exactly, from the last step.
    report = truncated_run(tmp_path, capsys, T=6, K=K)
    assert report["exploded_at"] is None
    assert report["truncation_cuts"] == [
        t + 1 for t in np.flatnonzero(truncation_cuts(6, K)) if t + 1 < 6
    ]


def test_truncation_of_one_step_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = truncated_run(tmp_path, capsys, T=6, K=1)
    assert report["exploded_at"] is None


# --- what the window shows, the report says ---------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "loss_at"),
    [
        ({}, "all"),
        ({"activation": "sigmoid", "spectral_radius": 1.4}, "last"),
        ({"cell": "lstm", "gate_bias": 3.0}, "all"),
        ({"cell": "gru", "spectral_radius": 1.3}, "last"),
        ({"truncate": 6}, "all"),
    ],
)
def test_the_gradient_panels_numbers_are_the_windows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: dict[str, Any], loss_at: str
) -> None:
    """The same network and data as the app's session: the report's last-step curve, bound,
    rate, gate path, badge and saturation are the ones the window computes."""
    from rnnviz.session import Session, SessionConfig
    from rnnviz.session.lab import Lab

    s = Session(SessionConfig(loss_at=loss_at, sequence_length=25, **settings))
    s.seek(25)
    weights = tmp_path / "w.npz"
    save_weights(weights, s.params)
    inputs = save_npy(tmp_path / "x.npy", s.sequence[:25])
    targets = save_npy(tmp_path / "y.npy", s.targets)
    out = tmp_path / "out.json"
    options = ["--truncate", str(settings["truncate"])] if "truncate" in settings else []
    code, _, err = run_cli(
        capsys, "--weights", weights, "--inputs", inputs, "--targets", targets,
        "--loss-at", loss_at, "--activation", s.config.activation, *options, "--json", out,
    )  # fmt: skip
    assert (code, err) == (0, "")
    report = read_report(out)
    reach = s.reach
    assert reach is not None
    np.testing.assert_allclose(report["last_step_dL_dh_norm"], reach.last, rtol=1e-12)
    for field, curve in (
        ("bound", reach.bound),
        ("rho_rate", reach.rate),
        ("gate_path", reach.path),
    ):
        if curve is None:
            assert report[field] is None, field
        else:  # the session rescales σ_max and ρ with W_hh; the report reads them off it
            shown = np.array(report[field], dtype=float)  # null before a truncation window: NaN
            np.testing.assert_allclose(shown, curve, rtol=1e-9, err_msg=field)
    vanilla = s.config.cell == "vanilla"
    assert report["bound_slope"] == (reach.slope_bound if vanilla else None)
    assert report["gate_path_gate"] == {"vanilla": None, "lstm": "f", "gru": "z"}[s.config.cell]
    regime = report["regime"]
    assert (regime["name"], regime["text"]) == (s.regime.name, s.regime.text)
    assert regime["rate"] == pytest.approx(s.regime.rate, rel=1e-12)
    assert regime["first_step"] == reach.first
    assert (regime["vanishing_below"], regime["exploding_above"]) == (0.98, 1.02)
    np.testing.assert_array_equal(report["saturated_fraction"], Lab(s).saturation().fraction)
    s.run_backward()  # and the badge after B is the same
    assert s.regime.text == regime["text"]


def test_the_limits_examples_in_help_follow_its_formula() -> None:
    from rnnviz.commands.analyze import DESCRIPTION, MAX_WORK, WORK_EXTRA_STEPS

    def longest(hidden: int) -> int:
        return int(MAX_WORK // hidden**3) - WORK_EXTRA_STEPS

    text = " ".join(DESCRIPTION.split())
    for hidden in (256, 512, 1024):
        assert f"H = {hidden} up to {longest(hidden):,}" in text
    assert longest(2048) < 1 and "H = 2048 and larger are refused" in text
