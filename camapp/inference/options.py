"""What a classifier is built from: a light dataclass the store fills in (no NumPy, no runtime)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from camapp.base.types import Choice


class OutputKind(Choice):
    """What a model's output holds."""

    #: Read the graph: a final SOFTMAX means probabilities, anything else logits.
    AUTO = "auto"
    #: Already probabilities.
    PROBABILITIES = "probabilities"
    #: Logits: camapp applies a softmax.
    LOGITS = "logits"
    #: Features (an embedder): the raw dequantised outputs, no softmax and no labels.
    FEATURES = "features"


@dataclass(frozen=True)
class ClassifierOptions:
    """Everything needed to build a :class:`Classifier`.

    Attributes:
        model_paths: One ``.tflite`` file, or two run in sequence (feature extractor, head).
        labels_path: Label file; ``None`` names classes by index.
        num_threads: Interpreter threads; ``None`` uses every core.
        use_xnnpack: Use the XNNPACK delegate (falls back without it if allocation fails).
        input_mean: Float inputs get ``(pixel - mean) / std``.
        input_std: See ``input_mean``.
        output: ``auto`` (read the graph), ``probabilities``, ``logits`` (apply softmax) or
            ``features`` (an embedder: raw outputs).
        runtime: Runtime name for :func:`camapp.inference.runtime.load_runtime`.
        name: Display name; defaults to the model file's stem.
    """

    model_paths: tuple[str, ...]
    labels_path: str | None = None
    num_threads: int | None = None
    use_xnnpack: bool = True
    input_mean: float = 127.5
    input_std: float = 127.5
    output: OutputKind = field(default_factory=lambda: OutputKind.AUTO)
    runtime: str | None = None
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
