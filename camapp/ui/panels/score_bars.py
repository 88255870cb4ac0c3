"""ScoreBarsView: top-k labels drawn as probability bars."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent
from PyQt6.QtWidgets import QSizePolicy, QWidget


class ScoreBarsView(QWidget):
    """Top-k labels, each with a probability bar and a percentage.

    A label longer than its bar ends in "..." (narrow docks, the compare tab's columns).

    Args:
        row: Height of one row in pixels (:attr:`ROW`; the compare tab's are smaller).
    """

    ROW = 28

    def __init__(self, parent: QWidget | None = None, row: int = ROW) -> None:
        super().__init__(parent)
        self.row = row
        self._rows: list[tuple[str, float]] = []
        self._placeholder = "waiting for the first answer..."
        self.setMinimumHeight(self.row * 3)
        self.setMinimumWidth(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    def set_rows(self, rows: Sequence[tuple[str, float]], placeholder: str = "") -> None:
        """``(label, score)`` rows, highest first; ``placeholder`` shows when there are none."""
        self._rows = list(rows)
        if placeholder:
            self._placeholder = placeholder
        self.setMinimumHeight(self.row * max(3, len(self._rows)) + 4)
        self.update()

    @property
    def rows(self) -> list[tuple[str, float]]:
        """The ``(label, score)`` rows shown, highest first."""
        return list(self._rows)

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        if not self._rows:
            painter.setPen(palette.placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
            return
        width = self.width()
        bold = QFont(self.font())
        bold.setBold(True)
        pct_width = QFontMetricsF(bold).horizontalAdvance("100.0%") + 6
        for i, (label, score) in enumerate(self._rows):
            top = i * self.row + 2
            track = QRectF(0, top, width - pct_width - 4, self.row - 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.alternateBase())
            painter.drawRoundedRect(track, 4, 4)
            bar = QRectF(
                track.left(), track.top(), track.width() * max(0.0, min(1.0, score)), track.height()
            )
            painter.setBrush(QColor(255, 196, 0) if i == 0 else QColor(90, 160, 255))
            painter.drawRoundedRect(bar, 4, 4)
            font = QFont(self.font())
            font.setBold(i == 0)
            painter.setFont(font)
            painter.setPen(palette.text().color())
            room = track.adjusted(8, 0, -4, 0)
            shown = QFontMetricsF(font).elidedText(
                label, Qt.TextElideMode.ElideRight, max(0.0, room.width())
            )
            painter.drawText(
                room, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shown
            )
            painter.drawText(
                QRectF(width - pct_width, top, pct_width, self.row - 6),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                f"{score * 100:.1f}%",
            )
