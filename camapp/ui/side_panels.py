"""The window's docks: results, compare, settings, model card and labels, fed from the session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QWidget

from camapp.inference.runtime import default_threads
from camapp.pipeline.events import ModelInfo, Prediction
from camapp.pipeline.session import Session
from camapp.store.catalog import ModelEntry
from camapp.ui.panels import (
    ComparePanel,
    LabelsPanel,
    ModelCardPanel,
    ResultsPanel,
    SettingsPanel,
    file_size,
)
from camapp.ui.panels.teach import TeachPanel
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


def _scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area, so a short dock never squeezes its rows together."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area


def threads_text(info: ModelInfo, name: str) -> str:
    """``MobileNet V2 (2 threads)``."""
    return f"{name} ({info.threads} thread{'s' * (info.threads > 1)})"


class SidePanels:
    """Builds the five docks of ``window`` and turns session news into panel updates.

    Panel signals go straight to the session (threshold, threads) or to the callbacks the
    window passes (model chosen, top-k, mode, compare chosen), which keep the other views
    in step.
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
        self.session = session
        self.store = session.store
        entries = list(self.store.catalog)
        installed = {e.id for e in self.store.installed()}
        self.results = ResultsPanel(session.top_k, session.threshold)
        self.results.clear("waiting for the first answer...")
        self.results.top_k_changed.connect(on_top_k_changed)
        self.results.threshold_changed.connect(session.set_threshold)
        self.settings = SettingsPanel(
            entries,
            installed,
            threads=session.threads_setting or 0,
            top_k=session.top_k,
            mode=session.mode.value,
            max_threads=default_threads(),
        )
        self.settings.model_chosen.connect(on_model_chosen)
        self.settings.threads_changed.connect(self._on_settings_threads_changed)
        self.settings.mode_changed.connect(on_mode_changed)
        self.settings.top_k_changed.connect(on_top_k_changed)
        self.compare = ComparePanel(entries, installed)
        self.compare.compare_chosen.connect(on_compare_chosen)
        self.model_card = ModelCardPanel()
        self.labels = LabelsPanel()
        self.teach_panel = TeachPanel()
        widgets: dict[str, QWidget] = {
            "results": self.results,
            "compare": _scrolling(self.compare),
            "teach": _scrolling(self.teach_panel),
            "settings": self.settings,
            "model_card": self.model_card,
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
        window.resizeDocks([self.docks["results"]], [360], Qt.Orientation.Horizontal)

    def entry(self, spec: str) -> ModelEntry | None:
        catalog = self.store.catalog
        return catalog.get(spec) if spec in catalog else None

    def name(self, info: ModelInfo) -> str:
        """The catalog name of a model, else the file's."""
        entry = self.entry(info.spec)
        return entry.name if entry else info.name

    # -- news from the session --------------------------------------------------------------
    def show_prediction(self, prediction: Prediction) -> None:
        """An answer of the main model (or, with ``tag``, of the compared one)."""
        if prediction.tag:
            self.compare.show_prediction(1, prediction)
            return
        self.results.show_prediction(prediction)
        self.teach.show_prediction(prediction)
        if self.session.compare_worker is not None:
            self.compare.show_prediction(0, prediction)

    def show_model(self, info: ModelInfo) -> None:
        """A model now answers: its card, labels, title in the compare tab, settings choice."""
        title = threads_text(info, self.name(info))
        if info.tag:
            self.compare.set_title(1, title)
            return
        entry = self.entry(info.spec)
        paths = [self.store.find(f) for f in entry.files] if entry else [Path(info.spec)]
        self.model_card.show_model(info, entry, file_size([p for p in paths if p]))
        self.labels.set_labels(info.labels)
        self.compare.set_title(0, title)
        self.settings.show_model(info.spec)
        self.teach.show_model(info)

    def show_rates(self, rates: dict[str, float]) -> None:
        """The last second's frame rates (and the compared model's)."""
        self.results.rates.set_rates(
            rates["camera_fps"], rates["display_fps"], rates["inference_fps"], rates["inference_ms"]
        )
        if rates["inference_ms"]:
            self.model_card.set_measured_ms(rates["inference_ms"])
        second = self.session.compare_worker
        if second is not None:
            b = second.stats()
            self.compare.set_speed(0, rates["inference_fps"], rates["inference_ms"])
            self.compare.set_speed(1, b["inference_fps"], b["inference_ms"])
            self.compare.chart.add(rates["inference_fps"], b["inference_fps"])

    # -- choices ------------------------------------------------------------------------------
    def set_top_k(self, top_k: int) -> None:
        self.results.top_k.blockSignals(True)
        self.results.top_k.setValue(top_k)
        self.results.top_k.blockSignals(False)
        self.settings.set_top_k(top_k)

    def _on_settings_threads_changed(self, threads: int) -> None:
        if (threads or None) != self.session.threads_setting:
            self.session.set_threads(threads or None)

    def compare_started(self, spec: str, threads: tuple[int, int]) -> None:
        first, second = threads
        self.compare.set_active(True, spec)
        self.compare.set_title(1, f"loading {spec}...")
        self.compare.sharing.setText(
            f"Cores: {first} thread(s) for the first model, {second} for the second, each on "
            "its own worker. The second model classifies exactly the frames the first has "
            "just classified (same box); when it is slower it skips frames. The display does "
            "not wait for either."
        )
        self.docks["compare"].show()
        self.docks["compare"].raise_()

    def compare_stopped(self) -> None:
        self.compare.set_active(False)
        self.docks["results"].raise_()
