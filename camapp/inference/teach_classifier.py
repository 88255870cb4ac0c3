"""Teach mode's recogniser: an embedding model answering with the classes of a class set."""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.inference.classifier import Classifier
from camapp.inference.options import ClassifierOptions
from camapp.inference.results import Category, Classification, Timings
from camapp.inference.teach import ClassSet, Example, l2_normalised, thumbnail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recognition(Classification):
    """A teach-mode answer: a :class:`Classification` over the taught classes, plus more.

    ``categories`` are the taught classes, best first (top-k, above the threshold), so every
    view of a model's answer shows it unchanged.

    Attributes:
        class_scores: Confidence of every class, in class order.
        similarities: Each class's mean similarity to its nearest examples (NaN: no examples).
        unsure: The nearest examples are far or disagree.
        reason: Why it is unsure.
        version: The class set's version that answered.
    """

    class_scores: tuple[float, ...] = ()
    similarities: tuple[float, ...] = ()
    unsure: bool = True
    reason: str = ""
    version: int = 0

    def as_dict(self) -> dict[str, object]:
        """The ``camapp classify --json`` shape, plus ``unsure`` and ``reason``."""
        record = super().as_dict()
        record["unsure"] = self.unsure
        record["reason"] = self.reason
        return record


#: Teach mode's capture hook: called for every frame, it names the class (0-based) whose
#: example that frame should become, or ``None``.
CaptureHook = Callable[[], "int | None"]


class ClassSetClassifier(Classifier):
    """An embedding model answering with the classes of a :class:`ClassSet`.

    It crops, resizes and invokes exactly as a :class:`Classifier` does (it is one, built from
    ``output: features`` options), then votes over the class set's examples. Its
    :meth:`classify` returns a :class:`Recognition`, so the worker, the window and the
    statistics treat it as any model. Build it with :meth:`open`. One thread owns it.
    """

    def __init__(self, options: ClassifierOptions, runtime: Any, stages: list[Any]) -> None:
        super().__init__(options, runtime, stages)
        self.embedder_id = options.name or Path(options.model_paths[0]).name
        self.embedder_sha256 = ""
        self.capture: CaptureHook | None = None
        empty = ClassSet(self.embedder_id, "")
        self._class_set_of: Callable[[], ClassSet] = lambda: empty
        self._recent: deque[tuple[float, int, ROI | None, np.ndarray]] = deque()

    @classmethod
    def open(
        cls,
        options: ClassifierOptions,
        sha256: str,
        class_set: ClassSet | Callable[[], ClassSet] | None = None,
        *,
        capture: CaptureHook | None = None,
    ) -> ClassSetClassifier:
        """Loads the embedder of ``options`` and binds it to ``class_set``.

        Args:
            options: :class:`~camapp.inference.options.ClassifierOptions` of the embedder
                (``output: features``; ``name`` is its catalog id).
            sha256: sha256 of its model file (what class sets record).
            class_set: The set to answer with, or a function returning the current one (teach
                mode swaps sets); ``None``: a new set with the background class.
            capture: Names the class each frame should be added to (live teach mode).

        Raises:
            CamappError: For a model that cannot load, or a set made with another embedder.
        """
        created = cls.create(options)
        assert isinstance(created, ClassSetClassifier)
        created.embedder_sha256 = sha256
        created.name = f"Teach mode ({created.embedder_id})"
        if class_set is None:
            class_set = ClassSet(created.embedder_id, sha256)
        if isinstance(class_set, ClassSet):
            fixed = class_set
            created._class_set_of = lambda: fixed
        else:
            created._class_set_of = class_set
        current = created.class_set
        if current.embedder_sha256 != sha256:
            created.close()
            raise CamappError(
                f"the class set was made with {current.embedder_id}, not {created.embedder_id}",
                "teach the classes again with this embedder",
            )
        created.labels = list(current.names)
        created.short_labels = list(current.names)
        created.capture = capture
        return created

    def __enter__(self) -> ClassSetClassifier:
        return self

    @property
    def class_set(self) -> ClassSet:
        """The set it answers with now."""
        return self._class_set_of()

    def embed(self, frame_bgr: np.ndarray, roi: ROI | None = None) -> np.ndarray:
        """Unit-length features of the ROI crop."""
        return l2_normalised(self.features(frame_bgr, roi))

    def teach(self, index: int, frame_bgr: np.ndarray, roi: ROI | None = None) -> Example:
        """Adds the ROI crop of ``frame_bgr`` as an example of class ``index``."""
        return self.class_set.add_example(
            index, self.embed(frame_bgr, roi), thumbnail(frame_bgr, roi)
        )

    def classify(
        self,
        frame_bgr: np.ndarray,
        roi: ROI | None = None,
        top_k: int = 5,
        threshold: float = 0.0,
    ) -> Recognition:
        """The taught classes for the ROI crop, best first, with per-class confidences.

        When :attr:`capture` names a class, the crop becomes one of its examples first.
        """
        preprocess_ms, invoke_ms = self.crop_and_invoke(frame_bgr, roi)
        t2 = time.perf_counter()
        embedding = l2_normalised(self.scores())
        class_set = self.class_set
        if class_set.embedder_sha256 != self.embedder_sha256:
            reason = f"the class set was made with {class_set.embedder_id}"
            return Recognition((), Timings(preprocess_ms, invoke_ms, 0.0), reason=reason)
        wanted = self.capture() if self.capture is not None else None
        if wanted is not None:
            try:
                class_set.add_example(wanted, embedding, thumbnail(frame_bgr, roi))
            except CamappError as exc:  # the class went away meanwhile
                log.info("capture skipped: %s", exc)
        version, names = class_set.version, class_set.names
        similarities = self._smoothed(class_set.similarities(embedding), roi, class_set)
        decision = class_set.decide(similarities)
        order = sorted(
            (i for i, s in enumerate(decision.scores) if not math.isnan(decision.similarities[i])),
            key=lambda i: -decision.scores[i],
        )
        categories = tuple(
            Category(i, decision.scores[i], names[i])
            for i in order[: max(1, top_k)]
            if decision.scores[i] >= threshold
        )
        postprocess_ms = (time.perf_counter() - t2) * 1e3
        return Recognition(
            categories,
            Timings(preprocess_ms, invoke_ms, postprocess_ms),
            class_scores=decision.scores,
            similarities=decision.similarities,
            unsure=decision.unsure,
            reason=decision.reason,
            version=version,
        )

    def _smoothed(
        self, similarities: np.ndarray, roi: ROI | None, class_set: ClassSet
    ) -> np.ndarray:
        """The mean of the last ``smoothing`` frames' similarities (same box, same classes).

        A change of the box or the class set, or a pause over a second (a still photo
        stepped to the next), starts again, so an old scene never blends into a new one.
        """
        frames = class_set.rule.smoothing
        recent = self._recent
        now = time.monotonic()
        if frames <= 1:
            recent.clear()
            return similarities
        if recent and (
            recent[-1][1] != class_set.version or recent[-1][2] != roi or now - recent[-1][0] > 1.0
        ):
            recent.clear()
        recent.append((now, class_set.version, roi, similarities))
        while len(recent) > frames:
            recent.popleft()
        mean: np.ndarray = np.mean(np.stack([entry[3] for entry in recent]), axis=0)
        return mean
