"""The session's verbs as the window's controls call them: at once, or in a worker.

A verb at the widgets' maxima (a new cell over 5000 steps of 256 units, 10,000 pasted
numbers, a session of 100,000 steps) takes a second or more. Those are computed by
``Session.prepare`` on a copy of the session in a worker thread and committed on the GUI
thread (``Session.commit``): meanwhile the window keeps answering, and every view shows the
old state until the new one is there, in one change. Small ones (by ``Session.work``) run
at once, exactly as before: one-step verbs, tests and frames behave as they always did.

A second expensive change while one is computing supersedes it (two setting changes are
merged: the later value of each setting wins). A commit whose session changed meanwhile
(a step, a small change) is computed again on the state now shown, never put onto a state
it was not computed from. ``cancel`` drops it: the session was never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from rnnviz.session import Session
from rnnviz.session.prepared import INLINE_WORK, Prepared
from rnnviz.views.worker import Runner


def _ignore(_value: object) -> None:
    """What a job does with its result or error when its caller wants nothing."""


@dataclass(frozen=True)
class Job:
    """An expensive verb: ``label`` for the window ("switching to LSTM"), how to compute
    it (``steps``) and to put it in (``commit``: False when stale), and what the caller does
    after (``done`` with the verb's result, ``failed`` with the message)."""

    label: str
    verb: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    commit: Callable[[Prepared], bool]
    done: Callable[[object], None] = field(default=_ignore)
    failed: Callable[[str], None] = field(default=_ignore)


class Verbs(QObject):
    """Runs the session's verbs for the controls. Public: ``session``, ``runner``,
    ``computing``, ``label`` (what is being computed); ``expensive``, ``call``, ``start``,
    ``cancel``.

    Signals: ``busy(bool)`` when computing begins and ends; ``cancelled`` when the user
    dropped a computation (controls that showed the change put back the session's values).
    """

    busy = pyqtSignal(bool)
    cancelled = pyqtSignal()

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.runner = Runner(self)
        self.runner.returned.connect(self._on_returned)
        self.runner.failed.connect(self._on_failed)
        self.runner.finished.connect(self._on_finished)
        self._job: Job | None = None  # the one computing
        self._next: Job | None = None  # waits for the cancelled one to stop
        self._dropped = False  # the one computing was cancelled

    @property
    def computing(self) -> bool:
        return self._job is not None

    @property
    def label(self) -> str:
        job = self._next or self._job
        return "" if job is None else job.label

    def call(
        self,
        verb: str,
        *args: Any,
        label: str,
        done: Callable[[object], None] = _ignore,
        failed: Callable[[str], None] = _ignore,
        **kwargs: Any,
    ) -> bool:
        """``session.<verb>(*args, **kwargs)``: now when it is small (True; its errors are
        raised, ``done`` is not called), else in the worker (False; ``done`` or ``failed``
        follows once it is committed or refused)."""
        s = self.session
        if not self.expensive(verb, *args, **kwargs):
            getattr(s, verb)(*args, **kwargs)
            return True
        self.start(Job(label, verb, args, kwargs, s.commit, done, failed))
        return False

    def expensive(self, verb: str, *args: Any, **kwargs: Any) -> bool:
        """Whether ``session.<verb>(*args, **kwargs)`` is computed in the worker."""
        return self.session.work(verb, *args, **kwargs) >= INLINE_WORK

    def start(self, job: Job) -> None:
        """Compute ``job`` in the worker; one already computing is superseded by it."""
        running = self._next or (None if self._dropped else self._job)
        if running is not None and running.verb == job.verb == "set_config":
            job = replace(job, kwargs={**running.kwargs, **job.kwargs})
        if self._job is not None:
            self._next = job
            self.runner.cancel()
            return
        self._run(job)
        self.busy.emit(True)

    def cancel(self) -> None:
        """Drop what is computing (the session stays as it is shown)."""
        if self._job is None:
            return
        self._next = None
        self._dropped = True
        self.runner.cancel()
        self.cancelled.emit()

    # ---- the worker ----------------------------------------------------------------
    def _run(self, job: Job) -> None:
        self._job, self._dropped = job, False
        self.runner.start(self.session.prepare(job.verb, *job.args, **job.kwargs))

    def _on_returned(self, done: Prepared) -> None:
        job = self._job
        assert job is not None
        if job.commit(done):
            job.done(done.result)
        elif self._next is None:
            self._next = job  # stale: the session changed meanwhile; compute it again

    def _on_failed(self, message: str) -> None:
        if self._job is not None:
            self._job.failed(message)

    def _on_finished(self, _outcome: str) -> None:
        job, self._next = self._next, None
        if job is not None:
            self._run(job)
            return
        self._job = None
        self.busy.emit(False)
