"""Keeps the camera on screen: reconnects, opening hours, and photos while it is away.

The capture sources reconnect a camera or stream that goes away by themselves and report
it through the session (``on_source_status``: reconnecting, then live). What they cannot
do, the keeper does: retry a camera that was not there at start (with a doubling wait),
close the camera outside opening hours and reopen it at opening time, and, in attract
mode while the camera is away, show the scenes folder (retrying the camera meanwhile; the
session swaps it back in as soon as it opens).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from camapp.base.kiosk_rules import OpeningHours
from camapp.capture.null import NullSource
from camapp.pipeline.events import SourceInfo
from camapp.pipeline.session import Session

log = logging.getLogger(__name__)

#: How often the opening hours are checked.
SCHEDULE_INTERVAL_MS = 15_000
#: Phases of the camera as the kiosk shows them.
STARTING, LIVE, LOST, CLOSED = "starting", "live", "lost", "closed"
LOST_MESSAGE = "Camera disconnected - reconnecting..."


class SourceKeeper(QObject):
    """The camera's phase (starting, live, lost, closed) and what to do about it.

    Args:
        session: The session whose source it keeps.
        spec: The camera (or video, stream, photo) to show.
        scenes: A folder of photos for attract mode while the camera is away.
        scene_seconds: How long each of those photos is shown.
        hours: Opening hours (``None``: always open).
        clock: The local time now (tests pass their own).
        max_wait: The longest wait between two attempts to open the camera.
    """

    #: The phase changed: phase, one line for the visitor ("" when live).
    phase_changed = pyqtSignal(str, str)
    #: The scenes folder is shown (True) in place of the camera, or no longer (False).
    scenes_shown = pyqtSignal(bool)

    def __init__(
        self,
        session: Session,
        spec: str,
        scenes: str | None = None,
        scene_seconds: float = 5.0,
        hours: OpeningHours | None = None,
        clock: Callable[[], datetime] = datetime.now,
        max_wait: float = 10.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.spec = spec
        self.scenes = scenes
        self.hours = hours
        self.clock = clock
        self.max_wait = max_wait
        self.phase = STARTING
        self.message = ""
        self.attempts = 0
        self.attracting = False
        self.showing_scenes = False
        self._scenes_requested = False
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._on_retry_timer_timeout)
        self._cycle = QTimer(self)
        self._cycle.setInterval(round(scene_seconds * 1000))
        self._cycle.timeout.connect(self._on_cycle_timer_timeout)
        self._schedule = QTimer(self)
        self._schedule.setInterval(SCHEDULE_INTERVAL_MS)
        self._schedule.timeout.connect(self.check_schedule)

    @property
    def is_open(self) -> bool:
        return self.hours is None or self.hours.is_open(self.clock())

    def start(self) -> None:
        """Opens the camera, or shows the closed card outside opening hours."""
        if self.hours is not None:
            self._schedule.start()
        if self.is_open:
            self.session.open_source(self.spec)
        else:
            self._close()

    def stop(self) -> None:
        for timer in (self._retry, self._cycle, self._schedule):
            timer.stop()

    def check_schedule(self) -> None:
        """Closes at closing time and reopens at opening time (also called by a timer)."""
        if self.is_open and self.phase == CLOSED:
            log.info("opening time: starting the camera")
            self._set_phase(STARTING)
            self.session.open_source(self.spec)
        elif not self.is_open and self.phase != CLOSED:
            log.info("closing time: camera and recognition stop until opening time")
            self._close()

    def closed_text(self) -> str:
        return self.hours.opening_text(self.clock()) if self.hours is not None else ""

    def _close(self) -> None:
        self._retry.stop()
        self._cycle.stop()
        self._show_scenes(False)
        self._set_phase(CLOSED)
        self.session.open_source(NullSource("closed"))  # the camera is released

    # -- attract mode -----------------------------------------------------------------------
    def set_attract(self, attracting: bool) -> None:
        self.attracting = attracting
        self._update_scenes()

    def _update_scenes(self) -> None:
        wanted = self.attracting and self.phase == LOST and bool(self.scenes)
        if wanted and not self._scenes_requested:
            log.info("camera away in attract mode: showing the photos of %s", self.scenes)
            self._scenes_requested = True
            self.session.open_source(str(self.scenes))
            if not self._retry.isActive():
                self._schedule_retry()
        if wanted and self.showing_scenes:
            self._cycle.start()
        else:
            self._cycle.stop()

    def _on_cycle_timer_timeout(self) -> None:
        if self.showing_scenes:
            self.session.next_scene()

    # -- session events (queued to the GUI thread) ------------------------------------------
    def on_source_changed(self, info: SourceInfo) -> None:
        if info.spec == self.spec and self.phase != CLOSED:
            if self.phase == LOST:
                log.info("camera %s is back", self.spec)
            self.attempts = 0
            self._show_scenes(False)
            self._retry.stop()
            self._set_phase(LIVE)
        elif self.scenes and info.spec == str(self.scenes):
            self._show_scenes(True)
        self._update_scenes()

    def on_source_failed(self, spec: str, message: str) -> None:
        if self.phase == CLOSED:
            return
        if spec == self.spec:
            report = log.warning if self.attempts == 0 else log.debug
            report("camera %s: %s; trying again", spec, message)
            self._set_phase(LOST)
            self._schedule_retry()
        elif self.scenes and spec == str(self.scenes):
            log.warning("attract mode cannot show %s: %s", spec, message)
            self.scenes, self._scenes_requested = None, False  # the lost card stays instead
        self._update_scenes()

    def on_source_status(self, spec: str, state: object) -> None:
        """The running camera is lost and reconnecting by itself, or live again."""
        phase = getattr(state, "phase", "")
        if spec != self.spec or self.phase == CLOSED:
            return
        if phase == "reconnecting":
            self._set_phase(LOST)
        elif phase == "live" and self.phase == LOST and not self.showing_scenes:
            self._set_phase(LIVE)
        self._update_scenes()

    def _show_scenes(self, shown: bool) -> None:
        self._scenes_requested = self._scenes_requested and shown
        if shown != self.showing_scenes:
            self.showing_scenes = shown
            self.scenes_shown.emit(shown)

    def _schedule_retry(self) -> None:
        self.attempts += 1
        wait = min(self.max_wait, 0.5 * 2.0 ** min(self.attempts - 1, 20))
        self._retry.start(round(wait * 1000))

    def _on_retry_timer_timeout(self) -> None:
        if self._scenes_requested and not self.showing_scenes:
            self._retry.start()  # the latest open wins: let the photos open first
        elif self.phase != CLOSED and (self.phase == LOST or self.showing_scenes):
            self.session.open_source(self.spec)  # the scenes run on until it opens

    def _set_phase(self, phase: str) -> None:
        message = {LOST: LOST_MESSAGE, CLOSED: "Closed", STARTING: "Getting ready..."}
        text = message.get(phase, "")
        if (phase, text) != (self.phase, self.message):
            self.phase, self.message = phase, text
            self.phase_changed.emit(phase, text)
