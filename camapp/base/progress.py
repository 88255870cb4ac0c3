"""One-line text progress bars for terminals (silent when the stream is not a TTY)."""

from __future__ import annotations

from typing import TextIO


def draw_bar(stream: TextIO, title: str, done: int, total: int, width: int = 28) -> None:
    """Redraws ``title [#####     ] done/total`` in place; ends the line when done."""
    if not stream.isatty():
        return
    filled = width * done // max(total, 1)
    stream.write(f"\r{title[:44]:<44} [{'#' * filled:<{width}}] {done}/{total} ")
    if done >= total:
        stream.write("\n")
    stream.flush()
