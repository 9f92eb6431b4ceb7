"""The session's verbs as the window's controls call them: at once, or in a worker.

A verb at the widgets' maxima (a new cell over 5000 steps of 256 units, 10,000 pasted
numbers, a session of 100,000 steps) takes a second or more. Those are computed by
``Session.prepare`` on a copy of the session in a worker thread and committed on the GUI
thread (``Session.commit``): meanwhile the window keeps answering, and every view shows the
old state until the new one is there, in one change. Small ones (by ``Session.work``) run
at once, exactly as before: one-step verbs, tests and frames behave as they always did.

A second expensive change while one is computing supersedes it when it replaces it (two
setting changes are merged: the later value of each setting wins; a preset, a file or
weights replace the last one), else it waits its turn (fed steps, or a preset after new
settings). A commit whose session changed meanwhile (a step, a small change) is computed
again on the state now shown, never put onto a state it was not computed from. ``cancel``
drops it all: the session was never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from rnnviz.session import Session
from rnnviz.session.prepared import INLINE_WORK, Prepared
from rnnviz.views.worker import Runner

# Verbs whose later call replaces an earlier one still computing.
_REPLACING = frozenset({"set_config", "load_preset", "restore", "set_params"})


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
        self._pending: list[Job] = []  # to compute next, in order
        self._dropped = False  # the one computing was cancelled

    @property
    def computing(self) -> bool:
        return self._job is not None

    @property
    def label(self) -> str:
        job = self._pending[-1] if self._pending else self._job
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
        """Compute ``job`` in the worker. A change that replaces the one computing or
        waiting (settings, a preset, a file, weights) supersedes it; fed steps wait their
        turn (two pastes feed both)."""
        if self._job is None:
            self._run(job)
            self.busy.emit(True)
            return
        last = self._pending[-1] if self._pending else None if self._dropped else self._job
        if last is None or last.verb != job.verb or job.verb not in _REPLACING:
            self._pending.append(job)
            return
        if job.verb == "set_config":  # both changes, the later value of each setting
            job = replace(job, kwargs={**last.kwargs, **job.kwargs})
        if self._pending:
            self._pending[-1] = job
        else:
            self._pending.append(job)
            self.runner.cancel()

    def cancel(self) -> None:
        """Drop what is computing or waiting (the session stays as it is shown)."""
        if self._job is None:
            return
        self._pending.clear()
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
        else:
            self._pending.insert(0, job)  # stale: the session changed; compute it again

    def _on_failed(self, message: str) -> None:
        if self._job is not None:
            self._job.failed(message)

    def _on_finished(self, _outcome: str) -> None:
        if self._pending:
            self._run(self._pending.pop(0))
            return
        self._job = None
        self.busy.emit(False)
