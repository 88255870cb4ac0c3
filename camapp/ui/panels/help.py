"""HelpPanel: the overlay listing every key and mouse gesture."""

from __future__ import annotations

import html

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from camapp.ui.actions import help_rows


class HelpPanel(QWidget):
    """A translucent overlay listing every shortcut; a click or Esc closes it.

    The rows come from the action table (:func:`camapp.ui.actions.help_rows`).
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("helpPanel")
        rows = "".join(
            f"<tr><td style='padding:3px 18px 3px 0'><b>{html.escape(k)}</b></td>"
            f"<td style='padding:3px 0'>{html.escape(v)}</td></tr>"
            for k, v in help_rows()
        )
        self.label = QLabel(
            f"<h2>Keys and mouse</h2><table>{rows}</table>"
            "<p style='color:#bbb'>Click anywhere to close.</p>"
        )
        self.label.setStyleSheet("color: white")
        layout = QVBoxLayout(self)
        layout.addWidget(self.label, 0, Qt.AlignmentFlag.AlignCenter)
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
