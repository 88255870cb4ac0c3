"""The picture's keys work whatever has the focus, except while you type in a text field.

Touching a control in a side panel gives it the keyboard focus; without help the arrow keys
would then step that control (Top-k from 5 to 7) and N, P or Space would go nowhere. An
application-wide event filter (:class:`PictureKeys`) sends those keys to the picture
instead: the keys of the action table entries marked ``anywhere`` (see
:mod:`camapp.ui.actions`). A text field being typed in keeps every key.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QFocusEvent, QKeyEvent
from PyQt6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QLineEdit,
    QMainWindow,
    QMenuBar,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from camapp.ui.actions import anywhere_keys, gesture_keys, held_keys
from camapp.ui.video_view import VideoView

#: Keys that end typing in a number field (the next arrow goes to the picture again).
_TYPING_DONE = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape, Qt.Key.Key_Tab}
_KEY_EVENTS = (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.KeyRelease)
#: The events the filter looks at; every other event passes untouched.
_WATCHED = frozenset(
    (*_KEY_EVENTS, QEvent.Type.MouseButtonPress, QEvent.Type.FocusIn, QEvent.Type.FocusOut)
)


def is_text_field(widget: QWidget) -> bool:
    """Whether ``widget`` takes typed text whenever it has the focus (not a number field)."""
    if isinstance(widget, QLineEdit):
        return not widget.isReadOnly() and not isinstance(widget.parent(), QAbstractSpinBox)
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return not widget.isReadOnly()
    return isinstance(widget, QComboBox) and widget.isEditable()


class PictureKeys(QObject):
    """Routes the picture's keys to the picture from any control of ``window``.

    Arrow keys change the box of ``video``; the keys of window actions (N, P, Space, S, R,
    T, ...) trigger their action; teach mode's held digits go to ``held`` (an event filter,
    the teach controller). Keys typed into a text field stay there, and so do keys typed
    into a number field (a spin box) once typing has started there: a click into its text,
    Tab to it, or a digit, minus or Backspace typed in it. Return, Enter, Escape, Tab or
    leaving it ends the typing. Dialogs, menus and pop-ups are left alone.

    Args:
        window: The main window (and its floating docks) whose keys are routed.
        video: The picture.
        held: The teach controller, whose ``eventFilter`` reads the held digits.
    """

    def __init__(self, window: QMainWindow, video: VideoView, held: QObject | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.video = video
        self.held = held
        self._box_keys = {key.value for key in gesture_keys()}
        self._action_keys = anywhere_keys()
        self._held_keys = set(held_keys("capture"))
        self._typing: QAbstractSpinBox | None = None  # the number field being typed in
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def remove(self) -> None:
        """Stops routing (the window is closing)."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    @property
    def typing_in(self) -> QAbstractSpinBox | None:
        """The number field being typed in, if any."""
        return self._typing

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:  # noqa: N802
        # Every event of the application passes here: the common ones leave at once.
        kind = event.type() if event is not None else None
        if kind not in _WATCHED or not isinstance(watched, QWidget):
            return False
        if kind == QEvent.Type.MouseButtonPress:
            parent = watched.parentWidget()
            into_number = isinstance(watched, QLineEdit) and isinstance(parent, QAbstractSpinBox)
            self._typing = parent if into_number and isinstance(parent, QAbstractSpinBox) else None
        elif kind == QEvent.Type.FocusIn and isinstance(event, QFocusEvent):
            tabbed = event.reason() in (
                Qt.FocusReason.TabFocusReason,
                Qt.FocusReason.BacktabFocusReason,
            )
            if tabbed and isinstance(watched, QAbstractSpinBox):
                self._typing = watched
        elif kind == QEvent.Type.FocusOut and watched is self._typing:
            self._typing = None
        elif kind in _KEY_EVENTS and isinstance(event, QKeyEvent):
            return self._on_key(watched, event)
        return False

    # -- helpers ------------------------------------------------------------------------------
    def _ours(self, widget: QWidget) -> bool:
        """A widget of the main window or one of its floating docks (no dialog, no pop-up,
        not the menu bar, which keeps its arrow keys while it is used from the keyboard)."""
        if isinstance(widget, QMenuBar):
            return False
        top = widget.window()
        if top is None or top is self.window:
            return top is not None
        return isinstance(top, QDockWidget) and top.parentWidget() is self.window

    def _on_key(self, widget: QWidget, event: QKeyEvent) -> bool:
        focus = QApplication.focusWidget()
        if widget is not focus or focus is self.video or not self._ours(widget):
            return False  # only the first delivery; the picture handles its own keys
        if is_text_field(widget):
            return False
        key = event.key()
        spin = widget if isinstance(widget, QAbstractSpinBox) else None
        kind = event.type()
        if spin is not None:
            if kind == QEvent.Type.KeyPress and key in _TYPING_DONE:
                self._typing = None
                return False
            if spin is self._typing:
                return False  # typing a number: every key is the field's
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        if not plain:
            return False
        if kind == QEvent.Type.ShortcutOverride:
            # Left ignored, the key goes on to the window's shortcuts (the action).
            return key in self._action_keys
        if key in self._box_keys:
            if kind == QEvent.Type.KeyPress:
                self.video.press_box_key(Qt.Key(key))
            return True
        if key in self._held_keys and self._teaching():
            return self.held is not None and self.held.eventFilter(self.window, event)
        if spin is not None and kind == QEvent.Type.KeyPress and _starts_typing(event):
            self._typing = spin  # a digit, minus or Backspace: the number field's
        return False

    def _teaching(self) -> bool:
        return bool(getattr(self.held, "teaching", False))


def _starts_typing(event: QKeyEvent) -> bool:
    """A key that edits a number: a digit, a sign, a decimal point, Backspace or Delete."""
    if event.key() in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
        return True
    text = event.text()
    return bool(text) and (text.isdigit() or text in "-+.,")
