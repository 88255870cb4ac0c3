"""Pacer: hands on the newest of fast-changing values at most a few times a second."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from PyQt6.QtCore import QObject, Qt, QTimer

T = TypeVar("T")


class Pacer(QObject, Generic[T]):
    """Calls ``show(value)`` at most once per ``interval_ms`` per key, with the newest value.

    The side panels need not follow 30 answers a second (nobody reads bars that fast, and
    each update costs the GUI thread); the box label on the video does. A value pushed
    within the interval waits on a timer and is replaced by any newer one, so the last value
    is always shown, at most ``interval_ms`` late. ``now=True`` (a still photo's answer, the
    first answer after a change) shows it at once. Runs on the GUI thread only.

    Args:
        interval_ms: The shortest time between two calls for one key.
        show: What to call with each value handed on.
        parent: The Qt owner (the timer dies with it).
    """

    def __init__(
        self, interval_ms: int, show: Callable[[T], None], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.interval_s = interval_ms / 1000.0
        self._show = show
        self._last: dict[Hashable, float] = {}
        self._pending: dict[Hashable, T] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.CoarseTimer)
        self._timer.timeout.connect(self.flush)

    def push(self, value: T, key: Hashable = None, now: bool = False) -> None:
        """Shows ``value`` now if ``key``'s last call is an interval old (or ``now``), else
        soon, unless a newer value for ``key`` comes first."""
        clock = time.monotonic()
        wait = self._last.get(key, float("-inf")) + self.interval_s - clock
        if now or wait <= 0:
            self._pending.pop(key, None)
            self._last[key] = clock
            self._show(value)
            return
        self._pending[key] = value
        if not self._timer.isActive():
            self._timer.start(max(1, round(wait * 1000)))

    def flush(self) -> None:
        """Shows every value still waiting."""
        pending, self._pending = self._pending, {}
        clock = time.monotonic()
        for key, value in pending.items():
            self._last[key] = clock
            self._show(value)

    def clear(self) -> None:
        """Forgets the values waiting (a new model, a new photo: they are out of date)."""
        self._pending.clear()
        self._timer.stop()
