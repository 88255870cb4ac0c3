"""The kiosk's picture: the window's :class:`VideoView` plus pinch to resize and a box that
glides home.

Touch drags arrive as mouse events (Qt synthesises them), so moving the box by touch is the
video view's own drag; a two-finger pinch resizes the box like the wheel does.
"""

from __future__ import annotations

from PyQt6.QtCore import QEasingCurve, QEvent, QRect, QRectF, Qt, QVariantAnimation
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import QGestureEvent, QPinchGesture, QWidget

from camapp.base.roi import ROI
from camapp.ui.video_view import VideoView

#: How long the box takes to glide back to the centre.
GLIDE_MS = 700
#: The home box: this share of the free area's shorter side, square on screen.
HOME_FRACTION = 0.8


class KioskVideoView(VideoView):
    """A :class:`VideoView` that fills the screen, resizes the box by pinch and glides it home."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskVideo")
        self.setMinimumSize(1, 1)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.grabGesture(Qt.GestureType.PinchGesture)
        self.pinches = 0
        self._glide = QVariantAnimation(self)
        self._glide.setDuration(GLIDE_MS)
        self._glide.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._glide.valueChanged.connect(self._on_glide_value_changed)

    def home_roi(self, area: QRect) -> ROI:
        """A box square on screen, centred in ``area`` (the part no overlay covers)."""
        picture = self.image_rect()
        free = QRectF(area).intersected(picture)
        if free.isEmpty() or picture.isEmpty():
            return ROI.central(0.5)
        side = HOME_FRACTION * min(free.width(), free.height())
        centre = free.center()
        return ROI.clamped(
            (centre.x() - side / 2 - picture.left()) / picture.width(),
            (centre.y() - side / 2 - picture.top()) / picture.height(),
            (centre.x() + side / 2 - picture.left()) / picture.width(),
            (centre.y() + side / 2 - picture.top()) / picture.height(),
        )

    def glide_to(self, roi: ROI) -> None:
        """Moves the box to ``roi`` smoothly (the session hears every step)."""
        self._glide.stop()
        if roi == self.roi:
            return
        start = QRectF(self.roi.left, self.roi.top, self.roi.width, self.roi.height)
        end = QRectF(roi.left, roi.top, roi.width, roi.height)
        self._glide.setStartValue(start)
        self._glide.setEndValue(end)
        self._glide.start()

    @property
    def gliding(self) -> bool:
        return self._glide.state() == QVariantAnimation.State.Running

    def _on_glide_value_changed(self, value: object) -> None:
        if isinstance(value, QRectF):
            self.set_roi(ROI.clamped(value.left(), value.top(), value.right(), value.bottom()))

    def mousePressEvent(self, event: QMouseEvent | None) -> None:  # noqa: N802 - Qt override
        self._glide.stop()  # a visitor's hand wins over the animation
        super().mousePressEvent(event)

    def event(self, event: QEvent | None) -> bool:  # noqa: D401 - Qt override
        if event is not None and event.type() == QEvent.Type.Gesture:
            assert isinstance(event, QGestureEvent)
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if isinstance(pinch, QPinchGesture):
                self._glide.stop()
                factor = pinch.scaleFactor()
                if factor > 0 and factor != 1.0:
                    self.set_roi(self.roi.scaled(factor))
                    self.pinches += 1
                event.accept(pinch)
                return True
        return super().event(event)
