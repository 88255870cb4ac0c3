"""LiveText: one line of text that changes many times a second without re-laying-out."""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent
from PyQt6.QtWidgets import QSizePolicy, QWidget


class LiveText(QWidget):
    """One line of changing text (an answer, a rate), drawn by itself.

    A ``QLabel`` asks its layout to recompute on every ``setText`` (and a word-wrapped one
    lays its text out again for its height): at 30 answers a second that is a large part of
    the GUI thread's time. This widget has a fixed height of one line and any width, so a
    new text only repaints its own pixels. A text that does not fit ends in "..." and is
    shown whole in the tooltip.

    Args:
        text: The first text.
        align: Left or right alignment.
        scale: Font size relative to the widget's font (``1.4`` for a heading).
        bold: Bold text.
        muted: Drawn in the palette's placeholder colour (secondary details).
    """

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
        scale: float = 1.0,
        bold: bool = False,
        muted: bool = False,
    ) -> None:
        super().__init__(parent)
        self._text = text
        self._align = align | Qt.AlignmentFlag.AlignVCenter
        self._muted = muted
        if scale != 1.0 or bold:
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * scale)
            font.setBold(bold)
            self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(QFontMetrics(self.font()).height() + 2)

    def text(self) -> str:
        """The whole text, as set (what is drawn may end in "...")."""
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 - the QLabel name, so callers read alike
        """Shows ``text``; repaints only when it changed, never asks for a new layout."""
        if text != self._text:
            self._text = text
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(QFontMetrics(self.font()).horizontalAdvance(self._text) + 4, self.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(40, self.height())

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        palette = self.palette()
        color = palette.placeholderText().color() if self._muted else palette.windowText().color()
        painter.setPen(color)
        metrics = painter.fontMetrics()
        shown = metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, self.width() - 2)
        painter.drawText(self.rect().adjusted(1, 0, -1, 0), self._align, shown)
        tip = self._text if shown != self._text else ""
        if self.toolTip() != tip:
            self.setToolTip(tip)
