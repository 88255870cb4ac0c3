"""What a classifier answers: categories with scores, and the time each stage took."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One class of an answer.

    Attributes:
        index: The model's output index.
        score: Probability in [0, 1].
        label: The class name (short form, e.g. ``tabby`` for ``tabby, tabby cat``).
    """

    index: int
    score: float
    label: str


@dataclass(frozen=True)
class Timings:
    """Milliseconds spent in each stage of one classification."""

    preprocess_ms: float
    invoke_ms: float
    postprocess_ms: float

    @property
    def total_ms(self) -> float:
        return self.preprocess_ms + self.invoke_ms + self.postprocess_ms

    def as_dict(self) -> dict[str, float]:
        return {
            "preprocess": round(self.preprocess_ms, 3),
            "invoke": round(self.invoke_ms, 3),
            "postprocess": round(self.postprocess_ms, 3),
            "total": round(self.total_ms, 3),
        }


#: What ``Classification.top`` is when nothing scored above the threshold.
NOTHING = Category(index=-1, score=0.0, label="")


@dataclass(frozen=True)
class Classification:
    """The top-k answer for one crop, best first; immutable so it can cross threads."""

    categories: tuple[Category, ...]
    timings: Timings

    @property
    def top(self) -> Category:
        """The best category (:data:`NOTHING` when no class passed the threshold)."""
        return self.categories[0] if self.categories else NOTHING

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.categories)

    @property
    def scores(self) -> tuple[float, ...]:
        return tuple(c.score for c in self.categories)

    @property
    def indices(self) -> tuple[int, ...]:
        return tuple(c.index for c in self.categories)

    def as_dict(self) -> dict[str, object]:
        """The JSON shape ``camapp classify --json`` prints: parallel lists and timings."""
        return {
            "labels": list(self.labels),
            "scores": [round(s, 6) for s in self.scores],
            "indices": list(self.indices),
            "timings_ms": self.timings.as_dict(),
        }
