"""The training form's check, without Qt: good settings make the task and config the engine
would make; each bad field is refused with a line under that field's name."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from rnnviz.engine.tasks import adding_task, delay_task, text_task
from rnnviz.engine.train import TrainConfig
from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.session.training_setup import (
    FIELDS,
    SettingsError,
    TrainingSettings,
    training_setup,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lab() -> Lab:
    return Lab(Session(SessionConfig(hidden_size=6)))


def problems(lab: Lab, **changes: object) -> dict[str, str]:
    with pytest.raises(SettingsError) as refused:
        training_setup(lab, replace(TrainingSettings(), **changes))
    return refused.value.problems


def test_the_defaults_make_the_forms_run(lab: Lab) -> None:
    # The experiment the tab opens on: the adding problem at T = 50 on a network of 16 units,
    # long enough for an LSTM to learn it (python -m rnnviz.bench adding).
    settings = TrainingSettings()
    task, config = training_setup(lab, settings)
    assert task == adding_task(50) and task.baseline == pytest.approx(1 / 6)
    assert config == TrainConfig(optimiser="adam", lr=0.02, momentum=0.9, epochs=300, clip=1.0)
    # The main window's network (one input) cannot take the task's two: a fresh one of the
    # form's size, with the session's cell.
    network = lab.training_network(task, settings.hidden_size)
    assert (network.input_size, network.hidden_size, network.output_size) == (2, 16, 1)
    assert network.cell == lab.session.config.cell


def test_the_forms_size_is_only_for_a_fresh_network(lab: Lab) -> None:
    # The main window's network fits the delay task: it is trained as it is, its 6 units.
    task = lab.make_task("delay", 20, 5)
    assert lab.training_network(task, 16) is lab.session.params
    assert lab.training_network(task, 16).hidden_size == 6


def test_good_settings_make_the_engines_task_and_config(lab: Lab) -> None:
    settings = TrainingSettings(
        task="delay",
        length=30,
        lag=7,
        optimiser="sgd",
        lr="1e-3",
        momentum=0.5,
        epochs=12,
        clip=None,
        truncate=4,
        seed=3,
    )
    task, config = training_setup(lab, settings)
    assert task == delay_task(7, 30)
    assert config == TrainConfig(
        optimiser="sgd", lr=1e-3, momentum=0.5, epochs=12, clip=None, truncate=4, seed=3
    )
    text = "abcabcabcabcabcabcabcabc"
    task, _ = training_setup(lab, TrainingSettings(task="text", length=10, text=text))
    assert task.vocab == text_task(text, 10).vocab == "abc"
    task, _ = training_setup(lab, TrainingSettings(task="adding", length=2))
    assert task == adding_task(2)


def test_fields_the_choice_does_not_use_are_not_checked(lab: Lab) -> None:
    # The lag only matters to the copy task, the momentum only to SGD.
    training_setup(lab, TrainingSettings(task="adding", lag=50))
    training_setup(lab, TrainingSettings(optimiser="adam", momentum=1.0))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"lr": "abc"}, "lr", "type a number, e.g. 0.01 or 1e-3"),
        ({"lr": "inf"}, "lr", "type a number, e.g. 0.01 or 1e-3"),
        ({"lr": "0"}, "lr", "the learning rate must be positive"),
        ({"optimiser": "sgd", "momentum": 1.0}, "momentum", "momentum must lie in [0, 1)"),
        ({"clip": "x"}, "clip", "the clipping threshold must be a positive number"),
        ({"clip": "0"}, "clip", "the clipping threshold must be a positive number"),
        (
            {"task": "delay", "length": 20, "lag": 20},
            "lag",
            "the lag must be at least 0 and shorter than the sequence",
        ),
        ({"task": "text", "text": ""}, "text", "type a text to learn from"),
        (
            {"task": "text", "length": 20, "text": "too short"},
            "text",
            "the text needs at least 22 characters",
        ),
        ({"task": "next-value", "length": 399}, "length", "the signal needs at least 401 values"),
        ({"task": "adding", "length": 1}, "length", "the adding problem needs at least 2 steps"),
    ],
)
def test_a_bad_field_is_named(lab: Lab, changes: dict, field: str, message: str) -> None:
    assert problems(lab, **changes) == {field: message}
    with pytest.raises(SettingsError, match=f"^{FIELDS[field]}: "):
        training_setup(lab, replace(TrainingSettings(), **changes))


def test_every_bad_field_is_named_at_once(lab: Lab) -> None:
    changes = {"task": "delay", "length": 20, "lr": "0", "lag": 20, "clip": "-1"}
    assert set(problems(lab, **changes)) == {"lr", "lag", "clip"}
    with pytest.raises(SettingsError) as refused:
        training_setup(lab, replace(TrainingSettings(), **changes))
    assert str(refused.value) == (
        "learning rate: the learning rate must be positive; "
        "clipping threshold: the clipping threshold must be a positive number; "
        "lag: the lag must be at least 0 and shorter than the sequence"
    )


def test_the_check_needs_no_qt() -> None:
    code = "import sys, rnnviz.session.training_setup; print('\\n'.join(sys.modules))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert not [m for m in done.stdout.split() if m.split(".")[0] in ("PyQt6", "pyqtgraph")]
