"""The headless controller: one source, the inference worker(s), settings fan-out, statistics.

A :class:`Session` is what the window, the kiosk and a script on a screenless Pi all drive.
It owns one frame source, the primary :class:`InferenceWorker` and, in compare mode, a
second worker that classifies exactly the frames the first has just classified. No method
blocks its caller: models load on each worker's loader thread and sources open on the
session's opener thread, the latest request winning in both. Everything it has to say goes
to its listeners (:class:`~camapp.pipeline.events.Listener`), called on core threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import TracebackType

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.base.types import Mode
from camapp.capture.frames import Backoff, FrameSource, SourceState
from camapp.capture.relay import RelaySource
from camapp.capture.sources import open_source
from camapp.capture.video import STREAM_TIMEOUT_S
from camapp.inference.options import ClassifierOptions
from camapp.inference.runtime import default_threads
from camapp.inference.tuning import Tuner, TuningCache, TuningChoice
from camapp.pipeline.events import Listener, ModelInfo, NullListener, Prediction, SourceInfo
from camapp.pipeline.sources import SourceOpener, SourceSwitcher
from camapp.pipeline.stats import SWAP_HISTORY, SessionStats, SwapRecord, WorkerRecord
from camapp.pipeline.teach import TeachController
from camapp.pipeline.tuning import TunedPaths
from camapp.pipeline.worker import InferenceWorker
from camapp.store.catalog import Catalog
from camapp.store.model_store import ModelStore

log = logging.getLogger(__name__)

__all__ = ["Session", "SourceOpener"]


class Session:
    """Live recognition without a window: a source, a model, a box, and answers.

    Args:
        source: What to recognise: a camera index, a video, a stream URL, a photo, a folder
            of photos, ``synthetic``, or a :class:`FrameSource`. ``None`` opens nothing yet.
        model: Catalog id or ``.tflite`` path; ``None`` picks the default installed model.
        roi: The box as ``ROI`` or ``(left, top, right, bottom)`` fractions.
        store: Where models are found; by default the packaged catalog and the user's store.
        models_dir: A models folder for the default store.
        threads: Interpreter threads (``None``: every core).
        xnnpack: Use the XNNPACK delegate.
        runtime: ``litert`` or ``tflite-runtime`` (``None``: the first available).
        labels: A label file for a ``.tflite`` model given by path.
        top_k: Labels per answer.
        threshold: Lowest score reported.
        mode: ``continuous`` or ``click``.
        compare: A second model to run on the same frames.
        listener: Receives every event (more with :meth:`add_listener`).
        synchronous: Load models and open sources inside the calls that ask for them
            (tests): when :meth:`request_model` returns, the model is ready to swap in.
        opener: Opens a source spec (tests can slow it down).
        stream_timeout: Seconds a stream URL may take to open or to send its next frame.
        reconnect: Waits between attempts to reopen a lost camera, stream or video file.
        tune: With ``threads=None`` ("auto"), time every threads x XNNPACK combination of
            each model once it answers (in the worker's idle time), cache the fastest per
            device (:mod:`camapp.inference.tuning`) and swap to it; a thread count given
            wins.
        tuning_cache: Where tuned choices are kept (default ``$XDG_CACHE_HOME/camapp``).

    Example:
        >>> with Session(source="cat.jpg", model="mobilenet_v2_1.0_224_uint8") as session:
        ...     print(session.latest_prediction(timeout=10).top.label)
    """

    def __init__(
        self,
        source: str | int | FrameSource | None = None,
        model: str | None = None,
        roi: ROI | tuple[float, float, float, float] | None = None,
        *,
        store: ModelStore | None = None,
        models_dir: str | Path | None = None,
        threads: int | None = None,
        xnnpack: bool = True,
        runtime: str | None = None,
        labels: str | None = None,
        top_k: int = 5,
        threshold: float = 0.0,
        mode: str = "continuous",
        compare: str | None = None,
        listener: Listener | None = None,
        synchronous: bool = False,
        opener: SourceOpener | None = None,
        stream_timeout: float = STREAM_TIMEOUT_S,
        reconnect: Backoff | None = None,
        tune: bool = False,
        tuning_cache: TuningCache | None = None,
    ) -> None:
        self.store = store if store is not None else ModelStore(Catalog.load(), models_dir)
        self.started = time.monotonic()
        self._xnnpack = xnnpack
        self._runtime = None if runtime in (None, "", "auto") else runtime
        self._labels = {str(model): labels} if labels and model else {}
        self._threads = threads or None
        self._tuning = TunedPaths(tune, tuning_cache)
        self._top_k = max(1, int(top_k))
        self._threshold = float(threshold)
        self._mode = Mode.parse(mode)
        self._roi = roi if isinstance(roi, ROI) else ROI.clamped(*roi) if roi else ROI.full()
        self._synchronous = synchronous
        self._lock = threading.RLock()
        self._prediction_ready = threading.Condition(self._lock)
        self._listeners: list[Listener] = [listener] if listener is not None else []
        self._prediction_callbacks: list[Callable[[Prediction], None]] = []
        self._records = {"": WorkerRecord(), "compare": WorkerRecord()}
        self._latest: Prediction | None = None
        self._answers = 0  # answers of the main model so far
        self._returned = 0  # ... of which latest_prediction() has returned the newest
        self._first_prediction: float | None = None
        self._stale_dropped = 0
        self._swaps: deque[SwapRecord] = deque(maxlen=SWAP_HISTORY)
        self._closed = False
        self._started = False
        self._sources = SourceSwitcher(
            opener or partial(open_source, stream_timeout=stream_timeout),
            reconnect or Backoff(),
            self._lock,
            self._listeners_now,
            lambda: self._closed,
            lambda source: self.worker.set_source(source),
            lambda text: self._on_error("", text),
            synchronous,
        )
        self._initial_source = source
        self._initial_model = model
        self._initial_compare = compare
        self.teach = TeachController(self)  # teach mode: its class set outlives model swaps
        self.worker = self._new_worker(self.source, self._threads, tag="")
        self.compare_worker: InferenceWorker | None = None
        self._relay: RelaySource | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> Session:
        """Starts the worker, opens the source and loads the model(s); returns at once."""
        if self._started or self._closed:
            return self
        self._started = True
        self.worker.start()
        if self._initial_source is not None:
            self.open_source(self._initial_source)
        model = self.store.usable_model(str(self._initial_model or ""))
        if model:
            self.request_model(model)
        if self._initial_compare:
            self.start_compare(self._initial_compare)
        return self

    def close(self) -> None:
        """Stops everything and joins every thread: opener, workers, source; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._prediction_ready.notify_all()
        self._sources.stop()
        self._close_compare_worker()
        self.worker.close()
        self.source.close()

    def __enter__(self) -> Session:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def threads(self) -> list[threading.Thread]:
        """Every thread this session owns (all joined by :meth:`close`)."""
        owned = list(self.worker.threads)
        if self.compare_worker is not None:
            owned.extend(self.compare_worker.threads)
        return owned + self._sources.threads

    # -- listeners ------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Adds a listener; its methods are called on core threads."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def on_prediction(self, callback: Callable[[Prediction], None]) -> Callable[[Prediction], None]:
        """Calls ``callback(prediction)`` for every answer of the main model (a decorator too).

        It runs on the inference thread: keep it short, and never touch a widget from it.
        """
        with self._lock:
            self._prediction_callbacks.append(callback)
        return callback

    def _listeners_now(self) -> list[Listener]:
        with self._lock:
            return list(self._listeners)

    # -- models ---------------------------------------------------------------------------
    def options_for(self, spec: str, threads: int | None) -> ClassifierOptions:
        """Classifier options for a model spec with this session's runtime choices."""
        options = self.store.options_for(
            spec,
            labels=self._labels.get(spec),
            num_threads=threads or None,
            use_xnnpack=self._xnnpack,
            runtime=self._runtime,
        )
        return self._tuning.apply(spec, options) if self._threads is None else options

    @property
    def tunes(self) -> bool:
        """Whether models on "auto" threads are tuned (the ``tune`` argument)."""
        return self._tuning.enabled

    def tuned(self, spec: str) -> TuningChoice | None:
        """The fastest threads x XNNPACK of a model on this device, once known."""
        return self._tuning.get(str(spec))

    def _tuner_for(self, spec: str) -> Tuner | None:
        """On the inference thread, after a model's first answers: tune it unless known."""
        if self._threads is not None or self.compare_worker is not None:
            return None
        known = self._tuning.get(spec)
        tuner = self._tuning.tuner_for(spec, self.options_for)
        cached = self._tuning.get(spec) if known is None and tuner is None else None
        if cached is not None:  # found in the cache: no need to measure
            self._on_tuned(spec, cached, store=False)
        return tuner

    def _on_tuned(self, spec: str, choice: TuningChoice, store: bool = True) -> None:
        """Keeps the choice and, still on "auto" with this model, swaps to it."""
        self._tuning.remember(spec, choice, store=store)
        info = self.model_info
        if self._closed or self._threads is not None or info is None or info.spec != spec:
            return
        self.request_model(spec)  # a normal model request, now with the tuned path

    def request_model(self, spec: str, threads: int | None = None) -> None:
        """Loads ``spec`` in the background; the current model keeps answering meanwhile.

        Args:
            spec: Catalog id or ``.tflite`` path.
            threads: Interpreter threads for it (``None``: the session's setting).
        """
        if self._closed:
            return
        spec = str(spec)
        if threads is None and self.compare_worker is not None:
            threads = self.compare_threads()[0]
        tuned = self._tuning.get(spec)
        if threads is None and self._threads is None and tuned is not None:
            threads = tuned.threads
        with self._lock:
            self._swaps.append(SwapRecord(spec, time.monotonic()))
        self.worker.request_model(spec, threads if threads is not None else self._threads)

    def set_threads(self, threads: int | None) -> None:
        """Interpreter threads for the model(s) (``None``: every core); reloads them."""
        self._threads = threads or None
        info = self.model_info
        if info is not None:
            self.request_model(info.spec)
        compare = self.compare_info
        if compare is not None and self.compare_worker is not None:
            self.compare_worker.request_model(compare.spec, self.compare_threads()[1])

    @property
    def model_info(self) -> ModelInfo | None:
        """The main model answering now."""
        with self._lock:
            return self._records[""].info

    @property
    def compare_info(self) -> ModelInfo | None:
        with self._lock:
            return self._records["compare"].info if self.compare_worker is not None else None

    @property
    def loading(self) -> str | None:
        """The model the main worker is loading, if any."""
        return self.worker.loading

    def wait_for_model(self, spec: str | None = None, timeout: float = 10.0) -> ModelInfo | None:
        """Waits until ``spec`` (or any model) answers; ``None`` on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                info = self._records[""].info
                if info is not None and (spec is None or info.spec == spec):
                    return info
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return None
                self._prediction_ready.wait(left)

    # -- compare mode ---------------------------------------------------------------------
    def compare_threads(self) -> tuple[int, int]:
        """Cores split between the two models: half each (the first gets the odd one)."""
        cores = self._threads or default_threads()
        second = max(1, cores // 2)
        return max(1, cores - second), second

    def start_compare(self, spec: str) -> None:
        """Runs ``spec`` beside the main model on the same frames and box, half the cores each."""
        if self._closed:
            return
        first_threads, second_threads = self.compare_threads()
        if self.compare_worker is None:
            self._relay = RelaySource("compare")
            self.compare_worker = self._new_worker(self._relay, second_threads, tag="compare")
            self.worker.relay = self._relay.slot
            self.compare_worker.start()
            info = self.model_info
            current = info.spec if info else self.worker.loading
            if current and (info is None or info.threads != first_threads):
                self.request_model(current, threads=first_threads)
        self.compare_worker.request_model(str(spec), threads=second_threads)

    def stop_compare(self) -> None:
        """Back to one model, with every core again."""
        if self.compare_worker is None:
            return
        self._close_compare_worker()
        info = self.model_info
        current = info.spec if info else self.worker.loading
        if current and not self._closed:
            self.request_model(current, threads=self._threads)

    def _close_compare_worker(self) -> None:
        self.worker.relay = None
        worker, self.compare_worker = self.compare_worker, None
        if worker is not None:
            worker.close()
        with self._lock:
            self._records["compare"] = WorkerRecord()

    # -- settings fan-out -----------------------------------------------------------------
    def _workers(self) -> list[InferenceWorker]:
        return [w for w in (self.worker, self.compare_worker) if w is not None]

    @property
    def roi(self) -> ROI:
        return self._roi

    def set_roi(self, roi: ROI | tuple[float, float, float, float]) -> None:
        """The box both models classify, as fractions of the frame."""
        self._roi = roi if isinstance(roi, ROI) else ROI.clamped(*roi)
        for worker in self._workers():
            worker.set_roi(self._roi)

    @property
    def top_k(self) -> int:
        return self._top_k

    @property
    def threshold(self) -> float:
        return self._threshold

    def set_top_k(self, top_k: int) -> None:
        self._top_k = max(1, int(top_k))
        for worker in self._workers():
            worker.set_top_k(self._top_k, self._threshold)

    def set_threshold(self, threshold: float) -> None:
        self._threshold = min(1.0, max(0.0, float(threshold)))
        for worker in self._workers():
            worker.set_top_k(self._top_k, self._threshold)

    @property
    def mode(self) -> Mode:
        return self._mode

    def set_mode(self, mode: str) -> None:
        """``continuous`` (every frame) or ``click`` (on :meth:`recognise_once` only)."""
        try:
            self._mode = Mode.parse(mode)
        except ValueError as exc:
            raise CamappError(str(exc)) from None
        self.worker.set_mode(self._mode)

    @property
    def threads_setting(self) -> int | None:
        """Interpreter threads asked for (``None``: every core)."""
        return self._threads

    def recognise_once(self) -> None:
        """Click mode: classifies the current box once."""
        self.worker.recognise_once()

    # -- sources --------------------------------------------------------------------------
    @property
    def source(self) -> FrameSource:
        """The source frames come from now (a :class:`NullSource` before one opened)."""
        return self._sources.source

    @property
    def source_info(self) -> SourceInfo | None:
        return self._sources.info

    @property
    def source_spec(self) -> str:
        return self._sources.spec

    def open_source(self, source: str | int | FrameSource) -> None:
        """Opens ``source`` on the opener thread and switches to it when it is running.

        Opening a network stream can take many seconds; the current source keeps running
        until the new one delivers, and the latest request wins. Listeners hear
        ``on_source_changed`` or ``on_source_failed``.
        """
        if not self._closed:
            self._sources.open(source)

    @property
    def source_state(self) -> SourceState:
        """Whether the running source delivers, or is lost and reconnecting."""
        return self.source.state

    def wait_for_source(self, timeout: float = 10.0) -> bool:
        """Waits until no source is being opened; False on timeout."""
        return self._sources.wait(timeout)

    def next_scene(self) -> bool:
        """Moves to the next photo of a folder in the background; False for live sources.

        Returns at once: the photo decodes on the scene-stepper thread (presses made
        meanwhile add up), and listeners hear ``on_scene_changed`` once it is shown.
        """
        return self._sources.step(+1)

    def previous_scene(self) -> bool:
        """Moves to the previous photo in the background; False for live sources."""
        return self._sources.step(-1)

    def add_photo(self, path: str) -> bool:
        """Your own photo: added to the photos showing, right after the one shown, and shown.

        Returns at once (it decodes on the scene-stepper thread; listeners hear
        ``on_scene_changed``). When no list of photos is showing (a camera, a video, nothing)
        or ``path`` is no photo file, it is opened as the source instead, as
        :meth:`open_source` would.

        Returns:
            True when the photo joins the photos showing; False when it is opened instead.
        """
        return False if self._closed else self._sources.add_photo(path)

    # -- answers --------------------------------------------------------------------------
    def latest_prediction(self, timeout: float | None = None) -> Prediction | None:
        """The newest answer of the main model running now (none from a model swapped out).

        Args:
            timeout: ``None`` returns at once (``None`` if there is no answer yet). A number
                waits up to that many seconds for an answer newer than the one this method
                returned last, so a loop gets each answer once.
        """
        with self._lock:
            if timeout is not None:
                deadline = time.monotonic() + timeout
                while not self._closed and self._answers <= self._returned:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    self._prediction_ready.wait(left)
            self._returned = self._answers
            return self._latest

    def stats(self) -> SessionStats:
        """A snapshot of what the session has done (bounded histories, immutable)."""
        with self._lock:
            primary = self._records[""].stats(self.worker)
            compare = (
                self._records["compare"].stats(self.compare_worker)
                if self.compare_worker is not None
                else None
            )
            first = self._first_prediction
            return SessionStats(
                primary=primary,
                compare=compare,
                source=self.source_spec,
                camera_fps=round(self.source.fps.rate(), 2),
                frames_captured=self.source.fps.count,
                first_prediction_s=round(first - self.started, 3) if first else None,
                stale_dropped=self._stale_dropped,
                swaps=tuple(self._swaps),
                duration_s=round(time.monotonic() - self.started, 3),
            )

    # -- worker events (core threads) -----------------------------------------------------
    def _new_worker(self, source: FrameSource, threads: int | None, tag: str) -> InferenceWorker:
        return InferenceWorker(
            source,
            _WorkerEvents(self, tag),
            self.options_for,
            roi=self._roi,
            top_k=self._top_k,
            threshold=self._threshold,
            mode=self._mode if not tag else Mode.CONTINUOUS,
            threads=threads,
            tag=tag,
            synchronous=self._synchronous,
            create=self.teach.factory(tag),
            tuner_for=None if tag else self._tuner_for,
            on_tuned=None if tag else self._on_tuned,
        )

    def _on_prediction(self, prediction: Prediction) -> None:
        tag = prediction.tag
        with self._lock:
            if tag and self.compare_worker is None:
                return
            record = self._records[tag]
            info = record.info
            if self._closed or (info is not None and prediction.generation < info.generation):
                self._stale_dropped += 1
                return
            record.predictions += 1
            record.history.add(prediction.classification.timings.invoke_ms)
            if not tag:
                self._latest = prediction
                self._answers += 1
                if self._first_prediction is None:
                    self._first_prediction = prediction.timestamp
                self._prediction_ready.notify_all()
            callbacks = list(self._prediction_callbacks) if not tag else []
            listeners = list(self._listeners)
        for callback in callbacks:
            callback(prediction)
        for listener in listeners:
            listener.on_prediction(prediction)

    def _on_model_changed(self, info: ModelInfo) -> None:
        with self._lock:
            if self._closed:
                return
            record = self._records[info.tag]
            record.info = info
            record.history.clear()
            if not info.tag:
                self._latest = None  # latest_prediction() answers for the model running now
                now = time.monotonic()
                for i, swap in enumerate(self._swaps):
                    if swap.model == info.spec and swap.changed is None:
                        self._swaps[i] = replace(swap, changed=now, load_ms=info.load_ms)
                self._prediction_ready.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:
            listener.on_model_changed(info)

    def _on_error(self, tag: str, message: str) -> None:
        if self._closed:
            return
        text = f"compare: {message}" if tag else message
        log.debug("session error: %s", text)
        for listener in self._listeners_now():
            listener.on_error(text)

    def _on_status(self, message: str) -> None:
        for listener in self._listeners_now():
            listener.on_status(message)


class _WorkerEvents(NullListener):
    """A worker's listener: hands its events to the session with the worker's tag."""

    def __init__(self, session: Session, tag: str) -> None:
        self._session = session
        self._tag = tag

    def on_prediction(self, prediction: Prediction) -> None:
        self._session._on_prediction(prediction)

    def on_model_changed(self, info: ModelInfo) -> None:
        self._session._on_model_changed(info)

    def on_error(self, message: str) -> None:
        self._session._on_error(self._tag, message)

    def on_status(self, message: str) -> None:
        self._session._on_status(message)
