"""NoticePanel: a bar above the video for start-up warnings."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class NoticePanel(QWidget):
    """A yellow bar above the video for start-up warnings; stays until the user closes it.

    Status-bar messages pass; a warning such as "your settings file was broken" must not.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticePanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(
            "#noticePanel { background: #fff3c4; border-bottom: 1px solid #d9b800; }"
            " QLabel { color: #3a3000; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 4, 4)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("Dismiss")
        close.setFlat(True)
        close.clicked.connect(self.clear)
        row.addWidget(self.label, 1)
        row.addWidget(close)
        self._lines: list[str] = []
        self.hide()

    def add(self, line: str) -> None:
        """Shows one more warning line."""
        if line and line not in self._lines:
            self._lines.append(line)
            self.label.setText("\n".join(self._lines))
            self.show()

    def clear(self) -> None:
        """Removes every warning and hides the bar."""
        self._lines = []
        self.label.setText("")
        self.hide()

    def text(self) -> str:
        """The warnings shown, one a line."""
        return self.label.text()
