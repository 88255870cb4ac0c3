"""How late a 10 ms GUI-thread timer fires: the longest time the event loop was stalled."""

from __future__ import annotations

import time

from PyQt6.QtCore import QObject, Qt, QTimer

#: Period of the GUI-stall probe.
STALL_PROBE_MS = 10


class StallMonitor(QObject):
    """Measures how late a 10 ms GUI-thread timer fires: the longest the event loop stalled.

    Every lateness above 2 ms is kept with its time (the newest 5000), so the stall of a
    given period (a model swap, say) can be read back with :meth:`max_between`.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = STALL_PROBE_MS) -> None:
        super().__init__(parent)
        self.interval_s = interval_ms / 1e3
        self.events: list[tuple[float, float]] = []
        self._last: float | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_probe_timer_timeout)

    def start(self) -> None:
        self._last = None
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _on_probe_timer_timeout(self) -> None:
        now = time.monotonic()
        if self._last is not None:
            late_ms = (now - self._last - self.interval_s) * 1e3
            if late_ms > 2.0:
                self.events.append((now, late_ms))
                del self.events[:-5000]
        self._last = now

    def max_between(self, start: float = 0.0, end: float = float("inf")) -> float:
        """Longest stall (ms) ending between ``start`` and ``end`` (monotonic seconds)."""
        return max((ms for t, ms in self.events if start <= t <= end), default=0.0)
