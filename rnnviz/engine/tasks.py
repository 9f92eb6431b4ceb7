"""Training tasks: each draws example sequences (inputs, targets) from a seeded generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TASKS: tuple[str, ...] = ("next-value", "delay", "copy-memory", "adding", "text")
# What the app calls each task.
TASK_NAMES: dict[str, str] = {
    "next-value": "next value",
    "delay": "delay/echo",
    "copy-memory": "copying memory",
    "adding": "adding problem",
    "text": "text",
}
# Names older files used: the delay/echo task was saved as "copy" before the copying-memory
# task existed.
TASK_ALIASES: dict[str, str] = {"copy": "delay"}
COPY_SYMBOLS = 10  # K: the symbols to remember (Arjovsky et al., 2016)
COPY_ALPHABET = 8  # A: how many different symbols there are
TASK_HELP: dict[str, str] = {
    "next-value": "predict the next value of a signal (a sine, or one you drew or typed)",
    "delay": "reproduce the ±1 input from `lag` steps ago: needs memory across the lag",
    "copy-memory": f"copying memory (Hochreiter & Schmidhuber, 1997; Arjovsky et al., 2016): "
    f"{COPY_SYMBOLS} symbols out of {COPY_ALPHABET}, `lag` blank steps, a delimiter, then "
    f"write the {COPY_SYMBOLS} symbols back; the sequence is lag + {2 * COPY_SYMBOLS} steps",
    "adding": "add the two marked numbers, one in each half of the sequence; only the sum at "
    "the last step is scored (Hochreiter & Schmidhuber, 1997; Le et al., 2015)",
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
        if self.name == "delay":
            x = rng.choice([-1.0, 1.0], size=(T, 1))  # (T, 1)
            y = np.zeros((T, 1))
            y[self.lag :] = x[: T - self.lag]
            return Example(x, y)
        if self.name == "copy-memory":
            return _copy_memory_example(self.lag, (T - self.lag) // 2, rng)  # T = lag + 2K
        if self.name == "adding":
            values = rng.uniform(0.0, 1.0, T)  # (T,)
            marks = np.zeros(T)
            half = T // 2
            # One mark in each half (Le et al., 2015; Arjovsky et al., 2016), so the first
            # mark is always at least T/2 steps before the end.
            marks[[rng.integers(0, half), rng.integers(half, T)]] = 1.0
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


def delay_task(lag: int = 5, length: int = 20) -> Task:
    """y_t = x_{t−lag} for random ±1 inputs; predicting 0 scores (T − lag)/T."""
    if not 0 <= lag < length:
        raise ValueError("the lag must be at least 0 and shorter than the sequence")
    return Task("delay", 1, 1, "mse", "all", (length - lag) / length, length=length, lag=lag)


def copy_memory_task(delay: int = 20) -> Task:
    """The copying-memory task with a blank delay of ``delay`` steps.

    Inputs are one-hot over blank (0), the A symbols (1..A) and the delimiter (A + 1); the
    outputs are classes over blank and the symbols. The sequence has T + 2K steps: K symbols,
    T − 1 blanks, the delimiter, K blanks; the targets are T + K blanks, then the K symbols.
    Writing blanks and then guessing a symbol uniformly scores K·log(A)/(T + 2K): the baseline.
    """
    if delay < 1:
        raise ValueError("the copying-memory task needs a delay of at least 1 step")
    K, A = COPY_SYMBOLS, COPY_ALPHABET
    length = delay + 2 * K
    baseline = K * np.log(A) / length
    return Task("copy-memory", A + 2, A + 1, "xent", "all", baseline, length=length, lag=delay)


def _copy_memory_example(delay: int, K: int, rng: np.random.Generator) -> Example:
    A, length = COPY_ALPHABET, delay + 2 * K
    symbols = rng.integers(1, A + 1, K)  # (K,) classes 1..A
    inputs = np.zeros(length, dtype=np.int64)  # (T + 2K,) blanks …
    inputs[:K] = symbols
    inputs[K + delay - 1] = A + 1  # … the delimiter: "write now"
    targets = np.zeros(length, dtype=np.int64)  # (T + 2K,)
    targets[K + delay :] = symbols
    return Example(np.eye(A + 2)[inputs], targets)  # x: (T + 2K, A + 2)


def adding_task(length: int = 30) -> Task:
    """The sum of two marked U(0, 1) values, one in each half; guessing 1 scores Var = 1/6."""
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
