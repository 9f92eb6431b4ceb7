"""The controls panel: every control sets the session's config, and mirrors it back."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QWheelEvent
from PyQt6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QWidget,
)

from rnnviz.engine import INITS
from rnnviz.engine.init import INIT_HELP
from rnnviz.io import limits
from rnnviz.session import Change, Session
from rnnviz.views.look.math_text import math_html
from rnnviz.views.panels.controls import ControlsPanel

LEFT = Qt.MouseButton.LeftButton

# The offscreen platform says it cannot do what a desktop would (window size hints, popup
# raising and keyboard grabs); those notices are not failures of the panel.
pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


@pytest.fixture
def session() -> Session:
    return Session()


@pytest.fixture
def panel(qtbot, session: Session) -> ControlsPanel:
    w = ControlsPanel(session)
    qtbot.addWidget(w)
    w.resize(420, 900)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def changes(session: Session) -> list[int]:
    """One entry per change of the session's settings."""
    seen: list[int] = []
    session.changed.connect(lambda changes: seen.extend([1] if changes & Change.CONFIG else []))
    return seen


def pick(qtbot, combo: QComboBox, text: str) -> None:
    """Choose an item the way a user does: open the list and click it."""
    index = combo.findText(text)
    assert index >= 0, text
    combo.showPopup()
    view = combo.view()
    rect = view.visualRect(view.model().index(index, 0))
    qtbot.mouseClick(view.viewport(), LEFT, pos=rect.center())


def type_into(qtbot, box: QAbstractSpinBox, text: str) -> None:
    """Replace a spin box's text and press Enter (the way a number is typed)."""
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def test_picking_lstm_builds_an_lstm_and_forces_tanh_in_one_change(qtbot, panel, session, changes):
    pick(qtbot, panel.activation_combo, "relu")
    assert session.params.activation == "relu"
    changes.clear()

    pick(qtbot, panel.cell_combo, "LSTM")

    assert session.params.cell == "lstm"
    assert session.config.activation == "tanh"
    assert changes == [1]  # cell and activation changed together
    assert panel.activation_combo.currentText() == "tanh"
    assert not panel.activation_combo.isEnabled()
    assert "always use tanh" in panel.activation_combo.toolTip()

    pick(qtbot, panel.cell_combo, "vanilla RNN")
    assert session.params.cell == "vanilla"
    assert panel.activation_combo.isEnabled()


def test_hidden_size_typed_once_builds_one_network(qtbot, panel, session, changes):
    type_into(qtbot, panel.hidden_spin, "128")
    assert session.params.W_hh.shape == (128, 128)
    assert changes == [1]  # not one network for 1, one for 12 and one for 128


def test_initialisation_picks_the_scheme_with_help_tooltips(qtbot, panel, session):
    for i, name in enumerate(INITS):
        tip = panel.init_combo.itemData(i, Qt.ItemDataRole.ToolTipRole)
        assert tip == math_html(INIT_HELP[name])
    pick(qtbot, panel.init_combo, "identity")
    assert session.config.init == "identity"
    np.testing.assert_allclose(session.params.W_hh, 0.9 * np.eye(8), atol=1e-12)
    assert math_html(INIT_HELP["identity"]) in panel.init_combo.toolTip()


def test_moving_the_rho_slider_rescales_w_hh_live(panel, session, changes):
    for value in (1.37, 0.42, 2.0):
        panel.rho_slider.setValue(value)  # what a drag does at each position
        assert session.spectra.rho == pytest.approx(value, abs=1e-9)
        assert panel.rho_spin.value() == pytest.approx(value)
        assert f"ρ(W<sub>hh</sub>) = {value:.3f}" in panel.spectra_label.text()
    assert len(changes) == 3


def test_dragging_the_rho_slider_with_the_mouse(qtbot, panel, session):
    slider = panel.rho_slider
    y = slider.height() // 2
    handle_x = round(slider.width() * session.config.spectral_radius / 2.0)
    qtbot.mousePress(slider, LEFT, pos=QPoint(handle_x, y))
    for x in range(handle_x, slider.width(), 10):
        qtbot.mouseMove(slider, QPoint(x, y))
    qtbot.mouseRelease(slider, LEFT, pos=QPoint(slider.width() - 1, y))

    assert session.config.spectral_radius > 1.5
    assert session.spectra.rho == pytest.approx(session.config.spectral_radius, abs=1e-9)
    assert session.spectra.rho == pytest.approx(round(slider.value(), 2), abs=1e-9)


def test_typing_an_exact_rho(qtbot, panel, session):
    type_into(qtbot, panel.rho_spin, "0.975")
    assert session.spectra.rho == pytest.approx(0.975, abs=1e-9)
    assert panel.rho_slider.value() == pytest.approx(0.975)


def test_seed_draws_another_network(qtbot, panel, session):
    before = session.params.W_hh.copy()
    type_into(qtbot, panel.seed_spin, "7")
    assert session.config.seed == 7
    assert not np.allclose(session.params.W_hh, before)


def test_sequence_length_resizes_the_preset(qtbot, panel, session):
    type_into(qtbot, panel.length_spin, "50")
    assert session.config.sequence_length == 50
    assert session.sequence.shape == (50, 1)


def test_training_signal_settings(qtbot, panel, session):
    pick(qtbot, panel.loss_at_combo, "last step only")
    assert session.config.loss_at == "last"

    type_into(qtbot, panel.lag_spin, "2")
    assert session.config.target_lag == 2
    session.feed_text("1 2 3 4")
    np.testing.assert_array_equal(session.targets[:, 0], [0, 0, 1, 2])  # x_{t−2}
    type_into(qtbot, panel.lag_spin, "0")
    assert panel.lag_spin.text() == "0 (echo)"
    np.testing.assert_array_equal(session.targets[:, 0], [1, 2, 3, 4])


def test_backward_pass_settings_switch_off_at_zero(qtbot, panel, session):
    assert panel.truncate_spin.text() == "off"
    assert panel.clip_spin.text() == "off"
    type_into(qtbot, panel.truncate_spin, "5")
    type_into(qtbot, panel.clip_spin, "2.5")
    assert session.config.truncate == 5
    assert session.config.clip == 2.5

    type_into(qtbot, panel.truncate_spin, "0")
    type_into(qtbot, panel.clip_spin, "0")
    assert session.config.truncate is None
    assert session.config.clip is None
    assert panel.truncate_spin.text() == "off"


def test_text_encoding_loads_text_and_scalar_goes_back_to_numbers(qtbot, panel, session):
    pick(qtbot, panel.encoding_combo, "text")
    assert session.config.encoding == "text"
    assert session.vocab == " dehlorw"
    assert not panel.length_spin.isEnabled()
    assert session.step_forward()

    pick(qtbot, panel.encoding_combo, "scalar")
    assert session.config.encoding == "scalar"
    assert session.config.input_size == 1
    assert session.sequence.shape == (session.config.sequence_length, 1)
    assert panel.length_spin.isEnabled()
    assert session.step_forward()
    assert session.trace.x.shape == (session.t, 1)


def test_vector_encoding_sets_the_width(qtbot, panel, session):
    assert not panel.width_spin.isEnabled()
    pick(qtbot, panel.encoding_combo, "vector")
    assert panel.width_spin.isEnabled()
    type_into(qtbot, panel.width_spin, "3")
    assert session.config.encoding == "vector"
    assert session.params.input_size == 3


def test_vector_encoding_can_be_fed(qtbot, panel, session):
    pick(qtbot, panel.encoding_combo, "vector")
    type_into(qtbot, panel.width_spin, "3")
    assert session.sequence.shape[1] == 3
    session.feed_text("0.5, 1, 0")
    assert session.t == 1
    np.testing.assert_array_equal(session.trace.x, [[0.5, 1.0, 0.0]])


def test_changes_made_elsewhere_show_without_echo(panel, session, changes):
    session.set_config(hidden_size=12)
    assert changes == [1]
    assert panel.hidden_spin.value() == 12

    session.set_config(cell="gru", spectral_radius=1.25, truncate=4, clip=1.5, target_lag=3)
    assert changes == [1, 1]
    assert panel.cell_combo.currentText() == "GRU"
    assert not panel.activation_combo.isEnabled()
    assert panel.rho_slider.value() == pytest.approx(1.25)
    assert panel.rho_spin.value() == pytest.approx(1.25)
    assert panel.truncate_spin.value() == 4
    assert panel.clip_spin.value() == pytest.approx(1.5)
    assert panel.lag_spin.value() == 3

    session.load_preset("hello world")
    assert panel.encoding_combo.currentText() == "text"
    assert session.config.hidden_size == 12  # nothing was sent back


def test_a_rho_beyond_the_slider_stays_what_was_set(panel, session, changes):
    session.set_config(spectral_radius=3.0)
    assert panel.rho_slider.value() == pytest.approx(2.0)  # the slider stops at 2
    assert panel.rho_spin.value() == pytest.approx(3.0)
    assert session.spectra.rho == pytest.approx(3.0)  # the pegged slider did not send 2
    assert changes == [1]


def test_a_rejected_setting_shows_the_reason_and_restores_the_control(
    qtbot, panel, session, monkeypatch
):
    real_set_config = session.set_config

    def set_config(**changes: object) -> None:
        if int(changes.get("hidden_size", 0)) > 100:  # type: ignore[call-overload]
            raise ValueError("at most 100 units fit on the projector")
        real_set_config(**changes)

    monkeypatch.setattr(session, "set_config", set_config)
    W_hh = session.params.W_hh.copy()

    type_into(qtbot, panel.hidden_spin, "150")

    assert panel.errors["hidden_size"].isVisible()
    assert panel.errors["hidden_size"].text() == "at most 100 units fit on the projector"
    assert panel.hidden_spin.value() == 8  # back to the session's value
    assert session.config.hidden_size == 8
    np.testing.assert_array_equal(session.params.W_hh, W_hh)
    assert not any(label.isVisible() for key, label in panel.errors.items() if key != "hidden_size")

    type_into(qtbot, panel.hidden_spin, "20")
    assert not panel.errors["hidden_size"].isVisible()
    assert session.config.hidden_size == 20


def test_every_control_explains_itself(panel):
    controls = [*panel.findChildren((QAbstractSpinBox, QComboBox)), panel.rho_slider]
    assert len(controls) >= 14
    for control in controls:
        assert len(control.toolTip()) > 15, type(control).__name__


def test_grouped_and_readable_from_the_back_of_the_room(panel):
    titles = [g.title() for g in panel.findChildren(QGroupBox)]
    assert titles == ["Network", "Input", "Training signal", "Backward pass"]
    for group in panel.findChildren(QGroupBox):
        assert group.font().pointSize() >= 14
    for widget in panel.findChildren((QLabel, QAbstractSpinBox, QComboBox)):
        assert widget.font().pointSize() >= 12, type(widget).__name__


def test_wheel_over_an_unfocused_box_scrolls_instead_of_changing_it(panel, session):
    panel.resize(420, 300)  # short enough to scroll
    QApplication.processEvents()
    bar = panel.scroll.verticalScrollBar()
    assert bar.maximum() > 0
    box = panel.hidden_spin
    centre = QPointF(box.rect().center())
    wheel = QWheelEvent(
        centre,
        QPointF(box.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, -120),  # one notch down
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(box, wheel)
    assert session.config.hidden_size == 8
    assert bar.value() > 0


def test_escape_gives_the_keyboard_back_to_the_window(qtbot, session):
    window = QWidget()
    qtbot.addWidget(window)
    panel = ControlsPanel(session, window)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    panel.hidden_spin.setFocus()
    assert panel.hidden_spin.hasFocus()
    qtbot.keyClick(panel.hidden_spin, Qt.Key.Key_Escape)
    assert not panel.hidden_spin.hasFocus()
    assert session.config.hidden_size == 8


def test_gate_bias_opens_the_gates_of_gated_cells(qtbot) -> None:
    from rnnviz.session import Session, SessionConfig
    from rnnviz.views.panels.controls import ControlsPanel

    session = Session(SessionConfig(cell="lstm", hidden_size=4))
    panel = ControlsPanel(session)
    qtbot.addWidget(panel)
    before = session.params.b_hh.copy()  # with the default gate bias, +3
    panel.gate_bias_spin.setValue(2.0)
    assert session.config.gate_bias == 2.0
    # The forget gate's block (rows H..2H of the LSTM's b_hh) moved by exactly the change.
    np.testing.assert_allclose(session.params.b_hh[4:8] - before[4:8], -1.0)
    session.set_config(cell="vanilla")
    assert not panel.gate_bias_spin.isEnabled()


def test_the_boxes_show_what_the_session_holds_up_to_the_documented_limits(
    qtbot, panel: ControlsPanel, session: Session
) -> None:
    session.set_config(hidden_size=600, target_lag=7000, seed=limits.MAX_SEED, truncate=9000)
    assert panel.hidden_spin.value() == 600  # not 256
    assert panel.lag_spin.value() == 7000  # not 5000
    assert panel.seed_spin.value() == limits.MAX_SEED
    assert panel.truncate_spin.value() == 9000
    panel.lag_spin.setFocus()
    qtbot.keyClick(panel.lag_spin, Qt.Key.Key_Up)  # a nudge moves from the held value
    assert session.config.target_lag == 7001
    for box, limit in (
        (panel.hidden_spin, limits.MAX_HIDDEN),
        (panel.length_spin, limits.MAX_STEPS),
        (panel.lag_spin, limits.MAX_STEPS),
        (panel.truncate_spin, limits.MAX_STEPS),
        (panel.width_spin, limits.MAX_INPUT),
        (panel.seed_spin, limits.MAX_SEED),
    ):
        assert box.maximum() == limit
