"""``camapp kiosk``: the exhibition view, full screen, over the same session as the window.

Before Qt is loaded the command checks that a display is reachable: Qt aborts the process
(status 134) when it is not, and a systemd unit would restart that every few seconds. With
no display it logs one line and exits with :data:`EX_CONFIG` (78), which the unit in
``packaging/`` lists in ``RestartPreventExitStatus=``. Its log lines go to stdout with
timestamps (and syslog priorities when stdout is the journal).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from camapp.base.errors import CamappError
from camapp.cli.logs import ROOT, level_for
from camapp.cli.run import check_display

log = logging.getLogger(__name__)

HELP = "the exhibition kiosk: full screen, variant buttons, attract mode, no way out for visitors"
#: sysexits.h EX_CONFIG: no display to show the kiosk on; systemd must not restart it.
EX_CONFIG = 78
#: Qt platforms that need no display server.
_NO_SERVER = ("offscreen", "minimal", "eglfs", "linuxfb", "vnc", "vkkhrdisplay")
_HINT = (
    "start the kiosk from the desktop session (packaging/camapp-kiosk-autostart.desktop "
    "passes DISPLAY and WAYLAND_DISPLAY to systemd), or set QT_QPA_PLATFORM=offscreen"
)


def add_kiosk_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``camapp kiosk``: the source and model, and ``camapp run``'s automation."""
    group = parser.add_argument_group("kiosk (settings: the kiosk section of camapp.yaml)")
    group.add_argument("--source", default=None, help="camera index, video, URL, image or folder")
    group.add_argument(
        "--model", default=None, help="model to start with (default: the first kiosk model)"
    )
    group.add_argument("--roi", default=None, help="left,top,right,bottom fractions")
    group.add_argument("--threads", type=int, default=None, help="interpreter threads")
    group.add_argument(
        "--no-xnnpack", action="store_true", help="run without the XNNPACK CPU delegate"
    )
    auto = parser.add_argument_group("automation (as for camapp run)")
    auto.add_argument(
        "--quit-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="leave after this long, once the first answer (or a card) is on screen",
    )
    auto.add_argument("--screenshot", default=None, metavar="PNG", help="save the screen at quit")
    auto.add_argument("--stats-json", default=None, metavar="FILE", help="write run statistics")


def _connects(family: int, address: str | bytes | tuple[str, int]) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(1.0)
            probe.connect(address)
        return True
    except OSError:
        return False


def _x11_reachable(display: str) -> bool:
    """Whether an X server accepts connections for ``$DISPLAY`` (``:0``, ``host:10.0``)."""
    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not number.isdigit():
        return False
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        return _connects(socket.AF_UNIX, "\0" + path) or _connects(socket.AF_UNIX, path)
    return _connects(socket.AF_INET, (host, 6000 + int(number)))


def _wayland_reachable(name: str) -> bool:
    """Whether the Wayland compositor's socket ``$WAYLAND_DISPLAY`` accepts connections."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    path = name if name.startswith("/") else os.path.join(runtime, name)
    return bool(runtime or name.startswith("/")) and _connects(socket.AF_UNIX, path)


def display_problem() -> str | None:
    """Why Qt would find no display here, in one line; ``None`` when it will find one.

    Only Linux is checked. ``$QT_QPA_PLATFORM`` (a platform or a ``;`` list of fallbacks)
    naming a platform without a server is fine; otherwise ``$WAYLAND_DISPLAY`` or
    ``$DISPLAY`` must name a server that accepts a connection (the one the platform asks
    for, when it names ``wayland`` or ``xcb``).
    """
    if not sys.platform.startswith("linux"):
        return None
    wanted = os.environ.get("QT_QPA_PLATFORM", "")
    platforms = [p.split(":")[0].strip() for p in wanted.split(";") if p.strip()] or [""]
    if any(platform in _NO_SERVER for platform in platforms):
        return None
    try:
        check_display()
    except CamappError as exc:
        return f"{exc.message}; {_HINT}"
    wayland, x11 = os.environ.get("WAYLAND_DISPLAY", ""), os.environ.get("DISPLAY", "")
    tried = []
    for platform in platforms:
        if platform in ("", "wayland", "wayland-egl"):
            if wayland and _wayland_reachable(wayland):
                return None
            tried.append(f"WAYLAND_DISPLAY={wayland or '(unset)'}")
        if platform in ("", "xcb"):
            if x11 and _x11_reachable(x11):
                return None
            tried.append(f"DISPLAY={x11 or '(unset)'}")
    where = ", ".join(dict.fromkeys(tried)) or f"QT_QPA_PLATFORM={wanted}"
    return f"no display reachable ({where}); {_HINT}"


class _StdoutHandler(logging.Handler):
    """Timestamped lines on stdout as it is when a record arrives; ``<N>`` priorities for
    journald when stdout is the journal ($JOURNAL_STREAM)."""

    _PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}

    def __init__(self) -> None:
        super().__init__()
        self.journal = bool(os.environ.get("JOURNAL_STREAM"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            prefix = f"<{self._PRIORITY.get(record.levelno, 3)}>" if self.journal else ""
            sys.stdout.write(prefix + self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


@contextmanager
def kiosk_logging(verbosity: int) -> Iterator[None]:
    """camapp's log lines go to stdout with timestamps while the kiosk runs, then as before."""
    logger = logging.getLogger(ROOT)
    before, level = list(logger.handlers), logger.level
    handler = _StdoutHandler()
    formatter = logging.Formatter("%(asctime)s.%(msecs)03d camapp %(levelname)s: %(message)s")
    formatter.datefmt = "%Y-%m-%d %H:%M:%S"
    formatter.converter = time.localtime
    handler.setFormatter(formatter)
    for old in before:
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(level_for(verbosity))
    try:
        yield
    finally:
        logger.removeHandler(handler)
        for old in before:
            logger.addHandler(old)
        logger.setLevel(level)


def cmd_kiosk(args: argparse.Namespace) -> int:
    """Runs the kiosk until the exit chord (and PIN), SIGTERM or ``--quit-after``.

    Returns:
        0 after a clean exit, :data:`EX_CONFIG` with no display, 1 for a failure.
    """
    with kiosk_logging(getattr(args, "verbose", 0) - getattr(args, "quiet", 0)):
        problem = display_problem()
        if problem:
            log.error("%s", problem)
            return EX_CONFIG
        try:
            from camapp.ui.kiosk.app import run_kiosk
        except ImportError as exc:
            log.error("the kiosk needs PyQt6 (%s); install it with 'pip install PyQt6'", exc)
            return 1
        try:
            return run_kiosk(args)
        except CamappError as exc:
            log.debug("details:", exc_info=True)
            log.error("%s", exc)
            return 1
