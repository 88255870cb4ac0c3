"""The fastest path per model, chosen on this device: threads x XNNPACK, timed and cached.

A :class:`Tuner` times invokes of one model for every thread count from 1 to the cores,
with and without XNNPACK, in interleaved rounds (so a slow spell of the machine hits every
combination alike), one invoke per :meth:`Tuner.step`: the inference worker calls it when
it has no frame to classify, so tuning never delays an answer. The choice is the
combination with the lowest median invoke time. :class:`TuningCache` keeps it per model
file hash, runtime version and CPU in ``$XDG_CACHE_HOME/camapp/tuning.yaml``, so a model
is tuned once per device.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import statistics
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from camapp.base.config import load_yaml, save_yaml, user_cache_dir
from camapp.base.errors import CamappError
from camapp.inference.classifier import Classifier
from camapp.inference.options import ClassifierOptions
from camapp.inference.runtime import default_threads, load_runtime

log = logging.getLogger(__name__)

#: Invoke time per combination, spread over :data:`ROUNDS` rounds.
DEFAULT_SECONDS = 0.3
ROUNDS = 3
#: Untimed invokes of each combination before its first timed one.
WARMUP = 2


@dataclass(frozen=True)
class TuneTiming:
    """One combination and its median invoke time."""

    threads: int
    xnnpack: bool
    median_ms: float
    runs: int

    def describe(self) -> str:
        """``2 threads, XNNPACK: 7.6 ms``."""
        noun = "thread" if self.threads == 1 else "threads"
        path = "XNNPACK" if self.xnnpack else "no XNNPACK"
        return f"{self.threads} {noun}, {path}: {self.median_ms:.1f} ms"


@dataclass(frozen=True)
class TuningChoice:
    """The timed grid of one model on this device and the fastest combination in it."""

    key: str
    grid: tuple[TuneTiming, ...]

    @property
    def best(self) -> TuneTiming:
        return min(self.grid, key=lambda t: t.median_ms)

    @property
    def threads(self) -> int:
        return self.best.threads

    @property
    def xnnpack(self) -> bool:
        return self.best.xnnpack

    def describe(self) -> str:
        """The choice, then the best of every other thread count (the model card's line)."""
        best = self.best
        others: dict[int, TuneTiming] = {}
        for timing in sorted(self.grid, key=lambda t: t.median_ms):
            if timing.threads != best.threads:
                others.setdefault(timing.threads, timing)
        return "; ".join(t.describe() for t in [best, *others.values()])

    def as_dict(self) -> dict[str, Any]:
        return {
            "grid": [
                {
                    "threads": t.threads,
                    "xnnpack": t.xnnpack,
                    "ms": round(t.median_ms, 4),
                    "runs": t.runs,
                }
                for t in self.grid
            ]
        }

    @classmethod
    def from_dict(cls, key: str, data: Any) -> TuningChoice | None:
        try:
            grid = tuple(
                TuneTiming(int(t["threads"]), bool(t["xnnpack"]), float(t["ms"]), int(t["runs"]))
                for t in data["grid"]
            )
        except (KeyError, TypeError, ValueError):
            return None
        return cls(key, grid) if grid else None


# -- the cache key --------------------------------------------------------------------------
def cpu_model() -> str:
    """The CPU's model name and the cores this process may use (``x86_64 ... x2``)."""
    name = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            field, _, value = line.partition(":")
            if field.strip() in ("model name", "Model", "Hardware") and value.strip():
                name = value.strip()
                break
    except OSError:
        pass
    name = name or platform.processor() or platform.machine() or "unknown"
    return f"{name} x{default_threads()}"


_hashes: dict[tuple[str, int, int], str] = {}
_hash_lock = threading.Lock()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The file's sha256 (remembered per path, size and mtime)."""
    stat = os.stat(path)
    mark = (str(path), stat.st_size, stat.st_mtime_ns)
    with _hash_lock:
        if mark in _hashes:
            return _hashes[mark]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    with _hash_lock:
        _hashes[mark] = value
    return value


def tuning_key(options: ClassifierOptions, cpu: str | None = None) -> str:
    """What a choice holds for: the model file(s)' hashes, the runtime and the CPU."""
    runtime = load_runtime(options.runtime)
    files = "+".join(file_sha256(p)[:16] for p in options.model_paths)
    return f"{files} {runtime.name} {runtime.version} {cpu or cpu_model()}"


class TuningCache:
    """Tuned choices by key in one YAML file, written atomically."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else user_cache_dir() / "tuning.yaml"
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        try:
            return load_yaml(self.path, what="tuning cache")
        except CamappError as exc:
            log.info("ignoring the tuning cache: %s", exc)
            return {}

    def get(self, key: str) -> TuningChoice | None:
        with self._lock:
            entry = self._read().get(key)
        return TuningChoice.from_dict(key, entry) if entry is not None else None

    def put(self, choice: TuningChoice) -> None:
        """Stores the choice; a cache folder that cannot be written is logged, not raised."""
        with self._lock:
            data = self._read()
            data[choice.key] = choice.as_dict()
            try:
                save_yaml(self.path, data, header="camapp: fastest threads/XNNPACK per model")
            except OSError as exc:
                log.info("cannot write the tuning cache %s: %s", self.path, exc)


# -- timing ---------------------------------------------------------------------------------
class Tuner:
    """Times every threads x XNNPACK combination of one model, one invoke per :meth:`step`.

    Args:
        options: The model (its ``num_threads`` and ``use_xnnpack`` are ignored).
        seconds: Invoke time per combination, spread over :data:`ROUNDS` interleaved rounds.
        max_threads: Highest thread count tried (default: the cores this process may use).
        key: The cache key (default: :func:`tuning_key` of ``options``).
    """

    def __init__(
        self,
        options: ClassifierOptions,
        seconds: float = DEFAULT_SECONDS,
        max_threads: int | None = None,
        key: str | None = None,
    ) -> None:
        self.options = options
        self.key = key or tuning_key(options)
        cores = max(1, max_threads or default_threads())
        self.combinations = [(t, x) for t in range(1, cores + 1) for x in (True, False)]
        self._slice = max(seconds, 0.0) / ROUNDS
        self._classifiers: dict[tuple[int, bool], Classifier | None] = {}
        self._samples: dict[tuple[int, bool], list[float]] = {c: [] for c in self.combinations}
        self._round = 0
        self._index = 0
        self._slice_end: float | None = None
        self._warm = 0
        self.result: TuningChoice | None = None

    @property
    def done(self) -> bool:
        return self.result is not None

    def _classifier(self, combination: tuple[int, bool]) -> Classifier | None:
        if combination not in self._classifiers:
            threads, xnnpack = combination
            try:
                made: Classifier | None = Classifier.create(
                    replace(self.options, num_threads=threads, use_xnnpack=xnnpack)
                )
            except CamappError as exc:  # e.g. a runtime that cannot turn XNNPACK off
                log.info("tuning skips %s: %s", combination, exc)
                made = None
            if made is not None and made.xnnpack != xnnpack:
                made.close()  # XNNPACK refused the model: that is the other combination
                made = None
            self._classifiers[combination] = made
        return self._classifiers[combination]

    def step(self) -> bool:
        """Does one invoke (or one load) of the combination in turn; False once done."""
        if self.result is not None:
            return False
        combination = self.combinations[self._index]
        classifier = self._classifier(combination)
        if classifier is not None:
            if self._warm < (WARMUP if self._round == 0 else 0):
                classifier.invoke()
                self._warm += 1
                return True
            started = time.perf_counter()
            classifier.invoke()
            now = time.perf_counter()
            self._samples[combination].append((now - started) * 1e3)
            if self._slice_end is None:
                self._slice_end = started + self._slice
            if now < self._slice_end:
                return True
        self._slice_end, self._warm = None, 0
        self._index += 1
        if self._index == len(self.combinations):
            self._index, self._round = 0, self._round + 1
            if self._round == ROUNDS:
                self._finish()
                return False
        return True

    def run(self) -> TuningChoice:
        """Steps to the end (the benchmark and tests); returns the choice."""
        while self.step():
            pass
        assert self.result is not None
        return self.result

    def _finish(self) -> None:
        grid = tuple(
            TuneTiming(threads, xnnpack, statistics.median(samples), len(samples))
            for (threads, xnnpack), samples in self._samples.items()
            if samples
        )
        self.close()
        if not grid:
            raise CamappError(f"no combination of {self.options.name or 'the model'} could run")
        self.result = TuningChoice(self.key, grid)

    def close(self) -> None:
        """Releases every interpreter it loaded; idempotent."""
        for classifier in self._classifiers.values():
            if classifier is not None:
                classifier.close()
        self._classifiers = {c: None for c in self._classifiers}


def tune(
    options: ClassifierOptions,
    cache: TuningCache | None = None,
    seconds: float = DEFAULT_SECONDS,
    refresh: bool = False,
) -> TuningChoice:
    """The cached choice for ``options``' model, or a fresh one (stored in ``cache``)."""
    cache = cache or TuningCache()
    key = tuning_key(options)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    tuner = Tuner(options, seconds, key=key)
    try:
        choice = tuner.run()
    finally:
        tuner.close()
    cache.put(choice)
    return choice
