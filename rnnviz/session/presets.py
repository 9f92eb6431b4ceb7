"""Ready-made input sequences: the signals a lecture starts from."""

from __future__ import annotations

import numpy as np

PRESETS: tuple[str, ...] = ("impulse", "step", "sine", "square", "random", "hello world")
PRESET_HELP: dict[str, str] = {
    "impulse": "a single 1 at the first step, then zeros: watch the echo fade",
    "step": "zeros, then ones from a quarter of the way in",
    "sine": "one and a half periods of a sine wave",
    "square": "a square wave with period 8",
    "random": "Gaussian noise (seeded)",
    "hello world": "the text 'hello world', one character per step",
}
TEXT_PRESETS: dict[str, str] = {"hello world": "hello world"}


def numeric_preset(name: str, length: int, rng: np.random.Generator) -> np.ndarray:
    """A (length,) signal for a numeric preset."""
    t = np.arange(length)  # (T,)
    if name == "impulse":
        return (t == 0).astype(float)
    if name == "step":
        return (t >= length // 4).astype(float)
    if name == "sine":
        return np.sin(2 * np.pi * 1.5 * t / max(length, 1))
    if name == "square":
        return np.where((t // 4) % 2 == 0, 1.0, -1.0)
    if name == "random":
        return rng.standard_normal(length)
    raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
