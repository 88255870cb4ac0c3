"""The window's teach mode: the Teach panel and keys 1-9 wired to the session's controller."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import QDockWidget, QFileDialog, QMainWindow

from camapp.base.errors import CamappError
from camapp.inference.teach import is_teach_spec
from camapp.inference.teach_classifier import Recognition
from camapp.pipeline.events import ModelInfo, Prediction
from camapp.pipeline.session import Session
from camapp.ui.actions import held_keys
from camapp.ui.bridge import connect_queued
from camapp.ui.panels.teach import TeachPanel


class TeachUiController(QObject):
    """Carries the Teach panel's requests and the held class keys to ``session.teach``.

    Keys 1-9 (see the ``capture`` entry of :data:`camapp.ui.actions.ACTIONS`) are read by an
    event filter on the window: a press starts capturing into that class, its release (or
    the window losing focus) stops it; auto-repeats are ignored. Keys typed into a text or
    number field never reach it. Changes of the class set arrive from core threads as a
    queued signal.

    Args:
        window: The main window (its key events, status bar and dialogs).
        session: The session whose teach mode this drives.
        panel: The Teach panel.
        dock: The dock holding the panel (raised when teach mode starts).
        on_labels: Called with the class names whenever they change in teach mode.
    """

    #: The class set changed (emitted on any thread, handled on the GUI thread).
    class_set_changed = pyqtSignal()

    def __init__(
        self,
        window: QMainWindow,
        session: Session,
        panel: TeachPanel,
        dock: QDockWidget,
        on_labels: Callable[[tuple[str, ...]], None] | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.session = session
        self.teach = session.teach
        self.panel = panel
        self.dock = dock
        self._on_labels = on_labels
        self._teaching = False
        self._sized = False
        self._keys = held_keys("capture")
        connect_queued(self.class_set_changed, self._on_class_set_changed)
        self.teach.add_observer(self.class_set_changed.emit)
        panel.mode_chosen.connect(self._on_panel_mode_chosen)
        panel.capture_started.connect(self.start_capture)
        panel.capture_stopped.connect(self.stop_capture)
        panel.class_added.connect(lambda: self._do(lambda: self.teach.add_class()))
        panel.class_renamed.connect(lambda i, name: self._do(self.teach.rename_class, i, name))
        panel.class_cleared.connect(lambda i: self._do(self.teach.clear_class, i))
        panel.class_removed.connect(lambda i: self._do(self.teach.remove_class, i))
        panel.example_removed.connect(lambda example: self._do(self.teach.remove_example, example))
        panel.reset_requested.connect(lambda: self._do(self.teach.reset))
        panel.rule_changed.connect(
            lambda rule: self._do(lambda: self.teach.require_set().set_rule(rule))
        )
        panel.save_requested.connect(self.save_dialog)
        panel.load_requested.connect(self.load_dialog)
        window.installEventFilter(self)

    # -- the mode ---------------------------------------------------------------------------
    @property
    def teaching(self) -> bool:
        """Whether teach mode answers in the window now."""
        return self._teaching

    def toggle(self) -> None:
        """ImageNet <-> Teach (key T)."""
        self._on_panel_mode_chosen("imagenet" if self._teaching else "teach")

    def _on_panel_mode_chosen(self, mode: str) -> None:
        if mode == "teach":
            self.teach.start()
            self._status("Starting teach mode... hold 1-9 to capture examples", 5000)
        else:
            self.teach.stop()
        self.panel.set_mode(self._teaching, self.teach.class_set)  # until the swap is done

    def show_model(self, info: ModelInfo) -> None:
        """A model now answers (main worker): teach mode or not."""
        self._teaching = is_teach_spec(info.spec)
        if not self._teaching:
            self.stop_capture()
        self.panel.set_mode(self._teaching, self.teach.class_set)
        if self._teaching:
            self.dock.show()
            self.dock.raise_()
            if not self._sized:  # the first time: room for a few classes and thumbnails
                self._sized = True
                QTimer.singleShot(0, self._make_room)
            self._on_class_set_changed()

    def _make_room(self) -> None:
        """Gives the Teach dock most of the height (laid out first, so the request holds)."""
        self.window.resizeDocks([self.dock], [self.window.height()], Qt.Orientation.Vertical)

    def show_prediction(self, prediction: Prediction) -> None:
        """An answer of the main model: teach mode's answers fill the panel's bars."""
        if isinstance(prediction.classification, Recognition):
            self.panel.show_recognition(prediction.classification)

    def _on_class_set_changed(self) -> None:
        class_set = self.teach.class_set
        self.panel.show_class_set(class_set)
        if class_set is not None and self._teaching and self._on_labels is not None:
            self._on_labels(class_set.names)

    # -- capturing ----------------------------------------------------------------------------
    def start_capture(self, index: int) -> None:
        """Captures examples of class ``index`` (0-based) until :meth:`stop_capture`."""
        class_set = self.teach.class_set
        if not self._teaching or class_set is None:
            self._status("Switch to teach mode (T) to capture examples", 4000)
            return
        if index >= len(class_set.classes):
            self._status(f"There is no class {index + 1}: add one with '+ Class'", 4000)
            return
        self.teach.start_capture(index)
        self.panel.set_capturing(index)

    def stop_capture(self) -> None:
        if self.teach.capturing is not None:
            self.teach.stop_capture()
        self.panel.set_capturing(None)

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:  # noqa: N802
        """Keys 1-9 held anywhere in the window (unless a text field took them)."""
        if event is None:
            return False
        kind = event.type()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and isinstance(event, QKeyEvent):
            index = self._keys.get(event.key())
            plain = event.modifiers() in (
                Qt.KeyboardModifier.NoModifier,
                Qt.KeyboardModifier.KeypadModifier,
            )
            if index is None or not plain:
                return False
            if not event.isAutoRepeat():
                if kind == QEvent.Type.KeyPress:
                    self.start_capture(index)
                else:
                    self.stop_capture()
            return True
        if kind == QEvent.Type.WindowDeactivate:
            self.stop_capture()  # a release we will never see
        return False

    # -- files --------------------------------------------------------------------------------
    def save_dialog(self) -> None:
        """Asks where to save the classes (a folder, or a name ending in .zip)."""
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Save the classes (a folder, or a name ending in .zip)",
            str(Path.cwd() / "my-classes"),
            "Class set folder (*);;Class set zip (*.zip)",
        )
        if path:
            self.save(path)

    def save(self, path: str) -> None:
        try:
            saved = self.teach.save(path)
        except CamappError as exc:
            self._status(str(exc), 15000)
        else:
            self._status(f"Classes saved to {saved}", 8000)

    def load_dialog(self) -> None:
        """Asks for a saved set: its classset.yaml, or a .zip."""
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Load classes",
            str(Path.cwd()),
            "Class sets (classset.yaml *.zip);;All files (*)",
        )
        if path:
            self.load(str(Path(path).parent) if path.endswith("classset.yaml") else path)

    def load(self, path: str) -> None:
        try:
            loaded = self.teach.load(path)
        except CamappError as exc:
            self._status(str(exc), 15000)
            return
        self._status(f"Loaded {len(loaded.classes)} classes from {path}", 8000)
        if not self._teaching:
            self.teach.start()

    # -- helpers ------------------------------------------------------------------------------
    def _do(self, action: Callable[..., object], *args: object) -> None:
        """Runs an edit; a refusal (a taken name, no such class) is one status-bar line."""
        try:
            action(*args)
        except CamappError as exc:
            self._status(str(exc), 8000)
            self._on_class_set_changed()  # e.g. put the old name back

    def _status(self, message: str, timeout_ms: int) -> None:
        bar = self.window.statusBar()
        if bar is not None:
            bar.showMessage(message, timeout_ms)
