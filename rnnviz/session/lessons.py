"""Lesson files: a titled list of slides, each a caption, the settings it applies and what it
runs. JSON, so teachers can write their own; see assets/scenarios/ for the six built-in ones.

Format (version 1)::

    {"format": "rnnviz-scenario", "version": 1, "order": 1, "title": "…", "summary": "…",
     "slides": [{"caption": "…",
                 "settings": {<SessionConfig field>: value, …},
                 "input": {"preset": "impulse"} | {"text": "…"} | {"values": [0.1, …]},
                 "run": {"steps": 12 | "all", "backward": true, "compare": false,
                         "unrolled": true, "panel": "graph"}}]}

Every key but ``caption`` is optional; ``order`` sorts lessons in menus (then the name).
Slides do not build on each other: each starts from the default settings plus its own, so a
lesson can be opened at any slide.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rnnviz.io import limits
from rnnviz.io.refusal import refusing
from rnnviz.session.config import SessionConfig
from rnnviz.session.presets import PRESETS

FORMAT = "rnnviz-scenario"
VERSION = 1
PANELS: tuple[str, ...] = ("all", "graph", "heatmap", "gradients", "equations", "lab")
_CONFIG_FIELDS = {f.name for f in fields(SessionConfig)}


class ScenarioFileError(ValueError):
    """A lesson file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Slide:
    caption: str
    settings: dict[str, Any] = field(default_factory=dict)
    input: dict[str, Any] = field(default_factory=dict)
    steps: int | str = "all"  # how many inputs to feed, or "all"
    backward: bool = False
    compare: bool = False
    unrolled: bool = False
    panel: str = "all"


@dataclass(frozen=True)
class Scenario:
    name: str  # the file's stem: what --scenario takes
    title: str
    summary: str
    slides: tuple[Slide, ...]
    path: Path
    order: int = 1000


def load_scenario(path: str | Path) -> Scenario:
    """Read a lesson file; ScenarioFileError (one line, naming the file) if it is unusable
    for any reason: a bad lesson is skipped, never a reason for the app not to start."""
    with refusing(ScenarioFileError, path):
        return _load_scenario(path)


def _load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        limits.check_bytes("the file", path.stat().st_size, limits.MAX_TEXT_BYTES)
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except limits.LimitError as e:
        raise ScenarioFileError(f"{path}: {e}") from None
    except FileNotFoundError:
        raise ScenarioFileError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ScenarioFileError(f"{path}: not a text file") from None
    except json.JSONDecodeError as e:
        raise ScenarioFileError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from None
    except ValueError as e:  # NaN or Infinity (_no_constant)
        raise ScenarioFileError(f"{path}: {e}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ScenarioFileError(f'{path}: not an rnnviz lesson (needs "format": "{FORMAT}")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ScenarioFileError(f'{path}: "version" must be a whole number ≥ 1')
    if version > VERSION:
        raise ScenarioFileError(
            f"{path}: lesson format version {version} is newer than this rnnviz reads "
            f"({VERSION}); update rnnviz"
        )
    slides = data.get("slides")
    if not isinstance(slides, list) or not slides:
        raise ScenarioFileError(f'{path}: "slides" must be a non-empty list')
    order = data.get("order", 1000)
    if not isinstance(order, int) or isinstance(order, bool):
        raise ScenarioFileError(f'{path}: "order" must be a whole number')
    parsed = tuple(_slide(path, k, s) for k, s in enumerate(slides, start=1))
    title, summary = data.get("title", path.stem), data.get("summary", "")
    if not isinstance(title, str) or not isinstance(summary, str):
        raise ScenarioFileError(f'{path}: "title" and "summary" must be texts')
    return Scenario(path.stem, title, summary, parsed, path, order)


def load_folder(folder: str | Path) -> tuple[list[Scenario], list[str]]:
    """Every lesson in a folder, in their order, and one message per file that failed."""
    scenarios, problems = [], []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            scenarios.append(load_scenario(path))
        except ScenarioFileError as e:
            problems.append(str(e))
    return sorted(scenarios, key=lambda s: (s.order, s.name)), problems


def _no_constant(name: str) -> float:
    """JSON's NaN and Infinity are no lesson value: refused where they are read."""
    raise ValueError(f"{name} is not a number a lesson can hold")


def _slide(path: Path, k: int, s: object) -> Slide:
    where = f"{path}: slide {k}"
    if not isinstance(s, dict):
        raise ScenarioFileError(f"{where}: must be an object")
    caption = s.get("caption")
    if not isinstance(caption, str) or not caption.strip():
        raise ScenarioFileError(f'{where}: needs a "caption" text')
    settings = s.get("settings", {})
    if not isinstance(settings, dict):
        raise ScenarioFileError(f'{where}: "settings" must be an object')
    unknown = set(settings) - _CONFIG_FIELDS
    if unknown:
        raise ScenarioFileError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    try:
        SessionConfig().changed(**settings)
    except (TypeError, ValueError) as e:
        raise ScenarioFileError(f"{where}: {e}") from None
    inp = s.get("input", {})
    if not isinstance(inp, dict) or len(inp) > 1 or not set(inp) <= {"preset", "text", "values"}:
        raise ScenarioFileError(f'{where}: "input" takes one of preset, text or values')
    if "preset" in inp and inp["preset"] not in PRESETS:
        raise ScenarioFileError(f"{where}: unknown preset {inp['preset']!r}")
    if "text" in inp and not (isinstance(inp["text"], str) and inp["text"]):
        raise ScenarioFileError(f'{where}: "text" must be a non-empty text')
    if "values" in inp and not (
        isinstance(inp["values"], list)
        and inp["values"]
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in inp["values"]
        )
    ):
        raise ScenarioFileError(f'{where}: "values" must be a non-empty list of finite numbers')
    try:
        if "text" in inp:
            limits.check_steps(len(inp["text"]), 1, "the text")
            limits.check_count("the text's vocabulary", len(set(inp["text"])), limits.MAX_VOCAB)
        if "values" in inp:
            limits.check_steps(len(inp["values"]), 1, "the values")
    except limits.LimitError as e:
        raise ScenarioFileError(f"{where}: {e}") from None
    run = s.get("run", {})
    if not isinstance(run, dict):
        raise ScenarioFileError(f'{where}: "run" must be an object')
    steps = run.get("steps", "all")
    if steps != "all" and not (
        isinstance(steps, int) and not isinstance(steps, bool) and 0 <= steps <= limits.MAX_STEPS
    ):
        raise ScenarioFileError(
            f'{where}: "steps" must be "all" or a whole number ≥ 0; the most rnnviz takes '
            f"is {limits.MAX_STEPS:,}"
        )
    panel = run.get("panel", "all")
    if panel not in PANELS:
        raise ScenarioFileError(f"{where}: unknown panel {panel!r}")
    flags = {}
    for key in ("backward", "compare", "unrolled"):
        value = run.get(key, False)
        if not isinstance(value, bool):
            raise ScenarioFileError(f'{where}: "{key}" must be true or false')
        flags[key] = value
    return Slide(caption.strip(), dict(settings), dict(inp), steps, panel=panel, **flags)
