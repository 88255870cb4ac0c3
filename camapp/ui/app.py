"""``camapp run``: settings, first-run install, the Qt application and its automation hooks."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QBuffer, QByteArray, QEventLoop, QIODevice, QTimer
from PyQt6.QtWidgets import QApplication

from camapp.base.config import atomic_write
from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.base.settings import WindowState, load_settings, save_state
from camapp.capture.frames import Backoff
from camapp.capture.video import STREAM_TIMEOUT_S
from camapp.pipeline.session import Session
from camapp.store.catalog import Catalog
from camapp.store.install import install_default_models, no_model_notice, text_progress
from camapp.store.model_store import ModelStore
from camapp.ui.models_dialog import offer_models_if_none_installed
from camapp.ui.signals import StopSignals, unexpected_errors_reported
from camapp.ui.window import MainWindow

log = logging.getLogger(__name__)


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
        tune=bool(settings.get("tune", True)),
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
    """Writes :meth:`MainWindow.run_stats` as JSON, atomically.

    Raises:
        OSError: When the file cannot be written.
    """
    stats = window.recorder.run_stats()
    with atomic_write(path) as handle:
        json.dump(stats, handle, indent=2)
        handle.write("\n")
    return stats


def finish(window: MainWindow, screenshot: str | None, stats_json: str | None) -> list[str]:
    """``--quit-after`` ends here: grab the window, write the statistics, close.

    Returns:
        One line per output that could not be written (:func:`run_app` reports them once
        the window's threads are joined); the window closes either way.
    """
    problems = []
    if stats_json:  # first, so grabbing the window does not count in the frame rates
        problems += _saved("--stats-json", stats_json, lambda: write_stats(window, stats_json))
    if screenshot:
        problems += _saved("--screenshot", screenshot, lambda: _save_screenshot(window, screenshot))
    window.close()
    return problems


def _save_screenshot(window: MainWindow, path: str) -> None:
    """The window as a PNG, written atomically (a full disk leaves no empty file behind).

    The side panels, which follow a live source at 5 Hz, are brought up to the answer on
    the video first, so the picture agrees with itself.
    """
    window.panels.flush()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not window.grab().save(buffer, "PNG"):
        raise OSError("Qt could not encode the window as PNG")
    with atomic_write(path, "wb") as handle:
        handle.write(bytes(data.data()))


def _saved(flag: str, path: str, write: Callable[[], object]) -> list[str]:
    """Runs ``write``; a failure is one line (returned), never an exception."""
    try:
        write()
    except OSError as exc:
        return [f"cannot write {flag} {path}: {exc.strerror or exc}"]
    return []


def check_output(flag: str, path: str | None) -> None:
    """Refuses an output path that can never be written, before the window opens.

    A statistics run that learns at its end that its folder is a file has wasted the run.

    Raises:
        CamappError: When the folder cannot be made or written, or the path is a folder.
    """
    if not path:
        return
    target = Path(path)
    blocking = next((p for p in target.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise CamappError(
            f"cannot write {flag} {path}: {blocking} is a file, not a folder",
            "give a path in a folder",
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CamappError(
            f"cannot write {flag} {path}: {exc.strerror or exc}", "give a path in a folder"
        ) from exc
    if target.is_dir():
        raise CamappError(f"cannot write {flag} {path}: it is a folder", "give a file name")
    if not os.access(target.parent, os.W_OK):
        raise CamappError(
            f"cannot write {flag} {path}: the folder is read-only", "give a writable path"
        )


def run_app(args: argparse.Namespace) -> int:
    """Opens the live window and runs until it is closed (or ``--quit-after`` passes).

    Settings come from the packaged defaults, the remembered state, the user's config file
    and the command line, in rising precedence (:mod:`camapp.base.settings`). On exit the
    window's choices go to the state file; the user's config file is never written.

    Ctrl+C, SIGTERM and SIGHUP close the window the same way (threads joined, state
    saved); an exception escaping a Qt slot is one line and the window keeps running.

    Returns:
        The exit code: 0; 1 when ``--stats-json`` or ``--screenshot`` could not be written;
        130, 143 or 129 after SIGINT, SIGTERM or SIGHUP.

    Raises:
        CamappError: For a broken catalog, an unreadable ``--roi`` or an output path that
            cannot be written, before the window opens.
    """
    started = time.monotonic()
    loaded = load_settings()
    warnings = list(loaded.warnings)
    for line in warnings:
        _stderr(f"camapp: {line}")
    roi = ROI.parse(args.roi) if getattr(args, "roi", None) else None
    check_output("--stats-json", getattr(args, "stats_json", None))
    check_output("--screenshot", getattr(args, "screenshot", None))
    catalog = Catalog.load(getattr(args, "catalog", None))
    store = ModelStore(catalog, getattr(args, "models_dir", None))
    warnings += _first_run_install(store, loaded.settings.model_mirrors)

    settings = {
        **dataclasses.asdict(loaded.settings),
        "window": dict(loaded.state.window),
    }
    if getattr(args, "source", None) is not None:
        settings["source"] = args.source
    if roi is not None:
        settings["roi"] = list(roi.as_tuple())
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
    # From here to the end, Ctrl+C, SIGTERM and SIGHUP close the window by its normal path;
    # one arriving before the loop runs waits in the notifier's socket until it does.
    stops = StopSignals()
    stops.install()
    try:
        session = make_session(store, args, settings)
        session.started = started
        try:
            window = MainWindow(session, settings, warnings=warnings)
        except BaseException:
            session.close()
            raise
        stops.stop_requested.connect(lambda _signum: window.close())
        offer_models_if_none_installed(window, loaded.settings.model_mirrors)
        problems = _run_window(app, existing is not None, window, args)
    finally:
        stops.uninstall()
    # Said now, not when it happened: while a model loads, file descriptor 2 is captured
    # for the runtime's messages (camapp.inference.classifier) and a line written then is lost.
    for line in problems:
        log.error("%s", line)
    if not getattr(args, "no_save", False):
        remember(window.settings_snapshot(), loaded.state_file)
    if stops.exit_status is not None:
        return stops.exit_status
    return 1 if problems else 0


def _run_window(
    app: QApplication, embedded: bool, window: MainWindow, args: argparse.Namespace
) -> list[str]:
    """Shows the window and runs the event loop until it closes; joins its threads.

    Returns:
        One line per output (``--stats-json``, ``--screenshot``) that could not be written.
    """
    # Our own application runs until the window closes. An application someone else owns
    # (tests, an embedding program) is left running: a local loop waits for the window,
    # because QApplication.quit() would also close and disable every other window.
    loop = QEventLoop() if embedded else None
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
    problems: list[str] = []
    finished: list[bool] = []
    stats_json = getattr(args, "stats_json", None)
    screenshot = getattr(args, "screenshot", None)
    quit_after = getattr(args, "quit_after", None)

    def on_quit_after() -> None:
        finished.append(True)
        problems.extend(finish(window, screenshot, stats_json) or [])

    if quit_after is not None:
        QTimer.singleShot(int(max(0.0, quit_after) * 1000), on_quit_after)
    QTimer.singleShot(0, lambda: _announce_when_settled(window))
    try:
        with unexpected_errors_reported(window.notices.add):
            if loop is not None:
                loop.exec()
            else:
                app.exec()
    finally:
        window.shutdown()
    if stats_json and not finished:  # no --quit-after, or closed (or stopped) before it
        problems += _saved("--stats-json", stats_json, lambda: write_stats(window, stats_json))
    if screenshot and quit_after is None:
        _stderr("camapp: --screenshot is taken at --quit-after; none was given")
    return problems


def _announce_when_settled(window: MainWindow) -> None:
    """Logs "window shown" (at ``-v``) once the loop runs and the first model and source
    have answered, so a script or test waiting for it may act on a settled window.

    Not sooner: while a model loads, the runtime's messages are captured from file
    descriptor 2 (:mod:`camapp.inference.classifier`), and a line written then is lost.
    """
    if not window.isVisible():  # closed first: nothing to announce
        return
    if window.source_pending or (window.model_info is None and not window.last_error):
        QTimer.singleShot(50, lambda: _announce_when_settled(window))
        return
    log.debug("window shown")


def _first_run_install(store: ModelStore, mirrors: Any) -> list[str]:
    """Installs the default models when none is; the window's notices about it.

    Failures never stop the window from opening: each is one line on stderr, and when no
    model at all could be installed, one notice in the window says why and what to do.
    """
    results = install_default_models(
        store, report=_stderr, progress=text_progress(), mirrors=mirrors
    )
    failed = [r for r in results if not r.status.ok]
    for result in failed:
        _stderr(f"camapp: could not install {result.model_id}: {result.detail}")
    notice = no_model_notice(store, results)
    if notice:
        return [notice]
    return [f"could not install {r.model_id}: {r.detail}" for r in failed]


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
