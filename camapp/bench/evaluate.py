"""Top-1/top-5 accuracy on a labelled photo folder, with the papers' preprocessing."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2

from camapp.base.config import packaged_file
from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.capture.frames import IMAGE_EXTENSIONS
from camapp.inference.classifier import Classifier


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    label: str


@dataclass(frozen=True)
class EvalResult:
    model: str
    images: int
    top1: float
    top5: float
    skipped: int
    mean_invoke_ms: float

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "images": self.images,
            "top1": round(self.top1, 2),
            "top5": round(self.top5, 2),
            "skipped": self.skipped,
            "mean_invoke_ms": round(self.mean_invoke_ms, 3),
        }


def load_dataset(root: str | Path) -> list[LabelledImage]:
    """Reads a labelled set: a CSV of ``file,label`` or one sub-folder per class.

    Labels are class names (any synonym, ``_`` for space) or WordNet ids (``n02123045``).

    Raises:
        CamappError: When the folder or CSV is missing or has no images.
    """
    root = Path(root)
    items: list[LabelledImage] = []
    if root.is_file() and root.suffix.lower() == ".csv":
        with open(root, newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                if len(row) < 2 or row[0].strip().lower() in ("file", "filename", "path"):
                    continue
                items.append(LabelledImage(root.parent / row[0].strip(), row[1].strip()))
    elif root.is_dir():
        csvs = sorted(root.glob("*.csv"))
        if csvs and not any(p.is_dir() for p in root.iterdir()):
            return load_dataset(csvs[0])
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            for image in sorted(folder.rglob("*")):
                if image.suffix.lower() in IMAGE_EXTENSIONS:
                    items.append(LabelledImage(image, folder.name))
    else:
        raise CamappError(f"evaluation set not found: {root}", "give a folder or a CSV file")
    if not items:
        raise CamappError(
            f"no labelled images in {root}",
            "use one sub-folder per class (named by label or WordNet id) or a CSV of file,label",
        )
    return items


def _normalise(name: str) -> str:
    return name.replace("_", " ").strip().lower()


def wordnet_ids() -> list[str]:
    """The 1000 ILSVRC-2012 WordNet ids in class order, when the packaged list exists."""
    path = packaged_file("imagenet_wnids.txt")
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


class LabelMatcher:
    """Maps a folder/CSV label to the model's class indices (any synonym or WordNet id)."""

    def __init__(self, labels: list[str]) -> None:
        self._by_name: dict[str, set[int]] = {}
        for index, label in enumerate(labels):
            for synonym in label.split(","):
                self._by_name.setdefault(_normalise(synonym), set()).add(index)
            self._by_name.setdefault(_normalise(label), set()).add(index)
        offset = 1 if labels and labels[0].lower() == "background" else 0
        wnids = wordnet_ids()
        if len(wnids) + offset == len(labels):
            for index, wnid in enumerate(wnids):
                self._by_name[wnid.lower()] = {index + offset}

    def indices(self, label: str) -> set[int]:
        return self._by_name.get(_normalise(label), set())


def evaluate(
    classifier: Classifier,
    items: list[LabelledImage],
    crop: float = 0.875,
    progress: Callable[[int, int], None] | None = None,
) -> EvalResult:
    """Accuracy with central crop ``crop`` then bilinear resize (the MobileNet papers' eval).

    Images whose label matches no class, or that cannot be read, are skipped and counted.
    """
    matcher = LabelMatcher(classifier.labels)
    roi = ROI.central(crop)
    hits1 = hits5 = counted = skipped = 0
    invoke_ms = 0.0
    for done, item in enumerate(items, 1):
        wanted = matcher.indices(item.label)
        image = cv2.imread(str(item.path), cv2.IMREAD_COLOR)
        if not wanted or image is None:
            skipped += 1
        else:
            result = classifier.classify(image, roi, top_k=5)
            counted += 1
            invoke_ms += result.timings.invoke_ms
            hits1 += result.indices[0] in wanted
            hits5 += bool(wanted.intersection(result.indices[:5]))
        if progress:
            progress(done, len(items))
    if counted == 0:
        raise CamappError(
            f"none of the {len(items)} labels match the classes of {classifier.name}",
            "name folders by class (e.g. 'tabby' or 'Egyptian_cat') or WordNet id",
        )
    return EvalResult(
        model=classifier.name,
        images=counted,
        top1=100.0 * hits1 / counted,
        top5=100.0 * hits5 / counted,
        skipped=skipped,
        mean_invoke_ms=invoke_ms / counted,
    )
