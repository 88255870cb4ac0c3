"""Measurement for ``camapp bench``: interleaved invoke and end-to-end pipeline phases."""

from __future__ import annotations

import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from camapp.base.errors import CamappError
from camapp.bench.defaults import (
    DEFAULT_DURATION,
    DEFAULT_E2E_SECONDS,
    DEFAULT_ROUNDS,
    DEFAULT_WARMUP,
)

if TYPE_CHECKING:  # the CLI imports this module for every command: keep imports light
    from camapp.base.roi import ROI
    from camapp.bench.evaluate import LabelledImage
    from camapp.inference.options import ClassifierOptions
    from camapp.inference.runtime import Runtime
    from camapp.pipeline.events import Prediction
    from camapp.store.catalog import ModelEntry
    from camapp.store.model_store import ModelStore

#: Fewest invokes / pipeline frames a phase measures, however short its time slice.
MIN_SAMPLES = 3
#: How long a pipeline may take to deliver its warm-up predictions.
PIPELINE_TIMEOUT_S = 20.0
#: Phone whose published latency is plotted and tabulated next to the measurement.
PHONE = "pixel1"


# -- options and results ---------------------------------------------------------------------
@dataclass(frozen=True)
class BenchOptions:
    """What to measure.

    Attributes:
        specs: Catalog ids or ``.tflite`` paths.
        runtimes: Runtime names (``auto``, ``litert``, ``tflite-runtime``); one result each.
        source: ``synthetic``, a video, an image or a folder of images (``--source``).
        threads: Interpreter threads; ``None`` uses every core.
        duration: Seconds of invoke-only measurement per model and runtime, split over the
            rounds.
        e2e_seconds: Seconds of the end-to-end pipeline phase per model and runtime, split
            over the rounds.
        rounds: Round-robin rounds; each runs every model once for ``duration / rounds``.
        warmup: Invokes (and pipeline predictions) discarded before each measured phase.
        use_xnnpack: Use the XNNPACK delegate.
        eval_items: Labelled images for measured top-1/top-5 (``--eval``), or empty.
    """

    specs: tuple[str, ...]
    runtimes: tuple[str, ...] = ("auto",)
    source: str = "synthetic"
    threads: int | None = None
    duration: float = DEFAULT_DURATION
    e2e_seconds: float = DEFAULT_E2E_SECONDS
    rounds: int = DEFAULT_ROUNDS
    warmup: int = DEFAULT_WARMUP
    use_xnnpack: bool = True
    eval_items: tuple[LabelledImage, ...] = ()

    def validate(self) -> None:
        """Checks the options before anything is loaded.

        Raises:
            CamappError: For values that cannot be measured, naming the command-line flag.
        """
        if not self.specs:
            raise CamappError("no models to benchmark", "pass --models ID,... or install some")
        if not self.duration > 0:
            raise CamappError(f"--duration must be positive, not {self.duration:g}")
        if not self.e2e_seconds > 0:
            raise CamappError(f"--e2e-seconds must be positive, not {self.e2e_seconds:g}")
        if self.rounds < 1:
            raise CamappError(f"--rounds must be at least 1, not {self.rounds}")
        if self.warmup < 0:
            raise CamappError(f"--warmup cannot be negative ({self.warmup})")
        if self.threads is not None and self.threads < 1:
            raise CamappError(f"--threads must be at least 1, not {self.threads}")


@dataclass(frozen=True)
class BenchResult:
    """One model on one runtime; :meth:`as_dict` gives the JSON object / CSV row.

    Latencies are milliseconds. ``invoke_ms_round_min``/``_max`` and ``e2e_fps_round_min``/
    ``_max`` are the spread of the per-round figures. ``overhead_ratio`` is the pipeline's
    time per frame over the median invoke *of the same phase* (1.0 would be a pipeline
    that costs nothing). ``cpu_percent`` is process CPU time over wall time in the
    GUI-less pipeline phase (200 = two cores busy). Published figures come from the
    catalog and are ``None`` when unknown.
    """

    model: str
    variant: str
    runtime: str
    runtime_version: str
    threads: int
    xnnpack: bool
    source: str
    rounds: int
    load_ms: float
    invoke_ms_p50: float
    invoke_ms_p95: float
    invoke_ms_round_min: float
    invoke_ms_round_max: float
    invoke_samples: int
    invoke_vs_fastest: float
    e2e_fps: float
    e2e_fps_round_min: float
    e2e_fps_round_max: float
    e2e_frames: int
    e2e_invoke_ms_p50: float
    overhead_ratio: float
    cpu_percent: float
    invoke_cpu_percent: float
    peak_rss_mb: float
    macs_m: float | None
    top1_published: float | None
    top5_published: float | None
    top1_measured: float | None
    top5_measured: float | None
    eval_images: int | None
    published_latency_ms_pixel1: float | None
    published_latency_ms_pixel2: float | None
    published_latency_ms_pixel3: float | None
    #: The fastest threads x XNNPACK tuned on this device (``camapp bench --tune`` or the
    #: app), from the tuning cache; ``None`` when this model was not tuned here yet.
    tuned: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The result as a JSON object / CSV row, keys in field order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def label(self) -> str:
        """A short name for tables and charts (the id without ``mobilenet_``)."""
        name = Path(self.model).stem if self.model.endswith(".tflite") else self.model
        return name.removeprefix("mobilenet_")

    @property
    def published_phone_ms(self) -> float | None:
        """The catalog's published latency on :data:`PHONE`, or ``None`` when unknown."""
        value: float | None = getattr(self, f"published_latency_ms_{PHONE}")
        return value


@dataclass
class BenchReport:
    """Everything one run produced."""

    results: list[BenchResult]
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    source: str = ""
    frame_size: tuple[int, int] = (0, 0)


# -- measurement -------------------------------------------------------------------------------
@dataclass
class _Tally:
    """Samples gathered for one (model, runtime) over all rounds."""

    spec: str
    runtime: Runtime
    load_ms: list[float] = field(default_factory=list)
    invoke_ms: list[float] = field(default_factory=list)
    round_invoke_p50: list[float] = field(default_factory=list)
    invoke_cpu_s: float = 0.0
    invoke_wall_s: float = 0.0
    e2e_frames: int = 0
    e2e_span_s: float = 0.0
    round_e2e_fps: list[float] = field(default_factory=list)
    e2e_invoke_ms: list[float] = field(default_factory=list)
    e2e_cpu_s: float = 0.0
    e2e_wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    threads: int = 0
    xnnpack: bool = True
    top1: float | None = None
    top5: float | None = None
    eval_images: int | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        return f"{self.spec} on {self.runtime.name}"


class _PredictionLog:
    """A pipeline listener that records when each prediction arrived (worker thread)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.stamps: list[float] = []
        self.invoke_ms: list[float] = []
        self.errors: list[str] = []

    def on_prediction(self, prediction: Prediction) -> None:
        with self._cond:
            self.stamps.append(prediction.timestamp)
            self.invoke_ms.append(prediction.classification.timings.invoke_ms)
            self._cond.notify_all()

    # The rest of the listener protocol: the bench needs only predictions and errors.
    def on_model_changed(self, info: object) -> None:
        pass

    def on_source_changed(self, info: object) -> None:
        pass

    def on_source_failed(self, spec: str, message: str) -> None:
        pass

    def on_scene_changed(self, name: str, index: int, count: int) -> None:
        pass

    def on_source_status(self, spec: str, state: object) -> None:
        pass

    def on_error(self, message: str) -> None:
        with self._cond:
            self.errors.append(message)
            self._cond.notify_all()

    def on_status(self, message: str) -> None:
        pass

    def wait_for(self, count: int, timeout: float) -> bool:
        """Waits until ``count`` predictions arrived; ``False`` on timeout or an error."""
        with self._cond:
            return (
                self._cond.wait_for(lambda: len(self.stamps) >= count or bool(self.errors), timeout)
                and len(self.stamps) >= count
            )

    def snapshot(self) -> tuple[list[float], list[float]]:
        with self._cond:
            return list(self.stamps), list(self.invoke_ms)


def _reset_peak_rss() -> None:
    """Resets the kernel's peak-RSS mark (Linux >= 4.0) so each phase reports its own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass  # elsewhere the peak is the process's since start


def _peak_rss_mb() -> float:
    """Peak resident memory in MB: VmHWM since the last reset, else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _percentile(values: Sequence[float], q: float) -> float:
    from camapp.base.meters import percentile

    return percentile(list(values), q)


def _app_roi() -> ROI:
    """The default box of the window (config ``roi``), so crops are sized like the app's."""
    from camapp.base.config import app_defaults
    from camapp.base.roi import ROI

    try:
        roi = app_defaults().get("roi")
        return ROI.clamped(*roi) if roi else ROI.full()
    except (CamappError, TypeError, ValueError):
        return ROI.full()


def resolve_runtimes(names: Sequence[str]) -> tuple[list[Runtime], list[str]]:
    """Loads each runtime; returns those that load and a line for each that does not.

    Args:
        names: Runtime names (``auto``, ``litert``, ``tflite-runtime``).

    Returns:
        The distinct runtimes that loaded, and one "skipped" line per name that did not.

    Raises:
        CamappError: When none of them loads (with that runtime's own message for one).
    """
    from camapp.inference.runtime import load_runtime

    loaded: list[Runtime] = []
    skipped: list[str] = []
    errors: list[CamappError] = []
    for name in names:
        try:
            runtime = load_runtime(name)
        except CamappError as exc:
            errors.append(exc)
            skipped.append(f"runtime {name} skipped: {exc}")
            continue
        if runtime.name not in [r.name for r in loaded]:
            loaded.append(runtime)
    if not loaded:
        if len(errors) == 1:
            raise errors[0]
        raise CamappError(
            "none of the runtimes " + ", ".join(names) + " can be loaded",
            "; ".join(str(e) for e in errors),
        )
    return loaded, skipped


class _Bench:
    """Runs the rounds: each round measures every (model, runtime) once, in rotating order."""

    def __init__(
        self,
        store: ModelStore,
        options: BenchOptions,
        runtimes: list[Runtime],
        progress: Callable[[str, int, int], None] | None,
        warn: Callable[[str], None],
    ) -> None:
        from camapp.capture.still_loop import sample_frames
        from camapp.inference.runtime import default_threads

        self.store = store
        self.options = options
        self.threads = options.threads or default_threads()
        self.progress = progress
        self.warn = warn
        self.roi = _app_roi()
        self.frames = sample_frames(options.source)
        self.tallies = [_Tally(spec, rt) for spec in options.specs for rt in runtimes]
        self.warn_seen: set[str] = set()

    def classifier_options(self, spec: str, runtime: Runtime) -> ClassifierOptions:
        return self.store.options_for(
            spec,
            num_threads=self.threads,
            use_xnnpack=self.options.use_xnnpack,
            runtime=runtime.name,
        )

    def run(self) -> list[_Tally]:
        opts = self.options
        slices = {
            self._invoke_phase: opts.duration / opts.rounds,
            self._pipeline_phase: opts.e2e_seconds / opts.rounds,
        }
        steps = opts.rounds * len(self.tallies) * 2
        done = 0
        for round_index in range(opts.rounds):
            live = [t for t in self.tallies if t.error is None]
            if not live:
                break
            shift = round_index % len(live)  # rotate so no model always runs first
            for tally in live[shift:] + live[:shift]:
                for phase in (self._invoke_phase, self._pipeline_phase):
                    if self.progress:
                        self.progress(
                            f"round {round_index + 1}/{opts.rounds} {tally.spec}", done, steps
                        )
                    if tally.error is None:
                        try:
                            phase(tally, slices[phase])
                        except CamappError as exc:
                            tally.error = str(exc)
                            self.warn(f"{tally.name} skipped: {exc}")
                    done += 1
        if self.progress:
            self.progress("measured", steps, steps)
        if opts.eval_items:
            self._evaluate()
        return self.tallies

    # -- phases ----------------------------------------------------------------------------
    def _invoke_phase(self, tally: _Tally, seconds: float) -> None:
        """Loads the model, writes frames as the app does (preprocess), times invoke() only."""
        from camapp.inference.classifier import Classifier

        _reset_peak_rss()
        started = time.perf_counter()
        classifier = Classifier.create(self.classifier_options(tally.spec, tally.runtime))
        tally.load_ms.append((time.perf_counter() - started) * 1e3)
        tally.threads, tally.xnnpack = classifier.num_threads, classifier.xnnpack
        for note in classifier.notes:
            if note not in self.warn_seen:
                self.warn_seen.add(note)
                self.warn(note)
        frames, roi = self.frames, self.roi
        samples: list[float] = []
        try:
            for i in range(self.options.warmup):
                classifier.preprocess(frames[i % len(frames)], roi)
                classifier.invoke()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            end = wall0 + seconds
            i = 0
            while True:
                classifier.preprocess(frames[i % len(frames)], roi)
                t0 = time.perf_counter()
                classifier.invoke()
                t1 = time.perf_counter()
                samples.append((t1 - t0) * 1e3)
                i += 1
                if t1 >= end and i >= MIN_SAMPLES:
                    break
            tally.invoke_cpu_s += time.process_time() - cpu0
            tally.invoke_wall_s += time.perf_counter() - wall0
        finally:
            classifier.close()
        tally.invoke_ms.extend(samples)
        tally.round_invoke_p50.append(statistics.median(samples))
        tally.peak_rss_mb = max(tally.peak_rss_mb, _peak_rss_mb())

    def _pipeline_phase(self, tally: _Tally, seconds: float) -> None:
        """The window's pipeline, headless: capture thread, latest-frame slot, worker."""
        from camapp.capture.still_loop import open_unpaced_source
        from camapp.pipeline.worker import InferenceWorker

        _reset_peak_rss()
        log = _PredictionLog()
        source = open_unpaced_source(self.options.source)
        worker = InferenceWorker(
            source,
            log,
            lambda spec, threads: self.classifier_options(spec, tally.runtime),
            roi=self.roi,
            threads=self.threads,
            tag="bench",
        )
        try:
            info = worker.load_now(tally.spec)
            tally.load_ms.append(info.load_ms)
            source.start()
            worker.start()
            if not log.wait_for(max(1, self.options.warmup), PIPELINE_TIMEOUT_S):
                why = log.errors[-1] if log.errors else source.error or "no frames or too slow"
                raise CamappError(f"the pipeline gave no predictions ({why})")
            first = len(log.snapshot()[0])
            cpu0, wall0 = time.process_time(), time.monotonic()
            time.sleep(seconds)
            if not log.wait_for(first + MIN_SAMPLES, PIPELINE_TIMEOUT_S):
                raise CamappError(f"the pipeline stalled ({log.errors[-1:] or source.error})")
            cpu1, wall1 = time.process_time(), time.monotonic()
            stamps, invoke_ms = log.snapshot()
        finally:
            worker.close()
            source.close()
        # Frames over the span from the last prediction before the window to the last in it.
        frames = len(stamps) - first
        span = stamps[-1] - stamps[first - 1]
        tally.e2e_frames += frames
        tally.e2e_span_s += span
        tally.round_e2e_fps.append(frames / span if span > 0 else 0.0)
        tally.e2e_invoke_ms.extend(invoke_ms[first:])
        tally.e2e_cpu_s += cpu1 - cpu0
        tally.e2e_wall_s += wall1 - wall0
        tally.peak_rss_mb = max(tally.peak_rss_mb, _peak_rss_mb())

    def _evaluate(self) -> None:
        from camapp.bench.evaluate import evaluate
        from camapp.inference.classifier import Classifier

        items = list(self.options.eval_items)
        for tally in self.tallies:
            if tally.error is not None:
                continue
            report = None
            if self.progress:
                title = f"eval {tally.spec}"
                report = lambda done, total, title=title: self.progress(title, done, total)  # noqa: E731
            try:
                with Classifier.create(self.classifier_options(tally.spec, tally.runtime)) as c:
                    result = evaluate(c, items, progress=report)
            except CamappError as exc:
                self.warn(f"{tally.name}: no measured accuracy: {exc}")
                continue
            tally.top1, tally.top5, tally.eval_images = result.top1, result.top5, result.images


def _entry_for(store: ModelStore, spec: str) -> ModelEntry | None:
    return store.catalog.get(spec) if spec in store.catalog else None


def _result(
    tally: _Tally, entry: ModelEntry | None, options: BenchOptions, fastest_ms: float
) -> BenchResult:
    invoke_p50 = statistics.median(tally.invoke_ms)
    e2e_invoke_p50 = statistics.median(tally.e2e_invoke_ms)
    e2e_fps = tally.e2e_frames / tally.e2e_span_s if tally.e2e_span_s > 0 else 0.0
    published = entry.published if entry else None
    latency = (published.latency_ms or {}) if published else {}

    def phone(name: str) -> float | None:
        value = latency.get(name)
        return float(value) if value is not None else None

    return BenchResult(
        model=tally.spec,
        variant=entry.variant if entry else Path(tally.spec).stem,
        runtime=tally.runtime.name,
        runtime_version=tally.runtime.version,
        threads=tally.threads,
        xnnpack=tally.xnnpack,
        source=options.source,
        rounds=len(tally.round_invoke_p50),
        load_ms=round(statistics.median(tally.load_ms), 2),
        invoke_ms_p50=round(invoke_p50, 3),
        invoke_ms_p95=round(_percentile(tally.invoke_ms, 95.0), 3),
        invoke_ms_round_min=round(min(tally.round_invoke_p50), 3),
        invoke_ms_round_max=round(max(tally.round_invoke_p50), 3),
        invoke_samples=len(tally.invoke_ms),
        invoke_vs_fastest=round(invoke_p50 / fastest_ms, 2) if fastest_ms > 0 else 1.0,
        e2e_fps=round(e2e_fps, 1),
        e2e_fps_round_min=round(min(tally.round_e2e_fps), 1),
        e2e_fps_round_max=round(max(tally.round_e2e_fps), 1),
        e2e_frames=tally.e2e_frames,
        e2e_invoke_ms_p50=round(e2e_invoke_p50, 3),
        overhead_ratio=round(1e3 / e2e_fps / e2e_invoke_p50, 3) if e2e_fps > 0 else 0.0,
        cpu_percent=round(100.0 * tally.e2e_cpu_s / max(tally.e2e_wall_s, 1e-9), 1),
        invoke_cpu_percent=round(100.0 * tally.invoke_cpu_s / max(tally.invoke_wall_s, 1e-9), 1),
        peak_rss_mb=round(tally.peak_rss_mb, 1),
        macs_m=published.macs_m if published else None,
        top1_published=published.top1 if published else None,
        top5_published=published.top5 if published else None,
        top1_measured=round(tally.top1, 2) if tally.top1 is not None else None,
        top5_measured=round(tally.top5, 2) if tally.top5 is not None else None,
        eval_images=tally.eval_images,
        published_latency_ms_pixel1=phone("pixel1"),
        published_latency_ms_pixel2=phone("pixel2"),
        published_latency_ms_pixel3=phone("pixel3"),
    )


def run_bench(
    store: ModelStore,
    options: BenchOptions,
    progress: Callable[[str, int, int], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> BenchReport:
    """Measures every model on every runtime in interleaved rounds.

    Every worker, source and classifier is closed (threads joined) before this returns.

    Args:
        store: Where the models are installed.
        options: What to measure.
        progress: ``(what, done, total)`` after each step.
        warn: Receives one line per skipped runtime or model.

    Returns:
        One result per measured model and runtime, the skipped ones, and the run's setting.

    Raises:
        CamappError: Bad options, an unknown or missing model or source, or when nothing
            could be measured.
    """
    options.validate()
    warn = warn or (lambda line: None)
    started = time.perf_counter()
    for spec in options.specs:
        store.options_for(spec)  # unknown or missing models fail before anything runs
    runtimes, skipped = resolve_runtimes(options.runtimes)
    for line in skipped:
        warn(line)
    bench = _Bench(store, options, runtimes, progress, warn)
    tallies = bench.run()
    for tally in tallies:
        if tally.error is not None:
            skipped.append(f"{tally.name} skipped: {tally.error}")
    measured = [t for t in tallies if t.error is None and t.invoke_ms and t.e2e_frames]
    if not measured:
        raise CamappError(
            "nothing could be measured",
            "; ".join(skipped) or "check the models and the source",
        )
    fastest = min(statistics.median(t.invoke_ms) for t in measured)
    results = [_result(t, _entry_for(store, t.spec), options, fastest) for t in measured]
    height, width = bench.frames[0].shape[:2]
    return BenchReport(
        results=results,
        skipped=skipped,
        seconds=time.perf_counter() - started,
        source=options.source,
        frame_size=(width, height),
    )


__all__ = [
    "DEFAULT_DURATION",
    "DEFAULT_E2E_SECONDS",
    "DEFAULT_ROUNDS",
    "DEFAULT_WARMUP",
    "MIN_SAMPLES",
    "PHONE",
    "PIPELINE_TIMEOUT_S",
    "BenchOptions",
    "BenchReport",
    "BenchResult",
    "resolve_runtimes",
    "run_bench",
]
