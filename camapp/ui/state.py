"""The window's layout (geometry, docks) as text for the state file, and back."""

from __future__ import annotations

import base64

from PyQt6.QtCore import QByteArray
from PyQt6.QtWidgets import QMainWindow


def _encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _decode(text: object) -> QByteArray | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except ValueError:
        return None


def save_layout(window: QMainWindow) -> dict[str, str]:
    """The window's geometry and dock layout as base64 strings."""
    return {"geometry": _encode(window.saveGeometry()), "state": _encode(window.saveState())}


def restore_layout(window: QMainWindow, saved: object) -> None:
    """Restores what :func:`save_layout` returned; anything unreadable is ignored."""
    if not isinstance(saved, dict):
        return
    geometry = _decode(saved.get("geometry"))
    if geometry is not None:
        window.restoreGeometry(geometry)
    state = _decode(saved.get("state"))
    if state is not None:
        window.restoreState(state)
