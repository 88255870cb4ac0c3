"""``main``: parse, dispatch, and turn every failure into one line and an exit status."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from camapp.base.errors import CamappError
from camapp.base.stopping import Stopped
from camapp.cli.logs import configure_logging
from camapp.cli.parser import build_parser, parse_args

log = logging.getLogger(__name__)

#: Exit statuses: success, a failure, a usage error (argparse's own), Ctrl+C.
OK, FAILURE, USAGE, INTERRUPTED = 0, 1, 2, 130


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the ``camapp`` command line.

    Args:
        argv: The arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 1 for a failure (reported as one ``camapp: ...`` line
        on stderr; unexpected exceptions name their type, with the traceback at ``-v``), 2
        for a usage error, 130 when interrupted; 143 or 129 when SIGTERM or SIGHUP stopped
        work that unwinds on them (:mod:`camapp.base.stopping`: installs), 128 plus the
        signal's number, as a shell reports a process the signal killed.
    """
    configure_logging()  # errors while parsing are reported like any other
    try:
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
    except BrokenPipeError:  # `camapp models list | head`: the reader has what it wanted
        _silence_stdout()
        return OK
    except Stopped as exc:
        log.error("stopped by %s", exc)
        return 128 + exc.signum
    except Exception as exc:  # noqa: BLE001 - the last line of defence, said in one line
        log.debug("unexpected error:", exc_info=True)
        log.error("%s: %s (run with -v for details)", type(exc).__name__, exc)
        return FAILURE


def _silence_stdout() -> None:
    """Points stdout at /dev/null, so Python's flush at exit does not fail on the pipe too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _status(exc: SystemExit) -> int:
    if exc.code is None:
        return OK
    if isinstance(exc.code, int):
        return exc.code
    log.error("%s", exc.code)  # sys.exit("message") reports it and fails
    return FAILURE
