"""Diagnostics of the command line: ``camapp: message`` lines on stderr through ``logging``."""

from __future__ import annotations

import logging
import sys

#: The logger every camapp module's ``logging.getLogger(__name__)`` reports through.
ROOT = "camapp"


class _StderrHandler(logging.Handler):
    """Writes to ``sys.stderr`` as it is when a record arrives (tests swap the stream)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def level_for(verbosity: int) -> int:
    """The logging level for ``-v`` minus ``-q`` counts.

    Args:
        verbosity: ``-v`` count minus ``-q`` count.

    Returns:
        ``DEBUG`` from 1 (tracebacks too), ``INFO`` at 0, ``WARNING`` at -1, ``ERROR`` below.
    """
    if verbosity >= 1:
        return logging.DEBUG
    if verbosity == 0:
        return logging.INFO
    if verbosity == -1:
        return logging.WARNING
    return logging.ERROR


def configure_logging(verbosity: int = 0) -> None:
    """Sends camapp's log records to stderr as ``camapp: message`` lines.

    Calling it again replaces the handler it installed before, so ``main`` can run many times
    in one process (tests) without doubling lines.

    Args:
        verbosity: ``-v`` count minus ``-q`` count (see :func:`level_for`).
    """
    logger = logging.getLogger(ROOT)
    for handler in list(logger.handlers):
        if isinstance(handler, _StderrHandler):
            logger.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("camapp: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level_for(verbosity))
