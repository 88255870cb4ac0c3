"""The ``camapp bench`` command: its options, model selection, progress and output."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

from camapp.base.errors import CamappError
from camapp.base.progress import draw_bar
from camapp.bench.defaults import (
    DEFAULT_DURATION,
    DEFAULT_E2E_SECONDS,
    DEFAULT_ROUNDS,
    DEFAULT_WARMUP,
)

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from camapp.bench.evaluate import LabelledImage
    from camapp.store.model_store import ModelStore


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ``camapp bench`` options.

    Args:
        parser: The ``bench`` subcommand's parser.
    """
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--models",
        default=None,
        metavar="ID,...",
        help="catalog ids or .tflite paths, comma separated",
    )
    which.add_argument(
        "--all",
        action="store_true",
        help="every catalog classifier (those not installed are skipped)",
    )
    which.add_argument(
        "--installed", action="store_true", help="every installed classifier (the default)"
    )
    parser.add_argument(
        "--source",
        default="synthetic",
        metavar="VIDEO|IMAGE|synthetic",
        help="frames to run on at full speed (default: synthetic, no files)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="interpreter threads (default: every core)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION,
        metavar="SECONDS",
        help="invoke-only measuring time per model and runtime, split over the rounds "
        f"(default {DEFAULT_DURATION:g})",
    )
    parser.add_argument(
        "--e2e-seconds",
        type=float,
        default=DEFAULT_E2E_SECONDS,
        metavar="SECONDS",
        help="end-to-end pipeline time per model and runtime, split over the rounds "
        f"(default {DEFAULT_E2E_SECONDS:g})",
    )
    parser.add_argument(
        "--tune",
        action="store_true",
        help="time every thread count x XNNPACK on/off per model, print the grid and "
        "cache the fastest (what the app uses with threads 'auto')",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help=f"round-robin rounds over the models (default {DEFAULT_ROUNDS})",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=DEFAULT_WARMUP,
        metavar="N",
        help=f"invokes discarded before each phase (default {DEFAULT_WARMUP})",
    )
    parser.add_argument(
        "--runtimes",
        default=None,
        metavar="NAME,...",
        help="runtimes to compare, e.g. litert,tflite-runtime (default: --runtime, else auto)",
    )
    parser.add_argument(
        "--no-xnnpack", action="store_true", help="run without the XNNPACK CPU delegate"
    )
    parser.add_argument(
        "--eval",
        default=None,
        metavar="DIR",
        help="also measure top-1/top-5 on a labelled photo folder",
    )
    parser.add_argument("--json", default=None, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--csv", default=None, metavar="FILE", help="write the results as CSV")
    parser.add_argument(
        "--plot",
        default=None,
        metavar="PNG",
        help="draw latency vs top-1 (needs: pip install 'camapp[plot]')",
    )


def _split(text: str) -> list[str]:
    """The non-empty items of a comma-separated option."""
    return [part.strip() for part in text.split(",") if part.strip()]


def select_models(
    store: ModelStore, args: argparse.Namespace, warn: Callable[[str], None]
) -> list[str]:
    """The model specs ``--models``, ``--all`` or ``--installed`` (default) name.

    Args:
        store: Where the models are installed.
        args: The parsed ``camapp bench`` options.
        warn: Receives a line when ``--all`` skips models that are not installed.

    Returns:
        Catalog ids or ``.tflite`` paths, without duplicates, in the order given.

    Raises:
        CamappError: When ``--models`` names nothing, or no model is installed.
    """
    if args.models:
        specs = _split(args.models)
        if not specs:
            raise CamappError("--models names no model", "e.g. --models ID1,ID2")
        return list(dict.fromkeys(specs))
    classifiers = [e for e in store.catalog if e.kind == "classifier"]
    installed = [e for e in classifiers if store.is_installed(e)]
    if args.all and len(installed) < len(classifiers):
        warn(
            f"{len(classifiers) - len(installed)} catalog models are not installed and are "
            "skipped (install them with 'camapp models install --all')"
        )
    if not installed:
        raise CamappError("no models installed", "run 'camapp models install --defaults'")
    return [e.id for e in installed]


class _TextProgress:
    """A one-line progress bar on stderr, silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()

    def __call__(self, title: str, done: int, total: int) -> None:
        """Redraws the bar: ``done`` of ``total`` steps, the current one named ``title``."""
        if self.enabled:
            draw_bar(self.stream, title, done, total)


def cmd_bench(args: argparse.Namespace) -> int:
    """Runs ``camapp bench``: prints the table, writes JSON/CSV/PNG as asked.

    Args:
        args: The parsed command line (global options and the ``bench`` ones).

    Returns:
        The exit status, 0.

    Raises:
        CamappError: Bad options, missing models or source, no matplotlib for ``--plot``,
            or nothing that could be measured.
    """
    # Imported here: every camapp command builds the parser, which imports this module.
    from camapp.bench.chart import plot_results, require_matplotlib
    from camapp.bench.measure import BenchOptions, run_bench
    from camapp.bench.report import format_table, write_csv, write_json
    from camapp.store.catalog import Catalog
    from camapp.store.model_store import ModelStore

    def warn(line: str) -> None:
        log.warning("%s", line)

    if args.plot:
        require_matplotlib()  # before minutes of measuring, not after
    store = ModelStore(Catalog.load(args.catalog), args.models_dir)
    eval_items: tuple[LabelledImage, ...] = ()
    if args.eval:
        from camapp.bench.evaluate import load_dataset

        eval_items = tuple(load_dataset(args.eval))
    runtimes = (
        _split(args.runtimes)
        if args.runtimes
        else [args.runtime or os.environ.get("CAMAPP_RUNTIME") or "auto"]
    )
    if args.tune:
        return _cmd_tune(store, select_models(store, args, warn))
    options = BenchOptions(
        specs=tuple(select_models(store, args, warn)),
        runtimes=tuple(runtimes),
        source=args.source,
        threads=args.threads,
        duration=args.duration,
        e2e_seconds=args.e2e_seconds,
        rounds=args.rounds,
        warmup=args.warmup,
        use_xnnpack=not args.no_xnnpack,
        eval_items=eval_items,
    )
    report = run_bench(store, options, progress=_TextProgress(sys.stderr), warn=warn)
    report.results = [replace(r, tuned=_tuned(store, r.model)) for r in report.results]
    print(format_table(report))
    for line in report.skipped:
        print(f"  {line}")
    if args.json:
        write_json(report.results, args.json)
    if args.csv:
        write_csv(report.results, args.csv)
    if args.plot:
        plot_results(report.results, args.plot, measured_accuracy=bool(eval_items))
    written = [p for p in (args.json, args.csv, args.plot) if p]
    if written:
        log.info("wrote %s", ", ".join(written))
    return 0


def _tuned(store: ModelStore, spec: str) -> str | None:
    """The cached tuned path of ``spec`` here (``1 thread, XNNPACK: 4.5 ms``), if any."""
    from camapp.inference.tuning import TuningCache, tuning_key

    try:
        choice = TuningCache().get(tuning_key(store.options_for(spec)))
    except CamappError:
        return None
    return choice.best.describe() if choice is not None else None


def _cmd_tune(store: ModelStore, specs: list[str]) -> int:
    """``camapp bench --tune``: the threads x XNNPACK grid of each model, fastest marked."""
    from camapp.inference.tuning import TuningCache, tune

    cache = TuningCache()
    for spec in specs:
        choice = tune(store.options_for(spec), cache, refresh=True)
        print(f"{spec}: {choice.describe()}")
        best = choice.best
        for timing in sorted(choice.grid, key=lambda t: (t.threads, not t.xnnpack)):
            mark = "  <- fastest" if timing == best else ""
            print(f"  {timing.describe():<34} ({timing.runs} invokes){mark}")
    log.info("cached in %s", cache.path)
    return 0


__all__ = ["add_bench_arguments", "cmd_bench", "select_models"]
