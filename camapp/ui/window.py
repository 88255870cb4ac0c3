"""The main window: layout, docks and menus, wired to a headless :class:`Session`.

View signals call session methods; session events (through :class:`SessionBridge`) call
view setters. The window holds no model, source or worker of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QTimer, pyqtSignal
from PyQt6.QtGui import QCloseEvent, QDropEvent
from PyQt6.QtWidgets import QMainWindow

from camapp.base.roi import ROI
from camapp.capture.frames import FrameSource
from camapp.pipeline.events import ModelInfo, Prediction, SourceInfo
from camapp.pipeline.session import Session
from camapp.ui import files, models_dialog
from camapp.ui.actions import install_actions, populate_menus
from camapp.ui.bridge import SessionBridge, connect_queued
from camapp.ui.keys import PictureKeys
from camapp.ui.live_view import LiveView
from camapp.ui.panels.status_bar import StatusBar
from camapp.ui.run_stats import RunRecorder
from camapp.ui.side_panels import SidePanels, fit_to_screen
from camapp.ui.stall_monitor import StallMonitor
from camapp.ui.state import remembered, restore_layout, save_layout

#: How often the frame rates, model card and source errors are refreshed.
STATS_INTERVAL_MS = 250


class MainWindow(QMainWindow):
    """The live window over a :class:`Session`, which it starts and closes.

    Args:
        session: The controller (not started yet); the window owns it from now on.
        settings: ``mode`` and ``window`` (the saved layout) are read here.
        warnings: Lines to show in the notice bar at start.
    """

    #: The window closed and the session's threads are joined.
    closed = pyqtSignal()
    #: A prediction of the current model was put on screen.
    prediction_shown = pyqtSignal(object)
    #: A prediction of the compared (second) model was put on screen.
    compare_prediction_shown = pyqtSignal(object)

    def __init__(
        self, session: Session, settings: dict[str, Any], warnings: Iterable[str] = ()
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("camapp")
        self.resize(1280, 760)
        self.session = session
        self.snapshot_dir: Path | None = None
        self._closed = False
        self._generation = 0
        self._model_info: ModelInfo | None = None
        self._compare_info: ModelInfo | None = None
        self._has_source = False
        self.source_pending = False
        self.last_error = ""
        self.last_prediction: Prediction | None = None
        self.recorder = RunRecorder(self)
        self.bridge = SessionBridge(self)
        b = self.bridge
        connect_queued(b.prediction_ready, self._on_session_prediction_ready)
        connect_queued(b.model_changed, self._on_session_model_changed)
        connect_queued(b.source_changed, self._on_session_source_changed)
        connect_queued(b.source_failed, self._on_session_source_failed)
        connect_queued(b.scene_changed, self._on_session_scene_changed)
        connect_queued(b.error_raised, self._on_session_error_raised)
        connect_queued(b.status_changed, lambda message: self._status(message, 4000))
        session.add_listener(self.bridge)

        self._build_central(session.roi)
        self.panels = SidePanels(
            self,
            session,
            on_model_chosen=self._on_settings_model_chosen,
            on_top_k_changed=self._on_top_k_changed,
            on_mode_changed=self.set_mode,
            on_compare_chosen=self.start_compare,
        )
        p = self.panels
        self.results, self.settings_panel, self.compare_panel = p.results, p.settings, p.compare
        self.model_card, self.labels_panel, self.docks = p.model_card, p.labels, p.docks
        self._build_actions()
        self.status_bar = StatusBar.install(self)  # messages end in "..." before the rates
        self.rates_label = self.status_bar.rates
        self.keys = PictureKeys(self, self.video, self.panels.teach)  # from any control
        restore_layout(self, settings.get("window"))
        QTimer.singleShot(0, lambda: fit_to_screen(self))  # 1280x760 on a 7" screen: smaller

        self.stall_monitor = StallMonitor(self)
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(STATS_INTERVAL_MS)
        self._stats_timer.timeout.connect(self._on_stats_timer_timeout)
        self.source_pending = session.source_spec == "" and bool(settings.get("source"))
        session.start()
        if not session.loading and session.model_info is None:
            self.video.set_message("No model installed: File > Models... installs one")
        elif session.loading:
            self._announce_loading(session.loading)
        self._stats_timer.start()
        QTimer.singleShot(0, self.stall_monitor.start)
        for line in warnings:
            if line:
                self.notices.add(line)
                self._show_error(line)

    # -- construction ---------------------------------------------------------------------
    def _build_central(self, roi: ROI) -> None:
        self.live = LiveView(roi, self.session.mode.value)
        self.video, self.no_source, self.stack = (
            self.live.video,
            self.live.no_source,
            self.live.stack,
        )
        self.notices, self.help = self.live.notices, self.live.help
        self.video.roi_changed.connect(self.session.set_roi)
        connect_queued(self.bridge.source_status_changed, self.video.show_source_status)
        self.video.recognise_requested.connect(self.recognise_once)
        self.no_source.open_requested.connect(self.open_dialog)
        self.live.files_dropped.connect(self._on_live_files_dropped)
        self.setCentralWidget(self.live)

    def _build_actions(self) -> None:
        self.actions_by_name = install_actions(
            self,
            {
                "open_image": lambda: self.open_dialog("image"),
                "open_folder": lambda: self.open_dialog("folder"),
                "open_video": lambda: self.open_dialog("video"),
                "open_camera": lambda: self.open_source("0"),
                "open_model": lambda: self.open_dialog("model"),
                "models": lambda: None if models_dialog.open_models_dialog(self) else None,
                "snapshot": lambda: None if self.save_snapshot() else None,
                "quit": lambda: None if self.close() else None,
                "next": self.next_scene,
                "previous": self.previous_scene,
                "recognise": self.recognise_once,
                "reset_box": self.video.reset_roi,
                "fullscreen": self.toggle_fullscreen,
                "leave": self.leave_fullscreen,
                "help": self.help.toggle,
                "teach_mode": self.panels.teach.toggle,
            },
        )
        views = [d.toggleViewAction() for d in self.docks.values()]
        menu_bar = self.menuBar()
        assert menu_bar is not None, "a QMainWindow always has a menu bar"
        populate_menus(menu_bar, self.actions_by_name, [a for a in views if a is not None])

    # -- sources --------------------------------------------------------------------------
    @property
    def source(self) -> FrameSource:
        """The source frames come from now."""
        return self.session.source

    def open_source(self, spec: str) -> None:
        """Opens ``spec`` (camera, video, stream, photo, folder) without blocking the window.

        The current source keeps running until the new one delivers; a failure shows the
        friendly no-source panel when nothing is shown yet, else a status-bar line.
        """
        self.source_pending = True
        self.session.open_source(str(spec))

    def _on_session_source_changed(self, info: SourceInfo) -> None:
        if self._closed:
            return
        self.source_pending = self.session.source_spec != info.spec
        self.video.set_source(self.session.source)
        self._has_source = True
        self.recorder.restart_rates()
        self.live.show_video()
        self.video.set_hint("N / P: next / previous photo" if info.scenes > 1 else "")
        self._update_title()
        self._status(f"Showing {info.name}", 4000)

    def _on_session_source_failed(self, spec: str, message: str) -> None:
        if self._closed:
            return
        self.source_pending = False
        if self._has_source:
            self._show_error(f"Cannot open {spec}: {message}")
            return
        title = self.live.show_failure(spec, message)
        self._status(f"{title}: {message}", 0)

    def open_dialog(self, kind: str) -> None:
        """Asks for an image, folder, video or model file and opens it."""
        path = files.ask_for_path(self, kind)
        if path and kind in ("model", "image"):
            self.request_model(path) if kind == "model" else self.add_photo(path)
        elif path:
            self.open_source(path)

    def add_photo(self, path: str) -> None:
        """Your own photo: shown next to the photo shown, or opened when no photos show."""
        if not self.session.add_photo(path):
            self.source_pending = True

    def next_scene(self) -> None:
        self._step_scene(+1)

    def previous_scene(self) -> None:
        self._step_scene(-1)

    def _step_scene(self, step: int) -> None:
        # Returns at once: the photo decodes on the session's scene-stepper thread.
        if not (self.session.next_scene() if step > 0 else self.session.previous_scene()):
            self._status("N and P step through photos; open an image or a folder first", 4000)

    def _on_session_scene_changed(self, name: str, index: int, count: int) -> None:
        if not self._closed:
            self._status(f"Photo {index + 1} of {count}: {name}", 3000)
            self.video.set_hint("N / P: next / previous photo" if count > 1 else "")
            self.panels.scene_changed()  # no answer about the photo before stays

    def dropEvent(self, event: QDropEvent | None) -> None:  # noqa: N802 - Qt override
        self.live.dropEvent(event)

    def _on_live_files_dropped(self, paths: list[str]) -> None:
        for path in paths[:1] if paths[0].endswith(".tflite") else paths:  # photos join
            self.request_model(path) if path.endswith(".tflite") else self.add_photo(path)

    # -- model ----------------------------------------------------------------------------
    def request_model(self, spec: str, threads: int | None = None) -> None:
        """Loads ``spec`` in the background; the current model keeps answering meanwhile."""
        self.session.request_model(spec, threads)
        self._announce_loading(spec)

    def _announce_loading(self, spec: str) -> None:
        entry = self.panels.entry(spec)
        name = entry.name if entry else Path(spec).name
        running = self.session.model_info is not None
        if not running:
            self.video.set_message(f"Loading {name}...")
        self._status(f"Loading {name}..." + (" (the current one runs meanwhile)" * running), 5000)

    @property
    def generation(self) -> int:
        """Generation of the model whose answers are shown."""
        return self._generation

    @property
    def model_info(self) -> ModelInfo | None:
        """The model whose answers the window shows (set when its card is shown)."""
        return self._model_info

    @property
    def compare_info(self) -> ModelInfo | None:
        return self._compare_info if self.session.compare_worker is not None else None

    def _on_settings_model_chosen(self, model_id: str) -> None:
        info = self.session.model_info
        if info is None or model_id != info.spec:
            self.request_model(model_id)

    def _on_session_prediction_ready(self, prediction: Prediction) -> None:
        if self._closed:
            return
        if prediction.tag:
            info = self.session.compare_info
            if info is not None and prediction.generation >= info.generation:
                self.panels.show_prediction(prediction)
                self.compare_prediction_shown.emit(prediction)
            return
        if prediction.generation < self._generation:
            self.recorder.stale_dropped += 1
            return
        self.last_prediction = prediction
        self.recorder.prediction_shown(prediction)
        self.video.set_prediction(prediction)
        self.panels.show_prediction(prediction)
        self.prediction_shown.emit(prediction)

    def _on_session_model_changed(self, info: ModelInfo) -> None:
        if self._closed:
            return
        self.panels.show_model(info)
        if info.tag:
            self._compare_info = info
            return
        self._generation = info.generation
        self.video.set_message("")
        if self.session.mode == "click":
            self.video.set_prediction(None)
        self._update_title()
        self._status(
            f"Now recognising with {self.panels.name(info)} (loaded in {info.load_ms:.0f} ms)", 5000
        )
        for note in info.notes:
            self._status(note, 8000)
        self._model_info = info

    def _on_session_error_raised(self, message: str) -> None:
        if self._closed:
            return
        if self.session.model_info is None and not self.session.loading:
            self.video.set_message(f"No model loaded: {message}")
        self.panels.error_raised(message)
        self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.last_error = message
        self._status(message, 15000)

    def _status(self, message: str, timeout_ms: int = 0) -> None:
        self.status_bar.showMessage(message, timeout_ms)

    # -- settings -------------------------------------------------------------------------
    def _on_top_k_changed(self, top_k: int) -> None:
        self.panels.set_top_k(top_k)
        self.session.set_top_k(top_k)

    def set_mode(self, mode: str) -> None:
        """``continuous`` or ``click`` (classify on click or Space only)."""
        self.session.set_mode(mode)
        self.video.set_mode(mode)
        self.settings_panel.set_mode(mode)
        click = "Click the video or press Space to recognise"
        self._status(click if mode == "click" else "Recognising every frame", 4000)

    def recognise_once(self) -> None:
        """Click mode: classify the current box once."""
        self.session.recognise_once()

    # -- compare mode ---------------------------------------------------------------------
    def start_compare(self, spec: str) -> None:
        """Runs ``spec`` beside the current model on the same frames and box ("": stop)."""
        self.panels.start_compare(spec)

    def stop_compare(self) -> None:
        """Back to one model, with every core again."""
        self.panels.stop_compare()

    # -- view -----------------------------------------------------------------------------
    def toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def leave_fullscreen(self) -> None:
        if self.help.isVisible():
            self.help.hide()
        elif self.isFullScreen():
            self.showNormal()

    def save_snapshot(self) -> Path | None:
        """Saves the view (frame, box, labels) as a PNG and says where in the status bar."""
        path = files.save_snapshot(self.video, self.snapshot_dir)
        if path is None:
            self._show_error(f"Cannot save a snapshot to {self.snapshot_dir or 'Pictures'}")
        else:
            self._status(f"Snapshot saved to {path}", 8000)
        return path

    def _update_title(self) -> None:
        info = self.session.model_info
        parts = ["camapp"] + ([self.panels.name(info)] if info else [])
        if self._has_source:
            parts.append(self.source.name)
        self.setWindowTitle(" - ".join(parts))

    def _on_stats_timer_timeout(self) -> None:
        if self._closed:
            return
        self.recorder.show_rates()  # on the video, in the status bar and the panels
        if self.source.error and self.source.error != self.last_error:
            self._show_error(self.source.error)
        self.recorder.tick()

    # -- state and shutdown -----------------------------------------------------------------
    def settings_snapshot(self) -> dict[str, Any]:
        """What the app remembers on exit: source, model, box, choices and the layout."""
        return {**remembered(self.session), "window": save_layout(self)}

    def shutdown(self) -> None:
        """Stops timers and closes the session (joining its threads); idempotent."""
        if self._closed:
            return
        self._closed = True
        self.keys.remove()
        self._stats_timer.stop()
        self.stall_monitor.stop()
        self.video.stop()
        self.session.close()

    def closeEvent(self, event: QCloseEvent | None) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        if event is not None:
            event.accept()
        self.closed.emit()
