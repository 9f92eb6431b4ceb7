"""Every reader fails closed: a hostile or broken file, whatever it makes go wrong, is
refused in one line naming the file, never a crash."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rnnviz.io import sequences, session_file, stack_weights, weights
from rnnviz.io.sequences import SequenceFileError, load_sequence
from rnnviz.io.session_file import SessionFileError, read_session
from rnnviz.io.stack_weights import load_stack_weights
from rnnviz.io.weights import WeightFileError, load_weights
from rnnviz.session import lessons
from rnnviz.session.document import Document
from rnnviz.session.lessons import ScenarioFileError, load_folder, load_scenario

DEEP = "[" * 100_000 + "]" * 100_000  # valid JSON that no recursive parser can take

# reader, its module, the private function it wraps, its refusal, a suffix for the file
READERS: list[tuple[Callable[[Path], object], object, str, type[ValueError], str]] = [
    (read_session, session_file, "_read_session", SessionFileError, ".rnnviz"),
    (load_weights, weights, "_load_weights", WeightFileError, ".npz"),
    (load_stack_weights, stack_weights, "_load_stack_weights", WeightFileError, ".npz"),
    (load_sequence, sequences, "_load_sequence", SequenceFileError, ".csv"),
    (load_scenario, lessons, "_load_scenario", ScenarioFileError, ".json"),
]


def assert_refusal(message: str, path: Path) -> None:
    assert message.startswith(f"{path}: ")
    assert "\n" not in message and len(message) <= 300


@pytest.mark.parametrize(
    "exception",
    [
        RecursionError("maximum recursion depth exceeded"),
        MemoryError(),
        TypeError("'<' not supported between instances of 'str' and 'int'"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        KeyError("W_hh"),
        OverflowError("cannot convert float infinity to integer"),
        AttributeError("'list' object has no attribute 'get'"),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("reader", READERS, ids=lambda r: r[2])
def test_anything_a_reader_meets_becomes_its_one_line_refusal(
    reader, exception: Exception, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read, module, private, refusal, suffix = reader
    path = tmp_path / f"hostile{suffix}"
    path.write_bytes(b"x")

    def boom(*args: object, **kwargs: object) -> None:
        raise exception

    monkeypatch.setattr(module, private, boom)
    with pytest.raises(refusal) as info:
        read(path)
    assert_refusal(str(info.value), path)


def test_a_deeply_nested_lesson_is_refused_and_the_others_still_load(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text(DEEP)
    good = json.loads(
        Path(lessons.__file__)
        .parents[2]
        .joinpath("assets", "scenarios", "recurrence.json")
        .read_text(encoding="utf-8")
    )
    (tmp_path / "good.json").write_text(json.dumps(good))
    scenarios, problems = load_folder(tmp_path)
    assert [s.name for s in scenarios] == ["good"]
    assert len(problems) == 1
    assert_refusal(problems[0], tmp_path / "deep.json")
    assert "nested too deeply" in problems[0]


def test_a_deeply_nested_session_manifest_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "deep.rnnviz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("manifest.json", DEEP)
    doc = Document()
    before = (doc.session.config, doc.session.params, doc.session.t)
    with pytest.raises(ValueError) as info:
        doc.open(path)
    assert_refusal(str(info.value), path)
    assert (doc.session.config, doc.session.params, doc.session.t) == before


def test_a_huge_refusal_message_is_cut_to_one_short_line(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("1," + "x" * 5000 + "\n2,3\n")
    with pytest.raises(SequenceFileError) as info:
        load_sequence(path)
    assert_refusal(str(info.value), path)


def test_render_refuses_a_deeply_nested_lesson_in_one_line(tmp_path: Path) -> None:
    lesson = tmp_path / "deep.json"
    lesson.write_text(DEEP)
    done = subprocess.run(
        [sys.executable, "-m", "rnnviz", "render", "--scenario", str(lesson),
         "--out", str(tmp_path / "x.png")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nested too deeply" in lines[0]
    assert not (tmp_path / "x.png").exists()


def test_a_weight_file_whose_arrays_are_not_numbers_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "strings.npz"
    np.savez(path, weight_ih_l0=np.array([["a"]]), weight_hh_l0=np.array([["b"]]))
    with pytest.raises(WeightFileError) as info:
        load_weights(path)
    assert_refusal(str(info.value), path)
