"""The main window: video with the ROI box, side panels, menus, shortcuts and run statistics."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QByteArray, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QResizeEvent,
)
from PyQt6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from camapp.base.errors import CamappError
from camapp.base.meters import percentile
from camapp.base.roi import ROI
from camapp.capture.sources import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, FrameSource, open_source
from camapp.inference.runtime import default_threads
from camapp.pipeline.worker import (
    InferenceWorker,
    ModelInfo,
    OptionsFactory,
    Prediction,
    RelaySource,
)
from camapp.store.catalog import ModelEntry
from camapp.store.model_store import ModelStore
from camapp.ui.bridge import WorkerBridge
from camapp.ui.compare import ComparePanel
from camapp.ui.panels import (
    HelpPanel,
    LabelsPanel,
    ModelCardPanel,
    NoSourcePanel,
    NoticePanel,
    ResultsPanel,
    SettingsPanel,
    file_size,
)
from camapp.ui.video_view import VideoView

#: How often the frame rates, model card and source errors are refreshed.
STATS_INTERVAL_MS = 250
#: Period of the GUI-stall probe.
STALL_PROBE_MS = 10


class _NoFrames(FrameSource):
    """A source with no frames and no thread: what the worker watches before a source opens."""

    kind = "none"
    is_still = True

    def __init__(self) -> None:
        super().__init__("nothing")


class StallMonitor(QObject):
    """Measures how late a 10 ms GUI-thread timer fires: the longest the event loop stalled.

    Every lateness above 2 ms is kept with its time, so the stall of a given period (a model
    swap, say) can be read back with :meth:`max_between`.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = STALL_PROBE_MS) -> None:
        super().__init__(parent)
        self.interval_s = interval_ms / 1e3
        self.events: list[tuple[float, float]] = []
        self._last: float | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_probe_timer_timeout)

    def start(self) -> None:
        self._last = None
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _on_probe_timer_timeout(self) -> None:
        now = time.monotonic()
        if self._last is not None:
            late_ms = (now - self._last - self.interval_s) * 1e3
            if late_ms > 2.0:
                self.events.append((now, late_ms))
                del self.events[:-5000]
        self._last = now

    def max_between(self, start: float = 0.0, end: float = float("inf")) -> float:
        """Longest stall (ms) ending between ``start`` and ``end`` (monotonic seconds)."""
        return max((ms for t, ms in self.events if start <= t <= end), default=0.0)


@dataclass
class _Swap:
    """A model swap asked for by the user (or ``--swap-to``), for the statistics."""

    spec: str
    requested: float
    changed: float | None = None
    load_ms: float = 0.0


def _encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def _decode(text: object) -> QByteArray | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except ValueError:
        return None


def _is_camera(spec: str) -> bool:
    return spec.strip().isdigit() or spec.strip().startswith("/dev/video")


class MainWindow(QMainWindow):
    """The live window.

    Owns the frame source and the inference worker (and so their threads) and joins them on
    close: worker first, then source. No other thread touches a widget: the worker reports
    through :class:`WorkerBridge` (queued signals), the display pulls frames with a timer.

    Args:
        store: Finds installed models and their catalog entries.
        options_for: Turns a model spec and thread count into classifier options.
        settings: Merged settings (defaults, user file, command line): ``source``, ``model``,
            ``roi``, ``mode``, ``threads``, ``top_k``, ``threshold`` and ``window``.
        started: ``time.monotonic()`` when the app started (for ``first_prediction_s``).
        warnings: Lines to show in the status bar at start.
    """

    #: The window closed and its threads are joined.
    closed = pyqtSignal()
    #: A prediction of the current model was put on screen.
    prediction_shown = pyqtSignal(object)
    #: A prediction of the compared (second) model was put on screen.
    compare_prediction_shown = pyqtSignal(object)

    def __init__(
        self,
        store: ModelStore,
        options_for: OptionsFactory,
        settings: dict[str, Any],
        started: float | None = None,
        warnings: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("camapp")
        self.setAcceptDrops(True)
        self.resize(1280, 760)
        self.store = store
        self.started = time.monotonic() if started is None else started
        self.snapshot_dir: Path | None = None
        self._closed = False
        self._generation = 0
        self._model_info: ModelInfo | None = None
        self._requested_model = str(settings.get("model") or "")
        self._threads = int(settings.get("threads") or 0)
        self._top_k = int(settings.get("top_k") or 5)
        self._threshold = float(settings.get("threshold") or 0.0)
        self._mode = "click" if settings.get("mode") == "click" else "continuous"
        self._source_spec = ""
        self._has_source = False
        self.last_error = ""
        self.last_prediction: Prediction | None = None
        self.predictions_shown = 0
        self.stale_dropped = 0
        self.first_prediction_time: float | None = None
        self._invoke_ms: list[float] = []
        self._swaps: list[_Swap] = []
        self._measure_start: tuple[float, int, int, int] | None = None

        roi = _roi_from(settings.get("roi"))
        self._options_for = options_for
        self.compare_worker: InferenceWorker | None = None
        self.compare_bridge: WorkerBridge | None = None
        self._compare_info: ModelInfo | None = None
        self._compare_relay: RelaySource | None = None
        self._compare_invoke_ms: list[float] = []
        self.compare_predictions = 0
        self.bridge = WorkerBridge(self)
        self.source: FrameSource = _NoFrames()
        self.worker = InferenceWorker(
            self.source,
            self.bridge,
            options_for,
            roi=roi,
            top_k=self._top_k,
            threshold=self._threshold,
            mode=self._mode,
            threads=self._threads or None,
        )
        queued = Qt.ConnectionType.QueuedConnection
        self.bridge.prediction_ready.connect(self._on_worker_prediction_ready, queued)
        self.bridge.model_changed.connect(self._on_worker_model_changed, queued)
        self.bridge.error_raised.connect(self._on_worker_error_raised, queued)
        self.bridge.status_changed.connect(self._on_worker_status_changed, queued)

        self._build_central(roi)
        self._build_docks()
        self._build_actions()
        self._build_status_bar()
        self._restore_window(settings.get("window"))

        self.stall_monitor = StallMonitor(self)
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(STATS_INTERVAL_MS)
        self._stats_timer.timeout.connect(self._on_stats_timer_timeout)

        self.worker.start()
        if self._requested_model:
            self.request_model(self._requested_model)
        else:
            self.video.set_message("No model installed: run 'camapp models install --defaults'")
        self.open_source(str(settings.get("source") if settings.get("source") is not None else "0"))
        if settings.get("compare"):
            self.start_compare(str(settings["compare"]))
        self._stats_timer.start()
        QTimer.singleShot(0, self.stall_monitor.start)
        for line in warnings:
            if line:
                self.notices.add(line)
                self._show_error(line)

    # -- construction ---------------------------------------------------------------------
    def _build_central(self, roi: ROI) -> None:
        self.video = VideoView()
        self.video.set_roi(roi, notify=False)
        self.video.set_mode(self._mode)
        self.video.roi_changed.connect(self._on_video_roi_changed)
        self.video.recognise_requested.connect(self.recognise_once)
        self.no_source = NoSourcePanel()
        self.no_source.open_requested.connect(self._on_no_source_open_requested)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.video)
        self.stack.addWidget(self.no_source)
        self.notices = NoticePanel()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.notices)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.help = HelpPanel(self.stack)

    def _build_docks(self) -> None:
        catalog = self.store.catalog
        installed = {e.id for e in self.store.installed()}
        self.results = ResultsPanel(self._top_k, self._threshold)
        self.results.clear("waiting for the first answer...")
        self.results.top_k_changed.connect(self._on_top_k_changed)
        self.results.threshold_changed.connect(self._on_threshold_changed)
        self.settings_panel = SettingsPanel(
            list(catalog),
            installed,
            threads=self._threads,
            top_k=self._top_k,
            mode=self._mode,
            max_threads=max(os.cpu_count() or 1, default_threads()),
        )
        self.settings_panel.model_chosen.connect(self._on_settings_model_chosen)
        self.settings_panel.threads_changed.connect(self._on_settings_threads_changed)
        self.settings_panel.mode_changed.connect(self.set_mode)
        self.settings_panel.top_k_changed.connect(self._on_top_k_changed)
        self.compare_panel = ComparePanel(list(catalog), installed)
        self.compare_panel.compare_chosen.connect(self._on_compare_chosen)
        self.model_card = ModelCardPanel()
        self.labels_panel = LabelsPanel()
        self.docks: dict[str, QDockWidget] = {}
        right = Qt.DockWidgetArea.RightDockWidgetArea
        for key, title, widget in (
            ("results", "Results", self.results),
            ("compare", "Compare", _scrolling(self.compare_panel)),
            ("settings", "Settings", self.settings_panel),
            ("model_card", "Model card", self.model_card),
            ("labels", "Labels", self.labels_panel),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widget)
            self.addDockWidget(right, dock)
            self.docks[key] = dock
        self.tabifyDockWidget(self.docks["results"], self.docks["compare"])
        self.docks["results"].raise_()
        self.tabifyDockWidget(self.docks["settings"], self.docks["model_card"])
        self.tabifyDockWidget(self.docks["model_card"], self.docks["labels"])
        self.docks["settings"].raise_()
        self.resizeDocks([self.docks["results"]], [360], Qt.Orientation.Horizontal)

    def _action(self, text: str, slot, shortcuts: Iterable[str] = (), tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.actions_by_name = {
            "open_image": a("Open &image...", lambda: self.open_dialog("image"), ["Ctrl+O"]),
            "open_folder": a(
                "Open &folder...", lambda: self.open_dialog("folder"), ["Ctrl+Shift+O"]
            ),
            "open_video": a("Open &video...", lambda: self.open_dialog("video"), ["Ctrl+Alt+O"]),
            "open_camera": a("Open &camera", lambda: self.open_source("0")),
            "open_model": a("Open &model file...", lambda: self.open_dialog("model")),
            "snapshot": a(
                "&Save snapshot",
                self.save_snapshot,
                ["S"],
                "Save the view with the box and labels as a PNG",
            ),
            "quit": a("&Quit", self.close, ["Ctrl+Q"]),
            "next": a("&Next photo", self.next_scene, ["N"]),
            "previous": a("&Previous photo", self.previous_scene, ["P"]),
            "recognise": a("&Recognise now", self.recognise_once, ["Space"]),
            "fullscreen": a("&Full screen", self.toggle_fullscreen, ["F11"]),
            "leave": a("Leave full screen", self.leave_fullscreen, ["Esc"]),
            "help": a("&Keys and mouse", self.help.toggle, ["F1", "?"]),
        }
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for name in (
            "open_image",
            "open_folder",
            "open_video",
            "open_camera",
            None,
            "open_model",
            None,
            "snapshot",
            None,
            "quit",
        ):
            file_menu.addSeparator() if name is None else file_menu.addAction(
                self.actions_by_name[name]
            )
        view_menu = bar.addMenu("&View")
        for name in ("next", "previous", "recognise", None, "fullscreen"):
            view_menu.addSeparator() if name is None else view_menu.addAction(
                self.actions_by_name[name]
            )
        view_menu.addSeparator()
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        bar.addMenu("&Help").addAction(self.actions_by_name["help"])

    def _build_status_bar(self) -> None:
        self.rates_label = QLabel("")
        self.rates_label.setObjectName("ratesLabel")
        self.statusBar().addPermanentWidget(self.rates_label)

    def _restore_window(self, saved: object) -> None:
        if not isinstance(saved, dict):
            return
        geometry = _decode(saved.get("geometry"))
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = _decode(saved.get("state"))
        if state is not None:
            self.restoreState(state)

    # -- sources --------------------------------------------------------------------------
    def open_source(self, spec: str) -> bool:
        """Opens and shows ``spec`` (camera, video, image, folder); False when it cannot.

        With nothing shown yet, a failure shows the friendly no-source panel; otherwise the
        current source keeps running and the status bar says why.
        """
        spec = str(spec)
        try:
            source = open_source(spec)
        except CamappError as exc:
            self._source_failed(spec, exc)
            return False
        try:
            source.start()
        except CamappError as exc:
            source.close()
            self._source_failed(spec, exc)
            return False
        old, self.source = self.source, source
        self.worker.set_source(source)
        self.video.set_source(source)
        old.close()
        self._source_spec = spec
        self._has_source = True
        self._measure_start = None
        self.stack.setCurrentWidget(self.video)
        scenes = len(getattr(source, "paths", ())) > 1
        self.video.set_hint("N / P: next / previous photo" if scenes else "")
        self._update_title()
        self.statusBar().showMessage(f"Showing {source.name}", 4000)
        return True

    def _source_failed(self, spec: str, exc: CamappError) -> None:
        if self._has_source:
            self._show_error(f"Cannot open {spec}: {exc}")
            return
        title = "No camera found" if _is_camera(spec) else "Cannot open the source"
        detail = (
            f"{exc.message}.\n\nPlug a camera in and restart camapp, or open a photo, a "
            "folder of photos or a video to recognise what is in it."
        )
        self.no_source.set_problem(title, detail)
        self.stack.setCurrentWidget(self.no_source)
        self.statusBar().showMessage(f"{title}: {exc}", 0)

    def open_dialog(self, kind: str) -> None:
        """Asks for an image, folder, video or model file and opens it."""
        start = str(Path.cwd())
        images = " ".join(f"*{e}" for e in sorted(IMAGE_EXTENSIONS))
        videos = " ".join(f"*{e}" for e in sorted(VIDEO_EXTENSIONS))
        if kind == "folder":
            path = QFileDialog.getExistingDirectory(self, "Open a folder of photos", start)
        elif kind == "model":
            path, _ = QFileDialog.getOpenFileName(
                self, "Open a model file", start, "TFLite models (*.tflite)"
            )
        else:
            pattern = images if kind == "image" else videos
            path, _ = QFileDialog.getOpenFileName(
                self,
                f"Open {'an image' if kind == 'image' else 'a video'}",
                start,
                f"{kind.title()}s ({pattern});;All files (*)",
            )
        if not path:
            return
        if kind == "model":
            self.request_model(path)
        else:
            self.open_source(path)

    def _on_no_source_open_requested(self, kind: str) -> None:
        self.open_dialog(kind)

    def next_scene(self) -> None:
        self._step_scene(+1)

    def previous_scene(self) -> None:
        self._step_scene(-1)

    def _step_scene(self, step: int) -> None:
        try:
            frame = self.source.next_scene() if step > 0 else self.source.previous_scene()
        except CamappError as exc:
            self._show_error(str(exc))
            return
        if frame is None:
            self.statusBar().showMessage(
                "N and P step through photos; open an image or a folder first", 4000
            )
            return
        self.video.set_prediction(None)
        self.statusBar().showMessage(f"Photo {frame.index + 1}: {frame.name}", 3000)

    # -- drag and drop --------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            if paths[0].endswith(".tflite"):
                self.request_model(paths[0])
            else:
                self.open_source(paths[0])

    # -- model ----------------------------------------------------------------------------
    def request_model(self, spec: str, threads: int | None = None) -> None:
        """Loads ``spec`` in the background; the current model keeps answering meanwhile."""
        self._requested_model = spec
        self._swaps.append(_Swap(spec, time.monotonic()))
        self.worker.request_model(spec, threads)
        name = self._entry(spec).name if self._entry(spec) else Path(spec).name
        if self._model_info is None:
            self.video.set_message(f"Loading {name}...")
        self.statusBar().showMessage(
            f"Loading {name}..."
            + (" (the current model keeps running)" if self._model_info else ""),
            5000,
        )

    @property
    def generation(self) -> int:
        """Generation of the model whose answers are shown."""
        return self._generation

    @property
    def model_info(self) -> ModelInfo | None:
        return self._model_info

    def _entry(self, spec: str) -> ModelEntry | None:
        catalog = self.store.catalog
        return catalog.get(spec) if spec in catalog else None

    def _on_settings_model_chosen(self, model_id: str) -> None:
        if self._model_info is None or model_id != self._model_info.spec:
            self.request_model(model_id)

    def _on_settings_threads_changed(self, threads: int) -> None:
        if threads != self._threads:
            self._threads = threads
            spec = self._model_info.spec if self._model_info else self._requested_model
            if spec:
                self.request_model(spec, threads=threads)

    # -- worker signals (GUI thread) ------------------------------------------------------
    def _on_worker_prediction_ready(self, prediction: Prediction) -> None:
        if self._closed:
            return
        if prediction.generation < self._generation:
            self.stale_dropped += 1
            return
        now = time.monotonic()
        self.last_prediction = prediction
        self.predictions_shown += 1
        self._invoke_ms.append(prediction.classification.timings.invoke_ms)
        del self._invoke_ms[:-2000]
        if self.first_prediction_time is None:
            self.first_prediction_time = now
        self.video.set_prediction(prediction)
        self.results.show_prediction(prediction)
        if self.compare_worker is not None:
            self.compare_panel.show_prediction(0, prediction)
        self.prediction_shown.emit(prediction)

    def _on_worker_model_changed(self, info: ModelInfo) -> None:
        if self._closed:
            return
        self._generation = info.generation
        self._model_info = info
        self._invoke_ms = []
        now = time.monotonic()
        for swap in self._swaps:
            if swap.spec == info.spec and swap.changed is None:
                swap.changed, swap.load_ms = now, info.load_ms
        entry = self._entry(info.spec)
        paths = [self.store.find(f) for f in entry.files] if entry else [Path(info.spec)]
        self.model_card.show_model(info, entry, file_size([p for p in paths if p]))
        self.labels_panel.set_labels(info.labels)
        self.compare_panel.set_title(
            0,
            f"{entry.name if entry else info.name} "
            f"({info.threads} thread{'s' * (info.threads > 1)})",
        )
        self.settings_panel.show_model(info.spec)
        self.video.set_message("")
        if self._mode == "click":
            self.video.set_prediction(None)
        self._update_title()
        name = entry.name if entry else info.name
        self.statusBar().showMessage(
            f"Now recognising with {name} (loaded in {info.load_ms:.0f} ms)", 5000
        )
        for note in info.notes:
            self.statusBar().showMessage(note, 8000)

    def _on_worker_error_raised(self, message: str) -> None:
        if self._closed:
            return
        if self._model_info is None and not self.worker.loading:
            self.video.set_message(f"No model loaded: {message}")
        self._show_error(message)

    def _on_worker_status_changed(self, message: str) -> None:
        if not self._closed:
            self.statusBar().showMessage(message, 4000)

    def _show_error(self, message: str) -> None:
        self.last_error = message
        self.statusBar().showMessage(message, 15000)

    # -- user settings --------------------------------------------------------------------
    def _on_video_roi_changed(self, roi: ROI) -> None:
        self.worker.set_roi(roi)
        if self.compare_worker is not None:
            self.compare_worker.set_roi(roi)

    def _on_top_k_changed(self, top_k: int) -> None:
        self._top_k = top_k
        for spin in (self.results.top_k,):
            spin.blockSignals(True)
            spin.setValue(top_k)
            spin.blockSignals(False)
        self.settings_panel.set_top_k(top_k)
        self.worker.set_top_k(top_k, self._threshold)
        if self.compare_worker is not None:
            self.compare_worker.set_top_k(top_k, self._threshold)

    def _on_threshold_changed(self, threshold: float) -> None:
        self._threshold = threshold
        self.worker.set_top_k(self._top_k, threshold)
        if self.compare_worker is not None:
            self.compare_worker.set_top_k(self._top_k, threshold)

    def set_mode(self, mode: str) -> None:
        """``continuous`` or ``click`` (classify on click or Space only)."""
        self._mode = mode
        self.worker.set_mode(mode)
        self.video.set_mode(mode)
        self.settings_panel.set_mode(mode)
        self.statusBar().showMessage(
            "Click the video or press Space to recognise"
            if mode == "click"
            else "Recognising every frame",
            4000,
        )

    def recognise_once(self) -> None:
        """Click mode: classify the current box once."""
        self.worker.recognise_once()

    # -- view -----------------------------------------------------------------------------
    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def leave_fullscreen(self) -> None:
        if self.help.isVisible():
            self.help.hide()
        elif self.isFullScreen():
            self.showNormal()

    def save_snapshot(self) -> Path | None:
        """Saves the view (frame, box, labels) as a PNG and says where in the status bar."""
        folder = self.snapshot_dir
        if folder is None:
            pictures = Path.home() / "Pictures"
            folder = pictures if pictures.is_dir() else Path.cwd()
        path = folder / time.strftime("camapp-%Y%m%d-%H%M%S.png")
        counter = 1
        while path.exists():
            path = folder / time.strftime(f"camapp-%Y%m%d-%H%M%S-{counter}.png")
            counter += 1
        if not self.video.grab().save(str(path), "PNG"):
            self._show_error(f"Cannot save a snapshot to {folder}")
            return None
        self.statusBar().showMessage(f"Snapshot saved to {path}", 8000)
        return path

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.help.isVisible():
            self.help.setGeometry(self.stack.rect())

    def _update_title(self) -> None:
        parts = ["camapp"]
        if self._model_info is not None:
            entry = self._entry(self._model_info.spec)
            parts.append(entry.name if entry else self._model_info.name)
        if self._has_source:
            parts.append(self.source.name)
        self.setWindowTitle(" - ".join(parts))

    # -- frame rates ----------------------------------------------------------------------
    def rates(self) -> dict[str, float]:
        """Frame rates over the last second: camera, display, inference, and inference ms."""
        stats = self.worker.stats()
        return {
            "camera_fps": self.source.fps.rate(),
            "display_fps": self.video.display_meter.rate(),
            "inference_fps": stats["inference_fps"],
            "inference_ms": stats["inference_ms"],
        }

    def _on_stats_timer_timeout(self) -> None:
        if self._closed:
            return
        r = self.rates()
        still = self.source.is_still
        camera = "still photo" if still else f"camera {r['camera_fps']:.1f} fps"
        text = (
            f"{camera} | display {r['display_fps']:.1f} fps | "
            f"inference {r['inference_fps']:.1f} fps, {r['inference_ms']:.1f} ms"
        )
        self.video.set_rates_text(text)
        self.rates_label.setText(text)
        self.results.rates.set_rates(
            r["camera_fps"], r["display_fps"], r["inference_fps"], r["inference_ms"]
        )
        if r["inference_ms"]:
            self.model_card.set_measured_ms(r["inference_ms"])
        if self.compare_worker is not None:
            b = self.compare_worker.stats()
            self.compare_panel.set_speed(0, r["inference_fps"], r["inference_ms"])
            self.compare_panel.set_speed(1, b["inference_fps"], b["inference_ms"])
            self.compare_panel.chart.add(r["inference_fps"], b["inference_fps"])
        if self.source.error and self.source.error != self.last_error:
            self._show_error(self.source.error)
        if self._measure_start is None and self.video.frames_shown:
            self._measure_start = (
                time.monotonic(),
                self.source.fps.count,
                self.video.frames_shown,
                self.predictions_shown,
            )

    def run_stats(self) -> dict[str, Any]:
        """Statistics of this run for ``--stats-json`` (rates averaged since the first frame)."""
        now = time.monotonic()
        camera = display = inference = 0.0
        if self._measure_start is not None:
            t0, cam0, disp0, pred0 = self._measure_start
            span = max(now - t0, 1e-6)
            camera = (self.source.fps.count - cam0) / span
            display = (self.video.frames_shown - disp0) / span
            inference = (self.predictions_shown - pred0) / span
        last = self.last_prediction
        top_k = []
        if last is not None:
            c = last.classification
            top_k = [
                {"label": label, "score": round(float(score), 6)}
                for label, score in zip(c.labels, c.scores, strict=True)
            ]
        steady_from = self.video.first_frame_time or self.started
        swaps = []
        for swap in self._swaps[1:]:
            end = (swap.changed or now) + 0.5
            swaps.append(
                {
                    "model": swap.spec,
                    "requested_s": round(swap.requested - self.started, 3),
                    "answered_after_s": round(swap.changed - swap.requested, 3)
                    if swap.changed
                    else None,
                    "load_ms": round(swap.load_ms, 1),
                    "max_gui_stall_ms": round(
                        self.stall_monitor.max_between(swap.requested, end), 1
                    ),
                }
            )
        info = self._model_info
        rates = self.rates()
        return {
            "camera_fps": round(camera, 2),
            "display_fps": round(display, 2),
            "inference_fps": round(inference, 2),
            "inference_ms_p50": round(percentile(self._invoke_ms, 50), 2),
            "inference_ms_p95": round(percentile(self._invoke_ms, 95), 2),
            "predictions": self.predictions_shown,
            "first_prediction_s": round(self.first_prediction_time - self.started, 3)
            if self.first_prediction_time
            else None,
            "max_gui_stall_ms": round(self.stall_monitor.max_between(steady_from), 1),
            "max_gui_stall_startup_ms": round(self.stall_monitor.max_between(0, steady_from), 1),
            "max_gui_stall_during_swap_ms": max(
                (s["max_gui_stall_ms"] for s in swaps), default=None
            ),
            "model": info.spec if info else None,
            "model_load_ms": round(info.load_ms, 1) if info else None,
            "threads": info.threads if info else None,
            "top_k": top_k,
            "last_second": {k: round(v, 2) for k, v in rates.items()},
            "stale_predictions_dropped": self.stale_dropped,
            "swaps": swaps,
            "compare": {
                "model": self._compare_info.spec,
                "threads": self._compare_info.threads,
                "predictions": self.compare_predictions,
                "inference_ms_p50": round(percentile(self._compare_invoke_ms, 50), 2),
                "inference_fps": round(self.compare_worker.stats()["inference_fps"], 2)
                if self.compare_worker
                else 0.0,
            }
            if self._compare_info
            else None,
            "source": self._source_spec,
            "duration_s": round(now - self.started, 3),
        }

    # -- compare mode ---------------------------------------------------------------------
    def _on_compare_chosen(self, spec: str) -> None:
        if spec:
            self.start_compare(spec)
        else:
            self.stop_compare()

    def _compare_threads(self) -> tuple[int, int]:
        """Cores split between the two models: a thread pool each, half the cores each."""
        cores = self._threads or default_threads()
        second = max(1, cores // 2)
        return max(1, cores - second), second

    def start_compare(self, spec: str) -> None:
        """Runs ``spec`` beside the current model on the same frames and the same box.

        The current model hands every frame it has classified to the second model, which
        runs on its own thread with half the cores; the display never waits for either.
        """
        first_threads, second_threads = self._compare_threads()
        if self.compare_worker is None:
            self._compare_relay = RelaySource("compare")
            self.compare_bridge = WorkerBridge(self)
            queued = Qt.ConnectionType.QueuedConnection
            self.compare_bridge.prediction_ready.connect(self._on_compare_prediction_ready, queued)
            self.compare_bridge.model_changed.connect(self._on_compare_model_changed, queued)
            self.compare_bridge.error_raised.connect(self._on_compare_error_raised, queued)
            self.compare_worker = InferenceWorker(
                self._compare_relay,
                self.compare_bridge,
                self._options_for,
                roi=self.video.roi,
                top_k=self._top_k,
                threshold=self._threshold,
                threads=second_threads,
                tag="compare",
            )
            self.worker.relay = self._compare_relay.slot
            self.compare_worker.start()
            current = self._model_info.spec if self._model_info else self._requested_model
            if current and (self._model_info is None or self._model_info.threads != first_threads):
                self.request_model(current, threads=first_threads)
        self.compare_worker.request_model(spec, threads=second_threads)
        self.compare_panel.set_active(True, spec)
        self.compare_panel.set_title(1, f"loading {spec}...")
        self.compare_panel.sharing.setText(
            f"Cores: {first_threads} thread(s) for the first model, {second_threads} for the "
            "second, each on its own worker. The second model classifies exactly the frames "
            "the first has just classified (same box); when it is slower it skips frames. "
            "The display does not wait for either."
        )
        self.docks["compare"].show()
        self.docks["compare"].raise_()

    def stop_compare(self) -> None:
        """Back to one model, with every core again."""
        if self.compare_worker is None:
            return
        self._close_compare_worker()
        self.compare_panel.set_active(False)
        current = self._model_info.spec if self._model_info else self._requested_model
        if current:
            self.request_model(current, threads=self._threads or None)
        self.docks["results"].raise_()

    def _close_compare_worker(self) -> None:
        self.worker.relay = None
        if self.compare_worker is not None:
            self.compare_worker.close()
            self.compare_worker = None
        self._compare_info = None
        self._compare_invoke_ms = []

    @property
    def compare_info(self) -> ModelInfo | None:
        return self._compare_info

    def _on_compare_prediction_ready(self, prediction: Prediction) -> None:
        info = self._compare_info
        if self._closed or self.compare_worker is None or info is None:
            return
        if prediction.generation < info.generation:
            return
        self.compare_predictions += 1
        self._compare_invoke_ms.append(prediction.classification.timings.invoke_ms)
        del self._compare_invoke_ms[:-2000]
        self.compare_panel.show_prediction(1, prediction)
        self.compare_prediction_shown.emit(prediction)

    def _on_compare_model_changed(self, info: ModelInfo) -> None:
        if self._closed or self.compare_worker is None:
            return
        self._compare_info = info
        self._compare_invoke_ms = []
        entry = self._entry(info.spec)
        self.compare_panel.set_title(
            1,
            f"{entry.name if entry else info.name} "
            f"({info.threads} thread{'s' * (info.threads > 1)})",
        )

    def _on_compare_error_raised(self, message: str) -> None:
        if not self._closed:
            self._show_error(f"compare: {message}")

    # -- settings and shutdown ------------------------------------------------------------
    def settings_snapshot(self) -> dict[str, Any]:
        """What is saved on exit: source, model, ROI, choices and the window's layout."""
        model = self._model_info.spec if self._model_info else self._requested_model
        return {
            "source": self._source_spec or None,
            "model": model or None,
            "roi": [round(v, 4) for v in self.video.roi.as_tuple()],
            "threads": self._threads or None,
            "top_k": self._top_k,
            "threshold": round(self._threshold, 4),
            "mode": self._mode,
            "compare": self._compare_info.spec if self._compare_info else None,
            "window": {
                "geometry": _encode(self.saveGeometry()),
                "state": _encode(self.saveState()),
            },
        }

    def threads(self) -> list[Any]:
        """The threads this window owns (worker, model loader, capture)."""
        owned = list(self.worker.threads)
        if self.compare_worker is not None:
            owned.extend(self.compare_worker.threads)
        if getattr(self.source, "_thread", None) is not None:
            owned.append(self.source._thread)
        return owned

    def shutdown(self) -> None:
        """Stops timers, closes the worker and then the source (joining threads); idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stats_timer.stop()
        self.stall_monitor.stop()
        self.video.stop()
        self._close_compare_worker()
        self.worker.close()
        self.source.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        event.accept()
        self.closed.emit()

    @property
    def central(self) -> QWidget:
        return self.stack


def _scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area, so a short dock never squeezes its rows together."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area


def _roi_from(value: object) -> ROI:
    """The saved ROI (a list or ``"L,T,R,B"``), or the default box when unreadable."""
    try:
        if isinstance(value, str):
            return ROI.parse(value)
        if isinstance(value, (list, tuple)) and len(value) == 4:
            return ROI.clamped(*[float(v) for v in value])
    except (CamappError, TypeError, ValueError):
        pass
    return ROI.clamped(0.3, 0.2, 0.7, 0.8)
