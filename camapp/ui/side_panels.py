"""The window's docks: results, compare, settings, model card and labels, fed from the session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QDialog, QDockWidget, QMainWindow, QScrollArea, QTabWidget, QWidget

from camapp.inference.runtime import default_threads
from camapp.pipeline.events import ModelInfo, Prediction
from camapp.pipeline.session import Session
from camapp.pipeline.worker import InferenceWorker
from camapp.store.catalog import ModelEntry
from camapp.store.variants import count_text, counterpart, install_command
from camapp.ui.pacer import Pacer
from camapp.ui.panels import (
    ComparePanel,
    LabelsPanel,
    ModelCardPanel,
    ResultsPanel,
    SettingsPanel,
    file_size,
)
from camapp.ui.panels.card_compare import CardCompareView
from camapp.ui.panels.fps_chart import CHART_SECONDS
from camapp.ui.panels.teach import TeachPanel
from camapp.ui.run_stats import ModelSpeed, RunRecorder
from camapp.ui.teach_controller import TeachUiController

#: Dock key, title; tabbed in pairs as listed in :meth:`SidePanels._dock`.
DOCKS = (
    ("results", "Results"),
    ("compare", "Compare"),
    ("teach", "Teach"),
    ("settings", "Settings"),
    ("model_card", "Model card"),
    ("labels", "Labels"),
)
#: Width of the dock column at start (pixels): the compare tab is laid out for it.
DOCK_WIDTH = 360
#: The side panels show a live source's answers at most this often (5 Hz).
PANEL_INTERVAL_MS = 200
#: Share of the dock column's height the Compare tab takes when compare mode starts.
COMPARE_SHARE = 0.7


def _scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area, so a short dock never squeezes its rows together and a
    small screen (800x480) can always make the dock smaller than its contents."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area


def fit_to_screen(window: QWidget) -> None:
    """Makes ``window`` no larger than its screen's free area, and puts it inside it.

    The window opens at 1280x760 or at the size it was saved at; on a 7" 800x480 screen
    that would leave the docks and the status bar off-screen, and without a window manager
    full screen keeps the size too. The docks scroll, so the window works at any size from
    its minimum up. (The ``offscreen`` platform's 800x600 screen is a fiction: tests size
    their windows themselves.)
    """
    screen = window.screen()
    app = QGuiApplication.instance()
    if screen is None or (isinstance(app, QGuiApplication) and app.platformName() == "offscreen"):
        return
    room = screen.availableGeometry()
    size = window.size().boundedTo(room.size())
    if size != window.size():
        window.resize(size)
    frame = window.frameGeometry()
    if not room.contains(frame):
        x = min(max(frame.x(), room.x()), room.right() - frame.width() + 1)
        y = min(max(frame.y(), room.y()), room.bottom() - frame.height() + 1)
        window.move(max(room.x(), x), max(room.y(), y))


def threads_text(info: ModelInfo, name: str) -> str:
    """``MobileNet V2 (2 threads)``."""
    return f"{name} ({info.threads} thread{'s' * (info.threads > 1)})"


class SidePanels:
    """Builds the five docks of ``window`` and turns session news into panel updates.

    Panel signals go straight to the session (threshold, threads) or to the callbacks the
    window passes (model chosen, top-k, mode, compare chosen), which keep the other views
    in step. Every dock's contents scroll, so the window fits an 800x480 screen.
    """

    def __init__(
        self,
        window: QMainWindow,
        session: Session,
        on_model_chosen: Callable[[str], None],
        on_top_k_changed: Callable[[int], None],
        on_mode_changed: Callable[[str], None],
        on_compare_chosen: Callable[[str], None],
    ) -> None:
        self.window = window
        self.session = session
        self.store = session.store
        entries = list(self.store.catalog)
        installed = {e.id for e in self.store.installed()}
        #: Median invoke ms measured here, by model spec (this run).
        self.measured: dict[str, float] = {}
        self._failure = ""
        # The panels follow a live source's answers at a few Hz (the box label on the video
        # follows every frame): each panel update is GUI-thread time taken from the model.
        self._pacer: Pacer[Prediction] = Pacer(PANEL_INTERVAL_MS, self._show_prediction, window)
        self.results = ResultsPanel(session.top_k, session.threshold)
        click = session.mode == "click"
        self.results.clear(
            "click the picture or press Space" if click else "waiting for the first answer..."
        )
        self.results.top_k_changed.connect(on_top_k_changed)
        self.results.threshold_changed.connect(session.set_threshold)
        self.settings = SettingsPanel(
            entries,
            installed,
            threads=session.threads_setting or 0,
            top_k=session.top_k,
            mode=session.mode.value,
            max_threads=default_threads(),
            tuned=session.tunes,
        )
        self.settings.model_chosen.connect(on_model_chosen)
        self.settings.entry_viewed.connect(lambda model_id: self.view_entry(model_id, False))
        self.settings.card_requested.connect(self.view_entry)
        self.settings.install_requested.connect(self.install)
        self.settings.threads_changed.connect(self._on_settings_threads_changed)
        self.settings.mode_changed.connect(on_mode_changed)
        self.settings.top_k_changed.connect(on_top_k_changed)
        self.compare = ComparePanel(entries, installed)
        self.compare.compare_chosen.connect(on_compare_chosen)
        self.settings.installed_changed.connect(self._on_installed_changed)
        self.model_card = ModelCardPanel()
        self.model_card.install_requested.connect(self.install)
        self.model_card.back_requested.connect(self._show_running_card)
        self.card_compare = CardCompareView(entries)
        self.card_tabs = QTabWidget()
        self.card_tabs.setObjectName("cardTabs")
        self.card_tabs.setDocumentMode(True)
        self.card_tabs.addTab(self.model_card, "Card")
        self.card_tabs.addTab(self.card_compare, "Compare cards")  # the table scrolls
        self.card_tabs.currentChanged.connect(lambda _index: self._refresh_card_compare())
        self.labels = LabelsPanel()
        self.teach_panel = TeachPanel()
        widgets: dict[str, QWidget] = {
            "results": _scrolling(self.results),
            "compare": _scrolling(self.compare),
            "teach": _scrolling(self.teach_panel),
            "settings": _scrolling(self.settings),
            "model_card": self.card_tabs,
            "labels": self.labels,
        }
        self.docks: dict[str, QDockWidget] = {}
        for key, title in DOCKS:
            dock = QDockWidget(title, window)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widgets[key])
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.docks[key] = dock
        window.tabifyDockWidget(self.docks["results"], self.docks["compare"])
        window.tabifyDockWidget(self.docks["compare"], self.docks["teach"])
        self.docks["results"].raise_()
        self.teach = TeachUiController(
            window, session, self.teach_panel, self.docks["teach"], self.labels.set_labels
        )
        window.tabifyDockWidget(self.docks["settings"], self.docks["model_card"])
        window.tabifyDockWidget(self.docks["model_card"], self.docks["labels"])
        self.docks["settings"].raise_()
        window.resizeDocks([self.docks["results"]], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        self.card_compare.set_models([e.id for e in self.store.catalog.defaults()][:2])

    def entry(self, spec: str) -> ModelEntry | None:
        catalog = self.store.catalog
        return catalog.get(spec) if spec in catalog else None

    def name(self, info: ModelInfo) -> str:
        """The catalog name of a model, else the file's."""
        entry = self.entry(info.spec)
        return entry.name if entry else info.name

    def _file_bytes(self, entry: ModelEntry) -> int | None:
        return file_size([p for p in (self.store.find(f) for f in entry.files) if p])

    # -- news from the session --------------------------------------------------------------
    def show_prediction(self, prediction: Prediction) -> None:
        """An answer of the main model (or, with ``tag``, of the compared one): shown at once
        for a still photo, else at most every :data:`PANEL_INTERVAL_MS` (the newest)."""
        self._pacer.push(prediction, key=prediction.tag, now=self.session.source.is_still)

    def flush(self) -> None:
        """Shows at once the answers still waiting for the panels' next update."""
        self._pacer.flush()

    def _show_prediction(self, prediction: Prediction) -> None:
        if prediction.tag:
            self.compare.show_prediction(1, prediction)
            return
        self.results.show_prediction(prediction, live=not self.session.source.is_still)
        self.teach.show_prediction(prediction)
        if self.session.compare_worker is not None:
            self.compare.show_prediction(0, prediction)

    def show_model(self, info: ModelInfo) -> None:
        """A model now answers: its card, labels, title in the compare tab, settings choice."""
        title = threads_text(info, self.name(info))
        if info.tag:
            if not self.compare.active:  # compare mode from the settings or --compare
                self.compare_started(info.spec, self.session.compare_threads())
            self.compare.set_title(1, title)
            return
        self._pacer.clear()  # answers of the model before are out of date
        entry = self.entry(info.spec)
        paths = [self.store.find(f) for f in entry.files] if entry else [Path(info.spec)]
        self.model_card.show_model(info, entry, file_size([p for p in paths if p]))
        self.labels.set_labels(info.labels)
        self.compare.set_title(0, title)
        self.compare.set_running(info.spec)
        self.settings.show_model(info.spec)
        self._failure = ""
        self.settings.show_running(self.name(info))
        self.teach.show_model(info)
        if entry is not None:
            other = counterpart(list(self.store.catalog), entry)
            self.card_compare.set_models([entry.id] + ([other.id] if other else []))

    def error_raised(self, message: str) -> None:
        """An error of the session: a model that did not load shows in the settings."""
        if message.startswith("cannot load "):
            self.model_failed(message)

    def model_failed(self, message: str) -> None:
        """A model did not load: the settings show the one running (or none) and why."""
        info = self.session.model_info
        self._failure = message
        if info is not None:
            self.settings.show_model(info.spec)
        self.settings.show_running(self.name(info) if info else None, failure=message)

    def scene_changed(self) -> None:
        """N / P or your own photo: an answer about the photo before is not shown any more."""
        self._pacer.clear()  # answers about the photo before are out of date
        frame = self.session.source.latest()
        last = getattr(self.window, "last_prediction", None)
        if frame is None or (last is not None and last.frame_id >= frame.id):
            return  # the new photo's answer is here already
        click = self.session.mode == "click"
        self.results.clear("click the picture or press Space" if click else "recognising...")
        for column in self.compare.columns:
            column.bars.set_rows([], placeholder="a new photo")

    def show_rates(self, rates: dict[str, float], recorder: RunRecorder) -> None:
        """The last second's frame rates (and the compared model's), and the model's speed.

        Args:
            rates: :meth:`RunRecorder.rates`.
            recorder: Says how fast the loaded model runs here and what is open.
        """
        speed, still, last_ms = recorder.speed(), recorder.still_text(), recorder.last_ms()
        panel = self.results.rates
        if still is None:
            panel.set_rates(
                rates["camera_fps"],
                rates["display_fps"],
                rates["inference_fps"],
                rates["inference_ms"],
            )
        else:
            panel.set_still(still, last_ms)
        panel.set_device_speed(speed.text())  # live: it may change every second
        info = self.session.model_info
        # The card and the settings show the model's own measurement, which changes once per
        # model (and once more when it is tuned): no HTML redrawn four times a second.
        measured = recorder.measured_speed()
        if measured.ms > 0 and info is not None:
            self.model_card.set_speed(measured.ms, measured.fps, measured.how, self._tuned(info))
            self.settings.show_running(
                self.name(info), f"{measured.ms:.1f} ms, {measured.fps:.0f} fps here", self._failure
            )
            if abs(self.measured.get(info.spec, 0.0) - measured.ms) >= 0.05:
                self.measured[info.spec] = measured.ms
                if self.card_tabs.currentWidget() is self.card_compare:
                    self._refresh_card_compare()
        second = self.session.compare_worker
        if second is not None:
            self._show_compare_rates(rates, speed, still is not None, second)

    def _tuned(self, info: ModelInfo) -> str:
        """The model card's "Fastest here": the tuned path, or why there is none (yet)."""
        session = self.session
        if session.threads_setting:
            return f"not timed: {count_text(session.threads_setting, 'thread')} set in Settings"
        if session.compare_worker is not None:
            return "not timed in compare mode"
        tuned = session.tuned(info.spec)
        if tuned is not None:
            return tuned.describe()
        if not session.tunes:
            return "-"
        return f"timing 1 to {default_threads()} threads, with and without XNNPACK..."

    def _show_compare_rates(
        self, rates: dict[str, float], speed: ModelSpeed, still: bool, second: InferenceWorker
    ) -> None:
        """Both models' speed: live rates, or on a still photo what each could do here."""
        chart = self.compare.chart
        if not still:
            b = second.stats()
            self.compare.set_speed(0, rates["inference_fps"], rates["inference_ms"])
            self.compare.set_speed(1, b["inference_fps"], b["inference_ms"])
            chart.caption = f"inference fps, last {CHART_SECONDS} s"
            chart.add(rates["inference_fps"], b["inference_fps"])
            return
        measured = second.measured
        info = self.session.compare_info
        if measured is None or info is None or measured.generation != info.generation:
            measured = None
        second_ms, second_fps = (measured.median_ms, measured.fps) if measured else (0.0, 0.0)
        self.compare.set_speed(0, speed.fps, speed.ms, possible=True)
        self.compare.set_speed(1, second_fps, second_ms, possible=True)
        chart.caption = f"fps possible here (a still photo), last {CHART_SECONDS} s"
        if speed.fps > 0 and second_fps > 0:  # not measured yet is no 0 fps
            chart.add(speed.fps, second_fps)

    # -- model cards --------------------------------------------------------------------------
    def view_entry(self, model_id: str, raise_card: bool = True) -> None:
        """Shows the card of catalog entry ``model_id`` (installed or not) in the card tab.

        Args:
            model_id: A catalog id.
            raise_card: Bring the Model card dock to the front.
        """
        entry = self.entry(model_id)
        if entry is None:
            return
        installed = self.store.is_installed(entry)
        self.model_card.show_entry(
            entry,
            installed,
            self._file_bytes(entry) if installed else None,
            self.measured.get(entry.id),
        )
        self.card_tabs.setCurrentWidget(self.model_card)
        if raise_card:
            self.docks["model_card"].show()
            self.docks["model_card"].raise_()

    def _show_running_card(self) -> None:
        info = self.session.model_info
        if info is None:
            return
        self.show_model(info)
        self.settings.show_model(info.spec)

    def _on_installed_changed(self, installed: set[str]) -> None:
        """The models manager installed or removed models: the lists and cards follow."""
        self.compare.set_installed(installed)
        self._refresh_card_compare()
        entry = self.model_card.entry
        if entry is not None and not self.model_card.showing_running_model:
            self.view_entry(entry.id, raise_card=False)  # "Install..." gone once installed

    def _refresh_card_compare(self) -> None:
        installed = {e.id for e in self.store.installed()}
        sizes = {
            model_id: self._file_bytes(entry)
            for model_id in self.card_compare.chosen()
            if model_id in installed and (entry := self.entry(model_id)) is not None
        }
        self.card_compare.set_context(installed, sizes, dict(self.measured))

    def show_card_comparison(self, ids: list[str]) -> None:
        """Opens the card comparison of these catalog ids."""
        self.card_compare.set_models(ids)
        self.card_tabs.setCurrentWidget(self.card_compare)
        self._refresh_card_compare()
        self.docks["model_card"].show()
        self.docks["model_card"].raise_()

    def install(self, model_id: str) -> None:
        """Offers to install ``model_id``: the models manager if the window has one, else the
        command (copied to the clipboard)."""
        action = getattr(self.window, "actions_by_name", {}).get("models")
        if action is not None:
            action.trigger()
            dialog = self.window.findChild(QDialog, "modelsDialog")
            select = getattr(dialog, "select", None)
            if callable(select):
                select([model_id])
            return
        command = install_command(model_id)
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(command)
        bar = self.window.statusBar()
        if bar is not None:
            bar.showMessage(f"To install it, run: {command} (copied)", 15000)

    # -- choices ------------------------------------------------------------------------------
    def set_top_k(self, top_k: int) -> None:
        self.results.top_k.blockSignals(True)
        self.results.top_k.setValue(top_k)
        self.results.top_k.blockSignals(False)
        self.settings.set_top_k(top_k)

    def _on_settings_threads_changed(self, threads: int) -> None:
        if (threads or None) != self.session.threads_setting:
            self.session.set_threads(threads or None)

    def start_compare(self, spec: str) -> None:
        """Runs ``spec`` beside the current model on the same frames and box ("": stop)."""
        if not spec:
            self.stop_compare()
            return
        self.session.start_compare(spec)
        self.compare_started(spec, self.session.compare_threads())

    def stop_compare(self) -> None:
        """Back to one model, with every core again."""
        if self.session.compare_worker is not None:
            self.session.stop_compare()
            self.compare_stopped()

    def compare_started(self, spec: str, threads: tuple[int, int]) -> None:
        first, second = threads
        self.compare.set_active(True, spec)
        self.compare.set_title(1, f"loading {spec}...")
        self.compare.sharing.setText(
            f"Cores: {first} thread(s) for the first model, {second} for the second, each on "
            "its own worker. The second model classifies the frames the first has just "
            "classified (same box) and skips frames when it is slower."
        )
        dock = self.docks["compare"]
        dock.show()
        dock.raise_()
        QTimer.singleShot(0, self._make_room_for_compare)  # once laid out, so the size holds

    def _make_room_for_compare(self) -> None:
        """Most of the dock column's height for both columns and the chart."""
        height = self.window.height()
        below = next((d for d in self._lower_docks() if not d.visibleRegion().isEmpty()), None)
        docks = [self.docks["compare"]] + ([below] if below is not None else [])
        shares = [COMPARE_SHARE, 1.0 - COMPARE_SHARE][: len(docks)]
        # Both sizes at once: one alone is spread over the column by Qt and barely moves.
        self.window.resizeDocks(docks, [int(height * s) for s in shares], Qt.Orientation.Vertical)

    def _lower_docks(self) -> list[QDockWidget]:
        return [self.docks[key] for key in ("settings", "model_card", "labels")]

    def compare_stopped(self) -> None:
        self.compare.set_active(False)
        self.docks["results"].raise_()
