"""What the training form needs from below the views: the tasks' names and help, the training
types, and the check that turns the form's values into a run.

Qt-free, so the check is tested without widgets, and the views reach the engine only
through the session.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rnnviz.engine.optim import make_optimiser
from rnnviz.engine.tasks import TASK_HELP, TASK_NAMES, TASKS, Task
from rnnviz.engine.train import EpochReport, TrainConfig
from rnnviz.io import limits
from rnnviz.session.lab import Lab

__all__ = [
    "DEFAULT_TEXT",
    "FIELDS",
    "OPTIMISERS",
    "TASKS",
    "TASK_HELP",
    "TASK_NAMES",
    "EpochReport",
    "SettingsError",
    "Task",
    "TrainConfig",
    "TrainingSettings",
    "training_setup",
]

DEFAULT_TEXT = "hello world, hello rnn, hello gradient. " * 3
# Optimiser name → what the form calls it, in the form's order.
OPTIMISERS: dict[str, str] = {"adam": "Adam", "sgd": "SGD (momentum)"}
# The fields a problem can be about (the keys of SettingsError.problems) → their names.
FIELDS: dict[str, str] = {
    "length": "sequence length",
    "lag": "lag",
    "text": "text",
    "lr": "learning rate",
    "momentum": "momentum",
    "clip": "clipping threshold",
}


@dataclass(frozen=True)
class TrainingSettings:
    """The training form's values as the user left them; the defaults are the form's.

    Typed numbers stay text (``lr``, ``clip``) so that checking them is this module's job.
    ``hidden_size`` is that of the fresh network a task gets when the main window's network
    does not fit it (Lab.training_network).

    The defaults are the experiment the lab is for: the adding problem at T = 50, where on
    a two-core laptop an LSTM learns (loss far below the baseline 1/6) within the epochs,
    about 20 s, while a vanilla RNN stays near the baseline (python -m rnnviz.bench adding
    measures both).
    """

    task: str = "adding"
    length: int = 50
    hidden_size: int = 16
    lag: int = 5
    text: str = DEFAULT_TEXT
    optimiser: str = "adam"
    # 0.02 rather than 0.01: at T = 50 an LSTM's loss sits at the baseline until it finds the
    # marks, and with 0.02 it found them within 300 epochs for 4 of 6 seeds, with 0.01 for 1.
    lr: str = "0.02"
    momentum: float = 0.9
    epochs: int = 300
    clip: str | None = "1.0"  # None: no clipping
    truncate: int | None = None  # steps; None: backpropagate through the whole sequence
    seed: int = 0


class SettingsError(ValueError):
    """Settings that describe no run. ``problems`` maps each bad field (a key of FIELDS) to
    one line saying what is wrong; the message names every bad field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{FIELDS[key]}: {text}" for key, text in problems.items()))
        self.problems = problems


def training_setup(lab: Lab, settings: TrainingSettings) -> tuple[Task, TrainConfig]:
    """The task and training config ``settings`` describe.

    Every field is checked before raising SettingsError, so the form can mark all bad fields
    at once. The fields a form bounds (epochs, truncation, seed) are left to TrainConfig,
    which raises a plain ValueError.
    """
    problems: dict[str, str] = {}
    lr = _number(settings.lr)
    if lr is None:
        problems["lr"] = "type a number, e.g. 0.01 or 1e-3"
    else:
        try:
            # The engine's own check, so the form never accepts what training would refuse.
            make_optimiser(settings.optimiser, lr, settings.momentum)
        except ValueError as exc:
            problems["momentum" if "momentum" in str(exc) else "lr"] = str(exc)
    clip = None if settings.clip is None else _number(settings.clip)
    if settings.clip is not None and (clip is None or not clip > 0):
        problems["clip"] = "the clipping threshold must be a positive number"
    task = None
    try:
        task = lab.make_task(settings.task, settings.length, settings.lag, settings.text)
    except ValueError as exc:
        # Each task refuses one field: the delay (delay/echo, copying memory), the text,
        # else the length.
        field = {"delay": "lag", "copy-memory": "lag", "text": "text"}.get(settings.task, "length")
        problems[field] = str(exc)
    if not 1 <= settings.epochs <= limits.MAX_EPOCHS:
        raise ValueError(f"epochs must lie between 1 and {limits.MAX_EPOCHS:,}")
    if problems:
        raise SettingsError(problems)
    assert task is not None and lr is not None  # no problems: both were read
    config = TrainConfig(
        optimiser=settings.optimiser,
        lr=lr,
        momentum=settings.momentum,
        epochs=settings.epochs,
        clip=clip,
        truncate=settings.truncate,
        seed=settings.seed,
    )
    return task, config


def _number(text: str) -> float | None:
    """A finite number, or None: "inf" and "nan" parse as floats but are no setting."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
