"""StatusBar: messages that end in "..." before they reach the frame rates, never over them."""

from __future__ import annotations

from PyQt6.QtCore import QRect, QSize, Qt
from PyQt6.QtGui import QFontMetrics, QPainter, QPaintEvent, QResizeEvent
from PyQt6.QtWidgets import QFrame, QLabel, QMainWindow, QSizePolicy, QStatusBar, QWidget

#: Space kept free between a message and the frame rates (pixels).
GAP_PX = 16


class ElidedLabel(QLabel):
    """One line that ends in "..." when it does not fit; the whole line is its tooltip.

    Its minimum width is small, so a long line never makes the window wider.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str | None) -> None:  # noqa: N802 - Qt override
        text = text or ""
        if text == self._full:
            return
        before = self.sizeHint().width()
        self._full = text
        self._elide()
        if self.sizeHint().width() != before:  # the rates four times a second: rarely
            self.updateGeometry()

    def full_text(self) -> str:
        """The whole line, as set."""
        return self._full

    def text(self) -> str:
        """The whole line, as set (what is drawn may end in "...")."""
        return self._full

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        metrics = QFontMetrics(self.font())
        margins = self.contentsMargins()
        width = metrics.horizontalAdvance(self._full) + margins.left() + margins.right() + 4
        return QSize(width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(min(120, self.sizeHint().width()), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width()
        shown = QFontMetrics(self.font()).elidedText(
            self._full, Qt.TextElideMode.ElideRight, max(room, 0)
        )
        super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")


class StatusBar(QStatusBar):
    """The window's status bar: messages on the left, the frame rates on the right.

    A message too long for the space left of the frame rates ends in "..." :data:`GAP_PX`
    before them, with a separator line between (Qt's own bar clips it 2 pixels from them).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rates = ElidedLabel("")
        self.rates.setObjectName("ratesLabel")
        separator = QFrame()
        separator.setFrameShape(QFrame.Shape.VLine)
        separator.setFrameShadow(QFrame.Shadow.Sunken)
        self.addPermanentWidget(separator)
        self.addPermanentWidget(self.rates)
        self._separator = separator
        self.messageChanged.connect(lambda _text: self.update())

    @classmethod
    def install(cls, window: QMainWindow) -> StatusBar:
        """A new status bar, made ``window``'s."""
        bar = cls(window)
        window.setStatusBar(bar)
        return bar

    def message_rect(self) -> QRect:
        """Where a message is drawn: from the left up to :data:`GAP_PX` before the rates."""
        right = self._separator.x() - GAP_PX if self._separator.isVisible() else self.width()
        return QRect(6, 0, max(0, right - 6), self.height())

    def shown_message(self) -> str:
        """The message as drawn (ending in "..." when it does not fit)."""
        metrics = QFontMetrics(self.font())
        rect = self.message_rect()
        return metrics.elidedText(self.currentMessage(), Qt.TextElideMode.ElideRight, rect.width())

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 - Qt override
        message = self.currentMessage()
        if not message:
            super().paintEvent(event)
            return
        # Qt would draw the message clipped 2 px from the rates: the bar draws its own instead.
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        rect = self.message_rect()
        painter.drawText(
            rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.shown_message()
        )
        painter.end()
