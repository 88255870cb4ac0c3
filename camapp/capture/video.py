"""A video file or a stream URL, read through OpenCV on the capture thread."""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np

from camapp.base.errors import CamappError
from camapp.capture.frames import FrameSource, SourceLost

#: Seconds a stream may take to open, and to deliver its next frame (``stream_timeout``).
STREAM_TIMEOUT_S = 10.0
_TIMEOUT_HINT = "stream_timeout in the config file sets how long to wait"


class VideoSource(FrameSource):
    """A video file or stream URL.

    Files are paced at their own frame rate (``realtime``) and may loop; ``realtime=False``
    reads as fast as possible (benchmarks). Streams are read as they arrive, through FFmpeg
    with ``timeout`` seconds to open and to deliver each frame, so a silent or stalled server
    costs at most that long.

    A stream that stops (server gone, or nothing within ``timeout``) is reopened by the
    capture thread with backoff. A looping file is checked at each rewind: a file replaced
    at its path is reopened (the new video plays); a file that is gone is reported once
    ("video file gone: PATH") and reopened when it is back, as a kiosk whose video is being
    updated wants, instead of replaying a deleted file from an open handle.

    Raises:
        CamappError: When the file is missing or the video cannot be opened (in time).
    """

    kind = "video"

    def __init__(
        self, path: str, loop: bool = True, realtime: bool = True, timeout: float = STREAM_TIMEOUT_S
    ) -> None:
        self.is_stream = "://" in path
        super().__init__(Path(path).name if not self.is_stream else path)
        self.on_demand = not realtime and not self.is_stream
        if not self.is_stream and not Path(path).is_file():
            raise CamappError(f"video not found: {path}", "check the --source path")
        self.path = path
        self.timeout = float(timeout)
        self.loop = loop and not self.is_stream
        self.realtime = realtime and not self.is_stream
        self._identity: tuple[int, int, int] | None = None
        started = time.monotonic()
        self._cap = self._open()
        if not self._cap.isOpened():
            self._cap.release()
            if not self.is_stream:
                raise CamappError(
                    f"cannot open video {path}",
                    "is it a video file OpenCV can read (mp4, avi, mkv)?",
                )
            if time.monotonic() - started >= 0.8 * self.timeout:
                raise CamappError(
                    f"no answer from {path} within {self.timeout:g} s",
                    f"check the address and that the camera is on; {_TIMEOUT_HINT}",
                )
            raise CamappError(
                f"cannot open stream {path}", "check the address and that the camera is on"
            )
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.native_fps = fps if 1.0 <= fps <= 240.0 else 30.0
        self._next_due = 0.0

    def _open(self) -> cv2.VideoCapture:
        """A new capture of :attr:`path`; the identity of the file it opened is remembered."""
        if not self.is_stream:
            self._identity = _identity(self.path)
            return cv2.VideoCapture(self.path)
        ms = max(1, int(self.timeout * 1000))
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
        return cv2.VideoCapture(self.path, cv2.CAP_FFMPEG, params)

    def _read(self) -> np.ndarray | None:
        ok, image = self._cap.read()
        if not ok and self.is_stream:
            raise SourceLost(f"stream stopped (nothing within {self.timeout:g} s or closed)")
        if not ok and self.loop:
            identity = _identity(self.path)
            if identity is None:
                raise SourceLost(self._lost_message(1))
            if identity != self._identity:  # replaced at its path: play the new file
                self._reopen()
            else:
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._cap.read()
            if not ok:
                raise SourceLost(f"cannot read {self.path} any more")
        if not ok:
            return None
        if self.realtime:
            now = time.monotonic()
            if self._next_due == 0.0 or now - self._next_due > 0.5:
                self._next_due = now
            self._stop.wait(max(0.0, self._next_due - now))
            self._next_due += 1.0 / self.native_fps
        return image

    def _reopen(self) -> None:
        self._cap.release()
        if not self.is_stream and not Path(self.path).is_file():
            raise SourceLost(f"video file gone: {self.path}")
        cap = self._open()
        if not cap.isOpened():
            cap.release()
            raise SourceLost(f"cannot open {self.path}")
        self._cap = cap
        self._next_due = 0.0

    def _lost_message(self, attempt: int) -> str:
        if self.is_stream:
            return super()._lost_message(attempt)
        if not Path(self.path).exists():
            return f"video file gone: {self.path}"
        return f"cannot read video {self.path} - retrying, attempt {attempt}"

    def _release(self) -> None:
        self._cap.release()


def _identity(path: str) -> tuple[int, int, int] | None:
    """Device, inode and modification time of ``path``; None when it is gone."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino, stat.st_mtime_ns
