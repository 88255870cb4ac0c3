"""``camapp eval``: top-1/top-5 accuracy of models on a labelled photo folder or CSV."""

from __future__ import annotations

import argparse
import json

from camapp.base.errors import CamappError
from camapp.cli.common import open_classifier, open_store, progress_bar


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluates each ``--model`` (default: every installed classifier) on ``args.dataset``.

    Returns:
        0.

    Raises:
        CamappError: For an unreadable dataset, no installed model, or an unusable model.
    """
    from camapp.bench.evaluate import EvalResult, evaluate, load_dataset

    store = open_store(args)
    items = load_dataset(args.dataset)
    specs = args.model or [e.id for e in store.installed() if e.kind == "classifier"]
    if not specs:
        raise CamappError("no models installed", "run 'camapp models install --defaults'")
    results: list[EvalResult] = []
    for spec in specs:
        with open_classifier(store, spec, args) as classifier:
            bar = progress_bar(f"eval {spec}")
            results.append(evaluate(classifier, items, crop=args.crop, progress=bar))
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
        return 0
    print(f"{'model':<44} {'images':>6} {'top-1':>7} {'top-5':>7} {'invoke ms':>9}")
    for r in results:
        print(
            f"{r.model:<44} {r.images:>6} {r.top1:>6.1f}% {r.top5:>6.1f}% {r.mean_invoke_ms:>9.2f}"
        )
        if r.skipped:
            print(f"  ({r.skipped} images skipped: unreadable or label not a model class)")
    return 0
