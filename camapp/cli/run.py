"""``camapp run`` (and ``camapp`` with no command): the live window."""

from __future__ import annotations

import argparse
import os
import sys

from camapp.base.errors import CamappError


def check_display() -> None:
    """Qt aborts the process when it finds no display; say so in one line instead.

    Raises:
        CamappError: On Linux with neither ``$DISPLAY``, ``$WAYLAND_DISPLAY`` nor
            ``$QT_QPA_PLATFORM``.
    """
    if sys.platform.startswith("linux") and not (
        os.environ.get("QT_QPA_PLATFORM")
        or os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise CamappError(
            "no display found for the window",
            "run it on a desktop, or over SSH with 'export DISPLAY=:0' on the Pi's screen, "
            "or headless with QT_QPA_PLATFORM=offscreen",
        )


def cmd_run(args: argparse.Namespace) -> int:
    """Opens the live window and runs until it is closed.

    Returns:
        The window's exit code.

    Raises:
        CamappError: With no display, without PyQt6, or from the window's start-up.
    """
    check_display()
    try:
        from camapp.ui.app import run_app
    except ImportError as exc:
        raise CamappError(
            f"the window needs PyQt6 ({exc})", "install it with 'pip install PyQt6'"
        ) from exc
    return run_app(args)
