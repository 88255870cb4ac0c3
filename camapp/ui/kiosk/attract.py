"""Idle time: the pointer hides, the box glides home, and attract mode begins.

One application-wide event filter notes every touch, click, wheel turn, key and real
pointer movement. After ``cursor_seconds`` without one the pointer hides; after
:data:`BOX_RETURN_S` the box glides back to the centre; after ``idle_seconds`` attract mode
begins (a hint, and photos from the scenes folder while no camera is connected). The next
input ends it and hands control back.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QCursor, QMouseEvent
from PyQt6.QtWidgets import QApplication

#: Seconds without input before the box returns to the centre (at most the idle time).
BOX_RETURN_S = 10.0

_INPUT = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.Wheel,
    QEvent.Type.KeyPress,
    QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate,
    QEvent.Type.TabletPress,
}


class IdleWatcher(QObject):
    """Times the idle periods and says when each one ends.

    Args:
        idle_seconds: Before attract mode.
        cursor_seconds: Before the pointer hides.
    """

    #: Attract mode began (True) or a visitor ended it (False).
    attract_changed = pyqtSignal(bool)
    #: Nobody touched the box for a while: it should glide back to the centre.
    box_home_requested = pyqtSignal()
    #: Any input (the kiosk's own timers restart on it).
    activity = pyqtSignal()

    def __init__(
        self, idle_seconds: float, cursor_seconds: float, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.attracting = False
        self.cursor_hidden = False
        self.inputs = 0
        self._last_pointer: QPointF | None = None
        self._timers = []
        for seconds, slot in (
            (idle_seconds, self._on_idle_timer_timeout),
            (cursor_seconds, self._on_cursor_timer_timeout),
            (min(BOX_RETURN_S, idle_seconds), self.box_home_requested.emit),
        ):
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.setInterval(round(seconds * 1000))
            timer.timeout.connect(slot)
            self._timers.append(timer)

    def start(self) -> None:
        """Starts timing (install as an application event filter too)."""
        for timer in self._timers:
            timer.start()

    def stop(self) -> None:
        for timer in self._timers:
            timer.stop()
        self._show_cursor()

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:  # noqa: N802
        if event is None:
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            point = event.globalPosition()
            moved = self._last_pointer is not None and point != self._last_pointer
            self._last_pointer = point
            if moved:  # a widget appearing under a still pointer is not a visitor
                self.note_input()
        elif kind in _INPUT:
            self.note_input()
        return False

    def note_input(self) -> None:
        """A visitor did something: restart the timers, show the pointer, end attract mode."""
        self.inputs += 1
        self._show_cursor()
        for timer in self._timers:
            if timer.interval() > 0:
                timer.start()
        if self.attracting:
            self.attracting = False
            self.attract_changed.emit(False)
        self.activity.emit()

    def _on_idle_timer_timeout(self) -> None:
        if not self.attracting:
            self.attracting = True
            self.attract_changed.emit(True)

    def _on_cursor_timer_timeout(self) -> None:
        if not self.cursor_hidden:
            self.cursor_hidden = True
            QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))

    def _show_cursor(self) -> None:
        if self.cursor_hidden:
            self.cursor_hidden = False
            QApplication.restoreOverrideCursor()
