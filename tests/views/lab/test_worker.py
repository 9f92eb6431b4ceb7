"""The worker runs a progress generator in a thread and hands everything back on the GUI
thread; it can be cancelled, paused and destroyed without leaving a thread behind."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator

import pytest
from PyQt6.QtCore import QThread, QThreadPool, QTimer
from PyQt6.QtWidgets import QApplication, QWidget

from rnnviz.views.worker import CANCELLED, DONE, FAILED, Runner


@pytest.fixture(autouse=True)
def no_thread_left() -> Iterator[None]:
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


class Counter:
    """A progress generator that counts the steps it took, optionally slowly."""

    def __init__(self) -> None:
        self.taken = 0
        self.threads: set[int] = set()

    def steps(self, n: int, pause_s: float = 0.0) -> Generator[tuple[int, int], None, str]:
        for i in range(n):
            self.threads.add(threading.get_ident())
            time.sleep(pause_s)
            self.taken += 1
            yield i + 1, n
        return f"counted {n}"


def record(runner: Runner) -> list[tuple[str, tuple]]:
    log: list[tuple[str, tuple]] = []
    for name in ("progressed", "yielded", "returned", "failed", "paused", "resumed", "finished"):
        getattr(runner, name).connect(lambda *args, name=name: log.append((name, args)))
    return log


def test_a_generator_runs_in_another_thread_and_returns_on_the_gui_thread(qtbot):
    runner, counter = Runner(), Counter()
    log = record(runner)
    gui = QApplication.instance().thread()
    threads: list[bool] = []
    runner.returned.connect(lambda _: threads.append(QThread.currentThread() is gui))
    with qtbot.waitSignal(runner.finished, timeout=5000) as done:
        runner.start(counter.steps(5, 0.05))
    assert done.args == [DONE]
    assert threading.get_ident() not in counter.threads and threads == [True]
    assert ("returned", ("counted 5",)) in log
    assert [a for n, a in log if n == "progressed"][-1] == (5, 5)
    assert log[-1] == ("finished", (DONE,)) and not runner.running


def test_fast_progress_is_throttled_but_the_last_step_always_arrives(qtbot):
    runner, counter = Runner(), Counter()
    log = record(runner)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(counter.steps(3000))
    progress = [a for n, a in log if n == "progressed"]
    assert counter.taken == 3000
    assert len(progress) < 100 and progress[-1] == (3000, 3000)


def test_cancel_stops_between_steps_and_drops_the_result(qtbot):
    runner, counter = Runner(), Counter()
    log = record(runner)
    with qtbot.waitSignal(runner.progressed, timeout=5000):
        runner.start(counter.steps(1000, 0.01))
    with qtbot.waitSignal(runner.finished, timeout=5000) as done:
        runner.cancel()
    assert done.args == [CANCELLED]
    assert counter.taken < 1000
    assert not any(name == "returned" for name, _ in log)
    taken = counter.taken
    qtbot.wait(50)
    assert counter.taken == taken and not runner.running


def test_errors_come_back_as_messages(qtbot):
    def failing(error: Exception) -> Generator[tuple[int, int], None, None]:
        yield 1, 2
        raise error

    runner = Runner()
    for error, text in (
        (ValueError("the ρ range must satisfy 0 ≤ from < to"), "the ρ range must satisfy"),
        (RuntimeError("boom"), "RuntimeError: boom"),  # superqt would turn it into a warning
    ):
        log = record(runner)
        with qtbot.waitSignal(runner.finished, timeout=5000) as done:
            runner.start(failing(error))
        assert done.args == [FAILED]
        (message,) = [a[0] for n, a in log if n == "failed"]
        assert message.startswith(text)


def test_pause_holds_the_generator_until_resume(qtbot):
    runner, counter = Runner(), Counter()
    with qtbot.waitSignal(runner.progressed, timeout=5000):
        runner.start(counter.steps(40, 0.01))
    with qtbot.waitSignal(runner.paused, timeout=5000):
        runner.pause()
    assert runner.is_paused
    taken = counter.taken
    qtbot.wait(100)
    assert counter.taken == taken
    with qtbot.waitSignal(runner.finished, timeout=5000) as done:
        runner.resume()
    assert done.args == [DONE] and counter.taken == 40


def test_closing_the_owner_stops_the_thread(qtbot):
    owner = QWidget()
    runner, counter = Runner(owner), Counter()
    with qtbot.waitSignal(runner.progressed, timeout=5000):
        runner.start(counter.steps(10_000, 0.005))
    owner.deleteLater()
    qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout=5000)
    taken = counter.taken
    qtbot.wait(50)
    assert counter.taken == taken < 10_000


def test_one_computation_at_a_time(qtbot):
    runner, counter = Runner(), Counter()
    runner.start(counter.steps(1000, 0.01))
    with pytest.raises(RuntimeError, match="already running"):
        runner.start(counter.steps(1))
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.cancel()


def test_stopping_before_the_pool_took_the_worker_does_not_hang(qtbot):
    # Inside an event loop superqt starts the worker from a timer; closing the window
    # before that timer fires must neither block nor run a single step.
    runner, counter = Runner(), Counter()
    stopped: list[bool] = []

    def start_and_stop() -> None:
        runner.start(counter.steps(10))
        runner.stop()
        stopped.append(True)

    with qtbot.waitSignal(runner.finished, timeout=5000) as done:
        QTimer.singleShot(0, start_and_stop)
    assert done.args == [CANCELLED] and stopped == [True]
    assert QThreadPool.globalInstance().waitForDone(2000)
    assert counter.taken == 0
