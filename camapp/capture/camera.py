"""A camera by index or device path, read through OpenCV on the capture thread."""

from __future__ import annotations

import cv2
import numpy as np

from camapp.base.errors import CamappError
from camapp.capture.frames import FrameSource


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
