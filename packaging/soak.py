"""Soak measurement: ``camapp run`` for N minutes on a looping video, swapping models every 3 s.

Not a test: it measures what a kiosk would live through and prints a summary. The real
window runs in this process (``camapp.cli.main(["run", ...])``, offscreen when there is no
display, or under ``xvfb-run``), with ``--swap-models`` cycling through the models. Every
``--sample-every`` seconds a timer on the GUI thread samples:

* RSS (``VmRSS`` in ``/proc/self/status``) and the thread count (``Threads`` there, which
  counts native threads too, and Python's ``threading.active_count()``),
* predictions shown in the last period,
* the longest GUI-thread stall in the period (the window's stall monitor).

The summary gives the RSS growth per hour after the warm-up (least-squares slope), the most
threads, the fewest predictions in a period, the longest GUI stall, and the errors seen.

Usage (from the repository, with the project's venv)::

    CAMAPP_MODEL_MIRROR=../shared/models .venv/bin/python packaging/soak.py --minutes 20
    xvfb-run -a .venv/bin/python packaging/soak.py --minutes 20 --json soak.json

Settings and state go to a temporary folder: the user's files are never read or written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: Six mirror models of different sizes, so every swap really changes the interpreter.
MODELS = [
    "mobilenet_v2_1.0_224_uint8",
    "mobilenet_v1_0.25_128_uint8",
    "mobilenet_v3_small_1.0_224_uint8",
    "mobilenet_v1_0.5_160_uint8",
    "mobilenet_v1_0.75_192_uint8",
    "mobilenet_v1_0.25_224_uint8",
]
PHOTOS = ["cat.bmp", "parrot.jpg", "burger.jpg", "owl.jpg", "sunflower.bmp", "hot_dog.jpg"]


@dataclass
class Sample:
    """One period of the run."""

    t: float  # seconds since the window opened
    rss_mb: float
    os_threads: int
    py_threads: int
    predictions: int  # shown in this period
    max_stall_ms: float  # longest GUI stall in this period
    model_changes: int  # swaps that took effect so far
    errors: int  # errors reported so far


def proc_status() -> dict[str, str]:
    """``/proc/self/status`` as a dict (empty where there is no /proc)."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


class Sampler:
    """Finds the window once it is up and samples it on the GUI thread."""

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self.samples: list[Sample] = []
        self.errors: list[str] = []
        self.model_changes = 0
        self._window: Any = None
        self._opened = 0.0
        self._last = (0.0, 0)  # monotonic time and predictions shown at the last sample
        self._lock = threading.Lock()

    # A session listener (core threads): only counts.
    def on_model_changed(self, info: Any) -> None:
        with self._lock:
            self.model_changes += 1

    def on_error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    def __getattr__(self, name: str) -> Any:  # the rest of the listener protocol
        if name.startswith("on_"):
            return lambda *args: None
        raise AttributeError(name)

    def tick(self) -> None:
        from PyQt6.QtWidgets import QApplication

        from camapp.ui.window import MainWindow

        now = time.monotonic()
        if self._window is None:
            found = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
            if not found:
                return
            self._window = found[0]
            self._window.session.add_listener(self)
            self._opened = now
            self._last = (now, self._window.recorder.predictions_shown)
            return
        window = self._window
        if window.session.closed:  # --quit-after has begun shutting down: not a sample
            return
        status = proc_status()
        shown = window.recorder.predictions_shown
        with self._lock:
            changes, errors = self.model_changes, len(self.errors)
        sample = Sample(
            t=round(now - self._opened, 1),
            rss_mb=round(int(status.get("VmRSS", "0 kB").split()[0]) / 1024, 1),
            os_threads=int(status.get("Threads", "0")),
            py_threads=threading.active_count(),
            predictions=shown - self._last[1],
            max_stall_ms=round(window.stall_monitor.max_between(self._last[0], now), 1),
            model_changes=changes,
            errors=errors,
        )
        self._last = (now, shown)
        self.samples.append(sample)
        print(
            f"{sample.t:7.0f} s  RSS {sample.rss_mb:7.1f} MB  threads {sample.os_threads:3d} "
            f"(py {sample.py_threads})  predictions {sample.predictions:4d}  "
            f"stall {sample.max_stall_ms:6.1f} ms  swaps {changes}  errors {errors}",
            flush=True,
        )


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of ``(seconds, value)`` points, per hour."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 3600.0 if var else 0.0


def summarise(sampler: Sampler, warmup_s: float, status: int) -> dict[str, Any]:
    samples = sampler.samples
    steady = [s for s in samples if s.t >= warmup_s] or samples
    counted = samples[1:] or samples  # the first period includes opening the source
    return {
        "exit_status": status,
        "minutes": round(samples[-1].t / 60, 1) if samples else 0,
        "samples": len(samples),
        "rss_mb_after_warmup": [steady[0].rss_mb, steady[-1].rss_mb] if steady else None,
        "rss_growth_mb_per_hour": round(slope_per_hour([(s.t, s.rss_mb) for s in steady]), 2),
        "rss_mb_max": max((s.rss_mb for s in samples), default=0.0),
        "threads_max": max((s.os_threads for s in samples), default=0),
        "threads_after_warmup": [steady[0].os_threads, steady[-1].os_threads] if steady else None,
        "python_threads_max": max((s.py_threads for s in samples), default=0),
        "predictions_per_period_min": min((s.predictions for s in counted), default=0),
        "predictions_per_period_mean": round(
            sum(s.predictions for s in counted) / max(1, len(counted)), 1
        ),
        "period_s": sampler.period_s,
        "longest_gui_stall_ms": max((s.max_stall_ms for s in samples), default=0.0),
        "longest_gui_stall_after_warmup_ms": max((s.max_stall_ms for s in steady), default=0.0),
        "model_changes": sampler.model_changes,
        "errors": len(sampler.errors),
        "first_errors": sampler.errors[:5],
    }


def write_video(path: Path, images: Path, seconds_each: float = 1.0, fps: float = 30.0) -> Path:
    """A 640x480 MJPG video showing each photo for a second (it loops in camapp)."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    for name in PHOTOS:
        image = cv2.imread(str(images / name), cv2.IMREAD_COLOR)
        if image is None:
            continue
        frame = cv2.resize(image, (640, 480), interpolation=cv2.INTER_AREA)
        for _ in range(int(seconds_each * fps)):
            writer.write(frame)
    writer.release()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--swap-every", type=float, default=3.0, metavar="SECONDS")
    parser.add_argument("--models", default=",".join(MODELS), metavar="ID,ID,...")
    parser.add_argument("--source", default=None, help="video to loop (default: one of photos)")
    parser.add_argument("--images", default=None, help="photos for the default video")
    parser.add_argument("--models-dir", default=None, help="installed models (default: mirror)")
    parser.add_argument("--mirror", default=os.environ.get("CAMAPP_MODEL_MIRROR"))
    parser.add_argument("--sample-every", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--warmup", type=float, default=120.0, metavar="SECONDS")
    parser.add_argument("--threads", type=int, default=None, help="interpreter threads")
    parser.add_argument("--json", default=None, help="write the samples and summary here")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]

    work = Path(tempfile.mkdtemp(prefix="camapp-soak-"))
    os.environ["CAMAPP_STATE"] = str(work / "state.yaml")  # never the user's files
    os.environ["CAMAPP_CONFIG"] = str(work / "camapp.yaml")
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO))

    from PyQt6.QtCore import QMessageLogContext, QTimer, QtMsgType, qInstallMessageHandler
    from PyQt6.QtWidgets import QApplication

    from camapp.cli import main as camapp_main

    models_dir = args.models_dir
    if models_dir is None and args.mirror:
        from camapp.store.catalog import Catalog
        from camapp.store.model_store import ModelStore

        models_dir = str(work / "models")
        catalog = Catalog.load()
        entries = [catalog.get(m) for m in models]
        for result in ModelStore(catalog, models_dir).install(entries, args.mirror):
            print(f"install {result.model_id}: {result.status.value} {result.detail}")
    source = args.source
    if source is None:
        shared = Path(os.environ.get("CAMAPP_SHARED", REPO.parent / "shared"))
        source = str(write_video(work / "scenes.avi", Path(args.images or shared / "images")))

    def quiet(kind: QtMsgType, context: QMessageLogContext, message: str | None) -> None:
        if message and "propagateSizeHints" not in message:  # offscreen: once per resize
            print(message, file=sys.stderr)

    qInstallMessageHandler(quiet)
    app = QApplication.instance() or QApplication(["camapp-soak"])
    sampler = Sampler(args.sample_every)
    timer = QTimer()
    timer.setInterval(int(args.sample_every * 1000))
    timer.timeout.connect(sampler.tick)
    timer.start()
    QTimer.singleShot(500, sampler.tick)  # find the window as soon as it is up
    run = ["--models-dir", models_dir] if models_dir else []
    run += ["run", "--source", source, "--model", models[0], "--no-save"]
    run += ["--swap-models", ",".join(models), "--swap-every", str(args.swap_every)]
    run += ["--quit-after", str(args.minutes * 60)]
    run += ["--threads", str(args.threads)] if args.threads else []
    print("camapp " + " ".join(run), flush=True)
    status = camapp_main(run)
    timer.stop()
    del app
    summary = summarise(sampler, args.warmup, status)
    print("\nsummary")
    for key, value in summary.items():
        print(f"  {key}: {value}")
    if args.json:
        record = {"summary": summary, "samples": [asdict(s) for s in sampler.samples]}
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n")
    return 0 if status == 0 and summary["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
