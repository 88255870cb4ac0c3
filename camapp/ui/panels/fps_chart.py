"""FpsChartView: inference frame rates of two models over the last seconds."""

from __future__ import annotations

from collections import deque

from PyQt6.QtCore import QPointF, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

#: Line colours of the two models in the chart and the column titles.
COLOURS = ("#1f77b4", "#d62728")
#: Seconds of history in the fps chart.
CHART_SECONDS = 20
#: The chart's height: enough to read two lines and their scale.
CHART_HEIGHT = 120


class FpsChartView(QWidget):
    """Inference fps of both models over the last :data:`CHART_SECONDS` seconds."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: tuple[deque[float], deque[float]] = (
            deque(maxlen=CHART_SECONDS * 2),
            deque(maxlen=CHART_SECONDS * 2),
        )
        self.setMinimumSize(120, CHART_HEIGHT)
        #: What the lines are, written under them.
        self.caption = f"inference fps, last {CHART_SECONDS} s"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(300, CHART_HEIGHT)

    def add(self, fps_a: float, fps_b: float) -> None:
        """Appends one sample per model (called twice a second)."""
        self.series[0].append(fps_a)
        self.series[1].append(fps_b)
        self.update()

    def clear(self) -> None:
        """Forgets every sample."""
        for s in self.series:
            s.clear()
        self.update()

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 - Qt override
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
            self.caption,
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
