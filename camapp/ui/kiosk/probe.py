"""At start: how fast each kiosk model runs on this device, measured off the GUI thread.

A model below the fps floor would look frozen to a visitor; the kiosk refuses it as a
button and says so at start instead. Every model is loaded on one named thread
(``camapp-kiosk-probe``) before the live session starts, so the figures do not compete with
live inference; then each classifies a camera-sized frame once per round, the models taking
turns, so a busy moment of the machine slows all of them alike (as ``camapp bench`` does).
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.inference.classifier import Classifier
from camapp.inference.options import ClassifierOptions
from camapp.store.catalog import Catalog
from camapp.ui.bridge import connect_queued
from camapp.ui.kiosk.buttons import Variant, variant_title

log = logging.getLogger(__name__)

#: Rounds timed (one classification of each model per round), after the warm-up ones.
PROBE_RUNS, PROBE_WARMUP = 10, 2
#: A camera-sized frame: the crop and resize are part of every answer's cost.
PROBE_FRAME = (480, 640, 3)


@dataclass(frozen=True)
class ProbeResult:
    """One model's measurement.

    Attributes:
        spec: Catalog id or path.
        fps: Classifications per second (1000 / median ms), or ``None`` when it failed.
        ms: The median time of one classification (crop, resize, invoke, top-k).
        error: Why it could not be measured (not installed, broken file).
    """

    spec: str
    fps: float | None
    ms: float | None = None
    error: str = ""


def sort_results(
    results: Sequence[ProbeResult], catalog: Catalog, floor: float
) -> tuple[list[Variant], list[ProbeResult]]:
    """The variants that get a button (``floor`` fps or more), and the refused results.

    Each refusal is logged with its reason (too slow here, not installed, broken).
    """
    variants, refused = [], []
    for result in results:
        fps = result.fps
        if fps is not None and fps >= floor:
            entry = catalog.get(result.spec) if result.spec in catalog else None
            top1 = entry.published.top1 if entry is not None else None
            variants.append(Variant(result.spec, variant_title(entry, result.spec), fps, top1))
        else:
            refused.append(result)
            why = result.error or f"{fps:.1f} fps here, below the floor of {floor:g} fps"
            log.warning("kiosk model %s refused as a button: %s", result.spec, why)
    return variants, refused


def measure(classifiers: Sequence[Classifier], runs: int = PROBE_RUNS) -> list[float]:
    """The median milliseconds of one classification of a camera-sized frame, per model.

    Each model is warmed up first; then every round times each model once, in turn.
    """
    frame = np.zeros(PROBE_FRAME, np.uint8)
    box = ROI.central(0.875)
    for classifier in classifiers:
        for _ in range(PROBE_WARMUP):
            classifier.classify(frame, box)
    times: list[list[float]] = [[] for _ in classifiers]
    for _ in range(runs):
        for i, classifier in enumerate(classifiers):
            start = time.perf_counter()
            classifier.classify(frame, box)
            times[i].append((time.perf_counter() - start) * 1e3)
    return [float(statistics.median(values)) for values in times]


class ModelProbe(QObject):
    """Measures each model on a thread of its own; :attr:`finished` brings the results.

    Args:
        specs: The models, in button order.
        options_for: Classifier options for a spec (the session's runtime and threads).
    """

    #: Every model measured: a list of :class:`ProbeResult`, in the order of ``specs``.
    finished = pyqtSignal(list)
    _done = pyqtSignal(list)

    def __init__(
        self,
        specs: Sequence[str],
        options_for: Callable[[str], ClassifierOptions],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.specs = list(specs)
        self._options_for = options_for
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.results: list[ProbeResult] = []
        connect_queued(self._done, self._on_probe_done)

    @property
    def worker_thread(self) -> threading.Thread | None:
        """The measuring thread while it runs (joined by :meth:`close`)."""
        return self._thread

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="camapp-kiosk-probe", daemon=True
            )
            self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stops after the model being measured and joins the thread; idempotent."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        errors: dict[str, str] = {}
        loaded: dict[str, Classifier] = {}
        try:
            for spec in self.specs:
                if self._stop.is_set():
                    return
                try:
                    loaded[spec] = Classifier.create(self._options_for(spec))
                except CamappError as exc:
                    errors[spec] = exc.message
                except Exception as exc:  # noqa: BLE001 - a broken model is refused, not a crash
                    errors[spec] = f"{type(exc).__name__}: {exc}"
            times = dict(zip(loaded, measure(list(loaded.values())))) if loaded else {}
        finally:
            for classifier in loaded.values():
                classifier.close()
        results = []
        for spec in self.specs:
            ms = times.get(spec)
            if ms is None:
                results.append(ProbeResult(spec, None, error=errors.get(spec, "not measured")))
                continue
            fps = 1000.0 / ms if ms > 0 else float("inf")
            log.info("%s: %.1f ms per answer, %.1f fps on this device", spec, ms, fps)
            results.append(ProbeResult(spec, round(fps, 1), round(ms, 2)))
        if not self._stop.is_set():
            self._done.emit(results)  # queued: handled on the GUI thread

    def _on_probe_done(self, results: list[ProbeResult]) -> None:
        self.results = results
        self.finished.emit(results)
