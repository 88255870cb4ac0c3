"""What the commands share: the store from the options, classifiers, the default model."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # every command imports this module: heavy imports wait until used
    from camapp.base.settings import Settings
    from camapp.inference.classifier import Classifier
    from camapp.store.model_store import ModelStore

log = logging.getLogger(__name__)


def open_store(args: argparse.Namespace) -> ModelStore:
    """The model store of ``--catalog`` and ``--models-dir``.

    Raises:
        CamappError: When the catalog is missing or broken.
    """
    from camapp.store.catalog import Catalog
    from camapp.store.model_store import ModelStore

    return ModelStore(Catalog.load(args.catalog), args.models_dir)


def open_classifier(
    store: ModelStore, spec: str, args: argparse.Namespace, labels: str | None = None
) -> Classifier:
    """A classifier for a catalog id or path, with ``--threads``, ``--no-xnnpack``, ``--runtime``.

    Its notes (such as running without XNNPACK) are logged as warnings.

    Raises:
        CamappError: When the model is unknown, not installed or not usable.
    """
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
        log.warning("%s", note)
    return classifier


def user_settings() -> Settings:
    """The user's settings (packaged defaults, remembered state, config file); logs problems."""
    from camapp.base.settings import load_settings

    loaded = load_settings()
    for line in loaded.warnings:
        log.warning("%s", line)
    return loaded.settings


def default_model(store: ModelStore) -> str:
    """The configured model when installed, else the first installed classifier."""
    return store.usable_model(user_settings().model)


def progress_bar(title: str) -> Callable[[int, int], None]:
    """A ``(done, total)`` callback drawing a bar on stderr (silent when not a terminal)."""
    from camapp.base.progress import draw_bar

    def report(done: int, total: int) -> None:
        draw_bar(sys.stderr, title, done, total)

    return report
