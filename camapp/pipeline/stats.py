"""Run statistics of a session: a frozen snapshot, built from bounded histories."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from camapp.base.meters import percentile
from camapp.pipeline.events import ModelInfo

if TYPE_CHECKING:
    from camapp.pipeline.worker import InferenceWorker

#: Invoke times kept per model for the p50 / p95 (the newest; older ones drop out).
HISTORY = 2000
#: Model swaps kept for the statistics.
SWAP_HISTORY = 50


@dataclass(frozen=True)
class SwapRecord:
    """One model swap: when it was asked for and when the new model answered."""

    model: str
    requested: float
    changed: float | None = None
    load_ms: float = 0.0

    @property
    def answered_after_s(self) -> float | None:
        return None if self.changed is None else self.changed - self.requested


@dataclass(frozen=True)
class WorkerStats:
    """One worker's model and speed."""

    model: str | None
    generation: int
    threads: int | None
    load_ms: float | None
    predictions: int
    inference_fps: float
    inference_ms: float
    inference_ms_p50: float
    inference_ms_p95: float


@dataclass(frozen=True)
class SessionStats:
    """What a session has done so far (``Session.stats()``); safe to keep and compare.

    Attributes:
        primary: The main model's statistics.
        compare: The second model's in compare mode, else ``None``.
        source: The source's spec.
        camera_fps: Frames captured per second over the last second.
        frames_captured: Frames the current source has produced.
        first_prediction_s: Seconds from the session's start to its first answer.
        stale_dropped: Answers of a replaced model that arrived after the swap.
        swaps: The latest model swaps, oldest first.
        duration_s: Seconds since the session started.
    """

    primary: WorkerStats
    compare: WorkerStats | None
    source: str
    camera_fps: float
    frames_captured: int
    first_prediction_s: float | None
    stale_dropped: int
    swaps: tuple[SwapRecord, ...] = field(default_factory=tuple)
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class InvokeHistory:
    """The newest invoke times of one model (bounded), for percentiles."""

    def __init__(self, size: int = HISTORY) -> None:
        self._values: deque[float] = deque(maxlen=size)

    def add(self, value: float) -> None:
        self._values.append(value)

    def clear(self) -> None:
        self._values.clear()

    def percentile(self, q: float) -> float:
        return percentile(list(self._values), q)


class WorkerRecord:
    """What a session keeps about one worker's answers (guarded by the session's lock)."""

    def __init__(self) -> None:
        self.info: ModelInfo | None = None
        self.history = InvokeHistory()
        self.predictions = 0

    def stats(self, worker: InferenceWorker | None) -> WorkerStats:
        """A snapshot, with the worker's last-second rates when it is running."""
        info = self.info
        rates = worker.stats() if worker is not None else {}
        return WorkerStats(
            model=info.spec if info else None,
            generation=info.generation if info else 0,
            threads=info.threads if info else None,
            load_ms=round(info.load_ms, 1) if info else None,
            predictions=self.predictions,
            inference_fps=round(rates.get("inference_fps", 0.0), 2),
            inference_ms=round(rates.get("inference_ms", 0.0), 2),
            inference_ms_p50=round(self.history.percentile(50), 2),
            inference_ms_p95=round(self.history.percentile(95), 2),
        )
