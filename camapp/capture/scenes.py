"""Still photos ("scenes"): one photo, a folder or a list, stepped through with N and P."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2

from camapp.base.errors import CamappError
from camapp.base.latest import LatestOnlyExecutor
from camapp.capture.frames import IMAGE_EXTENSIONS, Frame, FrameSource
from camapp.capture.video import VideoSource

#: Photo formats that some OpenCV builds decode and others do not (HEIF needs libheif, AVIF
#: libavif): a file is shown when this build reads it, else it is listed as skipped.
OPTIONAL_PHOTO_EXTENSIONS = {".heic", ".heif", ".avif", ".jxl", ".jp2"}

#: What to do about a photo format this OpenCV build cannot read.
CONVERT_HINT = "convert them to JPEG or PNG"


class SceneSource(FrameSource):
    """Still images ("scenes"): one photo, a folder of photos, or a list. N / P move on.

    Decoding runs on the caller's thread (a 48 MP photo takes most of a second), so the
    window steps through :class:`~camapp.pipeline.session.Session`, which moves it on a
    thread of its own. Unreadable files are skipped in the direction of travel.

    Attributes:
        skipped: Why files of the folder were left out (empty when none were), e.g.
            ``"2 photos skipped: .heic is not supported by this OpenCV build"``.
    """

    kind = "scenes"
    is_still = True

    def __init__(
        self, paths: Sequence[str | Path], name: str = "scenes", skipped: str = ""
    ) -> None:
        super().__init__(name)
        self.paths = [Path(p) for p in paths]
        if not self.paths:
            raise CamappError(f"no images in {name}", "add .jpg, .png or .bmp files")
        self.skipped = skipped
        self.position = -1
        self._lock = threading.Lock()

    @classmethod
    def from_path(cls, path: str | Path) -> SceneSource:
        """A photo, or every photo of a folder this OpenCV build can read, by name.

        Raises:
            CamappError: When the folder holds no photo that can be shown.
        """
        path = Path(path)
        if not path.is_dir():
            return cls([path], name=path.name)
        images: list[Path] = []
        unreadable: Counter[str] = Counter()
        for item in sorted(path.iterdir()):
            suffix = item.suffix.lower()
            if suffix in IMAGE_EXTENSIONS:
                images.append(item)
            elif suffix in OPTIONAL_PHOTO_EXTENSIONS:
                if cv2.haveImageReader(str(item)):
                    images.append(item)
                else:
                    unreadable[suffix] += 1
        skipped = skipped_message(unreadable)
        if not images and skipped:
            raise CamappError(f"no photo in folder {path} can be shown: {skipped}", CONVERT_HINT)
        if not images:
            raise CamappError(f"no images in folder {path}", "add .jpg, .png or .bmp files")
        return cls(images, name=path.name, skipped=skipped)

    def start(self) -> SceneSource:
        if self.position < 0:
            self.go_to(0)
            if self.skipped:  # said once, with the first photo
                self.error = f"{self.error}; {self.skipped}" if self.error else self.skipped
        return self

    def go_to(self, position: int, direction: int = 1) -> Frame | None:
        """Shows scene ``position`` (wrapping), decoding it on the calling thread.

        Args:
            position: Index into :attr:`paths`; any integer (it wraps).
            direction: Where to look when the file cannot be read: ``1`` on (N), ``-1``
                back (P). Skipped files leave a message in :attr:`error`.

        Raises:
            CamappError: When none of the photos can be read.
        """
        step = -1 if direction < 0 else 1
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
                    if path.suffix.lower() == ".gif" and gif_frame_count(path) > 1:
                        self.error = (
                            f"{path.name} is animated: showing its first frame "
                            "(open the file on its own to play it)"
                        )
                    return frame
                self.error = f"cannot read image {path}; skipped"
                position += step
        raise CamappError(f"none of the images in {self.name} can be read")

    def step(self, count: int) -> Frame | None:
        """Moves ``count`` photos on (negative: back) in one decode."""
        return self.go_to(self.position + count, direction=count)

    def insert(self, path: str | Path) -> Frame:
        """Adds photo ``path`` right after the one shown and shows it (decoded on this thread).

        A photo already in the list is shown where it is, not added twice.

        Raises:
            CamappError: When ``path`` cannot be read as a photo (the list stays as it was).
        """
        path = Path(path)
        if path in self.paths:
            frame = self.go_to(self.paths.index(path))
            assert frame is not None, "go_to returns a frame or raises"
            return frame
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise CamappError(f"cannot read image {path}", "add a .jpg, .png or .bmp photo")
        with self._lock:
            at = min(self.position + 1, len(self.paths))
            self.paths = [*self.paths[:at], path, *self.paths[at:]]  # a new list: readers
            self.position = at  # on other threads keep a consistent one
            self.error = None
            frame = Frame.wrap(image, path.name, at)
            self.fps.tick()
            self.slot.put(frame)
        return frame

    def next_scene(self) -> Frame | None:
        return self.step(+1)

    def previous_scene(self) -> Frame | None:
        return self.step(-1)


class SceneStepper:
    """Steps a :class:`SceneSource` on a thread of its own; presses add up, none is lost.

    Decoding a 48 MP photo takes most of a second, and N / P must return at once. Each
    :meth:`step` (and each photo :meth:`insert` adds) joins a list of pending moves and
    submits a job to a :class:`~camapp.base.latest.LatestOnlyExecutor`, whose thread makes
    the moves in order, consecutive steps in one decode. Jobs may coalesce (latest wins),
    the moves do not: three quick N presses move three photos, and only the third photo is
    decoded.

    Args:
        on_moved: Called on the stepping thread with the source and its new frame.
        on_failed: Called on the stepping thread with a message when no photo can be read.
        name: The thread's name.
        synchronous: Step inside :meth:`step` (tests).
    """

    def __init__(
        self,
        on_moved: Callable[[SceneSource, Frame], None],
        on_failed: Callable[[str], None],
        name: str = "camapp-scene-stepper",
        synchronous: bool = False,
    ) -> None:
        self._on_moved = on_moved
        self._on_failed = on_failed
        self._executor = LatestOnlyExecutor(name, synchronous)
        self._lock = threading.Lock()
        self._source: SceneSource | None = None  # only while a move is pending
        self._moves: list[int | Path] = []  # steps (photos on or back) and photos to add

    @property
    def thread(self) -> threading.Thread | None:
        """The stepping thread, once a step was asked for."""
        return self._executor.thread

    def step(self, source: FrameSource, count: int) -> bool:
        """Moves ``source`` ``count`` photos on (negative: back), in the background.

        Returns:
            False when ``source`` has no photos to step through (nothing happens).
        """
        return self._queue(source, count)

    def insert(self, source: FrameSource, path: str | Path) -> bool:
        """Adds photo ``path`` after the one ``source`` shows and shows it, in the background.

        Returns:
            False when ``source`` is no list of photos (nothing happens).
        """
        return self._queue(source, Path(path))

    def _queue(self, source: FrameSource, move: int | Path) -> bool:
        if not isinstance(source, SceneSource):
            return False
        with self._lock:
            if source is not self._source:  # another source: earlier presses are void
                self._source, self._moves = source, []
            moves = self._moves
            if isinstance(move, int) and moves and isinstance(moves[-1], int):
                moves[-1] += move
            else:
                moves.append(move)
        self._executor.submit(self._run)
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no move is waiting or running; False on timeout."""
        return self._executor.wait_idle(timeout)

    def close(self) -> None:
        """Drops pending presses, lets a running decode finish, joins the thread."""
        self._executor.close()
        with self._lock:
            self._source, self._moves = None, []

    def _run(self, current: Callable[[], bool]) -> None:
        with self._lock:  # take every move so far; later ones start a new list
            source, moves = self._source, self._moves
            self._source, self._moves = None, []
        if source is None:
            return
        for move in moves:
            if move == 0:
                continue
            try:
                frame = source.step(move) if isinstance(move, int) else source.insert(move)
            except CamappError as exc:
                self._on_failed(str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - a photo OpenCV chokes on is a message
                self._on_failed(f"cannot show the next photo of {source.name}: {exc}")
                continue
            if frame is not None:
                self._on_moved(source, frame)


def skipped_message(unreadable: Counter[str]) -> str:
    """``"2 photos skipped: .heic is not supported by this OpenCV build"`` ("" for none)."""
    total = sum(unreadable.values())
    if not total:
        return ""
    kinds = sorted(unreadable)
    names = ", ".join(kinds[:-1]) + f" and {kinds[-1]}" if len(kinds) > 1 else kinds[0]
    verb = "are" if len(kinds) > 1 else "is"
    photos = "photo" if total == 1 else "photos"
    return f"{total} {photos} skipped: {names} {verb} not supported by this OpenCV build"


def gif_frame_count(path: Path) -> int:
    """Frames in a GIF (1 for a still one, 0 when it cannot be read)."""
    try:
        count = int(cv2.imcount(str(path)))
    except cv2.error:
        count = 0
    if count > 0:
        return count
    # OpenCV before 4.11 has no GIF decoder for imread; its FFmpeg capture reads GIFs.
    capture = cv2.VideoCapture(str(path))
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    finally:
        capture.release()


def open_photos(path: Path, loop: bool = True, realtime: bool = True) -> FrameSource:
    """A photo or a folder of photos as a source (not started yet).

    An animated GIF plays like a video (looping, at its own frame rate); a photo in a
    format this OpenCV build cannot read is refused with the reason.

    Args:
        path: A photo file or a folder of photos.
        loop: Loop an animated GIF.
        realtime: Pace an animated GIF at its own frame rate.

    Raises:
        CamappError: When nothing can be shown.
    """
    suffix = path.suffix.lower()
    if path.is_file() and suffix == ".gif" and gif_frame_count(path) > 1:
        return VideoSource(str(path), loop=loop, realtime=realtime)
    readable = suffix not in OPTIONAL_PHOTO_EXTENSIONS or cv2.haveImageReader(str(path))
    if path.is_file() and not readable:
        raise CamappError(
            f"cannot show {path.name}: {suffix} is not supported by this OpenCV build",
            "convert it to JPEG or PNG",
        )
    return SceneSource.from_path(path)
