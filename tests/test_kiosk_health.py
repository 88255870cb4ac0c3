"""The kiosk unattended: systemd's watchdog over a real socket, opening hours, a camera that
is missing or dies and comes back, and models refused as buttons."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import IMAGES, write_scene_video
from mjpeg_server import MjpegServer
from test_kiosk import CAT, V1, V2, KioskOpener

from camapp.capture.frames import Backoff
from camapp.store.catalog import Catalog
from camapp.ui.kiosk.keeper import CLOSED, LIVE, LOST
from camapp.ui.kiosk.probe import ProbeResult, sort_results
from camapp.ui.kiosk.watchdog import SystemdNotifier

pytestmark = pytest.mark.gui

#: Not in the offline mirror, so never installed by the tests.
NOT_INSTALLED = "mobilenet_v3_large_1.0_224_uint8"


@pytest.fixture
def kiosk(qtbot: Any, store: Any) -> Iterator[KioskOpener]:
    opener = KioskOpener(qtbot, store)
    yield opener
    opener.close_all()


class Datagrams:
    """A real AF_UNIX datagram socket, as systemd's $NOTIFY_SOCKET is."""

    def __init__(self, address: str) -> None:
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(address)
        self.socket.setblocking(False)
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.socket.recv(4096).decode())
            except BlockingIOError:
                return self.messages

    def lines(self) -> list[str]:
        return [line for message in self.drain() for line in message.split("\n")]

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[str, Datagrams]]:
    path = str(tmp_path / "notify")
    received = Datagrams(path)
    yield path, received
    received.close()


# -- systemd --------------------------------------------------------------------------------
def test_watchdog_sends_ready_watchdog_status_and_stopping_to_notify_socket(
    kiosk: KioskOpener, qtbot: Any, notify_socket: tuple[str, Datagrams]
) -> None:
    path, received = notify_socket
    environ = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"}  # a ping every 100 ms
    window = kiosk(CAT, environ=environ)
    assert window.heartbeat.notifier.watchdog_interval_ms == 100
    kiosk.answered(window)
    qtbot.waitUntil(lambda: "READY=1" in received.lines(), timeout=5000)
    qtbot.waitUntil(lambda: received.lines().count("WATCHDOG=1") >= 3, timeout=5000)
    lines = received.lines()
    assert lines.index("READY=1") > 0  # pings ran before the first answer, READY came with it
    statuses = [line for line in lines if line.startswith("STATUS=")]
    # A photo: the time per answer (a camera would give answers per second).
    assert any(
        re.fullmatch(r"STATUS=MobileNet V1 0\.25 · 128  \d+\.\d ms per answer", status)
        for status in statuses
    ), statuses
    window.leave()
    assert received.drain()[-1] == "STOPPING=1\nSTATUS=stopping"


def test_notify_socket_in_the_abstract_namespace() -> None:
    name = f"camapp-test-{os.getpid()}"
    received = Datagrams("\0" + name)
    try:
        notifier = SystemdNotifier({"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "30000000"})
        assert notifier.notify("READY=1") and notifier.watchdog_interval_ms == 15_000
        assert received.drain() == ["READY=1"]
        notifier.close()
    finally:
        received.close()


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = SystemdNotifier({"WATCHDOG_USEC": "30000000"})
    assert not notifier.enabled and not notifier.notify("READY=1")
    mine = SystemdNotifier({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "10", "WATCHDOG_PID": "1"})
    assert mine.watchdog_interval_ms == 0  # the watchdog is another process's


# -- opening hours --------------------------------------------------------------------------
def test_outside_opening_hours_the_closed_card_shows_and_the_camera_stops(
    kiosk: KioskOpener, qtbot: Any, scene_video: Path
) -> None:
    now = [datetime(2024, 6, 3, 8, 0)]  # a Monday, before opening
    window = kiosk(scene_video, clock=lambda: now[0], hours={"mon-fri": "09:00-17:30"})
    qtbot.waitUntil(lambda: window.closed_card.isVisible(), timeout=5000)
    assert window.keeper.phase == CLOSED
    assert window.closed_card.title.full_text() == "Closed"
    assert window.closed_card.line.full_text() == "Opens again today at 09:00"
    assert window.closed_card.geometry() == window.rect()
    qtbot.waitUntil(lambda: window.session.source.kind == "none", timeout=5000)

    now[0] = now[0].replace(hour=9)  # opening time
    window.keeper.check_schedule()
    kiosk.answered(window)
    assert window.keeper.phase == LIVE and not window.closed_card.isVisible()
    camera = window.session.source
    assert camera.kind == "video" and camera.alive

    now[0] = now[0].replace(hour=17, minute=45)  # closing time
    window.keeper.check_schedule()
    qtbot.waitUntil(lambda: window.session.source.kind == "none", timeout=5000)
    qtbot.waitUntil(lambda: not camera.alive, timeout=5000)  # capture thread ended
    assert camera.released
    assert window.closed_card.line.full_text() == "Opens again tomorrow at 09:00"
    assert window.status_text().startswith("Closed")


# -- the camera -----------------------------------------------------------------------------
def test_a_camera_missing_at_start_is_retried_until_it_is_there(
    kiosk: KioskOpener, qtbot: Any, tmp_path: Path
) -> None:
    later = tmp_path / "plugged-in-later.avi"
    window = kiosk(later)
    qtbot.waitUntil(lambda: window.keeper.phase == LOST, timeout=10_000)
    qtbot.waitUntil(lambda: window.message.isVisible(), timeout=10_000)
    assert window.message.title.full_text() == "Camera disconnected - reconnecting..."
    attempts = window.keeper.attempts
    qtbot.waitUntil(lambda: window.keeper.attempts > attempts, timeout=10_000)  # retried

    write_scene_video(later, ["cat.bmp"], seconds=1.0)
    qtbot.waitUntil(lambda: window.keeper.phase == LIVE, timeout=10_000)
    kiosk.answered(window)
    assert not window.message.isVisible() and window.keeper.attempts == 0


def test_a_stream_that_dies_shows_reconnecting_and_comes_back_with_its_server(
    kiosk: KioskOpener, qtbot: Any
) -> None:
    with MjpegServer(IMAGES / "cat.bmp") as server:
        window = kiosk(server.url, session={"stream_timeout": 2.0, "reconnect": Backoff(0.2, 0.5)})
        kiosk.answered(window)
        assert window.keeper.phase == LIVE
        server.kill()
        qtbot.waitUntil(lambda: window.keeper.phase == LOST, timeout=15_000)
        qtbot.waitUntil(lambda: window.message.isVisible(), timeout=5000)
        assert "reconnecting" in window.message.title.full_text()
        server.start()
        qtbot.waitUntil(lambda: window.keeper.phase == LIVE, timeout=20_000)
        assert not window.message.isVisible()
        answers = window.session.stats().primary.predictions
        qtbot.waitUntil(lambda: window.session.stats().primary.predictions > answers)


def test_attract_mode_shows_the_scenes_folder_while_the_camera_is_away(
    kiosk: KioskOpener, qtbot: Any, tmp_path: Path
) -> None:
    later = tmp_path / "plugged-in-later.avi"
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for name in ("cat.bmp", "parrot.jpg", "owl.jpg"):
        (scenes / name).write_bytes((IMAGES / name).read_bytes())
    window = kiosk(later, idle_seconds=1, scenes=str(scenes), scene_seconds=0.2)
    qtbot.waitUntil(lambda: window.keeper.showing_scenes, timeout=10_000)
    assert window.idle.attracting and window.keeper.phase == LOST
    assert window.hint.isVisible() and not window.message.isVisible()
    assert window.hint.title.full_text() == "Camera disconnected - reconnecting..."
    kiosk.answered(window)
    photos = {window.session.source.latest().name}  # type: ignore[union-attr]
    qtbot.waitUntil(
        lambda: (
            photos.add(window.session.source.latest().name)  # type: ignore[func-returns-value,union-attr]
            or len(photos) == 3
        ),
        timeout=10_000,
    )

    window.idle.note_input()  # a visitor: the photos stop, the card says why
    assert not window.hint.isVisible() and window.message.isVisible()
    write_scene_video(later, ["cat.bmp"], seconds=1.0)  # the camera is back
    qtbot.waitUntil(lambda: window.keeper.phase == LIVE, timeout=10_000)
    assert window.session.source_spec == str(later) and not window.keeper.showing_scenes
    assert not window.message.isVisible()


# -- models refused as buttons --------------------------------------------------------------
def test_a_model_that_is_not_installed_is_refused_with_a_message_at_start(
    kiosk: KioskOpener,
) -> None:
    window = kiosk(CAT, models=(V1, NOT_INSTALLED, V2))
    kiosk.answered(window)
    assert [b.variant.spec for b in window.bar.buttons] == [V1, V2]
    (refused,) = window.refused
    assert refused.spec == NOT_INSTALLED and refused.fps is None
    assert refused.error == f"model {NOT_INSTALLED} is not installed"
    assert window.notice.isVisible()
    assert window.notice.title.full_text() == "Some models get no button"
    assert "MobileNet V3 large 1.0 · 224" in window.notice.line.full_text()


def test_models_below_the_fps_floor_get_no_button(caplog: pytest.LogCaptureFixture) -> None:
    catalog = Catalog.load()
    results = [
        ProbeResult(V1, 240.0, 4.2),
        ProbeResult(V2, 3.5, 285.7),
        ProbeResult(NOT_INSTALLED, None, error=f"model {NOT_INSTALLED} is not installed"),
    ]
    variants, refused = sort_results(results, catalog, floor=5.0)
    assert [(v.spec, v.fps, v.top1) for v in variants] == [(V1, 240.0, 39.5)]
    assert [r.spec for r in refused] == [V2, NOT_INSTALLED]
    assert f"kiosk model {V2} refused as a button: 3.5 fps here, below the floor of 5 fps" in (
        caplog.text
    )
