"""The lab's training history as JSON, the ``"training"`` object of a session file::

    {"task": {"name": "delay", "length": 20, "lag": 5,
              "text": "…" (text task), "signal": [0.0, …] (next-value task)},
     "losses": [0.93, …], "norm_before": [1.2, …], "norm_after": [1.0, …],
     "params": {"cell": "vanilla", "activation": "tanh", "dtype": "float64",
                "W_ih": [[…]], "W_hh": [[…]], "b_ih": […], "b_hh": […],
                "W_hy": [[…]], "b_y": […]} | null}

Numbers are JSON numbers (Python writes the shortest text that reads back to the same
float); a loss that overflowed is written as the text "inf", "-inf" or "nan".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from rnnviz.engine.params import DTYPES, Params
from rnnviz.engine.tasks import (
    TASK_ALIASES,
    Task,
    adding_task,
    copy_memory_task,
    delay_task,
    next_value_task,
    text_task,
)
from rnnviz.engine.train import TrainingHistory
from rnnviz.io.limits import MAX_EPOCHS, MAX_STEPS

_ARRAYS = ("W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y")
_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class TrainingRecordError(ValueError):
    """A training history that cannot be rebuilt: the message completes "the training
    history …"."""


def training_to_dict(history: TrainingHistory | None) -> dict[str, Any] | None:
    if history is None:
        return None
    task = history.task
    saved_task: dict[str, Any] = {"name": task.name, "length": task.length, "lag": task.lag}
    if task.name == "text":
        assert task.signal is not None
        saved_task["text"] = "".join(task.vocab[i] for i in task.signal)
    elif task.name == "next-value":
        assert task.signal is not None
        saved_task["signal"] = [float(v) for v in task.signal]
    params = None
    if history.params is not None:
        p = history.params
        params = {"cell": p.cell, "activation": p.activation, "dtype": str(p.dtype)}
        params |= {name: a.tolist() for name, a in p.arrays().items()}
    return {
        "task": saved_task,
        "losses": _numbers_out(history.losses),
        "norm_before": _numbers_out(history.norm_before),
        "norm_after": _numbers_out(history.norm_after),
        "params": params,
    }


def training_from_dict(data: dict[str, Any] | None) -> TrainingHistory | None:
    """The history a session file holds; TrainingRecordError saying what is wrong with it
    (the caller names the file)."""
    if data is None:
        return None
    fail = TrainingRecordError

    saved_task = data.get("task")
    if not isinstance(saved_task, dict):
        raise fail('needs a "task" object')
    task = _task(saved_task, fail)
    losses, before, after = (
        _numbers_in(data.get(key), key, fail) for key in ("losses", "norm_before", "norm_after")
    )
    if not len(losses) == len(before) == len(after):
        raise fail("has lists of different lengths (one number per epoch each)")
    params = data.get("params")
    return TrainingHistory(
        task, losses, before, after, None if params is None else _params(params, fail)
    )


def _task(saved: dict[str, Any], fail: Callable[[str], TrainingRecordError]) -> Task:
    name, length, lag = saved.get("name"), saved.get("length", 20), saved.get("lag", 0)
    name = TASK_ALIASES.get(name, name) if isinstance(name, str) else name
    if not _whole(length) or not _whole(lag):
        raise fail('needs whole numbers for the task\'s "length" and "lag"')
    if not 0 <= length <= MAX_STEPS or not 0 <= lag <= MAX_STEPS:
        raise fail(f'has a task "length" or "lag" beyond 0 … {MAX_STEPS:,} steps')
    try:
        if name == "delay":
            return delay_task(lag, length)
        if name == "copy-memory":
            return copy_memory_task(lag)
        if name == "adding":
            return adding_task(length)
        if name == "text":
            text = saved.get("text")
            if not isinstance(text, str):
                raise fail('needs the text task\'s "text"')
            return text_task(text, length)
        if name == "next-value":
            signal = _numbers_in(saved.get("signal"), "signal", fail)
            return next_value_task(np.array(signal), length)
    except ValueError as e:
        if isinstance(e, TrainingRecordError):
            raise
        raise fail(f"has a task that cannot be rebuilt ({e})") from None
    raise fail(f"names an unknown task {name!r}")


def _params(saved: object, fail: Callable[[str], TrainingRecordError]) -> Params:
    if not isinstance(saved, dict):
        raise fail('needs "params" to be an object or null')
    dtype = saved.get("dtype", "float64")
    if dtype not in DTYPES:
        raise fail(f"has weights of unknown dtype {dtype!r}")
    try:
        arrays = {name: np.array(saved[name], dtype=DTYPES[dtype]) for name in _ARRAYS}
        for name, a in arrays.items():
            if not np.all(np.isfinite(a)):
                raise ValueError(f"{name} holds non-finite values")
        return Params(str(saved.get("cell")), str(saved.get("activation")), **arrays)
    except KeyError as e:
        raise fail(f"lacks the trained weights' {e.args[0]}") from None
    except (TypeError, ValueError) as e:
        raise fail(f"has unusable trained weights ({e})") from None


def _numbers_out(values: tuple[float, ...]) -> list[float | str]:
    out: list[float | str] = []
    for v in values:
        v = float(v)
        out.append(v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf", "-inf")[v < 0]))
    return out


def _numbers_in(
    values: object, key: str, fail: Callable[[str], TrainingRecordError]
) -> tuple[float, ...]:
    if not isinstance(values, list):
        raise fail(f'needs "{key}" to be a list of numbers')
    if len(values) > MAX_EPOCHS:
        raise fail(f'has {len(values):,} values in "{key}"; the most it takes is {MAX_EPOCHS:,}')
    out = []
    for v in values:
        if isinstance(v, str) and v in _NON_FINITE:
            out.append(_NON_FINITE[v])
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out.append(float(v))
        else:
            raise fail(f'has a value in "{key}" that is not a number: {v!r}')
    return tuple(out)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
