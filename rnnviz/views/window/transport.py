"""Playing the sequence forward, animating the backward pass, and the transport bar."""

from __future__ import annotations

import math
from collections.abc import Iterable

from PyQt6.QtCore import QObject, QSignalBlocker, QSize, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QToolButton, QWidget

from rnnviz.session import Change, Session
from rnnviz.session.session import Backward
from rnnviz.views.binding import listen
from rnnviz.views.look import theme, widget_style
from rnnviz.views.look.appearance import appearance
from rnnviz.views.window.timeline_slider import TimelineSlider
from rnnviz.views.worker import Runner

MIN_SPEED, MAX_SPEED, DEFAULT_SPEED = 1, 60, 4  # steps per second
ICON_PX = 32  # the buttons' icons at scale 1


class Player(QObject):
    """Feeds the next input of the sequence ``speed`` times a second; stops at its end."""

    playing_changed = pyqtSignal(bool)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.speed = DEFAULT_SPEED
        self._timer = QTimer(self)
        self._timer.setInterval(round(1000 / self.speed))
        self._timer.timeout.connect(self._tick)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def set_speed(self, steps_per_second: int) -> None:
        self.speed = max(MIN_SPEED, min(MAX_SPEED, int(steps_per_second)))
        self._timer.setInterval(round(1000 / self.speed))

    def toggle(self) -> None:
        if self.playing:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        if self.playing:
            return
        if self.session.t >= self.session.sequence.shape[0]:
            self.session.seek(0)  # at the end, play means play it again from the start
        self._timer.start()
        self.playing_changed.emit(True)
        self._tick()  # the first step at once: the key press answers immediately

    def stop(self) -> None:
        if not self.playing:
            return
        self._timer.stop()
        self.playing_changed.emit(False)

    def _tick(self) -> None:
        if not self.session.step_forward() or self.session.t >= self.session.sequence.shape[0]:
            self.stop()


class BackwardSweep(QObject):
    """Runs BPTT, then moves ``session.sweep`` from step T down to 1 in about 2.5 s.

    Long sequences skip steps so that a frame never comes faster than every 16 ms. Any change
    that clears or replaces the gradients (a step, a new network) cancels the animation.
    A long backward pass (over ``INLINE_WORK``) runs in a worker thread (``runner``) first,
    so the window keeps answering: ``computing`` says when it begins and ends, and any
    change of the steps or the network cancels it (its result is dropped).
    """

    DURATION_MS = 2500
    MIN_FRAME_MS = 16
    # session.backward_work (steps × units × gates × layers × directions) below this is
    # computed at once (tens of milliseconds), so that the sweep starts with the key press;
    # beyond, in the worker.
    INLINE_WORK = 100_000

    finished = pyqtSignal()
    computing = pyqtSignal(bool)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._k = 0
        self._stride = 1
        self._result: object | None = None
        self._again = False  # start again once the cancelled computation has stopped
        self.runner = Runner(self)
        self.runner.returned.connect(self._on_computed)
        self.runner.finished.connect(self._on_runner_finished)
        listen(session.changed, self._on_session_changed)

    @property
    def running(self) -> bool:
        """Computing the backward pass or animating it."""
        return self._timer.isActive() or self.runner.running

    @property
    def stride(self) -> int:
        """Steps the cursor moves per frame (more than 1 only for long sequences)."""
        return self._stride

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def cancel(self) -> None:
        """Stop the computation or the animation; an animation shows every gradient."""
        self._again = False
        self.runner.cancel()
        if self._timer.isActive():
            self._timer.stop()
            self.session.set_sweep(None)

    def start(self) -> bool:
        """Run BPTT and start the sweep; False when no step has been fed yet."""
        self._timer.stop()
        s = self.session
        if s.t == 0:
            return False
        if s.backward_work < self.INLINE_WORK:
            self._result = s.run_backward()
            self._animate()
        elif self.runner.running:
            self._again = True
            self.runner.cancel()
        else:
            self.computing.emit(True)
            self.runner.start(s.backward_steps())
        return True

    def _on_computed(self, backward: Backward) -> None:
        if self.session.set_backward(backward):
            self._result = self.session.gradients
            self._animate()

    def _on_runner_finished(self, _outcome: str) -> None:
        if self._again:
            self._again = False
            self.runner.start(self.session.backward_steps())
        else:
            self.computing.emit(False)

    def _animate(self) -> None:
        T = self.session.t
        max_frames = max(1, self.DURATION_MS // self.MIN_FRAME_MS)
        self._stride = math.ceil(T / max_frames)
        frames = math.ceil(T / self._stride) + 1  # T, T − stride, …, 1, then the end
        self._timer.setInterval(max(self.MIN_FRAME_MS, self.DURATION_MS // frames))
        self._k = T
        self.session.set_sweep(T)
        self._timer.start()

    def _tick(self) -> None:
        if self._k <= 1:
            self._timer.stop()
            self.session.set_sweep(None)
            self.finished.emit()
            return
        self._k = max(1, self._k - self._stride)
        self.session.set_sweep(self._k)

    def _on_session_changed(self, changes: Change) -> None:
        if changes & Change.DATA and self.runner.running:
            self._again = False
            self.runner.cancel()  # it would describe steps or a network that are gone
        # The session already set sweep to None when it cleared or replaced the gradients.
        if changes & Change.GRADIENTS and self.session.gradients is not self._result:
            self._timer.stop()


class TransportBar(QWidget):
    """Reset, back, play/pause, step; the play speed; a timeline slider to scrub through t."""

    def __init__(
        self,
        session: Session,
        player: Player,
        actions: Iterable[QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.player = player
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.buttons: list[QToolButton] = []
        for action in actions:
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            layout.addWidget(button)
            self.buttons.append(button)

        self.speed = QSpinBox(self)
        self.speed.setRange(MIN_SPEED, MAX_SPEED)
        self.speed.setValue(player.speed)
        self.speed.setSuffix(" steps/s")
        self.speed.setToolTip("Play speed, in steps per second")
        self.speed.valueChanged.connect(player.set_speed)
        layout.addSpacing(8)
        layout.addWidget(QLabel("Speed", self))
        layout.addWidget(self.speed)

        self.slider = TimelineSlider(self)
        self.slider.setToolTip("Timeline: drag to go to any step t")
        self.slider.setMinimumHeight(32)
        self.slider.valueChanged.connect(session.seek)
        layout.addSpacing(12)
        layout.addWidget(self.slider, 1)

        self.step_label = QLabel(self)
        widget_style.set_font(self.step_label, theme.TITLE_POINT_SIZE, bold=True)
        self.step_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.step_label)

        listen(session.changed, self._on_session_changed)
        listen(appearance.changed, self._on_appearance_changed)
        self._on_appearance_changed()

    def _on_appearance_changed(self) -> None:
        """Icons and the step counter (a fixed size, from its font) at the type scale."""
        side = round(ICON_PX * appearance.scale)
        for button in self.buttons:
            button.setIconSize(QSize(side, side))
        self._on_stepped()

    def _on_session_changed(self, changes: Change) -> None:
        if changes & (Change.STEPS | Change.SEQUENCE):
            self._on_stepped()

    def _on_stepped(self) -> None:
        n = self.session.sequence.shape[0]
        t = self.session.t
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, n)
            self.slider.setValue(t)
        # A fixed size, wide enough for the largest count: the slider does not jump while
        # playing, and a new count does not lay the whole window out again (≈ 0.4 ms a step).
        label = self.step_label
        label.setFixedSize(
            label.fontMetrics().horizontalAdvance(f"t = {n} / {n}") + 8,
            label.fontMetrics().height() + 4,
        )
        label.setText(f"t = {t} / {n}")
