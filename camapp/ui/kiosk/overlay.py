"""The kiosk's overlays: text fitted to its box, bars, the answer card and the info cards.

Every size is given in *units* of one hundredth of the screen's shorter side (see
:func:`camapp.ui.kiosk.layout.unit`), so the kiosk looks the same on a 7" 800x480 panel and
on a 1080p monitor. Text never overflows its label: a :class:`FitLabel` shrinks its font
until the text fits, and only below half its size elides it.
"""

from __future__ import annotations

from PyQt6.QtCore import QRect, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QResizeEvent
from PyQt6.QtWidgets import QFrame, QLabel, QWidget

from camapp.pipeline.events import Prediction

#: The highlight colour of the kiosk (the box handles of the video view use it too).
YELLOW = QColor(255, 214, 0)
#: Below this score the answer reads "Not sure...".
NOT_SURE = 0.15
#: Cards: white text on a dark translucent background.
CARD_BACKGROUND = "rgba(12, 12, 12, 200)"


def fitting_px(font: QFont, text: str, width: int, px: int) -> int:
    """The largest pixel size up to ``px`` at which ``text`` is at most ``width`` wide."""
    sized = QFont(font)
    sized.setPixelSize(max(1, px))
    advance = QFontMetrics(sized).horizontalAdvance(text)
    while advance > width and px > 6:
        px = max(6, min(px - 1, int(px * width / advance)))
        sized.setPixelSize(px)
        advance = QFontMetrics(sized).horizontalAdvance(text)
    return px


class FitLabel(QLabel):
    """A label whose font is the largest (up to a target pixel size) that fits its box.

    Args:
        px: The font's pixel size when the text fits.
        bold: Bold text.
        wrap: Break the text into lines (a message); else one line.
        align: Alignment inside the box.
        least: The smallest size as a share of ``px``; below it the text is elided.
    """

    def __init__(
        self,
        text: str = "",
        px: int = 16,
        *,
        bold: bool = False,
        wrap: bool = False,
        align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        least: float = 0.5,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._least = least
        self.setAlignment(align)
        self.setWordWrap(wrap)
        self.setMargin(0)
        self.setIndent(0)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("background: transparent; color: white;")
        self._full = text
        self._px = max(6, int(px))
        self._bold = bold
        self.setText(text)

    def set_px(self, px: int) -> None:
        """A new target size (the screen changed)."""
        self._px = max(6, int(px))
        self._fit()

    def setText(self, text: str | None) -> None:  # noqa: N802 - Qt override
        self._full = text or ""
        self._fit()

    def full_text(self) -> str:
        """The text as given (``text()`` may be elided when even half the size is too big)."""
        return self._full

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def _fits(self, font: QFont, text: str) -> bool:
        box = self.contentsRect()
        metrics = QFontMetrics(font)
        if self.wordWrap():
            flags = int(Qt.TextFlag.TextWordWrap)
            needed = metrics.boundingRect(QRect(0, 0, box.width(), 100000), flags, text)
            return needed.height() <= box.height() and needed.width() <= box.width()
        return metrics.horizontalAdvance(text) <= box.width() and metrics.height() <= box.height()

    def _fit(self) -> None:
        font = QFont(self.font())
        font.setBold(self._bold)
        text = self._full
        size = self._px
        font.setPixelSize(size)
        smallest = max(6, round(self._px * self._least))
        while size > smallest and not self._fits(font, text):
            size = max(smallest, int(size * 0.92))
            font.setPixelSize(size)
        if not self.wordWrap() and not self._fits(font, text):
            width = self.contentsRect().width()
            text = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, width)
        self.setFont(font)
        super().setText(text)


class Meter(QWidget):
    """A rounded bar filled to ``value`` (0..1)."""

    def __init__(self, color: QColor = YELLOW, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.color = QColor(color)
        self.value = 0.0

    def set_value(self, value: float) -> None:
        value = min(1.0, max(0.0, float(value)))
        if value != self.value:
            self.value = value
            self.update()

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        radius = self.height() / 2.0
        painter.setBrush(QColor(255, 255, 255, 55))
        painter.drawRoundedRect(QRectF(self.rect()), radius, radius)
        if self.value > 0:
            filled = QRectF(0, 0, max(self.height(), self.width() * self.value), self.height())
            painter.setBrush(self.color)
            painter.drawRoundedRect(filled, radius, radius)
        painter.end()


class Card(QFrame):
    """A dark translucent rounded card; subclasses place their children in :meth:`arrange`."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.unit = 5.0
        self.background = CARD_BACKGROUND
        self.corner_units = 2.0

    def set_unit(self, unit: float) -> None:
        """The size of one unit in pixels; restyles and rearranges the card."""
        self.unit = unit
        radius = round(self.corner_units * unit)
        self.setStyleSheet(
            f"#{self.objectName()} {{ background: {self.background}; border-radius: {radius}px; }}"
        )
        self.arrange()

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.arrange()

    def arrange(self) -> None:
        """Places the children for the card's size and unit."""


class AnswerCard(Card):
    """The answer, readable from two metres: the label, its confidence as a bar and a number.

    In split view a small title names the model above the answer.
    """

    def __init__(self, name: str = "answerCard", parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.title = FitLabel("", bold=False, parent=self)
        self.title.setObjectName("answerTitle")
        self.label = FitLabel("", bold=True, least=0.34, parent=self)  # 30-letter labels too
        self.label.setObjectName("answerLabel")
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        self.percent = FitLabel("", bold=True, align=right, parent=self)
        self.percent.setObjectName("answerPercent")
        self.bar = Meter(parent=self)
        self.title.hide()

    def set_title(self, text: str) -> None:
        """The model's name above the answer (split view); ``""`` hides it."""
        self.title.setText(text)
        self.title.setVisible(bool(text))
        self.arrange()

    def show_prediction(self, prediction: Prediction) -> None:
        """The best category, capitalised; "Not sure..." below :data:`NOT_SURE`."""
        categories = prediction.categories
        score = categories[0].score if categories else 0.0
        if not categories or score < NOT_SURE:
            self.show_answer("Not sure...", score)
        else:
            label = categories[0].label
            self.show_answer(label[:1].upper() + label[1:], score)

    def show_answer(self, label: str, score: float | None) -> None:
        """``label`` with ``score`` (0..1) as bar and percent; ``None``: no score (a hint)."""
        self.label.setText(label)
        self.percent.setText("" if score is None else f"{score * 100:.0f}%")
        self.bar.set_value(score or 0.0)

    def arrange(self) -> None:
        u, w, h = self.unit, self.width(), self.height()
        pad = round(2.5 * u)
        top = pad
        if self.title.isVisible():
            self.title.setGeometry(pad, round(1.2 * u), w - 2 * pad, round(4 * u))
            self.title.set_px(round(3.2 * u))
            top = round(5.5 * u)
        bar_h = max(4, round(2.2 * u))
        label_h = max(8, h - top - bar_h - round(2.2 * u) - pad // 2)
        percent_w = round(14 * u)
        self.label.setGeometry(pad, top, w - 3 * pad - percent_w, label_h)
        self.label.set_px(round(label_h * 0.78))
        self.percent.setGeometry(w - pad - percent_w, top, percent_w, label_h)
        self.percent.set_px(round(label_h * 0.6))
        self.bar.setGeometry(pad, h - pad - bar_h + round(0.5 * u), w - 2 * pad, bar_h)


class InfoCard(Card):
    """A centred message: a large title and a smaller line (closed, reconnecting, attract).

    Args:
        name: Object name (tests and style find it by name).
        accent: Yellow text on dark for the attract hint; white otherwise.
        opaque: Covers the picture completely (the closed card).
    """

    def __init__(
        self, name: str, accent: bool = False, opaque: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(name, parent)
        centre = Qt.AlignmentFlag.AlignCenter
        self.title = FitLabel("", bold=True, align=centre, parent=self)
        self.title.setObjectName(f"{name}Title")
        self.line = FitLabel("", wrap=True, align=centre, parent=self)
        self.line.setObjectName(f"{name}Line")
        if accent:
            self.title.setStyleSheet(f"background: transparent; color: {YELLOW.name()};")
        if opaque:
            self.background, self.corner_units = "rgb(16, 18, 22)", 0.0
        self.hide()

    def show_message(self, title: str, line: str = "") -> None:
        """Shows the card with ``title`` and ``line`` (``""``: title only)."""
        self.title.setText(title)
        self.line.setText(line)
        self.line.setVisible(bool(line))
        self.arrange()
        self.show()
        self.raise_()

    def arrange(self) -> None:
        u, w, h = self.unit, self.width(), self.height()
        pad = round(3 * u)
        if not self.line.isVisible():
            self.title.setGeometry(pad, pad // 2, w - 2 * pad, h - pad)
            self.title.set_px(round(min(9 * u, (h - pad) * 0.7)))
            return
        title_h = min(round(11 * u), round((h - 2 * pad) * 0.55))
        block = title_h + round(12 * u)
        top = max(pad // 2, (h - block) // 2)
        self.title.setGeometry(pad, top, w - 2 * pad, title_h)
        self.title.set_px(round(title_h * 0.75))
        line_h = min(round(12 * u), h - top - title_h - pad // 2)
        self.line.setGeometry(pad, top + title_h, w - 2 * pad, line_h)
        self.line.set_px(round(4.2 * u))


class SpeedLine(Card):
    """The small speed line: the model and its answers per second, as wide as its text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("speedLine", parent)
        self.corner_units = 1.0
        self.label = FitLabel("", parent=self)
        self.label.setObjectName("speedLabel")
        self._row = QRect()

    def show_text(self, text: str) -> None:
        if text != self.label.full_text():
            self.label.setText(text)
            self.place(self._row, self.unit)

    def place(self, row: QRect, unit: float) -> None:
        """Fills ``row`` from its left edge, as far as the text needs."""
        self._row, self.unit = QRect(row), unit
        pad = round(1.5 * unit)
        px = round(row.height() * 0.62)
        self.label.set_px(px)
        font = QFont(self.label.font())
        font.setPixelSize(px)
        needed = QFontMetrics(font).horizontalAdvance(self.label.full_text()) + 3 * pad
        width = min(row.width(), needed)
        self.setGeometry(row.left(), row.top(), width, row.height())
        self.set_unit(unit)
        self.label.setGeometry(pad, 0, width - 2 * pad, row.height())
