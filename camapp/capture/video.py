"""A video file or a stream URL, read through OpenCV on the capture thread."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from camapp.base.errors import CamappError
from camapp.capture.frames import FrameSource


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
