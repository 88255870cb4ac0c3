"""``camapp kiosk``: settings, first-run install, the kiosk window and its automation hooks.

``--quit-after S`` leaves once S seconds have passed *and* the screen is settled (the first
answer, or the closed or reconnecting card, is shown; at most :data:`SETTLE_LIMIT_S` more),
so ``--screenshot`` and ``--stats-json`` always catch a finished screen. SIGTERM (``systemctl
stop``) leaves cleanly, with ``STOPPING=1`` to systemd.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from PyQt6.QtCore import QEventLoop, QTimer
from PyQt6.QtWidgets import QApplication

from camapp.base.config import atomic_write
from camapp.base.roi import ROI
from camapp.base.settings import load_settings
from camapp.store.catalog import Catalog
from camapp.store.install import ensure_default_models
from camapp.store.model_store import ModelStore
from camapp.ui.app import make_session
from camapp.ui.kiosk.keeper import CLOSED, LOST
from camapp.ui.kiosk.window import KioskWindow

log = logging.getLogger(__name__)

#: ``--quit-after`` waits at most this much longer for the first answer or a card.
SETTLE_LIMIT_S = 30.0


def kiosk_stats(window: KioskWindow) -> dict[str, Any]:
    """What the kiosk did, for ``--stats-json``."""
    session = window.session
    stats = session.stats()
    last = window.last_prediction
    primary = stats.primary
    return {
        "model": primary.model,
        "phase": window.keeper.phase,
        "predictions": primary.predictions,
        "first_prediction_s": stats.first_prediction_s,
        "inference_fps": primary.inference_fps,
        "inference_ms_p50": primary.inference_ms_p50,
        "inference_ms_p95": primary.inference_ms_p95,
        "camera_fps": stats.camera_fps,
        "display_fps": round(window.video.display_meter.rate(), 2),
        "top_k": [
            {"label": c.label, "score": round(c.score, 6)}
            for c in (last.categories if last else ())
        ],
        "buttons": [dataclasses.asdict(v) for v in window.variants],
        "refused": [dataclasses.asdict(r) for r in window.refused],
        "compare": dataclasses.asdict(stats.compare) if stats.compare else None,
        "attract": window.idle.attracting,
        "close_requests_ignored": window.close_requests,
        "keys_swallowed": window.lockdown.swallowed,
        "systemd": window.heartbeat.notifier.sent,
        "source": stats.source,
        "duration_s": stats.duration_s,
    }


def settled(window: KioskWindow) -> bool:
    """Whether the screen shows what it will keep showing: an answer, or a card."""
    answered = window.last_prediction is not None and window.session.model_info is not None
    shown = window.video.frame_size is not None and not window.video.gliding
    return (answered and shown) or window.keeper.phase in (CLOSED, LOST)


def _finish(window: KioskWindow, args: argparse.Namespace, deadline: float) -> None:
    if not settled(window) and time.monotonic() < deadline:
        QTimer.singleShot(50, lambda: _finish(window, args, deadline))
        return
    window.check_picture()
    if getattr(args, "stats_json", None):
        with atomic_write(args.stats_json) as handle:
            json.dump(kiosk_stats(window), handle, indent=2)
            handle.write("\n")
    screenshot = getattr(args, "screenshot", None)
    if screenshot:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(screenshot), "PNG"):
            log.error("cannot save the screenshot %s", screenshot)
    window.leave()


def _store(args: argparse.Namespace, mirrors: tuple[str, ...]) -> ModelStore:
    store = ModelStore(
        Catalog.load(getattr(args, "catalog", None)), getattr(args, "models_dir", None)
    )
    if not any(entry.kind == "classifier" for entry in store.installed()):
        for problem in ensure_default_models(store, report=log.info, mirrors=mirrors):
            log.warning("could not install %s", problem)
    return store


def run_kiosk(args: argparse.Namespace) -> int:
    """Shows the kiosk full screen until staff leave it, SIGTERM or ``--quit-after``.

    Returns:
        0 (the exit chord, SIGTERM and ``--quit-after`` all leave cleanly).

    Raises:
        CamappError: For a broken catalog or an unreadable ``--roi``.
    """
    started = time.monotonic()
    loaded = load_settings()
    for line in loaded.warnings:
        log.warning("%s", line)
    kiosk = loaded.settings.kiosk
    store = _store(args, loaded.settings.model_mirrors)
    settings = dataclasses.asdict(loaded.settings)
    source = str(args.source if getattr(args, "source", None) is not None else settings["source"])
    if getattr(args, "roi", None):
        settings["roi"] = list(ROI.parse(args.roi).as_tuple())
    if getattr(args, "threads", None):
        settings["threads"] = args.threads
    model = getattr(args, "model", None)
    # The session opens no source and loads no model yet: the window measures the models
    # first, then starts it (the source opens at once, so the picture shows meanwhile).
    settings.update(source=None, model=model or kiosk.models[0], compare=None, mode="continuous")
    session = make_session(store, args, settings)
    session.started = started

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("camapp")
    app.setDesktopFileName("camapp")
    window = KioskWindow(
        session,
        kiosk,
        source,
        model=model,
        max_wait=float(settings.get("reconnect_max_wait") or 10.0),
    )
    loop = QEventLoop() if existing is not None else None
    window.closed.connect(loop.quit if loop is not None else app.quit)
    window.setProperty("kioskFullScreen", True)
    screen = app.primaryScreen()
    if screen is not None:  # without a window manager, full screen alone keeps the size
        window.setGeometry(screen.geometry())
    window.showFullScreen()
    log.info("kiosk on %s: %dx%d", app.platformName(), window.width(), window.height())

    def on_signal(number: int, frame: FrameType | None) -> None:
        log.info("%s: leaving", signal.Signals(number).name)
        QTimer.singleShot(0, window.leave)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    quit_after = getattr(args, "quit_after", None)
    if quit_after is not None:
        deadline = time.monotonic() + max(0.0, quit_after) + SETTLE_LIMIT_S
        QTimer.singleShot(
            round(max(0.0, quit_after) * 1000), lambda: _finish(window, args, deadline)
        )
    try:
        if loop is not None:
            loop.exec()
        else:
            app.exec()
    finally:
        window.shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if quit_after is None and (
        getattr(args, "screenshot", None) or getattr(args, "stats_json", None)
    ):
        log.warning("--screenshot and --stats-json are written at --quit-after; none was given")
    return 0
