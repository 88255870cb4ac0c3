"""Frames, the one-frame slot they pass through, and the base class of every frame source.

Policy everywhere: latest wins. The capture thread overwrites a one-item slot (older frames
are dropped), and consumers take the newest frame they have not seen yet.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from camapp.base.meters import RateMeter

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"}
VIDEO_EXTENSIONS = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}

try:  # OpenCV prints V4L2/FFmpeg warnings for every failed open; our errors say it better.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
except AttributeError:  # pragma: no cover - very old OpenCV
    pass
# FFmpeg itself prints a line for every failed connection (each reconnect attempt of a lost
# stream); the source's state says it once, in words. AV_LOG_QUIET unless the user set it.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

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


@dataclass(frozen=True)
class Backoff:
    """How long a lost source waits before reconnect attempt ``n``: doubling, capped.

    Attributes:
        first: Seconds before the first attempt.
        cap: The longest wait between two attempts.
    """

    first: float = 0.5
    cap: float = 10.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt`` (1, 2, ...)."""
        return min(self.cap, self.first * 2.0 ** max(0, min(attempt - 1, 30)))


@dataclass(frozen=True)
class SourceState:
    """How a source is doing, for the user.

    Attributes:
        phase: ``live`` (frames arrive or can), ``connecting`` (being opened) or
            ``reconnecting`` (lost; the capture thread is trying to reopen it).
        attempt: Reconnect attempts in the current outage (0 when live).
        message: One line for the user; empty when live.
    """

    phase: str = "live"
    attempt: int = 0
    message: str = ""

    @property
    def live(self) -> bool:
        return self.phase == "live"


LIVE = SourceState()


class SourceLost(Exception):
    """Raised by :meth:`FrameSource._read` when the device, stream or file stopped delivering.

    The capture thread then reconnects (:meth:`FrameSource._reopen`) with :class:`Backoff`.
    """


class FrameSource:
    """Base class: owns a slot, optionally a capture thread, and a frame-rate meter.

    Subclasses implement :meth:`_read` (blocking, returns the next image or ``None`` at the
    end) for threaded sources. Lifecycle: :meth:`start`, then an idempotent :meth:`close`
    that joins the thread.

    A source that can lose its device (a camera, a stream, a video file) raises
    :class:`SourceLost` from :meth:`_read` and implements :meth:`_reopen`: the capture thread
    then says so in :attr:`state` (and to :attr:`state_listener`) and reopens it itself,
    waiting :attr:`backoff` between attempts, until frames arrive again or it is closed.
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
        #: Waits between reconnect attempts after a loss.
        self.backoff = Backoff()
        #: Called with the new :class:`SourceState` (on the capture thread) when it changes.
        self.state_listener: Callable[[SourceState], None] | None = None
        self._state = LIVE
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._capture_thread: threading.Thread | None = None  # kept after close, for join()
        self._released = False

    # Lifecycle ---------------------------------------------------------------------------
    def start(self) -> FrameSource:
        if self._capture_thread is None and not self.is_still and not self._stop.is_set():
            self._thread = threading.Thread(
                target=self._run, name=f"camapp-capture-{self.kind}", daemon=True
            )
            self._capture_thread = self._thread
            self._thread.start()
        return self

    def close(self, timeout: float = 2.0) -> bool:
        """Stops and joins the capture thread; idempotent.

        Whoever owns a capture is the only one who touches it: a threaded source releases
        its device on its own thread as the thread ends. A thread still blocked in a read
        after ``timeout`` (a stalled stream) is left to release it when the read returns
        (bounded by the stream's read timeout); releasing it from here while it reads would
        crash inside OpenCV.

        Returns:
            Whether the device is released (False: the capture thread will release it).
        """
        self._stop.set()
        self._thread = None
        thread = self._capture_thread
        if thread is None:  # never started: nobody else holds the device
            if not self._released:
                self._released = True
                self._release()
            return True
        return self.join(timeout)

    def join(self, timeout: float) -> bool:
        """Waits up to ``timeout`` s for the capture thread to end; True once it released."""
        thread = self._capture_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return self._released

    @property
    def released(self) -> bool:
        """Whether the device (if any) has been released."""
        return self._released

    def __enter__(self) -> FrameSource:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def state(self) -> SourceState:
        """Live, or lost and reconnecting (with the attempt and a line for the user)."""
        return self._state

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
            try:
                self._release()
            finally:
                self._released = True

    def _capture_loop(self) -> None:
        counter = 0
        while not self._stop.is_set():
            try:
                image = self._read()
            except SourceLost as lost:
                if not self._reconnect(str(lost)):
                    return
                continue
            except Exception as exc:  # noqa: BLE001 - report, keep the thread alive
                self.error = f"{self.name}: {exc}"
                self._stop.wait(0.5)
                continue
            if image is None:
                self.finished = True
                return
            if not self._state.live:
                log.info("%s: frames again after %d attempt(s)", self.name, self._state.attempt)
                self._set_state(LIVE)
            counter += 1
            self.fps.tick()
            frame = Frame.wrap(image, self.name, counter)
            self.slot.put(frame)
            while self.on_demand and not self._stop.is_set():
                if self.slot.wait_taken(frame.id, 0.1):
                    break

    def _reconnect(self, reason: str) -> bool:
        """After a loss: reopens on this thread, waiting longer after each failure.

        The attempt count runs on until a frame arrives, so a device that opens but sends
        nothing still backs off. Returns False when the source was closed meanwhile.
        """
        attempt = self._state.attempt
        if attempt == 0:
            log.warning("%s: %s", self.name, reason or "lost")
        while not self._stop.is_set():
            attempt += 1
            self._set_state(SourceState("reconnecting", attempt, self._lost_message(attempt)))
            if self._stop.wait(self.backoff.delay(attempt)):
                return False
            try:
                self._reopen()
                return True
            except Exception as exc:  # noqa: BLE001 - any failure means: try again later
                log.debug("%s: reconnect attempt %d failed: %s", self.name, attempt, exc)
        return False

    def _set_state(self, state: SourceState) -> None:
        old, self._state = self._state, state
        listener = self.state_listener
        if listener is not None and (old.phase, old.message) != (state.phase, state.message):
            listener(state)

    def _lost_message(self, attempt: int) -> str:
        """What the user reads while the source is lost."""
        return f"camera lost - reconnecting, attempt {attempt}"

    def _read(self) -> np.ndarray | None:
        raise NotImplementedError

    def _reopen(self) -> None:
        """Releases and reopens the device after :class:`SourceLost` (capture thread).

        Raises:
            Exception: When it cannot be opened yet (the thread tries again later).
        """
        raise SourceLost(f"{self.name} cannot be reopened")

    def _release(self) -> None:
        pass
