"""The kiosk window: a second view over the same :class:`Session` as the desktop window.

The live picture fills the screen; the answer is a large card across the top; the variant
buttons (model speed here against published accuracy) run along the bottom, with a small
speed line above them. There are no menus, dialogs or docks, and no way out for visitors:
close requests are refused and keys swallowed (:mod:`~camapp.ui.kiosk.lockdown`). The
window only shows: session events arrive through a :class:`SessionBridge`, and visitor
gestures call session methods.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from PyQt6.QtCore import QEvent, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QCloseEvent, QColor, QPalette, QResizeEvent
from PyQt6.QtWidgets import QApplication, QWidget

from camapp.base.kiosk_rules import OpeningHours
from camapp.base.settings import KioskSettings
from camapp.pipeline.events import ModelInfo, Prediction, SourceInfo
from camapp.pipeline.session import Session
from camapp.ui.bridge import SessionBridge, connect_queued
from camapp.ui.kiosk.attract import IdleWatcher
from camapp.ui.kiosk.buttons import Variant, VariantBar, title_for
from camapp.ui.kiosk.keeper import CLOSED, LIVE, LOST, SourceKeeper
from camapp.ui.kiosk.layout import KioskLayout, compute_layout
from camapp.ui.kiosk.lockdown import Lockdown, PinPad
from camapp.ui.kiosk.overlay import AnswerCard, Card, InfoCard, SpeedLine
from camapp.ui.kiosk.probe import ModelProbe, ProbeResult, sort_results
from camapp.ui.kiosk.status import speed_text
from camapp.ui.kiosk.video import KioskVideoView
from camapp.ui.kiosk.watchdog import Heartbeat, SystemdNotifier

log = logging.getLogger(__name__)

#: How often the speed line (and systemd's STATUS=) is refreshed.
SPEED_INTERVAL_MS = 500
#: How long the start-up notice about refused models stays.
NOTICE_MS = 12_000
HINT = ("Hold something up to the camera", "The box in the middle is what the model looks at")


class KioskWindow(QWidget):
    """The kiosk over a :class:`Session`, which it starts once the models are measured.

    Args:
        session: The controller (not started, no source yet); the window owns it now.
        kiosk: The ``kiosk:`` settings.
        source: The camera (or video, stream, photo) to show.
        model: The model to start with (``None``: the first kiosk model fast enough).
        clock: Local time now, for the opening hours (tests pass their own).
        environ: Where ``$NOTIFY_SOCKET`` and ``$WATCHDOG_USEC`` are read.
        max_wait: The longest wait between two attempts to open a missing camera.
    """

    #: The answer of the main model (a :class:`Prediction`) was put on screen.
    answer_shown = pyqtSignal(object)
    #: The second model's answer was put on screen (split view).
    compare_answer_shown = pyqtSignal(object)
    #: A model (:class:`ModelInfo`) answers from now on.
    model_shown = pyqtSignal(object)
    #: The models were measured: the variants that got a button.
    variants_ready = pyqtSignal(list)
    #: Attract mode began (True) or ended (False).
    attract_changed = pyqtSignal(bool)
    #: The window closed and the session's threads are joined.
    closed = pyqtSignal()

    def __init__(
        self,
        session: Session,
        kiosk: KioskSettings,
        source: str,
        *,
        model: str | None = None,
        clock: Callable[[], datetime] = datetime.now,
        environ: Mapping[str, str] | None = None,
        max_wait: float = 10.0,
    ) -> None:
        super().__init__(None, Qt.WindowType.FramelessWindowHint)
        self.setObjectName("kioskWindow")
        self.setWindowTitle("camapp kiosk")
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(0, 0, 0))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        self.session, self.kiosk = session, kiosk
        self._wanted_model = model
        self.variants: list[Variant] = []
        self.refused: list[ProbeResult] = []
        self.last_prediction: Prediction | None = None
        self.close_requests = 0
        self._generation = 0
        self._leaving = self._closed = False
        self._split = False
        self.layout_now: KioskLayout | None = None
        self._frame_size: tuple[int, int] | None = None

        self.video = KioskVideoView(self)
        self.video.set_roi(session.roi, notify=False)
        self.video.roi_changed.connect(session.set_roi)
        self.answers = [AnswerCard("answerCard", self), AnswerCard("compareCard", self)]
        self.answers[0].show_answer("Getting ready...", None)
        self.answers[1].hide()
        self.speed = SpeedLine(self)
        self.bar = VariantBar(self)
        self.bar.chosen.connect(self.choose_model)
        self.hint = InfoCard("attractHint", accent=True, parent=self)
        self.message = InfoCard("messageCard", parent=self)
        self.notice = InfoCard("noticeCard", parent=self)
        self.closed_card = InfoCard("closedCard", opaque=True, parent=self)
        self.pin_pad = PinPad(kiosk.pin, self) if kiosk.pin else None

        self.bridge = SessionBridge(self)
        b = self.bridge
        connect_queued(b.prediction_ready, self._on_session_prediction_ready)
        connect_queued(b.model_changed, self._on_session_model_changed)
        connect_queued(b.source_changed, self._on_session_source_changed)
        connect_queued(b.error_raised, self._on_session_error_raised)
        hours = OpeningHours(kiosk.hours) if kiosk.hours else None
        self.keeper = SourceKeeper(
            session, source, kiosk.scenes, kiosk.scene_seconds, hours, clock, max_wait, self
        )
        connect_queued(b.source_failed, self.keeper.on_source_failed)
        status_signal = getattr(b, "source_status_changed", None)  # camera lost / back
        if status_signal is not None:
            connect_queued(status_signal, self.keeper.on_source_status)
        self.keeper.phase_changed.connect(self._on_keeper_phase_changed)
        self.keeper.scenes_shown.connect(lambda _: self._show_cards())
        session.add_listener(b)

        self.idle = IdleWatcher(kiosk.idle_seconds, kiosk.cursor_seconds, self)
        self.idle.attract_changed.connect(self._on_idle_attract_changed)
        self.idle.box_home_requested.connect(self.box_home)
        self.lockdown = Lockdown(kiosk.exit_chord, self.pin_pad, self)
        self.lockdown.leave_requested.connect(self.leave)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.lockdown)
            app.installEventFilter(self.idle)  # installed last, so it sees every key first
        self.heartbeat = Heartbeat(SystemdNotifier(environ), self.status_text, self)
        self._speed_timer = QTimer(self)
        self._speed_timer.setInterval(SPEED_INTERVAL_MS)
        self._speed_timer.timeout.connect(self._on_speed_timer_timeout)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.notice.hide)

        self.probe = ModelProbe(
            kiosk.models, lambda spec: session.options_for(spec, session.threads_setting), self
        )
        self.probe.finished.connect(self._on_probe_finished)
        self.heartbeat.start()
        self.keeper.start()  # the picture shows while the models are measured
        self.probe.start()
        self.idle.start()
        self._speed_timer.start()

    # -- start-up -------------------------------------------------------------------------
    def _on_probe_finished(self, results: list[ProbeResult]) -> None:
        if self._closed:
            return
        floor = self.kiosk.fps_floor
        self.variants, self.refused = sort_results(results, self.session.store.catalog, floor)
        specs = [v.spec for v in self.variants]
        measured = sorted((r for r in results if r.fps is not None), key=lambda r: -(r.fps or 0))
        fastest = measured[0].spec if measured else self.kiosk.models[0]
        model = self._wanted_model or (specs[0] if specs else fastest)
        if self.refused:
            names = ", ".join(self._title(r.spec) for r in self.refused)
            self.notice.show_message(
                "Some models get no button",
                f"{names}: slower than {floor:g} fps on this device, or not installed",
            )
            self._notice_timer.start(NOTICE_MS)
        self.bar.set_variants(self.variants)
        self.bar.set_active(model)
        self.variants_ready.emit(list(self.variants))
        self._split = self.kiosk.split and len(specs) >= 2
        self.session.start()
        if self.session.loading != model:
            self.session.request_model(model)
        if self._split:
            self.session.start_compare(next(s for s in specs if s != model))
        self._relayout()

    # -- visitors -------------------------------------------------------------------------
    def choose_model(self, spec: str) -> None:
        """A variant button: the model answers from now on (the other keeps answering
        until it is loaded). In split view a press on the second model swaps the two."""
        current = self.session.model_info
        if current is not None and current.spec == spec:
            return
        compare = self.session.compare_info
        log.info("visitor chose %s", spec)
        self.session.request_model(spec)
        self.bar.set_active(spec)
        if compare is not None and compare.spec == spec and current is not None:
            self.session.start_compare(current.spec)

    def box_home(self, glide: bool = True) -> None:
        """The box goes (glides) back to the centre of what the overlays leave free."""
        if self.layout_now is not None:
            home = self.video.home_roi(self.layout_now.free.translated(-self.video.pos()))
            self.video.glide_to(home) if glide else self.video.set_roi(home)

    def _on_idle_attract_changed(self, attracting: bool) -> None:
        self.keeper.set_attract(attracting)
        self._show_cards()
        if attracting:
            log.info("attract mode: nobody for %g s", self.kiosk.idle_seconds)
            self.box_home()
        self.attract_changed.emit(attracting)

    # -- session events (queued to the GUI thread) -----------------------------------------
    def _on_session_prediction_ready(self, prediction: Prediction) -> None:
        if self._closed or self.keeper.phase == CLOSED:
            return
        if prediction.tag:
            info = self.session.compare_info
            if self._split and info is not None and prediction.generation >= info.generation:
                self.answers[1].show_prediction(prediction)
                self.compare_answer_shown.emit(prediction)
            return
        if prediction.generation < self._generation:
            return
        if self.last_prediction is None:
            self.check_picture()
        self.last_prediction = prediction
        self.answers[0].show_prediction(prediction)
        self.heartbeat.ready()
        self.answer_shown.emit(prediction)

    def _on_session_model_changed(self, info: ModelInfo) -> None:
        if self._closed:
            return
        if info.tag:
            self.answers[1].set_title(self._title(info.spec))
            return
        self._generation = info.generation
        self.bar.set_active(info.spec)
        self.answers[0].set_title(self._title(info.spec) if self._split else "")
        if self.keeper.phase == LIVE:
            self.message.hide()
        log.info("showing %s (loaded in %.0f ms)", info.spec, info.load_ms)
        self.model_shown.emit(info)
        self._on_speed_timer_timeout()

    def _on_session_source_changed(self, info: SourceInfo) -> None:
        if self._closed:
            return
        self.video.set_source(self.session.source)
        self.keeper.on_source_changed(info)

    def _on_session_error_raised(self, message: str) -> None:
        log.warning("%s", message)
        if self.session.model_info is None and not self.session.loading:
            self.message.show_message("No model can run", message)
            self.heartbeat.ready()  # settled: a restart would not help

    def _on_keeper_phase_changed(self, phase: str, text: str) -> None:
        if phase == CLOSED:
            self.closed_card.show_message("Closed", self.keeper.closed_text())
            self.heartbeat.ready()  # a settled screen: systemd need not wait for an answer
        else:
            self.closed_card.hide()
        if phase == LOST:
            self.heartbeat.ready()
        self._show_cards()

    def _show_cards(self) -> None:
        """The hint, the reconnecting card and the buttons for the phase and attract mode."""
        phase, attracting = self.keeper.phase, self.idle.attracting
        scenes = self.keeper.showing_scenes
        if attracting and phase != CLOSED:
            title, line = (self.keeper.message, "Meanwhile, some photos") if scenes else HINT
            self.hint.show_message(title, line)
        else:
            self.hint.hide()
        self.bar.setVisible(bool(self.bar.buttons) and not self.hint.isVisible())
        if phase == LIVE or phase == CLOSED or (attracting and phase != CLOSED):
            self.message.hide()
        elif self.session.model_info is not None or phase == LOST:
            self.message.show_message(self.keeper.message)
        on_top: list[Card | None] = [self.notice, self.closed_card, self.pin_pad]
        for overlay in on_top:
            if overlay is not None and overlay.isVisible():
                overlay.raise_()

    # -- the speed line and systemd -----------------------------------------------------------
    def _title(self, spec: str) -> str:
        return title_for(self.session.store.catalog, spec)

    def speed_text(self) -> str:
        """``MobileNet V2 1.0 · 224  23 fps`` (both models in split view)."""
        return speed_text(self.session, self._title)

    def status_text(self) -> str:
        """systemd's STATUS= line: the phase, the model and its speed."""
        text = self.speed_text() or "starting"
        phase = self.keeper.phase
        return text if phase == LIVE else f"{self.keeper.message or phase} ({text})"

    def _on_speed_timer_timeout(self) -> None:
        text = self.speed_text()
        self.speed.setVisible(bool(text) and self.keeper.phase != CLOSED)
        self.speed.show_text(text)
        self.check_picture()

    def check_picture(self) -> None:
        """The first frame (or a new camera) fixes where the picture is: the box goes home."""
        size = self.video.frame_size
        if size != self._frame_size:
            self._frame_size = size
            if self.idle.inputs == 0 or self.idle.attracting:
                self.box_home(glide=self.idle.inputs > 0)

    # -- layout ---------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        w, h = self.width(), self.height()
        layout = compute_layout(w, h, len(self.bar.buttons), self._split)
        self.layout_now = layout
        u = layout.unit
        self.video.setGeometry(layout.picture)
        for answer, rect in zip(self.answers, layout.answers):
            answer.setGeometry(rect)
            answer.set_unit(u)
        self.answers[1].setVisible(self._split)
        self.bar.setGeometry(layout.buttons)
        self.bar.set_unit(u, layout.columns)
        self.hint.setGeometry(layout.buttons if self.bar.buttons else layout.message)
        self.message.setGeometry(layout.message)
        self.closed_card.setGeometry(self.rect())
        notice = layout.message.adjusted(0, 0, 0, -layout.message.height() // 3)
        notice.moveTop(layout.free.top())
        self.notice.setGeometry(notice)
        if self.pin_pad is not None:
            self.pin_pad.setGeometry(layout.pin)
        overlays: list[Card | None] = [self.hint, self.message, self.notice, self.closed_card]
        for overlay in [*overlays, self.pin_pad]:
            if overlay is not None:
                overlay.set_unit(u)
        self.speed.place(layout.speed, u)
        self._show_cards()
        if self.idle.inputs == 0:  # nobody has moved the box yet: it starts at home
            self.box_home(glide=False)

    # -- leaving ----------------------------------------------------------------------------
    def leave(self) -> None:
        """Staff leave kiosk mode (the exit chord, and the PIN when one is set)."""
        self._leaving = True
        self.close()

    def changeEvent(self, event: QEvent | None) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        wanted = self.property("kioskFullScreen") is True
        if event is not None and event.type() == QEvent.Type.WindowStateChange and wanted:
            if not self.isFullScreen() and not self._leaving:
                QTimer.singleShot(0, self.showFullScreen)  # a key or the WM took it away

    def closeEvent(self, event: QCloseEvent | None) -> None:  # noqa: N802 - Qt override
        if not self._leaving:
            self.close_requests += 1
            log.info("close request ignored (kiosk mode: use the exit chord)")
            if event is not None:
                event.ignore()
            return
        self.shutdown()
        if event is not None:
            event.accept()
        self.closed.emit()

    def shutdown(self) -> None:
        """Stops the timers, the probe and the session (joining their threads); idempotent."""
        if self._closed:
            return
        self._closed = self._leaving = True
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.lockdown)
            app.removeEventFilter(self.idle)
        self.idle.stop()
        self._speed_timer.stop()
        self.keeper.stop()
        self.probe.close()
        self.video.stop()
        self.heartbeat.stopping()
        self.session.close()
        log.info("kiosk stopped")
