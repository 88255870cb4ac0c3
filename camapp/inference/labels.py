"""Reading label files, finding a model file's labels and aligning them with its outputs."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from camapp.base.errors import CamappError
from camapp.inference.metadata import ModelInfo, read_model_info, read_packed_file

#: The label file a Teachable Machine export (and many others) puts beside the model.
BESIDE_LABELS = "labels.txt"

_INDEXED = re.compile(r"^\s*(\d+)\s*[:\s]\s*(.+?)\s*$")
#: Lines end at \n, \r\n or \r only; str.splitlines would also split a label at \x1c,
#: \x85, \u2028 and the like, and shift every label after it by one.
_LINE_END = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


def parse_labels(text: str, source: str = "label file") -> list[str]:
    """Parses label text: plain lines, ``0 name`` or ``0: name`` (Teachable Machine).

    A byte-order mark at the start is dropped (Windows editors write one), so it cannot
    hide the first line's index. The index column is read when every line has one;
    indexed files may list classes in any order; gaps are an error.

    Args:
        text: The file's text.
        source: Name used in error messages.

    Returns:
        One label per class, in index order.

    Raises:
        CamappError: On an empty file or indexed lines with gaps or repeats.
    """
    lines = [line.strip() for line in _LINE_END.split(text.removeprefix(_BOM))]
    lines = [line for line in lines if line]
    if not lines:
        raise CamappError(f"{source} has no labels", "give a file with one class name per line")
    matches = [_INDEXED.match(line) for line in lines]
    if all(matches):
        by_index = {int(m.group(1)): m.group(2) for m in matches if m}
        if len(by_index) != len(lines) or sorted(by_index) != list(range(len(lines))):
            raise CamappError(
                f"{source} numbers its classes with gaps or repeats",
                "number the lines 0, 1, 2, ... once each",
            )
        return [by_index[i] for i in range(len(lines))]
    return lines


def read_labels(path: str | Path) -> list[str]:
    """Reads a label file (see :func:`parse_labels`), or the labels packed in a ``.tflite``.

    A ``.tflite`` path reads the label file packed in the model (see
    :mod:`camapp.inference.metadata`), so a model that carries its labels can name itself.

    Raises:
        CamappError: When the file is missing, unreadable or not text, or a model carries no
            label file.
    """
    path = Path(path)
    if path.suffix.lower() == ".tflite":
        return read_packed_labels(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: without a byte-order mark
    except FileNotFoundError as exc:
        raise CamappError(f"label file not found: {path}", "check the --labels path") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CamappError(
            f"cannot read label file {path}: {exc}", "give a UTF-8 text file"
        ) from exc
    return parse_labels(text, source=f"label file {path.name}")


def align_labels(labels: list[str], num_outputs: int, source: str = "label file") -> list[str]:
    """Matches labels to model outputs, adding ``background`` for 1001-output models.

    ImageNet models with 1001 outputs put ``background`` at index 0; a 1000-line label file
    is shifted by one so that output ``k + 1`` is label ``k``.

    Raises:
        CamappError: When the label count fits no output count.
    """
    if len(labels) == num_outputs:
        return list(labels)
    if len(labels) + 1 == num_outputs:
        return ["background", *labels]
    raise CamappError(
        f"{source} has {len(labels)} labels but the model has {num_outputs} outputs",
        "use the label file that came with the model",
    )


def short_label(label: str) -> str:
    """The first synonym of an ImageNet label: ``'tabby, tabby cat'`` -> ``'tabby'``."""
    return label.split(",", 1)[0].strip()


def read_packed_labels(model: str | Path, info: ModelInfo | None = None) -> list[str]:
    """The labels packed in a model file (TF Hub, Model Maker, the TFLite metadata writer).

    Args:
        model: The ``.tflite`` file.
        info: Its :func:`~camapp.inference.metadata.read_model_info`, if already read.

    Raises:
        CamappError: When the model carries no label file or it cannot be read as text.
    """
    model = Path(model)
    member = (info or read_model_info(model)).labels_member
    if member is None:
        raise CamappError(f"{model.name} carries no label file", "give one with --labels FILE")
    try:
        data = read_packed_file(model, member)
        text = data.decode("utf-8-sig")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        # (UnicodeDecodeError is a ValueError)
        raise CamappError(
            f"cannot read the labels packed in {model.name} ({member}): {exc}",
            "give a label file with --labels FILE",
        ) from exc
    return parse_labels(text, source=f"{member} packed in {model.name}")


@dataclass(frozen=True)
class LabelChoice:
    """Where a model file's labels come from.

    Attributes:
        path: What :func:`read_labels` reads: a label file, or the model itself when its
            labels are packed in it; ``None``: classes are numbered.
        source: How the labels were found, in words (``""`` when there are none).
        note: What to tell the user when there are no labels (``""`` otherwise).
    """

    path: str | None
    source: str = ""
    note: str = ""


def labels_for_model(
    model: str | Path, given: str | None = None, info: ModelInfo | None = None
) -> LabelChoice:
    """Finds the labels of a model file, in this order.

    1. ``given`` (``--labels``);
    2. the label file packed in the model's metadata;
    3. a ``labels.txt`` beside the model (a Teachable Machine export) whose number of labels
       fits the model's outputs (with or without ``background``);
    4. none: classes are shown as numbers, and :attr:`LabelChoice.note` says so.

    Args:
        model: The ``.tflite`` file.
        given: A label file named by the user.
        info: The model's :func:`~camapp.inference.metadata.read_model_info`, if already read.
    """
    model = Path(model)
    if given:
        return LabelChoice(str(given), f"label file {Path(given).name}")
    info = info or read_model_info(model)
    if info.labels_member:
        return LabelChoice(str(model), f"{info.labels_member} packed in {model.name}")
    beside = model.parent / BESIDE_LABELS
    skipped = ""
    if beside.is_file():
        try:
            count = len(read_labels(beside))
        except CamappError as exc:
            skipped = f"; {exc.message}"
        else:
            if info.num_outputs is None or info.num_outputs - count in (0, 1):
                return LabelChoice(str(beside), f"{BESIDE_LABELS} beside {model.name}")
            skipped = (
                f"; the {BESIDE_LABELS} beside it has {count} labels for {info.num_outputs} outputs"
            )
    return LabelChoice(
        None,
        note=(
            f"{model.name} carries no labels and has no fitting {BESIDE_LABELS} beside it"
            f"{skipped}: classes are shown as numbers (put a {BESIDE_LABELS} beside it, or "
            "give --labels FILE)"
        ),
    )
