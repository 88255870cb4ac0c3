"""Generated frames for plumbing tests and benchmarks: no files, no camera."""

from __future__ import annotations

import cv2
import numpy as np

from camapp.capture.frames import FrameSource


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
