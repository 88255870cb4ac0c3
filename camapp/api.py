"""The public API for scripts: a classifier made from a model id, and the headless session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.inference import classifier as _classifier
from camapp.inference.results import Classification
from camapp.store.catalog import Catalog
from camapp.store.model_store import ModelStore


class Classifier(_classifier.Classifier):
    """An image classifier that can be made from a catalog id and classify photo files.

    Example:
        >>> classifier = Classifier.from_model("mobilenet_v2_1.0_224_uint8", threads=2)
        >>> classifier.classify("cat.jpg").top.label
        'tabby'
    """

    @classmethod
    def from_model(
        cls,
        model: str,
        threads: int | None = None,
        *,
        models_dir: str | Path | None = None,
        labels: str | Path | None = None,
        xnnpack: bool = True,
        runtime: str | None = None,
    ) -> Classifier:
        """Loads an installed catalog model (``camapp models list``) or a ``.tflite`` file.

        Args:
            model: Catalog id or path to a ``.tflite`` file.
            threads: Interpreter threads (``None``: every core).
            models_dir: Where installed models are (default: the user's models folder,
                or ``$CAMAPP_MODELS_DIR``).
            labels: A label file, for a ``.tflite`` path.
            xnnpack: Use the XNNPACK delegate.
            runtime: ``litert`` or ``tflite-runtime`` (``None``: the first available).

        Raises:
            CamappError: Unknown or uninstalled model, a broken file, no runtime.
        """
        store = ModelStore(Catalog.load(), models_dir)
        options = store.options_for(
            model,
            labels=str(labels) if labels else None,
            num_threads=threads,
            use_xnnpack=xnnpack,
            runtime=runtime,
        )
        created = cls.create(options)
        assert isinstance(created, Classifier)
        return created

    def classify(
        self,
        frame_bgr: Any,
        roi: ROI | tuple[float, float, float, float] | None = None,
        top_k: int = 5,
        threshold: float = 0.0,
    ) -> Classification:
        """Classifies a BGR image (as OpenCV reads it) or a photo file.

        Args:
            frame_bgr: An ``H x W x 3`` uint8 BGR array, or the path of a photo.
            roi: The box as fractions of the image (``None``: all of it).
            top_k: How many classes to return.
            threshold: Drop classes scoring below this.

        Raises:
            CamappError: When the photo cannot be read.
        """
        if isinstance(frame_bgr, (str, Path)):
            import cv2

            path = Path(frame_bgr)
            image = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
            if image is None:
                why = "not found" if not path.exists() else "not a readable image"
                raise CamappError(f"{path}: {why}", "check the path")
            frame_bgr = image
        box = roi if roi is None or isinstance(roi, ROI) else ROI.clamped(*roi)
        return super().classify(frame_bgr, box, top_k, threshold)
