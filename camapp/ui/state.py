"""What the window remembers between runs: the session's choices and the layout as text."""

from __future__ import annotations

import base64
from typing import Any

from PyQt6.QtCore import QByteArray
from PyQt6.QtWidgets import QMainWindow

from camapp.pipeline.session import Session


def _encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _decode(text: object) -> QByteArray | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except ValueError:
        return None


def remembered(session: Session) -> dict[str, Any]:
    """What the app remembers of a session between runs (the state file's keys)."""
    info, compare = session.model_info, session.compare_info
    return {
        "source": session.source_spec or None,
        "model": info.spec if info else (session.loading or None),
        "roi": [round(v, 4) for v in session.roi.as_tuple()],
        "threads": session.threads_setting,
        "top_k": session.top_k,
        "threshold": round(session.threshold, 4),
        "mode": session.mode.value,
        "compare": compare.spec if compare else None,
    }


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
