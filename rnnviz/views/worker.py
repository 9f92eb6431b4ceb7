"""The one place that runs long work in a thread: a progress generator in superqt's worker.

The lab's long computations are generators (``rnnviz.engine.progress``): they yield
``(done, total)`` (or one ``EpochReport`` per training epoch) and return their result. A
``Runner`` iterates one of them in a thread-pool thread and hands everything back on the
GUI thread as Qt signals, so views only ever touch the session and widgets there.

Cancelling is cooperative: the generator stops between two yields, and its result is
dropped, so whatever the caller stores on success stays as it was.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QCoreApplication, QObject, pyqtSignal

from rnnviz.views.lifetime import on_destroyed

# Progress yields closer together than this are not sent to the GUI thread: a gradient
# check yields thousands of times a second, and each signal costs the event loop time.
PROGRESS_INTERVAL_S = 0.03

DONE, CANCELLED, FAILED = "done", "cancelled", "failed"


@dataclass(frozen=True)
class _Returned:
    value: Any


@dataclass(frozen=True)
class _Raised:
    error: Exception


if TYPE_CHECKING:
    from superqt.utils import GeneratorWorker

    class _Worker(GeneratorWorker):
        began: threading.Event
        done: threading.Event


def _is_progress(item: object) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and all(isinstance(v, int) for v in item)


@functools.cache
def _worker_class() -> type[_Worker]:
    """superqt's generator worker, imported on the first run, not at launch: superqt
    imports qtpy, which rebuilds every Qt enum as it loads (a third of a second)."""
    from superqt.utils import GeneratorWorker

    class Worker(GeneratorWorker):
        """superqt's generator worker, plus events for when its thread begins and is done."""

        def __init__(self, steps: Iterator[Any]) -> None:
            super().__init__(self._drive, steps)
            self.began = threading.Event()
            self.done = threading.Event()

        def run(self) -> None:
            self.began.set()
            try:
                super().run()
            finally:
                self.done.set()

        def _drive(self, steps: Iterator[Any]) -> Generator[Any, None, _Returned | _Raised]:
            """Iterate ``steps``; wrap its outcome so superqt never sees (or swallows) an
            error.

            superqt turns a RuntimeError from the generator into a warning instead of an
            error, so every exception comes back as a value and is reported as a failure.
            """
            last = 0.0
            while True:
                try:
                    item = next(steps)
                except StopIteration as stop:
                    return _Returned(stop.value)
                except Exception as exc:
                    return _Raised(exc)
                if _is_progress(item) and item[0] < item[1] and not self.abort_requested:
                    now = time.monotonic()
                    if now - last < PROGRESS_INTERVAL_S:
                        continue
                    last = now
                yield item

    return Worker


def _stop(box: list[_Worker]) -> None:
    """Ask the box's worker to stop and wait until its thread has left the generator.

    Started from inside an event loop, superqt hands the worker to the thread pool from a
    timer: a worker that has not begun yet cannot be waited for here (the timer needs this
    thread), and needs not be: it checks the request to quit before its first step.
    """
    for worker in box:
        worker.quit()
        worker.resume()
        if worker.began.is_set():
            worker.done.wait()
    box.clear()


class Runner(QObject):
    """Runs one generator at a time in a thread; every signal arrives on the GUI thread.

    Signals, in order: ``started``; then ``progressed(done, total)`` for each (throttled)
    progress yield and ``yielded(item)`` for any other yield; ``paused`` / ``resumed``;
    ``returned(result)`` when the generator finished (never after ``cancel``);
    ``failed(message)`` when it raised; last ``finished(outcome)`` with ``DONE``,
    ``CANCELLED`` or ``FAILED`` once the thread has left the generator.

    After ``cancel`` nothing but ``finished(CANCELLED)`` is delivered, not even yields
    already on their way. The thread never outlives the runner: destroying it, or the
    application quitting, cancels the work and waits for the thread to leave the generator.
    """

    started = pyqtSignal()
    progressed = pyqtSignal(int, int)
    yielded = pyqtSignal(object)
    paused = pyqtSignal()
    resumed = pyqtSignal()
    returned = pyqtSignal(object)
    failed = pyqtSignal(str)
    finished = pyqtSignal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # A plain list, not an attribute lookup on self: the destroyed handler runs when
        # this object is half gone and must reach the worker without it.
        self._box: list[_Worker] = []
        self._cancelled = False
        self._failed = False
        on_destroyed(self, partial(_stop, self._box))
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    # ---- state ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True from ``start`` until ``finished`` has been emitted."""
        return bool(self._box)

    @property
    def is_paused(self) -> bool:
        return bool(self._box) and self._box[0].is_paused

    # ---- verbs ---------------------------------------------------------------------
    def start(self, steps: Iterator[Any]) -> None:
        """Run ``steps`` (a generator) in a thread. Only one at a time."""
        if self._box:
            raise RuntimeError("a computation is already running; cancel it first")
        worker = _worker_class()(steps)
        worker.started.connect(self._on_started)
        worker.yielded.connect(self._on_yielded)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        worker.paused.connect(self._on_paused)
        worker.resumed.connect(self._on_resumed)
        worker.finished.connect(self._on_finished)
        self._box.append(worker)
        self._cancelled = self._failed = False
        worker.start()

    def cancel(self) -> None:
        """Stop between two yields and drop the result; ``finished(CANCELLED)`` follows."""
        if not self._box:
            return
        self._cancelled = True
        self._box[0].quit()
        self._box[0].resume()  # a paused worker must wake up to notice

    def pause(self) -> None:
        """Pause between two yields; ``paused`` is emitted once it has."""
        if self._box:
            self._box[0].pause()

    def resume(self) -> None:
        if self._box:
            self._box[0].resume()

    def stop(self) -> None:
        """Cancel and block until the thread has left the generator (closing, quitting)."""
        if self._box:
            self._cancelled = True
            _stop(self._box)
            self.finished.emit(CANCELLED)

    # ---- from the worker (queued onto the GUI thread) --------------------------------
    def _live(self) -> bool:
        """Whether the signal comes from the current worker and should be passed on.

        Signals of a worker that ``stop`` already gave up on may still be queued when the
        next one starts; they must not be taken for the new one's.
        """
        return bool(self._box) and self.sender() is self._box[0].signals and not self._cancelled

    def _on_started(self) -> None:
        if self._live():
            self.started.emit()

    def _on_yielded(self, item: object) -> None:
        if not self._live():
            return
        if _is_progress(item):
            self.progressed.emit(*item)
        else:
            self.yielded.emit(item)

    def _on_returned(self, outcome: _Returned | _Raised) -> None:
        if not self._live():
            return
        if isinstance(outcome, _Raised):
            self._fail(outcome.error)
        else:
            self.returned.emit(outcome.value)

    def _on_errored(self, error: Exception) -> None:
        if self._live():
            self._fail(error)

    def _on_paused(self) -> None:
        if self._live():
            self.paused.emit()

    def _on_resumed(self) -> None:
        if self._live():
            self.resumed.emit()

    def _on_finished(self) -> None:
        if not self._box or self.sender() is not self._box[0].signals:
            return  # a worker that stop() already reported
        self._box.clear()
        self.finished.emit(CANCELLED if self._cancelled else FAILED if self._failed else DONE)

    def _fail(self, error: Exception) -> None:
        self._failed = True
        self.failed.emit(error_message(error))


def error_message(error: BaseException) -> str:
    """The engine's ValueErrors are written for users; anything else says what it was."""
    if isinstance(error, ValueError):
        return str(error)
    return f"{type(error).__name__}: {error}"
