"""The ``camapp`` command line: run, classify, eval, models, bench, info."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from camapp import __version__
from camapp.base.errors import CamappError


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=None, help="interpreter threads")
    parser.add_argument(
        "--no-xnnpack", action="store_true", help="run without the XNNPACK CPU delegate"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="camapp",
        description="Live camera recognition with quantised MobileNets.",
    )
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    parser.add_argument(
        "--runtime", default=None, help="TFLite runtime: auto (default), litert, tflite-runtime"
    )
    parser.add_argument("--models-dir", default=None, help="folder of model files")
    parser.add_argument("--catalog", default=None, help="model catalog YAML")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="open the live window (the default)")
    add_run_arguments(run)

    sub.add_parser("info", help="print camapp, runtime and OpenCV versions")

    classify = sub.add_parser("classify", help="classify photos")
    classify.add_argument("images", nargs="+", metavar="IMAGE")
    classify.add_argument("--model", default=None, help="catalog id or .tflite path")
    classify.add_argument("--labels", default=None, help="label file (for a .tflite path)")
    classify.add_argument(
        "--roi", default=None, help="left,top,right,bottom fractions (default: central 87.5%%)"
    )
    classify.add_argument("--top-k", type=int, default=5)
    classify.add_argument("--json", action="store_true", help="one JSON object per image")
    _add_model_options(classify)

    ev = sub.add_parser("eval", help="top-1/top-5 accuracy on a labelled photo folder")
    ev.add_argument("dataset", metavar="DIR", help="one sub-folder per class, or a CSV")
    ev.add_argument("--model", action="append", default=None, help="catalog id or path (repeat)")
    ev.add_argument("--crop", type=float, default=0.875, help="central crop fraction (1.0: none)")
    ev.add_argument("--json", action="store_true")
    _add_model_options(ev)

    models = sub.add_parser("models", help="list, install and verify models")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION")
    mlist = msub.add_parser("list", help="every catalog entry and whether it is installed")
    mlist.add_argument("--json", action="store_true")
    mlist.add_argument("--installed", action="store_true", help="only installed models")
    minst = msub.add_parser("install", help="install models from a mirror folder or the web")
    minst.add_argument("ids", nargs="*", metavar="ID")
    minst.add_argument("--all", action="store_true", help="every catalog entry")
    minst.add_argument("--defaults", action="store_true", help="the default set (first run)")
    minst.add_argument("--from", dest="source", default=None, help="mirror folder or base URL")
    minst.add_argument("--force", action="store_true", help="re-install present files")
    minst.add_argument(
        "--allow-unverified",
        action="store_true",
        help="install files with no known sha256 and print the hash seen",
    )
    msub.add_parser("verify", help="re-check the sha256 of every installed file")
    mdirs = msub.add_parser("dirs", help="where model files are searched and installed")
    mdirs.set_defaults(models_command="dirs")

    from camapp.bench.cli import add_bench_arguments

    add_bench_arguments(sub.add_parser("bench", help="measure and compare model speed"))
    return parser


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("--source", default=None, help="camera index, video, URL, image or folder")
    run.add_argument("--model", default=None, help="catalog id or .tflite path")
    run.add_argument("--labels", default=None, help="label file for a .tflite path")
    run.add_argument("--roi", default=None, help="left,top,right,bottom fractions")
    run.add_argument("--mode", choices=("continuous", "click"), default=None)
    run.add_argument("--fullscreen", action="store_true", help="kiosk: start full screen")
    run.add_argument("--quit-after", type=float, default=None, metavar="SECONDS")
    run.add_argument("--screenshot", default=None, metavar="PNG", help="save the window at quit")
    run.add_argument("--stats-json", default=None, metavar="FILE", help="write run statistics")
    run.add_argument("--compare", default=None, metavar="ID", help="second model, side by side")
    run.add_argument("--no-save", action="store_true", help="do not save settings on exit")
    run.add_argument(
        "--swap-to",
        default=None,
        metavar="ID",
        help="measuring: switch to this model during the run (see --swap-after)",
    )
    run.add_argument("--swap-after", type=float, default=5.0, metavar="SECONDS")
    _add_model_options(run)


# -- helpers ---------------------------------------------------------------------------------
def _catalog(args: argparse.Namespace):
    from camapp.store.catalog import Catalog

    return Catalog.load(args.catalog)


def _store(args: argparse.Namespace):
    from camapp.store.model_store import ModelStore

    return ModelStore(_catalog(args), args.models_dir)


def _classifier(store, spec: str, args: argparse.Namespace, labels: str | None = None):
    from camapp.inference.classifier import Classifier

    options = store.options_for(
        spec,
        labels=labels,
        num_threads=args.threads,
        use_xnnpack=not args.no_xnnpack,
        runtime=args.runtime,
    )
    classifier = Classifier.create(options)
    for note in classifier.notes:
        print(f"camapp: {note}", file=sys.stderr)
    return classifier


def _default_model(store) -> str:
    from camapp.base.config import app_defaults

    wanted = str(app_defaults().get("model") or "")
    installed = [e.id for e in store.installed() if e.kind == "classifier"]
    if wanted in installed or not installed:
        return wanted
    return installed[0]


# -- commands --------------------------------------------------------------------------------
def cmd_info(args: argparse.Namespace) -> int:
    import cv2
    import numpy

    from camapp.inference.runtime import default_threads, load_runtime

    try:
        runtime = load_runtime(args.runtime)
        runtime_text = f"{runtime.name} {runtime.version}"
    except CamappError as exc:
        runtime_text = f"none ({exc})"
    print(f"camapp {__version__}")
    print(f"runtime {runtime_text}")
    print(f"opencv {cv2.__version__}")
    print(f"numpy {numpy.__version__}")
    print(f"python {sys.version.split()[0]}")
    print(f"threads {default_threads()}")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    import cv2

    from camapp.base.roi import ROI

    store = _store(args)
    roi = ROI.parse(args.roi) if args.roi else ROI.central(0.875)
    spec = args.model or _default_model(store)
    failures = 0
    with _classifier(store, spec, args, args.labels) as classifier:
        for name in args.images:
            image = cv2.imread(name, cv2.IMREAD_COLOR) if Path(name).is_file() else None
            if image is None:
                why = "not found" if not Path(name).exists() else "not a readable image"
                print(f"camapp: {name}: {why}; check the path", file=sys.stderr)
                failures += 1
                continue
            result = classifier.classify(image, roi, top_k=args.top_k)
            if args.json:
                print(
                    json.dumps(
                        {
                            "image": name,
                            "model": classifier.name,
                            "labels": list(result.labels),
                            "scores": [round(s, 6) for s in result.scores],
                            "indices": list(result.indices),
                            "timings_ms": result.timings.as_dict(),
                        }
                    )
                )
            else:
                print(f"{name} ({classifier.name}, {result.timings.total_ms:.1f} ms)")
                for label, score in zip(result.labels, result.scores):
                    print(f"  {score * 100:6.2f}%  {label}")
    return 1 if failures else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from camapp.bench.evaluate import evaluate, load_dataset

    store = _store(args)
    items = load_dataset(args.dataset)
    specs = args.model or [e.id for e in store.installed() if e.kind == "classifier"]
    if not specs:
        raise CamappError("no models installed", "run 'camapp models install --defaults'")
    results = []
    for spec in specs:
        with _classifier(store, spec, args) as classifier:
            bar = _progress_bar(f"eval {spec}")
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


def _progress_bar(title: str):
    from camapp.base.progress import draw_bar

    def report(done: int, total: int) -> None:
        draw_bar(sys.stderr, title, done, total)

    return report


def cmd_models(args: argparse.Namespace) -> int:
    action = getattr(args, "models_command", None) or "list"
    store = _store(args)
    if action == "list":
        return _models_list(store, args)
    if action == "dirs":
        print(f"install into: {store.install_dir}")
        for folder in store.dirs:
            print(f"search: {folder}{'' if folder.is_dir() else ' (missing)'}")
        return 0
    if action == "verify":
        rows = store.verify()
        if not rows:
            print("no models installed")
            return 0
        bad = 0
        for name, path, status in rows:
            print(f"{status:<9} {name}  ({path.parent})")
            bad += status == "mismatch"
        if bad:
            print(
                f"camapp: {bad} file(s) do not match the catalog; re-install them with "
                "'camapp models install --force ID'",
                file=sys.stderr,
            )
        return 1 if bad else 0
    return _models_install(store, args)


def _models_list(store, args: argparse.Namespace) -> int:
    rows = []
    for entry in store.catalog:
        installed = store.is_installed(entry)
        if args.installed and not installed:
            continue
        size = sum(f.bytes or 0 for f in entry.files) or None
        rows.append(
            {
                "id": entry.id,
                "name": entry.name,
                "kind": entry.kind,
                "family": entry.family,
                "size": entry.size,
                "width_multiplier": entry.width_multiplier,
                "resolution": entry.resolution,
                "quantization": entry.quantization,
                "installed": installed,
                "default": entry.default,
                "bytes": size,
                "top1": entry.published.top1,
                "top5": entry.published.top5,
                "macs_m": entry.published.macs_m,
                "params_m": entry.published.params_m,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'id':<44} {'inst':<4} {'size':>7} {'top-1':>6} {'MACs(M)':>8}")
    for row in rows:
        size = f"{row['bytes'] / 1e6:.1f}MB" if row["bytes"] else "?"
        top1 = f"{row['top1']:.1f}" if row["top1"] is not None else "-"
        macs = f"{row['macs_m']:g}" if row["macs_m"] is not None else "-"
        print(
            f"{row['id']:<44} {'yes' if row['installed'] else 'no':<4} {size:>7} "
            f"{top1:>6} {macs:>8}"
        )
    print(
        f"{sum(r['installed'] for r in rows)} of {len(rows)} installed in "
        f"{', '.join(str(d) for d in store.dirs if d.is_dir()) or store.install_dir}"
    )
    return 0


def _models_install(store, args: argparse.Namespace) -> int:
    from camapp.base.config import app_defaults
    from camapp.store.model_store import default_mirrors, install_from, text_progress

    if args.all:
        entries = list(store.catalog)
    elif args.defaults or not args.ids:
        entries = store.catalog.defaults()
    else:
        entries = [store.catalog.get(i) for i in args.ids]
    if args.source:
        sources = [args.source]
    else:
        sources = default_mirrors(app_defaults().get("model_mirrors") or []) + [None]
    results = install_from(
        store, entries, sources, args.allow_unverified, args.force, text_progress()
    )
    failed = 0
    for r in results:
        if r.status in ("installed", "present"):
            extra = f" ({r.detail})" if r.detail else ""
            print(f"{r.status:<11} {r.model_id}{extra}")
        else:
            failed += 1
            print(f"{r.status:<11} {r.model_id}: {r.detail}")
    print(f"{len(results) - failed} of {len(results)} ready in {store.install_dir}")
    if failed and args.source:
        print(f"camapp: {failed} model(s) not available from {args.source}", file=sys.stderr)
    return 1 if failed and not args.all else 0


def _check_display() -> None:
    """Qt aborts the process when it finds no display; say so in one line instead."""
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
    _check_display()
    try:
        from camapp.ui.app import run_app
    except ImportError as exc:
        raise CamappError(
            f"the window needs PyQt6 ({exc})", "install it with 'pip install PyQt6'"
        ) from exc
    return run_app(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI; errors become one line on stderr and exit code 2 or 1."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = {"run", "info", "classify", "eval", "models", "bench"}
    top_level_flags = {"--runtime", "--models-dir", "--catalog"}
    # 'camapp' alone, or with only run options, means 'camapp run'.
    first_positional = next(
        (
            a
            for i, a in enumerate(argv)
            if not a.startswith("-") and (i == 0 or argv[i - 1] not in top_level_flags)
        ),
        None,
    )
    if (
        "--version" not in argv
        and "-h" not in argv
        and "--help" not in argv
        and first_positional not in commands
    ):
        insert_at = 0
        while insert_at < len(argv) and argv[insert_at] in top_level_flags:
            insert_at += 2
        argv.insert(insert_at, "run")
    args = parser.parse_args(argv)
    if args.runtime:
        os.environ["CAMAPP_RUNTIME"] = args.runtime
    handlers = {
        "run": cmd_run,
        "info": cmd_info,
        "classify": cmd_classify,
        "eval": cmd_eval,
        "models": cmd_models,
    }
    try:
        if args.version:
            return cmd_info(args)
        if args.command == "bench":
            from camapp.bench.cli import cmd_bench

            return cmd_bench(args)
        return handlers[args.command](args)
    except CamappError as exc:
        print(f"camapp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("camapp: interrupted", file=sys.stderr)
        return 130
