"""The source with no frames: what a worker watches before (or instead of) a real source."""

from __future__ import annotations

from camapp.capture.frames import FrameSource


class NullSource(FrameSource):
    """No frames, no thread: a placeholder until a real source has opened."""

    kind = "none"
    is_still = True

    def __init__(self, name: str = "nothing") -> None:
        super().__init__(name)
