"""What the pipeline reports, and the listener protocol it reports through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from camapp.base.roi import ROI
from camapp.capture.frames import SourceState
from camapp.inference.results import Category, Classification


@dataclass(frozen=True)
class ModelInfo:
    """What is loaded now: reported with ``on_model_changed``.

    Attributes:
        spec: Catalog id or model path, as requested.
        name: The classifier's display name.
        generation: Bumped by every swap; predictions carry the generation that made them.
        load_ms: How long loading took.
        input_size: Model input ``(width, height)``.
        input_dtype: ``uint8``, ``int8`` or ``float32``.
        threads: Interpreter threads.
        xnnpack: Whether the XNNPACK delegate runs it.
        runtime: Runtime name and version.
        labels: Every class name, in output order.
        notes: Things worth telling the user (XNNPACK fallback, label notes).
        tag: Which worker loaded it (``""`` primary, ``"compare"`` the second model).
    """

    spec: str
    name: str
    generation: int
    load_ms: float
    input_size: tuple[int, int]
    input_dtype: str
    threads: int
    xnnpack: bool
    runtime: str
    labels: tuple[str, ...] = field(repr=False)
    notes: tuple[str, ...] = ()
    tag: str = ""


@dataclass(frozen=True)
class Prediction:
    """One answer, immutable so it can cross threads.

    Attributes:
        frame_id: Id of the frame that was classified.
        generation: Model generation that produced it.
        model: Spec (catalog id or path) of that model.
        classification: Categories and stage timings.
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
    def top(self) -> Category:
        """The best category."""
        return self.classification.top

    @property
    def categories(self) -> tuple[Category, ...]:
        return self.classification.categories

    @property
    def latency_ms(self) -> float:
        """Capture-to-answer latency."""
        return (self.timestamp - self.frame_timestamp) * 1e3


@dataclass(frozen=True)
class SourceInfo:
    """The source frames come from now: reported with ``on_source_changed``.

    Attributes:
        spec: What was asked for (``0``, a path, a URL).
        name: A short name to show.
        kind: ``camera``, ``video``, ``scenes``, ``synthetic``, ...
        is_still: Photos: a frame only when the scene changes.
        scenes: How many photos N / P step through (0 for live sources).
    """

    spec: str
    name: str
    kind: str
    is_still: bool
    scenes: int = 0


class Listener(Protocol):
    """How the core reports. Called on core threads; the UI turns the calls into Qt signals."""

    def on_prediction(self, prediction: Prediction) -> None: ...

    def on_model_changed(self, info: ModelInfo) -> None: ...

    def on_source_changed(self, info: SourceInfo) -> None: ...

    def on_source_failed(self, spec: str, message: str) -> None: ...

    def on_scene_changed(self, name: str, index: int, count: int) -> None:
        """N / P moved to photo ``index`` (from 0) of ``count``, named ``name``; it is shown."""
        ...

    def on_source_status(self, spec: str, state: SourceState) -> None:
        """``spec`` is connecting, lost and reconnecting (attempt n), or live again."""
        ...

    def on_error(self, message: str) -> None: ...

    def on_status(self, message: str) -> None: ...


class NullListener:
    """A listener that ignores everything; subclass it and override what you need."""

    def on_prediction(self, prediction: Prediction) -> None:
        pass

    def on_model_changed(self, info: ModelInfo) -> None:
        pass

    def on_source_changed(self, info: SourceInfo) -> None:
        pass

    def on_source_failed(self, spec: str, message: str) -> None:
        pass

    def on_scene_changed(self, name: str, index: int, count: int) -> None:
        pass

    def on_source_status(self, spec: str, state: SourceState) -> None:
        pass

    def on_error(self, message: str) -> None:
        pass

    def on_status(self, message: str) -> None:
        pass
