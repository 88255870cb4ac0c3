"""The inference worker: one thread owning the classifier, newest frame in, predictions out.

The worker takes the newest frame it has not seen (or re-runs the last one when the ROI or
settings change), classifies the ROI crop and reports a frozen :class:`Prediction` through
a :class:`Listener`. A model swap is loaded on a short-lived loader thread while the old
model keeps running, then swapped in on the worker thread, which bumps the generation so
consumers can drop predictions from the old model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from camapp.base.errors import CamappError
from camapp.base.meters import RateMeter
from camapp.base.roi import ROI
from camapp.capture.sources import Frame, FrameSource, LatestSlot
from camapp.inference.classifier import Classification, Classifier, ClassifierOptions


@dataclass(frozen=True)
class ModelInfo:
    """What is loaded now: reported with ``on_model_changed``."""

    spec: str
    name: str
    generation: int
    load_ms: float
    input_size: tuple[int, int]
    input_dtype: str
    threads: int
    xnnpack: bool
    runtime: str
    labels: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prediction:
    """One answer, immutable so it can cross threads.

    Attributes:
        frame_id: Id of the frame that was classified.
        generation: Model generation that produced it.
        model: Spec (catalog id or path) of that model.
        classification: Labels, scores, indices and stage timings.
        roi: The box that was classified.
        frame_timestamp: Capture time of the frame (monotonic).
        timestamp: When the answer was ready (monotonic).
        tag: Which worker produced it (compare mode runs two).
    """

    frame_id: int
    generation: int
    model: str
    classification: Classification
    roi: ROI
    frame_timestamp: float
    timestamp: float
    tag: str = ""

    @property
    def latency_ms(self) -> float:
        """Capture-to-answer latency."""
        return (self.timestamp - self.frame_timestamp) * 1e3


@dataclass(frozen=True)
class _Loaded:
    """A classifier loaded on the loader thread, waiting to be swapped in."""

    spec: str
    classifier: Classifier
    load_ms: float
    seq: int


class Listener(Protocol):
    """How the core reports; the UI turns these calls into Qt signals (called from worker)."""

    def on_prediction(self, prediction: Prediction) -> None: ...

    def on_model_changed(self, info: ModelInfo) -> None: ...

    def on_error(self, message: str) -> None: ...

    def on_status(self, message: str) -> None: ...


class NullListener:
    """A listener that ignores everything (benchmarks count predictions themselves)."""

    def on_prediction(self, prediction: Prediction) -> None:
        pass

    def on_model_changed(self, info: ModelInfo) -> None:
        pass

    def on_error(self, message: str) -> None:
        pass

    def on_status(self, message: str) -> None:
        pass


#: Turns a model spec (catalog id or path) and thread count into classifier options.
OptionsFactory = Callable[[str, int | None], ClassifierOptions]


class InferenceWorker:
    """Owns one classifier on one named thread.

    Args:
        source: Where frames come from.
        listener: Receives predictions, model changes, errors and status (on this thread).
        options_for: Resolves a model spec into :class:`ClassifierOptions`.
        roi: Initial box.
        top_k: Labels per prediction.
        threshold: Lowest score reported.
        mode: ``continuous`` or ``click`` (classify only on :meth:`recognise_once`).
        threads: Interpreter threads (``None``: every core).
        tag: Names the thread and tags predictions (compare mode).
        frame_stride: Classify every n-th new frame only (compare mode alternation).
    """

    def __init__(
        self,
        source: FrameSource,
        listener: Listener,
        options_for: OptionsFactory,
        roi: ROI | None = None,
        top_k: int = 5,
        threshold: float = 0.0,
        mode: str = "continuous",
        threads: int | None = None,
        tag: str = "",
    ) -> None:
        self.source = source
        self.listener = listener
        self._options_for = options_for
        self.tag = tag
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._roi = roi or ROI.full()
        self._top_k = top_k
        self._threshold = threshold
        self._mode = mode
        self._threads = threads
        self._dirty = True
        self._click_pending = False
        self._classifier: Classifier | None = None
        self._model_spec = ""
        self._pending: _Loaded | None = None
        self._request_seq = 0
        self._loader: threading.Thread | None = None
        self._loading: str | None = None
        self.generation = 0
        self.meter = RateMeter()
        self.predictions = 0
        self.last_frame_id = 0
        self._thread: threading.Thread | None = None
        #: Compare mode: every classified frame is handed on here, so a second worker
        #: classifies exactly the frames this one did (see :class:`RelaySource`).
        self.relay: LatestSlot | None = None
        source.slot.subscribe(self._wake)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> InferenceWorker:
        if self._thread is None:
            name = f"camapp-inference{'-' + self.tag if self.tag else ''}"
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Stops the worker and its loader and joins both; idempotent."""
        self._stop.set()
        self._wake.set()
        self.source.slot.unsubscribe(self._wake)
        for thread in (self._loader, self._thread):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)
        self._thread = self._loader = None
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            pending.classifier.close()
        if self._classifier is not None:
            self._classifier.close()
            self._classifier = None

    @property
    def threads(self) -> list[threading.Thread]:
        return [t for t in (self._thread, self._loader) if t is not None]

    # -- requests from any thread ---------------------------------------------------------
    def set_roi(self, roi: ROI) -> None:
        with self._lock:
            if roi != self._roi:
                self._roi = roi
                self._dirty = True
        self._wake.set()

    def set_source(self, source: FrameSource) -> None:
        """Classifies frames of ``source`` from now on (the caller closes the old source)."""
        with self._lock:
            old, self.source = self.source, source
            self._dirty = True
        old.slot.unsubscribe(self._wake)
        source.slot.subscribe(self._wake)
        self._wake.set()

    @property
    def roi(self) -> ROI:
        with self._lock:
            return self._roi

    def set_top_k(self, top_k: int, threshold: float | None = None) -> None:
        with self._lock:
            self._top_k = max(1, int(top_k))
            if threshold is not None:
                self._threshold = float(threshold)
            self._dirty = True
        self._wake.set()

    def set_mode(self, mode: str) -> None:
        if mode not in ("continuous", "click"):
            raise CamappError(f"unknown mode '{mode}'", "use continuous or click")
        with self._lock:
            self._mode = mode
            self._dirty = True
        self._wake.set()

    @property
    def mode(self) -> str:
        return self._mode

    def recognise_once(self) -> None:
        """Classifies the current box once (click-to-recognise)."""
        with self._lock:
            self._click_pending = True
        self._wake.set()

    @property
    def model_spec(self) -> str:
        return self._model_spec

    @property
    def loading(self) -> str | None:
        """The spec being loaded, if any."""
        return self._loading

    def request_model(self, spec: str, threads: int | None = None) -> None:
        """Loads ``spec`` in the background; the current model runs until it is ready.

        A newer request supersedes an older one still loading (even of the same model with
        other threads). Errors are reported with ``on_error`` and leave the current model
        running.
        """
        if threads is not None:
            self._threads = threads
        with self._lock:
            self._request_seq += 1
            seq = self._request_seq
            self._loading = spec
        previous = self._loader
        loader = threading.Thread(
            target=self._load,
            args=(spec, self._threads, previous, seq),
            name=f"camapp-model-loader{'-' + self.tag if self.tag else ''}",
            daemon=True,
        )
        self._loader = loader
        loader.start()

    def load_now(self, spec: str) -> ModelInfo:
        """Loads a model synchronously before :meth:`start` (CLI and benchmarks)."""
        started = time.perf_counter()
        classifier = Classifier.create(self._options_for(spec, self._threads))
        load_ms = (time.perf_counter() - started) * 1e3
        self._install(_Loaded(spec, classifier, load_ms, self._request_seq))
        return self._info(spec, classifier, load_ms)

    # -- loader and worker threads --------------------------------------------------------
    def _current(self, seq: int) -> bool:
        return seq == self._request_seq and not self._stop.is_set()

    def _load(
        self, spec: str, threads: int | None, previous: threading.Thread | None, seq: int
    ) -> None:
        if previous is not None:
            previous.join()
        if not self._current(seq):
            return
        started = time.perf_counter()
        try:
            classifier = Classifier.create(self._options_for(spec, threads))
        except Exception as exc:  # noqa: BLE001 - report anything, keep the old model
            with self._lock:
                if seq == self._request_seq:
                    self._loading = None
            reason = str(exc) if isinstance(exc, CamappError) else f"{type(exc).__name__}: {exc}"
            self.listener.on_error(
                f"cannot load {spec}: {reason}; still running {self._model_spec or 'nothing'}"
            )
            return
        loaded = _Loaded(spec, classifier, (time.perf_counter() - started) * 1e3, seq)
        with self._lock:
            stale = not self._current(seq)
            old = None
            if not stale:
                old, self._pending = self._pending, loaded
        if stale:
            classifier.close()
            return
        if old is not None:
            old.classifier.close()
        self._wake.set()

    def _install(self, loaded: _Loaded) -> None:
        old = self._classifier
        self._classifier = loaded.classifier
        self._model_spec = loaded.spec
        self.generation += 1
        self.meter = RateMeter()
        with self._lock:
            self._dirty = True
            if loaded.seq == self._request_seq:
                self._loading = None
        if old is not None:
            old.close()
        self.listener.on_model_changed(self._info(loaded.spec, loaded.classifier, loaded.load_ms))

    def _info(self, spec: str, classifier: Classifier, load_ms: float) -> ModelInfo:
        return ModelInfo(
            spec=spec,
            name=classifier.name,
            generation=self.generation,
            load_ms=load_ms,
            input_size=classifier.input_size,
            input_dtype=classifier.input_dtype.name,
            threads=classifier.num_threads,
            xnnpack=classifier.xnnpack,
            runtime=f"{classifier.runtime.name} {classifier.runtime.version}",
            labels=tuple(classifier.labels),
            notes=tuple(classifier.notes),
        )

    def _run(self) -> None:
        last_error = ""
        while not self._stop.is_set():
            self._wake.wait(0.1)
            self._wake.clear()
            if self._stop.is_set():
                break
            with self._lock:
                pending, self._pending = self._pending, None
            if pending is not None:
                self._install(pending)
            frame = self._next_frame()
            if frame is None or self._classifier is None:
                continue
            try:
                self._classify(frame)
                last_error = ""
            except Exception as exc:  # noqa: BLE001 - report once, keep going
                message = str(exc) if isinstance(exc, CamappError) else f"inference failed: {exc}"
                if message != last_error:
                    self.listener.on_error(message)
                    last_error = message
                self._stop.wait(0.2)

    def _next_frame(self) -> Frame | None:
        frame = self.source.slot.take()
        if frame is None:
            return None
        with self._lock:
            if self._mode == "click":
                if not self._click_pending:
                    return None
                self._click_pending = False
                return frame
            if frame.id != self.last_frame_id or self._dirty:
                return frame
        return None

    def _classify(self, frame: Frame) -> None:
        with self._lock:
            roi, top_k, threshold = self._roi, self._top_k, self._threshold
            self._dirty = False
        assert self._classifier is not None
        result = self._classifier.classify(frame.image, roi, top_k, threshold)
        self.last_frame_id = frame.id
        now = time.monotonic()
        self.meter.tick(result.timings.invoke_ms, now)
        self.predictions += 1
        self.listener.on_prediction(
            Prediction(
                frame_id=frame.id,
                generation=self.generation,
                model=self._model_spec,
                classification=result,
                roi=roi,
                frame_timestamp=frame.timestamp,
                timestamp=now,
                tag=self.tag,
            )
        )
        relay = self.relay
        if relay is not None:
            relay.put(frame)

    # -- stats ----------------------------------------------------------------------------
    def stats(self) -> dict[str, float]:
        """Inference fps and median invoke ms over the last second."""
        meter = self.meter
        return {"inference_fps": meter.rate(), "inference_ms": meter.median()}


class RelaySource(FrameSource):
    """The frames another worker has just classified (compare mode).

    Set ``worker_a.relay = relay.slot`` and give ``relay`` to the second worker: it then
    classifies the same frames (same ids, same ROI) while the first moves on to the next.
    Latest wins here too: when the second model is slower it skips frames.
    """

    kind = "relay"
    is_still = True

    def __init__(self, name: str = "relay") -> None:
        super().__init__(name)


__all__ = [
    "RelaySource",
    "InferenceWorker",
    "Listener",
    "ModelInfo",
    "NullListener",
    "Prediction",
]
