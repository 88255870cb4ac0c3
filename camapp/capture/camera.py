"""A camera by index or device path, read through OpenCV on the capture thread."""

from __future__ import annotations

import cv2
import numpy as np

from camapp.base.errors import CamappError
from camapp.capture.frames import FrameSource, SourceLost

#: Failed reads in a row (about 20 ms apart) before the camera counts as lost.
LOST_AFTER_FAILURES = 50


class CameraSource(FrameSource):
    """A camera by index (``0``) or device path (``/dev/video0``) through OpenCV.

    A camera that stops sending (unplugged, or its driver hung) is reported as lost and
    reopened by the capture thread with backoff until it sends again.

    Raises:
        CamappError: When there is no camera at ``device``.
    """

    kind = "camera"

    def __init__(self, device: int | str, width: int | None = None, height: int | None = None):
        super().__init__(f"camera {device}")
        self.device = device
        self.size = (width, height) if width and height else None
        self._cap = self._open()
        self._failures = 0

    def _open(self) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(self.device)
        if not cap.isOpened():
            cap.release()
            raise CamappError(
                f"no camera found at {self.device}",
                "plug one in, or open a photo, a folder of photos or a video "
                "(--source FILE_OR_FOLDER)",
            )
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest frame, not a backlog
        if self.size:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        return cap

    def _read(self) -> np.ndarray | None:
        while not self._stop.is_set():
            ok, image = self._cap.read()
            if ok:
                self._failures = 0
                return image
            self._failures += 1
            if self._failures > LOST_AFTER_FAILURES:
                self._failures = 0
                raise SourceLost(f"{self.name} stopped sending frames; was it unplugged?")
            self._stop.wait(0.02)
        return None

    def _reopen(self) -> None:
        self._cap.release()
        self._cap = self._open()

    def _release(self) -> None:
        self._cap.release()
