"""SIGTERM and SIGHUP as an exception, for work that must clean up when it is stopped."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

#: The signals that stop a command the way Ctrl+C does: systemd's stop, a closed terminal.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl+C, so ``finally`` blocks clean up.

    A BaseException, as KeyboardInterrupt is, so ``except Exception`` does not swallow it.
    The command line reports it and exits with 128 plus :attr:`signum` (143, 129).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def stop_signals_unwind() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread.

    Their default action kills the process on the spot: no ``finally`` runs, so an install
    would leave its partial file behind. Not for a block that runs a Qt event loop: an
    exception raised inside a slot aborts PyQt6 (the window uses
    :mod:`camapp.ui.signals` instead). Outside the main thread, and for a signal someone
    chose to ignore (``nohup``), nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    previous = {}
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
