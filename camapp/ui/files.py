"""File dialogs and snapshots of the window: what it reads from and writes to disk."""

from __future__ import annotations

import time
from pathlib import Path

from PyQt6.QtWidgets import QFileDialog, QWidget

from camapp.capture.frames import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS


def ask_for_path(parent: QWidget, kind: str) -> str:
    """Asks for an ``image``, ``folder``, ``video`` or ``model`` file; ``""`` when cancelled."""
    start = str(Path.cwd())
    if kind == "folder":
        return QFileDialog.getExistingDirectory(parent, "Open a folder of photos", start)
    if kind == "model":
        path, _ = QFileDialog.getOpenFileName(
            parent, "Open a model file", start, "TFLite models (*.tflite)"
        )
        return path
    extensions = IMAGE_EXTENSIONS if kind == "image" else VIDEO_EXTENSIONS
    pattern = " ".join(f"*{e}" for e in sorted(extensions))
    path, _ = QFileDialog.getOpenFileName(
        parent,
        f"Open {'an image' if kind == 'image' else 'a video'}",
        start,
        f"{kind.title()}s ({pattern});;All files (*)",
    )
    return path


def snapshot_path(folder: Path | None = None) -> Path:
    """A new ``camapp-YYYYmmdd-HHMMSS.png`` in ``folder`` (default ~/Pictures, else here)."""
    if folder is None:
        pictures = Path.home() / "Pictures"
        folder = pictures if pictures.is_dir() else Path.cwd()
    stamp = time.strftime("camapp-%Y%m%d-%H%M%S")
    path, counter = folder / f"{stamp}.png", 1
    while path.exists():
        path, counter = folder / f"{stamp}-{counter}.png", counter + 1
    return path


def save_snapshot(widget: QWidget, folder: Path | None = None) -> Path | None:
    """Saves what ``widget`` shows as a PNG; the path, or ``None`` when it cannot be written."""
    path = snapshot_path(folder)
    return path if widget.grab().save(str(path), "PNG") else None
