"""The video view: draws the newest frame, the ROI box, its label and the frame rates."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
from PyQt6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PyQt6.QtWidgets import QWidget

from camapp.base.meters import RateMeter
from camapp.base.roi import ROI
from camapp.base.settings import Settings
from camapp.capture.frames import Frame, FrameSource, SourceState
from camapp.pipeline.events import Prediction
from camapp.ui.actions import gesture_keys
from camapp.ui.overlay_painter import OverlayPainter

#: Display refresh: the timer polls the source's slot this often (about 60 Hz).
DISPLAY_INTERVAL_MS = 16
#: Longest an overlay change (answer, rates) waits for the next frame to be painted with it.
COALESCE_S = 0.05
#: Longest a new live frame waits for its answer before it is shown without it.
ANSWER_WAIT_S = 0.025
#: Outside the picture, and while there is none.
BACKGROUND = QColor(24, 24, 24)
#: Box size change per arrow key or wheel notch.
STEP = 1.1
#: How close (pixels) to a corner counts as grabbing its handle.
HANDLE_PX = 12
#: A press and release closer than this (pixels) is a click, not a drag.
CLICK_SLOP_PX = 4
#: What each box key gesture of the action table does to the box. As in the classroom
#: project: up larger, down smaller, left taller and narrower, right shorter and wider.
BOX_KEY_CHANGES: dict[str, Callable[[ROI], ROI]] = {
    "box_larger": lambda roi: roi.scaled(STEP),
    "box_smaller": lambda roi: roi.scaled(1.0 / STEP),
    "box_taller": lambda roi: roi.reshaped(STEP),
    "box_wider": lambda roi: roi.reshaped(1.0 / STEP),
}
#: Where "reset the box" puts it: the packaged default box.
HOME_ROI = ROI.clamped(*Settings().roi)


@dataclass
class _Drag:
    """A mouse drag in progress: ``move`` (offset from the box's corner), ``resize`` (the
    opposite corner) or ``place`` (pressed outside the box: it comes there once it drags)."""

    kind: str
    anchor: tuple[float, float]
    press: QPointF
    moved: bool = False


class VideoView(QWidget):
    """Shows ``source.latest()`` and lets the user move and resize the ROI.

    The display pulls: a ~60 Hz timer reads the source's one-frame slot and repaints only
    when the frame id changed. Each new frame is scaled down to the widget's pixels
    (:func:`fit_for_display`) and converted to an RGB :class:`QImage` once, on the timer,
    so a paint never scales or converts a 48 MP frame. The ROI is kept normalised; pixels
    exist only while drawing and mapping mouse positions.

    Mouse: drag inside the box moves it, drag a corner handle resizes it, the wheel scales
    it, a drag from outside brings it there. A click alone never moves the box (it gives
    the picture the keys back); in click mode it asks for one recognition. Keys: Up larger,
    Down smaller, Left taller and narrower, Right shorter and wider (from any control but a
    text field, see :class:`~camapp.ui.keys.PictureKeys`).
    """

    #: The user changed the box (a new normalised :class:`ROI`).
    roi_changed = pyqtSignal(object)
    #: Click mode: the user clicked the video to recognise the box once.
    recognise_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("videoView")
        self.setMinimumSize(320, 240)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._source: FrameSource | None = None
        self._rgb: np.ndarray | None = None  # keeps the QImage's buffer alive
        self._image: QImage | None = None
        self._frame: Frame | None = None  # the frame shown, at its own size
        self._scaled_for: tuple[int, int] | None = None  # display size it was scaled to
        self._frame_id = 0
        self._painted_id = 0
        self._frame_caption = ""
        self._roi = ROI.full()
        self._prediction: Prediction | None = None
        self._rates_text = ""
        self._message = ""
        self._source_message = ""
        self._hint = ""
        self._mode = "continuous"
        self._drag: _Drag | None = None
        self._dirty_since = 0.0  # when an overlay change began waiting for a frame (0: none)
        self._held_id = 0  # a new frame waiting for its answer (0: none), and since when
        self._held_since = 0.0
        self._overlay = OverlayPainter(self)  # the box, its label and the tags
        self._buffers: dict[str, np.ndarray] = {}  # the displayed frame's, reused
        #: New frames painted per second.
        self.display_meter = RateMeter()
        #: New frames painted since start, and when the first one was.
        self.frames_shown = 0
        self.first_frame_time: float | None = None
        self.last_frame_time: float | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(DISPLAY_INTERVAL_MS)
        self._timer.timeout.connect(self._on_display_timer_timeout)

    # -- public API -----------------------------------------------------------------------
    def set_source(self, source: FrameSource | None) -> None:
        """Shows frames of ``source`` from now on (``None``: nothing)."""
        self._source = source
        self._frame_id = 0
        self._prediction = None
        if source is not None and not self._timer.isActive():
            self._timer.start()
        self._on_display_timer_timeout()
        self.update()

    def stop(self) -> None:
        """Stops polling the source (the window is closing)."""
        self._timer.stop()
        self._source = None

    @property
    def roi(self) -> ROI:
        return self._roi

    def set_roi(self, roi: ROI, notify: bool = True) -> None:
        """Sets the box; ``notify`` emits :attr:`roi_changed` when it changed."""
        if roi == self._roi:
            return
        self._roi = roi
        self.update()
        if notify:
            self.roi_changed.emit(roi)

    def reset_roi(self) -> None:
        """Puts the box back where it starts (:data:`HOME_ROI`)."""
        self.set_roi(HOME_ROI)

    def press_box_key(self, key: Qt.Key) -> bool:
        """Changes the box as box key ``key`` does (see the action table); False: not one."""
        gesture = gesture_keys().get(key)
        change = BOX_KEY_CHANGES.get(gesture) if gesture else None
        if change is None:
            return False
        self.set_roi(change(self._roi))
        return True

    def set_mode(self, mode: str) -> None:
        """``continuous`` or ``click`` (a click on the video recognises once)."""
        self._mode = mode
        self.update()

    def set_prediction(self, prediction: Prediction | None) -> None:
        """The answer drawn next to the box (never one about an earlier photo)."""
        if prediction is not None and self._about_older_photo(prediction):
            return
        self._prediction = prediction
        if prediction is not None and self._held_id and prediction.frame_id >= self._held_id:
            self._on_display_timer_timeout()  # the frame held for this answer: now, with it
            return
        self._request_paint()

    def set_rates_text(self, text: str) -> None:
        """The frame-rate line drawn in the top-left corner."""
        if text != self._rates_text:
            self._rates_text = text
            self._request_paint()

    def set_message(self, message: str) -> None:
        """A centred message over the video (empty: none), e.g. while a model loads."""
        if message != self._message:
            self._message = message
            self.update()

    def show_source_status(self, spec: str, state: SourceState) -> None:
        """Says over the last frame that the source is connecting or lost; clears when live."""
        if state.message != self._source_message:
            self._source_message = state.message
            self.update()

    @property
    def message_text(self) -> str:
        """What the centred message says now: the source's state first, then any other."""
        return "\n".join(text for text in (self._source_message, self._message) if text)

    def set_hint(self, hint: str) -> None:
        """A short hint drawn at the bottom (e.g. what N / P do)."""
        if hint != self._hint:
            self._hint = hint
            self.update()

    @property
    def frame_size(self) -> tuple[int, int] | None:
        """``(width, height)`` of the frame on screen (its own pixels, before scaling)."""
        if self._frame is None or self._image is None:
            return None
        height, width = self._frame.image.shape[:2]
        return width, height

    @property
    def display_size(self) -> tuple[int, int] | None:
        """``(width, height)`` of the image painted: the frame scaled down to fit the view."""
        if self._image is None:
            return None
        return self._image.width(), self._image.height()

    def image_rect(self) -> QRectF:
        """Where the frame is drawn: fitted to the widget, aspect ratio kept, centred."""
        size = self.frame_size or (4, 3)
        scale = min(self.width() / size[0], self.height() / size[1])
        w, h = size[0] * scale, size[1] * scale
        return QRectF((self.width() - w) / 2.0, (self.height() - h) / 2.0, w, h)

    def box_rect(self) -> QRectF:
        """The ROI in widget pixels."""
        r = self.image_rect()
        roi = self._roi
        return QRectF(
            r.left() + roi.left * r.width(),
            r.top() + roi.top * r.height(),
            roi.width * r.width(),
            roi.height * r.height(),
        )

    def to_normalised(self, point: QPointF) -> tuple[float, float]:
        """A widget position as frame fractions, clamped to the frame."""
        r = self.image_rect()
        x = (point.x() - r.left()) / max(r.width(), 1.0)
        y = (point.y() - r.top()) / max(r.height(), 1.0)
        return min(1.0, max(0.0, x)), min(1.0, max(0.0, y))

    # -- display --------------------------------------------------------------------------
    def _on_display_timer_timeout(self) -> None:
        source = self._source
        frame = source.latest() if source is not None else None
        if frame is None or frame.id == self._frame_id:
            # No new frame: what changed meanwhile (an answer, the rates) is painted now,
            # if it has waited long enough for a frame to bring it along.
            waited = time.monotonic() - self._dirty_since if self._dirty_since else 0.0
            if frame is not None and self._scaled_for != self._target_size():
                self._convert(frame)  # a new size or pixel ratio: scale the frame again
            elif waited >= COALESCE_S:
                self._repaint_now()
            return
        if self._answer_due(frame):
            return  # shown with its answer (set_prediction), or on a later tick
        self._frame_id = frame.id
        prediction = self._prediction
        if prediction is not None and self._about_older_photo(prediction):
            self._prediction = None  # a new photo: the old label is not about it
        self._convert(frame)

    def _answer_due(self, frame: Frame) -> bool:
        """Whether to hold a new live frame until its answer comes (at most ANSWER_WAIT_S).

        The model starts on a frame the moment it arrives; scaling and painting it at that
        moment takes a core from the model (2 cores, 2 interpreter threads: the invoke ran
        1.2x slower in the window than headless). Shown right after its answer instead, the
        picture costs the model nothing, and the label drawn on it is about that very frame.
        A model slower than the wait, click mode, or a still photo: shown at once.
        """
        source = self._source
        answered = self._prediction is not None and self._prediction.frame_id >= frame.id
        now = time.monotonic()
        if self._held_id != frame.id:
            self._held_id, self._held_since = frame.id, now
        live = self._mode == "continuous" and source is not None and not source.is_still
        if live and not answered and now - self._held_since < ANSWER_WAIT_S:
            return True
        self._held_id = 0  # shown now: an answer that comes later is painted as any other
        return False

    def _about_older_photo(self, prediction: Prediction) -> bool:
        """A still source's answer for a photo that N / P has moved away from."""
        source = self._source
        still = source is not None and source.is_still
        return still and prediction.frame_id < self._frame_id

    def _target_size(self) -> tuple[int, int]:
        """The view's size in device pixels: what a frame is fitted into."""
        ratio = self.devicePixelRatioF()
        return max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio))

    def _convert(self, frame: Frame) -> None:
        """Scales ``frame`` to exactly its size on screen and converts it, once per frame.

        The image is scaled to the device pixels it fills (down with :func:`fit_for_display`,
        up bilinearly) and converted to the screen's own 32-bit format, so a paint copies
        it without scaling or converting, however often it paints.
        """
        target = self._target_size()
        height, width = frame.image.shape[:2]
        scale = min(target[0] / width, target[1] / height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = fit_for_display(frame.image, size)  # down; the colours at the smaller size
        code = cv2.COLOR_GRAY2BGRA if image.ndim == 2 else cv2.COLOR_BGR2BGRA
        small = image.shape[1] != size[0] or image.shape[0] != size[1]
        # B, G, R, 255 in memory is Qt's RGB32 (0xffRRGGBB). The buffers are reused frame
        # after frame (a new 3 MB array per frame costs its page faults every time); only
        # this thread writes them, and a paint reads them between two conversions.
        bgra = cv2.cvtColor(image, code, dst=self._buffer("converted", image.shape[:2]))
        if small:  # up, bilinear
            scaled = self._buffer("scaled", (size[1], size[0]))
            bgra = cv2.resize(bgra, size, dst=scaled, interpolation=cv2.INTER_LINEAR)
        self._frame = frame
        self._scaled_for = target
        if self._image is None or self._rgb is not bgra:
            self._rgb = bgra
            # PyQt6's stub declares ``data: bytes``; the constructor takes any buffer. The
            # QImage borrows the array's memory without a copy; self._rgb keeps it alive.
            data = cast(bytes, bgra.data)
            image_format = QImage.Format.Format_RGB32
            self._image = QImage(data, size[0], size[1], bgra.strides[0], image_format)
            self._image.setDevicePixelRatio(self.devicePixelRatioF())
        source = self._source
        # A still source with several photos (SceneSource) lists them in ``paths``.
        paths: Sequence[object] = getattr(source, "paths", ())
        if source is not None and source.is_still and len(paths) > 1:
            self._frame_caption = f"{frame.name}  ({frame.index + 1}/{len(paths)})"
        else:
            self._frame_caption = frame.name if source is not None and source.is_still else ""
        self._repaint_now()

    def _request_paint(self) -> None:
        """Something drawn over the video changed: paint it with the next frame if frames
        are coming (one paint per frame, not one per frame and one per answer), else now."""
        source = self._source
        last = self.last_frame_time
        live = source is not None and not source.is_still and self._timer.isActive()
        if live and last is not None and time.monotonic() - last < COALESCE_S:
            if not self._dirty_since:
                self._dirty_since = time.monotonic()
            return
        self._repaint_now()

    def _repaint_now(self) -> None:
        self._dirty_since = 0.0
        self.update()

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._frame is not None:
            self._convert(self._frame)  # the frame fitted to the new size before it paints

    def changeEvent(self, event: QEvent | None) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event is not None and event.type() == QEvent.Type.FontChange:
            self._overlay.font_changed()

    def _buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A reused ``height x width x 4`` uint8 buffer (made again when the size changes)."""
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape[:2] != shape[:2]:
            buffer = self._buffers[name] = np.empty((shape[0], shape[1], 4), np.uint8)
        return buffer

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        image = self._image
        if image is None:
            painter.fillRect(self.rect(), BACKGROUND)
        else:
            # The image has the exact size it fills (see _convert): copied, never scaled.
            shown = self.image_rect()
            painter.fillRect(QRectF(0, 0, self.width(), shown.top() + 1), BACKGROUND)
            painter.fillRect(QRectF(0, shown.bottom() - 1, self.width(), self.height()), BACKGROUND)
            painter.fillRect(QRectF(0, 0, shown.left() + 1, self.height()), BACKGROUND)
            painter.fillRect(QRectF(shown.right() - 1, 0, self.width(), self.height()), BACKGROUND)
            painter.drawImage(shown.topLeft(), image)
        overlay = self._overlay
        if image is not None:
            if self._painted_id != self._frame_id:
                self._painted_id = self._frame_id
                self._count_painted_frame()
            overlay.box(painter, self.box_rect(), self._label_text())
        if self._rates_text:
            overlay.tag(painter, QPointF(8, 8), self._rates_text, small=True)
        bottom = self.height() - 8
        if self._frame_caption:
            overlay.tag(painter, QPointF(8, bottom - 26), self._frame_caption, small=True)
        if self._hint:
            width = overlay.tag_size(self._hint, small=True)[0]
            overlay.tag(
                painter, QPointF(self.width() - width - 8, bottom - 26), self._hint, small=True
            )
        if self.message_text:
            overlay.message(painter, self.message_text)
        painter.end()

    def _count_painted_frame(self) -> None:
        now = time.monotonic()
        self.display_meter.tick(0.0, now)
        self.frames_shown += 1
        if self.first_frame_time is None:
            self.first_frame_time = now
        self.last_frame_time = now

    def _label_text(self) -> str:
        prediction = self._prediction
        if prediction is not None and prediction.classification.labels:
            c = prediction.classification
            return f"{c.labels[0]}  {c.scores[0] * 100:.0f}%"
        if prediction is not None:
            return "not sure"
        if self._mode == "click":
            return "click or press Space to recognise"
        return ""

    # -- mouse and keys -------------------------------------------------------------------
    def _corner_at(self, point: QPointF) -> tuple[float, float] | None:
        """The normalised opposite corner when ``point`` grabs a handle, else ``None``."""
        box = self.box_rect()
        roi = self._roi
        corners = {
            (box.left(), box.top()): (roi.right, roi.bottom),
            (box.right(), box.top()): (roi.left, roi.bottom),
            (box.left(), box.bottom()): (roi.right, roi.top),
            (box.right(), box.bottom()): (roi.left, roi.top),
        }
        for (x, y), anchor in corners.items():
            if abs(point.x() - x) <= HANDLE_PX and abs(point.y() - y) <= HANDLE_PX:
                return anchor
        return None

    def mousePressEvent(self, event: QMouseEvent | None) -> None:  # noqa: N802 - Qt override
        if event is None:
            return
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        point = event.position()
        anchor = self._corner_at(point)
        if anchor is not None:
            self._drag = _Drag("resize", anchor, point)
            return
        x, y = self.to_normalised(point)
        inside = self.box_rect().contains(point)
        self._drag = _Drag(
            "move" if inside else "place", (x - self._roi.left, y - self._roi.top), point
        )

    def mouseMoveEvent(self, event: QMouseEvent | None) -> None:  # noqa: N802 - Qt override
        if event is None:
            return
        point = event.position()
        drag = self._drag
        if drag is None:
            self._update_cursor(point)
            return
        if (point - drag.press).manhattanLength() >= CLICK_SLOP_PX:
            drag.moved = True
        x, y = self.to_normalised(point)
        if drag.kind == "place":
            if not drag.moved:
                return  # a click (so far): the box stays
            placed = self._roi.centered_at(x, y)
            self.set_roi(placed)
            drag.kind, drag.anchor = "move", (x - placed.left, y - placed.top)
        elif drag.kind == "resize":
            self.set_roi(ROI.clamped(drag.anchor[0], drag.anchor[1], x, y))
        else:
            roi = self._roi
            self.set_roi(roi.moved(x - drag.anchor[0] - roi.left, y - drag.anchor[1] - roi.top))

    def mouseReleaseEvent(self, event: QMouseEvent | None) -> None:  # noqa: N802 - Qt override
        drag, self._drag = self._drag, None
        if drag is not None and not drag.moved and self._mode == "click":
            self.recognise_requested.emit()
        if event is not None:
            self._update_cursor(event.position())

    def _update_cursor(self, point: QPointF) -> None:
        anchor = self._corner_at(point)
        if anchor is not None:
            box = self.box_rect()
            diagonal = (point.x() < box.center().x()) == (point.y() < box.center().y())
            shape = Qt.CursorShape.SizeFDiagCursor if diagonal else Qt.CursorShape.SizeBDiagCursor
        elif self.box_rect().contains(point):
            shape = Qt.CursorShape.SizeAllCursor
        else:
            shape = Qt.CursorShape.CrossCursor
        self.setCursor(shape)

    def wheelEvent(self, event: QWheelEvent | None) -> None:  # noqa: N802 - Qt override
        if event is None:
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_roi(self._roi.scaled(STEP**steps))
        event.accept()

    def keyPressEvent(self, event: QKeyEvent | None) -> None:  # noqa: N802 - Qt override
        if event is None:
            return
        # The keys come from the action table (camapp.ui.actions), which the help lists too.
        if self.press_box_key(Qt.Key(event.key())):
            event.accept()
        else:
            super().keyPressEvent(event)


def fit_for_display(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` scaled down to fit in ``size`` (``(width, height)``), aspect kept.

    An image that fits already is returned as it is (the painter scales small images up
    cheaply). Far larger frames (a 48 MP photo or video) are first thinned to every n-th
    pixel, to at most twice the size needed, and then averaged down with INTER_AREA (a
    whole factor first: OpenCV's fast path). For 8000x6000 to 1000x750 that is about 16 ms
    instead of 38 ms for INTER_AREA on every pixel, within one grey level of it.

    Args:
        image: A BGR or grey frame.
        size: The most pixels available, ``(width, height)``.

    Returns:
        The scaled image, or ``image`` itself.
    """
    height, width = image.shape[:2]
    scale = min(size[0] / width, size[1] / height)
    if scale >= 1.0:
        return image
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    stride = int(1.0 / scale) // 2
    if stride >= 2:
        image = image[::stride, ::stride]
        height, width = image.shape[:2]
    factor = int(min(width / target[0], height / target[1]))
    if factor >= 2:  # a whole factor takes INTER_AREA's fast path (exact multiples only)
        image = image[: height - height % factor, : width - width % factor]
        image = cv2.resize(image, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    return cv2.resize(image, target, interpolation=cv2.INTER_AREA)
