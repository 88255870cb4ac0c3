"""Ctrl+C, SIGTERM, SIGHUP and unexpected exceptions while the Qt event loop runs."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType

from PyQt6.QtCore import QObject, QSocketNotifier, pyqtSignal

log = logging.getLogger(__name__)

#: The signals that close the window: Ctrl+C, systemd's stop, a closed terminal.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class StopSignals(QObject):
    """Turns SIGINT, SIGTERM and SIGHUP into a Qt signal on the GUI thread.

    Python runs a signal handler only when the interpreter gets control. In a Qt program
    that is whenever some Python slot happens to run, and the default SIGINT handler then
    raises KeyboardInterrupt inside that slot, which PyQt6 answers with abort() (a
    traceback and SIGABRT); SIGTERM and SIGHUP kill at once, saving nothing. So here the
    Python handlers only count, :func:`signal.set_wakeup_fd` writes each signal's number
    to a socket pair, and a :class:`QSocketNotifier` wakes the event loop, which emits
    :attr:`stop_requested` like any other event: the window closes by its normal path
    (threads joined, state saved).

    A second Ctrl+C while the first is still shutting down ends the process at once.
    """

    #: A stop signal arrived (its number); emitted once per signal, on the GUI thread.
    stop_requested = pyqtSignal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: The first stop signal received, or None.
        self.received: int | None = None
        self._previous: dict[int, signal.Handlers | Callable[..., object] | int | None] = {}
        self._previous_fd = -1
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        self._notifier: QSocketNotifier | None = None

    def install(self) -> bool:
        """Takes over the stop signals; False (and nothing done) off the main thread."""
        if threading.current_thread() is not threading.main_thread() or self._sockets:
            return False
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._sockets = (reader, writer)
        self._previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is signal.SIG_IGN:
                continue  # nohup, or a background job: whoever started us asked for that
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._on_signal)
        # PyQt6 takes the descriptor as an int; its stubs ask for a sip.voidptr.
        self._notifier = QSocketNotifier(
            reader.fileno(),  # type: ignore[call-overload]
            QSocketNotifier.Type.Read,
            self,
        )
        self._notifier.activated.connect(self._on_notifier_activated)
        return True

    def uninstall(self) -> None:
        """Gives the signals and the wakeup descriptor back as they were; idempotent."""
        if self._sockets is None:
            return
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._previous.clear()
        signal.set_wakeup_fd(self._previous_fd)
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        for sock in self._sockets:
            sock.close()
        self._sockets = None

    @property
    def exit_status(self) -> int | None:
        """128 plus the first signal's number (130, 143, 129), as a shell reports it."""
        return None if self.received is None else 128 + self.received

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Runs between two bytecodes of the main thread: record only, never raise.
        if signum == signal.SIGINT and self.received == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl+C twice: stop waiting
            os.kill(os.getpid(), signal.SIGINT)
        if self.received is None:
            self.received = signum

    def _on_notifier_activated(self) -> None:
        if self._sockets is None:
            return
        try:
            data = self._sockets[0].recv(64)
        except OSError:  # nothing left to read (BlockingIOError) or closed
            return
        for signum in data:
            if signum in STOP_SIGNALS:
                if self.received is None:  # the byte can beat the Python-level handler
                    self.received = signum
                log.info("%s: closing the window", signal.Signals(signum).name)
                self.stop_requested.emit(signum)


@contextlib.contextmanager
def unexpected_errors_reported(report: Callable[[str], None]) -> Iterator[None]:
    """While the window runs, an exception escaping a Qt slot is one line, not an abort.

    PyQt6 calls :data:`sys.excepthook` for an exception no slot caught and, when the hook
    is Python's own, then calls qFatal(): the process dies with SIGABRT. With this hook the
    line goes to the log (the traceback at ``-v``) and to ``report`` (the window's notice
    bar), and the application keeps running.

    Args:
        report: Shows the line to the user; its own failures are ignored.
    """
    previous = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if issubclass(kind, (KeyboardInterrupt, SystemExit)):
            previous(kind, error, trace)
            return
        log.debug("unexpected error in the window:", exc_info=(kind, error, trace))
        line = f"{kind.__name__}: {error} (run with -v for details)"
        log.error("%s", line)
        try:
            report(f"unexpected error: {line}")
        except Exception:  # noqa: BLE001 - the hook must never raise
            log.debug("could not show the error in the window", exc_info=True)

    sys.excepthook = hook
    try:
        yield
    finally:
        sys.excepthook = previous
