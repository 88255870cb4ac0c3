"""systemd's readiness and watchdog protocol (``sd_notify``), without libsystemd.

Under a ``Type=notify`` unit systemd sets ``$NOTIFY_SOCKET`` (a path, or ``@name`` in the
abstract namespace) and, with ``WatchdogSec=``, ``$WATCHDOG_USEC``. The kiosk sends
``READY=1`` once its first answer (or a card such as "closed") is on screen, ``WATCHDOG=1``
from a GUI-thread timer at half the watchdog period, so a frozen event loop gets the
process restarted, ``STATUS=`` with the model and its speed, and ``STOPPING=1`` on exit.
Without ``$NOTIFY_SOCKET`` nothing is sent.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping

from PyQt6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

#: How often STATUS= is refreshed when systemd runs no watchdog.
STATUS_INTERVAL_MS = 5000


class SystemdNotifier:
    """Sends ``sd_notify`` datagrams to ``$NOTIFY_SOCKET``; does nothing when it is unset.

    Args:
        environ: Where to read ``NOTIFY_SOCKET``, ``WATCHDOG_USEC`` and ``WATCHDOG_PID``
            (default: the process environment).
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        # "@name" is Linux's abstract namespace: a leading NUL byte on the wire.
        self.address = "\0" + address[1:] if address.startswith("@") else address
        usec, pid = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        self.watchdog_usec = int(usec) if usec.isdigit() and mine else 0
        self.sent: list[str] = []  # the last messages, for the statistics
        self._socket: socket.socket | None = None
        self._failed = False

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    @property
    def watchdog_interval_ms(self) -> int:
        """Half the watchdog period, as sd_watchdog_enabled(3) advises; 0 without one."""
        return self.watchdog_usec // 2000

    def notify(self, message: str) -> bool:
        """Sends one datagram (``KEY=value`` lines); False when it could not be sent."""
        if not self.address:
            return False
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._socket.setblocking(False)
            self._socket.sendto(message.encode("utf-8"), self.address)
        except OSError as exc:
            if not self._failed:  # once: a socket that went away stays away
                log.warning("cannot notify systemd at %s: %s", self.address.lstrip("\0"), exc)
                self._failed = True
            return False
        self.sent = (self.sent + [message.split("\n")[0]])[-20:]
        return True

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class Heartbeat(QObject):
    """The GUI thread's heartbeat: ``WATCHDOG=1`` and ``STATUS=`` from a timer.

    The timer runs on the GUI thread, so when the event loop hangs the pings stop and
    systemd restarts the kiosk after ``WatchdogSec=``.

    Args:
        notifier: Where the messages go.
        status: Returns the ``STATUS=`` line (model and frame rate) at each beat.
    """

    def __init__(
        self,
        notifier: SystemdNotifier,
        status: Callable[[], str],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self._status = status
        self._last_status = ""
        self.is_ready = False
        self.beats = 0
        self._timer = QTimer(self)
        interval = notifier.watchdog_interval_ms
        self._timer.setInterval(max(10, interval) if interval else STATUS_INTERVAL_MS)
        self._timer.timeout.connect(self._on_beat_timer_timeout)

    def start(self) -> None:
        if self.notifier.enabled:
            self._timer.start()
            if self.notifier.watchdog_interval_ms:
                self._on_beat_timer_timeout()  # the first ping before systemd's first check

    def ready(self) -> None:
        """``READY=1`` (once): the kiosk shows what it should."""
        if self.is_ready:
            return
        self.is_ready = True
        status = self._status()
        self._last_status = status
        self.notifier.notify(f"READY=1\nSTATUS={status}")
        log.info("ready: %s", status)

    def stopping(self) -> None:
        """``STOPPING=1``; the heartbeat ends."""
        self._timer.stop()
        self.notifier.notify("STOPPING=1\nSTATUS=stopping")
        self.notifier.close()

    def _on_beat_timer_timeout(self) -> None:
        lines = []
        if self.notifier.watchdog_interval_ms:
            lines.append("WATCHDOG=1")
            self.beats += 1
        status = self._status()
        if status != self._last_status:
            self._last_status = status
            lines.append(f"STATUS={status}")
        if lines:
            self.notifier.notify("\n".join(lines))
