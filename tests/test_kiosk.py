"""The kiosk window on real models and photos: layout at every screen size, no way out for
visitors but the staff chord and PIN, attract mode, the variant buttons and split view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import CAT_LABELS, IMAGES
from PyQt6.QtCore import QPoint, QPointF, QRect, Qt
from PyQt6.QtGui import QFontMetrics, QWheelEvent
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication, QWidget

from camapp.base.settings import KioskSettings
from camapp.inference.labels import short_label
from camapp.pipeline.session import Session
from camapp.ui.kiosk.overlay import FitLabel
from camapp.ui.kiosk.window import KioskWindow

pytestmark = pytest.mark.gui

V1, V3, V2 = (
    "mobilenet_v1_0.25_128_uint8",
    "mobilenet_v3_small_1.0_224_uint8",
    "mobilenet_v2_1.0_224_uint8",
)
CAT = str(IMAGES / "cat.bmp")
CHORD = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
CHORD |= Qt.KeyboardModifier.ShiftModifier


class KioskOpener:
    """Builds kiosk windows over real sessions (no systemd: an empty environment) and makes
    staff leave each of them at the end, joining every thread."""

    def __init__(self, qtbot: Any, store: Any) -> None:
        self.qtbot, self.store = qtbot, store
        self.windows: list[KioskWindow] = []

    def __call__(
        self,
        source: str | Path,
        size: tuple[int, int] = (800, 480),
        *,
        show: bool = True,
        clock: Any = datetime.now,
        environ: dict[str, str] | None = None,
        session: dict[str, Any] | None = None,
        **kiosk: Any,
    ) -> KioskWindow:
        settings = KioskSettings(**{"models": (V1, V3, V2), **kiosk})
        options = {"roi": (0.3, 0.2, 0.7, 0.8), "threads": 2, **(session or {})}
        live = Session(None, settings.models[0], store=self.store, **options)
        window = KioskWindow(
            live, settings, str(source), clock=clock, environ=environ or {}, max_wait=0.5
        )
        self.windows.append(window)
        window.resize(*size)
        if show:
            self.show(window)
        return window

    def show(self, window: KioskWindow) -> None:
        window.show()
        self.qtbot.waitExposed(window)

    def answered(self, window: KioskWindow, timeout: int = 20_000) -> None:
        """Waits until the models are measured and the first answer is on screen."""
        self.qtbot.waitUntil(
            lambda: window.last_prediction is not None and window.session.model_info is not None,
            timeout=timeout,
        )

    def close_all(self) -> None:
        for window in self.windows:
            window.leave()
            assert window.session.closed


@pytest.fixture
def kiosk(qtbot: Any, store: Any) -> Iterator[KioskOpener]:
    opener = KioskOpener(qtbot, store)
    yield opener
    opener.close_all()


def inside(rect: QRect, outer: QRect) -> bool:
    return outer.contains(rect)


def global_rect(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def assert_text_fits(label: FitLabel, window: QWidget) -> None:
    metrics = QFontMetrics(label.font())
    box = label.contentsRect()
    assert label.text() == label.full_text(), f"elided: {label.full_text()!r}"
    assert metrics.horizontalAdvance(label.text()) <= box.width(), label.text()
    assert metrics.height() <= box.height(), label.text()
    assert inside(global_rect(label, window), window.rect()), label.text()
    parent = label.parentWidget()
    assert parent is not None and inside(label.geometry(), parent.rect()), label.text()


# -- layout ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "size", [(800, 480), (1920, 1080), (1024, 600), (1280, 720), (600, 1024)], ids=str
)
def test_picture_answer_and_buttons_fit_every_screen_with_nothing_clipped(
    kiosk: KioskOpener, size: tuple[int, int], tmp_path: Path
) -> None:
    window = kiosk(CAT, size)
    kiosk.answered(window)
    kiosk.qtbot.waitUntil(lambda: window.speed.label.full_text() != "", timeout=5000)
    screen = window.rect()
    assert window.size().width() == size[0] and window.size().height() == size[1]
    assert inside(window.video.geometry(), screen)
    picture = window.video.image_rect().translated(window.video.pos().toPointF())
    assert picture.width() > 0.5 * min(size) and screen.toRectF().contains(picture)

    answer, bar, speed = window.answers[0], window.bar, window.speed
    for part in (answer, bar, speed):
        assert part.isVisible() and inside(part.geometry(), screen), part.objectName()
    assert not answer.geometry().intersects(bar.geometry())
    assert not speed.geometry().intersects(bar.geometry())
    assert not speed.geometry().intersects(answer.geometry())
    free = window.layout_now.free.translated(-window.video.pos())  # type: ignore[union-attr]
    assert window.video.roi == window.video.home_roi(free)  # the box starts at home
    box = window.video.box_rect().translated(window.video.pos().toPointF()).toRect()
    assert inside(box, screen) and not box.intersects(bar.geometry())

    buttons = bar.buttons
    assert [b.variant.spec for b in buttons] == [V1, V3, V2]
    for i, button in enumerate(buttons):
        assert inside(button.geometry(), bar.rect())
        assert all(not button.geometry().intersects(o.geometry()) for o in buttons[i + 1 :])
        for label in button.labels():
            assert_text_fits(label, window)
    assert len({b.title.font().pixelSize() for b in buttons}) == 1  # one size for the set
    for label in (answer.label, answer.percent, speed.label):
        assert_text_fits(label, window)
    assert answer.label.text().lower() in {c.lower() for c in CAT_LABELS}
    # Readable from two metres: the answer's letters are a tenth of the shorter side or more.
    assert answer.label.font().pixelSize() >= 0.1 * min(size)

    shot = tmp_path / f"kiosk-{size[0]}x{size[1]}.png"
    assert window.grab().save(str(shot), "PNG")
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("size", [(800, 480), (600, 1024)], ids=str)
def test_the_longest_label_of_the_model_shrinks_to_fit_and_is_never_cut(
    kiosk: KioskOpener, size: tuple[int, int]
) -> None:
    window = kiosk(CAT, size)
    kiosk.answered(window)
    info = window.session.model_info
    assert info is not None
    longest = max(map(short_label, info.labels), key=len)  # "American Staffordshire terrier"
    answer = window.answers[0]
    answer.show_answer(longest, 0.42)
    assert_text_fits(answer.label, window)
    assert answer.label.text() == longest and answer.percent.text() == "42%"


# -- no way out for visitors ----------------------------------------------------------------
def test_close_escape_alt_f4_ctrl_q_and_f11_are_ignored_and_chord_plus_pin_leaves(
    kiosk: KioskOpener, qtbot: Any
) -> None:
    window = kiosk(CAT, pin="2468")
    kiosk.answered(window)
    for key, modifiers in (
        (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
        (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_F11, Qt.KeyboardModifier.NoModifier),
    ):
        QTest.keyClick(window, key, modifiers)
    assert window.close() is False  # what a window manager's close (Alt+F4) asks
    assert window.isVisible() and not window.session.closed
    assert window.lockdown.swallowed == 4 and window.close_requests == 1

    pad = window.pin_pad
    assert pad is not None and not pad.isVisible()
    QTest.keyClick(window, Qt.Key.Key_Q, CHORD)
    assert pad.isVisible() and window.isVisible()
    assert_text_fits(pad.display, window)
    for digit in "1357":
        qtbot.mouseClick(pad.keys[digit], Qt.MouseButton.LeftButton)
    assert pad.failures == 1 and window.isVisible()
    assert pad.display.full_text() == "wrong PIN, try again"
    with qtbot.waitSignal(window.closed, timeout=10_000):
        for digit in "2468":
            qtbot.mouseClick(pad.keys[digit], Qt.MouseButton.LeftButton)
    assert window.session.closed and not window.isVisible()


def test_without_a_pin_the_chord_alone_leaves(kiosk: KioskOpener, qtbot: Any) -> None:
    window = kiosk(CAT, exit_chord="Ctrl+Alt+X")
    kiosk.answered(window)
    QTest.keyClick(window, Qt.Key.Key_Q, CHORD)  # the default chord is not this kiosk's
    assert window.isVisible()
    with qtbot.waitSignal(window.closed, timeout=10_000):
        QTest.keyClick(
            window,
            Qt.Key.Key_X,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
        )


# -- attract mode ---------------------------------------------------------------------------
def test_attract_mode_starts_when_idle_keeps_recognising_and_ends_on_a_touch(
    kiosk: KioskOpener, qtbot: Any, scene_video: Path
) -> None:
    window = kiosk(scene_video, show=False, idle_seconds=1, cursor_seconds=0.5)
    changes: list[bool] = []
    window.attract_changed.connect(changes.append)
    kiosk.show(window)
    kiosk.answered(window)
    qtbot.waitUntil(lambda: changes == [True], timeout=10_000)
    assert window.hint.isVisible() and not window.bar.isVisible()
    assert window.hint.title.full_text() == "Hold something up to the camera"
    assert_text_fits(window.hint.title, window)
    qtbot.waitUntil(lambda: window.idle.cursor_hidden, timeout=5000)
    cursor = QApplication.overrideCursor()
    assert cursor is not None and cursor.shape() == Qt.CursorShape.BlankCursor

    # The box glides to the centre of the free area, and answers keep coming.
    qtbot.waitUntil(lambda: not window.video.gliding, timeout=5000)
    layout = window.layout_now
    assert layout is not None
    home = window.video.home_roi(layout.free.translated(-window.video.pos()))
    assert window.session.roi == home == window.video.roi
    seen = window.session.stats().primary.predictions
    qtbot.waitUntil(lambda: window.session.stats().primary.predictions > seen + 3, timeout=5000)

    qtbot.mouseClick(window.video, Qt.MouseButton.LeftButton)
    assert changes == [True, False]
    assert not window.hint.isVisible() and window.bar.isVisible()
    assert QApplication.overrideCursor() is None


def test_a_drag_moves_the_box_the_wheel_resizes_it_and_idle_it_glides_home(
    kiosk: KioskOpener, qtbot: Any
) -> None:
    window = kiosk(CAT, idle_seconds=1.5)
    kiosk.answered(window)
    video = window.video
    home = video.roi
    start = video.box_rect().center().toPoint()
    qtbot.mousePress(video, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(video, start + QPoint(60, 20))
    qtbot.mouseRelease(video, Qt.MouseButton.LeftButton, pos=start + QPoint(60, 20))
    moved = video.roi
    assert moved.center[0] > home.center[0] and moved.width == pytest.approx(home.width)
    assert window.session.roi == moved  # the session classifies the box the visitor chose
    wheel = QWheelEvent(
        QPointF(start),
        QPointF(video.mapToGlobal(start)),
        QPoint(),
        QPoint(0, 240),  # two notches up
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(video, wheel)
    assert video.roi.width > moved.width
    qtbot.waitUntil(lambda: video.roi == home and not video.gliding, timeout=10_000)
    assert window.session.roi == home


# -- the variant buttons and split view -------------------------------------------------------
def test_a_variant_button_swaps_the_model_live(kiosk: KioskOpener, qtbot: Any) -> None:
    window = kiosk(CAT)
    kiosk.answered(window)
    first = window.session.model_info
    assert first is not None and first.spec == V1
    button = next(b for b in window.bar.buttons if b.variant.spec == V2)
    assert button.variant.top1 == 70.8 and button.variant.fps > 0
    with qtbot.waitSignal(
        window.model_shown, timeout=15_000, check_params_cb=lambda i: i.spec == V2
    ):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.last_prediction is not None and window.last_prediction.model == V2,
        timeout=10_000,
    )
    assert [b.isChecked() for b in window.bar.buttons] == [False, False, True]
    assert window.answers[0].label.text().lower() in {c.lower() for c in CAT_LABELS}
    qtbot.waitUntil(lambda: window.speed.label.full_text().startswith("MobileNet V2 1.0"))


def test_split_view_runs_two_variants_on_the_same_frames(
    kiosk: KioskOpener, qtbot: Any, scene_video: Path
) -> None:
    window = kiosk(scene_video, (1280, 720), split=True)
    kiosk.answered(window)
    with qtbot.waitSignal(window.compare_answer_shown, timeout=15_000):
        pass
    left, right = window.answers
    assert left.isVisible() and right.isVisible()
    assert not left.geometry().intersects(right.geometry())
    assert left.title.full_text() == "MobileNet V1 0.25 · 128"
    qtbot.waitUntil(lambda: right.title.full_text() == "MobileNet V3 small 1.0 · 224")
    for label in (left.title, left.label, right.title, right.label):
        assert_text_fits(label, window)
    # Pressing the right-hand model's button swaps the two sides.
    button = next(b for b in window.bar.buttons if b.variant.spec == V3)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            (window.session.model_info, window.session.compare_info) != (None, None)
            and window.session.model_info.spec == V3  # type: ignore[union-attr]
            and window.session.compare_info.spec == V1
        ),  # type: ignore[union-attr]
        timeout=15_000,
    )
