"""Guided lessons in the window: the Lessons menu (built-in lessons and the user's folder),
the lesson bar, Page Down / Page Up through the slides (what a presentation remote sends).

A slide is applied by the Qt-free ScenarioPlayer (``rnnviz.session.player.apply_slide``):
the session, the lab and the window's state, which the window follows. This controller adds
what only the window can do: animate the backward pass so that the class sees it travel.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from PyQt6 import sip
from PyQt6.QtCore import QObject, Qt, QTimer
from PyQt6.QtGui import QAction, QActionGroup
from PyQt6.QtWidgets import QFileDialog, QMenu, QMenuBar, QMessageBox, QVBoxLayout, QWidget

from rnnviz.resources import asset_path
from rnnviz.session.document import Document
from rnnviz.session.lessons import Scenario, ScenarioFileError, load_scenario
from rnnviz.session.player import ScenarioPlayer
from rnnviz.views.look.math_text import math_tooltip
from rnnviz.views.look.plain_text import plain_tooltip
from rnnviz.views.window.lessons_bar import LessonBar
from rnnviz.views.window.settings import app_settings
from rnnviz.views.window.window_host import host, host_widget

FOLDER_KEY = "lessons/folder"


@dataclass(frozen=True)
class LessonProblem:
    """A lesson file (or the lessons folder) that could not be used."""

    path: Path
    message: str  # names the file, then the problem

    @property
    def reason(self) -> str:
        """The problem alone, for a menu entry that already shows the file's name."""
        return self.message.removeprefix(f"{self.path}: ")


def load_lessons(folder: Path) -> tuple[list[Scenario], list[LessonProblem]]:
    """Every lesson in ``folder`` in teaching order, and each file that failed with its path
    (the menu lists those by name; the session's ``load_folder`` keeps only the messages)."""
    if not folder.is_dir():
        return [], [LessonProblem(folder, f"{folder}: the lessons folder does not exist")]
    scenarios, problems = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            scenarios.append(load_scenario(path))
        except ScenarioFileError as e:
            problems.append(LessonProblem(path, str(e)))
    return sorted(scenarios, key=lambda s: (s.order, s.name)), problems


class LessonsController(QObject):
    """Public: ``player`` (ScenarioPlayer), ``bar`` (LessonBar), ``menu`` (the Lessons menu),
    ``scenarios`` (built-in then the user's, each in order), ``built_in``, ``user``,
    ``problems`` (LessonProblem list), ``problem_box`` (the report of skipped files while
    shown), ``user_folder``; ``open_lesson``, ``next_slide``,
    ``previous_slide``, ``close_lesson``, ``set_user_folder``, ``reload``; the actions
    ``act_next``, ``act_previous``, ``act_close``, ``act_add_folder``, ``act_reload``."""

    def __init__(
        self,
        document: Document,
        bar_column: QVBoxLayout,
        menu_bar: QMenuBar,
        before_menu: QAction,
        parent: QWidget,
    ) -> None:
        """``bar_column``: where the lesson bar goes (on top); the Lessons menu goes into
        ``menu_bar`` before ``before_menu``."""
        super().__init__(parent)
        self.player = ScenarioPlayer(document.session, document.lab, document.window)
        self.session = document.session
        self.built_in: list[Scenario] = []
        self.user: list[Scenario] = []
        self.scenarios: list[Scenario] = []
        self.problems: list[LessonProblem] = []
        self.problem_box: QMessageBox | None = None
        self._build_actions()
        self.bar = LessonBar(self.act_previous, self.act_next, self.act_close)
        # Above the pages, in the central column: the caption sits right over what it
        # talks about, and the docks keep their full height.
        bar_column.insertWidget(0, self.bar)
        self.bar.hide()
        self.menu = QMenu("&Lessons", parent)
        self.menu.setToolTipsVisible(True)  # the summaries and the problems are tooltips
        menu_bar.insertMenu(before_menu, self.menu)
        self.player.slide_changed.connect(self._on_slide_changed)
        self._set_open(False)
        self.reload(report=False)
        if self.problems:
            # Shown once the window is on screen, not before it as a lone dialog.
            self._startup_report = QTimer(self)
            self._startup_report.setSingleShot(True)
            self._startup_report.timeout.connect(self._report_startup_problems)
            self._startup_report.start(0)

    @property
    def window(self) -> QWidget:
        return host_widget(self)

    # ---- building ------------------------------------------------------------------
    def _build_actions(self) -> None:
        h = host(self)
        self.act_next = h.add_action("Next slide", "PgDown", "Next slide of the lesson")
        self.act_next.triggered.connect(self.next_slide)
        self.act_previous = h.add_action("Previous slide", "PgUp", "Previous slide of the lesson")
        self.act_previous.triggered.connect(self.previous_slide)
        self.act_close = QAction("Close lesson", self)
        self.act_close.setToolTip("Close the lesson (the network stays as it is)")
        self.act_close.triggered.connect(self.close_lesson)
        self.act_add_folder = QAction("Add lessons folder…", self)
        self.act_add_folder.setToolTip("Choose a folder of your own lesson files (.json)")
        self.act_add_folder.triggered.connect(self.choose_user_folder)
        self.act_reload = QAction("Reload lessons", self)
        self.act_reload.setToolTip("Read the lesson files again (after editing one)")
        self.act_reload.triggered.connect(lambda: self.reload())  # not reload(checked)
        # One lesson is checked at a time, or none when no lesson is open.
        self._group = QActionGroup(self)
        self._group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)

    def _fill_menu(self) -> None:
        self.menu.clear()  # deletes the lesson entries it owns; the fixed actions stay
        for scenario in self.built_in:
            self._add_entry(scenario)
        folder = self.user_folder
        if folder is not None:
            self.menu.addSection(f"Your lessons ({folder.name})")
            for scenario in self.user:
                self._add_entry(scenario)
        for problem in self.problems:
            entry = self.menu.addAction(f"{problem.path.name} — cannot be read")
            assert entry is not None
            entry.setEnabled(False)
            entry.setToolTip(plain_tooltip(problem.reason))
        self.menu.addSeparator()
        self.menu.addActions([self.act_previous, self.act_next, self.act_close])
        self.menu.addSeparator()
        self.menu.addActions([self.act_add_folder, self.act_reload])
        self._check_open_lesson()

    def _add_entry(self, scenario: Scenario) -> None:
        entry = self.menu.addAction(scenario.title.replace("&", "&&"))  # & marks a mnemonic
        assert entry is not None
        entry.setCheckable(True)
        entry.setToolTip(math_tooltip(scenario.summary or scenario.title))
        entry.setData(str(scenario.path))
        entry.triggered.connect(lambda _=False, s=scenario: self._open(s, 1))
        self._group.addAction(entry)

    # ---- the lessons ---------------------------------------------------------------
    @property
    def user_folder(self) -> Path | None:
        value = app_settings().value(FOLDER_KEY)
        return Path(value) if isinstance(value, str) and value else None

    def set_user_folder(self, folder: str | Path) -> None:
        """Remember ``folder`` for this and later sessions, and list its lessons."""
        settings = app_settings()
        settings.setValue(FOLDER_KEY, str(Path(folder)))
        settings.sync()
        self.reload()

    def choose_user_folder(self) -> None:
        start = str(self.user_folder or Path.home())
        folder = QFileDialog.getExistingDirectory(
            self.window, "Choose a folder of lesson files", start
        )
        if folder:
            self.set_user_folder(folder)

    def reload(self, report: bool = True) -> None:
        """Read the built-in lessons and the user's folder again; say which files failed."""
        self.built_in, self.problems = load_lessons(asset_path("scenarios"))
        folder = self.user_folder
        self.user = []
        if folder is not None:
            self.user, problems = load_lessons(folder)
            self.problems += problems
        self.scenarios = self.built_in + self.user
        self._fill_menu()
        if report:
            self._report(self.problems)

    def open_lesson(self, name_or_path: str | Path, slide: int = 1) -> Scenario:
        """Open a lesson by name (a file's stem, e.g. "vanishing") or by the path of a lesson
        file, at ``slide`` (1-based). Raises ValueError for an unknown name or slide and
        ScenarioFileError for a file that cannot be used."""
        text = str(name_or_path)
        if isinstance(name_or_path, Path) or text.endswith(".json"):
            return self._open(load_scenario(name_or_path), slide)
        for scenario in self.scenarios:
            if scenario.name == text:
                return self._open(scenario, slide)
        names = ", ".join(s.name for s in self.scenarios)
        raise ValueError(f"no lesson called {text!r}; the lessons are {names}")

    def next_slide(self) -> bool:
        self._stop_animations()
        moved = self.player.next()
        if not moved and self.player.scenario is not None:
            host(self).show_message("This is the last slide of the lesson")
        return moved

    def previous_slide(self) -> bool:
        self._stop_animations()
        moved = self.player.previous()
        if not moved and self.player.scenario is not None:
            host(self).show_message("This is the first slide of the lesson")
        return moved

    def close_lesson(self) -> None:
        """Hide the bar; the network stays as the last slide left it."""
        if self.player.scenario is not None:
            self.player.close()

    def _open(self, scenario: Scenario, slide: int) -> Scenario:
        self._stop_animations()
        self.player.open(scenario, slide)
        return scenario

    def _stop_animations(self) -> None:
        # A playing sequence would feed past the slide's step; an old sweep would run on.
        host(self).stop_animations()

    # ---- showing a slide ----------------------------------------------------------------
    def _on_slide_changed(self) -> None:
        scenario, slide = self.player.scenario, self.player.slide
        self._set_open(scenario is not None)
        if scenario is None or slide is None:
            return
        k, n = self.player.index + 1, len(scenario.slides)
        self.bar.show_slide(scenario.title, k, n, slide.caption)
        if slide.backward and self.session.t > 0:
            host(self).run_backward()  # the animated sweep of key B, so the class sees it travel

    def _set_open(self, is_open: bool) -> None:
        self.bar.setVisible(is_open)
        for action in (self.act_next, self.act_previous, self.act_close):
            action.setEnabled(is_open)
        self._check_open_lesson()

    def _check_open_lesson(self) -> None:
        path = str(self.player.scenario.path) if self.player.scenario is not None else None
        for entry in self._group.actions():
            entry.setChecked(entry.data() == path)

    def _report_startup_problems(self) -> None:
        # A bound method, not a lambda: Qt drops it with this object (no cycle to collect).
        self._report(self.problems)

    def _report(self, problems: list[LessonProblem]) -> None:
        """One non-modal message naming every file that was skipped, and why."""
        if self.problem_box is not None and not sip.isdeleted(self.problem_box):
            self.problem_box.close()
        self.problem_box = None
        if not problems:
            return
        items = "".join(
            f"<li><b>{html.escape(p.path.name)}</b>: {html.escape(p.reason)}"
            f"<br><small>{html.escape(str(p.path))}</small></li>"
            for p in problems
        )
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Some lessons could not be read",
            "<p>These lesson files were skipped; the other lessons are in the Lessons menu."
            f"</p><ul>{items}</ul>",
            QMessageBox.StandardButton.Close,
        )
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setParent(self.window, box.windowFlags())
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.problem_box = box
        count = len(problems)
        host(self).show_message(
            f"{count} lesson file{'s' if count > 1 else ''} could not be read", 8000
        )
