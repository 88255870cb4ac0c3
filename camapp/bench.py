"""``camapp bench``: measure and compare model speed (placeholder until implemented)."""

from __future__ import annotations

import argparse


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", default=None)


def cmd_bench(args: argparse.Namespace) -> int:
    return 0
