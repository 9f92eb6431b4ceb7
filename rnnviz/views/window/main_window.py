"""The main window: every panel on one session, the transport bar, menus, keys and docks."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

from PyQt6 import sip
from PyQt6.QtCore import QByteArray, QEvent, QPoint, QRect, QSize, Qt
from PyQt6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PyQt6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rnnviz import __version__
from rnnviz.session import Change, Session
from rnnviz.session.document import Document
from rnnviz.views.binding import listen
from rnnviz.views.graph.view import GraphView
from rnnviz.views.lab.panel import LabPanel
from rnnviz.views.look import theme
from rnnviz.views.look.appearance import appearance, colors
from rnnviz.views.look.plain_text import plain_label
from rnnviz.views.panels.controls import ControlsPanel
from rnnviz.views.panels.equations import EquationsPanel
from rnnviz.views.panels.input_panel import InputPanel
from rnnviz.views.plots.gradient_plot import GradientPlot
from rnnviz.views.plots.heatmaps import GradientHeatmap, StateHeatmap
from rnnviz.views.plots.sequence_plot import SequencePlot
from rnnviz.views.verbs import Verbs
from rnnviz.views.window.autosave import Autosaver
from rnnviz.views.window.export import Exporter
from rnnviz.views.window.files import FileController
from rnnviz.views.window.icons import icon, themed_icon
from rnnviz.views.window.keys import KeyRouter
from rnnviz.views.window.lessons import LessonsController
from rnnviz.views.window.look_ahead import LookAhead
from rnnviz.views.window.presentation import PresentationController
from rnnviz.views.window.settings import app_settings
from rnnviz.views.window.stage import (
    EQUATIONS,
    FOCUS_PANELS,
    GRADIENT_HEATMAP,
    GRADIENTS,
    GRAPH,
    SEQUENCE,
    STATE_HEATMAP,
    Stage,
)
from rnnviz.views.window.toolbar_hint import HINT_PADDING_PX, ToolbarHint
from rnnviz.views.window.transport import BackwardSweep, Player, TransportBar

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
DEFAULT_SIZE = QSize(1600, 1000)
FITTED_SHARE = 0.8  # of a large screen's room, for a window that opens fitted to it
BUSY_MESSAGE_MS = 120_000  # a message about work in progress stays until the work is done
KEYS: tuple[tuple[str, str], ...] = (
    ("→", "feed the next input (step forward)"),
    ("←", "go back one step"),
    ("Space", "play / pause"),
    ("Home", "reset to t = 0"),
    ("B", "run backpropagation through time and animate it"),
    ("U", "fold / unfold the graph"),
    ("L", "switch between the network and the gradient lab"),
    ("↑ / ↓", "a stack: show the layer above / below in the heatmaps and plots"),
    ("D", "a bidirectional stack: show the other direction"),
    ("H", "hide / show the side panels"),
    ("F11", "full screen"),
    ("F5", "presentation mode: full screen, large type, high contrast (Esc leaves it)"),
    ("Page Down / Up", "next / previous slide of a lesson (a presentation remote sends these)"),
    ("Enter", "in a field: commit it and give the keys back to the window"),
    (
        "Esc",
        "in a field: give the keys back to the window without committing; while a change "
        "is computing: cancel it (the window keeps what it shows)",
    ),
)


# The window's actions that show an icon, and its file (assets/icons/<name>.svg).
_ACTION_ICONS = {
    "act_step": "step_forward",
    "act_back": "step_back",
    "act_reset": "reset",
    "act_backward": "backward",
    "act_unroll": "unroll",
    "act_lab": "lab",
    "act_hide_controls": "hide_controls",
    "act_full_screen": "fullscreen",
}


@dataclass(frozen=True)
class _Chrome:
    """What presentation mode changes of the window, as it was: put back when it ends."""

    window_state: Qt.WindowState
    controls_hidden: bool
    docks_shown: tuple[bool, bool]  # input, controls
    menu_bar_shown: bool


class MainWindow(QMainWindow):
    """The graph on top with the selected step's equations beside it; under them the hidden
    state heatmap beside the gradient heatmap, then the sequence plot beside the gradient
    plot (forward pass on the left, backward pass on the right); input and controls docked on
    the right.

    Public for the app, the render command and tests: ``session``, the panels (``graph``,
    ``state_heatmap``, ``gradient_heatmap``, ``sequence_plot``, ``gradient_plot``,
    ``equations``, ``controls``, ``input_panel``), ``controls_dock`` and ``input_dock``,
    ``transport`` (TransportBar), ``message`` (the toolbar's hint label), ``player``
    (Player), ``sweep`` (BackwardSweep), and the actions ``act_step``, ``act_back``,
    ``act_play``, ``act_reset``, ``act_backward``, ``act_unroll``, ``act_full_screen``,
    ``act_hide_controls``, ``act_quit``, ``act_keys``, ``act_about``, ``act_lab``,
    ``act_layer_up``, ``act_layer_down``, ``act_direction`` (enabled for a stack); ``lab``
    (the Lab model), ``lab_panel`` and ``pages`` (the tabs: the network, the panels it has
    no room for while there are any, the gradient lab); ``stage`` (the network page, also
    ``splitter``: which panels it shows, by priority, at legible sizes);
    ``document`` (what a file holds) and ``state`` (its WindowState, which the window
    follows); the controllers ``files``, ``autosave``, ``exporter``, ``lessons`` and
    ``presentation``; ``keys`` (the KeyRouter).

    ``persistent=False`` (``rnnviz render``) neither reads nor writes the user's settings,
    layout or autosave.
    """

    def __init__(
        self,
        session: Session | None = None,
        parent: QWidget | None = None,
        *,
        document: Document | None = None,
        persistent: bool = True,
    ) -> None:
        super().__init__(parent)
        self.document = document if document is not None else Document(session)
        self.session = self.document.session
        self.lab = self.document.lab
        self.state = self.document.window
        self.persistent = persistent
        self.setWindowTitle("rnnviz")
        self.setWindowIcon(icon("unroll"))
        self.player = Player(self.session, self)
        self.look_ahead = LookAhead(self.session, self)
        self.sweep = BackwardSweep(self.session, self)
        self.verbs = Verbs(self.session, self)

        self.graph = GraphView(self.session)
        self.state_heatmap = StateHeatmap(self.session)
        self.gradient_heatmap = GradientHeatmap(self.session)
        self.sequence_plot = SequencePlot(self.session)
        self.gradient_plot = GradientPlot(self.session)
        self.equations = EquationsPanel(self.session)
        self.controls = ControlsPanel(self.session, verbs=self.verbs)
        self.input_panel = InputPanel(self.session, verbs=self.verbs)
        self.lab_panel = LabPanel(self.lab)

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self.transport = TransportBar(
            self.session,
            self.player,
            (self.act_reset, self.act_back, self.act_play, self.act_step),
        )
        self._build_busy()
        self._build_central()
        self._build_docks()
        self.player.playing_changed.connect(self._on_playing_changed)
        self.sweep.computing.connect(self._on_backward_computing)
        self.verbs.busy.connect(self._on_verb_computing)
        self.document.run_backward = _saved_backward_of(self)
        self.lab.put_weights = _put_weights_of(self)
        self.resize(self._default_size())
        self._chrome: _Chrome | None = None
        self.quit_box: QMessageBox | None = None  # "save before closing?" while shown
        self._discard_confirmed = False
        # The look is the application's: a window that changes it (a remembered theme,
        # presentation mode) puts back what it found when it closes.
        self._look_found = appearance.look()
        self._layout_restored = False
        self._build_controllers()
        self.keys = KeyRouter(self)
        self.lab_panel.tabs.currentChanged.connect(self.keys.watch_boxes)  # built when shown
        self._follow_state()
        listen(appearance.changed, self._restyle_chrome)
        self._restyle_chrome()
        if persistent:
            self._restore_layout()

    def _build_controllers(self) -> None:
        bar = self.menuBar()
        assert bar is not None
        doc, before = self.document, self.act_quit
        self.files = FileController(doc, self.file_menu, before, self.persistent, self)
        panels: dict[str, QWidget] = {
            "Graph": self.graph,
            "Equations": self.equations,
            "Hidden-state heatmap": self.state_heatmap,
            "Gradient heatmap": self.gradient_heatmap,
            "Sequence plot": self.sequence_plot,
            "Gradient plot": self.gradient_plot,
            "Gradient lab": self.lab_panel,
        }
        self.exporter = Exporter(doc, panels, self.file_menu, before, self)
        self.file_menu.insertSeparator(before)
        self.autosave = Autosaver(doc, self.persistent, self)
        self.files.saved.connect(self.autosave.saved)
        column = self.centralWidget().layout()  # type: ignore[union-attr]
        assert isinstance(column, QVBoxLayout), "the window's central widget is a column"
        self.lessons = LessonsController(doc, column, bar, self.help_menu.menuAction(), self)
        self.presentation = PresentationController(
            self.state, self.view_menu, self.persistent, self
        )
        # Beside Full screen, where a teacher looks for it.
        actions = self.toolbar.actions()
        after = actions.index(self.act_full_screen) + 1
        self.toolbar.insertAction(
            actions[after] if after < len(actions) else None, self.presentation.act_present
        )
        doc.changed.connect(self._update_title)

    # ---- following the window's state ------------------------------------------------
    def _follow_state(self) -> None:
        """The window shows what ``state`` says, now and after every change of it."""
        s, events = self.state, self.state.events
        if s.unrolled != self.graph.unrolled:  # else the graph drew itself so already
            self.graph.set_unrolled(s.unrolled, animate=False)
        self._on_page(s.page)
        self._on_lab_tab(s.lab_tab)
        self._on_controls_hidden(s.controls_hidden)
        self._on_focus(s.focus)
        events.unrolled.connect(self._on_unrolled)
        events.page.connect(self._on_page)
        events.lab_tab.connect(self._on_lab_tab)
        events.controls_hidden.connect(self._on_controls_hidden)
        events.presenting.connect(self._on_presenting)
        events.focus.connect(self._on_focus)
        self.lab_panel.tabs.currentChanged.connect(self._on_tab_changed)

    def _on_unrolled(self, unrolled: bool) -> None:
        self.graph.set_unrolled(unrolled, animate=True)

    def _on_page(self, page: str) -> None:
        self.pages.setCurrentWidget(self.lab_panel if page == "lab" else self.splitter)

    def _on_focus(self, focus: str) -> None:
        self.stage.set_focus(FOCUS_PANELS.get(focus))

    def _on_lab_tab(self, name: str) -> None:
        if name:
            self.lab_panel.show_tab(name)

    def _on_tab_changed(self, index: int) -> None:
        self.state.lab_tab = self.lab_panel.tabs.tabText(index)

    def _hide_controls(self, hidden: bool) -> None:
        self.state.controls_hidden = hidden

    def _on_controls_hidden(self, hidden: bool) -> None:
        self.act_hide_controls.setChecked(hidden)
        self.input_dock.setVisible(not hidden)
        self.controls_dock.setVisible(not hidden)

    def _on_presenting(self, on: bool) -> None:
        """Presentation mode: full screen, the side panels and the menu bar hidden (every
        menu entry's key still works: the window holds the actions); put back afterwards."""
        bar = self.menuBar()
        assert bar is not None
        if on and self._chrome is None:
            self._chrome = _Chrome(
                self.windowState(),
                self.state.controls_hidden,
                (not self.input_dock.isHidden(), not self.controls_dock.isHidden()),
                not bar.isHidden(),
            )
            self.state.controls_hidden = True
            for dock in (self.input_dock, self.controls_dock):
                dock.hide()  # also one the user showed again by itself
            bar.hide()  # its line of height goes to the panels
            self.setWindowState(self.windowState() | Qt.WindowState.WindowFullScreen)
        elif not on and self._chrome is not None:
            before, self._chrome = self._chrome, None
            self.setWindowState(before.window_state)
            bar.setVisible(before.menu_bar_shown)
            self.state.controls_hidden = before.controls_hidden
            docks = (self.input_dock, self.controls_dock)
            for dock, shown in zip(docks, before.docks_shown, strict=True):
                dock.setVisible(shown)

    def _update_title(self) -> None:
        doc = self.document
        if doc.path is None and not doc.modified:
            self.setWindowTitle("rnnviz")
            return
        name = doc.path.name if doc.path is not None else "untitled"
        self.setWindowTitle(f"{name}{'*' if doc.modified else ''} — rnnviz")

    def _restyle_chrome(self) -> None:
        """Icons in the theme's ink, the toolbar's hint in its colour, toolbar icons and dock
        titles at its scale (the panels restyle themselves)."""
        if sip.isdeleted(self):
            return  # a closed window that Python has let go of, while Qt deletes it
        palette, scale = colors(), appearance.scale
        for attr, name in _ACTION_ICONS.items():
            getattr(self, attr).setIcon(themed_icon(name, palette))
        self._on_playing_changed(self.player.playing)
        self.presentation.act_present.setIcon(themed_icon("present", palette))
        self._style_message()
        # Set again after a new palette even when the sheet is the same: Qt gives a widget
        # with a style sheet (and so every panel inside the dock) the palette of when the
        # sheet was set, not the new one.
        look = (palette, _dock_sheet(scale))
        if look != self._docks_look:
            for dock in (self.input_dock, self.controls_dock):
                dock.setStyleSheet(look[1])
            self._docks_look = look
        base = self._base_icon_size
        self.toolbar.setIconSize(QSize(round(base.width() * scale), round(base.height() * scale)))
        self.hint.fit_soon()  # the buttons and the hint's type take new sizes

    # ---- the window's own settings ---------------------------------------------------------
    def _restore_layout(self) -> None:
        settings = app_settings()
        geometry, state = settings.value(GEOMETRY_KEY), settings.value(STATE_KEY)
        if isinstance(geometry, QByteArray):
            self._layout_restored = self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent | None) -> None:
        """Unsaved work is never dropped without asking; then leave presentation mode, so
        that the layout remembered is the user's."""
        if event is not None and self._must_ask_before_closing():
            event.ignore()
            self._ask_before_closing()
            return
        self.state.presenting = False
        self.autosave.clean_exit()
        appearance.restore(self._look_found)
        if self.persistent:
            settings = app_settings()
            settings.setValue(GEOMETRY_KEY, self.saveGeometry())
            settings.setValue(STATE_KEY, self.saveState())
            settings.sync()
        super().closeEvent(event)

    def _must_ask_before_closing(self) -> bool:
        return self.persistent and self.document.modified and not self._discard_confirmed

    def _ask_before_closing(self) -> None:
        """Save, Discard or Cancel, asked without blocking (``quit_box`` while shown)."""
        if self.quit_box is not None:
            return
        doc = self.document
        name = doc.path.name if doc.path is not None else "this session"
        buttons = QMessageBox.StandardButton
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"Save the changes to {name} before closing?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # a file name is not markup
        box.setDefaultButton(buttons.Save)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(self._on_close_answer)
        self.quit_box = box
        box.open()

    def _on_close_answer(self, answer: int) -> None:
        self.quit_box = None
        buttons = QMessageBox.StandardButton
        if answer == buttons.Save.value and self.files.save():
            self.close()
        elif answer == buttons.Discard.value:
            self._discard_confirmed = True
            self.close()

    # ---- actions -------------------------------------------------------------------
    def add_action(
        self, text: str, key: str | QKeySequence.StandardKey, tip: str, icon: str | None = None
    ) -> QAction:
        """A window-wide action: its key works whatever panel has the focus, unless a field
        needs that very key (``keys`` decides)."""
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        shown = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({_key_name(shown)})")
        if icon is not None:
            action.setIcon(themed_icon(icon, colors()))
        self.addAction(action)  # active even when the menu bar is hidden
        return action

    def _build_actions(self) -> None:
        s = self.session
        self.act_step = self.add_action("Step", "Right", "Step forward", "step_forward")
        self.act_step.triggered.connect(self.step_forward)
        self.act_back = self.add_action("Back", "Left", "Step back", "step_back")
        self.act_back.triggered.connect(s.step_back)
        self.act_play = self.add_action("Play", "Space", "Play / pause", "play")
        self.act_play.triggered.connect(self.player.toggle)
        self.act_reset = self.add_action("Reset", "Home", "Reset to t = 0", "reset")
        self.act_reset.triggered.connect(self.reset)
        self.act_backward = self.add_action(
            "Backward", "B", "Run backpropagation through time and animate it", "backward"
        )
        self.act_backward.triggered.connect(self.run_backward)
        self.act_unroll = self.add_action(
            "Fold / unfold", "U", "Fold or unfold the graph", "unroll"
        )
        self.act_unroll.triggered.connect(self.toggle_unrolled)
        self.act_lab = self.add_action(
            "Gradient lab", "L", "Switch between the network and the gradient lab", "lab"
        )
        self.act_lab.setCheckable(True)
        self.act_lab.toggled.connect(self.show_lab)
        self.act_hide_controls = self.add_action(
            "Hide controls", "H", "Hide the side panels (for projecting)", "hide_controls"
        )
        self.act_hide_controls.setCheckable(True)
        self.act_hide_controls.toggled.connect(self._hide_controls)
        self.act_full_screen = self.add_action("Full screen", "F11", "Full screen", "fullscreen")
        self.act_full_screen.setCheckable(True)
        self.act_full_screen.triggered.connect(self.toggle_full_screen)
        self.act_cancel = self.add_action(
            "Cancel", "Esc", "Cancel the computation: the window keeps what it shows"
        )
        # Only while computing (an action hidden has no key): Esc is the fields' otherwise.
        self.act_cancel.setVisible(False)
        self.act_cancel.triggered.connect(self.verbs.cancel)
        self.act_quit = self.add_action("Quit", QKeySequence.StandardKey.Quit, "Quit rnnviz")
        self.act_quit.triggered.connect(self.close)
        self.act_layer_up = self.add_action("Layer above", "Up", "Show the layer above")
        self.act_layer_up.triggered.connect(self.show_layer_above)
        self.act_layer_down = self.add_action("Layer below", "Down", "Show the layer below")
        self.act_layer_down.triggered.connect(self.show_layer_below)
        self.act_direction = self.add_action(
            "Other direction", "D", "Show the other direction of a bidirectional layer"
        )
        self.act_direction.triggered.connect(self.switch_direction)
        listen(s.changed, self._on_session_changed)
        self._on_session_changed(Change.CONFIG)
        self.act_keys = self.add_action("Keys", "F1", "The keyboard keys")
        self.act_keys.triggered.connect(self.show_keys)
        self.act_about = QAction("About rnnviz", self)
        self.act_about.triggered.connect(self.show_about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        assert bar is not None

        def menu(title: str, actions: tuple[QAction, ...]) -> QMenu:
            m = bar.addMenu(title)
            assert m is not None
            m.addActions(list(actions))
            return m

        self.file_menu = menu("&File", (self.act_quit,))
        self.view_menu = menu(
            "&View", (self.act_unroll, self.act_lab, self.act_hide_controls, self.act_full_screen)
        )
        run = (self.act_step, self.act_back, self.act_play, self.act_reset, self.act_backward)
        run_menu = menu("&Run", run)
        run_menu.addSeparator()
        run_menu.addActions([self.act_layer_up, self.act_layer_down, self.act_direction])
        self.help_menu = menu("&Help", (self.act_keys, self.act_about))

    def _build_toolbar(self) -> None:
        bar = QToolBar("Toolbar", self)
        bar.setObjectName("toolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(28, 28))
        self._base_icon_size = bar.iconSize()
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.act_backward, self.act_unroll, self.act_lab):
            bar.addAction(action)
        bar.addSeparator()
        for action in (self.act_hide_controls, self.act_full_screen):
            bar.addAction(action)
        # Hints appear here, beside the buttons the audience is looking at; a status bar would
        # take a line of height from the panels for a message shown now and then.
        self.hint = ToolbarHint(bar)
        self.message = self.hint.label
        self._message_done = False
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def _build_busy(self) -> None:
        """While an expensive change is computed: a busy bar and its Cancel (Esc) button in
        the transport bar, always on screen (the toolbar's end can fold into its menu)."""
        self.busy = QWidget(self.transport)
        row = QHBoxLayout(self.busy)
        row.setContentsMargins(8, 0, 8, 0)
        self.busy_label = plain_label(QLabel("Computing…", self.busy))
        self.progress = QProgressBar(self.busy)
        self.progress.setRange(0, 0)  # one computation, no steps to count: busy
        self.progress.setMaximumWidth(120)
        self.progress.setTextVisible(False)
        self.cancel_button = QToolButton(self.busy)
        self.cancel_button.setDefaultAction(self.act_cancel)
        self.cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for widget in (self.busy_label, self.progress, self.cancel_button):
            row.addWidget(widget)
        self.busy.setVisible(False)
        layout = self.transport.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.insertWidget(layout.indexOf(self.transport.step_label), self.busy)

    def show_message(self, text: str, ms: int = 5000, *, done: bool = False) -> None:
        """A hint in the toolbar that disappears after ``ms`` milliseconds: in the theme's
        alert colour, or its ink when it reports work ``done`` (saved, exported …)."""
        self._message_done = done
        self._style_message()
        self.hint.show(text, ms)

    def _style_message(self) -> None:
        palette = colors()
        color = palette.INK if self._message_done else palette.MESSAGE
        self.message.setStyleSheet(
            f"color: {color}; font-weight: bold; padding-right: {HINT_PADDING_PX}px;"
        )

    # ---- layout --------------------------------------------------------------------
    def _build_central(self) -> None:
        self.stage = Stage(
            {
                GRAPH: self.graph,
                EQUATIONS: self.equations,
                STATE_HEATMAP: self.state_heatmap,
                GRADIENT_HEATMAP: self.gradient_heatmap,
                SEQUENCE: self.sequence_plot,
                GRADIENTS: self.gradient_plot,
            }
        )
        self.splitter = self.stage  # the network page
        # The network and the lab are pages of one window: the transport bar and the side
        # panels stay, so stepping or changing a setting is seen on either page. The
        # panels the network page has no room for wait on a page of their own.
        self.pages = QTabWidget(self)
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.stage, "Network")
        self.pages.addTab(self.lab_panel, "Gradient lab")
        self.pages.currentChanged.connect(self._on_page_changed)
        self.stage.more_changed.connect(self._on_more_changed)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.transport)
        self.setCentralWidget(central)

    def _on_more_changed(self) -> None:
        """The "More panels" tab, beside the network's, while the stage has left some out."""
        more, pages = self.stage.more, self.pages
        index = pages.indexOf(more)
        hidden = self.stage.hidden
        if not hidden:
            if index >= 0:
                if pages.currentWidget() is more:
                    pages.setCurrentWidget(self.stage)
                pages.removeTab(index)
            return
        if index < 0:
            index = pages.insertTab(pages.indexOf(self.stage) + 1, more, "")
        pages.setTabText(index, f"More panels ({len(hidden)})")
        pages.setTabToolTip(
            index, "No room on the network page of this screen for: " + ", ".join(hidden)
        )

    def _build_docks(self) -> None:
        # The palette and sheet the docks' titles were styled with (see _restyle_chrome).
        self._docks_look = (colors(), _dock_sheet(appearance.scale))
        self.input_dock = self._dock("Input", "input_dock", self.input_panel)
        self.controls_dock = self._dock("Network and training", "controls_dock", self.controls)
        self.splitDockWidget(self.input_dock, self.controls_dock, Qt.Orientation.Vertical)
        self.view_menu.addSeparator()  # each side panel on its own, too
        self.view_menu.addActions(
            [self.input_dock.toggleViewAction(), self.controls_dock.toggleViewAction()]
        )

    def _dock(self, title: str, name: str, panel: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        # Before the panel goes in: a sheet set on a dock that holds it polishes every widget
        # of the panel again (~4 ms a dock, before the first paint).
        dock.setStyleSheet(_dock_sheet(appearance.scale))
        dock.setWidget(panel)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def _default_size(self) -> QSize:
        """1600 × 1000, or less on a smaller screen."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return DEFAULT_SIZE
        room = screen.availableGeometry().size() * 0.95
        return DEFAULT_SIZE.boundedTo(room)

    def show_fitted(self) -> None:
        """Open on the window's screen, inside it: the layout the user left if it still
        fits, else maximised on a screen the default size would crowd (every projector up
        to 1920 × 1080), else FITTED_SHARE of a large screen, centred."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.show()
            return
        room = screen.availableGeometry()
        kept = self.windowState() & (
            Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen
        )
        if self._layout_restored and (kept or room.contains(self.geometry())):
            self.show()
            return
        size = room.size() * FITTED_SHARE
        if size.width() < DEFAULT_SIZE.width() or size.height() < DEFAULT_SIZE.height():
            self.setGeometry(room)  # on this screen, where a maximised window opens
            self.showMaximized()
            return
        frame = QRect(QPoint(0, 0), size)
        frame.moveCenter(room.center())
        self.setGeometry(frame)
        self.show()

    # ---- what the actions do --------------------------------------------------------
    def step_forward(self) -> None:
        if not self.session.step_forward():
            self.show_message("End of the sequence: feed more inputs, or press Home to start again")

    def reset(self) -> None:
        self.player.stop()
        self.session.reset()

    def stop_animations(self) -> None:
        """Stop playing and the backward sweep (a verb is about to replace the session)."""
        self.player.stop()
        self.sweep.cancel()

    def run_backward(self) -> None:
        self.player.stop()  # the next step would clear the gradients at once
        if not self.sweep.start():
            self.show_message("Feed at least one step (→) before running the backward pass")

    def redo_saved_backward(self) -> None:
        """A file's saved backward pass: at once when short (its gradients are there when the
        file is), in the worker with the sweep when long (no frozen window while opening)."""
        if self.session.backward_work < self.sweep.INLINE_WORK:
            self.session.run_backward()
        else:
            self.sweep.start()

    def _on_backward_computing(self, on: bool) -> None:
        """A long backward pass runs in a worker: say so until its animation starts."""
        if on:
            self.show_message(
                f"Computing the backward pass over {self.session.t:,} steps… "
                "(a step or a change cancels it)",
                BUSY_MESSAGE_MS,
            )
        elif self.hint.text.startswith("Computing the backward pass"):
            self.hint.clear()

    def _on_verb_computing(self, on: bool) -> None:
        """An expensive change is computed in the worker: say what, until it is in. Playing
        and the backward sweep stop (each step would make it stale)."""
        if on:
            self.stop_animations()
            what = f"Computing: {self.verbs.label}… (Esc cancels)"
            self.show_message(what, BUSY_MESSAGE_MS)
            self.busy.setToolTip(what)
        elif self.hint.text.startswith("Computing: "):
            self.hint.clear()
        self.act_cancel.setVisible(on)
        # Esc cancels first; presentation mode's Esc works again once nothing computes (two
        # actions on one key would both be dead).
        self.presentation.act_leave.setEnabled(not on and self.state.presenting)
        self.busy.setVisible(on)

    def show_layer_above(self) -> None:
        self._move_focus(+1)

    def show_layer_below(self) -> None:
        self._move_focus(-1)

    def _move_focus(self, by: int) -> None:
        (L, _), (k, d) = self.session.depth, self.session.focus
        if 0 <= k + by < L:
            self.session.set_focus(k + by, d)

    def switch_direction(self) -> None:
        (_, D), (k, d) = self.session.depth, self.session.focus
        if D == 2:
            self.session.set_focus(k, 1 - d)

    def _on_session_changed(self, changes: Change) -> None:
        """The keys that move the focus work for a stack only: elsewhere ↑ ↓ D stay free."""
        if changes & (Change.CONFIG | Change.FOCUS):
            (L, D), (k, _) = self.session.depth, self.session.focus
            self.act_layer_up.setEnabled(k < L - 1)
            self.act_layer_down.setEnabled(k > 0)
            self.act_direction.setEnabled(D == 2)

    def toggle_unrolled(self) -> None:
        self.state.unrolled = not self.state.unrolled

    def show_lab(self, on: bool) -> None:
        """Show the gradient lab (True) or the network (False)."""
        self.state.show_lab(on)

    def _on_page_changed(self, index: int) -> None:
        on_lab = self.pages.widget(index) is self.lab_panel
        self.act_lab.setChecked(on_lab)
        self.state.show_lab(on_lab)

    def toggle_full_screen(self) -> None:
        self.setWindowState(self.windowState() ^ Qt.WindowState.WindowFullScreen)

    def show_keys(self) -> None:
        rows = "".join(
            f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for k, what in KEYS
        )
        self._message("rnnviz keys", f"<table>{rows}</table>")

    def show_about(self) -> None:
        self._message(
            "About rnnviz",
            f"<b>rnnviz {__version__}</b><p>See a recurrent neural network compute, one step "
            "at a time, and watch its gradient fade or explode as it flows back through "
            "time.</p>",
        )

    def _message(self, title: str, html: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.NoIcon, title, html, QMessageBox.StandardButton.Close)
        box.setParent(self, box.windowFlags())
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        return box

    def _on_playing_changed(self, playing: bool) -> None:
        self.act_play.setText("Pause" if playing else "Play")
        self.act_play.setIcon(themed_icon("pause" if playing else "play", colors()))

    def changeEvent(self, event: QEvent | None) -> None:
        if event is not None and event.type() == QEvent.Type.WindowStateChange:
            self.act_full_screen.setChecked(self.isFullScreen())
        super().changeEvent(event)


def _key_name(shown: str) -> str:
    """Arrow keys as arrows, as on the keyboard."""
    return {"Right": "→", "Left": "←", "Up": "↑", "Down": "↓"}.get(shown, shown)


def _dock_sheet(scale: float) -> str:
    """A side panel's title in bold at the theme's title size. It styles the title bar
    only: a style-sheet font does not pass on to the panel."""
    return f"QDockWidget {{ font-size: {theme.TITLE_POINT_SIZE * scale:g}pt; font-weight: bold; }}"


def _saved_backward_of(window: MainWindow) -> Callable[[], None]:
    """``window.redo_saved_backward`` for its document, without the document keeping the
    window alive (a Python reference cycle through a Qt window is what the cycle collector
    must never have to break mid-delete; see ``views/lifetime.py``)."""
    ref = weakref.ref(window)

    def redo() -> None:
        w = ref()
        if w is not None:
            w.redo_saved_backward()

    return redo


def _put_weights_of(window: MainWindow) -> Callable[..., bool]:
    """How the window's lab puts trained weights in: large ones from the worker, with
    progress and cancel (their spectra and replay would freeze the window), as the
    controls' changes are. Weakly held, as ``_saved_backward_of``."""
    ref = weakref.ref(window)

    def put(params: object, inputs: object) -> bool:
        w = ref()
        if w is None:
            return False
        return w.verbs.call(
            "set_params",
            params,
            inputs,
            label="putting in the trained weights",
            failed=w.show_message,
        )

    return put
