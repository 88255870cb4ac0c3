"""Rolling rate and latency meters over the last second."""

from __future__ import annotations

import threading
import time
from collections import deque


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


class RateMeter:
    """Events per second and the median of a value over a sliding window. Thread-safe."""

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self._events: deque[tuple[float, float]] = deque()
        self._lock = threading.Lock()
        self._first: float | None = None
        self.count = 0

    def tick(self, value: float = 0.0, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._first is None:
                self._first = now
            self._events.append((now, value))
            self.count += 1
            self._trim(now)

    def _trim(self, now: float) -> None:
        while self._events and now - self._events[0][0] > self.window_s:
            self._events.popleft()

    def rate(self, now: float | None = None) -> float:
        """Events per second over the window (over the meter's age while it is younger)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._trim(now)
            elapsed = min(self.window_s, now - self._first) if self._first is not None else 0.0
            return len(self._events) / elapsed if elapsed > 0 else 0.0

    def median(self, now: float | None = None) -> float:
        """Median of the values in the window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._trim(now)
            values = [v for _, v in self._events]
        return percentile(values, 50.0)
