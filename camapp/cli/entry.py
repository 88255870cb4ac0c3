"""``main``: parse, dispatch, and turn every failure into one line and an exit status."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator, Sequence
from types import FrameType

from camapp.base.errors import CamappError
from camapp.cli.logs import configure_logging
from camapp.cli.parser import build_parser, parse_args

log = logging.getLogger(__name__)

#: Exit statuses: success, a failure, a usage error (argparse's own), Ctrl+C.
OK, FAILURE, USAGE, INTERRUPTED = 0, 1, 2, 130

#: Signals that stop a command the way Ctrl+C does: systemd's stop, a closed terminal.
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl+C, so ``finally`` blocks clean up.

    A BaseException, as KeyboardInterrupt is, so ``except Exception`` does not swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the ``camapp`` command line.

    Args:
        argv: The arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 1 for a failure (reported as one ``camapp: ...`` line
        on stderr; unexpected exceptions name their type, with the traceback at ``-v``), 2
        for a usage error, 130 when interrupted, 143 after SIGTERM and 129 after SIGHUP
        (128 plus the signal's number, as a shell reports a process the signal killed).
    """
    configure_logging()  # errors while parsing are reported like any other
    try:
        with _stop_signals_raise():
            args = parse_args(build_parser(), argv)
            configure_logging(args.verbose - args.quiet)
            return int(args.handler(args))
    except SystemExit as exc:  # argparse: 0 after --help, 2 for a usage error
        return _status(exc)
    except CamappError as exc:
        log.debug("details:", exc_info=True)
        log.error("%s", exc)
        return FAILURE
    except KeyboardInterrupt:
        log.error("interrupted")
        return INTERRUPTED
    except Stopped as exc:
        log.error("stopped by %s", exc)
        return 128 + exc.signum
    except Exception as exc:  # noqa: BLE001 - the last line of defence, said in one line
        log.debug("unexpected error:", exc_info=True)
        log.error("%s: %s (run with -v for details)", type(exc).__name__, exc)
        return FAILURE


@contextlib.contextmanager
def _stop_signals_raise() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread.

    Without this they kill the process on the spot: no ``finally`` runs, so an install
    leaves its partial file behind. ``camapp run`` routes them into the Qt loop instead
    (:mod:`camapp.ui.signals`) for as long as its window is open. Outside the main thread
    (an embedding program) the handlers are left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    previous = {}
    for signum in _STOP_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue  # nohup: the user asked for it to be ignored
        previous[signum] = signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _status(exc: SystemExit) -> int:
    if exc.code is None:
        return OK
    if isinstance(exc.code, int):
        return exc.code
    log.error("%s", exc.code)  # sys.exit("message") reports it and fails
    return FAILURE
