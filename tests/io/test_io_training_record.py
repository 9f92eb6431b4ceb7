"""The training history in a session file survives a save exactly (every task, overflowed
losses, trained weights), and a bad one is named with its file."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from rnnviz.engine.tasks import delay_task
from rnnviz.engine.train import TrainConfig, TrainingHistory
from rnnviz.io.session_file import SessionFileError, read_session, write_session
from rnnviz.io.training_record import TrainingRecordError, training_from_dict, training_to_dict
from rnnviz.session import Session, SessionConfig
from rnnviz.session.document import Document
from rnnviz.session.lab import Lab


def trained(name: str, epochs: int = 2, **task: object) -> TrainingHistory:
    lab = Lab(Session(SessionConfig(hidden_size=4)))
    for report in lab.training_steps(lab.make_task(name, **task), TrainConfig(epochs=epochs)):
        lab.record_epoch(report)
    assert lab.training is not None
    return lab.training


def through_json(history: TrainingHistory) -> TrainingHistory | None:
    """What a session file gives back: the dict goes through JSON text."""
    text = json.dumps(training_to_dict(history), allow_nan=False)
    return training_from_dict(json.loads(text))


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("delay", {"lag": 3, "length": 12}),
        ("copy-memory", {"lag": 3}),
        ("adding", {"length": 10}),
        ("next-value", {"length": 10}),
        ("text", {"length": 8, "text": "hello world, hello rnn"}),
    ],
)
def test_every_task_and_the_trained_weights_survive(name: str, task: dict) -> None:
    history = trained(name, **task)
    back = through_json(history)
    assert back is not None
    for field in ("name", "input_size", "output_size", "loss", "loss_at", "length", "lag"):
        assert getattr(back.task, field) == getattr(history.task, field)
    assert back.task.baseline == history.task.baseline
    assert back.task.vocab == history.task.vocab
    if history.task.signal is None:
        assert back.task.signal is None
    else:
        np.testing.assert_array_equal(back.task.signal, history.task.signal)
    assert back.losses == history.losses and len(back.losses) == 2
    assert back.norm_before == history.norm_before
    assert back.norm_after == history.norm_after
    assert back.params is not None and history.params is not None
    for key, array in history.params.arrays().items():
        np.testing.assert_array_equal(getattr(back.params, key), array)  # bit for bit
    assert back.params.cell == history.params.cell


def test_overflowed_losses_and_no_weights() -> None:
    history = trained("delay", lag=2, length=8)
    broken = TrainingHistory(history.task, (math.inf, math.nan), (-math.inf, 1.0), (1.0, 2.0), None)
    back = through_json(broken)
    assert back is not None
    assert back.losses[0] == math.inf and math.isnan(back.losses[1])
    assert back.norm_before == (-math.inf, 1.0)
    assert back.params is None
    assert training_from_dict(None) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("task"), 'needs a "task"'),
        (lambda d: d["task"].update(name="juggling"), "unknown task 'juggling'"),
        (lambda d: d["task"].update(lag=99), "cannot be rebuilt"),
        (lambda d: d["task"].update(length="long"), "whole numbers"),
        (lambda d: d.update(losses="low"), '"losses" to be a list'),
        (lambda d: d.update(losses=[1.0, "x"]), "not a number"),
        (lambda d: d.update(norm_after=[1.0]), "different lengths"),
        (lambda d: d["params"].pop("W_hh"), "W_hh"),
        (lambda d: d["params"].update(W_hh=[[1.0]]), "unusable trained weights"),
        (lambda d: d["params"].update(dtype="float8"), "unknown dtype"),
    ],
)
def test_a_bad_history_says_what_is_wrong(change, message: str) -> None:
    data = json.loads(json.dumps(training_to_dict(trained("delay", lag=2, length=8))))
    change(data)
    with pytest.raises(TrainingRecordError, match=message.replace("(", r"\(")):
        training_from_dict(data)


def test_a_session_file_with_a_bad_history_is_named(tmp_path: Path) -> None:
    path = tmp_path / "lecture.rnnviz"
    document = Document()
    document.lab.set_training(trained("delay", lag=2, length=8))
    document.save_as(path)
    contents = read_session(path)
    assert contents.training is not None and document.lab.training is not None
    assert contents.training.losses == document.lab.training.losses
    broken = TrainingHistory(contents.training.task, (1.0,), (), (), None)
    write_session(path, dataclasses.replace(contents, training=broken))
    with pytest.raises(SessionFileError) as info:
        read_session(path)
    assert str(info.value).startswith(f"{path}: the training history ")
    assert "different lengths" in str(info.value)


def test_a_file_from_before_the_copying_memory_task_reads_copy_as_the_delay_task() -> None:
    data = json.loads(json.dumps(training_to_dict(trained("delay", lag=2, length=8))))
    data["task"]["name"] = "copy"  # what the delay/echo task was called then
    back = training_from_dict(data)
    assert back is not None and back.task == delay_task(2, 8)
