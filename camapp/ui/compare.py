"""Compare mode: two variants side by side on the same frames, with a live fps chart."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PyQt6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from camapp.pipeline.worker import Prediction
from camapp.store.catalog import ModelEntry
from camapp.ui.panels import ScoreBarsView

#: Line colours of the two models in the chart and the column titles.
COLOURS = ("#1f77b4", "#d62728")
#: Seconds of history in the fps chart.
CHART_SECONDS = 20


class FpsChartView(QWidget):
    """Inference fps of both models over the last :data:`CHART_SECONDS` seconds."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: tuple[deque[float], deque[float]] = (
            deque(maxlen=CHART_SECONDS * 2),
            deque(maxlen=CHART_SECONDS * 2),
        )
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def add(self, fps_a: float, fps_b: float) -> None:
        """Appends one sample per model (called twice a second)."""
        self.series[0].append(fps_a)
        self.series[1].append(fps_b)
        self.update()

    def clear(self) -> None:
        for s in self.series:
            s.clear()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(34, 8, -6, -18)
        text_colour = self.palette().text().color()
        painter.setPen(QPen(self.palette().mid().color(), 1))
        painter.drawRect(area)
        top = max([1.0, *self.series[0], *self.series[1]]) * 1.15
        painter.setPen(text_colour)
        painter.drawText(
            QRectF(0, area.top() - 6, 32, 14), Qt.AlignmentFlag.AlignRight, f"{top:.0f}"
        )
        painter.drawText(QRectF(0, area.bottom() - 8, 32, 14), Qt.AlignmentFlag.AlignRight, "0")
        painter.drawText(
            QRectF(area.left(), area.bottom() + 2, area.width(), 14),
            Qt.AlignmentFlag.AlignCenter,
            f"inference fps, last {CHART_SECONDS} s",
        )
        step = area.width() / max(1, (self.series[0].maxlen or 2) - 1)
        for colour, values in zip(COLOURS, self.series):
            if len(values) < 2:
                continue
            path = QPainterPath()
            start = area.right() - step * (len(values) - 1)
            for i, value in enumerate(values):
                point = QPointF(start + i * step, area.bottom() - area.height() * value / top)
                if i == 0:
                    path.moveTo(point)
                else:
                    path.lineTo(point)
            painter.setPen(QPen(QColor(colour), 2))
            painter.drawPath(path)


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
        for entry in entries:
            if entry.kind == "classifier" and entry.id in installed:
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
        self.columns[column].title.setText(text)

    def show_prediction(self, column: int, prediction: Prediction) -> None:
        c = prediction.classification
        self.columns[column].bars.set_rows(
            list(zip(c.labels, c.scores)), placeholder="nothing above the threshold"
        )

    def set_speed(self, column: int, fps: float, ms: float) -> None:
        self.columns[column].speed.setText(f"{ms:.1f} ms, {fps:.1f} fps")
