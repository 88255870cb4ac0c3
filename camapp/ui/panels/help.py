"""HelpPanel: the overlay listing every key and mouse gesture."""

from __future__ import annotations

import html

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PyQt6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from camapp.ui.actions import help_rows


class HelpPanel(QWidget):
    """A translucent overlay listing every shortcut; a click or Esc closes it.

    The rows come from the action table (:func:`camapp.ui.actions.help_rows`). Over a small
    picture (a 7" screen) the lines wrap and the list scrolls, so nothing is cut off.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("helpPanel")
        rows = "".join(
            f"<tr><td style='padding:2px 14px 2px 0'><b>{html.escape(k)}</b></td>"
            f"<td style='padding:2px 0'>{html.escape(v)}</td></tr>"
            for k, v in help_rows()
        )
        self.label = QLabel(
            f"<h2>Keys and mouse</h2><table>{rows}</table>"
            "<p style='color:#bbb'>Click anywhere to close.</p>"
        )
        self.label.setStyleSheet("color: white; background: transparent")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setStyleSheet("QScrollArea {background: transparent}")
        viewport = area.viewport()
        if viewport is not None:
            viewport.setAutoFillBackground(False)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setWidget(self.label)
        layout = QVBoxLayout(self)
        layout.addWidget(area)
        self.hide()

    def toggle(self) -> None:
        """Shows the overlay over the whole parent, or hides it."""
        if self.isVisible():
            self.hide()
        else:
            parent = self.parentWidget()
            if parent is not None:
                self.setGeometry(parent.rect())
            self.raise_()
            self.show()

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 200))

    def mousePressEvent(self, event: QMouseEvent | None) -> None:  # noqa: N802 - Qt override
        self.hide()
