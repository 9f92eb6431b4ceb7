"""Lesson files: the built-in ones load and play to the end; bad ones are named and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnviz.resources import asset_path
from rnnviz.session import Session
from rnnviz.session.lab import Lab
from rnnviz.session.lessons import ScenarioFileError, load_folder, load_scenario
from rnnviz.session.player import ScenarioPlayer, apply_slide
from rnnviz.session.window_state import WindowState

BUILT_IN = ("recurrence", "unrolling", "vanishing", "exploding", "gating", "depth")


def test_the_six_lessons_load_in_teaching_order() -> None:
    scenarios, problems = load_folder(asset_path("scenarios"))
    assert problems == []
    assert [s.name for s in scenarios] == list(BUILT_IN)


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_lesson_plays_to_its_last_slide(name: str) -> None:
    scenario = load_scenario(asset_path("scenarios") / f"{name}.json")
    session = Session()
    lab = Lab(session)
    player = ScenarioPlayer(session, lab)
    player.open(scenario)
    seen = 1
    while player.next():
        seen += 1
        slide = player.slide
        if slide.backward:
            assert session.gradients is not None
        if slide.compare:
            assert lab.comparison is not None
    assert seen == len(scenario.slides) and player.index == seen - 1
    assert not player.next()
    while player.previous():
        pass
    assert player.index == 0


def test_gating_lesson_shows_gated_cells_keep_the_gradient() -> None:
    scenario = load_scenario(asset_path("scenarios") / "gating.json")
    session = Session()
    lab = Lab(session)
    ScenarioPlayer(session, lab).open(scenario, slide=4)
    first = {cell: c.dL_dh_norm[0] for cell, c in lab.comparison.curves.items()}
    # What the caption claims: at t = 1 the gated cells' gradient is orders of magnitude larger.
    assert first["lstm"] > 1000 * first["vanilla"] and first["gru"] > 1000 * first["vanilla"]


def test_opening_at_a_slide_equals_stepping_to_it() -> None:
    scenario = load_scenario(asset_path("scenarios") / "vanishing.json")
    a, b = Session(), Session()
    ScenarioPlayer(a).open(scenario, slide=3)
    player = ScenarioPlayer(b)
    player.open(scenario)
    player.next()
    player.next()
    assert a.config == b.config and a.t == b.t
    assert (a.trace.h == b.trace.h).all()


def write(folder: Path, name: str, content: object) -> Path:
    path = folder / f"{name}.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


GOOD = {"format": "rnnviz-scenario", "version": 1, "slides": [{"caption": "hi"}]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON (line 1"),
        ({"slides": []}, "not an rnnviz lesson"),
        ({**GOOD, "version": 99}, "version 99 is newer than this rnnviz reads"),
        ({**GOOD, "slides": []}, '"slides" must be a non-empty list'),
        ({**GOOD, "slides": [{"settings": {}}]}, 'slide 1: needs a "caption"'),
        (
            {**GOOD, "slides": [{"caption": "a", "settings": {"colour": 1}}]},
            "unknown setting(s) colour",
        ),
        (
            {**GOOD, "slides": [{"caption": "a", "settings": {"hidden_size": 0}}]},
            "hidden size must be at least 1",
        ),
        (
            {**GOOD, "slides": [{"caption": "a", "input": {"preset": "noise"}}]},
            "unknown preset 'noise'",
        ),
        ({**GOOD, "slides": [{"caption": "a", "run": {"steps": -1}}]}, '"steps" must be'),
        ({**GOOD, "slides": [{"caption": "a", "run": {"panel": "x"}}]}, "unknown panel 'x'"),
    ],
)
def test_a_bad_lesson_is_named_and_the_others_still_load(
    tmp_path: Path, content: object, message: str
) -> None:
    write(tmp_path, "good", GOOD)
    bad = write(tmp_path, "bad", content)
    with pytest.raises(ScenarioFileError) as err:
        load_scenario(bad)
    assert str(bad) in str(err.value) and message in str(err.value)
    scenarios, problems = load_folder(tmp_path)
    assert [s.name for s in scenarios] == ["good"]
    assert len(problems) == 1 and str(bad) in problems[0]


def test_a_truncated_or_binary_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(GOOD)[:30])
    with pytest.raises(ScenarioFileError, match="not valid JSON"):
        load_scenario(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ScenarioFileError, match="not a text file"):
        load_scenario(path)


@pytest.mark.parametrize("name", ["unrolling", "gating"])
def test_a_slide_sets_what_the_window_shows(name: str) -> None:
    """One function applies a slide (the Lessons menu and ``rnnviz render`` alike): it sets
    the window's state as well as the session's."""
    scenario = load_scenario(asset_path(f"scenarios/{name}.json"))
    for slide in scenario.slides:
        session, state = Session(), WindowState(unrolled=not slide.unrolled)
        lab = Lab(session)
        apply_slide(session, slide, lab, state)
        assert state.unrolled == slide.unrolled
        assert state.page == ("lab" if slide.panel == "lab" else "network")
        if slide.compare:
            assert state.lab_tab == "Compare" and lab.comparison is not None


def test_gating_lesson_shows_a_closed_gate_failing() -> None:
    scenario = load_scenario(asset_path("scenarios") / "gating.json")
    session = Session()
    lab = Lab(session)
    ScenarioPlayer(session, lab).open(scenario, slide=5)
    assert session.config.gate_bias == 0.0
    curves = lab.comparison.curves
    first = {cell: c.dL_dh_norm[0] for cell, c in curves.items()}
    # The caption: f and z start near 0.5, and the gated cells keep less than vanilla.
    for cell in ("lstm", "gru"):
        assert 0.45 <= curves[cell].gate_mean.mean() <= 0.55
        assert first[cell] < first["vanilla"]
