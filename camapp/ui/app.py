"""``camapp run``: settings, first-run install, the Qt application and its automation hooks."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QEventLoop, QTimer
from PyQt6.QtWidgets import QApplication

from camapp.base.config import atomic_write
from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.base.settings import WindowState, load_settings, save_state
from camapp.capture.frames import Backoff
from camapp.capture.video import STREAM_TIMEOUT_S
from camapp.pipeline.session import Session
from camapp.store.catalog import Catalog
from camapp.store.install import ensure_default_models, text_progress
from camapp.store.model_store import ModelStore
from camapp.ui.window import MainWindow


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def choose_model(store: ModelStore, wanted: str, explicit: bool) -> tuple[str, str | None]:
    """The model to start with, and a warning when the saved choice had to be replaced.

    A model named on the command line is used as given (a failure is shown in the window);
    a saved or default model that is not installed falls back to an installed one.
    """
    if explicit or (wanted and Path(wanted).is_file()):
        return wanted, None
    fallback = store.usable_model(wanted)
    if not wanted or fallback == wanted:
        return fallback, None
    return fallback, f"model {wanted} is not installed; showing {fallback} instead"


def make_session(store: ModelStore, args: argparse.Namespace, settings: dict[str, Any]) -> Session:
    """The session the window drives: source, model, box and choices from ``settings``."""
    runtime = getattr(args, "runtime", None) or settings.get("runtime")
    xnnpack = bool(settings.get("xnnpack", True)) and not getattr(args, "no_xnnpack", False)
    return Session(
        source=str(settings["source"]) if settings.get("source") is not None else None,
        model=str(settings.get("model") or "") or None,
        roi=_roi_from(settings.get("roi")),
        store=store,
        threads=int(settings.get("threads") or 0) or None,
        xnnpack=xnnpack,
        runtime=str(runtime) if runtime else None,
        labels=getattr(args, "labels", None),
        top_k=int(settings.get("top_k") or 5),
        threshold=float(settings.get("threshold") or 0.0),
        mode="click" if settings.get("mode") == "click" else "continuous",
        compare=str(settings["compare"]) if settings.get("compare") else None,
        stream_timeout=float(settings.get("stream_timeout") or STREAM_TIMEOUT_S),
        reconnect=Backoff(cap=float(settings.get("reconnect_max_wait") or 10.0)),
    )


def _roi_from(value: object) -> ROI:
    """The saved ROI (a list or ``"L,T,R,B"``), or the default box when unreadable."""
    try:
        if isinstance(value, str):
            return ROI.parse(value)
        if isinstance(value, (list, tuple)) and len(value) == 4:
            return ROI.clamped(*[float(v) for v in value])
    except (CamappError, TypeError, ValueError):
        pass
    return ROI.clamped(0.3, 0.2, 0.7, 0.8)


def write_stats(window: MainWindow, path: str | Path) -> dict[str, Any]:
    """Writes :meth:`MainWindow.run_stats` as JSON, atomically."""
    stats = window.recorder.run_stats()
    with atomic_write(path) as handle:
        json.dump(stats, handle, indent=2)
        handle.write("\n")
    return stats


def finish(window: MainWindow, screenshot: str | None, stats_json: str | None) -> None:
    """``--quit-after`` ends here: grab the window, write the statistics, close."""
    if stats_json:  # first, so grabbing the window does not count in the frame rates
        write_stats(window, stats_json)
    if screenshot:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(screenshot), "PNG"):
            _stderr(f"camapp: cannot save the screenshot {screenshot}")
    window.close()


def run_app(args: argparse.Namespace) -> int:
    """Opens the live window and runs until it is closed (or ``--quit-after`` passes).

    Settings come from the packaged defaults, the remembered state, the user's config file
    and the command line, in rising precedence (:mod:`camapp.base.settings`). On exit the
    window's choices go to the state file; the user's config file is never written.

    Returns:
        The exit code (0).

    Raises:
        CamappError: For a broken catalog or an unreadable ``--roi``.
    """
    started = time.monotonic()
    loaded = load_settings()
    warnings = list(loaded.warnings)
    for line in warnings:
        _stderr(f"camapp: {line}")
    catalog = Catalog.load(getattr(args, "catalog", None))
    store = ModelStore(catalog, getattr(args, "models_dir", None))
    if not any(entry.kind == "classifier" for entry in store.installed()):
        problems = ensure_default_models(
            store,
            report=_stderr,
            progress=text_progress(),
            mirrors=loaded.settings.model_mirrors,
        )
        for problem in problems:
            _stderr(f"camapp: {problem}")
            warnings.append(f"could not install {problem}")

    settings = {
        **dataclasses.asdict(loaded.settings),
        "window": dict(loaded.state.window),
    }
    if getattr(args, "source", None) is not None:
        settings["source"] = args.source
    if getattr(args, "roi", None):
        settings["roi"] = list(ROI.parse(args.roi).as_tuple())
    if getattr(args, "mode", None):
        settings["mode"] = args.mode
    if getattr(args, "threads", None):
        settings["threads"] = args.threads
    model, note = choose_model(
        store,
        str(getattr(args, "model", None) or settings.get("model") or ""),
        explicit=bool(getattr(args, "model", None)),
    )
    settings["model"] = model
    if note:
        warnings.append(note)
    if getattr(args, "compare", None):
        settings["compare"] = args.compare

    existing = QApplication.instance()
    app = (
        existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1] or ["camapp"])
    )
    app.setApplicationName("camapp")
    app.setDesktopFileName("camapp")
    session = make_session(store, args, settings)
    session.started = started
    window = MainWindow(session, settings, warnings=warnings)
    # Our own application runs until the window closes. An application someone else owns
    # (tests, an embedding program) is left running: a local loop waits for the window,
    # because QApplication.quit() would also close and disable every other window.
    loop = QEventLoop() if existing is not None else None
    window.closed.connect(loop.quit if loop is not None else app.quit)
    if getattr(args, "fullscreen", False):
        window.showFullScreen()
    else:
        window.show()
    swap_to = getattr(args, "swap_to", None)
    if swap_to:  # benchmarks: swap the model mid-run to measure the GUI stall
        delay = float(getattr(args, "swap_after", None) or 5.0)
        QTimer.singleShot(int(delay * 1000), lambda: window.request_model(swap_to))
    schedule_swaps(window, getattr(args, "swap_models", None), getattr(args, "swap_every", 3.0))
    quit_after = getattr(args, "quit_after", None)
    if quit_after is not None:
        QTimer.singleShot(
            int(max(0.0, quit_after) * 1000),
            lambda: finish(
                window, getattr(args, "screenshot", None), getattr(args, "stats_json", None)
            ),
        )
    try:
        if loop is not None:
            loop.exec()
        else:
            app.exec()
    finally:
        window.shutdown()
    if quit_after is None and getattr(args, "stats_json", None):
        write_stats(window, args.stats_json)
    if getattr(args, "screenshot", None) and quit_after is None:
        _stderr("camapp: --screenshot is taken at --quit-after; none was given")
    if not getattr(args, "no_save", False):
        remember(window.settings_snapshot(), loaded.state_file)
    return 0


def schedule_swaps(window: MainWindow, models: str | None, every: float | None) -> QTimer | None:
    """``--swap-models A,B,C --swap-every S``: the next model of the list every S seconds.

    For soak runs (``packaging/soak.py``): the window swaps models round the list, as a
    user picking them would, until it closes. The timer belongs to the window.

    Returns:
        The running timer, or ``None`` when no models were given.
    """
    ids = [model.strip() for model in (models or "").split(",") if model.strip()]
    if not ids:
        return None
    turn = [0]

    def swap() -> None:
        turn[0] += 1
        window.request_model(ids[turn[0] % len(ids)])

    timer = QTimer(window)
    timer.setInterval(max(100, int(float(every or 3.0) * 1000)))
    timer.timeout.connect(swap)
    timer.start()
    return timer


def remember(snapshot: dict[str, Any], path: Path) -> Path | None:
    """Saves what the window remembers to the state file atomically; None when it cannot."""
    known = {f.name for f in dataclasses.fields(WindowState)}
    try:
        state = WindowState(**{k: v for k, v in snapshot.items() if k in known})
        return save_state(state, path)
    except (OSError, CamappError) as exc:
        _stderr(f"camapp: cannot save the window state to {path}: {exc}")
        return None
