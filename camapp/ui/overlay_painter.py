"""OverlayPainter: the box, its label and the text tags drawn over the video, cheaply.

The video view paints once per frame (30 times a second or more), so what it draws over
the picture is made to cost little: fonts, metrics and pens are made once per widget font;
each text tag (rounded, antialiased, half-transparent) is rendered once into a pixmap and
then copied while its text stays the same; the box's straight lines are drawn without
antialiasing (they are axis-aligned, so it changes nothing but the cost).
"""

from __future__ import annotations

from collections import OrderedDict

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPixmap
from PyQt6.QtWidgets import QWidget

#: The box's corner handles.
HANDLE = QColor(255, 214, 0)
#: The label next to the box.
LABEL_BG = QColor(255, 214, 0, 235)
LABEL_FG = QColor(0, 0, 0)
#: Rates, captions and hints.
TAG_BG = QColor(0, 0, 0, 170)
TAG_FG = QColor(255, 255, 255)
#: Rendered tags kept (the label's text changes with the answer; it repeats a lot).
TAG_CACHE = 64


class OverlayPainter:
    """Draws over the video for ``widget``, reusing what does not change between paints."""

    def __init__(self, widget: QWidget) -> None:
        self.widget = widget
        self._fonts: dict[bool, tuple[QFont, QFontMetricsF]] = {}
        self._tags: OrderedDict[tuple[str, bool, int, int, float], QPixmap] = OrderedDict()
        # Two-tone box outline: a wide black line under a white dashed one reads on any
        # background; yellow handles with a thin black edge.
        self._outline = QPen(QColor(0, 0, 0), 5)
        self._dashed = QPen(QColor(255, 255, 255), 3)
        self._dashed.setStyle(Qt.PenStyle.CustomDashLine)
        self._dashed.setDashPattern([4, 3])
        self._handle = QPen(QColor(0, 0, 0), 1.5)

    def font_changed(self) -> None:
        """The widget's font changed: fonts, metrics and rendered tags are made again."""
        self._fonts.clear()
        self._tags.clear()

    def font(self, small: bool = False) -> QFont:
        """The tags' font: bold and 1.35x the widget's, or (``small``) the widget's."""
        return self._font_and_metrics(small)[0]

    def metrics(self, small: bool = False) -> QFontMetricsF:
        return self._font_and_metrics(small)[1]

    def _font_and_metrics(self, small: bool) -> tuple[QFont, QFontMetricsF]:
        made = self._fonts.get(small)
        if made is None:
            font = QFont(self.widget.font())
            font.setPointSizeF(max(9.0, font.pointSizeF() * (1.0 if small else 1.35)))
            font.setBold(not small)
            made = self._fonts[small] = (font, QFontMetricsF(font))
        return made

    def tag_size(self, text: str, small: bool = False) -> tuple[float, float]:
        """Width and height of the tag for ``text``."""
        metrics = self.metrics(small)
        return metrics.horizontalAdvance(text) + 16, metrics.height() + 8

    def box(self, painter: QPainter, box: QRectF, label: str) -> None:
        """The box with its corner handles, and ``label`` (if any) above it (or inside it
        at the top edge of the picture)."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(self._outline)
        painter.drawRect(box)
        painter.setPen(self._dashed)
        painter.drawRect(box)
        painter.setPen(self._handle)
        painter.setBrush(HANDLE)
        half = 5.0
        for corner in (box.topLeft(), box.topRight(), box.bottomLeft(), box.bottomRight()):
            painter.drawRect(QRectF(corner.x() - half, corner.y() - half, 2 * half, 2 * half))
        if label:
            height = self.tag_size(label)[1]
            y = box.top() - height - 4 if box.top() - height - 4 >= 0 else box.top() + 6
            self.tag(painter, QPointF(max(0.0, box.left()), y), label, LABEL_BG, LABEL_FG)

    def tag(
        self,
        painter: QPainter,
        at: QPointF,
        text: str,
        bg: QColor = TAG_BG,
        fg: QColor = TAG_FG,
        small: bool = False,
    ) -> None:
        """``text`` on a rounded tag with its top-left at ``at`` (kept inside the widget)."""
        pixmap = self._tag_pixmap(text, bg, fg, small)
        width = pixmap.width() / pixmap.devicePixelRatio()
        x = min(at.x(), self.widget.width() - 2.0 - width)
        painter.drawPixmap(QPointF(max(0.0, x), at.y()), pixmap)

    def _tag_pixmap(self, text: str, bg: QColor, fg: QColor, small: bool) -> QPixmap:
        ratio = self.widget.devicePixelRatioF()
        key = (text, small, bg.rgba(), fg.rgba(), ratio)
        pixmap = self._tags.get(key)
        if pixmap is not None:
            self._tags.move_to_end(key)
            return pixmap
        width, height = self.tag_size(text, small)
        pixmap = QPixmap(max(1, round(width * ratio)), max(1, round(height * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(rect, 5, 5)
        painter.setFont(self.font(small))
        painter.setPen(fg)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        self._tags[key] = pixmap
        if len(self._tags) > TAG_CACHE:
            self._tags.popitem(last=False)
        return pixmap

    def message(self, painter: QPainter, message: str) -> None:
        """A centred message box over the video (word-wrapped)."""
        widget = self.widget
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self.font())
        width = min(widget.width() - 40.0, self.metrics().horizontalAdvance(message) + 40)
        rect = QRectF((widget.width() - width) / 2, widget.height() / 2 - 40, width, 80)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 190))
        painter.drawRoundedRect(rect, 8, 8)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(
            rect.adjusted(12, 6, -12, -6),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            message,
        )
