"""Limits, checked before allocating: every reader refuses what is beyond the documented
maxima (rnnviz.io.limits) in one line naming the limit, before it reads or allocates; under a
4 GB address-space limit no hostile file or paste kills the process."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnviz.engine import init_params
from rnnviz.io import limits
from rnnviz.io.weights import WeightFileError, load_weights, save_weights
from rnnviz.session import InputError, Session, SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.session.lessons import ScenarioFileError, load_scenario
from rnnviz.session.training_setup import TrainingSettings, training_setup

HERE = Path(__file__).parent
ROOT = HERE.parents[1]

# Read every hostile file of hostile_files.py in a process that may map at most 4 GB.
UNDER_4_GB = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
sys.path.insert(0, sys.argv[1])
import hostile_files
from pathlib import Path
outcomes = hostile_files.read_all(Path(sys.argv[2]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"outcomes": outcomes, "pickle_ran": hostile_files.Payload.ran, "peak": peak}))
"""

# What a refusal for a size says: the limit, or what the file declares beyond it.
NAMES_A_LIMIT = ("the most rnnviz", "no side may exceed", "members are compressed")
SIZED = (
    "1e9",
    "8 GB",
    "8 TB",
    "forged",
    "too many",
    "20,000",
    "million",
    "1e12",
    "5000",
    "10^7",
    "200,000",
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS as on Linux")
def test_hostile_files_and_pastes_under_4_gb_are_refused_naming_the_limit(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", UNDER_4_GB, str(HERE), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]  # the process survived them all
    assert done.stderr == ""  # no traceback, no torch warning
    report = json.loads(done.stdout)
    assert report["pickle_ran"] is False
    outcomes: dict[str, list[str]] = report["outcomes"]
    assert len(outcomes) == 45
    accepted = {name for name, (kind, _) in outcomes.items() if kind == "accepted"}
    assert accepted == {"session: path traversal"}  # read, and nothing of it extracted
    assert not (tmp_path.parent.parent / "escaped.txt").exists()
    for name, (kind, message) in outcomes.items():
        if kind == "accepted":
            continue
        assert kind == "refused", (name, message)
        assert "\n" not in message and len(message) <= 300, name
        if name.startswith(("session", "lesson", "weights", "sequence")):
            assert message.startswith(str(tmp_path)), name
        if any(mark in name for mark in SIZED) and "pt:" not in name:
            assert any(words in message for words in NAMES_A_LIMIT), (name, message)
    assert report["peak"] < 1500  # MB: nothing close to what the files declare


def test_the_limits_are_documented_in_one_table() -> None:
    doc = limits.__doc__ or ""
    names = [n for n in dir(limits) if n.startswith("MAX_")]
    assert names and all(f"\n{n} " in doc for n in names)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hidden_size": "8"}, "hidden size must be a whole number, not '8' (a text)"),
        ({"hidden_size": 8.0}, "hidden size must be a whole number, not 8.0 (a fraction)"),
        ({"hidden_size": True}, "hidden size must be a whole number, not True (true/false)"),
        ({"hidden_size": 4097}, "hidden size is 4,097; the most rnnviz takes is 4,096"),
        ({"seed": -1}, "seed must be at least 0"),
        ({"seed": 10**30}, "the most rnnviz takes is 2,147,483,647"),
        ({"sequence_length": 20.5}, "sequence length must be a whole number"),
        ({"truncate": 2.0}, "the truncation window must be a whole number"),
        ({"target_lag": None}, "target lag must be a whole number, not None (empty)"),
        ({"input_size": 1.0, "encoding": "vector"}, "input size must be a whole number"),
        ({"spectral_radius": float("nan")}, "the spectral radius must lie between 0 and 10"),
        ({"gate_bias": float("inf")}, "the gate bias must lie between -10 and 10"),
        ({"clip": "1"}, "the clipping threshold must be a number, not '1' (a text)"),
        ({"clip": 1e7}, "the clipping threshold must lie between 0 and 1e+06"),
        ({"cell": ["lstm"]}, "unknown cell ['lstm']"),
        ({"hidden_size": 4096, "cell": "lstm", "sequence_length": 1000}, "values in all"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_settings_are_type_checked_and_bounded(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        SessionConfig().changed(**changes)
    assert message in str(info.value)


def test_the_largest_settings_are_accepted() -> None:
    c = SessionConfig().changed(
        hidden_size=limits.MAX_HIDDEN, seed=limits.MAX_SEED, sequence_length=2048
    )
    assert (c.hidden_size, c.seed) == (limits.MAX_HIDDEN, limits.MAX_SEED)


def test_a_paste_beyond_the_limits_feeds_nothing() -> None:
    session = Session()
    session.feed_text("0.5 0.25")
    before = (session.t, session.sequence.copy())
    for text in ("1 " * (limits.MAX_STEPS + 1), "x" * (limits.MAX_PASTE_CHARS + 1)):
        with pytest.raises(InputError, match="the most rnnviz takes is"):
            session.feed_text(text)
        assert session.t == before[0] and np.array_equal(session.sequence, before[1])


def test_a_text_with_too_many_characters_is_refused() -> None:
    session = Session()
    text = "".join(map(chr, range(0x4E00, 0x4E00 + limits.MAX_VOCAB + 1)))
    with pytest.raises(InputError, match="vocabulary is 257; the most rnnviz takes is 256"):
        session.set_sequence(text)
    assert session.config.encoding == "scalar"


# ---- .pt: the small ones -------------------------------------------------------------------


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def test_sparse_and_meta_tensors_are_refused_in_one_line(torch, tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    save_weights(good, init_params("vanilla", 1, 4, 1, np.random.default_rng(0)))
    state = torch.load(good, weights_only=True)
    for kind, tensor in (
        ("sparse", state["rnn.weight_hh_l0"].to_sparse()),
        ("meta", torch.empty(4, 4, device="meta")),
    ):
        path = tmp_path / f"{kind}.pt"
        torch.save({**state, "rnn.weight_hh_l0": tensor}, path)
        with pytest.raises(WeightFileError) as info:
            load_weights(path)
        assert str(info.value) == (
            f"{path}: rnn.weight_hh_l0 is a sparse tensor; weights must be dense"
            if kind == "sparse"
            else f"{path}: rnn.weight_hh_l0 is a meta tensor, which holds no numbers"
        )


def test_a_truncated_pt_gets_a_short_message_and_random_bytes_are_not_called_pickles(
    torch, tmp_path: Path
) -> None:
    good = tmp_path / "good.pt"
    save_weights(good, init_params("vanilla", 1, 4, 1, np.random.default_rng(0)))
    data = good.read_bytes()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 30):
        path = tmp_path / f"cut{cut}.pt"
        path.write_bytes(data[:cut])
        with pytest.raises(WeightFileError) as info:
            load_weights(path)
        assert len(str(info.value)) - len(str(path)) < 120
    path = tmp_path / "random.pt"
    path.write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(WeightFileError) as info:
        load_weights(path)
    assert "pickle" not in str(info.value)


def test_torch_warnings_stay_off_stderr(torch, tmp_path: Path) -> None:
    """Whatever torch warns about while loading is for developers, not for the user."""
    path = tmp_path / "w.pt"
    save_weights(path, init_params("vanilla", 1, 4, 1, np.random.default_rng(0)))
    code = (
        "import warnings, sys, torch\n"
        "real = torch.load\n"
        "def noisy(*a, **k):\n"
        "    warnings.warn('a torch warning', UserWarning)\n"
        "    return real(*a, **k)\n"
        "torch.load = noisy\n"
        "from rnnviz.io.weights import load_weights\n"
        f"load_weights({str(path)!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_a_pt_with_compressed_members_is_refused_before_torch_reads_it(
    torch, tmp_path: Path
) -> None:
    good = tmp_path / "good.pt"
    save_weights(good, init_params("vanilla", 1, 4, 1, np.random.default_rng(0)))
    packed = tmp_path / "packed.pt"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, src.read(info))
    with pytest.raises(WeightFileError, match="its members are compressed"):
        load_weights(packed)


def test_the_readme_states_the_limits_the_code_has() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for sentence in (
        f"up to {limits.MAX_HIDDEN} hidden units, {limits.MAX_INPUT} inputs and "
        f"{limits.MAX_OUTPUT} outputs",
        f"up to {limits.MAX_VOCAB} distinct characters",
        f"up to {limits.MAX_STEPS:,} steps",
        f"{limits.MAX_EPOCHS:,} training epochs",
        f"up to {limits.MAX_FILE_BYTES // 2**30} GB (JSON and CSV {limits.MAX_TEXT_BYTES >> 20} MB;"
        f" a zip up to {limits.MAX_ZIP_MEMBERS} members)",
        f"up to {limits.MAX_PASTE_CHARS:,} characters",
    ):
        assert sentence in readme, sentence
    assert limits.MAX_STEP_VALUES == 2**23 and limits.MAX_SEED == 2**31 - 1  # "2²³", "2³¹ − 1"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinite_lesson_values_are_refused_at_load(tmp_path: Path, value: str) -> None:
    path = tmp_path / "nan.json"
    path.write_text(
        '{"format": "rnnviz-scenario", "version": 1, "slides": [{"caption": "x", '
        f'"input": {{"values": [1, {value}]}}}}]}}'
    )
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: ")
    assert "finite" in str(info.value) or "not a number a lesson can hold" in str(info.value)


def test_training_epochs_beyond_the_limit_are_refused() -> None:
    lab = Lab(Session())
    with pytest.raises(ValueError, match="epochs must lie between 1 and 100,000"):
        training_setup(lab, TrainingSettings(epochs=limits.MAX_EPOCHS + 1))
    _, config = training_setup(lab, TrainingSettings(epochs=limits.MAX_EPOCHS))
    assert config.epochs == limits.MAX_EPOCHS
