"""ComparePanel: two variants side by side on the same frames, with a live fps chart."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from camapp.pipeline.events import Prediction
from camapp.store.catalog import ModelEntry
from camapp.store.variants import classifiers
from camapp.ui.panels.fps_chart import COLOURS, FpsChartView
from camapp.ui.panels.score_bars import ScoreBarsView


class _Column(QWidget):
    """One model's answer: name, top-k bars, and its speed."""

    def __init__(self, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("-")
        self.title.setWordWrap(True)
        self.title.setStyleSheet(f"color: {colour}; font-weight: bold")
        self.bars = ScoreBarsView()
        self.speed = QLabel("")
        layout.addWidget(self.title)
        layout.addWidget(self.bars)
        layout.addWidget(self.speed)


class ComparePanel(QWidget):
    """Two variants on the same ROI crop of the same frames, side by side.

    Choosing a model in "Compare with" asks the window to start compare mode; "off" stops it.
    """

    #: The user picked a model to compare with ("" turns compare mode off).
    compare_chosen = pyqtSignal(str)

    def __init__(
        self, entries: Sequence[ModelEntry], installed: set[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare with"))
        self.choice = QComboBox()
        self.choice.addItem("off", "")
        for entry in classifiers(entries):
            if entry.id in installed:
                self.choice.addItem(entry.name, entry.id)
        self.choice.setToolTip("Run a second model on the same frames and show both answers")
        row.addWidget(self.choice, 1)
        layout.addLayout(row)
        grid = QGridLayout()
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

    def set_active(self, active: bool, model_id: str = "") -> None:
        """Shows the two columns and chart only while comparing."""
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

    def set_speed(self, column: int, fps: float, ms: float) -> None:
        """Shows the inference time (ms) and rate (fps) of ``column``'s model."""
        self.columns[column].speed.setText(f"{ms:.1f} ms, {fps:.1f} fps")
