"""Network streams and video files that stall, stay silent, die or vanish: real faults.

Every stream here is a real HTTP MJPEG server on 127.0.0.1 (tests/mjpeg_server.py) that the
test starts, stalls, kills and restarts, or a real listening socket that never answers. The
models and photos are the real ones. Nothing is faked.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from conftest import CAT_LABELS, IMAGES, write_scene_video
from mjpeg_server import MjpegServer, SilentPort
from test_session import Recorder

from camapp.capture.camera import CameraSource
from camapp.capture.frames import Backoff, SourceState
from camapp.capture.video import VideoSource
from camapp.pipeline.session import Session

V2 = "mobilenet_v2_1.0_224_uint8"
TINY = "mobilenet_v1_0.25_128_uint8"
#: Waits in these tests are bounds for a failure, never measurements.
WAIT = 20.0
#: Quick reconnects so a test sees several attempts within a second or two.
QUICK = Backoff(first=0.2, cap=0.8)


class StatusRecorder(Recorder):
    """A :class:`Recorder` that also keeps status lines and source states."""

    def on_status(self, message):
        self._add("status", message)

    def on_source_status(self, spec, state):
        self._add("source_status", (spec, state))

    def states(self) -> list[SourceState]:
        return [state for _, state in self.of("source_status")]

    def lost(self) -> list[SourceState]:
        """The states reported while the source was not live, in order."""
        return [state for state in self.states() if state.phase == "reconnecting"]

    def back_at(self) -> int:
        """Where the first "live again" after a loss is in :attr:`events` (-1: not yet)."""
        seen_loss = False
        for i, (kind, value) in enumerate(list(self.events)):
            if kind == "source_status":
                if value[1].phase == "reconnecting":
                    seen_loss = True
                elif value[1].live and seen_loss:
                    return i
        return -1


def names_a_cat(prediction) -> bool:
    return prediction.top.label in CAT_LABELS


def poll(condition, timeout: float = WAIT) -> bool:
    """Waits for ``condition()`` to turn true (checked every 20 ms), up to ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def mjpeg():
    """Starts MJPEG servers of the photos asked for; kills them all afterwards."""
    servers: list[MjpegServer] = []

    def start(name: str = "cat.bmp") -> MjpegServer:
        server = MjpegServer(IMAGES / name).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def session_factory(store):
    sessions: list[Session] = []

    def make(**kwargs) -> tuple[Session, StatusRecorder]:
        recorder = StatusRecorder()
        kwargs.setdefault("threads", 2)
        kwargs.setdefault("reconnect", QUICK)
        session = Session(store=store, listener=recorder, **kwargs)
        sessions.append(session)
        return session.start(), recorder

    yield make
    for session in sessions:
        session.close()


# -- 1. a stalled stream ----------------------------------------------------------------------
def test_closing_a_stalled_stream_leaves_the_release_to_its_capture_thread(mjpeg):
    server = mjpeg()
    source = VideoSource(server.url, loop=False, realtime=False, timeout=1.5).start()
    assert source.wait_newer(0, WAIT) is not None
    server.stall()  # the socket stays open, nothing more arrives: the read blocks
    assert source.close(timeout=0.5) is False  # still blocked in read(): not touched from here
    assert source.close(timeout=0.1) is False  # nor by a second close
    assert not source.released
    assert source.join(WAIT)  # the read timed out and the capture thread released it
    assert source.state.live  # closed while waiting: no reconnect was started


def test_leaving_a_stalled_stream_for_a_photo_does_not_crash_and_joins_its_thread(
    mjpeg, session_factory
):
    server = mjpeg("cat.bmp")
    # A read timeout longer than close()'s 2 s join: the switch has to leave the release to
    # the capture thread (the crash of the issue came from releasing it from elsewhere).
    session, recorder = session_factory(source=server.url, model=V2, stream_timeout=2.5)
    assert recorder.wait(lambda ev: any(k == "prediction" and names_a_cat(v) for k, v in ev))
    stalled = session.source
    server.stall()
    session.open_source(str(IMAGES / "parrot.jpg"))
    assert recorder.wait(lambda ev: any(k == "source" and v.kind == "scenes" for k, v in ev))
    assert recorder.wait(
        lambda ev: any(k == "prediction" and v.top.label == "macaw" for k, v in ev), WAIT
    )
    assert stalled.join(WAIT)  # the old capture was released, by its own thread
    assert recorder.of("source_failed") == [] and recorder.of("error") == []


# -- 2. a silent port -------------------------------------------------------------------------
def test_a_silent_port_fails_after_the_stream_timeout_and_the_current_source_keeps_running(
    session_factory, scene_video
):
    session, recorder = session_factory(source=str(scene_video), model=V2, stream_timeout=1.0)
    assert recorder.wait(lambda ev: sum(k == "prediction" for k, _ in ev) >= 3)
    with SilentPort() as silent:
        session.open_source(silent.url)
        assert recorder.of("source_failed") == []  # returned before the open could fail
        assert ("status", f"connecting to {silent.url}...") in recorder.events
        assert recorder.wait(lambda ev: any(k == "source_failed" for k, _ in ev), 1.0 + 10)
    [(spec, message)] = recorder.of("source_failed")
    assert spec == silent.url
    assert f"no answer from {silent.url} within 1 s" in message and "\n" not in message
    assert "stream_timeout" in message  # where to change it
    # The view's "connecting" line ended with the failure: the running source is reported.
    assert [s.phase for s in recorder.states()][-2:] == ["connecting", "live"]
    assert session.source.kind == "video"
    count = len(recorder.of("prediction"))
    assert recorder.wait(lambda ev: sum(k == "prediction" for k, _ in ev) >= count + 5)


# -- 3. a stream that dies and comes back -----------------------------------------------------
def test_a_killed_stream_reconnects_by_itself_and_predictions_resume(mjpeg, session_factory):
    server = mjpeg("cat.bmp")
    session, recorder = session_factory(source=server.url, model=TINY, stream_timeout=2.0)
    assert recorder.wait(lambda ev: sum(k == "prediction" for k, _ in ev) >= 3)
    server.kill()
    lost = "camera lost - reconnecting, attempt 3"
    assert recorder.wait(lambda ev: ("status", lost) in ev)
    assert session.source_state.phase == "reconnecting"
    assert (session.source_spec, SourceState("reconnecting", 3, lost)) in recorder.of(
        "source_status"
    )
    # Everything else keeps running while the stream is gone: a model swap, for one.
    session.request_model(V2)
    assert session.wait_for_model(V2, WAIT) is not None
    server.start()  # the same port again
    assert recorder.wait(lambda ev: recorder.back_at() >= 0)
    back = recorder.back_at()
    assert recorder.wait(
        lambda ev: any(k == "prediction" and names_a_cat(v) for k, v in ev[back:]), WAIT
    )
    assert [s.attempt for s in recorder.lost()][:3] == [1, 2, 3]
    assert recorder.of("source_failed") == [] and recorder.of("error") == []


def test_a_stalled_stream_counts_as_lost_after_the_read_timeout(mjpeg, session_factory):
    server = mjpeg("cat.bmp")
    session, recorder = session_factory(source=server.url, model=TINY, stream_timeout=1.0)
    assert recorder.wait(lambda ev: sum(k == "prediction" for k, _ in ev) >= 3)
    server.stall()
    assert recorder.wait(
        lambda ev: ("status", "camera lost - reconnecting, attempt 1") in ev, 1.0 + 10
    )
    server.resume()
    assert recorder.wait(lambda ev: recorder.back_at() >= 0)


# -- 3. a video file that vanishes ------------------------------------------------------------
def test_a_deleted_video_says_so_once_and_plays_again_when_it_is_back(session_factory, tmp_path):
    video = write_scene_video(tmp_path / "loop.avi", ["cat.bmp"], seconds=0.5)
    session, recorder = session_factory(source=str(video), model=V2)
    assert recorder.wait(lambda ev: any(k == "prediction" and names_a_cat(v) for k, v in ev))
    video.unlink()
    gone = f"video file gone: {video}"
    assert recorder.wait(lambda ev: ("status", gone) in ev)  # at the next rewind
    assert poll(lambda: session.source_state.attempt >= 3)  # it keeps trying ...
    assert [s.message for s in recorder.lost()] == [gone]  # ... and said it once
    # A new video put in its place (atomically, as a content update would) plays.
    write_scene_video(tmp_path / "new.avi", ["parrot.jpg"], seconds=0.5)
    os.replace(tmp_path / "new.avi", video)
    assert recorder.wait(lambda ev: recorder.back_at() >= 0)
    assert recorder.wait(
        lambda ev: any(k == "prediction" and v.top.label == "macaw" for k, v in ev), WAIT
    )


def test_a_video_replaced_at_its_path_plays_the_new_one_without_a_message(
    session_factory, tmp_path
):
    video = write_scene_video(tmp_path / "loop.avi", ["cat.bmp"], seconds=0.5)
    session, recorder = session_factory(source=str(video), model=V2)
    assert recorder.wait(lambda ev: any(k == "prediction" and names_a_cat(v) for k, v in ev))
    write_scene_video(tmp_path / "new.avi", ["parrot.jpg"], seconds=0.5)
    os.replace(tmp_path / "new.avi", video)
    assert recorder.wait(
        lambda ev: any(k == "prediction" and v.top.label == "macaw" for k, v in ev), WAIT
    )
    assert all(s.live for s in recorder.states())


# -- 3. a camera that stops sending -----------------------------------------------------------
def test_a_camera_that_stops_sending_is_reopened_by_its_capture_thread(tmp_path):
    # No camera here: OpenCV opens a video file given as the device just as it opens
    # /dev/video0, so a deleted file is a camera whose reads fail and that cannot be reopened.
    # Only the device is a stand-in; CameraSource's reads, loss and reopening are the real ones.
    device = write_scene_video(tmp_path / "camera.avi", ["cat.bmp"], seconds=0.5)
    states: list[SourceState] = []
    changed = threading.Condition()

    def record(state: SourceState) -> None:
        with changed:
            states.append(state)
            changed.notify_all()

    source = CameraSource(str(device))
    source.backoff, source.state_listener = QUICK, record
    with source:
        assert source.wait_newer(0, WAIT) is not None
        device.unlink()  # the open handle plays to the end, then every read fails
        with changed:
            assert changed.wait_for(lambda: len(states) >= 3, WAIT)  # attempts 1, 2, 3
        assert [s.message for s in states[:3]] == [
            f"camera lost - reconnecting, attempt {n}" for n in (1, 2, 3)
        ]
        write_scene_video(device, ["cat.bmp"], seconds=0.5)  # plugged in again
        with changed:
            assert changed.wait_for(lambda: any(s.live for s in states), WAIT)
        last = source.latest()
        assert source.wait_newer(last.id, WAIT) is not None  # frames again
    assert source.released


# -- the window -------------------------------------------------------------------------------
def test_the_window_says_the_camera_is_lost_over_the_last_frame_and_recovers(
    qtbot, open_window, mjpeg
):
    server = mjpeg("cat.bmp")
    window = open_window(server.url, stream_timeout=2.0, reconnect_max_wait=0.5)
    qtbot.waitUntil(
        lambda: window.last_prediction is not None and names_a_cat(window.last_prediction),
        timeout=int(WAIT * 1000),
    )
    server.kill()
    qtbot.waitUntil(
        lambda: "camera lost - reconnecting, attempt 2" in window.video.message_text,
        timeout=int(WAIT * 1000),
    )
    assert window.video.frame_size == (640, 480)  # the last frame stays under the message
    server.start()
    qtbot.waitUntil(lambda: window.video.message_text == "", timeout=int(WAIT * 1000))
    with qtbot.waitSignal(
        window.prediction_shown, check_params_cb=names_a_cat, timeout=int(WAIT * 1000)
    ):
        pass


def test_the_window_says_connecting_then_why_a_silent_stream_failed(qtbot, open_window):
    window = open_window(str(IMAGES / "owl.jpg"), stream_timeout=1.0)
    qtbot.waitUntil(lambda: window.last_prediction is not None, timeout=int(WAIT * 1000))
    with SilentPort() as silent:
        window.open_source(silent.url)
        qtbot.waitUntil(
            lambda: window.video.message_text == f"connecting to {silent.url}...",
            timeout=int(WAIT * 1000),
        )
        qtbot.waitUntil(lambda: silent.url in window.last_error, timeout=int(WAIT * 1000))
    assert "within 1 s" in window.last_error
    qtbot.waitUntil(lambda: window.video.message_text == "", timeout=int(WAIT * 1000))
    assert window.session.source.kind == "scenes"  # the owl is still there


def test_the_window_leaves_a_stalled_stream_for_a_photo(qtbot, open_window, mjpeg):
    server = mjpeg("cat.bmp")
    window = open_window(server.url, stream_timeout=2.5)
    qtbot.waitUntil(lambda: window.last_prediction is not None, timeout=int(WAIT * 1000))
    stalled = window.session.source
    server.stall()
    window.open_source(str(IMAGES / "parrot.jpg"))
    with qtbot.waitSignal(
        window.prediction_shown,
        check_params_cb=lambda p: p.top.label == "macaw",
        timeout=int(WAIT * 1000),
    ):
        pass
    qtbot.waitUntil(lambda: stalled.released, timeout=int(WAIT * 1000))
    assert stalled.join(WAIT)
