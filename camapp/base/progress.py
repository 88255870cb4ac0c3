"""Text progress: a bar redrawn in place on a terminal, one line per 10 % in a log file."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def draw_bar(stream: TextIO, title: str, done: int, total: int, width: int = 28) -> None:
    """Redraws ``title [#####     ] done/total`` in place; ends the line when done.

    Silent when ``stream`` is not a terminal (see :class:`TextProgress` for output that
    shows there too).
    """
    if not stream.isatty():
        return
    filled = width * done // max(total, 1)
    stream.write(f"\r{title[:44]:<44} [{'#' * filled:<{width}}] {done}/{total} ")
    if done >= total:
        stream.write("\n")
    stream.flush()


def duration_text(seconds: float) -> str:
    """``4 s``, ``1 min 05 s``, ``2 h 03 min``: a duration for people."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


class TextProgress:
    """A ``(done, total)`` callback that shows progress with the time left (ETA).

    On a terminal it redraws one bar in place; otherwise (a log file, a pipe, CI) it writes
    one line each time another tenth is done, so a long run still shows it is alive and
    when it will end. The ETA is the mean time per item so far times the items left.

    Args:
        title: What is in progress (``eval mobilenet_v2``).
        stream: Where to write (a terminal or not).
        clock: Seconds, monotonic (tests may pass their own).
        width: Bar width on a terminal.
    """

    def __init__(
        self,
        title: str,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        width: int = 28,
    ) -> None:
        self.title = title
        self.stream = stream
        self._clock = clock
        self._width = width
        self._started: float | None = None
        self._first = 0
        self._tenths_shown = 0
        self.lines = 0  # lines written when not a terminal

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if self._started is None:
            # The first report comes after the first item: its time counts from here on.
            self._started = now
            self._first = done
        elapsed = now - self._started
        counted = done - self._first
        left = total - done
        eta = elapsed / counted * left if counted > 0 else None
        eta_text = "ETA " + (duration_text(eta) if eta is not None else "...")
        if done >= total:
            eta_text = f"done in {duration_text(elapsed)}"
        if self.stream.isatty():
            filled = self._width * done // max(total, 1)
            self.stream.write(
                f"\r{self.title[:40]:<40} [{'#' * filled:<{self._width}}] {done}/{total} "
                f"{eta_text:<20}"
            )
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
            return
        tenths = 10 * done // max(total, 1)
        if tenths <= self._tenths_shown:
            return
        self._tenths_shown = tenths
        percent = 100 * done // max(total, 1)
        self.stream.write(f"{self.title}: {percent}% ({done}/{total}), {eta_text}\n")
        self.stream.flush()
        self.lines += 1
