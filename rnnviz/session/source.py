"""Where the input sequence came from: what the input panel says about it."""

from __future__ import annotations

from dataclasses import dataclass

# preset: a ready-made signal or text; typed: the Feed box; drawn: the drawing pad;
# text: the user's text; lesson: a lesson's slide; trained: an example of the task the lab
# trained on; values: numbers given from a file or script; zeros: imported weights whose
# input width the sequence did not fit; saved: a session file.
KINDS = ("preset", "typed", "drawn", "text", "lesson", "trained", "values", "zeros", "saved")


@dataclass(frozen=True)
class Source:
    kind: str
    name: str = ""  # the preset's name, the text, or the lesson's title

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown input source {self.kind!r}")
