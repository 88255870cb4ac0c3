"""Unpaced frame producers: still photos replayed as a stream, and a few sampled frames."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from camapp.base.errors import CamappError
from camapp.capture.frames import FrameSource
from camapp.capture.sources import open_source


class StillLoopSource(FrameSource):
    """Republishes still images at full speed, each as a fresh buffer.

    A still source publishes its photo once; a benchmark needs frames arriving as fast as
    the pipeline takes them, like a video of that photo. The source is on demand: it makes
    the next frame only once the current one was taken (latest wins, no queue).
    """

    kind = "still-loop"
    on_demand = True

    def __init__(self, images: Sequence[np.ndarray], name: str) -> None:
        """Creates the source (not started yet).

        Args:
            images: The ``H x W x 3`` BGR images to cycle through.
            name: What the frames show, e.g. the name of the still source.

        Raises:
            ValueError: When ``images`` is empty.
        """
        if not images:
            raise ValueError("a still loop needs at least one image")
        super().__init__(name)
        self._images = list(images)
        self._count = 0

    def _read(self) -> np.ndarray | None:
        self._count += 1
        # A typed local: under python_version 3.10, NumPy's stubs type ndarray.copy() as Any.
        image: np.ndarray = self._images[self._count % len(self._images)].copy()
        return image


def still_images(source: FrameSource, limit: int = 16) -> list[np.ndarray]:
    """Every image of a still source (a photo or a folder of photos), up to ``limit``.

    Starts the source, steps through its scenes and closes it.

    Args:
        source: A still source (``source.is_still``), not started yet.
        limit: Most images to read.

    Returns:
        The images in scene order.

    Raises:
        CamappError: When the source gives no image.
    """
    images: list[np.ndarray] = []
    ids: set[int] = set()
    frame = source.start().latest()
    while frame is not None and frame.id not in ids and len(images) < limit:
        ids.add(frame.id)
        images.append(frame.image)
        if len(getattr(source, "paths", ())) <= len(images):
            break
        frame = source.next_scene()
    source.close()
    if not images:
        raise CamappError(f"{source.name} gave no image", "check the --source path")
    return images


def open_unpaced_source(spec: str) -> FrameSource:
    """Opens what ``--source`` names at full speed (not started yet).

    Videos and synthetic frames are unpaced; still images are replayed by a
    :class:`StillLoopSource`.

    Args:
        spec: Anything :func:`~camapp.capture.sources.open_source` accepts.

    Returns:
        An on-demand source where the kind of source allows it.

    Raises:
        CamappError: When nothing usable is there.
    """
    source = open_source(spec, loop=True, realtime=False)
    if source.is_still:
        return StillLoopSource(still_images(source), source.name)
    return source


def sample_frames(spec: str, count: int = 8) -> list[np.ndarray]:
    """A few frames of an unpaced source (which also checks that the source works).

    Each frame is taken from the slot, so on-demand sources produce the next one.

    Args:
        spec: Anything :func:`open_unpaced_source` accepts.
        count: How many frames to collect (fewer if the source ends within 10 s).

    Returns:
        The images, in the order the source produced them.

    Raises:
        CamappError: When the source cannot be opened or gives no frame.
    """
    source = open_unpaced_source(spec)
    frames: list[np.ndarray] = []
    try:
        source.start()
        last_id = 0
        deadline = time.monotonic() + 10.0
        while len(frames) < count and time.monotonic() < deadline:
            frame = source.wait_newer(last_id, 0.5)
            if frame is None:
                if source.finished or source.error:
                    break
                continue
            source.slot.take()  # consumed: an on-demand source produces the next one now
            last_id = frame.id
            frames.append(frame.image)
    finally:
        source.close()
    if not frames:
        why = f" ({source.error})" if source.error else ""
        raise CamappError(f"source {spec} gave no frames{why}", "check the --source path")
    return frames


__all__ = ["StillLoopSource", "open_unpaced_source", "sample_frames", "still_images"]
