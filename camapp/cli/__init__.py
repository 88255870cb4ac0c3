"""The ``camapp`` command line: run (the default), classify, eval, models, bench, info."""

from camapp.cli.entry import main
from camapp.cli.parser import build_parser

__all__ = ["build_parser", "main"]
