"""Visitors cannot leave: every key but the box's arrows is swallowed; staff leave with the
exit chord and, when one is set, a PIN typed on the on-screen keypad.

Close requests (Alt+F4 in a window manager, the compositor's close) are refused by the
kiosk window itself; this module handles the keyboard.
"""

from __future__ import annotations

import hmac
import logging

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeyEvent, QKeySequence
from PyQt6.QtWidgets import QPushButton, QWidget

from camapp.ui.kiosk.overlay import YELLOW, Card, FitLabel

log = logging.getLogger(__name__)

#: Keys visitors may use: the arrows resize the box (see VideoView).
ALLOWED_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right}
#: The keypad closes itself after this long without a press.
PIN_TIMEOUT_MS = 30_000
_MODIFIER_KEYS = {
    Qt.Key.Key_Control,
    Qt.Key.Key_Alt,
    Qt.Key.Key_AltGr,
    Qt.Key.Key_Shift,
    Qt.Key.Key_Meta,
    Qt.Key.Key_Super_L,
    Qt.Key.Key_Super_R,
}
_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.ShiftModifier
    | Qt.KeyboardModifier.MetaModifier
)


def chord_of(text: str) -> tuple[Qt.Key, Qt.KeyboardModifier]:
    """The key and modifiers of a chord such as ``Ctrl+Alt+Shift+Q``.

    Raises:
        ValueError: When Qt cannot read the chord.
    """
    sequence = QKeySequence(text, QKeySequence.SequenceFormat.PortableText)
    if sequence.isEmpty() or sequence.count() != 1:
        raise ValueError(text)
    combination = sequence[0]
    return combination.key(), combination.keyboardModifiers()


class Lockdown(QObject):
    """An application-wide key filter: the chord leaves (or asks for the PIN), the rest is
    swallowed, except the arrows and, while the keypad is open, digits.

    Args:
        chord: The exit chord, e.g. ``Ctrl+Alt+Shift+Q``.
        pin_pad: The keypad when a PIN is set; ``None``: the chord alone leaves.
    """

    #: Staff asked to leave kiosk mode (the chord, plus the right PIN when one is set).
    leave_requested = pyqtSignal()

    def __init__(self, chord: str, pin_pad: PinPad | None, parent: QObject | None = None):
        super().__init__(parent)
        self.key, self.modifiers = chord_of(chord)
        self.pin_pad = pin_pad
        self.swallowed = 0
        if pin_pad is not None:
            pin_pad.accepted.connect(self.leave_requested)

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:  # noqa: N802
        if event is None or event.type() not in (
            QEvent.Type.KeyPress,
            QEvent.Type.ShortcutOverride,
            QEvent.Type.KeyRelease,
        ):
            return False
        assert isinstance(event, QKeyEvent)
        key, modifiers = event.key(), event.modifiers() & _MODIFIERS
        if key == self.key and modifiers == self.modifiers:
            if event.type() == QEvent.Type.KeyPress and not event.isAutoRepeat():
                self._on_chord()
            return True
        pad = self.pin_pad
        if pad is not None and pad.isVisible():
            if event.type() == QEvent.Type.KeyPress:
                pad.type_key(event)
            return True
        if key in ALLOWED_KEYS and not modifiers:
            return False
        if event.type() == QEvent.Type.KeyPress and key not in _MODIFIER_KEYS:
            self.swallowed += 1
        return True

    def _on_chord(self) -> None:
        if self.pin_pad is None:
            log.info("exit chord: leaving kiosk mode")
            self.leave_requested.emit()
        else:
            log.info("exit chord: asking for the PIN")
            self.pin_pad.open()


class PinPad(Card):
    """The on-screen keypad for the staff PIN: digits, delete, OK and cancel."""

    #: The right PIN was entered.
    accepted = pyqtSignal()

    def __init__(self, pin: str, parent: QWidget | None = None) -> None:
        super().__init__("pinPad", parent)
        self.background = "rgba(16, 18, 22, 245)"
        self._pin = pin
        self._typed = ""
        self.failures = 0
        centre = Qt.AlignmentFlag.AlignCenter
        self.title = FitLabel("Staff PIN", bold=True, align=centre, parent=self)
        self.display = FitLabel("", bold=True, align=centre, parent=self)
        self.display.setObjectName("pinDisplay")
        self.keys: dict[str, QPushButton] = {}
        for name in [*"123456789", "⌫", "0", "OK", "Cancel"]:
            button = QPushButton(name, self)
            button.setObjectName(f"pinKey_{name}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, name=name: self.press(name))
            self.keys[name] = button
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.setInterval(PIN_TIMEOUT_MS)
        self._timeout.timeout.connect(self.cancel)
        self.hide()

    def open(self) -> None:
        self._typed = ""
        self._show_typed("enter the PIN")
        self.show()
        self.raise_()
        self._timeout.start()

    def cancel(self) -> None:
        self._typed = ""
        self._timeout.stop()
        self.hide()

    def press(self, name: str) -> None:
        """A key of the pad: a digit, ``⌫``, ``OK`` or ``Cancel``."""
        self._timeout.start()
        if name == "Cancel":
            self.cancel()
        elif name == "⌫":
            self._typed = self._typed[:-1]
            self._show_typed()
        elif name == "OK":
            self._check()
        elif name.isdigit() and len(self._typed) < 12:
            self._typed += name
            self._show_typed()
            if len(self._typed) == len(self._pin):
                self._check()

    def type_key(self, event: QKeyEvent) -> None:
        """A hardware key while the pad is open: digits, Backspace, Enter, Escape."""
        text = event.text()
        if text.isdigit():
            self.press(text)
        elif event.key() == Qt.Key.Key_Backspace:
            self.press("⌫")
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.press("OK")
        elif event.key() == Qt.Key.Key_Escape:
            self.press("Cancel")

    def _check(self) -> None:
        if hmac.compare_digest(self._typed.encode(), self._pin.encode()):
            log.info("PIN accepted: leaving kiosk mode")
            self.cancel()
            self.accepted.emit()
            return
        self.failures += 1
        log.warning("wrong PIN entered on the kiosk keypad")
        self._typed = ""
        self._show_typed("wrong PIN, try again")

    def _show_typed(self, hint: str = "") -> None:
        self.display.setText("● " * len(self._typed) if self._typed else hint)

    def arrange(self) -> None:
        u, w, h = self.unit, self.width(), self.height()
        pad = round(3 * u)
        gap = round(1.5 * u)
        self.title.setGeometry(pad, pad, w - 2 * pad, round(7 * u))
        self.title.set_px(round(5 * u))
        self.display.setGeometry(pad, pad + round(8 * u), w - 2 * pad, round(8 * u))
        self.display.set_px(round(5 * u))
        top = pad + round(18 * u)
        rows = 5  # four rows of digits, then cancel
        key_h = (h - top - pad - (rows - 1) * gap) // rows
        key_w = (w - 2 * pad - 2 * gap) // 3
        names = [*"123456789", "⌫", "0", "OK"]
        style = (
            f"QPushButton {{ color: white; background: rgba(255,255,255,30); border: none;"
            f" border-radius: {round(1.5 * u)}px; font-size: {round(min(5 * u, key_h * 0.5))}px;"
            f" font-weight: bold; }} QPushButton:pressed {{ background: {YELLOW.name()};"
            f" color: black; }}"
        )
        for i, name in enumerate(names):
            row, column = divmod(i, 3)
            self.keys[name].setGeometry(
                pad + column * (key_w + gap), top + row * (key_h + gap), key_w, key_h
            )
            self.keys[name].setStyleSheet(style)
        self.keys["Cancel"].setGeometry(pad, top + 4 * (key_h + gap), w - 2 * pad, key_h)
        self.keys["Cancel"].setStyleSheet(style)
