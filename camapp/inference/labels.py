"""Reading label files and aligning them with a model's outputs."""

from __future__ import annotations

import re
from pathlib import Path

from camapp.base.errors import CamappError

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
    """Reads a label file (see :func:`parse_labels`).

    Raises:
        CamappError: When the file is missing, unreadable or not text.
    """
    path = Path(path)
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
