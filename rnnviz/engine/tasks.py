"""Training tasks: each draws example sequences (inputs, targets) from a seeded generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TASKS: tuple[str, ...] = ("next-value", "copy", "adding", "text")
TASK_HELP: dict[str, str] = {
    "next-value": "predict the next value of a signal (a sine, or one you drew or typed)",
    "copy": "reproduce the input from `lag` steps ago: needs memory across the lag",
    "adding": "add the two marked numbers of a long sequence (Hochreiter & Schmidhuber, 1997)",
    "text": "predict the next character of a text (one-hot in, softmax out)",
}


@dataclass(frozen=True)
class Example:
    x: np.ndarray  # (T, I)
    targets: np.ndarray  # (T, O) reals, or (T,) classes


@dataclass(frozen=True)
class Task:
    """What to learn: sizes, loss, and how to draw examples.

    ``baseline`` is the loss of the best constant guess (e.g. predicting 0 or the mean), the
    yardstick a trained network must beat to have learnt anything.
    """

    name: str
    input_size: int
    output_size: int
    loss: str
    loss_at: str
    baseline: float
    signal: np.ndarray | None = None  # next-value: the signal; text: class indices
    length: int = 20
    lag: int = 0
    vocab: str = ""

    def draw(self, rng: np.random.Generator) -> Example:
        T = self.length
        if self.name == "copy":
            x = rng.choice([-1.0, 1.0], size=(T, 1))  # (T, 1)
            y = np.zeros((T, 1))
            y[self.lag :] = x[: T - self.lag]
            return Example(x, y)
        if self.name == "adding":
            values = rng.uniform(0.0, 1.0, T)  # (T,)
            marks = np.zeros(T)
            marks[rng.choice(T, size=2, replace=False)] = 1.0
            y = np.zeros((T, 1))
            y[-1] = values @ marks  # only the last step is scored
            return Example(np.stack([values, marks], axis=1), y)
        assert self.signal is not None
        start = int(rng.integers(0, self.signal.shape[0] - T))
        window = self.signal[start : start + T + 1]  # (T+1,)
        if self.name == "text":
            x = np.eye(len(self.vocab))[window[:-1]]  # (T, V)
            return Example(x, window[1:].astype(np.int64))
        return Example(window[:-1, None], window[1:, None])


def next_value_task(signal: np.ndarray | None = None, length: int = 20) -> Task:
    """Predict s_{t+1} from s_1..s_t; without a signal, a sine of period 16."""
    s = np.sin(2 * np.pi * np.arange(400) / 16) if signal is None else np.asarray(signal, float)
    if s.ndim != 1 or s.size < length + 2:
        raise ValueError(f"the signal needs at least {length + 2} values")
    return Task("next-value", 1, 1, "mse", "all", float(np.var(s)), s, length)


def copy_task(lag: int = 5, length: int = 20) -> Task:
    """y_t = x_{t−lag} for random ±1 inputs; predicting 0 scores (T − lag)/T."""
    if not 0 <= lag < length:
        raise ValueError("the lag must be at least 0 and shorter than the sequence")
    return Task("copy", 1, 1, "mse", "all", (length - lag) / length, length=length, lag=lag)


def adding_task(length: int = 30) -> Task:
    """The sum of two marked U(0, 1) values; guessing 1 scores Var = 1/6."""
    if length < 2:
        raise ValueError("the adding problem needs at least 2 steps")
    return Task("adding", 2, 1, "mse", "last", 1.0 / 6.0, length=length)


def text_task(text: str, length: int = 20) -> Task:
    """Next character; the baseline is the entropy of the character frequencies."""
    if len(text) < length + 2:
        raise ValueError(f"the text needs at least {length + 2} characters")
    vocab = "".join(sorted(set(text)))
    classes = np.array([vocab.index(c) for c in text])  # (N,)
    freq = np.bincount(classes, minlength=len(vocab)) / classes.size
    entropy = float(-np.sum(freq[freq > 0] * np.log(freq[freq > 0])))
    V = len(vocab)
    return Task("text", V, V, "xent", "all", entropy, classes, length, vocab=vocab)
