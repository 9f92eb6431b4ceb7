"""Bad lesson files in the user's lesson folder are listed as skipped, each with its
one-line reason, and never stop the app: the good lessons stay in the menu."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnviz.resources import asset_path
from rnnviz.session import Session
from rnnviz.views.window.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def slide(**changes: object) -> str:
    lesson = {"format": "rnnviz-scenario", "version": 1, "title": "bad", "slides": [
        {"caption": "c", **changes}]}  # fmt: skip
    return json.dumps(lesson)


HOSTILE = {
    "deep.json": "[" * 100_000 + "]" * 100_000,
    "nan.json": slide(input={"values": [1.0, float("nan")]}),
    "inf.json": slide(settings={"spectral_radius": float("inf")}),
    "text8.json": slide(settings={"hidden_size": "8"}),
    "seed.json": slide(settings={"seed": -1}),
    "long.json": slide(settings={"sequence_length": 10**9}),
    "vocab.json": slide(input={"text": "".join(map(chr, range(0x4E00, 0x4E00 + 20_000)))}),
    "binary.json": "\udcff",
    "truncated.json": slide()[:40],
}
REASONS = {
    "deep.json": "nested too deeply",
    "nan.json": "NaN is not a number a lesson can hold",
    "inf.json": "Infinity is not a number a lesson can hold",
    "text8.json": "hidden size must be a whole number, not '8' (a text)",
    "seed.json": "seed must be at least 0",
    "long.json": "sequence length is 1,000,000,000; the most rnnviz takes is 100,000",
    "vocab.json": "the text's vocabulary is 20,000; the most rnnviz takes is 256",
    "binary.json": "not a text file",
    "truncated.json": "not valid JSON",
}


def test_bad_lessons_are_listed_as_skipped_and_the_good_one_opens(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))
    folder = tmp_path / "lessons"
    folder.mkdir()
    for name, text in HOSTILE.items():
        (folder / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    good = asset_path("scenarios/recurrence.json").read_text(encoding="utf-8")
    (folder / "good.json").write_text(good, encoding="utf-8")
    window = MainWindow(Session())
    qtbot.addWidget(window)
    window.lessons.set_user_folder(folder)
    problems = {p.path.name: p.reason for p in window.lessons.problems}
    assert set(problems) == set(HOSTILE)
    for name, reason in REASONS.items():
        assert reason in problems[name], (name, problems[name])
    report = window.lessons.problem_box
    assert report is not None and all(name in report.text() for name in HOSTILE)
    window.lessons.open_lesson("good")
    assert window.lessons.bar.title.text() == json.loads(good)["title"]
