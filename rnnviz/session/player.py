"""Playing a lesson: each slide puts the session (and the lab) into a known state."""

from __future__ import annotations

from psygnal import Signal

from rnnviz.session.config import SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.session.lessons import Scenario, Slide
from rnnviz.session.session import Session
from rnnviz.session.source import Source
from rnnviz.session.window_state import FOCUSES, WindowState


class ScenarioPlayer:
    """Next / previous through a lesson's slides. ``slide_changed`` fires after a slide ran.

    Views read ``slide`` for the caption; what the window shows follows ``window``.
    """

    slide_changed = Signal()

    def __init__(
        self, session: Session, lab: Lab | None = None, window: WindowState | None = None
    ) -> None:
        self.session = session
        self.lab = lab
        self.window = window
        self.scenario: Scenario | None = None
        self.index = 0  # 0-based

    @property
    def slide(self) -> Slide | None:
        return None if self.scenario is None else self.scenario.slides[self.index]

    def open(self, scenario: Scenario, slide: int = 1) -> None:
        """Start a lesson at ``slide`` (1-based)."""
        if not 1 <= slide <= len(scenario.slides):
            raise ValueError(
                f"{scenario.name} has slides 1 to {len(scenario.slides)}; there is no slide {slide}"
            )
        self.scenario = scenario
        self.go(slide - 1)

    def close(self) -> None:
        self.scenario = None
        self.index = 0
        if self.window is not None:
            self.window.focus = ""  # no slide to show first
        self.slide_changed.emit()

    def next(self) -> bool:
        if self.scenario is None or self.index + 1 >= len(self.scenario.slides):
            return False
        self.go(self.index + 1)
        return True

    def previous(self) -> bool:
        if self.scenario is None or self.index == 0:
            return False
        self.go(self.index - 1)
        return True

    def go(self, index: int) -> None:
        assert self.scenario is not None
        self.index = index
        slide = self.scenario.slides[index]
        apply_slide(self.session, slide, self.lab, self.window, lesson=self.scenario.title)
        self.slide_changed.emit()


def apply_slide(
    session: Session,
    slide: Slide,
    lab: Lab | None = None,
    window: WindowState | None = None,
    *,
    lesson: str = "",
) -> None:
    """Defaults + the slide's settings, its input, then what it runs, then what the window
    shows: the one way a slide is applied, by the Lessons menu and ``rnnviz render`` alike.
    The inputs are the lesson's (titled ``lesson``) when it is named."""
    source = Source("lesson", lesson) if lesson else None
    settings = {**vars(SessionConfig()), **slide.settings}
    inp = slide.input
    if "preset" in inp:
        settings["preset"] = inp["preset"]
    session.set_config(**settings)
    if "preset" in inp:
        session.load_preset(inp["preset"], source)
    elif "text" in inp:
        session.set_sequence(inp["text"], source)
    elif "values" in inp:
        session.set_sequence([float(v) for v in inp["values"]], source)
    else:
        session.load_preset(session.config.preset, source)
    n = session.sequence.shape[0]
    session.seek(n if slide.steps == "all" else min(int(slide.steps), n))
    if slide.backward and session.t > 0:
        session.run_backward()
    if slide.compare and lab is not None:
        lab.compare()
    if window is not None:
        with window.events.paused():
            window.unrolled = slide.unrolled
            window.show_lab(slide.panel == "lab")
            window.focus = slide.panel if slide.panel in FOCUSES else ""
            if slide.compare:
                window.lab_tab = "Compare"
