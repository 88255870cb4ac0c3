"""Top-1/top-5 accuracy on a labelled photo folder, with the papers' preprocessing."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
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
    """A photo and its label (a class name, WordNet id or ImageNet class number)."""

    path: Path
    label: str


@dataclass(frozen=True)
class Dataset:
    """A labelled set as read from disk, with what was left out and why.

    Attributes:
        items: The photos with their labels.
        layout: How it was read, in words (``"labels.csv: 1300 photos in images/"``,
            ``"12 class folders"``).
        skipped: ``(folder, why)`` for every folder that was not read as part of the set.
        missing: The files named by CSV rows whose photo was not found.
        kind: ``csv`` or ``folders`` (one per class: a label is a folder's name).
    """

    items: tuple[LabelledImage, ...]
    layout: str
    skipped: tuple[tuple[str, str], ...] = ()
    missing: tuple[str, ...] = ()
    kind: str = "folders"


@dataclass(frozen=True)
class EvalResult:
    """Accuracy of one model on a set.

    Attributes:
        model: The model's name.
        images: Photos counted.
        top1: Top-1 accuracy in %.
        top5: Top-5 accuracy in %.
        skipped: Photos not counted (unreadable, or their label is not a class).
        mean_invoke_ms: Mean interpreter time per photo.
        crop: The central crop fraction used.
        seconds: Wall time of the whole run.
        unreadable: Photos that could not be read.
        unmatched: ``(label, photos)`` for labels that are no class of the model.
    """

    model: str
    images: int
    top1: float
    top5: float
    skipped: int
    mean_invoke_ms: float
    crop: float = 0.875
    seconds: float = 0.0
    unreadable: int = 0
    unmatched: tuple[tuple[str, int], ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "images": self.images,
            "top1": round(self.top1, 2),
            "top5": round(self.top5, 2),
            "skipped": self.skipped,
            "mean_invoke_ms": round(self.mean_invoke_ms, 3),
            "crop": self.crop,
            "seconds": round(self.seconds, 3),
            "unreadable": self.unreadable,
            "unmatched_labels": dict(self.unmatched),
        }


#: Names of the CSV file in a set's folder, in order of preference.
CSV_NAMES = ("labels.csv", "dataset.csv", "val.csv")


def load_dataset(root: str | Path) -> list[LabelledImage]:
    """The photos of :func:`read_dataset`."""
    return list(read_dataset(root).items)


def read_dataset(root: str | Path) -> Dataset:
    """Reads a labelled set: a CSV of ``file,label``, a folder holding one, or class folders.

    - A CSV file: each row ``file,label`` (a header row is skipped); files are relative to
      the CSV's folder, else looked up in its sub-folders (``labels.csv`` beside an
      ``images/`` folder).
    - A folder holding a CSV (``labels.csv`` first, else its only ``.csv``): that CSV; the
      sub-folders are where its photos are, not classes.
    - A folder of sub-folders: one per class, named by label; folders without photos are
      skipped and named.

    Labels are class names (any synonym, ``_`` for space), WordNet ids (``n02123045``) or
    ImageNet class numbers 0 to 999 (sorted-synset order, as TensorFlow numbers them).

    Raises:
        CamappError: When the folder or CSV is missing or has no photos.
    """
    root = Path(root)
    if root.is_file() and root.suffix.lower() == ".csv":
        dataset = _read_csv(root)
    elif root.is_dir():
        csv_file = _csv_in(root)
        dataset = _read_csv(csv_file) if csv_file else _read_folders(root)
    else:
        raise CamappError(f"evaluation set not found: {root}", "give a folder or a CSV file")
    if not dataset.items:
        detail = "; ".join(f"{name}: {why}" for name, why in dataset.skipped)
        raise CamappError(
            f"no labelled photos in {root}" + (f" ({detail})" if detail else ""),
            "use one sub-folder per class (named by label or WordNet id), or a labels.csv of "
            "file,label beside the photos",
        )
    return dataset


def _csv_in(folder: Path) -> Path | None:
    for name in CSV_NAMES:
        if (folder / name).is_file():
            return folder / name
    csvs = sorted(p for p in folder.glob("*.csv") if p.is_file())
    if len(csvs) > 1:
        names = ", ".join(p.name for p in csvs)
        raise CamappError(
            f"{folder} holds several CSV files ({names})", "give the one to use: camapp eval FILE"
        )
    return csvs[0] if csvs else None


def _read_csv(path: Path) -> Dataset:
    rows: list[tuple[str, str]] = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for row in csv.reader(handle):
                if len(row) < 2 or row[0].strip().lower() in ("file", "filename", "path"):
                    continue
                rows.append((row[0].strip(), row[1].strip()))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CamappError(f"cannot read {path}: {exc}", "give a UTF-8 CSV of file,label") from exc
    folder = path.parent
    by_name: dict[str, Path] | None = None
    items = []
    used: set[str] = set()
    missing: list[str] = []
    for name, label in rows:
        image = folder / name
        if not image.is_file():
            if by_name is None:  # rows naming bare files kept in a sub-folder: index it once
                by_name = _photos_below(folder)
            found = by_name.get(Path(name).name)
            if found is None:
                missing.append(name)
                continue
            image = found
        items.append(LabelledImage(image, label))
        relative = image.relative_to(folder) if image.is_relative_to(folder) else image
        if len(relative.parts) > 1:
            used.add(relative.parts[0])
    skipped = [
        (f"{sub.name}/", f"no photo of it is named in {path.name}")
        for sub in sorted(p for p in folder.iterdir() if p.is_dir())
        if sub.name not in used and not sub.name.startswith(".")
    ]
    where = f" in {', '.join(sorted(f'{u}/' for u in used))}" if used else ""
    layout = f"{path.name}: {len(items)} photos{where}"
    return Dataset(tuple(items), layout, tuple(skipped), tuple(missing), kind="csv")


def _photos_below(folder: Path) -> dict[str, Path]:
    photos: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file():
            photos.setdefault(path.name, path)
    return photos


def _read_folders(root: Path) -> Dataset:
    items: list[LabelledImage] = []
    skipped: list[tuple[str, str]] = []
    classes = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith("."):
            skipped.append((f"{folder.name}/", "hidden"))
            continue
        photos = [p for p in sorted(folder.rglob("*")) if p.suffix.lower() in IMAGE_EXTENSIONS]
        if not photos:
            skipped.append((f"{folder.name}/", "no photos in it"))
            continue
        classes += 1
        items.extend(LabelledImage(photo, folder.name) for photo in photos)
    layout = (
        f"{classes} class folder{'' if classes == 1 else 's'}, "
        f"{len(items)} photo{'' if len(items) == 1 else 's'}"
    )
    return Dataset(tuple(items), layout, tuple(skipped))


def _normalise(name: str) -> str:
    return name.replace("_", " ").strip().lower()


def wordnet_ids() -> list[str]:
    """The 1000 ILSVRC-2012 WordNet ids in class order, when the packaged list exists."""
    path = packaged_file("imagenet_wnids.txt")
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


class LabelMatcher:
    """Maps a folder/CSV label to the model's class indices (any synonym, WordNet id or number)."""

    def __init__(self, labels: list[str]) -> None:
        self._by_name: dict[str, set[int]] = {}
        for index, label in enumerate(labels):
            for synonym in label.split(","):
                self._by_name.setdefault(_normalise(synonym), set()).add(index)
            self._by_name.setdefault(_normalise(label), set()).add(index)
        offset = 1 if labels and labels[0].lower() == "background" else 0
        self._offset = offset
        self._classes = len(labels) - offset
        wnids = wordnet_ids()
        if len(wnids) + offset == len(labels):
            for index, wnid in enumerate(wnids):
                self._by_name[wnid.lower()] = {index + offset}

    def indices(self, label: str) -> set[int]:
        """The model's indices for ``label``; a number is an ImageNet class 0 to 999."""
        found = self._by_name.get(_normalise(label))
        if found is None and label.strip().isdigit() and self._classes == 1000:
            number = int(label)
            return {number + self._offset} if 0 <= number < self._classes else set()
        return found or set()


def evaluate(
    classifier: Classifier,
    items: Sequence[LabelledImage],
    crop: float = 0.875,
    progress: Callable[[int, int], None] | None = None,
) -> EvalResult:
    """Accuracy with central crop ``crop`` then bilinear resize (the MobileNet papers' eval).

    Photos whose label matches no class, or that cannot be read, are skipped and counted
    (:attr:`EvalResult.unmatched`, :attr:`EvalResult.unreadable`).

    Raises:
        CamappError: When no label matches a class of the model.
    """
    started = time.monotonic()
    matcher = LabelMatcher(classifier.labels)
    roi = ROI.central(crop)
    hits1 = hits5 = counted = unreadable = 0
    unmatched: dict[str, int] = {}
    invoke_ms = 0.0
    for done, item in enumerate(items, 1):
        wanted = matcher.indices(item.label)
        if not wanted:
            unmatched[item.label] = unmatched.get(item.label, 0) + 1
        else:
            image = cv2.imread(str(item.path), cv2.IMREAD_COLOR)
            if image is None:
                unreadable += 1
            else:
                result = classifier.classify(image, roi, top_k=5)
                counted += 1
                invoke_ms += result.timings.invoke_ms
                hits1 += bool(result.indices) and result.indices[0] in wanted
                hits5 += bool(wanted.intersection(result.indices[:5]))
        if progress:
            progress(done, len(items))
    if counted == 0:
        labels = sorted(unmatched)
        shown = ", ".join(repr(label) for label in labels[:3]) + (
            ", ..." if len(labels) > 3 else ""
        )
        raise CamappError(
            f"none of the {len(items)} labels match the classes of {classifier.name}"
            + (f" ({shown})" if labels else f"; {unreadable} photos could not be read"),
            "name folders by class (e.g. 'tabby' or 'Egyptian_cat') or WordNet id, or give a "
            "labels.csv of file,label",
        )
    return EvalResult(
        model=classifier.name,
        images=counted,
        top1=100.0 * hits1 / counted,
        top5=100.0 * hits5 / counted,
        skipped=unreadable + sum(unmatched.values()),
        mean_invoke_ms=invoke_ms / counted,
        crop=crop,
        seconds=time.monotonic() - started,
        unreadable=unreadable,
        unmatched=tuple(sorted(unmatched.items())),
    )
