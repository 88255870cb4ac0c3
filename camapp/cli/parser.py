"""The ``camapp`` argument parser: common options, the run options and every command.

``camapp`` with no command opens the window, so the run options are accepted on the top level
too. They are stored there under their own names (``_TOP`` prefix) so that a run option given
before another command (``camapp --model m classify ...``) is reported instead of silently lost
to that command's own ``--model``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from camapp.bench.cli import add_bench_arguments, cmd_bench
from camapp.cli import classify, evaluate, info, kiosk, models, run, teach

_TOP = "top_level_"
_RUN_HELP = "open the live window (the default when no command is given)"


def _output_options(top_level: bool) -> argparse.ArgumentParser:
    """``-v``/``-q``, for every parser.

    Below the top level they default to nothing, so a command's parser does not reset a
    ``-v`` given before the command name.
    """
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("output")
    default: Any = 0 if top_level else argparse.SUPPRESS
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="more detail on stderr, with tracebacks of unexpected errors",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=default,
        help="less on stderr: -q only warnings and errors, -qq only errors",
    )
    return parent


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=None, help="interpreter threads")
    parser.add_argument(
        "--no-xnnpack", action="store_true", help="run without the XNNPACK CPU delegate"
    )


def add_run_arguments(
    parser: argparse.ArgumentParser, *, top_level: bool = False, defaults: bool = False
) -> None:
    """Adds the options of the live window.

    Args:
        parser: The ``run`` parser, or the top-level one.
        top_level: Store each option as ``top_level_<name>`` (:func:`parse_args` moves it).
        defaults: Give the options their defaults; otherwise an option is absent unless given,
            and :func:`parse_args` fills in the defaults.
    """
    title = "run options (camapp with no command opens the window)" if top_level else "window"
    group = parser.add_argument_group(title)

    def add(flag: str, **kwargs: Any) -> None:
        name = flag.removeprefix("--").replace("-", "_")
        if not defaults:
            kwargs["default"] = argparse.SUPPRESS
        if top_level:
            kwargs["dest"] = _TOP + name
            if kwargs.get("action") != "store_true" and "choices" not in kwargs:
                kwargs.setdefault("metavar", name.upper())
        group.add_argument(flag, **kwargs)

    add("--source", default=None, help="camera index, video, URL, image or folder")
    add("--model", default=None, help="catalog id or .tflite path")
    add("--labels", default=None, help="label file for a .tflite path")
    add("--roi", default=None, metavar="L,T,R,B", help="the box: left,top,right,bottom fractions")
    add(
        "--mode",
        choices=("continuous", "click"),
        default=None,
        help="recognise every frame, or only on a click or Space",
    )
    add("--fullscreen", action="store_true", help="kiosk: start full screen")
    add(
        "--quit-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="close the window after this many seconds (scripts, screenshots)",
    )
    add("--screenshot", default=None, metavar="PNG", help="save the window at quit")
    add("--stats-json", default=None, metavar="FILE", help="write run statistics")
    add("--compare", default=None, metavar="ID", help="second model, side by side")
    add("--no-save", action="store_true", help="do not save settings on exit")
    add(
        "--swap-to",
        default=None,
        metavar="ID",
        help="measuring: switch to this model during the run (see --swap-after)",
    )
    add(
        "--swap-after",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="when --swap-to switches model (default 5)",
    )
    add(
        "--swap-models",
        default=None,
        metavar="ID,ID,...",
        help="soak runs: swap round these models, the next one every --swap-every seconds",
    )
    add(
        "--swap-every",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="seconds between --swap-models swaps (default 3)",
    )
    add("--threads", type=int, default=None, help="interpreter threads")
    add("--no-xnnpack", action="store_true", help="run without the XNNPACK CPU delegate")


def _run_defaults() -> dict[str, Any]:
    defaults = argparse.ArgumentParser(add_help=False)
    add_run_arguments(defaults, defaults=True)
    return vars(defaults.parse_args([]))


def build_parser() -> argparse.ArgumentParser:
    """The ``camapp`` parser; each command sets ``handler`` (see :func:`parse_args`)."""
    parser = argparse.ArgumentParser(
        prog="camapp",
        description="Live camera recognition with quantised MobileNets.",
        epilog="With no command, camapp opens the live window: 'camapp --source 0' is "
        "'camapp run --source 0'. Run 'camapp COMMAND --help' for a command's options.",
        parents=[_output_options(top_level=True)],
    )
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    parser.add_argument(
        "--runtime", default=None, help="TFLite runtime: auto (default), litert, tflite-runtime"
    )
    parser.add_argument("--models-dir", default=None, help="folder of model files")
    parser.add_argument("--catalog", default=None, help="model catalog YAML")
    add_run_arguments(parser, top_level=True)
    parser.set_defaults(handler=run.cmd_run)
    output = [_output_options(top_level=False)]
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run_parser = sub.add_parser("run", help=_RUN_HELP, parents=output)
    add_run_arguments(run_parser)
    run_parser.set_defaults(handler=run.cmd_run)

    kiosk_parser = sub.add_parser("kiosk", help=kiosk.HELP, parents=output)
    kiosk.add_kiosk_arguments(kiosk_parser)
    kiosk_parser.set_defaults(handler=kiosk.cmd_kiosk)

    sub.add_parser(
        "info", help="print camapp, runtime and OpenCV versions", parents=output
    ).set_defaults(handler=info.cmd_info)

    cls = sub.add_parser("classify", help="classify photos", parents=output)
    cls.add_argument("images", nargs="+", metavar="IMAGE", help="photo files to classify")
    cls.add_argument("--model", default=None, help="catalog id or .tflite path")
    cls.add_argument("--labels", default=None, help="label file (for a .tflite path)")
    cls.add_argument(
        "--roi", default=None, help="left,top,right,bottom fractions (default: central 87.5%%)"
    )
    cls.add_argument("--top-k", type=int, default=5, help="classes per photo (default 5)")
    cls.add_argument("--json", action="store_true", help="one JSON object per image")
    cls.add_argument(
        "--class-set",
        default=None,
        metavar="SET",
        help="answer with your own classes: a set saved by teach mode or 'camapp teach' "
        "(--model then names its embedding model, which must be the one it was made with)",
    )
    _add_model_options(cls)
    cls.set_defaults(handler=classify.cmd_classify)

    tch = sub.add_parser(
        "teach", help="teach your own classes from folders of photos", parents=output
    )
    teach.add_teach_arguments(tch)
    _add_model_options(tch)
    tch.set_defaults(handler=teach.cmd_teach)

    ev = sub.add_parser(
        "eval", help="top-1/top-5 accuracy on a labelled photo folder", parents=output
    )
    ev.add_argument(
        "dataset",
        metavar="DIR",
        help="one sub-folder of photos per class, a folder holding labels.csv (file,label) and "
        "its photos, or a CSV",
    )
    ev.add_argument("--model", action="append", default=None, help="catalog id or path (repeat)")
    ev.add_argument("--crop", type=float, default=0.875, help="central crop fraction (1.0: none)")
    ev.add_argument("--json", action="store_true", help="results as JSON on stdout")
    _add_model_options(ev)
    ev.set_defaults(handler=evaluate.cmd_eval)

    mod = sub.add_parser("models", help="list, install and verify models", parents=output)
    # 'camapp models' alone lists them.
    mod.set_defaults(handler=models.cmd_models_list, json=False, installed=False)
    msub = mod.add_subparsers(dest="models_command", metavar="ACTION")
    mlist = msub.add_parser(
        "list",
        help="every catalog entry, whether it is installed and where it is available",
        parents=output,
    )
    mlist.add_argument("--json", action="store_true", help="every entry as JSON")
    mlist.add_argument("--installed", action="store_true", help="only installed models")
    mlist.set_defaults(handler=models.cmd_models_list)
    minst = msub.add_parser(
        "install", help="install models from a mirror folder or the web", parents=output
    )
    minst.add_argument(
        "ids", nargs="*", metavar="ID", help="catalog ids (none: the default models)"
    )
    minst.add_argument("--all", action="store_true", help="every catalog entry")
    minst.add_argument("--defaults", action="store_true", help="the default set (first run)")
    minst.add_argument("--from", dest="source", default=None, help="mirror folder or base URL")
    minst.add_argument("--force", action="store_true", help="re-install present files")
    minst.add_argument(
        "--allow-unverified",
        action="store_true",
        help="install files with no known sha256 and print the hash seen",
    )
    minst.set_defaults(handler=models.cmd_models_install)
    msub.add_parser(
        "verify", help="re-check the sha256 of every installed file", parents=output
    ).set_defaults(handler=models.cmd_models_verify)
    msub.add_parser(
        "dirs", help="where model files are searched and installed", parents=output
    ).set_defaults(handler=models.cmd_models_dirs)

    bench = sub.add_parser("bench", help="measure and compare model speed", parents=output)
    add_bench_arguments(bench)
    bench.set_defaults(handler=cmd_bench)
    return parser


def parse_args(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None = None
) -> argparse.Namespace:
    """Parses ``argv`` and settles the run options and ``--version``.

    With no command (or ``run``), run options given on the top level are moved to their
    names, under any given after ``run``, over the defaults.

    Raises:
        SystemExit: With status 2 (and the usage on stderr) for a usage error, such as a run
            option before another command; with 0 after ``--help``.
    """
    args = parser.parse_args(argv)
    top = {key: value for key, value in vars(args).items() if key.startswith(_TOP)}
    for key in top:
        delattr(args, key)
    given_first = {key.removeprefix(_TOP): value for key, value in top.items()}
    if args.command in (None, "run"):
        for name, value in {**_run_defaults(), **given_first}.items():
            if name not in vars(args):  # given after 'run' wins
                setattr(args, name, value)
    elif given_first:
        flags = ", ".join("--" + name.replace("_", "-") for name in given_first)
        parser.error(
            f"{flags}: window options go after 'camapp run' (or with no command), "
            f"not before '{args.command}'"
        )
    if args.version:
        args.handler = info.cmd_info
    return args
