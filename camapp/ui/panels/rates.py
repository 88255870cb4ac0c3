"""RatesPanel: camera, display and inference frame rates."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QLabel, QWidget

from camapp.ui.panels.live_text import LiveText


class RatesPanel(QWidget):
    """Camera, display and inference frame rates and the median inference time.

    On a still photo (or with nothing open) nothing runs at a rate: the panel says so and
    shows the last answer's model time instead of a rate that drops to 0 a second after
    each answer. The last row, "On this device", is the loaded model's measured speed.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        # The values change every quarter second: LiveText repaints them without a re-layout.
        self._values: dict[str, LiveText] = {}
        names = [
            ("camera", "Camera"),
            ("display", "Display"),
            ("inference", "Inference"),
            ("ms", "Inference time"),
        ]
        for i, (key, text) in enumerate(names):
            value = LiveText("-", align=Qt.AlignmentFlag.AlignRight)
            value.setObjectName(f"rate_{key}")
            grid.addWidget(QLabel(text), i, 0)  # one pair a row: a narrow dock needs no scroll
            grid.addWidget(value, i, 1)
            self._values[key] = value
        # The device speed is long ("12.1 ms per image, 83 fps (live, last second)"): a line of
        # its own under its name, so a narrow dock shows it whole.
        device = LiveText("-", align=Qt.AlignmentFlag.AlignRight)
        device.setObjectName("rate_device")
        grid.addWidget(QLabel("On this device"), len(names), 0, 1, 2)
        grid.addWidget(device, len(names) + 1, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        self._values["device"] = device

    def set_rates(self, camera: float, display: float, inference: float, ms: float) -> None:
        """Shows the three rates (frames per second) and the inference time (ms)."""
        self._values["camera"].setText(f"{camera:.1f} fps")
        self._values["display"].setText(f"{display:.1f} fps")
        self._values["inference"].setText(f"{inference:.1f} fps")
        self._values["ms"].setText(f"{ms:.1f} ms")

    def set_still(self, what: str, last_ms: float | None) -> None:
        """Nothing runs at a rate: ``what`` (``still photo``, ``no source``) is shown.

        Args:
            what: What is open, in words.
            last_ms: The model time of the last answer, if there is one.
        """
        self._values["camera"].setText(what)
        self._values["display"].setText("-")
        self._values["inference"].setText("on change" if last_ms is not None else "-")
        self._values["ms"].setText(f"{last_ms:.1f} ms (last)" if last_ms is not None else "-")

    def set_device_speed(self, text: str) -> None:
        """The loaded model's speed measured here (``12.1 ms per image, up to 83 fps``)."""
        self._values["device"].setText(text or "-")

    def text(self, key: str) -> str:
        """The text shown for ``camera``, ``display``, ``inference``, ``ms`` or ``device``."""
        return self._values[key].text()
