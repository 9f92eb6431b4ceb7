"""Training in the loop: the curves are the lab's history, the run is reproducible, pause
and stop work, bad settings are refused next to the field, and the window keeps serving
events while a worker thread trains."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt, QThreadPool, QTimer
from PyQt6.QtWidgets import QComboBox, QLineEdit, QSpinBox
from text_lines import shown_lines

from rnnviz.engine import forward
from rnnviz.engine.tasks import delay_task
from rnnviz.engine.train import TrainConfig, train
from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.session.training_setup import TrainingSettings
from rnnviz.views import lab as views_lab
from rnnviz.views.lab.training import TrainingView
from rnnviz.views.window.snapshots import settle

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def no_thread_left() -> Iterator[None]:
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


@pytest.fixture
def session() -> Session:
    return Session(SessionConfig(hidden_size=6))


@pytest.fixture
def lab(session: Session) -> Lab:
    return Lab(session)


@pytest.fixture
def view(qtbot, lab: Lab) -> TrainingView:
    w = TrainingView(lab)
    qtbot.addWidget(w)
    w.resize(1100, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def pick(qtbot, combo: QComboBox, text: str) -> None:
    combo.setFocus()
    target = combo.findText(text)
    key = Qt.Key.Key_Down if target > combo.currentIndex() else Qt.Key.Key_Up
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, key)


def type_into(qtbot, field: QLineEdit | QSpinBox, text: str) -> None:
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Tab)


def set_up(qtbot, view: TrainingView, task: str = "delay/echo", epochs: int = 3) -> None:
    """A short run: ``epochs`` epochs of ``task`` on sequences of 20 steps."""
    pick(qtbot, view.form.task_box, task)
    type_into(qtbot, view.form.length_box, "20")
    type_into(qtbot, view.form.epochs_box, str(epochs))


def train_to_end(qtbot, view: TrainingView) -> None:
    with qtbot.waitSignal(view.runner.finished, timeout=20_000) as done:
        qtbot.mouseClick(view.start_button, LEFT)
    assert done.args == ["done"]


def original(curve) -> tuple[np.ndarray, np.ndarray]:
    x, y = curve.getOriginalDataset()
    return np.asarray(x), np.asarray(y)


def test_the_curves_show_the_recorded_history(qtbot, view, lab, session):
    set_up(qtbot, view, "delay/echo", 3)
    train_to_end(qtbot, view)

    h = lab.training
    assert len(h.losses) == 3 and view.progress.value() == 3
    x, y = original(view.plots.loss_curve)
    np.testing.assert_array_equal(x, [1, 2, 3])
    np.testing.assert_array_equal(y, h.losses)
    np.testing.assert_array_equal(original(view.plots.before_curve)[1], h.norm_before)
    np.testing.assert_array_equal(original(view.plots.after_curve)[1], h.norm_after)
    np.testing.assert_array_equal(original(view.plots.baseline_curve)[1], [0.75, 0.75])  # (20−5)/20
    np.testing.assert_array_equal(original(view.plots.theta_curve)[1], [1.0, 1.0])
    assert "epoch 3: loss" in view.status.text() and "always predicting 0" in view.status.text()
    # The main window's network fits the delay task, so it is the one trained.
    assert view.status.text().startswith("vanilla RNN (6 units), epoch 3: loss")
    # The engine's own run with the same settings and seed gives the same losses.
    config = TrainConfig(epochs=3, lr=0.02)
    want = [r.loss for r in train(session.params, delay_task(5, 20), config)]
    np.testing.assert_allclose(h.losses, want, rtol=1e-12)


def test_the_form_opens_on_the_adding_problem(qtbot, view):
    form = view.form
    assert form.settings() == TrainingSettings()
    assert form.task_box.currentText() == "adding problem"
    assert (form.length_box.value(), form.hidden_box.value()) == (50, 16)
    assert form.length_box.isVisible() and form.hidden_box.isVisible()
    assert not form.lag_box.isVisible() and not form.text_edit.isVisible()
    # Before a run the axis spans the epochs the form would train.
    assert view.plots.loss_plot.getPlotItem().viewRange()[0][1] >= form.epochs_box.value()
    other = TrainingSettings(
        task="delay", length=30, lag=7, hidden_size=5, optimiser="sgd", lr="0.5",
        momentum=0.5, epochs=12, clip=None, truncate=4, seed=3,
    )  # fmt: skip
    form.show_settings(other)
    assert form.settings() == other


def test_a_task_the_main_window_cannot_take_trains_a_network_of_the_forms_size(qtbot, view, lab):
    set_up(qtbot, view, "adding problem", 1)
    type_into(qtbot, view.form.length_box, "10")
    type_into(qtbot, view.form.hidden_box, "5")
    train_to_end(qtbot, view)
    assert lab.training.params.hidden_size == 5 and lab.training.params.input_size == 2
    assert view.status.text().startswith("vanilla RNN (5 units), epoch 1: loss")
    assert "baseline 0.1667 (always guessing 1)" in view.status.text()
    np.testing.assert_allclose(original(view.plots.baseline_curve)[1], [1 / 6, 1 / 6])


def test_the_same_seed_gives_the_same_run(qtbot, view, lab):
    set_up(qtbot, view, "adding problem", 2)
    pick(qtbot, view.form.optimiser_box, "SGD (momentum)")
    view.form.truncate_check.setChecked(True)
    train_to_end(qtbot, view)
    first = lab.training.losses
    train_to_end(qtbot, view)
    assert lab.training.losses == first
    type_into(qtbot, view.form.seed_box, "7")
    train_to_end(qtbot, view)
    assert lab.training.losses != first


def test_pause_resume_and_stop(qtbot, view, lab):
    set_up(qtbot, view, "delay/echo", 1000)
    qtbot.mouseClick(view.start_button, LEFT)
    qtbot.waitUntil(lambda: lab.training is not None and len(lab.training.losses) >= 1)
    with qtbot.waitSignal(view.runner.paused, timeout=5000):
        qtbot.mouseClick(view.pause_button, LEFT)
    paused_at = len(lab.training.losses)
    qtbot.wait(150)
    assert len(lab.training.losses) == paused_at
    assert view.pause_button.text() == "Resume" and view.adopt_button.isEnabled()
    assert view.status.text() == f"paused after epoch {paused_at}"
    np.testing.assert_array_equal(original(view.plots.loss_curve)[1], lab.training.losses)

    with qtbot.waitSignal(view.runner.resumed, timeout=5000):
        qtbot.mouseClick(view.pause_button, LEFT)
    qtbot.waitUntil(lambda: len(lab.training.losses) > paused_at)
    with qtbot.waitSignal(view.runner.finished, timeout=5000) as done:
        qtbot.mouseClick(view.stop_button, LEFT)
    assert done.args == ["cancelled"]
    stopped_at = len(lab.training.losses)
    qtbot.wait(100)
    assert len(lab.training.losses) == stopped_at < 1000
    assert view.status.text() == f"stopped after epoch {stopped_at}"
    assert view.start_button.isEnabled() and not view.stop_button.isEnabled()
    np.testing.assert_array_equal(original(view.plots.loss_curve)[1], lab.training.losses)


def test_the_event_loop_keeps_serving_while_training(qtbot, view, lab):
    # Enough epochs for a run that lasts many ticks of a 10 ms timer.
    set_up(qtbot, view, "delay/echo", 300)
    seen: list[int] = []  # epochs recorded, as each tick of the timer finds them
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: seen.append(len(lab.training.losses) if lab.training else 0))
    timer.start()
    train_to_end(qtbot, view)
    timer.stop()
    # Not a timing: were the run on the GUI thread, no tick could come between two epochs,
    # and every tick would find either no epoch or all 300.
    during = {n for n in seen if 0 < n < 300}
    assert len(during) >= 3, f"ticks found the run at epochs {sorted(set(seen))}"


def test_the_trained_weights_are_used_for_stepping(qtbot, view, lab, session):
    set_up(qtbot, view, "delay/echo", 2)
    train_to_end(qtbot, view)
    trained = lab.training.params
    session.set_config(seed=5)  # the main window draws another network meanwhile
    assert session.params is not trained
    qtbot.mouseClick(view.adopt_button, LEFT)
    assert session.params is trained
    session.seek(10)
    np.testing.assert_allclose(session.trace.h, forward(trained, session.sequence[:10]).h)
    assert "now steps with the weights after epoch 2" in view.status.text()


def test_bad_settings_are_refused_next_to_the_field(qtbot, view, lab):
    set_up(qtbot, view, "delay/echo", 3)
    type_into(qtbot, view.form.lr_edit, "0")
    type_into(qtbot, view.form.lag_box, "20")
    view.form.clip_edit.setText("-1")
    qtbot.mouseClick(view.start_button, LEFT)
    assert view.form.errors["lr"].text() == "the learning rate must be positive"
    assert (
        view.form.errors["lag"].text() == "the lag must be at least 0 and shorter than the sequence"
    )
    assert view.form.errors["clip"].text() == "the clipping threshold must be a positive number"
    assert view.form.errors["lr"].isVisible() and not view.form.errors["text"].isVisible()
    assert lab.training is None and not view.runner.running

    type_into(qtbot, view.form.lr_edit, "abc")
    pick(qtbot, view.form.task_box, "text")
    view.form.text_edit.setPlainText("too short")
    qtbot.mouseClick(view.start_button, LEFT)
    assert view.form.errors["lr"].text() == "type a number, e.g. 0.01 or 1e-3"
    assert view.form.errors["text"].text() == "the text needs at least 22 characters"
    assert lab.training is None

    type_into(qtbot, view.form.lr_edit, "1e-2")
    view.form.clip_edit.setText("0.5")
    view.form.text_edit.setPlainText("abcabcabcabcabcabcabcabcabc")
    with qtbot.waitSignal(view.runner.finished, timeout=20_000):
        qtbot.mouseClick(view.start_button, LEFT)
    assert all(not label.text() for label in view.form.errors.values())
    assert lab.training is not None and len(lab.training.losses) == 3


def test_the_form_shows_the_fields_the_task_and_optimiser_use(qtbot, view):
    form = view.form
    pick(qtbot, form.task_box, "delay/echo")
    assert form.lag_box.isVisible() and not form.text_edit.isVisible()
    assert not form.momentum_box.isVisible() and not view.sampler.isVisible()
    type_into(qtbot, form.lag_box, "60")  # the sequence is 50 steps
    qtbot.mouseClick(view.start_button, LEFT)
    assert form.errors["lag"].isVisible()

    pick(qtbot, form.task_box, "text")
    assert form.text_edit.isVisible() and view.sampler.isVisible()
    assert not form.lag_box.isVisible() and not form.errors["lag"].isVisible()
    form.task_box.setCurrentText("delay/echo")  # the lag's problem comes back with the lag
    assert form.errors["lag"].isVisible()
    pick(qtbot, form.optimiser_box, "SGD (momentum)")
    assert form.momentum_box.isVisible()


def test_the_text_model_predicts_and_samples(qtbot, view, lab):
    set_up(qtbot, view, "text", 40)
    type_into(qtbot, view.form.length_box, "10")
    type_into(qtbot, view.form.lr_edit, "0.05")
    view.form.text_edit.setPlainText("abc" * 8)
    assert view.sampler.isVisible()
    train_to_end(qtbot, view)
    type_into(qtbot, view.sampler.prime_edit, "ab")

    probs = lab.predict_next_char("ab")
    top = sorted(probs.items(), key=lambda kv: kv[1], reverse=True)[:3]
    assert view.sampler.prediction.text() == "   ".join(f"{c!r} {p:.0%}" for c, p in top)
    assert top[0][0] == "c"
    n, temperature = view.sampler.sample_length_box.value(), view.sampler.temperature_box.value()
    qtbot.mouseClick(view.sampler.sample_button, LEFT)
    want = "ab" + lab.sample("ab", n, temperature, seed=view.form.seed_box.value())
    assert view.sampler.sample_view.toPlainText() == want

    type_into(qtbot, view.sampler.prime_edit, "abz")
    assert view.sampler.error.text() == "'z' not in the training text"


def test_the_training_tab_reaches_the_engine_only_through_the_session() -> None:
    parts = ("training", "training_form", "training_plots", "text_sampler", "form_widgets")
    for part in parts:
        path = Path(views_lab.__file__).parent / f"{part}.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m.startswith("rnnviz.engine")], path.name


def test_the_progress_line_shows_the_runs_updates_per_second(qtbot, view, lab):
    reports = []
    view.runner.yielded.connect(reports.append)
    set_up(qtbot, view, "delay/echo", 3)
    train_to_end(qtbot, view)

    assert [r.epoch for r in reports] == [1, 2, 3]
    rate = sum(r.updates for r in reports) / sum(r.seconds for r in reports)
    assert view.progress.text() == f"epoch 3 / 3, {rate:.0f} updates/s"
    assert lab.updates_per_second == pytest.approx(rate)
    view.runner.yielded.disconnect(reports.append)


SYMBOLS = "━╸┈█●"  # what the legends draw their curves with


def test_a_wrapped_legend_keeps_each_symbol_beside_its_label(qtbot, view: TrainingView) -> None:
    """In the lab beside the controls at 1024×768 the legends wrap: "gradient norm per
    epoch ━━ / before clipping ╸╸╸ / after ┈┈┈ / threshold θ" paired every symbol with the
    wrong words."""
    view.resize(700, 700)  # the plots get ~300 px, as in the window at 1024×768
    settle()
    for legend in (view.plots.loss_legend, view.plots.norm_legend):
        lines = shown_lines(legend)
        assert len(lines) > 1, lines  # it does wrap here
        for line in lines:
            assert line.rstrip().rstrip("\u00a0")[-1] not in SYMBOLS, lines
