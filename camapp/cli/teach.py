"""``camapp teach``: a class set from folders of photos (one folder per class), saved for later.

``camapp classify --class-set SET`` and ``camapp run --model SET`` use what it saves.
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from camapp.cli.common import open_store, progress_bar

if TYPE_CHECKING:
    from camapp.inference.teach_classifier import ClassSetClassifier
    from camapp.store.model_store import ModelStore

log = logging.getLogger(__name__)


def add_teach_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``camapp teach``."""
    parser.add_argument(
        "--classes",
        required=True,
        metavar="DIR",
        help="a folder with one folder of photos per class (the folder name is the class name)",
    )
    parser.add_argument(
        "--save",
        required=True,
        metavar="SET",
        help="where to save the class set: a folder, or a file ending in .zip",
    )
    parser.add_argument(
        "--model",
        default=None,
        metavar="ID",
        help="embedding model (catalog id or .tflite; default: the first installed embedder)",
    )
    parser.add_argument(
        "--roi",
        default=None,
        help="left,top,right,bottom fractions of each photo (default: central 87.5%%)",
    )
    parser.add_argument(
        "--k", type=int, default=None, help="nearest examples each class votes with (default 3)"
    )


def cmd_teach(args: argparse.Namespace) -> int:
    """Teaches one class per folder of ``--classes`` and saves the set to ``--save``.

    Returns:
        0, or 1 when a photo could not be read (the set is saved without it).

    Raises:
        CamappError: For a missing folder, too many classes, no embedder, or a save that fails.
    """
    from dataclasses import replace

    from camapp.base.roi import ROI
    from camapp.pipeline.teach import open_embedder, teach_folders

    store = open_store(args)
    roi = ROI.parse(args.roi) if args.roi else None
    with open_embedder(
        store,
        args.model or "",
        threads=args.threads,
        xnnpack=not args.no_xnnpack,
        runtime=args.runtime,
    ) as embedder:
        class_set = embedder.class_set
        if args.k is not None:
            class_set.set_rule(replace(class_set.rule, k=args.k))
        problems = teach_folders(embedder, args.classes, roi, progress_bar("teach"))
        for line in problems:
            log.error("%s", line)
        path = class_set.save(args.save)
    for taught in class_set.classes:
        print(f"{taught.name}: {taught.count} example{'s' * (taught.count != 1)}")
    print(
        f"saved {path}: {len(class_set.classes)} classes, {class_set.size} examples, "
        f"embedding model {class_set.embedder_id}"
    )
    return 1 if problems else 0


def open_class_set_classifier(store: ModelStore, args: argparse.Namespace) -> ClassSetClassifier:
    """``camapp classify --class-set``: the set with its embedder (``--model`` must be it).

    Raises:
        CamappError: For a broken set, or an embedder that is missing or another one.
    """
    from camapp.pipeline.teach import open_class_set

    return open_class_set(
        store,
        args.class_set,
        args.model or "",
        threads=args.threads,
        xnnpack=not args.no_xnnpack,
        runtime=args.runtime,
    )
