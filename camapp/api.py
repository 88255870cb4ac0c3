"""The public API for scripts: a classifier made from a model id, your own classes (teach mode)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.inference import classifier as _classifier
from camapp.inference import teach as _teach
from camapp.inference.results import Classification
from camapp.inference.teach_classifier import ClassSetClassifier as _ClassSetClassifier
from camapp.inference.teach_classifier import Recognition
from camapp.pipeline.teach import open_embedder as _open_embedder
from camapp.pipeline.teach import teach_folders as _teach_folders
from camapp.store.catalog import Catalog
from camapp.store.model_store import ModelStore

_log = logging.getLogger(__name__)


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


class ClassSet(_teach.ClassSet):
    """Your own classes, taught from a few photos or frames, with the model that sees them.

    A script on a Pi can teach and recognise with it, and save what it taught for the
    window, the kiosk or ``camapp classify --class-set``. It owns an embedding model's
    interpreter: close it (or use ``with``) when done.

    Example:
        >>> with ClassSet.from_folders("photos/") as classes:   # photos/cat/*.jpg, photos/dog/...
        ...     print(classes.classify("test.jpg").top.label)
        ...     classes.save("pets.zip")
        >>> with ClassSet.open("pets.zip") as classes:
        ...     classes.add_image("cat", "another-cat.jpg")
    """

    _embedder: _ClassSetClassifier | None = None

    @classmethod
    def create(
        cls,
        names: Sequence[str] = (_teach.BACKGROUND,),
        model: str = "",
        *,
        threads: int | None = None,
        models_dir: str | Path | None = None,
    ) -> ClassSet:
        """A new set with ``names`` and no examples yet.

        Args:
            names: The classes to start with (add more with :meth:`add_class`).
            model: An installed catalog embedder (``""``: the first installed one).
            threads: Interpreter threads (``None``: every core).
            models_dir: Where installed models are.

        Raises:
            CamappError: When no embedding model is installed, or ``model`` is not one.
        """
        embedder = _open_embedder(ModelStore(Catalog.load(), models_dir), model, threads=threads)
        created = cls(embedder.embedder_id, embedder.embedder_sha256, names)
        return created._attach(embedder)

    @classmethod
    def from_folders(
        cls,
        folder: str | Path,
        model: str = "",
        *,
        threads: int | None = None,
        models_dir: str | Path | None = None,
    ) -> ClassSet:
        """One class per sub-folder of ``folder`` (named after it), one example per photo.

        Raises:
            CamappError: For a missing folder, over nine classes, or no embedding model.
        """
        created = cls.create((), model, threads=threads, models_dir=models_dir)
        assert created._embedder is not None
        for problem in _teach_folders(created._embedder, folder):
            _log.warning("%s", problem)
        return created

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        threads: int | None = None,
        models_dir: str | Path | None = None,
    ) -> ClassSet:
        """A saved set (folder or ``.zip``) with the embedding model it was made with.

        Raises:
            CamappError: For a broken set, or when that model is not installed (or differs).
        """
        store = ModelStore(Catalog.load(), models_dir)
        embedder_id = str(cls.read_header(path)["embedder"]["id"])
        embedder = _open_embedder(store, embedder_id, threads=threads)
        try:
            loaded = cls.load(path, embedder.embedder_id, embedder.embedder_sha256)
        except BaseException:
            embedder.close()
            raise
        assert isinstance(loaded, ClassSet)
        return loaded._attach(embedder)

    def _attach(self, embedder: _ClassSetClassifier) -> ClassSet:
        embedder._class_set_of = lambda: self
        self._embedder = embedder
        return self

    def _model(self) -> _ClassSetClassifier:
        if self._embedder is None:
            raise CamappError(
                "this class set has no embedding model", "make it with ClassSet.create or open"
            )
        return self._embedder

    def add_image(
        self, name: str, image: Any, roi: ROI | tuple[float, float, float, float] | None = None
    ) -> _teach.Example:
        """Adds a photo (a path or a BGR array) as an example of class ``name``.

        A name that is not a class yet becomes a new one.

        Raises:
            CamappError: For an unreadable photo or a tenth class.
        """
        index = self.names.index(name) if name in self.names else self.add_class(name)
        return self._model().teach(index, _read_image(image), _box(roi))

    def classify(
        self,
        image: Any,
        roi: ROI | tuple[float, float, float, float] | None = None,
        top_k: int = 5,
    ) -> Recognition:
        """The taught classes for a photo (a path or a BGR array), best first.

        ``unsure`` says when the nearest examples are far or disagree.
        """
        return self._model().classify(_read_image(image), _box(roi), top_k)

    def close(self) -> None:
        """Releases the embedding model; idempotent."""
        if self._embedder is not None:
            self._embedder.close()

    def __enter__(self) -> ClassSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_image(image: Any) -> Any:
    if not isinstance(image, (str, Path)):
        return image
    import cv2

    path = Path(image)
    loaded = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
    if loaded is None:
        why = "not found" if not path.exists() else "not a readable image"
        raise CamappError(f"{path}: {why}", "check the path")
    return loaded


def _box(roi: ROI | tuple[float, float, float, float] | None) -> ROI:
    """The box: given, or the central 87.5 % that ``camapp classify`` and ``teach`` use."""
    if roi is None:
        return ROI.central(0.875)
    return roi if isinstance(roi, ROI) else ROI.clamped(*roi)
