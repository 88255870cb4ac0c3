"""Teach mode in a session: the live class set, capturing examples, the teach "model".

A :class:`Session` owns one :class:`TeachController` (``session.teach``). Teach mode is a
model like any other: its spec is ``teach:<embedder id>`` (or the path of a saved class set),
and switching between ImageNet and teach mode is a model swap on the same worker. The class
set lives here, not in the worker, so it survives every swap; the teach classifier reads the
current set on each frame. Capturing runs on the inference thread, from the very crop the
model sees: the window only says which class key is held (:meth:`TeachController.start_capture`).

The helpers at the bottom build class sets from folders of photos and open saved sets for
``camapp teach``, ``camapp classify --class-set`` and the scripting API.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import cv2

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.capture.frames import IMAGE_EXTENSIONS
from camapp.inference.classifier import Classifier
from camapp.inference.options import ClassifierOptions
from camapp.inference.teach import (
    BACKGROUND,
    MAX_CLASSES,
    TEACH_PREFIX,
    ClassSet,
    is_teach_spec,
)
from camapp.inference.teach_classifier import CaptureHook, ClassSetClassifier
from camapp.store.model_store import ModelStore, sha256_of

if TYPE_CHECKING:
    from camapp.pipeline.session import Session
    from camapp.pipeline.worker import ClassifierFactory

log = logging.getLogger(__name__)

#: Seconds between two captures while a class key is held: a few examples per second.
CAPTURE_INTERVAL = 0.25

_SHA_CACHE: dict[tuple[str, int, int], str] = {}
_SHA_LOCK = threading.Lock()


def model_sha256(path: str | Path) -> str:
    """sha256 of a model file, cached while the file is unchanged (size and mtime)."""
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    with _SHA_LOCK:
        known = _SHA_CACHE.get(key)
    if known is None:
        known = sha256_of(Path(path))
        with _SHA_LOCK:
            _SHA_CACHE[key] = known
    return known


class TeachController:
    """Teach mode of a :class:`Session`: the class set, captures and the mode switch.

    Editing calls (:meth:`add_class`, :meth:`remove_example`, ...) come from the window or
    a script on any thread; captures happen on the inference thread. Observers added with
    :meth:`add_observer` hear every change (also a new set being loaded) on the thread that
    made it: the window turns that into a Qt signal.

    Args:
        session: The session that owns it (its store, runtime choices and worker).
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._lock = threading.Lock()
        self._class_set: ClassSet | None = None
        self._observers: list[Callable[[], None]] = []
        self._held: int | None = None
        self._tap: int | None = None
        self._last_capture = 0.0
        self._return_to = ""
        #: Seconds between captures while a key is held.
        self.capture_interval = CAPTURE_INTERVAL

    # -- the class set --------------------------------------------------------------------
    @property
    def class_set(self) -> ClassSet | None:
        """The set being taught (``None`` until teach mode first starts or a set is loaded)."""
        return self._class_set

    def require_set(self) -> ClassSet:
        """The set being taught.

        Raises:
            CamappError: When teach mode has not started yet.
        """
        current = self._class_set
        if current is None:
            raise CamappError("teach mode has not started", "switch to teach mode first")
        return current

    def add_observer(self, callback: Callable[[], None]) -> None:
        """Calls ``callback()`` after every change of the set (or a new set), on any thread."""
        with self._lock:
            self._observers.append(callback)

    def remove_observer(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._observers:
                self._observers.remove(callback)

    def _changed(self) -> None:
        with self._lock:
            observers = list(self._observers)
        for callback in observers:
            callback()

    def _adopt(self, class_set: ClassSet) -> ClassSet:
        with self._lock:
            old, self._class_set = self._class_set, class_set
        if old is not None:
            old.remove_observer(self._changed)
        class_set.add_observer(self._changed)
        self._changed()
        return class_set

    # -- the mode -------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Whether teach mode answers now (or is loading)."""
        info = self._session.model_info
        spec = self._session.loading or (info.spec if info else "")
        return bool(spec) and is_teach_spec(spec)

    def start(self, embedder: str = "") -> None:
        """Switches the session to teach mode (in the background, like any model swap).

        Args:
            embedder: A catalog embedder id; ``""`` keeps the current set's embedder, or
                picks the first installed one.
        """
        if self.active and not embedder:
            return
        info = self._session.model_info
        if info is not None and not is_teach_spec(info.spec):
            self._return_to = info.spec
        current = self._class_set
        if not embedder and current is not None:
            embedder = current.embedder_id
        elif not embedder:  # the first installed one (none: loading says how to install one)
            embedder = next((e.id for e in self._session.store.embedders()), "")
        self._session.request_model(TEACH_PREFIX + embedder)

    def stop(self) -> None:
        """Back to the model that ran before teach mode (the set stays, ready to resume)."""
        back = self._return_to or self._session.store.usable_model("")
        if back:
            self._session.request_model(back)

    # -- editing --------------------------------------------------------------------------
    def add_class(self, name: str = "") -> int:
        """Adds a class (``class N`` when unnamed); returns its index."""
        return self.require_set().add_class(name)

    def rename_class(self, index: int, name: str) -> None:
        self.require_set().rename_class(index, name)

    def remove_class(self, index: int) -> None:
        self.require_set().remove_class(index)

    def remove_example(self, example_id: int) -> bool:
        """Removes one example (the window: a click on its thumbnail)."""
        removed = self.require_set().remove_example(example_id)
        self._session.worker.rerun()  # answer again without it, also on a still photo
        return removed

    def clear_class(self, index: int) -> int:
        cleared = self.require_set().clear_class(index)
        self._session.worker.rerun()
        return cleared

    def reset(self) -> None:
        """Forgets every class and example: a new set with the background class."""
        self.require_set().reset((BACKGROUND,))
        self._session.worker.rerun()

    def save(self, path: str | Path) -> Path:
        """Saves the set (a folder, or one ``.zip``); see :meth:`ClassSet.save`."""
        return self.require_set().save(path)

    def load(self, path: str | Path) -> ClassSet:
        """Replaces the set with a saved one made with the same embedding model.

        Raises:
            CamappError: For a broken set, or one made with another embedding model.
        """
        current = self._class_set
        if current is not None:
            embedder_id, sha256 = current.embedder_id, current.embedder_sha256
        else:
            options = self._embedder_options("", None)
            embedder_id, sha256 = str(options.name), model_sha256(options.model_paths[0])
        loaded = self._adopt(ClassSet.load(path, embedder_id, sha256))
        self._session.worker.rerun()
        return loaded

    # -- capturing ------------------------------------------------------------------------
    def start_capture(self, index: int) -> None:
        """Class ``index`` (0-based) takes examples from now until :meth:`stop_capture`.

        The next frame the worker classifies becomes an example even if the key is let go
        before it comes; then one every :attr:`capture_interval` while it is held (a still
        photo gives one example per press, as its frame never changes).
        """
        with self._lock:
            self._held = self._tap = index
        self._session.worker.rerun()

    def stop_capture(self) -> None:
        with self._lock:
            self._held = None

    @property
    def capturing(self) -> int | None:
        """The class whose key is held, if any."""
        return self._held

    def _capture_due(self) -> int | None:
        """Runs on the inference thread for every frame: the class to capture it into."""
        now = time.monotonic()
        with self._lock:
            if self._tap is not None:
                index, self._tap = self._tap, None
            elif self._held is not None and now - self._last_capture >= self.capture_interval:
                index = self._held
            else:
                return None
            self._last_capture = now
            return index

    # -- the worker's classifiers ---------------------------------------------------------
    def factory(self, tag: str) -> ClassifierFactory:
        """What a worker builds its classifiers with: teach specs here, others as usual.

        Only the main worker (``tag == ""``) captures examples.
        """

        def create(spec: str, threads: int | None) -> Classifier:
            if is_teach_spec(spec):
                return self._create(spec, threads, self._capture_due if not tag else None)
            return Classifier.create(self._session.options_for(spec, threads))

        return create

    def _embedder_options(self, embedder: str, threads: int | None) -> ClassifierOptions:
        session = self._session
        return session.store.embedder_options(
            embedder,
            num_threads=threads or session.threads_setting,
            use_xnnpack=session._xnnpack,  # the session's runtime choices, as for any model
            runtime=session._runtime,
        )

    def _create(self, spec: str, threads: int | None, capture: CaptureHook | None) -> Classifier:
        """Runs on a loader thread: the embedder, bound to the current (or a loaded) set."""
        if spec.startswith(TEACH_PREFIX):
            options = self._embedder_options(spec.removeprefix(TEACH_PREFIX), threads)
            sha256 = model_sha256(options.model_paths[0])
            current = self._class_set
            if current is None:
                current = self._adopt(ClassSet(str(options.name), sha256))
            elif current.embedder_sha256 != sha256:
                raise CamappError(
                    f"the classes were taught with {current.embedder_id}, not {options.name}",
                    "reset them first, or start teach mode with that embedder",
                )
            fallback = current
        else:
            made_with = ClassSet.read_header(spec)["embedder"]["id"]
            options = self._embedder_options(made_with, threads)
            sha256 = model_sha256(options.model_paths[0])
            fallback = ClassSet.load(spec, str(options.name), sha256)
        classifier = ClassSetClassifier.open(
            options, sha256, lambda: self._class_set or fallback, capture=capture
        )
        if fallback is not self._class_set and not spec.startswith(TEACH_PREFIX):
            self._adopt(fallback)  # a saved set replaces the one being taught
        return classifier


# -- class sets for commands and scripts ----------------------------------------------------
def open_embedder(
    store: ModelStore,
    model: str = "",
    class_set: ClassSet | None = None,
    *,
    threads: int | None = None,
    xnnpack: bool = True,
    runtime: str | None = None,
) -> ClassSetClassifier:
    """An embedding model bound to ``class_set`` (default: a new, empty set of no classes).

    Raises:
        CamappError: For an unknown or missing embedder, or a set made with another one.
    """
    options = store.embedder_options(
        model, num_threads=threads, use_xnnpack=xnnpack, runtime=runtime
    )
    sha256 = model_sha256(options.model_paths[0])
    if class_set is None:
        class_set = ClassSet(str(options.name), sha256, names=())
    return ClassSetClassifier.open(options, sha256, class_set)


def open_class_set(
    store: ModelStore,
    path: str | Path,
    model: str = "",
    *,
    threads: int | None = None,
    xnnpack: bool = True,
    runtime: str | None = None,
) -> ClassSetClassifier:
    """A saved set with the embedding model it names (or ``model``, which must be that one).

    Raises:
        CamappError: For a broken set, an embedder that is not installed, or another one.
    """
    made_with = str(ClassSet.read_header(path)["embedder"]["id"])
    options = store.embedder_options(
        model or made_with, num_threads=threads, use_xnnpack=xnnpack, runtime=runtime
    )
    sha256 = model_sha256(options.model_paths[0])
    loaded = ClassSet.load(path, str(options.name), sha256)
    return ClassSetClassifier.open(options, sha256, loaded)


def class_folders(folder: str | Path) -> list[tuple[str, list[Path]]]:
    """``(class name, photos)`` for each sub-folder of ``folder`` that has photos, by name.

    Raises:
        CamappError: When ``folder`` is missing, or has no (or over nine) class folders.
    """
    root = Path(folder)
    if not root.is_dir():
        raise CamappError(f"{folder} is not a folder", "give a folder with one folder per class")
    classes = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        photos = sorted(
            p for p in sub.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
        )
        if photos:
            classes.append((sub.name, photos))
        else:
            log.warning("%s has no photos; skipped", sub)
    if not classes:
        raise CamappError(
            f"{folder} has no class folders with photos",
            "put the photos of each class in a folder named after it",
        )
    if len(classes) > MAX_CLASSES:
        raise CamappError(f"{folder} has {len(classes)} class folders; at most {MAX_CLASSES}")
    return classes


def teach_folders(
    classifier: ClassSetClassifier,
    folder: str | Path,
    roi: ROI | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Adds one class per sub-folder of ``folder`` and one example per photo in it.

    Args:
        classifier: An embedder bound to the set to fill (:func:`open_embedder`).
        folder: One folder per class, named after it.
        roi: The part of each photo to learn from (default: the central 87.5 %).
        progress: Called with (photos done, photos in all).

    Returns:
        One line per photo that could not be read (the others are taught).

    Raises:
        CamappError: For a missing folder, too many classes or a name that is taken.
    """
    classes = class_folders(folder)
    box = roi or ROI.central(0.875)
    total, done, problems = sum(len(photos) for _, photos in classes), 0, []
    class_set = classifier.class_set
    for name, photos in classes:
        index = class_set.add_class(name)
        for photo in photos:
            image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
            if image is None:
                problems.append(f"{photo}: not a readable image; skipped")
            else:
                classifier.teach(index, image, box)
            done += 1
            if progress is not None:
                progress(done, total)
    return problems
