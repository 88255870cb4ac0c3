"""The frames another worker has just classified (compare mode)."""

from __future__ import annotations

from camapp.capture.frames import FrameSource


class RelaySource(FrameSource):
    """Frames handed on by a first worker, for a second worker to classify (compare mode).

    Set ``first_worker.relay = relay.slot`` and give ``relay`` to the second worker: it then
    classifies the same frames (same ids, same box) while the first moves on to the next.
    Latest wins here too: when the second model is slower it skips frames.
    """

    kind = "relay"
    is_still = True

    def __init__(self, name: str = "relay") -> None:
        super().__init__(name)
