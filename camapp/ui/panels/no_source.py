"""NoSourcePanel: shown instead of the video when there is nothing to show."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class NoSourcePanel(QWidget):
    """Shown instead of the video when there is nothing to show (e.g. no camera)."""

    #: The user wants to open ``image``, ``folder`` or ``video``.
    open_requested = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noSourcePanel")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel("No camera found")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.buttons: dict[str, QPushButton] = {}
        for kind, text in (
            ("image", "Open image..."),
            ("folder", "Open folder..."),
            ("video", "Open video..."),
        ):
            button = QPushButton(text)
            button.setMinimumHeight(40)
            button.clicked.connect(lambda _checked=False, k=kind: self.open_requested.emit(k))
            buttons.addWidget(button)
            self.buttons[kind] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)
        tip = QLabel("You can also drop a photo onto this window.")
        tip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        tip.setStyleSheet("color: gray")
        layout.addWidget(tip)
        layout.addStretch(1)

    def show_failure(self, spec: str, message: str) -> str:
        """Says why ``spec`` could not be opened and what to do instead; returns the title."""
        camera = spec.strip().isdigit() or spec.strip().startswith("/dev/video")
        title = "No camera found" if camera else "Cannot open the source"
        self.set_problem(
            title,
            f"{message.split(' (')[0]}.\n\nPlug a camera in and restart camapp, or open a "
            "photo, a folder of photos or a video to recognise what is in it.",
        )
        return title

    def set_problem(self, title: str, detail: str) -> None:
        """Says what is wrong: a short ``title`` and a ``detail`` line below it."""
        self.title.setText(title)
        self.detail.setText(detail)
