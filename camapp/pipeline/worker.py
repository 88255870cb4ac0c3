"""The inference worker: one thread owning the classifier, newest frame in, predictions out.

The worker takes the newest frame it has not seen (or re-runs the last one when the ROI or
settings change), classifies the ROI crop and reports a frozen :class:`Prediction` through
a :class:`Listener`. A model swap is loaded on a short-lived loader thread while the old
model keeps running, then swapped in on the worker thread, which bumps the generation so
consumers can drop predictions from the old model. Then, while it has nothing else to do,
the worker times a few invokes of the new model (:class:`SpeedMeasurement`), so a still
photo, answered once, still says how fast the model runs on this device.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from camapp.base.errors import CamappError
from camapp.base.latest import LatestOnlyExecutor
from camapp.base.meters import RateMeter
from camapp.base.roi import ROI
from camapp.base.types import Mode
from camapp.capture.frames import Frame, FrameSource, LatestSlot
from camapp.inference.classifier import Classifier
from camapp.inference.options import ClassifierOptions
from camapp.inference.tuning import Tuner, TuningChoice
from camapp.pipeline.events import Listener, ModelInfo, NullListener, Prediction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Loaded:
    """A classifier loaded on the loader thread, waiting to be swapped in."""

    spec: str
    classifier: Classifier
    load_ms: float
    token: object


#: Timed invokes of a newly loaded model (its answers count too); the first one, slow while
#: the runtime prepares its kernels, is not timed.
MEASURE_RUNS = 5


@dataclass(frozen=True)
class SpeedMeasurement:
    """How fast the loaded model runs on this device, on the worker's own thread.

    Attributes:
        spec: The model measured.
        generation: Its generation (a newer model makes this one stale).
        threads: Interpreter threads it ran with.
        median_ms: The median time of one invoke.
        runs: Invokes timed.
        tuned: It is the tuning's timing (longer, interleaved) of the path the model runs on.
    """

    spec: str
    generation: int
    threads: int
    median_ms: float
    runs: int
    tuned: bool = False

    @property
    def fps(self) -> float:
        """Invokes per second at the median time (what a live camera could reach at most)."""
        return 1000.0 / self.median_ms if self.median_ms > 0 else 0.0


#: Turns a model spec (catalog id or path) and thread count into classifier options.
OptionsFactory = Callable[[str, "int | None"], ClassifierOptions]
#: Builds the classifier for a model spec and thread count (the session's teach mode).
ClassifierFactory = Callable[[str, "int | None"], Classifier]
#: After the speed measurement: a tuner for the model spec, or None for no tuning.
TunerFactory = Callable[[str], "Tuner | None"]
#: Told the tuned choice of a model spec (on the inference thread).
TunedCallback = Callable[[str, TuningChoice], None]


class InferenceWorker:
    """Owns one classifier on one named thread, and one model loader.

    Args:
        source: Where frames come from.
        listener: Receives predictions, model changes, errors and status (on core threads).
        options_for: Resolves a model spec and thread count into :class:`ClassifierOptions`.
        roi: Initial box.
        top_k: Labels per prediction.
        threshold: Lowest score reported.
        mode: ``continuous`` or ``click`` (classify only on :meth:`recognise_once`).
        threads: Interpreter threads (``None``: every core).
        tag: Names the threads and tags predictions (compare mode).
        synchronous: Load models inside :meth:`request_model` (tests): the new model is
            ready to swap in when the call returns.
        create: Builds the classifier of a spec (default: ``Classifier.create`` of
            ``options_for``); it runs on the loader thread.
        tuner_for: After the speed measurement of a new model, gives a
            :class:`~camapp.inference.tuning.Tuner` to step through in idle time (or None).
        on_tuned: Receives the tuner's choice (on the inference thread).
    """

    def __init__(
        self,
        source: FrameSource,
        listener: Listener | None,
        options_for: OptionsFactory,
        roi: ROI | None = None,
        top_k: int = 5,
        threshold: float = 0.0,
        mode: str = "continuous",
        threads: int | None = None,
        tag: str = "",
        synchronous: bool = False,
        create: ClassifierFactory | None = None,
        tuner_for: TunerFactory | None = None,
        on_tuned: TunedCallback | None = None,
    ) -> None:
        self.source = source
        self.listener: Listener = listener if listener is not None else NullListener()
        self._options_for = options_for
        self._create = create or (lambda spec, n: Classifier.create(options_for(spec, n)))
        self.tag = tag
        suffix = f"-{tag}" if tag else ""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._roi = roi or ROI.full()
        self._top_k = max(1, int(top_k))
        self._threshold = float(threshold)
        self._mode = Mode.parse(mode)
        self._threads = threads
        self._dirty = True
        self._click_pending = False
        self._classifier: Classifier | None = None
        self._model_spec = ""
        self._pending: _Loaded | None = None
        self._loader = LatestOnlyExecutor(f"camapp-model-loader{suffix}", synchronous)
        self._loading: tuple[object, str] | None = None
        self._thread_name = f"camapp-inference{suffix}"
        self.generation = 0
        self.meter = RateMeter()
        self.predictions = 0
        self.last_frame_id = 0
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._idle_passes = 0  # loop passes that found nothing to classify
        self._speed_samples: list[float] | None = None  # invoke ms since the last swap
        #: The loaded model's speed here, once measured (read from any thread).
        self.measured: SpeedMeasurement | None = None
        self._tuner_for = tuner_for
        self._on_tuned = on_tuned
        self._tuning: tuple[str, Tuner] | None = None  # stepped when idle, after measuring
        #: Compare mode: every classified frame is handed on here, so a second worker
        #: classifies exactly the frames this one did (see :class:`RelaySource`).
        self.relay: LatestSlot | None = None
        source.slot.subscribe(self._wake)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> InferenceWorker:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
            self._thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Stops the worker and its loader and joins both; idempotent."""
        self._stop.set()
        self._wake.set()
        self.source.slot.unsubscribe(self._wake)
        self._loader.close(timeout)
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with self._lock:
            pending, self._pending = self._pending, None
            self._loading = None
        if pending is not None:
            pending.classifier.close()
        self._stop_tuning()
        if self._classifier is not None:
            self._classifier.close()
            self._classifier = None

    @property
    def threads(self) -> list[threading.Thread]:
        """The threads this worker owns and joins on :meth:`close`."""
        return [t for t in (self._thread, self._loader.thread) if t is not None]

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
        """``continuous`` or ``click``.

        Raises:
            CamappError: For any other mode.
        """
        try:
            parsed = Mode.parse(mode)
        except ValueError as exc:
            raise CamappError(str(exc)) from None
        with self._lock:
            self._mode = parsed
            self._dirty = True
        self._wake.set()

    @property
    def mode(self) -> Mode:
        return self._mode

    def recognise_once(self) -> None:
        """Classifies the current box once (click-to-recognise)."""
        with self._lock:
            self._click_pending = True
        self._wake.set()

    def rerun(self) -> None:
        """Classifies the current frame again, also a still one (a capture in teach mode)."""
        with self._lock:
            self._dirty = True
            self._click_pending = self._mode is Mode.CLICK
        self._wake.set()

    @property
    def model_spec(self) -> str:
        return self._model_spec

    @property
    def classifier(self) -> Classifier | None:
        """The classifier answering now (only the worker thread may use it)."""
        return self._classifier

    @property
    def loading(self) -> str | None:
        """The spec being loaded, if any."""
        with self._lock:
            return self._loading[1] if self._loading else None

    def request_model(self, spec: str, threads: int | None = None) -> None:
        """Loads ``spec`` on the loader thread; the current model runs until it is ready.

        A newer request supersedes an older one still loading (even of the same model with
        other threads). Errors are reported with ``on_error`` and leave the current model
        running.
        """
        if threads is not None:
            self._threads = threads
        threads = self._threads
        token = object()  # identifies this request in ``_loading`` and in the loaded result
        with self._lock:
            self._loading = (token, spec)
        self._loader.submit(lambda current: self._load(spec, threads, current, token))

    def load_now(self, spec: str) -> ModelInfo:
        """Loads a model synchronously before :meth:`start` (CLI and benchmarks)."""
        started = time.perf_counter()
        classifier = self._create(spec, self._threads)
        load_ms = (time.perf_counter() - started) * 1e3
        return self._install(_Loaded(spec, classifier, load_ms, None))

    # -- loader and worker threads --------------------------------------------------------
    def _load(
        self, spec: str, threads: int | None, current: Callable[[], bool], token: object
    ) -> None:
        """Runs on the loader thread (or the caller's, when synchronous)."""
        if not current() or self._stop.is_set():
            return
        started = time.perf_counter()
        try:
            classifier = self._create(spec, threads)
        except Exception as exc:  # noqa: BLE001 - report anything, keep the old model
            with self._lock:
                if self._loading and self._loading[0] is token:
                    self._loading = None
            if current():
                reason = (
                    str(exc) if isinstance(exc, CamappError) else f"{type(exc).__name__}: {exc}"
                )
                self.listener.on_error(
                    f"cannot load {spec}: {reason}; still running {self._model_spec or 'nothing'}"
                )
            return
        loaded = _Loaded(spec, classifier, (time.perf_counter() - started) * 1e3, token)
        with self._lock:
            stale = not current() or self._stop.is_set()
            old = None
            if not stale:
                old, self._pending = self._pending, loaded
        if stale:
            classifier.close()
            return
        if old is not None:
            old.classifier.close()
        self._wake.set()

    def _install(self, loaded: _Loaded) -> ModelInfo:
        old = self._classifier
        self._classifier = loaded.classifier
        self._model_spec = loaded.spec
        self.generation += 1
        self.meter = RateMeter()
        self.measured = None
        self._speed_samples = []
        self._stop_tuning()
        with self._lock:
            self._dirty = True
            if self._loading and self._loading[0] is loaded.token:
                self._loading = None
        if old is not None:
            old.close()
        info = self._info(loaded.spec, loaded.classifier, loaded.load_ms)
        self.listener.on_model_changed(info)
        return info

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
            tag=self.tag,
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
            if frame is None and self._measure_step():
                continue  # one timed invoke; back at once, for a frame or the next one
            if frame is None or self._classifier is None:
                with self._idle:
                    self._idle_passes += 1
                    self._idle.notify_all()
                continue
            try:
                self._classify(frame)
                last_error = ""
                if self._tuning is not None:
                    # Frames keep coming, so the wait would never time out into an idle
                    # pass: come back at once and tune one invoke while the next frame is due.
                    self._wake.set()
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
            if self._mode is Mode.CLICK:
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
        self._add_speed_sample(result.timings.invoke_ms)
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

    def _measure_step(self) -> bool:
        """Times one invoke of a model not measured yet; False when there is none to do."""
        classifier = self._classifier
        if classifier is None:
            return False
        if self._speed_samples is None:
            return self._tune_step()
        started = time.perf_counter()
        try:
            classifier.invoke()  # on whatever input it holds: the time does not depend on it
        except Exception:  # noqa: BLE001 - no measurement, and the answers go on
            self._speed_samples = None
            return False
        self._add_speed_sample((time.perf_counter() - started) * 1e3)
        self._wake.set()
        return True

    def _add_speed_sample(self, ms: float) -> None:
        """Adds an invoke time; the first after a swap is warm-up, :data:`MEASURE_RUNS` do."""
        samples = self._speed_samples
        if samples is None or self._classifier is None:
            return
        samples.append(ms)
        if len(samples) > MEASURE_RUNS:
            timed = samples[1:]
            self._speed_samples = None
            self.measured = SpeedMeasurement(
                self._model_spec,
                self.generation,
                self._classifier.num_threads,
                statistics.median(timed),
                len(timed),
            )
            self._start_tuning()

    # -- tuning (threads x XNNPACK), one invoke per idle pass -----------------------------
    def _start_tuning(self) -> None:
        if self._tuner_for is None or self._tuning is not None:
            return
        spec = self._model_spec
        try:
            tuner = self._tuner_for(spec)
        except Exception as exc:  # noqa: BLE001 - no tuning; the answers go on
            log.info("cannot tune %s: %s", spec, exc)
            return
        if tuner is not None:
            self._tuning = (spec, tuner)

    def _stop_tuning(self) -> None:
        tuning, self._tuning = self._tuning, None
        if tuning is not None:
            tuning[1].close()

    def _tune_step(self) -> bool:
        """One step of the running tuner; False when there is none."""
        if self._tuning is None:
            return False
        spec, tuner = self._tuning
        try:
            more = tuner.step()
        except Exception as exc:  # noqa: BLE001 - no tuning; the answers go on
            log.info("tuning %s failed: %s", spec, exc)
            self._stop_tuning()
            return False
        if not more:
            self._tuning = None
            if tuner.result is not None and self._on_tuned is not None:
                self._on_tuned(spec, tuner.result)
        self._wake.set()
        return True

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Waits until the worker has looked for work after this call and found none.

        What was asked before the call (a box, a frame, a click) has then been answered,
        and nothing more will be until something changes: tests use it instead of sleeping
        to prove that nothing else happens.
        """
        with self._idle:
            # A pass already under way may have started before the call: wait for the next.
            target = self._idle_passes + 2
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._idle_passes < target:
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    return False
                self._idle.wait(min(left, 0.05))
                self._wake.set()
            return True

    # -- stats ----------------------------------------------------------------------------
    def stats(self) -> dict[str, float]:
        """Inference fps and median invoke ms over the last second."""
        meter = self.meter
        return {"inference_fps": meter.rate(), "inference_ms": meter.median()}
