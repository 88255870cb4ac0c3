"""Frame sources, each with one capture thread writing into a one-frame slot.

Policy everywhere: latest wins. The capture thread overwrites a one-item slot (older frames
are dropped), and consumers take the newest frame they have not seen yet.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from camapp.base.errors import CamappError
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


class CameraSource(FrameSource):
    """A camera by index (``0``) or device path (``/dev/video0``) through OpenCV."""

    kind = "camera"

    def __init__(self, device: int | str, width: int | None = None, height: int | None = None):
        super().__init__(f"camera {device}")
        self.device = device
        self._cap = cv2.VideoCapture(device)
        if not self._cap.isOpened():
            self._cap.release()
            raise CamappError(
                f"no camera found at {device}",
                "plug one in, or open a photo, a folder of photos or a video "
                "(--source FILE_OR_FOLDER)",
            )
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest frame, not a backlog
        if width and height:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._failures = 0

    def _read(self) -> np.ndarray | None:
        while not self._stop.is_set():
            ok, image = self._cap.read()
            if ok:
                self._failures = 0
                self.error = None
                return image
            self._failures += 1
            if self._failures > 50:
                self.error = f"{self.name} stopped sending frames; was it unplugged?"
                return None
            self._stop.wait(0.02)
        return None

    def _release(self) -> None:
        self._cap.release()


class VideoSource(FrameSource):
    """A video file or stream URL.

    Files are paced at their own frame rate (``realtime``) and may loop; ``realtime=False``
    reads as fast as possible (benchmarks). Streams are read as they arrive.
    """

    kind = "video"

    def __init__(self, path: str, loop: bool = True, realtime: bool = True) -> None:
        self.is_stream = "://" in path
        super().__init__(Path(path).name if not self.is_stream else path)
        self.on_demand = not realtime and not self.is_stream
        if not self.is_stream and not Path(path).is_file():
            raise CamappError(f"video not found: {path}", "check the --source path")
        self.path = path
        self.loop = loop and not self.is_stream
        self.realtime = realtime and not self.is_stream
        self._cap = cv2.VideoCapture(path)
        if not self._cap.isOpened():
            self._cap.release()
            raise CamappError(
                f"cannot open video {path}",
                "is it a video file OpenCV can read (mp4, avi, mkv)?",
            )
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.native_fps = fps if 1.0 <= fps <= 240.0 else 30.0
        self._next_due = 0.0

    def _read(self) -> np.ndarray | None:
        ok, image = self._cap.read()
        if not ok and self.loop:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._cap.read()
        if not ok:
            return None
        if self.realtime:
            now = time.monotonic()
            if self._next_due == 0.0 or now - self._next_due > 0.5:
                self._next_due = now
            self._stop.wait(max(0.0, self._next_due - now))
            self._next_due += 1.0 / self.native_fps
        return image

    def _release(self) -> None:
        self._cap.release()


class SceneSource(FrameSource):
    """Still images ("scenes"): one photo, a folder of photos, or a list. N / P move on."""

    kind = "scenes"
    is_still = True

    def __init__(self, paths: Sequence[str | Path], name: str = "scenes") -> None:
        super().__init__(name)
        self.paths = [Path(p) for p in paths]
        if not self.paths:
            raise CamappError(f"no images in {name}", "add .jpg, .png or .bmp files")
        self.position = -1
        self._lock = threading.Lock()

    @classmethod
    def from_path(cls, path: str | Path) -> SceneSource:
        path = Path(path)
        if path.is_dir():
            images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
            if not images:
                raise CamappError(f"no images in folder {path}", "add .jpg, .png or .bmp files")
            return cls(images, name=path.name)
        return cls([path], name=path.name)

    def start(self) -> SceneSource:
        if self.position < 0:
            self.go_to(0)
        return self

    def go_to(self, position: int) -> Frame | None:
        """Shows scene ``position`` (wrapping); unreadable files are skipped with an error."""
        with self._lock:
            self.error = None
            for _ in range(len(self.paths)):
                position %= len(self.paths)
                path = self.paths[position]
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if image is not None:
                    self.position = position
                    frame = Frame.wrap(image, path.name, position)
                    self.fps.tick()
                    self.slot.put(frame)
                    return frame
                self.error = f"cannot read image {path}; skipped"
                position += 1
        raise CamappError(f"none of the images in {self.name} can be read")

    def next_scene(self) -> Frame | None:
        return self.go_to(self.position + 1)

    def previous_scene(self) -> Frame | None:
        return self.go_to(self.position - 1)


class SyntheticSource(FrameSource):
    """Generated frames (a moving gradient with a box): no files, no camera.

    For plumbing tests and ``camapp bench --source synthetic``; never a stand-in for real
    photos when checking what the model recognises.
    """

    kind = "synthetic"

    def __init__(self, width: int = 640, height: int = 480, fps: float | None = 30.0) -> None:
        super().__init__("synthetic")
        self.width, self.height, self.rate = width, height, fps
        self.on_demand = not fps
        yy, xx = np.mgrid[0:height, 0:width]
        base = np.dstack(
            [
                (xx * 255 // max(1, width - 1)),
                (yy * 255 // max(1, height - 1)),
                np.full_like(xx, 128),
            ]
        ).astype(np.uint8)
        # A second of frames made up front, so producing a frame costs nothing at full speed.
        self._frames = []
        for i in range(30):
            image = np.roll(base, i * 16, axis=1)
            x = (i * 17) % max(1, width - 100)
            cv2.rectangle(image, (x, height // 4), (x + 100, height // 4 + 100), (0, 0, 255), -1)
            image.setflags(write=False)
            self._frames.append(image)
        self._count = 0

    def _read(self) -> np.ndarray | None:
        if self.rate:
            self._stop.wait(1.0 / self.rate)
        self._count += 1
        return self._frames[self._count % len(self._frames)]


def open_source(spec: str | int, loop: bool = True, realtime: bool = True) -> FrameSource:
    """Opens what ``--source`` names (not started yet).

    Args:
        spec: Camera index (``0``), device path, video file, stream URL (``rtsp://``,
            ``http://``), image file, folder of images, or ``synthetic``.
        loop: Loop video files.
        realtime: Pace video files at their own frame rate.

    Raises:
        CamappError: When nothing usable is there.
    """
    text = str(spec).strip()
    if text.isdigit():
        return CameraSource(int(text))
    if text == "synthetic":
        return SyntheticSource(fps=30.0 if realtime else None)
    if "://" in text:
        return VideoSource(text, loop=False, realtime=False)
    if text.startswith("/dev/video"):
        return CameraSource(text)
    path = Path(text).expanduser()
    if not path.exists():
        raise CamappError(
            f"source not found: {text}",
            "give a camera number, a video, an image or a folder of images",
        )
    if path.is_dir():
        return SceneSource.from_path(path)
    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return SceneSource.from_path(path)
    if suffix in VIDEO_EXTENSIONS:
        return VideoSource(str(path), loop=loop, realtime=realtime)
    if cv2.haveImageReader(str(path)):
        return SceneSource.from_path(path)
    return VideoSource(str(path), loop=loop, realtime=realtime)
