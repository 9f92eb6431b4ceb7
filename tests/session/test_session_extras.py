"""The extras of a session file: the training history survives a save exactly (every task,
overflowed losses, trained weights), the window's view too, and a bad one is named."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnviz.engine.train import TrainConfig
from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab, TrainingHistory
from rnnviz.session.session_extras import (
    VIEW_MEMBER,
    ViewState,
    read_view,
    training_from_dict,
    training_to_dict,
    write_session,
)
from rnnviz.session.session_file import SessionFileError, load_session, snapshot


def trained(name: str, epochs: int = 2, **task: object) -> TrainingHistory:
    lab = Lab(Session(SessionConfig(hidden_size=4)))
    for report in lab.training_steps(lab.make_task(name, **task), TrainConfig(epochs=epochs)):
        lab.record_epoch(report)
    assert lab.training is not None
    return lab.training


def through_json(history: TrainingHistory) -> TrainingHistory | None:
    """What a session file gives back: the dict goes through JSON text."""
    text = json.dumps(training_to_dict(history), allow_nan=False)
    return training_from_dict(json.loads(text), "s.rnnviz")


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("copy", {"lag": 3, "length": 12}),
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
    history = trained("copy", lag=2, length=8)
    broken = TrainingHistory(history.task, (math.inf, math.nan), (-math.inf, 1.0), (1.0, 2.0), None)
    back = through_json(broken)
    assert back is not None
    assert back.losses[0] == math.inf and math.isnan(back.losses[1])
    assert back.norm_before == (-math.inf, 1.0)
    assert back.params is None
    assert training_from_dict(None, "s.rnnviz") is None


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
def test_a_bad_history_names_the_file_and_the_problem(change, message: str) -> None:
    data = json.loads(json.dumps(training_to_dict(trained("copy", lag=2, length=8))))
    change(data)
    with pytest.raises(SessionFileError) as info:
        training_from_dict(data, "lecture.rnnviz")
    assert str(info.value).startswith("lecture.rnnviz: the training history ")
    assert message in str(info.value)


def test_the_view_is_written_with_the_session(tmp_path: Path) -> None:
    session = Session()
    session.seek(4)
    view = ViewState(backward=True, unrolled=False, page="lab", lab_tab="Training", compare=True)
    path = tmp_path / "s.rnnviz"
    write_session(path, snapshot(session), view)
    assert read_view(path) == view
    assert load_session(path).t == 4  # still an ordinary session file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.rnnviz"]  # no leftovers


def test_a_file_without_a_view_gets_the_defaults(tmp_path: Path) -> None:
    from rnnviz.session.session_file import save_session

    path = tmp_path / "old.rnnviz"
    save_session(path, snapshot(Session()))
    assert read_view(path) == ViewState()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{nope", "not valid JSON"),
        (b"[1, 2]", "must be an object"),
        (b'{"backward": "yes"}', 'bad "backward"'),
        (b'{"page": "settings"}', "unknown page 'settings'"),
    ],
)
def test_a_bad_view_is_named(tmp_path: Path, raw: bytes, message: str) -> None:
    path = tmp_path / "s.rnnviz"
    write_session(path, snapshot(Session()), ViewState())
    rebuilt = tmp_path / "bad.rnnviz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(rebuilt, "w") as dst:
        for item in src.namelist():
            dst.writestr(item, raw if item == VIEW_MEMBER else src.read(item))
    with pytest.raises(SessionFileError) as info:
        read_view(rebuilt)
    assert str(info.value).startswith(f"{rebuilt}: ")
    assert message in str(info.value)


def test_a_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "s.rnnviz"
    write_session(path, snapshot(Session()), ViewState())
    before = path.read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("rnnviz.session.session_extras.save_session", broken)
    with pytest.raises(OSError):
        write_session(path, snapshot(Session()), ViewState(backward=True))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.rnnviz"]
