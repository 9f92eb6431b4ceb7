"""Every setting of the session, as a grouped form; each control calls ``session.set_config``.

The panel is a passive mirror of ``session.config``: on ``config_changed`` it sets every widget
with its signals blocked, so nothing echoes back. A setting the session rejects shows the
session's message under its control, and the control returns to the session's value.
"""

from __future__ import annotations

from functools import partial

from PyQt6.QtCore import QEvent, QObject, QSize, Qt
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rnnviz.io import limits
from rnnviz.session import Change, Session
from rnnviz.session.choices import ACTIVATIONS, INIT_HELP, INITS
from rnnviz.views.binding import listen
from rnnviz.views.look import sizes, widget_style
from rnnviz.views.look.blocking import signals_blocked
from rnnviz.views.look.float_slider import FloatSlider
from rnnviz.views.look.focus_text import focus_name
from rnnviz.views.look.math_text import math_html, set_math_text
from rnnviz.views.look.plain_text import plain_label
from rnnviz.views.verbs import Verbs

CELL_NAMES: dict[str, str] = {"vanilla": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
ENCODING_NAMES: dict[str, str] = {"scalar": "scalar", "vector": "vector", "text": "text"}
LOSS_AT_NAMES: dict[str, str] = {"all": "every step", "last": "last step only"}
RHO_MAX_SLIDER = 2.0
RHO_STEP = 0.01  # the slider snaps to hundredths (the spin box takes any value)
SIDE_WIDTH = 330  # px the side panels ask for: a dock takes its panel's width hint

_TIPS_AS_TYPED: dict[str, str] = {
    "cell": "The recurrent cell. Vanilla: h_t = f(W_ih x_t + W_hh h_{t−1} + b). "
    "LSTM and GRU add gates that decide what to keep. With the memory gate open (gate bias "
    "+3, the default) their gradients fade much more slowly back in time; with it half shut "
    "(gate bias 0) they fade faster than vanilla's. The Lab's Compare shows both.",
    "activation": "The nonlinearity f of the vanilla cell. Its slope f′ multiplies the gradient "
    "at every step back in time.",
    "activation_gated": "LSTM and GRU always use tanh (with sigmoid gates).",
    "hidden_size": "How many numbers the hidden state h_t holds (its memory width).",
    "num_layers": "Stacked layers: layer k reads the h_t of layer k − 1 (layer 1 reads x_t), "
    "and the output reads the top layer. The gradient then flows back through time and "
    "down through the layers.",
    "bidirectional": "Every layer also runs a second cell backward, from the last step to "
    "the first, and outputs [h_t forward; h_t backward]. After t steps the backward "
    "direction has run over steps t … 1: each new step recomputes it.",
    "focus": "Which layer and direction the heatmaps, the gradient plot and the equations "
    "show (↑ / ↓ move up and down a layer, D switches direction).",
    "encoding": "What one input x_t is: one number, a vector of numbers, "
    "or a character (one-hot over the text's vocabulary).",
    "width": "How many numbers each input vector x_t has.",
    "sequence_length": "How many steps the input sequence has. Setting it loads the preset "
    "at that length (and sizes the drawing pad).",
    "sequence_length_text": "For text, the sequence is as long as the text.",
    "init": "How the weights are drawn at the start.",
    "spectral_radius": "ρ, the largest |eigenvalue| of W_hh. The recurrent weights are rescaled "
    "to it: ρ < 1 makes gradients fade back in time, ρ > 1 can make them explode.",
    "seed": "The random seed: the same seed draws the same network.",
    "gate_bias": "LSTM and GRU: added to the bias of the gate that keeps the memory, the "
    "LSTM's forget gate f or the GRU's update gate z (h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}). "
    "At +3 (the default) the gate starts about 0.95 open, so each step keeps most of the state "
    "and the gradient is carried back across many steps (Gers et al., 2000; Jozefowicz et "
    "al., 2015). At 0, PyTorch's default, the gate is about half open and the gradient "
    "fades faster than a vanilla cell's.",
    "gate_bias_chrono": "The chrono initialisation sets the memory gate's bias itself: "
    "log u per unit, u ~ U(1, T_max − 1), T_max the sequence length (Tallec & Ollivier, 2018).",
    "loss_at": "Where the loss is measured: at every step, or only at the last one "
    "(then the gradient must travel all the way back).",
    "target_lag": "What y_t should reproduce: x_{t−k}. k = 0 echoes the input; "
    "k > 0 asks the network to remember k steps.",
    "truncate": "Truncated BPTT: stop the gradient after k steps back in time (off = full).",
    "clip": "Gradient clipping: if the total gradient norm exceeds θ, scale it down to θ "
    "(off = no clipping).",
}
# Tooltips are rich text: their subscripts and superscripts set as such (W_hh → W<sub>hh</sub>).
TIPS: dict[str, str] = {key: math_html(tip) for key, tip in _TIPS_AS_TYPED.items()}


def titled_group(title: str, content: QWidget) -> QGroupBox:
    """A box with a large title; the content carries the label font so only the title is big."""
    group = QGroupBox(title)
    widget_style.set_font(group, sizes.TITLE_PT, bold=True)
    widget_style.set_font(content)
    layout = QVBoxLayout(group)
    layout.setContentsMargins(8, 4, 8, 8)
    layout.addWidget(content)
    return group


def colored_label(color: str, bold: bool = False) -> QLabel:
    """A label at the label size in the theme's colour named ``color`` ("MUTED", "ALERT" …).

    The font is set first and explicitly: the colour's style sheet would otherwise reset the
    label's font to the application default (9 pt), too small for a lecture hall.
    """
    label = plain_label(QLabel())  # messages quote what the user typed or a file held
    widget_style.set_font(label, sizes.LABEL_PT, bold=bold)
    widget_style.set_text_color(label, color)
    label.setWordWrap(True)
    return label


def _spin(low: int, high: int, special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSpecialValueText(special)  # shown instead of the minimum ("off")
    # Commit on Enter/focus-out, not per keystroke (typing 128 must not build 1, 12, 128).
    box.setKeyboardTracking(False)
    return box


def _combo(items: dict[str, str]) -> QComboBox:
    box = QComboBox()
    for value, text in items.items():
        box.addItem(text, value)
    return box


class _InputGuard(QObject):
    """Keeps the panel's boxes from taking over the wheel and the keyboard.

    The wheel over an unfocused box scrolls the panel instead of changing a setting, and
    Escape hands the keyboard back to the window (whose → ← Space Home step the network).
    """

    def __init__(self, scroll: QScrollArea) -> None:
        super().__init__(scroll)
        self._scroll = scroll

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if not isinstance(obj, QWidget) or event is None:
            return False
        if event.type() == QEvent.Type.Wheel and not obj.hasFocus():
            QApplication.sendEvent(self._scroll.viewport(), event)
            return True
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Escape
        ):
            obj.clearFocus()
            obj.window().setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        return False


class ControlsPanel(QWidget):
    """Network, input, training-signal and backward-pass settings, mirrored from the session.

    ``errors[key]`` is the message label under the control for ``key`` (a config field name,
    "encoding" for the encoding and its width).
    """

    def __init__(
        self, session: Session, parent: QWidget | None = None, *, verbs: Verbs | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        # The window's (shared with the other panels); a panel on its own computes alone.
        self.verbs = verbs if verbs is not None else Verbs(session, self)
        widget_style.set_font(self)
        self.errors: dict[str, QLabel] = {}

        self.cell_combo = _combo(CELL_NAMES)
        self.activation_combo = _combo({a: a for a in ACTIVATIONS})
        # Every box takes the documented maximum (rnnviz.io.limits): a box never shows a
        # clamped value while the session holds another.
        self.hidden_spin = _spin(1, limits.MAX_HIDDEN)
        self.layers_spin = _spin(1, limits.MAX_LAYERS)
        self.bidirectional_check = QCheckBox("Bidirectional")
        self.focus_combo = QComboBox()
        self.init_combo = _combo({name: name for name in INITS})
        for i, name in enumerate(INITS):
            self.init_combo.setItemData(i, math_html(INIT_HELP[name]), Qt.ItemDataRole.ToolTipRole)
        self.rho_slider = FloatSlider(Qt.Orientation.Horizontal)
        self.rho_slider.setRange(0.0, RHO_MAX_SLIDER)
        self.rho_slider.setSingleStep(RHO_STEP)
        self.rho_slider.setPageStep(0.1)
        self.rho_slider.setMinimumHeight(32)  # a big target to drag in front of a class
        # Dragging must not take the keyboard: → ← step the network, not ρ.
        self.rho_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.rho_spin = QDoubleSpinBox()
        self.rho_spin.setRange(0.0, 10.0)
        self.rho_spin.setDecimals(3)
        self.rho_spin.setSingleStep(RHO_STEP)
        self.rho_spin.setKeyboardTracking(False)
        self.rho_spin.setPrefix("ρ = ")
        self.spectra_label = colored_label("MUTED")
        self.seed_spin = _spin(0, limits.MAX_SEED)
        self.gate_bias_spin = QDoubleSpinBox()
        self.gate_bias_spin.setRange(-10.0, 10.0)
        self.gate_bias_spin.setDecimals(1)
        self.gate_bias_spin.setSingleStep(0.5)
        self.gate_bias_spin.setKeyboardTracking(False)

        self.encoding_combo = _combo(ENCODING_NAMES)
        self.width_spin = _spin(2, limits.MAX_INPUT)
        self.width_spin.setPrefix("width ")
        self.length_spin = _spin(1, limits.MAX_STEPS)

        self.loss_at_combo = _combo(LOSS_AT_NAMES)
        self.lag_spin = _spin(0, limits.MAX_STEPS, special="0 (echo)")

        self.truncate_spin = _spin(0, limits.MAX_STEPS, special="off")
        self.truncate_spin.setSuffix(" steps")
        self.clip_spin = QDoubleSpinBox()
        self.clip_spin.setRange(0.0, limits.MAX_CLIP)
        self.clip_spin.setDecimals(2)
        self.clip_spin.setSingleStep(0.5)
        self.clip_spin.setSpecialValueText("off")
        self.clip_spin.setKeyboardTracking(False)
        self.clip_spin.setPrefix("θ = ")

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(titled_group("Network", self._network_form()))
        layout.addWidget(titled_group("Input", self._input_form()))
        layout.addWidget(titled_group("Training signal", self._training_form()))
        layout.addWidget(titled_group("Backward pass", self._backward_form()))
        layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidget(content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)

        # Never narrower than the form: the scroll area only scrolls vertically.
        self.setMinimumWidth(
            content.minimumSizeHint().width() + self.scroll.verticalScrollBar().sizeHint().width()
        )
        guard = _InputGuard(self.scroll)
        for box in content.findChildren((QAbstractSpinBox, QComboBox)):
            box.installEventFilter(guard)

        self._connect()
        listen(session.changed, self._on_session_changed)
        self.verbs.cancelled.connect(self._on_config_changed)  # the picked value goes back
        self._on_config_changed()

    def sizeHint(self) -> QSize:
        """No wider than the side column needs: the network's panels keep the room."""
        return QSize(max(self.minimumWidth(), SIDE_WIDTH), super().sizeHint().height())

    # ---- layout --------------------------------------------------------------------
    def _row(
        self, form: QFormLayout, key: str, label: str, *widgets: QWidget, stacked: bool = False
    ) -> None:
        """A form row: the control(s) (side by side, or ``stacked``) with the message label
        under them, and a tooltip on the label and on every control."""
        field = QWidget()
        column = QVBoxLayout(field)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        line = QVBoxLayout() if stacked else QHBoxLayout()
        for widget in widgets:
            widget.setToolTip(widget.toolTip() or TIPS[key])
            line.addWidget(widget)
        column.addLayout(line)
        error = colored_label("ALERT", bold=True)
        error.hide()
        column.addWidget(error)
        self.errors[key] = error
        name = QLabel(label)
        name.setToolTip(TIPS[key])
        form.addRow(name, field)

    @staticmethod
    def _form() -> tuple[QWidget, QFormLayout]:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # In a narrow side column a field goes under its label instead of beside it.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        return box, form

    def _network_form(self) -> QWidget:
        box, form = self._form()
        self._row(form, "cell", "Cell", self.cell_combo)
        self._row(form, "activation", "Activation", self.activation_combo)
        self._row(form, "hidden_size", "Hidden size", self.hidden_spin)
        self._row(form, "num_layers", "Layers", self.layers_spin, self.bidirectional_check)
        self.bidirectional_check.setToolTip(TIPS["bidirectional"])
        self._row(form, "focus", "Show", self.focus_combo)
        self._focus_label = form.labelForField(self.focus_combo.parentWidget())
        self._row(form, "init", "Initialisation", self.init_combo)
        self.rho_spin.setToolTip(TIPS["spectral_radius"] + " Type any value up to 10.")
        self.spectra_label.setToolTip(
            math_html(
                "What W_hh has now: its spectral radius ρ and its largest singular value "
                "σ_max (σ_max bounds how much one step can stretch a gradient)."
            )
        )
        self._row(
            form,
            "spectral_radius",
            "Spectral radius",
            self.rho_spin,
            self.rho_slider,
            widget_style.SteadyBox(self.spectra_label),  # a new ρ: no layout of the panel
            stacked=True,
        )
        self._row(form, "seed", "Seed", self.seed_spin)
        self._row(form, "gate_bias", "Gate bias", self.gate_bias_spin)
        return box

    def _input_form(self) -> QWidget:
        box, form = self._form()
        self.width_spin.setToolTip(TIPS["width"])
        self._row(form, "encoding", "Encoding", self.encoding_combo, self.width_spin)
        self._row(form, "sequence_length", "Sequence length", self.length_spin)
        return box

    def _training_form(self) -> QWidget:
        box, form = self._form()
        self._row(form, "loss_at", "Loss at", self.loss_at_combo)
        self._row(form, "target_lag", "Target lag k", self.lag_spin)
        return box

    def _backward_form(self) -> QWidget:
        box, form = self._form()
        self._row(form, "truncate", "Truncate after", self.truncate_spin)
        self._row(form, "clip", "Clip gradient at", self.clip_spin)
        return box

    # ---- user actions --------------------------------------------------------------
    def _connect(self) -> None:
        self.cell_combo.activated.connect(self._on_cell)
        self.activation_combo.activated.connect(
            lambda _: self._set("activation", activation=self.activation_combo.currentData())
        )
        self.hidden_spin.valueChanged.connect(lambda v: self._set("hidden_size", hidden_size=v))
        self.layers_spin.valueChanged.connect(lambda v: self._set("num_layers", num_layers=v))
        self.bidirectional_check.toggled.connect(
            lambda on: self._set("num_layers", bidirectional=on)
        )
        self.focus_combo.activated.connect(self._on_focus)
        self.init_combo.activated.connect(
            lambda _: self._set("init", init=self.init_combo.currentData())
        )
        # Rescaling W_hh is cheap, so ρ follows the slider live while it is dragged.
        self.rho_slider.valueChanged.connect(
            lambda v: self._set("spectral_radius", spectral_radius=round(v, 2))
        )
        self.rho_spin.valueChanged.connect(
            lambda v: self._set("spectral_radius", spectral_radius=v)
        )
        self.seed_spin.valueChanged.connect(lambda v: self._set("seed", seed=v))
        self.gate_bias_spin.valueChanged.connect(lambda v: self._set("gate_bias", gate_bias=v))
        self.encoding_combo.activated.connect(lambda _: self._on_encoding())
        self.width_spin.valueChanged.connect(lambda _: self._on_encoding())
        self.length_spin.valueChanged.connect(
            lambda v: self._set("sequence_length", sequence_length=v)
        )
        self.loss_at_combo.activated.connect(
            lambda _: self._set("loss_at", loss_at=self.loss_at_combo.currentData())
        )
        self.lag_spin.valueChanged.connect(lambda v: self._set("target_lag", target_lag=v))
        self.truncate_spin.valueChanged.connect(lambda v: self._set("truncate", truncate=v or None))
        self.clip_spin.valueChanged.connect(lambda v: self._set("clip", clip=v or None))

    def _on_cell(self, _index: int) -> None:
        cell = self.cell_combo.currentData()
        # Gated cells only exist with tanh: switch it in the same change, or it is rejected.
        extra = {"activation": "tanh"} if cell != "vanilla" else {}
        self._set("cell", cell=cell, **extra)

    def _on_focus(self, _index: int) -> None:
        layer, direction = self.focus_combo.currentData()
        self.session.set_focus(layer, direction)

    def _on_encoding(self) -> None:
        encoding = self.encoding_combo.currentData()
        changes: dict[str, object] = {"encoding": encoding}
        if encoding != "text":  # text: the input size is the vocabulary's, set by the session
            changes["input_size"] = 1 if encoding == "scalar" else self.width_spin.value()
        self._set("encoding", **changes)

    def _set(self, key: str, **changes: object) -> None:
        """Ask the session for ``changes``; if it rejects them, say why under the control
        and put every widget back to the session's values. An expensive change is computed
        in the worker: the control shows the new value, the rest the old state, until then."""
        names = ", ".join(f"{name} = {value}" for name, value in changes.items())
        try:
            self.verbs.call(
                "set_config", label=names, failed=partial(self._refused, key), **changes
            )
        except ValueError as error:
            self._refused(key, str(error))
            return
        self._show_error(key, "")

    def _refused(self, key: str, message: str) -> None:
        self._show_error(key, message)
        self._on_config_changed()

    def _show_error(self, key: str, message: str) -> None:
        self.errors[key].setText(message)
        self.errors[key].setVisible(bool(message))

    # ---- session -------------------------------------------------------------------
    def _on_session_changed(self, changes: Change) -> None:
        if changes & (Change.CONFIG | Change.SEQUENCE):  # the length is the sequence's
            self._on_config_changed()
        elif changes & Change.FOCUS:
            self._show_focus()

    def _show_focus(self) -> None:
        """The focus selector: every layer and direction, top first; only for a stack."""
        s, combo = self.session, self.focus_combo
        (L, D), focus = s.depth, s.focus
        choices = [(k, d) for k in range(L - 1, -1, -1) for d in range(D)]
        with signals_blocked(combo):
            if [combo.itemData(i) for i in range(combo.count())] != choices:
                combo.clear()
                for choice in choices:
                    combo.addItem(focus_name((L, D), choice), choice)
            combo.setCurrentIndex(choices.index(focus))
        shown = L * D > 1
        combo.parentWidget().setVisible(shown)
        if self._focus_label is not None:
            self._focus_label.setVisible(shown)

    def _on_config_changed(self) -> None:
        c = self.session.config
        s = self.session.spectra
        widgets = (
            self.cell_combo,
            self.activation_combo,
            self.hidden_spin,
            self.layers_spin,
            self.bidirectional_check,
            self.init_combo,
            self.rho_slider,
            self.rho_spin,
            self.seed_spin,
            self.gate_bias_spin,
            self.encoding_combo,
            self.width_spin,
            self.length_spin,
            self.loss_at_combo,
            self.lag_spin,
            self.truncate_spin,
            self.clip_spin,
        )
        with signals_blocked(*widgets):
            self.cell_combo.setCurrentIndex(self.cell_combo.findData(c.cell))
            self.activation_combo.setCurrentIndex(self.activation_combo.findData(c.activation))
            self.hidden_spin.setValue(c.hidden_size)
            self.layers_spin.setValue(c.num_layers)
            self.bidirectional_check.setChecked(c.bidirectional)
            self.init_combo.setCurrentIndex(self.init_combo.findData(c.init))
            self.rho_slider.setValue(min(c.spectral_radius, RHO_MAX_SLIDER))
            self.rho_spin.setValue(c.spectral_radius)
            self.seed_spin.setValue(c.seed)
            self.gate_bias_spin.setValue(c.gate_bias)
            self.encoding_combo.setCurrentIndex(self.encoding_combo.findData(c.encoding))
            if c.encoding == "vector":
                self.width_spin.setValue(c.input_size)
            self.length_spin.setValue(self.session.sequence.shape[0])
            self.loss_at_combo.setCurrentIndex(self.loss_at_combo.findData(c.loss_at))
            self.lag_spin.setValue(c.target_lag)
            self.truncate_spin.setValue(c.truncate or 0)
            self.clip_spin.setValue(c.clip or 0.0)
        gated = c.cell != "vanilla"
        chrono = c.init == "chrono"
        self.gate_bias_spin.setEnabled(gated and not chrono)
        self.gate_bias_spin.setToolTip(TIPS["gate_bias_chrono" if chrono else "gate_bias"])
        self.activation_combo.setEnabled(not gated)
        self.activation_combo.setToolTip(TIPS["activation_gated" if gated else "activation"])
        self.width_spin.setEnabled(c.encoding == "vector")
        text = c.encoding == "text"
        self.length_spin.setEnabled(not text)
        self.length_spin.setToolTip(TIPS["sequence_length_text" if text else "sequence_length"])
        self.init_combo.setToolTip(f"{TIPS['init']} Now: {math_html(INIT_HELP[c.init])}")
        spectra = f"now ρ(W_hh) = {s.rho:.3f},  σ_max = {s.sigma_max:.3f}"
        set_math_text(self.spectra_label, spectra)
        self._show_focus()
