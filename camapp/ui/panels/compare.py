"""ComparePanel: two variants side by side on the same frames, with a live fps chart."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from camapp.pipeline.events import Prediction
from camapp.store.catalog import ModelEntry
from camapp.store.variants import classifiers
from camapp.ui.panels.fps_chart import COLOURS, FpsChartView
from camapp.ui.panels.live_text import LiveText
from camapp.ui.panels.score_bars import ScoreBarsView

#: Bar height in the compare columns: five answers of two models fit a 1280x720 window.
COMPACT_ROW = 22


class _Column(QWidget):
    """One model's answer: name, top-k bars, and its speed."""

    def __init__(self, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("-")
        self.title.setWordWrap(True)
        self.title.setStyleSheet(f"color: {colour}; font-weight: bold")
        self.bars = ScoreBarsView(row=COMPACT_ROW)
        self.speed = LiveText("")  # changes four times a second: no re-layout
        layout.addWidget(self.title)
        layout.addWidget(self.bars)
        layout.addWidget(self.speed)


class ComparePanel(QWidget):
    """Two variants on the same ROI crop of the same frames, side by side.

    Choosing a model in "Compare with" asks the window to start compare mode; "off" stops it.
    The list offers every installed classifier but the one running now. Its layout fits a
    dock of the default width (about 360 pixels) without scrolling sideways.
    """

    #: The user picked a model to compare with ("" turns compare mode off).
    compare_chosen = pyqtSignal(str)

    def __init__(
        self, entries: Sequence[ModelEntry], installed: set[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._entries = classifiers(entries)
        self._installed = set(installed)
        self._running = ""
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare with"))
        self.choice = QComboBox()
        self.choice.setObjectName("compareChoice")
        self.choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.choice.setMinimumContentsLength(10)
        self.choice.setToolTip("Run a second model on the same frames and show both answers")
        self._fill_choice()
        row.addWidget(self.choice, 1)
        layout.addLayout(row)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        self.columns = (_Column(COLOURS[0]), _Column(COLOURS[1]))
        grid.addWidget(self.columns[0], 0, 0)
        grid.addWidget(self.columns[1], 0, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.chart = FpsChartView()
        layout.addWidget(self.chart)
        self.sharing = QLabel("")
        self.sharing.setWordWrap(True)
        self.sharing.setStyleSheet("color: gray")
        layout.addWidget(self.sharing)
        layout.addStretch(1)
        self.choice.activated.connect(
            lambda index: self.compare_chosen.emit(str(self.choice.itemData(index) or ""))
        )
        self.set_active(False)

    def offered(self) -> list[str]:
        """The ids "Compare with" offers (after "off")."""
        return [str(self.choice.itemData(i)) for i in range(1, self.choice.count())]

    def set_running(self, model_id: str) -> None:
        """The model running now: not offered to compare with itself."""
        if model_id != self._running:
            self._running = model_id
            self._fill_choice()

    def set_installed(self, installed: set[str]) -> None:
        """The installed models changed (the models manager): offer those."""
        self._installed = set(installed)
        self._fill_choice()

    def _fill_choice(self) -> None:
        current = self.choice.currentData() or ""
        self.choice.blockSignals(True)
        self.choice.clear()
        self.choice.addItem("off", "")
        for entry in self._entries:
            if entry.id in self._installed and entry.id != self._running:
                self.choice.addItem(entry.name, entry.id)
        self.choice.setCurrentIndex(max(0, self.choice.findData(current)))
        self.choice.blockSignals(False)

    def set_active(self, active: bool, model_id: str = "") -> None:
        """Shows the two columns and chart only while comparing."""
        self.active = active
        for widget in (*self.columns, self.chart):
            widget.setVisible(active)
        if not active:
            self.choice.setCurrentIndex(0)
            self.chart.clear()
            self.sharing.setText("Pick a second model to see both answers side by side.")
        else:
            index = self.choice.findData(model_id)
            if index >= 0:
                self.choice.setCurrentIndex(index)

    def set_title(self, column: int, text: str) -> None:
        """Names the model of ``column`` (0: the current one, 1: the compared one)."""
        self.columns[column].title.setText(text)

    def show_prediction(self, column: int, prediction: Prediction) -> None:
        """Shows the top-k bars of ``prediction`` in ``column``."""
        c = prediction.classification
        self.columns[column].bars.set_rows(
            list(zip(c.labels, c.scores)), placeholder="nothing above the threshold"
        )

    def set_speed(self, column: int, fps: float, ms: float, possible: bool = False) -> None:
        """Shows the inference time (ms) and rate (fps) of ``column``'s model.

        Args:
            column: 0 for the current model, 1 for the compared one.
            fps: The rate measured live, or (``possible``) what its measured time allows.
            ms: Median time of one invoke (0: not measured yet).
            possible: A still photo: nothing runs at a rate, ``fps`` is what could.
        """
        if possible:
            text = f"{ms:.1f} ms, {fps:.0f} fps possible here" if ms > 0 else "measuring..."
        else:
            text = f"{ms:.1f} ms, {fps:.1f} fps"
        self.columns[column].speed.setText(text)
