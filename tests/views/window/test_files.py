"""File menu: save → open restores exactly what was on screen; recent files; the layout and
preferences are remembered; autosave and recovery after a crash; imported weights work like
built-in ones; and every bad file is named while the session stays exactly as it was."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QApplication, QInputDialog, QMessageBox

from rnnviz.engine.train import TrainConfig
from rnnviz.io.weights import save_weights
from rnnviz.session import Session, SessionConfig
from rnnviz.session.document import Document
from rnnviz.views import verbs
from rnnviz.views.window import settings
from rnnviz.views.window.autosave import Autosaver, autosave_folder, has_recovery
from rnnviz.views.window.main_window import MainWindow
from rnnviz.views.window.settings import recent_files

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def settings_dir(monkeypatch, tmp_path: Path) -> Path:
    """Settings, recent files and the autosave of this test only."""
    folder = tmp_path / "settings"
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(folder))
    return folder


def make_window(qtbot, session: Session | None = None) -> MainWindow:
    w = MainWindow(session or Session())
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def window(qtbot) -> MainWindow:
    return make_window(qtbot)


def train(window: MainWindow, epochs: int = 3) -> None:
    lab = window.lab
    for report in lab.training_steps(lab.make_task("delay", 10, 2), TrainConfig(epochs=epochs)):
        lab.record_epoch(report)


def state(window: MainWindow) -> dict[str, object]:
    """Everything a file operation must leave alone when it fails (copies of the arrays,
    and the objects themselves, which must not even be replaced)."""
    s = window.session
    return {
        "config": s.config,
        "params": s.params,
        "arrays": {k: a.copy() for k, a in s.params.arrays().items()},
        "sequence": s.sequence.copy(),
        "t": s.t,
        "selected": s.selected,
        "gradients": s.gradients,
        "training": window.lab.training,
        "title": window.windowTitle(),
    }


def assert_unchanged(window: MainWindow, before: dict[str, object]) -> None:
    after = state(window)
    for key in ("config", "t", "selected", "title"):
        assert after[key] == before[key], key
    for key in ("params", "gradients", "training"):
        assert after[key] is before[key], key
    np.testing.assert_array_equal(after["sequence"], before["sequence"])
    for name, array in before["arrays"].items():  # type: ignore[union-attr]
        np.testing.assert_array_equal(after["arrays"][name], array)  # type: ignore[index]


# ---- save and open ----------------------------------------------------------------------
def test_title_names_the_file_and_marks_changes(window: MainWindow, tmp_path: Path) -> None:
    assert window.windowTitle() == "rnnviz"
    window.session.seek(3)
    assert window.windowTitle() == "untitled* — rnnviz"
    assert window.files.save_session(tmp_path / "lecture")  # the suffix is added
    assert window.files.path == tmp_path / "lecture.rnnviz"
    assert window.windowTitle() == "lecture.rnnviz — rnnviz"
    window.session.step_forward()
    assert window.windowTitle() == "lecture.rnnviz* — rnnviz"
    window.session.step_back()  # back to what the file holds
    assert window.windowTitle() == "lecture.rnnviz — rnnviz"
    train(window, 1)
    assert window.files.modified


def test_save_then_open_restores_what_was_on_screen(qtbot, tmp_path: Path) -> None:
    config = SessionConfig(cell="gru", hidden_size=5, encoding="vector", input_size=2, seed=3)
    first = make_window(qtbot, Session(config))
    s = first.session
    s.set_sequence(np.linspace(-1, 1, 24).reshape(12, 2))  # (12, 2)
    s.seek(7)
    s.select(4)
    s.run_backward()
    train(first)
    first.act_unroll.trigger()  # key U: fold the graph
    first.lab_panel.show_tab("Training")
    first.show_lab(True)
    path = tmp_path / "gru.rnnviz"
    assert first.files.save_session(path)

    second = make_window(qtbot)
    assert second.files.open_session(path)
    a, b = first.session, second.session
    assert b.config == a.config
    for name, array in a.params.arrays().items():
        np.testing.assert_array_equal(getattr(b.params, name), array)
    np.testing.assert_array_equal(b.sequence, a.sequence)
    assert (b.t, b.selected) == (7, 4)
    np.testing.assert_array_equal(b.trace.h, a.trace.h)
    assert b.gradients is not None and a.gradients is not None
    np.testing.assert_array_equal(b.gradients.dL_dh, a.gradients.dL_dh)
    np.testing.assert_array_equal(second.gradient_heatmap.image_item.image, a.gradients.dL_dh)
    assert not second.graph.unrolled
    assert second.pages.currentWidget() is second.lab_panel
    assert second.lab_panel.tabs.tabText(second.lab_panel.tabs.currentIndex()) == "Training"
    ta, tb = first.lab.training, second.lab.training
    assert ta is not None and tb is not None
    assert tb.losses == ta.losses and tb.norm_before == ta.norm_before
    assert (tb.task.name, tb.task.lag, tb.task.length) == ("delay", 2, 10)
    np.testing.assert_array_equal(tb.params.W_hh, ta.params.W_hh)  # type: ignore[union-attr]
    assert second.windowTitle() == "gru.rnnviz — rnnviz"
    assert not second.files.modified


def test_open_through_the_file_dialog(qtbot, window: MainWindow, tmp_path: Path) -> None:
    saved = Session()
    saved.seek(9)
    path = tmp_path / "nine.rnnviz"
    Document(saved).save_as(path)

    def answer() -> None:
        dialog = window.files.dialog
        assert dialog is not None and dialog.isVisible()
        dialog.selectFile(str(path))
        dialog.accept()

    QTimer.singleShot(0, answer)
    window.files.act_open.trigger()
    assert window.session.t == 9
    assert window.files.path == path
    assert window.files.dialog is None


def test_save_as_through_the_file_dialog(qtbot, window: MainWindow, tmp_path: Path) -> None:
    window.session.seek(2)

    def answer() -> None:
        dialog = window.files.dialog
        assert dialog is not None
        dialog.selectFile(str(tmp_path / "two"))
        dialog.accept()

    QTimer.singleShot(0, answer)
    assert window.files.save()  # no file yet: asks for one
    assert (tmp_path / "two.rnnviz").is_file()
    assert window.windowTitle() == "two.rnnviz — rnnviz"


def test_new_session_starts_afresh(window: MainWindow, tmp_path: Path) -> None:
    window.session.set_config(hidden_size=3)
    window.session.seek(5)
    train(window, 1)
    window.files.save_session(tmp_path / "x.rnnviz")
    window.files.new_session()
    fresh = Session()
    assert window.session.config == fresh.config
    assert window.session.t == 0
    np.testing.assert_array_equal(window.session.params.W_hh, fresh.params.W_hh)
    assert window.lab.training is None
    assert window.files.path is None
    assert window.windowTitle() == "rnnviz"


def test_new_and_open_ask_before_discarding_changes(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    window.session.seek(5)

    def answer(button: QMessageBox.StandardButton) -> None:
        box = window.files.question_box
        assert box is not None and "Discard the unsaved changes" in box.text()
        box.button(button).click()

    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Cancel))
    window.files.act_new.trigger()
    assert window.session.t == 5  # kept
    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Cancel))
    assert not window.files.open_dialog()
    assert window.files.dialog is None  # no file dialog after Cancel
    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Discard))
    window.files.act_new.trigger()
    assert window.session.t == 0
    window.files.act_new.trigger()  # nothing to lose: no question (it would block here)
    assert window.files.question_box is None


# ---- recent files and preferences --------------------------------------------------------
def test_recent_files_newest_first_at_most_eight(window: MainWindow, tmp_path: Path) -> None:
    paths = [tmp_path / f"s{k}.rnnviz" for k in range(10)]
    for path in paths:
        assert window.files.save_session(path)
    assert recent_files() == [str(p) for p in reversed(paths)][:8]
    window.files.recent_menu.aboutToShow.emit()
    entries = window.files.recent_menu.actions()
    assert [e.text() for e in entries[:2]] == ["&1 s9.rnnviz", "&2 s8.rnnviz"]
    assert str(paths[9]) in entries[0].toolTip()  # shown as plain text (test_plain_text)
    window.files.open_session(paths[3])  # reopening moves it to the top
    assert recent_files()[0] == str(paths[3])
    entries = window.files.recent_menu.actions()
    entries[1].trigger()  # s9, from the menu
    assert window.files.path == paths[9]


def test_a_missing_recent_file_is_removed_with_a_message(
    window: MainWindow, tmp_path: Path
) -> None:
    window.session.seek(4)
    path = tmp_path / "gone.rnnviz"
    window.files.save_session(path)
    path.unlink()
    before = state(window)
    window.files.recent_menu.actions()[0].trigger()
    assert str(path) not in recent_files()
    assert window.files.last_error == f"{path}: no longer exists; removed from the list"
    assert window.files.error_box is not None and window.files.error_box.isVisible()
    assert_unchanged(window, before)


def test_layout_and_preferences_are_remembered(qtbot, settings_dir: Path) -> None:
    first = make_window(qtbot)
    default_height = first.height()
    # A height the small offscreen screen (800 × 800) holds; the window is wider than it.
    first.resize(first.width(), first.minimumHeight() + 20)
    height = first.height()
    assert height != default_height
    first.input_dock.hide()
    settings.set_preferred_theme("dark")
    settings.remember_folder("sessions", settings_dir.parent)
    first.close()  # the clean exit writes the layout
    second = make_window(qtbot)
    assert not second.input_dock.isVisibleTo(second)
    assert second.controls_dock.isVisibleTo(second)
    assert second.height() == height
    assert settings.preferred_theme() == "dark"
    assert settings.last_folder("sessions") == str(settings_dir.parent)
    assert (settings_dir / "rnnviz.ini").is_file()  # the test's settings, not the user's


def test_render_windows_leave_settings_alone(settings_dir: Path, qtbot) -> None:
    w = MainWindow(Session(), persistent=False)
    qtbot.addWidget(w)
    w.session.seek(3)
    assert not w.autosave.autosave() and w.autosave.path is None
    w.close()  # nothing asked: a picture holds no work
    assert not w.isVisible()
    assert not (settings_dir / "rnnviz.ini").exists()
    assert not settings_dir.exists() or not list(settings_dir.iterdir())


# ---- autosave and recovery ----------------------------------------------------------------
@pytest.fixture
def fast_autosave(monkeypatch) -> None:
    monkeypatch.setattr(Autosaver, "INTERVAL_MS", 50)


def test_autosave_only_when_modified(qtbot, fast_autosave, window: MainWindow) -> None:
    path = window.autosave.path
    assert path is not None and path.name.startswith("autosave-")
    qtbot.wait(150)
    assert not path.exists()  # nothing changed
    window.session.seek(6)
    qtbot.waitUntil(path.exists, timeout=2000)
    stamp = path.stat().st_mtime_ns
    qtbot.wait(150)
    assert path.stat().st_mtime_ns == stamp  # unchanged since: not written again
    discard_and_close(qtbot, window)
    assert not path.exists()
    assert not has_recovery()


def test_saving_removes_the_autosave(qtbot, fast_autosave, window: MainWindow, tmp_path) -> None:
    window.session.seek(6)
    path = window.autosave.path
    assert path is not None
    qtbot.waitUntil(path.exists, timeout=2000)
    window.files.save_session(tmp_path / "kept.rnnviz")
    assert not path.exists()


def discard_and_close(qtbot, window: MainWindow) -> None:
    window.close()  # unsaved work: it asks first
    box = window.quit_box
    assert box is not None and window.isVisible()
    box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible())


def test_closing_with_unsaved_work_asks_save_discard_or_cancel(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    window.session.seek(4)
    window.act_quit.trigger()  # Ctrl+Q
    box = window.quit_box
    assert box is not None and window.isVisible()
    assert box.text() == "Save the changes to this session before closing?"
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.isVisible() and window.session.t == 4 and window.quit_box is None
    target = tmp_path / "kept.rnnviz"
    monkeypatch.setattr(window.files, "save_as", lambda: window.files.save_session(target))
    window.close()
    assert window.quit_box is not None
    window.quit_box.button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not window.isVisible())
    back = Document()
    back.open(target)
    assert back.session.t == 4


def crash_after_autosave(qtbot, session: Session) -> Path:
    """A window that autosaves, then goes away without closing: its lock is let go, as
    when its process dies. Returns its autosave."""
    doomed = MainWindow(session)
    doomed.show()
    doomed.session.seek(8)
    doomed.session.select(5)
    path = doomed.autosave.path
    assert path is not None
    qtbot.waitUntil(path.exists, timeout=2000)
    doomed.autosave.timer.stop()
    doomed.autosave._lock.unlock()  # what the death of its process does
    doomed.autosave.destroyed.disconnect()  # a crash runs no clean-up at all
    doomed.hide()
    doomed.deleteLater()
    return path


def test_recovery_after_a_crash(qtbot, fast_autosave) -> None:
    config = SessionConfig(cell="lstm", hidden_size=6, seed=4)
    crashed = Session(config)
    left = crash_after_autosave(qtbot, crashed)
    assert has_recovery()

    window = make_window(qtbot)
    qtbot.waitUntil(lambda: window.autosave.recovery_box is not None)
    box = window.autosave.recovery_box
    assert box is not None and box.isVisible()
    assert "did not close properly" in box.text() and box.informativeText() == str(left)
    QTimer.singleShot(0, window.autosave.recover_button.click)  # the user clicks Recover
    qtbot.waitUntil(lambda: window.session.t == 8)
    s = window.session
    assert s.config == crashed.config
    for name, array in crashed.params.arrays().items():
        np.testing.assert_array_equal(getattr(s.params, name), array)
    np.testing.assert_array_equal(s.sequence, crashed.sequence)
    np.testing.assert_array_equal(s.trace.h, crashed.trace.h)
    assert s.selected == 5
    assert window.windowTitle() == "untitled* — rnnviz"  # recovered, not yet saved
    assert window.autosave.recovery_box is None
    own = window.autosave.path
    assert own is not None and own.exists() and not left.exists()  # the work moved over
    discard_and_close(qtbot, window)
    assert not has_recovery()


def test_recovering_a_long_session_replays_it_in_the_worker(
    qtbot, fast_autosave, monkeypatch
) -> None:
    crashed = Session(SessionConfig(hidden_size=6, seed=2))
    left = crash_after_autosave(qtbot, crashed)
    monkeypatch.setattr(verbs, "INLINE_WORK", 0)  # every replay counts as long
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: window.autosave.recovery_box is not None)
    assert not window.autosave.recover()  # not in yet: the worker replays it
    assert window.verbs.computing and window.session.t == 0
    qtbot.waitUntil(lambda: window.session.t == 8, timeout=10_000)
    np.testing.assert_array_equal(window.session.trace.h, crashed.trace.h)
    assert window.windowTitle() == "untitled* — rnnviz"
    own = window.autosave.path
    assert own is not None and own.exists() and not left.exists()
    discard_and_close(qtbot, window)


def test_a_running_windows_autosave_is_not_offered(qtbot, fast_autosave) -> None:
    first = make_window(qtbot)
    first.session.seek(3)
    assert first.autosave.path is not None
    qtbot.waitUntil(first.autosave.path.exists, timeout=2000)
    second = make_window(qtbot)
    qtbot.wait(100)
    assert second.autosave.recovery_box is None and not has_recovery()
    assert second.autosave.path != first.autosave.path


def test_closing_before_answering_keeps_the_autosave(qtbot, fast_autosave) -> None:
    crash_after_autosave(qtbot, Session())
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: window.autosave.recovery_box is not None)
    window.close()
    assert has_recovery()  # asked again at the next start


def test_discarding_the_recovery(qtbot, fast_autosave) -> None:
    crash_after_autosave(qtbot, Session())
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: window.autosave.recovery_box is not None)
    qtbot.mouseClick(window.autosave.discard_button, Qt.MouseButton.LeftButton)
    assert not has_recovery()
    assert window.session.t == 0
    assert window.windowTitle() == "rnnviz"


def test_an_unreadable_autosave_is_reported_and_dropped(qtbot, settings_dir: Path) -> None:
    settings_dir.mkdir(parents=True)
    bad = autosave_folder() / "autosave-1-1.rnnviz"
    bad.write_bytes(b"half a zip")
    window = make_window(qtbot)
    before = state(window)
    qtbot.waitUntil(lambda: window.autosave.recovery_box is not None)
    window.autosave.recover_button.click()
    assert window.autosave.last_error is not None
    assert window.autosave.last_error.startswith(str(bad))
    assert not has_recovery()
    assert_unchanged(window, before)


# ---- weights -----------------------------------------------------------------------------
def test_imported_weights_step_analyse_and_train(window: MainWindow, tmp_path: Path) -> None:
    params = Session(SessionConfig(hidden_size=5, seed=7, spectral_radius=1.3)).params
    path = tmp_path / "w.npz"
    save_weights(path, params)
    assert window.files.import_weights(path)
    s = window.session
    assert s.config.hidden_size == 5
    np.testing.assert_array_equal(s.params.W_hh, params.W_hh)
    assert "Imported w.npz" in window.message.text()
    for _ in range(4):
        window.step_forward()
    assert s.t == 4
    np.testing.assert_allclose(window.state_heatmap.image_item.image, s.trace.h)
    assert "h_4" in window.graph.labels()
    assert s.run_backward() is not None
    assert s.gradients is not None and s.gradients.dL_dh.shape == (4, 5)
    comparison = window.lab.compare()
    assert set(comparison.curves) == {"vanilla", "lstm", "gru"}
    assert comparison.curves["vanilla"].dL_dh_norm.shape == (comparison.steps,)
    lab = window.lab
    for report in lab.training_steps(lab.make_task("next-value"), TrainConfig(epochs=2)):
        lab.record_epoch(report)
    assert lab.training is not None and len(lab.training.losses) == 2
    assert lab.training.params is not None and lab.training.params.hidden_size == 5


def test_import_asks_a_vanilla_cell_for_its_activation(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "w.npz"
    save_weights(path, Session(SessionConfig(hidden_size=4)).params)

    def choose_file() -> None:
        dialog = window.files.dialog
        assert dialog is not None
        dialog.selectFile(str(path))
        QTimer.singleShot(0, choose_activation)
        dialog.accept()

    def choose_activation() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        dialog.setTextValue("relu")
        dialog.accept()

    QTimer.singleShot(0, choose_file)
    window.files.act_import.trigger()
    assert window.session.params.activation == "relu"
    assert window.session.config.activation == "relu"
    assert window.session.config.hidden_size == 4


# ---- bad files ---------------------------------------------------------------------------
def good_session_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("manifest.json", "{}")
    return buffer.getvalue()


def rewrite_manifest(path: Path, change) -> None:
    with zipfile.ZipFile(path) as z:
        items = {name: z.read(name) for name in z.namelist()}
    manifest = json.loads(items["manifest.json"])
    change(manifest)
    items["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in items.items():
            z.writestr(name, data)


def make_bad_session(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind}.rnnviz"
    s = Session()
    s.seek(3)
    Document(s).save_as(path)
    if kind == "corrupt":
        path.write_bytes(b"\x00garbage" * 50)
    elif kind == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif kind == "foreign":
        path.write_bytes(good_session_bytes())  # a zip, but someone else's
    elif kind == "too-new":
        rewrite_manifest(path, lambda m: m.update(version=99))
    elif kind == "bad-training":
        rewrite_manifest(path, lambda m: m.update(training={"task": {"name": "juggling"}}))
    elif kind == "misfit":
        rewrite_manifest(path, lambda m: m["config"].update(hidden_size=3))
    elif kind == "missing":
        path.unlink()
    elif kind == "folder":
        path.unlink()
        path.mkdir()
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("corrupt", "not a valid zip"),
        ("truncated", "truncated"),
        ("foreign", "not an rnnviz session"),
        ("too-new", "version 99 is newer"),
        ("bad-training", "unknown task 'juggling'"),
        ("misfit", "W_hh has shape"),
        ("missing", "no such file"),
        ("folder", "no such file"),
    ],
)
def test_a_bad_session_file_is_named_and_changes_nothing(
    window: MainWindow, tmp_path: Path, kind: str, message: str
) -> None:
    window.session.set_config(hidden_size=6)
    window.session.seek(5)
    window.session.run_backward()
    train(window, 1)
    before = state(window)
    path = make_bad_session(kind, tmp_path)
    assert not window.files.open_session(path)
    error = window.files.last_error
    assert error is not None and error.startswith(f"{path}: ") and message in error
    box = window.files.error_box
    assert box is not None and box.isVisible() and not box.isModal()
    assert box.text() == error
    assert_unchanged(window, before)
    assert str(path) not in recent_files()


def test_a_bad_scenario_leaves_the_session_unchanged(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "lesson.json"
    path.write_text('{"format": "rnnviz-scenario", "version": 7, "slides": []}')
    window.session.seek(4)
    before = state(window)
    with pytest.raises(ValueError, match="version 7 is newer"):
        window.lessons.open_lesson(path)
    assert_unchanged(window, before)


def make_bad_weights(kind: str, tmp_path: Path) -> Path:
    good = Session(SessionConfig(hidden_size=4)).params
    if kind == "corrupt":
        path = tmp_path / "w.npz"
        path.write_bytes(b"PK\x03\x04 broken")
    elif kind == "truncated":
        path = tmp_path / "w.safetensors"
        save_weights(path, good)
        path.write_bytes(path.read_bytes()[:40])
    elif kind == "foreign":
        path = tmp_path / "w.npz"
        np.savez(path, something=np.zeros(3))
    elif kind == "suffix":
        path = tmp_path / "w.txt"
        path.write_text("1 2 3")
    elif kind == "pickled":
        path = tmp_path / "w.npz"
        np.savez(path, **{"rnn.weight_hh_l0": np.array([object()], dtype=object)})
    else:
        path = tmp_path / "missing.npz"
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("corrupt", "truncated or corrupt .npz"),
        ("truncated", "truncated or corrupt .safetensors"),
        ("foreign", "missing key"),
        ("suffix", "unknown weight file type '.txt'"),
        ("pickled", "pickled Python objects"),
        ("missing", "no such file"),
    ],
)
def test_a_bad_weight_file_is_named_and_changes_nothing(
    window: MainWindow, tmp_path: Path, kind: str, message: str
) -> None:
    window.session.seek(6)
    before = state(window)
    path = make_bad_weights(kind, tmp_path)
    assert not window.files.import_weights(path)
    error = window.files.last_error
    assert error is not None and error.startswith(f"{path}: ") and message in error
    assert window.files.error_box is not None and window.files.error_box.text() == error
    assert_unchanged(window, before)


def test_an_unwritable_save_is_reported(window: MainWindow, tmp_path: Path) -> None:
    window.session.seek(2)
    before = state(window)
    path = tmp_path / "no" / "such" / "folder.rnnviz"
    assert not window.files.save_session(path)
    assert window.files.last_error is not None and window.files.last_error.startswith(str(path))
    assert_unchanged(window, before)
    assert window.files.path is None


def test_a_long_saved_backward_pass_is_redone_in_the_worker(qtbot, tmp_path, monkeypatch) -> None:
    """Opening a file saved after B redoes B; a long one in the worker, so Open returns at
    once and the window keeps answering, and the gradients shown are the saved ones."""
    first = make_window(qtbot, Session(SessionConfig(hidden_size=8, sequence_length=40)))
    first.session.seek(40)
    first.session.run_backward()
    path = tmp_path / "long.rnnviz"
    assert first.files.save_session(path)

    second = make_window(qtbot)
    monkeypatch.setattr(second.sweep, "INLINE_WORK", 0)  # every backward pass counts as long
    assert second.files.open_session(path)
    assert second.session.gradients is None  # not computed on the GUI thread
    assert second.sweep.runner.running
    qtbot.waitUntil(lambda: second.session.gradients is not None, timeout=10_000)
    want = first.session.gradients
    assert want is not None
    np.testing.assert_array_equal(second.session.gradients.dL_dh, want.dL_dh)
    assert not second.document.modified  # redoing what the file says changes nothing in it
