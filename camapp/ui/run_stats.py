"""What the window measured in a run, for the status line and ``--stats-json``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from camapp.pipeline.events import Prediction
from camapp.pipeline.tuning import speed_here
from camapp.store.variants import count_text

if TYPE_CHECKING:
    from camapp.ui.window import MainWindow


@dataclass(frozen=True)
class ModelSpeed:
    """How fast the loaded model runs on this device, and how that was measured.

    Attributes:
        ms: Median time of one invoke (0: not measured yet).
        fps: Invokes per second: measured live, or what the median time allows.
        how: How it was measured (``median of 5 invokes, 2 threads``).
    """

    ms: float = 0.0
    fps: float = 0.0
    how: str = ""

    def text(self) -> str:
        """``12.1 ms per image, 83 fps (median of 5 invokes, 2 threads)``, or ``""``."""
        if self.ms <= 0:
            return ""
        return f"{self.ms:.1f} ms per image, {self.fps:.0f} fps ({self.how})"


class RunRecorder:
    """Counts what was put on screen and combines it with the session's statistics.

    Rates in :meth:`run_stats` are averaged from the first frame shown (start-up excluded);
    :meth:`rates` gives the last second.
    """

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.predictions_shown = 0
        self.stale_dropped = 0
        self.first_prediction_time: float | None = None
        self._measure_start: tuple[float, int, int, int] | None = None

    def prediction_shown(self, prediction: Prediction) -> None:
        self.predictions_shown += 1
        if self.first_prediction_time is None:
            self.first_prediction_time = time.monotonic()

    def model_changed(self) -> None:
        """A new model: nothing to reset here (the session keeps per-model histories)."""

    def restart_rates(self) -> None:
        """A new source: averages start again from its first frame."""
        self._measure_start = None

    def tick(self) -> None:
        """Called by the window's stats timer: starts the averages at the first frame."""
        w = self.window
        if self._measure_start is None and w.video.frames_shown:
            self._measure_start = (
                time.monotonic(),
                w.source.fps.count,
                w.video.frames_shown,
                self.predictions_shown,
            )

    def rates(self) -> dict[str, float]:
        """Frame rates over the last second: camera, display, inference, and inference ms."""
        w = self.window
        stats = w.session.worker.stats()
        return {
            "camera_fps": w.source.fps.rate(),
            "display_fps": w.video.display_meter.rate(),
            "inference_fps": stats["inference_fps"],
            "inference_ms": stats["inference_ms"],
        }

    def speed(self) -> ModelSpeed:
        """The loaded model's speed here: live while frames stream, else its measurement.

        A live source's last second is what the model does now; on a still photo (answered
        once per change) the worker's own measurement of a few invokes is.
        """
        w = self.window
        stats = w.session.worker.stats()
        if not w.source.is_still and stats["inference_fps"] > 0 and stats["inference_ms"] > 0:
            return ModelSpeed(stats["inference_ms"], stats["inference_fps"], "live, last second")
        return self.measured_speed()

    def measured_speed(self) -> ModelSpeed:
        """The loaded model's own measurement (median of a few invokes): it changes once per
        model, so the model card and the settings show it without redrawing 4 times a second."""
        measured = speed_here(self.window.session)
        if measured is None:
            return ModelSpeed()
        how = f"median of {measured.runs} invokes, {count_text(measured.threads, 'thread')}"
        return ModelSpeed(measured.median_ms, measured.fps, how + ", tuned" * measured.tuned)

    def still_text(self) -> str | None:
        """What is open when nothing runs at a rate (``still photo``, ``no source``), else None."""
        source = self.window.source
        if source.kind == "none":
            return "no source"
        return "still photo" if source.is_still else None

    def last_ms(self) -> float | None:
        """The model time of the last answer shown, if any."""
        last = self.window.last_prediction
        return last.classification.timings.invoke_ms if last is not None else None

    def show_rates(self) -> None:
        """The stats timer's news: the rates line on the video and in the status bar, and
        the panels' rates and model speed."""
        w = self.window
        rates = self.rates()
        text = self.status_text(rates)
        w.video.set_rates_text(text)
        w.rates_label.setText(text)
        w.panels.show_rates(rates, self)

    def status_text(self, rates: dict[str, float]) -> str:
        """``camera 30.0 fps | display 29.9 fps | inference 30.0 fps, 2.1 ms``.

        On a still photo: ``still photo | last answer 2.3 ms | here 2.1 ms, 476 fps``; with
        nothing open: ``no source``.
        """
        r = rates
        still = self.still_text()
        if still is None:
            return (
                f"camera {r['camera_fps']:.1f} fps | display {r['display_fps']:.1f} fps | "
                f"inference {r['inference_fps']:.1f} fps, {r['inference_ms']:.1f} ms"
            )
        parts = [still]
        last = self.last_ms()
        if last is not None and still != "no source":
            parts.append(f"last answer {last:.1f} ms")
        speed = self.speed()
        if speed.ms > 0:
            parts.append(f"here {speed.ms:.1f} ms, {speed.fps:.0f} fps")
        return " | ".join(parts)

    def run_stats(self) -> dict[str, Any]:
        """Statistics of this run for ``--stats-json``."""
        w = self.window
        session = w.session.stats()
        now = time.monotonic()
        started = w.session.started
        camera = display = inference = 0.0
        if self._measure_start is not None:
            t0, cam0, disp0, pred0 = self._measure_start
            span = max(now - t0, 1e-6)
            camera = (w.source.fps.count - cam0) / span
            display = (w.video.frames_shown - disp0) / span
            inference = (self.predictions_shown - pred0) / span
        last = w.last_prediction
        top_k = [
            {"label": c.label, "score": round(c.score, 6)}
            for c in (last.categories if last else ())
        ]
        steady_from = w.video.first_frame_time or started
        stall = w.stall_monitor
        swapped = session.swaps[1:]
        # Each swap's worst GUI stall, kept as numbers for the maximum over all swaps below.
        swap_stalls_ms = [
            round(stall.max_between(swap.requested, (swap.changed or now) + 0.5), 1)
            for swap in swapped
        ]
        swaps = [
            {
                "model": swap.model,
                "requested_s": round(swap.requested - started, 3),
                "answered_after_s": round(swap.answered_after_s, 3)
                if swap.answered_after_s is not None
                else None,
                "load_ms": round(swap.load_ms, 1),
                "max_gui_stall_ms": stall_ms,
            }
            for swap, stall_ms in zip(swapped, swap_stalls_ms)
        ]
        primary, compare = session.primary, session.compare
        first = self.first_prediction_time
        return {
            "camera_fps": round(camera, 2),
            "display_fps": round(display, 2),
            "inference_fps": round(inference, 2),
            "inference_ms_p50": primary.inference_ms_p50,
            "inference_ms_p95": primary.inference_ms_p95,
            "predictions": self.predictions_shown,
            "first_prediction_s": round(first - started, 3) if first else None,
            "max_gui_stall_ms": round(stall.max_between(steady_from), 1),
            "max_gui_stall_startup_ms": round(stall.max_between(0, steady_from), 1),
            "max_gui_stall_during_swap_ms": max(swap_stalls_ms, default=None),
            "model": primary.model,
            "model_load_ms": primary.load_ms,
            "threads": primary.threads,
            "top_k": top_k,
            "last_second": {k: round(v, 2) for k, v in self.rates().items()},
            "stale_predictions_dropped": self.stale_dropped + session.stale_dropped,
            "swaps": swaps,
            "compare": {
                "model": compare.model,
                "threads": compare.threads,
                "predictions": compare.predictions,
                "inference_ms_p50": compare.inference_ms_p50,
                "inference_fps": compare.inference_fps,
            }
            if compare is not None and compare.model
            else None,
            "source": session.source,
            "duration_s": round(now - started, 3),
        }
