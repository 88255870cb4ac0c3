"""A session's source: opened on its own thread, switched in when running, photos stepped.

:class:`SourceSwitcher` is the part of :class:`~camapp.pipeline.session.Session` that owns
the frame source: the ``camapp-source-opener`` thread opens a camera, stream, video or
photos without blocking anyone (latest request wins) and swaps it in once it runs; the
``camapp-scene-stepper`` thread moves through photos (N / P) and adds your own photo next
to the one shown. Everything it has to say goes to the session's listeners.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from camapp.base.errors import CamappError
from camapp.base.latest import LatestOnlyExecutor
from camapp.capture.frames import IMAGE_EXTENSIONS, Backoff, Frame, FrameSource, SourceState
from camapp.capture.null import NullSource
from camapp.capture.scenes import OPTIONAL_PHOTO_EXTENSIONS, SceneSource, SceneStepper
from camapp.pipeline.events import Listener, SourceInfo

#: Opens what a source spec names (blocking); :func:`camapp.capture.sources.open_source`.
SourceOpener = Callable[[str], FrameSource]


def is_photo_file(path: str | Path) -> bool:
    """Whether ``path`` is a still photo file (an animated GIF plays as a video instead)."""
    path = Path(path)
    suffix = path.suffix.lower()
    photo = suffix in IMAGE_EXTENSIONS | OPTIONAL_PHOTO_EXTENSIONS and suffix != ".gif"
    return photo and path.is_file()


class SourceSwitcher:
    """Opens sources in the background, switches to them, and steps through photos.

    Args:
        opener: Opens a source spec (blocking; runs on the opener thread).
        backoff: Waits between attempts to reopen a lost camera, stream or video file.
        lock: The session's lock: the running source changes under it.
        listeners: The session's listeners now (called on core threads).
        closed: Whether the session is closed.
        switched: Called with each new running source before listeners hear of it (the
            session's worker classifies its frames from then on).
        failed: Called with a message when a photo cannot be shown (session's ``on_error``).
        synchronous: Open and step inside the calls that ask for it (tests).
    """

    def __init__(
        self,
        opener: SourceOpener,
        backoff: Backoff,
        lock: threading.RLock,
        listeners: Callable[[], list[Listener]],
        closed: Callable[[], bool],
        switched: Callable[[FrameSource], None],
        failed: Callable[[str], None],
        synchronous: bool = False,
    ) -> None:
        self._opener = opener
        self._backoff = backoff
        self._lock = lock
        self._listeners = listeners
        self._closed = closed
        self._switched = switched
        self.source: FrameSource = NullSource()
        self.spec = ""
        self.info: SourceInfo | None = None
        self._executor = LatestOnlyExecutor("camapp-source-opener", synchronous)
        self._scenes = SceneStepper(self._on_scene_moved, failed, synchronous=synchronous)

    @property
    def threads(self) -> list[threading.Thread]:
        """The opener and stepper threads (once started) and the running source's own."""
        owned = (self._executor.thread, self._scenes.thread, getattr(self.source, "_thread", None))
        return [t for t in owned if isinstance(t, threading.Thread)]

    def stop(self) -> None:
        """Joins the opener and stepper threads (the session closes the running source)."""
        self._executor.close()
        self._scenes.close()

    # -- opening ------------------------------------------------------------------------------
    def open(self, source: str | int | FrameSource) -> None:
        """Opens ``source`` on the opener thread; see :meth:`Session.open_source`."""
        spec = source.name if isinstance(source, FrameSource) else str(source)
        if isinstance(source, FrameSource) or "://" in spec:
            connecting = SourceState("connecting", 0, f"connecting to {spec}...")
            for listener in self._listeners():
                listener.on_status(connecting.message)
                listener.on_source_status(spec, connecting)
        self._executor.submit(lambda current: self._open(source, spec, current))

    def _open(
        self, source: str | int | FrameSource, spec: str, current: Callable[[], bool]
    ) -> None:
        """Runs on the opener thread: open, start, swap in, close the old source."""
        try:
            new = source if isinstance(source, FrameSource) else self._opener(spec)
            new.backoff = self._backoff
            new.state_listener = lambda state: self.report_state(new, state)
            try:
                new.start()
            except BaseException:
                new.close()
                raise
        except Exception as exc:  # noqa: BLE001 - any failure is one line for the user
            if current():
                message = str(exc) if isinstance(exc, CamappError) else f"{type(exc).__name__}"
                if not isinstance(exc, CamappError):
                    message = f"cannot open {spec}: {message}: {exc}"
                for listener in self._listeners():
                    listener.on_source_failed(spec, message)
                self.report_state(self.source)  # what runs now ("connecting" ends)
            return
        with self._lock:
            stale = not current() or self._closed()
            if not stale:
                old, self.source, self.spec = self.source, new, spec
                scenes = len(getattr(new, "paths", ()) or ())
                self.info = SourceInfo(spec, new.name, new.kind, new.is_still, scenes)
                info = self.info
        if stale:
            new.close()
            return
        self._switched(new)
        for listener in self._listeners():
            listener.on_source_changed(info)
        self.report_state(new)
        old.close()

    def report_state(self, source: FrameSource, state: SourceState | None = None) -> None:
        """Reports the running source's state (lost, reconnecting, live) to the listeners."""
        with self._lock:
            if source is not self.source or self._closed():
                return  # not (or no longer) the running source
            spec, state = self.spec, state or source.state
        for listener in self._listeners():
            if state.message:
                listener.on_status(state.message)
            listener.on_source_status(spec, state)

    def wait(self, timeout: float) -> bool:
        """Waits until no source is being opened; False on timeout."""
        return self._executor.wait_idle(timeout)

    # -- photos -------------------------------------------------------------------------------
    def step(self, count: int) -> bool:
        """Moves ``count`` photos on or back in the background; False for live sources."""
        return self._scenes.step(self.source, count)

    def add_photo(self, path: str | Path) -> bool:
        """Adds a photo next to the one shown (photos showing), else opens it; see Session."""
        if is_photo_file(path) and self._scenes.insert(self.source, path):
            return True
        self.open(str(path))
        return False

    def _on_scene_moved(self, source: SceneSource, frame: Frame) -> None:
        if source is not self.source or self._closed():
            return  # another source was opened meanwhile
        for listener in self._listeners():
            listener.on_scene_changed(frame.name, frame.index, len(source.paths))
