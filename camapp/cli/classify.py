"""``camapp classify``: the top-k classes of photos, as text or one JSON object per photo."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from camapp.cli.common import default_model, open_classifier, open_store

if TYPE_CHECKING:
    from camapp.inference.results import Classification
    from camapp.inference.teach_classifier import Recognition

log = logging.getLogger(__name__)


def _recognition(result: Classification, class_set: bool) -> Recognition | None:
    """``result`` as teach mode's answer (which says when it is unsure), else ``None``.

    Teach mode's modules (and PyYAML, which they read class sets with) are imported only
    when a class set is used: a plain classify starts 10 ms sooner.
    """
    if not class_set:
        return None
    from camapp.inference.teach_classifier import Recognition

    return result if isinstance(result, Recognition) else None


def cmd_classify(args: argparse.Namespace) -> int:
    """Classifies each image of ``args.images`` with one model.

    Returns:
        0, or 1 when an image could not be read (the others are still classified).

    Raises:
        CamappError: For an unknown or unusable model, or an unreadable ``--roi``.
    """
    import cv2

    from camapp.base.roi import ROI
    from camapp.cli.teach import open_class_set_classifier
    from camapp.inference.classifier import Classifier

    store = open_store(args)
    roi = ROI.parse(args.roi) if args.roi else ROI.central(0.875)
    failures = 0
    opened: Classifier
    class_set = bool(getattr(args, "class_set", None))
    if class_set:  # your own classes, with the embedder they name
        opened = open_class_set_classifier(store, args)
    else:
        opened = open_classifier(store, args.model or default_model(store), args, args.labels)
    with opened as classifier:
        for name in args.images:
            image = cv2.imread(name, cv2.IMREAD_COLOR) if Path(name).is_file() else None
            if image is None:
                why = "not found" if not Path(name).exists() else "not a readable image"
                log.error("%s: %s; check the path", name, why)
                failures += 1
                continue
            result = classifier.classify(image, roi, top_k=args.top_k)
            if args.json:
                record = {
                    "image": name,
                    "model": classifier.name,
                    "labels": list(result.labels),
                    "scores": [round(s, 6) for s in result.scores],
                    "indices": list(result.indices),
                    "timings_ms": result.timings.as_dict(),
                }
                recognition = _recognition(result, class_set)
                if recognition is not None:
                    record.update(unsure=recognition.unsure, reason=recognition.reason)
                print(json.dumps(record))
            else:
                print(f"{name} ({classifier.name}, {result.timings.total_ms:.1f} ms)")
                for label, score in zip(result.labels, result.scores):
                    print(f"  {score * 100:6.2f}%  {label}")
                recognition = _recognition(result, class_set)
                if recognition is not None and recognition.unsure:
                    print(f"  not sure: {recognition.reason}")
    return 1 if failures else 0
