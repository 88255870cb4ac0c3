"""Frames, the one-frame slot they pass through, and the base class of every frame source.

Policy everywhere: latest wins. The capture thread overwrites a one-item slot (older frames
are dropped), and consumers take the newest frame they have not seen yet.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from camapp.base.meters import RateMeter

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"}
VIDEO_EXTENSIONS = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}

try:  # OpenCV prints V4L2/FFmpeg warnings for every failed open; our errors say it better.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
except AttributeError:  # pragma: no cover - very old OpenCV
    pass

_frame_ids = itertools.count(1)


@dataclass(frozen=True)
class Frame:
    """One captured frame. ``image`` is a read-only BGR array, safe to share across threads.

    Attributes:
        id: Unique, increasing across all sources.
        image: ``H x W x 3`` uint8 BGR.
        timestamp: ``time.monotonic()`` at capture.
        name: What the frame shows (file name of a scene, or the source's name).
        index: Position in a scene list or video, else the frame counter.
    """

    id: int
    image: np.ndarray
    timestamp: float
    name: str = ""
    index: int = 0

    @classmethod
    def wrap(cls, image: np.ndarray, name: str = "", index: int = 0) -> Frame:
        image.setflags(write=False)
        return cls(next(_frame_ids), image, time.monotonic(), name, index)


class LatestSlot:
    """A one-frame slot: :meth:`put` overwrites, readers get the newest frame.

    Drop oldest, consume eagerly: there is never a queue of frames. Waiters can also
    register a :class:`threading.Event` that is set on every put.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._taken_id = 0
        self._events: list[threading.Event] = []

    def put(self, frame: Frame) -> None:
        with self._cond:
            self._frame = frame
            self._cond.notify_all()
            events = list(self._events)
        for event in events:
            event.set()

    def latest(self) -> Frame | None:
        with self._cond:
            return self._frame

    def take(self) -> Frame | None:
        """The newest frame, marked as consumed (see :meth:`wait_taken`)."""
        with self._cond:
            if self._frame is not None and self._frame.id > self._taken_id:
                self._taken_id = self._frame.id
                self._cond.notify_all()
            return self._frame

    def wait_taken(self, frame_id: int, timeout: float) -> bool:
        """Waits until a consumer has taken frame ``frame_id`` (or a newer one)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._taken_id >= frame_id, timeout)

    def wait_newer(self, after_id: int, timeout: float) -> Frame | None:
        """The newest frame with an id above ``after_id``, waiting up to ``timeout`` s."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._frame is not None and self._frame.id > after_id, timeout
            )
            frame = self._frame
        return frame if frame is not None and frame.id > after_id else None

    def subscribe(self, event: threading.Event) -> None:
        with self._cond:
            self._events.append(event)

    def unsubscribe(self, event: threading.Event) -> None:
        with self._cond:
            if event in self._events:
                self._events.remove(event)


class FrameSource:
    """Base class: owns a slot, optionally a capture thread, and a frame-rate meter.

    Subclasses implement :meth:`_read` (blocking, returns the next image or ``None`` at the
    end) for threaded sources. Lifecycle: :meth:`start`, then an idempotent :meth:`close`
    that joins the thread.
    """

    kind = "source"
    #: Still sources (images, scenes) publish a frame only when it changes.
    is_still = False
    #: Unpaced sources (benchmarks) produce the next frame only once the current one was
    #: taken by a consumer: one frame ahead, no busy loop stealing cores from inference.
    on_demand = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.slot = LatestSlot()
        self.fps = RateMeter()
        self.error: str | None = None
        self.finished = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._released = False

    # Lifecycle ---------------------------------------------------------------------------
    def start(self) -> FrameSource:
        if self._thread is None and not self.is_still:
            self._thread = threading.Thread(
                target=self._run, name=f"camapp-capture-{self.kind}", daemon=True
            )
            self._thread.start()
        return self

    def close(self, timeout: float = 2.0) -> None:
        """Stops and joins the capture thread; idempotent.

        Whoever owns a capture is the only one who touches it: a threaded source releases
        its device on its own thread as the thread ends. A thread still blocked in a read
        after ``timeout`` (a stalled stream) is left to release it when the read returns;
        releasing it from here while it reads would crash inside OpenCV.
        """
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            if not self._released:
                self._released = True
                self._release()
            return
        if thread is not threading.current_thread():
            thread.join(timeout)

    def __enter__(self) -> FrameSource:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # Consumers ---------------------------------------------------------------------------
    def latest(self) -> Frame | None:
        return self.slot.latest()

    def wait_newer(self, after_id: int, timeout: float) -> Frame | None:
        return self.slot.wait_newer(after_id, timeout)

    # Scene navigation (only scene sources move) ------------------------------------------
    def next_scene(self) -> Frame | None:
        return None

    def previous_scene(self) -> Frame | None:
        return None

    # Subclass hooks ----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._capture_loop()
        finally:
            self._released = True
            self._release()

    def _capture_loop(self) -> None:
        counter = 0
        while not self._stop.is_set():
            try:
                image = self._read()
            except Exception as exc:  # noqa: BLE001 - report, keep the thread alive
                self.error = f"{self.name}: {exc}"
                self._stop.wait(0.5)
                continue
            if image is None:
                self.finished = True
                return
            counter += 1
            self.fps.tick()
            frame = Frame.wrap(image, self.name, counter)
            self.slot.put(frame)
            while self.on_demand and not self._stop.is_set():
                if self.slot.wait_taken(frame.id, 0.1):
                    break

    def _read(self) -> np.ndarray | None:
        raise NotImplementedError

    def _release(self) -> None:
        pass
