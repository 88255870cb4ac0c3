"""``camapp bench``: measure load time, invoke latency and pipeline throughput of variants."""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from camapp.base.errors import CamappError
from camapp.base.progress import draw_bar

if TYPE_CHECKING:  # the CLI imports this module for every command: keep imports light
    import numpy as np

    from camapp.base.roi import ROI
    from camapp.bench.evaluate import LabelledImage
    from camapp.capture.sources import FrameSource
    from camapp.inference.classifier import ClassifierOptions
    from camapp.inference.runtime import Runtime
    from camapp.pipeline.worker import Prediction
    from camapp.store.catalog import ModelEntry
    from camapp.store.model_store import ModelStore

#: Seconds of measurement per model and runtime (invoke and pipeline phases together).
DEFAULT_DURATION = 3.0
#: Round-robin rounds the duration is split into.
DEFAULT_ROUNDS = 3
#: Invokes (or pipeline predictions) discarded before each measured phase.
DEFAULT_WARMUP = 10
#: Fewest invokes / pipeline frames a phase measures, however short its time slice.
MIN_SAMPLES = 3
#: How long a pipeline may take to deliver its warm-up predictions.
PIPELINE_TIMEOUT_S = 20.0
#: Phone whose published latency is plotted and tabulated next to the measurement.
PHONE = "pixel1"
PLOT_INSTALL_HINT = "install it with: pip install 'camapp[plot]'"

#: JSON keys and CSV columns, in order.
FIELDS = (
    "model",
    "variant",
    "runtime",
    "runtime_version",
    "threads",
    "xnnpack",
    "source",
    "rounds",
    "load_ms",
    "invoke_ms_p50",
    "invoke_ms_p95",
    "invoke_ms_round_min",
    "invoke_ms_round_max",
    "invoke_samples",
    "invoke_vs_fastest",
    "e2e_fps",
    "e2e_fps_round_min",
    "e2e_fps_round_max",
    "e2e_frames",
    "e2e_invoke_ms_p50",
    "overhead_ratio",
    "cpu_percent",
    "invoke_cpu_percent",
    "peak_rss_mb",
    "macs_m",
    "top1_published",
    "top5_published",
    "top1_measured",
    "top5_measured",
    "eval_images",
    "published_latency_ms_pixel1",
    "published_latency_ms_pixel2",
    "published_latency_ms_pixel3",
)


# -- options and results ---------------------------------------------------------------------
@dataclass(frozen=True)
class BenchOptions:
    """What to measure.

    Attributes:
        specs: Catalog ids or ``.tflite`` paths.
        runtimes: Runtime names (``auto``, ``litert``, ``tflite-runtime``); one result each.
        source: ``synthetic``, a video, an image or a folder of images (``--source``).
        threads: Interpreter threads; ``None`` uses every core.
        duration: Seconds of measurement per model and runtime, split evenly between the
            invoke and pipeline phases and over the rounds.
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
    rounds: int = DEFAULT_ROUNDS
    warmup: int = DEFAULT_WARMUP
    use_xnnpack: bool = True
    eval_items: tuple[LabelledImage, ...] = ()

    def validate(self) -> None:
        """Raises :class:`CamappError` for values that cannot be measured."""
        if not self.specs:
            raise CamappError("no models to benchmark", "pass --models ID,... or install some")
        if not self.duration > 0:
            raise CamappError(f"--duration must be positive, not {self.duration:g}")
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
    time per frame over the median invoke (1.0 would be a pipeline that costs nothing).
    ``cpu_percent`` is process CPU time over wall time in the pipeline phase (200 = two
    cores busy). Published figures come from the catalog and are ``None`` when unknown.
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

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def label(self) -> str:
        """A short name for tables and charts (the id without ``mobilenet_``)."""
        name = Path(self.model).stem if self.model.endswith(".tflite") else self.model
        return name.removeprefix("mobilenet_")

    @property
    def published_phone_ms(self) -> float | None:
        return getattr(self, f"published_latency_ms_{PHONE}")


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

    def on_model_changed(self, info: object) -> None:
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


def _open_pipeline_source(spec: str) -> FrameSource:
    """The ``--source`` at full speed: unpaced video, unpaced synthetic, looping stills."""
    from camapp.capture.sources import open_source

    source = open_source(spec, loop=True, realtime=False)
    if source.is_still:
        return _still_loop_source(_still_images(source), source.name)
    return source


def _still_images(source: FrameSource, limit: int = 16) -> list[np.ndarray]:
    """Every image of a still source (a photo or a folder of photos), up to ``limit``."""
    images, ids = [], set()
    frame = source.start().latest()
    while frame is not None and frame.id not in ids and len(images) < limit:
        ids.add(frame.id)
        images.append(frame.image)
        if len(getattr(source, "paths", ())) <= len(images):
            break
        frame = source.next_scene()
    source.close()
    if not images:
        raise CamappError(f"{source.name} gave no image", "check the --source path")
    return images


def _still_loop_source(images: list[np.ndarray], name: str) -> FrameSource:
    """A source republishing still images at full speed, each as a fresh buffer.

    A still source publishes its photo once; the bench needs frames arriving as fast as the
    pipeline takes them, like a video of that photo.
    """
    from camapp.capture.sources import FrameSource

    class StillLoopSource(FrameSource):
        kind = "still-loop"
        on_demand = True

        def __init__(self) -> None:
            super().__init__(name)
            self._count = 0

        def _read(self) -> np.ndarray | None:
            self._count += 1
            return images[self._count % len(images)].copy()

    return StillLoopSource()


def _sample_frames(spec: str, count: int = 8) -> list[np.ndarray]:
    """A few frames of the source for the invoke phase (also checks the source works)."""
    source = _open_pipeline_source(spec)
    frames: list[np.ndarray] = []
    try:
        source.start()
        last_id = 0
        deadline = time.monotonic() + 10.0
        while len(frames) < count and time.monotonic() < deadline:
            frame = source.wait_newer(last_id, 0.5)
            if frame is None:
                if source.finished or source.error:
                    break
                continue
            source.slot.take()  # consumed: an on-demand source produces the next one now
            last_id = frame.id
            frames.append(frame.image)
    finally:
        source.close()
    if not frames:
        why = f" ({source.error})" if source.error else ""
        raise CamappError(f"source {spec} gave no frames{why}", "check the --source path")
    return frames


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
        from camapp.inference.runtime import default_threads

        self.store = store
        self.options = options
        self.threads = options.threads or default_threads()
        self.progress = progress
        self.warn = warn
        self.roi = _app_roi()
        self.frames = _sample_frames(options.source)
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
        slice_s = opts.duration / (2 * opts.rounds)
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
                            phase(tally, slice_s)
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
        from camapp.pipeline.worker import InferenceWorker

        _reset_peak_rss()
        log = _PredictionLog()
        source = _open_pipeline_source(self.options.source)
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
        e2e_invoke_ms_p50=round(statistics.median(tally.e2e_invoke_ms), 3),
        overhead_ratio=round(1e3 / e2e_fps / invoke_p50, 3) if e2e_fps > 0 else 0.0,
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


# -- output ------------------------------------------------------------------------------------
def write_json(results: Sequence[BenchResult], path: str | Path) -> None:
    """Writes the results as a JSON list (atomically)."""
    from camapp.base.config import atomic_write

    with atomic_write(path) as handle:
        json.dump([r.as_dict() for r in results], handle, indent=2)
        handle.write("\n")


def write_csv(results: Sequence[BenchResult], path: str | Path) -> None:
    """Writes the results as CSV with the JSON keys as columns (atomically; null is empty)."""
    from camapp.base.config import atomic_write

    with atomic_write(path) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FIELDS), lineterminator="\n")
        writer.writeheader()
        for result in results:
            writer.writerow({k: "" if v is None else v for k, v in result.as_dict().items()})


def _num(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def format_table(report: BenchReport) -> str:
    """The results as a fixed-width text table with a header line and notes."""
    results = report.results
    several = len({r.runtime for r in results}) > 1
    first = results[0]
    width = max([len("model")] + [len(r.model) for r in results])
    lines = [
        f"camapp bench: {first.runtime} {first.runtime_version}"
        if not several
        else "camapp bench: "
        + ", ".join(sorted({f"{r.runtime} {r.runtime_version}" for r in results})),
    ]
    lines[0] += (
        f", {first.threads} threads, source {report.source} "
        f"({report.frame_size[0]}x{report.frame_size[1]}), {first.rounds} rounds, "
        f"{report.seconds:.0f} s"
    )
    runtime_col = f" {'runtime':<14}" if several else ""
    header = (
        f"{'model':<{width}}{runtime_col} {'load':>6} {'invoke':>7} {'p95':>7} "
        f"{'rounds p50':>13} {'vs':>6} {'e2e':>7} {'over-':>6} {'CPU':>5} {'RSS':>5} "
        f"{'MACs':>5} {'top-1':>5} {'top-1':>5} {'Pixel1':>6}"
    )
    units = (
        f"{'':<{width}}{' ' * len(runtime_col)} {'ms':>6} {'p50 ms':>7} {'ms':>7} "
        f"{'min-max ms':>13} {'fastest':>6} {'fps':>7} {'head':>6} {'%':>5} {'MB':>5} "
        f"{'M':>5} {'publ':>5} {'meas':>5} {'ms':>6}"
    )
    lines += [header, units]
    for r in results:
        spread = f"{r.invoke_ms_round_min:.2f}-{r.invoke_ms_round_max:.2f}"
        runtime = f" {r.runtime:<14}" if several else ""
        lines.append(
            f"{r.model:<{width}}{runtime} {r.load_ms:>6.1f} {r.invoke_ms_p50:>7.2f} "
            f"{r.invoke_ms_p95:>7.2f} {spread:>13} {r.invoke_vs_fastest:>5.1f}x "
            f"{r.e2e_fps:>7.1f} {r.overhead_ratio:>6.2f} {r.cpu_percent:>5.0f} "
            f"{r.peak_rss_mb:>5.0f} {_num(r.macs_m, 'g'):>5} {_num(r.top1_published):>5} "
            f"{_num(r.top1_measured):>5} {_num(r.published_phone_ms):>6}"
        )
    lines.append(
        "invoke: interpreter only, after the app's preprocessing; e2e: capture thread + "
        "latest-frame slot + worker at full speed; overhead = e2e ms per frame / invoke p50 "
        "(ideal 1.00); CPU over the e2e phase (100 = one core); Pixel1: published phone latency."
    )
    return "\n".join(lines)


# -- the chart ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlotPoint:
    """One plotted marker: ``series`` is ``measured`` or ``published``."""

    label: str
    latency_ms: float
    top1: float
    series: str
    pareto: bool = False


def require_matplotlib() -> None:
    """Raises a one-line :class:`CamappError` when the optional plotting extra is missing."""
    if importlib.util.find_spec("matplotlib") is None:
        raise CamappError("--plot needs matplotlib, which is not installed", PLOT_INSTALL_HINT)


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both latency (lower) and top-1 (higher).

    Returned in order of increasing latency.
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], float("-inf")
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def plot_results(
    results: Sequence[BenchResult], path: str | Path, measured_accuracy: bool = False
) -> list[PlotPoint]:
    """Draws the MobileNet papers' chart: latency (x, log) against ImageNet top-1 (y).

    One labelled point per model and runtime at its measured median invoke latency, the
    Pareto front highlighted, and the published phone latency (Pixel 1) of the same model
    as a second series where the catalog knows it. Models without a top-1 figure are named
    in a footnote instead.

    Args:
        results: What :func:`run_bench` measured.
        path: The PNG to write (atomically).
        measured_accuracy: Plot measured top-1 (``--eval``) instead of the published one.

    Returns:
        Every plotted point (measured points first).

    Raises:
        CamappError: When matplotlib is not installed.
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from camapp.base.config import atomic_write
    from camapp.inference.runtime import default_threads

    several = len({r.runtime for r in results}) > 1

    def top1_of(r: BenchResult) -> float | None:
        return r.top1_measured if measured_accuracy else r.top1_published

    def label_of(r: BenchResult) -> str:
        return f"{r.label} ({r.runtime})" if several else r.label

    plotted = [r for r in results if top1_of(r) is not None]
    missing = [label_of(r) for r in results if top1_of(r) is None]
    coords = [(r.invoke_ms_p50, float(top1_of(r))) for r in plotted]  # type: ignore[arg-type]
    front = set(pareto_front(coords))
    points = [
        PlotPoint(label_of(r), x, y, "measured", i in front)
        for i, (r, (x, y)) in enumerate(zip(plotted, coords, strict=True))
    ]
    phone_pairs = []
    for r, point in zip(plotted, points, strict=True):
        phone_ms = r.published_phone_ms
        y = r.top1_published if r.top1_published is not None else point.top1
        if phone_ms is not None and y is not None:
            phone_pairs.append((point, PlotPoint(label_of(r), phone_ms, float(y), "published")))

    fig = Figure(figsize=(11, 7), dpi=110)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.grid(True, which="major", color="#dddddd", linewidth=0.8)
    ax.grid(True, which="minor", axis="x", color="#f0f0f0", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    blue, orange, grey = "#1f5fa8", "#e8710a", "#8a8a8a"
    for measured, phone in phone_pairs:
        ax.plot(
            [measured.latency_ms, phone.latency_ms],
            [measured.top1, phone.top1],
            color=grey,
            linewidth=0.8,
            linestyle=":",
            zorder=1,
        )
    if phone_pairs:
        ax.scatter(
            [p.latency_ms for _, p in phone_pairs],
            [p.top1 for _, p in phone_pairs],
            s=46,
            facecolors="white",
            edgecolors=grey,
            linewidths=1.4,
            marker="D",
            zorder=2,
            label=f"published latency, {PHONE.replace('pixel', 'Pixel ')} (model card)",
        )
    front_points = sorted((p for p in points if p.pareto), key=lambda p: p.latency_ms)
    if len(front_points) > 1:
        ax.plot(
            [p.latency_ms for p in front_points],
            [p.top1 for p in front_points],
            color=orange,
            linewidth=6,
            alpha=0.25,
            solid_capstyle="round",
            zorder=2,
        )
    rest = [p for p in points if not p.pareto]
    ax.scatter(
        [p.latency_ms for p in rest],
        [p.top1 for p in rest],
        s=42,
        color=blue,
        alpha=0.75,
        zorder=3,
        label="measured here (median invoke)",
    )
    ax.scatter(
        [p.latency_ms for p in front_points],
        [p.top1 for p in front_points],
        s=60,
        color=blue,
        edgecolors=orange,
        linewidths=2.0,
        zorder=4,
        label="Pareto front (nothing both faster and more accurate)",
    )

    all_points = points + [p for _, p in phone_pairs]
    if all_points:
        xs = [p.latency_ms for p in all_points]
        ys = [p.top1 for p in all_points]
        ax.set_xlim(min(xs) / 1.6, max(xs) * 1.9)
        pad = max(2.0, (max(ys) - min(ys)) * 0.08)
        ax.set_ylim(min(ys) - pad, max(ys) + pad)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("latency per image, ms (log scale)")
    accuracy = "measured with --eval" if measured_accuracy else "published"
    ax.set_ylabel(f"ImageNet top-1, % ({accuracy})")
    first = results[0]
    runtimes = ", ".join(sorted({f"{r.runtime} {r.runtime_version}" for r in results}))
    ax.set_title(
        f"Accuracy vs latency: {len(points)} MobileNet variants measured on this machine\n"
        f"{_cpu_name()}, {default_threads()} cores, {first.threads} interpreter threads, "
        f"{runtimes}, XNNPACK {'on' if first.xnnpack else 'off'}",
        fontsize=11,
        loc="left",
    )
    if all_points:
        ax.legend(loc="lower right", fontsize=8.5, frameon=True, framealpha=0.9)
    if missing:
        fig.text(
            0.01,
            0.01,
            "not plotted (no top-1 figure): " + ", ".join(missing),
            fontsize=7.5,
            color=grey,
            ha="left",
            va="bottom",
            wrap=True,
        )
    fig.tight_layout(rect=(0, 0.03 if missing else 0, 1, 1))
    _place_labels(ax, canvas, points + [p for _, p in phone_pairs], blue, grey)
    with atomic_write(path, "wb") as handle:
        canvas.print_png(handle)
    return all_points


def _place_labels(
    ax: Any, canvas: Any, points: list[PlotPoint], color: str, phone_color: str
) -> None:
    """Labels each point where its text overlaps no other label, marker or the legend."""
    renderer = canvas.get_renderer()
    to_display = ax.transData.transform
    taken = []
    for p in points:
        x, y = to_display((p.latency_ms, p.top1))
        taken.append((x - 5, y - 5, x + 5, y + 5))
    legend = ax.get_legend()
    if legend is not None:
        box = legend.get_window_extent(renderer)
        taken.append((box.x0, box.y0, box.x1, box.y1))
    axes_box = ax.get_window_extent(renderer)
    candidates = [
        (7, 0, "left", "center"),
        (-7, 0, "right", "center"),
        (6, 6, "left", "bottom"),
        (6, -6, "left", "top"),
        (-6, 6, "right", "bottom"),
        (-6, -6, "right", "top"),
        (0, 8, "center", "bottom"),
        (0, -8, "center", "top"),
    ]
    candidates += [
        (dx * k, dy * k, ha, va) for k in (2.2, 3.5) for dx, dy, ha, va in candidates[2:]
    ]

    def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    # Points in dense places first, so they get the nearest free spots.
    for p in sorted(points, key=lambda p: (p.series != "measured", p.latency_ms)):
        phone = p.series == "published"
        text_kwargs = dict(
            fontsize=7.5 if phone else 8.5, color=phone_color if phone else "#222222", zorder=5
        )
        label = f"{p.label} (phone)" if phone else p.label
        chosen = None
        for dx, dy, ha, va in candidates:
            far = abs(dx) > 10 or abs(dy) > 10
            text = ax.annotate(
                label,
                (p.latency_ms, p.top1),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                arrowprops=dict(arrowstyle="-", color="#b0b0b0", linewidth=0.6) if far else None,
                **text_kwargs,
            )
            box = text.get_window_extent(renderer)
            rect = (box.x0 - 1, box.y0 - 1, box.x1 + 1, box.y1 + 1)
            inside = (
                box.x0 >= axes_box.x0
                and box.x1 <= axes_box.x1
                and box.y0 >= axes_box.y0
                and box.y1 <= axes_box.y1
            )
            if inside and not any(overlaps(rect, other) for other in taken):
                chosen = rect
                break
            text.remove()
        if chosen is None:  # crowded: accept the first spot rather than drop the label
            dx, dy, ha, va = candidates[0]
            text = ax.annotate(
                label,
                (p.latency_ms, p.top1),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                **text_kwargs,
            )
            box = text.get_window_extent(renderer)
            chosen = (box.x0, box.y0, box.x1, box.y1)
        taken.append(chosen)


# -- the command -------------------------------------------------------------------------------
def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ``camapp bench`` options."""
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--models",
        default=None,
        metavar="ID,...",
        help="catalog ids or .tflite paths, comma separated",
    )
    which.add_argument(
        "--all",
        action="store_true",
        help="every catalog classifier (those not installed are skipped)",
    )
    which.add_argument(
        "--installed", action="store_true", help="every installed classifier (the default)"
    )
    parser.add_argument(
        "--source",
        default="synthetic",
        metavar="VIDEO|IMAGE|synthetic",
        help="frames to run on at full speed (default: synthetic, no files)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="interpreter threads (default: every core)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION,
        metavar="SECONDS",
        help="measuring time per model and runtime, split over the invoke and "
        f"pipeline phases and the rounds (default {DEFAULT_DURATION:g})",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help=f"round-robin rounds over the models (default {DEFAULT_ROUNDS})",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=DEFAULT_WARMUP,
        metavar="N",
        help=f"invokes discarded before each phase (default {DEFAULT_WARMUP})",
    )
    parser.add_argument(
        "--runtimes",
        default=None,
        metavar="NAME,...",
        help="runtimes to compare, e.g. litert,tflite-runtime (default: --runtime, else auto)",
    )
    parser.add_argument(
        "--no-xnnpack", action="store_true", help="run without the XNNPACK CPU delegate"
    )
    parser.add_argument(
        "--eval",
        default=None,
        metavar="DIR",
        help="also measure top-1/top-5 on a labelled photo folder",
    )
    parser.add_argument("--json", default=None, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--csv", default=None, metavar="FILE", help="write the results as CSV")
    parser.add_argument(
        "--plot",
        default=None,
        metavar="PNG",
        help="draw latency vs top-1 (needs: pip install 'camapp[plot]')",
    )


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def select_models(
    store: ModelStore, args: argparse.Namespace, warn: Callable[[str], None]
) -> list[str]:
    """The model specs ``--models``, ``--all`` or ``--installed`` (default) name."""
    if args.models:
        specs = _split(args.models)
        if not specs:
            raise CamappError("--models names no model", "e.g. --models ID1,ID2")
        return list(dict.fromkeys(specs))
    classifiers = [e for e in store.catalog if e.kind == "classifier"]
    installed = [e for e in classifiers if store.is_installed(e)]
    if args.all and len(installed) < len(classifiers):
        warn(
            f"{len(classifiers) - len(installed)} catalog models are not installed and are "
            "skipped (install them with 'camapp models install --all')"
        )
    if not installed:
        raise CamappError("no models installed", "run 'camapp models install --defaults'")
    return [e.id for e in installed]


class _TextProgress:
    """A one-line progress bar on stderr, silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()

    def __call__(self, title: str, done: int, total: int) -> None:
        if self.enabled:
            draw_bar(self.stream, title, done, total)


def cmd_bench(args: argparse.Namespace) -> int:
    """Runs ``camapp bench``: prints the table, writes JSON/CSV/PNG as asked."""
    from camapp.store.catalog import Catalog
    from camapp.store.model_store import ModelStore

    def warn(line: str) -> None:
        print(f"camapp: {line}", file=sys.stderr)

    if args.plot:
        require_matplotlib()  # before minutes of measuring, not after
    store = ModelStore(Catalog.load(args.catalog), args.models_dir)
    eval_items: tuple[LabelledImage, ...] = ()
    if args.eval:
        from camapp.bench.evaluate import load_dataset

        eval_items = tuple(load_dataset(args.eval))
    runtimes = (
        _split(args.runtimes)
        if args.runtimes
        else [args.runtime or os.environ.get("CAMAPP_RUNTIME") or "auto"]
    )
    options = BenchOptions(
        specs=tuple(select_models(store, args, warn)),
        runtimes=tuple(runtimes),
        source=args.source,
        threads=args.threads,
        duration=args.duration,
        rounds=args.rounds,
        warmup=args.warmup,
        use_xnnpack=not args.no_xnnpack,
        eval_items=eval_items,
    )
    report = run_bench(store, options, progress=_TextProgress(sys.stderr), warn=warn)
    print(format_table(report))
    for line in report.skipped:
        print(f"  {line}")
    if args.json:
        write_json(report.results, args.json)
    if args.csv:
        write_csv(report.results, args.csv)
    if args.plot:
        plot_results(report.results, args.plot, measured_accuracy=bool(eval_items))
    written = [p for p in (args.json, args.csv, args.plot) if p]
    if written:
        print(f"wrote {', '.join(written)}", file=sys.stderr)
    return 0


__all__ = [
    "FIELDS",
    "BenchOptions",
    "BenchReport",
    "BenchResult",
    "PlotPoint",
    "add_bench_arguments",
    "cmd_bench",
    "format_table",
    "pareto_front",
    "plot_results",
    "require_matplotlib",
    "resolve_runtimes",
    "run_bench",
    "select_models",
    "write_csv",
    "write_json",
]
