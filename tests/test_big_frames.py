"""Big and odd frames: 48 MP photos and videos, HEIC, unreadable photos, animated GIFs.

``fixtures/pattern.heic`` is a real 64x64 HEIC image of a colour gradient (462 bytes),
made with ``heif-enc -q 50`` from libheif-examples; camapp never needs libheif itself.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import CAT_LABELS, FIXTURES, IMAGES

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.capture.frames import Frame, FrameSource
from camapp.capture.scenes import SceneSource, open_photos
from camapp.capture.sources import open_source
from camapp.inference.classifier import Classifier
from camapp.pipeline.events import NullListener, Prediction
from camapp.pipeline.session import Session

V2 = "mobilenet_v2_1.0_224_uint8"
#: Longest wait (s) for something that must happen; a passing test goes on at once.
WAIT = 20.0
HEIC = FIXTURES / "pattern.heic"


def photo_folder(folder: Path, names: list[str]) -> Path:
    """``folder`` holding copies of real photos, prefixed a_, b_, ... to fix their order."""
    folder.mkdir(exist_ok=True)
    for letter, name in zip("abcdefgh", names):
        shutil.copy(IMAGES / name, folder / f"{letter}_{name}")
    return folder


def write_gif(path: Path, names: list[str], size: int = 224, ms: int = 100) -> Path:
    """An animated GIF of real photos, one frame each, written by OpenCV itself."""
    animation = cv2.Animation()
    animation.frames = [
        cv2.resize(cv2.imread(str(IMAGES / n)), (size, size), interpolation=cv2.INTER_AREA)
        for n in names
    ]
    animation.durations = [ms] * len(names)
    assert cv2.imwriteanimation(str(path), animation), "OpenCV cannot write GIF here"
    return path


class Scenes(NullListener):
    """The photos N / P moved to, and errors, as the session reports them."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.scenes: list[tuple[str, int, int]] = []
        self.errors: list[str] = []

    def on_scene_changed(self, name: str, index: int, count: int) -> None:
        with self.cond:
            self.scenes.append((name, index, count))
            self.cond.notify_all()

    def on_error(self, message: str) -> None:
        with self.cond:
            self.errors.append(message)
            self.cond.notify_all()

    def wait(self, count: int) -> list[tuple[str, int, int]]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.scenes) >= count, WAIT)
            return list(self.scenes)


class HeldDecode:
    """Holds every ``cv2.imread`` while armed, as a 48 MP decode holds its thread."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.armed = False
        self.decoded: list[str] = []
        self.threads: set[str] = set()
        imread = cv2.imread

        def held(path: str, *args: object) -> np.ndarray | None:
            if self.armed:
                self.threads.add(threading.current_thread().name)
                self.started.set()
                self.release.wait(WAIT)
            self.decoded.append(Path(path).name)
            return imread(path, *args)

        monkeypatch.setattr(cv2, "imread", held)


@pytest.fixture
def session_with(store):
    sessions: list[Session] = []

    def make(source: str, **kwargs: object) -> tuple[Session, Scenes]:
        listener = Scenes()
        session = Session(source, store=store, listener=listener, threads=2, **kwargs)
        sessions.append(session.start())
        assert session.wait_for_source(WAIT)
        return session, listener

    yield make
    for session in sessions:
        session.close()


# -- N / P off the caller's thread ------------------------------------------------------------
def test_n_returns_before_the_photo_decodes_and_quick_presses_add_up(
    session_with, tmp_path, monkeypatch
):
    folder = photo_folder(
        tmp_path / "photos", ["cat.bmp", "owl.jpg", "parrot.jpg", "burger.jpg", "hot_dog.jpg"]
    )
    session, scenes = session_with(str(folder))
    assert session.source.latest().name == "a_cat.bmp"
    decode = HeldDecode(monkeypatch)
    decode.armed = True
    try:
        assert session.next_scene() is True  # returns while the decode below is held
        assert decode.started.wait(WAIT), "the photo never started decoding"
        assert session.source.latest().name == "a_cat.bmp"
        assert session.next_scene() and session.next_scene()  # two more presses meanwhile
    finally:
        decode.armed = False
        decode.release.set()
    assert [s[:2] for s in scenes.wait(2)] == [("b_owl.jpg", 1), ("d_burger.jpg", 3)]
    assert scenes.scenes[-1][2] == 5
    assert decode.threads == {"camapp-scene-stepper"}
    assert decode.decoded == ["b_owl.jpg", "d_burger.jpg"]  # parrot was skipped over
    assert session.source.latest().name == "d_burger.jpg"
    answer = session.latest_prediction(timeout=WAIT)
    while answer is not None and answer.frame_id != session.source.latest().id:
        answer = session.latest_prediction(timeout=WAIT)
    assert answer is not None and "cheeseburger" in answer.classification.labels[:3]


def test_n_on_a_live_source_says_no_and_moves_nothing(session_with, scene_video):
    session, scenes = session_with(str(scene_video))
    assert session.next_scene() is False and session.previous_scene() is False
    assert session.wait_for_source(WAIT) and scenes.scenes == []


def test_p_steps_back_past_an_unreadable_photo(session_with, tmp_path):
    folder = photo_folder(tmp_path / "photos", ["cat.bmp", "owl.jpg", "parrot.jpg"])
    (folder / "b_owl.jpg").write_bytes(b"not a jpeg at all")
    session, scenes = session_with(str(folder))
    session.next_scene()
    assert scenes.wait(1)[-1][:2] == ("c_parrot.jpg", 2)  # N skips it forward
    session.previous_scene()
    assert scenes.wait(2)[-1][:2] == ("a_cat.bmp", 0)  # P skips it backward
    assert "b_owl.jpg" in (session.source.error or "")
    session.previous_scene()
    assert scenes.wait(3)[-1][:2] == ("c_parrot.jpg", 2)  # and wraps round


def test_a_folder_of_unreadable_photos_is_one_error_and_the_app_keeps_running(tmp_path):
    folder = photo_folder(tmp_path / "photos", ["cat.bmp", "owl.jpg"])
    source = SceneSource.from_path(folder).start()
    for path in folder.iterdir():
        path.write_bytes(b"gone bad")
    with pytest.raises(CamappError, match="none of the images in photos can be read"):
        source.next_scene()


# -- formats -------------------------------------------------------------------------------------
def test_heic_photos_in_a_folder_are_listed_as_skipped_with_the_reason(tmp_path):
    folder = photo_folder(tmp_path / "photos", ["cat.bmp", "owl.jpg"])
    shutil.copy(HEIC, folder / "c_holiday.heic")
    shutil.copy(HEIC, folder / "d_holiday.HEIC")
    if cv2.haveImageReader(str(HEIC)):  # a build with libheif shows them instead
        assert len(SceneSource.from_path(folder).paths) == 4
        return
    source = open_source(str(folder)).start()
    assert [p.name for p in source.paths] == ["a_cat.bmp", "b_owl.jpg"]
    assert source.error == "2 photos skipped: .heic is not supported by this OpenCV build"
    source.next_scene()
    assert source.error is None  # said once


def test_a_heic_photo_alone_is_refused_with_the_reason(tmp_path):
    if cv2.haveImageReader(str(HEIC)):
        pytest.skip("this OpenCV build reads HEIC")
    only = tmp_path / "only"
    only.mkdir()
    shutil.copy(HEIC, only / "a.heic")
    shutil.copy(HEIC, only / "b.heif")
    with pytest.raises(CamappError) as folder_error:
        open_source(str(only))
    assert "2 photos skipped: .heic and .heif are not supported" in str(folder_error.value)
    with pytest.raises(CamappError) as file_error:
        open_source(str(only / "a.heic"))
    assert str(file_error.value).startswith(
        "cannot show a.heic: .heic is not supported by this OpenCV build"
    )


def test_an_animated_gif_plays_like_a_video_and_is_recognised_frame_by_frame(
    session_with, tmp_path
):
    gif = write_gif(tmp_path / "pets.gif", ["cat.bmp", "parrot.jpg"], ms=200)
    source = open_source(str(gif))
    assert source.kind == "video" and not source.is_still
    source.close()
    session, _ = session_with(str(gif), model=V2)
    labels: set[str] = set()
    # Both photos are recognised, and the two-frame GIF loops (answers keep coming).
    while not ("macaw" in labels and CAT_LABELS & labels) or session.source.fps.count < 5:
        answer = session.latest_prediction(timeout=WAIT)
        assert answer is not None, f"the GIF stopped playing; saw {labels}"
        labels.update(answer.classification.labels[:3])


def test_a_still_gif_is_a_photo_and_an_animated_one_in_a_folder_says_it_shows_one_frame(
    tmp_path,
):
    still = write_gif(tmp_path / "still.gif", ["owl.jpg"])
    assert isinstance(open_photos(still), SceneSource)
    folder = photo_folder(tmp_path / "photos", ["cat.bmp"])
    write_gif(folder / "b_pets.gif", ["cat.bmp", "parrot.jpg"])
    source = SceneSource.from_path(folder).start()
    frame = source.next_scene()
    assert frame is not None and frame.name == "b_pets.gif" and frame.image.shape == (224, 224, 3)
    assert source.error is not None and "b_pets.gif is animated" in source.error


# -- the window ------------------------------------------------------------------------------
@pytest.mark.gui
@pytest.mark.usefixtures("private_settings")
def test_n_in_the_window_returns_at_once_and_the_photo_and_its_answer_follow(
    qtbot, open_window, tmp_path, monkeypatch
):
    from PyQt6.QtCore import QTimer

    folder = photo_folder(tmp_path / "photos", ["cat.bmp", "parrot.jpg"])
    window = open_window(str(folder))
    qtbot.waitUntil(lambda: window.last_prediction is not None, timeout=int(WAIT * 1000))
    decode = HeldDecode(monkeypatch)
    decode.armed = True
    try:
        window.next_scene()  # the key's handler: returns with the decode still held
        assert decode.started.wait(WAIT)
        assert window.source.latest().name == "a_cat.bmp"
        turned = threading.Event()  # the event loop keeps turning while the photo decodes
        QTimer.singleShot(0, turned.set)
        qtbot.waitUntil(turned.is_set, timeout=int(WAIT * 1000))
    finally:
        decode.armed = False
        decode.release.set()
    status = window.statusBar()
    qtbot.waitUntil(
        lambda: status.currentMessage() == "Photo 2 of 2: b_parrot.jpg", timeout=int(WAIT * 1000)
    )
    frame_id = window.source.latest().id
    qtbot.waitUntil(
        lambda: window.last_prediction is not None and window.last_prediction.frame_id == frame_id,
        timeout=int(WAIT * 1000),
    )
    assert window.last_prediction.classification.labels[0] == "macaw"
    assert window.video._label_text().startswith("macaw")


class _OneFrame(FrameSource):
    """Plumbing: a source whose slot gets whatever frame the test puts there."""

    is_still = True


@pytest.mark.gui
def test_the_view_scales_a_48_megapixel_frame_once_for_display(qtbot):
    from camapp.ui.video_view import VideoView

    view = VideoView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    source = _OneFrame("big")
    big = np.zeros((6000, 8000, 3), np.uint8)
    big[:, 4000:] = (0, 0, 255)  # right half red: the scaled image must keep it there
    source.slot.put(Frame.wrap(big, "big.jpg"))
    view.set_source(source)
    ratio = view.devicePixelRatioF()
    assert view.frame_size == (8000, 6000)
    width, height = view.display_size
    assert width <= 800 * ratio and height <= 600 * ratio and abs(width / height - 4 / 3) < 0.01
    image = view._image  # what a paint copies: the frame at the size it fills, once
    assert image.pixelColor(width // 4, height // 2).getRgb()[:3] == (0, 0, 0)
    assert image.pixelColor(3 * width // 4, height // 2).getRgb()[:3] == (255, 0, 0)
    view.resize(400, 300)  # a smaller view: the same frame scaled again, no new frame needed
    qtbot.waitUntil(lambda: view.display_size[0] <= 400 * ratio)
    assert view.frame_size == (8000, 6000)


@pytest.mark.gui
def test_the_label_of_a_photo_is_never_drawn_on_the_next_one(qtbot, store, tmp_path):
    from camapp.ui.video_view import VideoView

    view = VideoView()
    qtbot.addWidget(view)
    source = SceneSource.from_path(photo_folder(tmp_path / "photos", ["cat.bmp", "owl.jpg"]))
    view.set_source(source.start())
    cat = source.latest()
    with Classifier.create(store.options_for(V2, num_threads=2)) as classifier:
        result = classifier.classify(cat.image, ROI.full(), top_k=3)
    answer = Prediction(cat.id, 1, V2, result, ROI.full(), cat.timestamp, time.monotonic())
    view.set_prediction(answer)
    assert view._label_text().startswith(result.labels[0])
    source.next_scene()
    qtbot.waitUntil(lambda: view.frame_size is not None and view._frame.name == "b_owl.jpg")
    assert view._label_text() == ""  # the cat's label went with the cat
    view.set_prediction(answer)  # a late answer about the cat: not drawn on the owl
    assert view._label_text() == ""
