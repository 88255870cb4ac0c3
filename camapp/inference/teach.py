"""Teach mode's core: classes taught from examples, answering by nearest-neighbour vote.

A :class:`ClassSet` holds up to nine named classes, each with examples: an L2-normalised
float32 embedding (from an embedding model, see
:class:`~camapp.inference.teach_classifier.ClassSetClassifier`) and a small BGR thumbnail of
what the model saw. It answers with per-class k-nearest-neighbour voting over cosine
similarities: each class scores the mean similarity of its ``k`` nearest examples, so a class
captured for three seconds does not outvote one captured for one second. (Plain global k-NN
majority voting does: on the teach photos it names the held-out cat a hot dog, because two of
that photo's three nearest examples are the two hot-dog photos.) The answer is "unsure" when
the best class is far (below ``min_similarity``) or barely ahead of the next (``min_margin``).

A set is saved as a folder or a ``.zip`` (:mod:`camapp.inference.teach_files`) that names the
embedding model by catalog id and sha256; loading it for any other model is refused.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.inference.teach_files import (
    FORMAT,
    MAX_CLASSES,
    is_class_set,
    read_class_set,
    read_header,
    write_class_set,
)

log = logging.getLogger(__name__)

#: A model spec that means "teach mode with this embedder": ``teach:<embedder id>``.
TEACH_PREFIX = "teach:"
#: The class offered in every new set: what the camera sees when nothing is shown.
BACKGROUND = "background / nothing"
#: Thumbnails are this many pixels square: the box as the model saw it (squeezed the same way).
THUMBNAIL_SIDE = 64
_MAX_NAME = 40

__all__ = [
    "BACKGROUND",
    "MAX_CLASSES",
    "TEACH_PREFIX",
    "ClassSet",
    "Decision",
    "Example",
    "TaughtClass",
    "VoteRule",
    "is_class_set",
    "is_teach_spec",
    "l2_normalised",
    "thumbnail",
]


def is_teach_spec(spec: str) -> bool:
    """Whether a model spec means teach mode: ``teach:<id>``, or a saved class set's path."""
    return spec.startswith(TEACH_PREFIX) or is_class_set(spec)


def l2_normalised(vector: np.ndarray) -> np.ndarray:
    """``vector`` as float32 with unit length (a zero vector stays zero)."""
    v = np.asarray(vector, np.float32).reshape(-1)
    norm = float(np.linalg.norm(v))
    unit: np.ndarray = v / np.float32(norm) if norm > 0 else v.copy()
    return unit


def thumbnail(frame_bgr: np.ndarray, roi: ROI | None, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """The ROI crop squeezed to ``side`` x ``side`` BGR pixels, as the model sees it."""
    if frame_bgr.ndim == 2:
        frame_bgr = cv2.cvtColor(frame_bgr, cv2.COLOR_GRAY2BGR)
    elif frame_bgr.shape[2] == 4:
        frame_bgr = cv2.cvtColor(frame_bgr, cv2.COLOR_BGRA2BGR)
    height, width = frame_bgr.shape[:2]
    x0, y0, x1, y1 = (roi or ROI.full()).to_pixels(width, height)
    small: np.ndarray = cv2.resize(
        frame_bgr[y0:y1, x0:x1], (side, side), interpolation=cv2.INTER_AREA
    )
    return small


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class Example:
    """One taught example.

    Attributes:
        id: Unique within its set (stable while the set is open; not saved).
        embedding: Unit-length float32 features (read-only).
        thumbnail: Small BGR image of the crop (read-only).
    """

    id: int
    embedding: np.ndarray = field(repr=False, compare=False)
    thumbnail: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class TaughtClass:
    """A class and its examples (an immutable snapshot)."""

    name: str
    examples: tuple[Example, ...] = ()

    @property
    def count(self) -> int:
        return len(self.examples)


@dataclass(frozen=True)
class VoteRule:
    """How a class set answers.

    Attributes:
        k: Each class scores the mean cosine similarity of its ``k`` nearest examples.
        min_similarity: Below this the best class is too far: "unsure".
        min_margin: The best class must lead the next by this much similarity, else "unsure".
        temperature: Softmax temperature turning class similarities into confidences.
        smoothing: Live mode averages the class similarities of this many frames (1: none).
    """

    k: int = 3
    min_similarity: float = 0.5
    min_margin: float = 0.05
    temperature: float = 0.1
    smoothing: int = 1

    def __post_init__(self) -> None:
        if self.k < 1 or self.smoothing < 1 or self.temperature <= 0:
            raise CamappError(
                f"k ({self.k}) and smoothing ({self.smoothing}) must be at least 1 and the "
                f"temperature ({self.temperature}) above 0"
            )
        if not (0.0 <= self.min_similarity <= 1.0 and 0.0 <= self.min_margin <= 1.0):
            raise CamappError("min_similarity and min_margin must be between 0 and 1")

    def as_dict(self) -> dict[str, float | int]:
        return {
            "k": self.k,
            "min_similarity": self.min_similarity,
            "min_margin": self.min_margin,
            "temperature": self.temperature,
            "smoothing": self.smoothing,
        }


@dataclass(frozen=True)
class Decision:
    """A class set's verdict on one embedding (or a few smoothed ones).

    Attributes:
        scores: Confidence per class in class order (0 for classes without examples).
        similarities: Mean similarity of each class's ``k`` nearest examples (NaN: none).
        best: Index of the best class (-1 when nothing is taught).
        unsure: The best class is far, or barely ahead of the next.
        reason: Why it is unsure, in words (``""`` when sure).
    """

    scores: tuple[float, ...]
    similarities: tuple[float, ...]
    best: int
    unsure: bool
    reason: str


class ClassSet:
    """Named classes taught from examples, answering by per-class k-nearest-neighbour vote.

    Thread-safe: the window edits it on the GUI thread while the inference thread captures
    into it and reads it. Every change replaces the immutable :attr:`classes` snapshot and
    bumps :attr:`version`; callbacks added with :meth:`add_observer` run after each change,
    on the thread that made it.

    Args:
        embedder_id: Catalog id (or file name) of the embedding model the examples come from.
        embedder_sha256: sha256 of that model's file.
        names: The classes to start with (by default the offered background class).
        rule: How it answers (:class:`VoteRule`).
    """

    def __init__(
        self,
        embedder_id: str,
        embedder_sha256: str,
        names: Sequence[str] = (BACKGROUND,),
        rule: VoteRule | None = None,
    ) -> None:
        self.embedder_id = embedder_id
        self.embedder_sha256 = embedder_sha256
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._classes: tuple[TaughtClass, ...] = ()
        self._rule = rule or VoteRule()
        self._version = 0
        self._dimensions: int | None = None
        self._index: tuple[int, np.ndarray, tuple[int, ...]] | None = None
        self._observers: list[Callable[[], None]] = []
        for name in names:
            self.add_class(name)

    # -- snapshots --------------------------------------------------------------------------
    @property
    def classes(self) -> tuple[TaughtClass, ...]:
        """The classes now, in order (an immutable snapshot)."""
        return self._classes

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self._classes)

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(c.count for c in self._classes)

    @property
    def size(self) -> int:
        """How many examples there are in all."""
        return sum(self.counts)

    @property
    def version(self) -> int:
        """Bumped by every change."""
        return self._version

    @property
    def dimensions(self) -> int | None:
        """Length of the embeddings (``None`` until the first example)."""
        return self._dimensions

    @property
    def rule(self) -> VoteRule:
        return self._rule

    def set_rule(self, rule: VoteRule) -> None:
        """Answers by ``rule`` from now on."""
        self._change(lambda: setattr(self, "_rule", rule))

    def add_observer(self, callback: Callable[[], None]) -> None:
        """Calls ``callback()`` after every change, on the thread that made it."""
        with self._lock:
            self._observers.append(callback)

    def remove_observer(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._observers:
                self._observers.remove(callback)

    # -- editing ----------------------------------------------------------------------------
    def _change(self, edit: Callable[[], object]) -> None:
        with self._lock:
            edit()
            self._version += 1
            self._index = None
            observers = list(self._observers)
        for callback in observers:
            try:
                callback()
            except Exception:  # noqa: BLE001 - an observer's bug must not undo the edit
                log.exception("class set observer failed")

    def _replace(self, index: int, taught: TaughtClass | None) -> None:
        classes = list(self._classes)
        if taught is None:
            del classes[index]
        else:
            classes[index] = taught
        self._classes = tuple(classes)

    def _check_index(self, index: int) -> TaughtClass:
        classes = self._classes
        if not 0 <= index < len(classes):
            raise CamappError(f"there is no class {index + 1} (the set has {len(classes)})")
        return classes[index]

    def _check_name(self, name: str, skip: int = -1) -> str:
        name = " ".join(str(name).split())
        if not name:
            raise CamappError("a class needs a name")
        if len(name) > _MAX_NAME:
            raise CamappError(f"class name too long ({len(name)} characters; at most {_MAX_NAME})")
        for i, taught in enumerate(self._classes):
            if i != skip and taught.name.casefold() == name.casefold():
                raise CamappError(f"there is already a class called '{taught.name}'")
        return name

    def add_class(self, name: str = "") -> int:
        """Adds a class (named ``class N`` when ``name`` is empty); returns its index.

        Raises:
            CamappError: With nine classes already, or a name that is empty, too long or taken.
        """
        with self._lock:
            if len(self._classes) >= MAX_CLASSES:
                raise CamappError(
                    f"a class set holds at most {MAX_CLASSES} classes", "remove one first"
                )
            if not str(name).strip():
                taken = {c.name.casefold() for c in self._classes}
                number = len(self._classes) + 1
                while f"class {number}" in taken:
                    number += 1
                name = f"class {number}"
            checked = self._check_name(name)
            self._change(lambda: setattr(self, "_classes", (*self._classes, TaughtClass(checked))))
            return len(self._classes) - 1

    def rename_class(self, index: int, name: str) -> None:
        """Renames class ``index`` (0-based).

        Raises:
            CamappError: For an unknown index or an empty, too long or taken name.
        """
        with self._lock:
            taught = self._check_index(index)
            checked = self._check_name(name, skip=index)
            if checked != taught.name:
                self._change(lambda: self._replace(index, TaughtClass(checked, taught.examples)))

    def remove_class(self, index: int) -> None:
        """Removes class ``index`` and its examples (the classes after it move up)."""
        with self._lock:
            self._check_index(index)
            self._change(lambda: self._replace(index, None))

    def add_example(self, index: int, embedding: np.ndarray, thumb: np.ndarray) -> Example:
        """Adds an example to class ``index``.

        Args:
            index: The class (0-based).
            embedding: The embedder's features (normalised here).
            thumb: A small BGR image of the crop (:func:`thumbnail`).

        Raises:
            CamappError: For an unknown class, or features of another length than the others.
        """
        unit = _frozen(l2_normalised(embedding))
        picture = np.ascontiguousarray(thumb, dtype=np.uint8)
        if picture.ndim != 3 or picture.shape[2] != 3:
            raise CamappError(f"a thumbnail is a BGR image, not an array of shape {thumb.shape}")
        with self._lock:
            taught = self._check_index(index)
            if self._dimensions is not None and unit.size != self._dimensions:
                raise CamappError(
                    f"these features have {unit.size} values, the class set's {self._dimensions}",
                    "use the embedder the class set was made with",
                )
            example = Example(next(self._ids), unit, _frozen(picture.copy()))

            def edit() -> None:
                self._dimensions = unit.size
                self._replace(index, TaughtClass(taught.name, (*taught.examples, example)))

            self._change(edit)
            return example

    def remove_example(self, example_id: int) -> bool:
        """Removes the example with id ``example_id``; False when there is none."""
        with self._lock:
            found = [
                (i, c)
                for i, c in enumerate(self._classes)
                if any(e.id == example_id for e in c.examples)
            ]
            if not found:
                return False
            index, taught = found[0]
            kept = tuple(e for e in taught.examples if e.id != example_id)
            self._change(lambda: self._replace(index, TaughtClass(taught.name, kept)))
            return True

    def clear_class(self, index: int) -> int:
        """Removes every example of class ``index``; returns how many there were."""
        with self._lock:
            taught = self._check_index(index)
            if taught.count:
                self._change(lambda: self._replace(index, TaughtClass(taught.name)))
            return taught.count

    def reset(self, names: Sequence[str] = (BACKGROUND,)) -> None:
        """Forgets every class and example and starts again with ``names``."""
        with self._lock:
            fresh = ClassSet(self.embedder_id, self.embedder_sha256, names, self._rule)

            def edit() -> None:
                self._classes = fresh.classes
                self._dimensions = None

            self._change(edit)

    # -- answering --------------------------------------------------------------------------
    def _matrix(self) -> tuple[int, np.ndarray, tuple[int, ...]]:
        """(version, every embedding as rows in class order, examples per class), cached."""
        with self._lock:
            if self._index is None or self._index[0] != self._version:
                rows = [e.embedding for c in self._classes for e in c.examples]
                width = self._dimensions or 0
                matrix = np.stack(rows) if rows else np.zeros((0, width), np.float32)
                self._index = (self._version, _frozen(matrix), self.counts)
            return self._index

    def similarities(self, embedding: np.ndarray) -> np.ndarray:
        """Each class's mean cosine similarity to its ``k`` nearest examples (NaN: none).

        Raises:
            CamappError: When the features have another length than the examples'.
        """
        _, matrix, counts = self._matrix()
        k = self._rule.k
        result = np.full(len(counts), np.nan, np.float32)
        if matrix.shape[0] == 0:
            return result
        unit = l2_normalised(embedding)
        if unit.size != matrix.shape[1]:
            raise CamappError(
                f"these features have {unit.size} values, the class set's {matrix.shape[1]}",
                "use the embedder the class set was made with",
            )
        # einsum, not ``matrix @ unit``: BLAS wakes its own threads for a few hundred rows,
        # which fight the interpreter's threads just after an invoke (measured on 2 cores,
        # 450 examples: BLAS median 0.06 ms but p90 5 ms; einsum 0.15 ms, p90 0.2 ms).
        sims = np.einsum("ij,j->i", matrix, unit)
        start = 0
        for index, count in enumerate(counts):
            if count:
                own = sims[start : start + count]
                nearest = own if count <= k else np.partition(own, count - k)[count - k :]
                result[index] = float(nearest.mean())
            start += count
        return result

    def decide(self, similarities: np.ndarray) -> Decision:
        """Turns class similarities into confidences, a best class and an unsure flag."""
        rule = self._rule
        taught = ~np.isnan(similarities)
        scores = np.zeros(similarities.size, np.float64)
        if not taught.any():
            sims = tuple(float(s) for s in similarities)
            return Decision(tuple(scores), sims, -1, True, "nothing taught yet")
        logits = np.where(taught, similarities, -np.inf) / rule.temperature
        exp = np.exp(logits - logits[taught].max())
        scores = exp / exp.sum()
        order = np.argsort(-np.where(taught, similarities, -np.inf), kind="stable")
        best = int(order[0])
        names = self.names
        best_sim = float(similarities[best])
        reason = ""
        if best_sim < rule.min_similarity:
            reason = f"far from every example (nearest class {best_sim:.2f})"
        elif int(taught.sum()) > 1:
            second = int(order[1])
            if best_sim - float(similarities[second]) < rule.min_margin:
                reason = f"between {names[best]} and {names[second]}"
        return Decision(
            tuple(float(s) for s in scores),
            tuple(float(s) for s in similarities),
            best,
            bool(reason),
            reason,
        )

    def recognise(self, embedding: np.ndarray) -> Decision:
        """The verdict on one embedding (no smoothing)."""
        return self.decide(self.similarities(embedding))

    # -- files ------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Saves the set as a folder, or as one file when ``path`` ends with ``.zip``.

        Both are written atomically (:func:`~camapp.inference.teach_files.write_class_set`).

        Raises:
            CamappError: When the target is something else, or cannot be written.
        """
        path = Path(path)
        with self._lock:
            classes, dims, rule = self._classes, self._dimensions, self._rule
        examples = [e for c in classes for e in c.examples]
        matrix = (
            np.stack([e.embedding for e in examples])
            if examples
            else np.zeros((0, dims or 0), np.float32)
        )
        header = {
            "format": FORMAT,
            "embedder": {
                "id": self.embedder_id,
                "sha256": self.embedder_sha256,
                "dimensions": dims,
            },
            "recognition": rule.as_dict(),
            "classes": [{"name": c.name, "examples": c.count} for c in classes],
        }
        write_class_set(path, header, matrix, [e.thumbnail for e in examples])
        return path

    @staticmethod
    def read_header(path: str | Path) -> dict[str, Any]:
        """``classset.yaml`` of a saved set, checked (to learn its embedder before loading).

        Raises:
            CamappError: When ``path`` is no class set or its YAML is broken.
        """
        return read_header(path)

    @classmethod
    def load(cls, path: str | Path, embedder_id: str, embedder_sha256: str) -> ClassSet:
        """Loads a saved set made with the embedder ``embedder_id`` / ``embedder_sha256``.

        Only data is read: YAML with a safe loader, ``.npy`` without pickle, PNG images.

        Raises:
            CamappError: When ``path`` is no class set, is broken, or was made with another
                embedding model (refused before its examples are read).
        """
        path = Path(path)

        def accept(header: dict[str, Any]) -> None:
            made_with = header["embedder"]
            if made_with["sha256"] != embedder_sha256 or made_with["id"] != embedder_id:
                raise CamappError(
                    f"{path.name} was made with the embedding model {made_with['id']} "
                    f"(sha256 {made_with['sha256'][:12]}...), not {embedder_id} "
                    f"(sha256 {embedder_sha256[:12]}...); its examples mean nothing to "
                    "another model",
                    f"use {made_with['id']}, or teach the classes again",
                )

        header, matrix, thumbs = read_class_set(path, accept)
        try:
            rule = VoteRule(**header["recognition"])
        except TypeError as exc:
            raise CamappError(f"{path.name}: unknown recognition setting ({exc})") from None
        names = [c["name"] for c in header["classes"]]
        loaded = cls(embedder_id, embedder_sha256, names, rule)
        row = 0
        for index, entry in enumerate(header["classes"]):
            for _ in range(int(entry["examples"])):
                loaded.add_example(index, matrix[row], thumbs[row])
                row += 1
        dims = header["embedder"].get("dimensions")
        if loaded._dimensions is None and isinstance(dims, int):
            loaded._dimensions = dims
        return loaded
