"""RatesPanel: camera, display and inference frame rates."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QLabel, QWidget


class RatesPanel(QWidget):
    """Camera, display and inference frame rates and the median inference time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self._values: dict[str, QLabel] = {}
        names = [
            ("camera", "Camera"),
            ("display", "Display"),
            ("inference", "Inference"),
            ("ms", "Inference time"),
        ]
        for i, (key, text) in enumerate(names):
            value = QLabel("-")
            value.setObjectName(f"rate_{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(QLabel(text), i // 2, (i % 2) * 2)
            grid.addWidget(value, i // 2, (i % 2) * 2 + 1)
            self._values[key] = value

    def set_rates(self, camera: float, display: float, inference: float, ms: float) -> None:
        """Shows the three rates (frames per second) and the inference time (ms)."""
        self._values["camera"].setText(f"{camera:.1f} fps")
        self._values["display"].setText(f"{display:.1f} fps")
        self._values["inference"].setText(f"{inference:.1f} fps")
        self._values["ms"].setText(f"{ms:.1f} ms")

    def text(self, key: str) -> str:
        """The text shown for ``camera``, ``display``, ``inference`` or ``ms``."""
        return self._values[key].text()
