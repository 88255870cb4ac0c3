"""``camapp eval``: top-1/top-5 accuracy of models on a labelled photo folder or CSV."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, TextIO

from camapp.base.errors import CamappError
from camapp.cli.common import open_classifier, open_store

if TYPE_CHECKING:
    from camapp.bench.evaluate import Dataset


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluates each ``--model`` (default: every installed classifier) on ``args.dataset``.

    Prints (on stderr) how the set was read, the folders it left out and why, the crop, and
    progress with the time left; then a table (or JSON) with each model's accuracy and time,
    the labels that are no class of a model, and the total time.

    Returns:
        0.

    Raises:
        CamappError: For an unreadable dataset, no installed model, or an unusable model.
    """
    from camapp.base.progress import TextProgress, duration_text
    from camapp.bench.evaluate import EvalResult, evaluate, read_dataset

    started = time.monotonic()
    store = open_store(args)
    dataset = read_dataset(args.dataset)
    specs = args.model or [e.id for e in store.installed() if e.kind == "classifier"]
    if not specs:
        raise CamappError("no models installed", "run 'camapp models install --defaults'")
    if not 0.0 < args.crop <= 1.0:
        raise CamappError(f"--crop {args.crop} is not a fraction", "give 0.1 to 1.0 (1.0: none)")
    err = sys.stderr
    results: list[EvalResult] = []
    for spec in specs:
        with open_classifier(store, spec, args) as classifier:
            if not results:  # after the first model opened: a broken one is one line alone
                _describe(args, dataset, len(specs), err)
            progress = TextProgress(f"eval {spec}", err)
            results.append(evaluate(classifier, dataset.items, crop=args.crop, progress=progress))
    total = time.monotonic() - started
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
        print(f"total time {duration_text(total)}", file=err)
        return 0
    print(f"{'model':<44} {'images':>6} {'top-1':>7} {'top-5':>7} {'invoke ms':>9} {'time':>9}")
    for r in results:
        print(
            f"{r.model:<44} {r.images:>6} {r.top1:>6.1f}% {r.top5:>6.1f}% "
            f"{r.mean_invoke_ms:>9.2f} {duration_text(r.seconds):>9}"
        )
        if r.unreadable:
            print(f"  skipped {_photos(r.unreadable)}: not readable as images")
        for label, count in r.unmatched:
            what = f"folder {label}/" if dataset.kind == "folders" else f"label '{label}'"
            print(f"  skipped {what} ({_photos(count)}): '{label}' is not a class of {r.model}")
    print(f"crop {args.crop:g}; {_photos(len(dataset.items))}; total time {duration_text(total)}")
    return 0


def _describe(args: argparse.Namespace, dataset: Dataset, models: int, err: TextIO) -> None:
    """How the set was read, what was left out and why, and the crop (on stderr)."""
    print(f"evaluation set: {args.dataset} ({dataset.layout})", file=err)
    for folder, why in dataset.skipped:
        print(f"  skipped {folder}: {why}", file=err)
    if dataset.missing:
        names = ", ".join(dataset.missing[:3]) + (", ..." if len(dataset.missing) > 3 else "")
        print(
            f"  skipped {_photos(len(dataset.missing))} named in the CSV but not found ({names})",
            file=err,
        )
    crop = "none (the whole photo)" if args.crop >= 1.0 else f"central {args.crop * 100:g} %"
    print(
        f"{_photos(len(dataset.items))}, {models} model(s); crop {crop}, then a bilinear "
        "resize to each model's input",
        file=err,
    )


def _photos(count: int) -> str:
    return f"{count} photo{'' if count == 1 else 's'}"
