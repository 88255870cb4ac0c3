"""Sources, the latest-frame slot and the inference worker, headless, on real models."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from conftest import CAT_LABELS, IMAGES

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.capture.frames import Frame, LatestSlot
from camapp.capture.scenes import SceneSource
from camapp.capture.sources import open_source
from camapp.capture.synthetic import SyntheticSource
from camapp.capture.video import VideoSource
from camapp.pipeline.worker import InferenceWorker


class RecordingListener:
    """Collects what the worker reports, thread-safely."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.predictions = []
        self.models = []
        self.errors = []
        self.statuses = []

    def on_prediction(self, prediction):
        with self.lock:
            self.predictions.append(prediction)

    def on_model_changed(self, info):
        with self.lock:
            self.models.append(info)

    def on_error(self, message):
        with self.lock:
            self.errors.append(message)

    def on_status(self, message):
        with self.lock:
            self.statuses.append(message)

    def wait_for(self, condition, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if condition(self):
                    return True
            time.sleep(0.01)
        return False


def _worker(store, source, listener, **kwargs):
    def options_for(spec, threads):
        return store.options_for(spec, num_threads=threads)

    return InferenceWorker(source, listener, options_for, **kwargs)


def test_latest_slot_keeps_only_the_newest_frame():
    slot = LatestSlot()
    frames = [Frame.wrap(np.zeros((2, 2, 3), np.uint8)) for _ in range(5)]
    for frame in frames:
        slot.put(frame)
    assert slot.latest() is frames[-1]
    assert slot.wait_newer(frames[-1].id, timeout=0.01) is None
    assert slot.wait_newer(frames[0].id, timeout=0.01) is frames[-1]


def test_frames_are_read_only():
    frame = Frame.wrap(np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError):
        frame.image[0, 0, 0] = 1


def test_video_source_is_paced_at_its_own_frame_rate(scene_video):
    source = VideoSource(str(scene_video), loop=True, realtime=True).start()
    try:
        time.sleep(1.2)
        rate = source.fps.rate()
    finally:
        source.close()
    assert 20 <= rate <= 40, rate
    assert source._thread is None


def test_scene_source_steps_through_photos_and_wraps(tmp_path):
    for name in ("cat.bmp", "parrot.jpg", "owl.jpg"):
        (tmp_path / name).write_bytes((IMAGES / name).read_bytes())
    (tmp_path / "notes.txt").write_text("not a photo")
    source = open_source(str(tmp_path))
    assert isinstance(source, SceneSource)
    source.start()
    assert source.latest().name == "cat.bmp"
    assert source.next_scene().name == "owl.jpg"
    assert source.next_scene().name == "parrot.jpg"
    assert source.next_scene().name == "cat.bmp"
    assert source.previous_scene().name == "parrot.jpg"


def test_unreadable_scene_is_skipped_with_a_message(tmp_path):
    (tmp_path / "a_broken.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "b_cat.bmp").write_bytes((IMAGES / "cat.bmp").read_bytes())
    source = SceneSource.from_path(tmp_path).start()
    assert source.latest().name == "b_cat.bmp"
    assert "a_broken.jpg" in source.error


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("7", "no camera found at 7"),
        ("/nope/video.mp4", "source not found"),
        ("/dev/video9", "no camera found at /dev/video9"),
    ],
)
def test_missing_sources_say_what_to_do(spec, message):
    with pytest.raises(CamappError, match=message) as info:
        open_source(spec)
    assert info.value.hint


def test_worker_names_the_cat_in_a_video_and_joins_its_threads(store, scene_video):
    source = VideoSource(str(scene_video), loop=True, realtime=True).start()
    listener = RecordingListener()
    worker = _worker(store, source, listener, roi=ROI.central(0.875), threads=2)
    worker.load_now("mobilenet_v2_1.0_224_uint8")
    worker.start()
    try:
        assert listener.wait_for(lambda r: len(r.predictions) >= 5)
    finally:
        worker.close()
        source.close()
    first = listener.predictions[0]
    assert CAT_LABELS & set(first.classification.labels[:3])
    assert first.model == "mobilenet_v2_1.0_224_uint8" and first.generation == 1
    ids = [p.frame_id for p in listener.predictions]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert not [t for t in threading.enumerate() if t.name.startswith("camapp")]


def test_roi_change_reclassifies_a_still_scene(store, tmp_path):
    source = SceneSource([IMAGES / "cat.bmp"]).start()
    listener = RecordingListener()
    worker = _worker(store, source, listener, roi=ROI.full(), threads=2)
    worker.load_now("mobilenet_v2_1.0_224_uint8")
    worker.start()
    try:
        assert listener.wait_for(lambda r: len(r.predictions) == 1)
        assert worker.wait_idle()
        assert len(listener.predictions) == 1  # a still scene is classified once
        worker.set_roi(ROI(0.0, 0.0, 0.2, 0.2))
        assert listener.wait_for(lambda r: len(r.predictions) == 2)
    finally:
        worker.close()
    assert listener.predictions[1].roi == ROI(0.0, 0.0, 0.2, 0.2)


def test_click_mode_classifies_only_when_asked(store):
    source = SceneSource([IMAGES / "parrot.jpg"]).start()
    listener = RecordingListener()
    worker = _worker(store, source, listener, mode="click", threads=2)
    worker.load_now("mobilenet_v3_small_1.0_224_uint8")
    worker.start()
    try:
        assert worker.wait_idle()  # the photo is there and the model loaded: nothing asked
        assert listener.predictions == []
        worker.recognise_once()
        assert listener.wait_for(lambda r: len(r.predictions) == 1)
    finally:
        worker.close()
    assert listener.predictions[0].classification.labels[0] == "macaw"


def test_model_swap_keeps_old_model_running_until_new_one_answers(store, scene_video):
    source = VideoSource(str(scene_video), loop=True, realtime=True).start()
    listener = RecordingListener()
    worker = _worker(store, source, listener, roi=ROI.central(0.875), threads=2)
    worker.load_now("mobilenet_v1_0.25_128_uint8")
    worker.start()
    try:
        assert listener.wait_for(lambda r: len(r.predictions) >= 3)
        worker.request_model("mobilenet_v2_1.0_224_uint8")
        assert listener.wait_for(
            lambda r: any(p.model == "mobilenet_v2_1.0_224_uint8" for p in r.predictions)
        )
    finally:
        worker.close()
        source.close()
    models = [p.model for p in listener.predictions]
    switch = models.index("mobilenet_v2_1.0_224_uint8")
    assert set(models[:switch]) == {"mobilenet_v1_0.25_128_uint8"}
    assert set(models[switch:]) == {"mobilenet_v2_1.0_224_uint8"}
    assert [p.generation for p in listener.predictions][switch] == 2
    assert [m.spec for m in listener.models] == [
        "mobilenet_v1_0.25_128_uint8",
        "mobilenet_v2_1.0_224_uint8",
    ]


def test_failed_model_swap_reports_and_keeps_the_old_model(store, tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"garbage" * 1000)
    source = SceneSource([IMAGES / "cat.bmp"]).start()
    listener = RecordingListener()
    worker = _worker(store, source, listener, threads=2)
    worker.load_now("mobilenet_v3_small_1.0_224_uint8")
    worker.start()
    try:
        worker.request_model(str(bad))
        assert listener.wait_for(lambda r: r.errors)
        worker.set_roi(ROI(0.1, 0.1, 0.9, 0.9))
        assert listener.wait_for(lambda r: r.predictions and r.predictions[-1].roi.left == 0.1)
    finally:
        worker.close()
    assert "bad.tflite is not a usable TFLite model" in listener.errors[0]
    assert worker.model_spec == "mobilenet_v3_small_1.0_224_uint8"
    assert {p.model for p in listener.predictions} == {"mobilenet_v3_small_1.0_224_uint8"}


def test_unpaced_synthetic_source_stays_one_frame_ahead_of_its_consumer():
    source = SyntheticSource(width=320, height=240, fps=None).start()
    try:
        first = source.wait_newer(0, timeout=2.0)
        taken = 0
        later = first
        for _ in range(20):
            # Unpaced, it could make thousands of frames a second; on demand it never has
            # more than one frame beyond those a consumer took.
            assert source.fps.count <= taken + 1
            later = source.wait_newer(source.slot.take().id, timeout=2.0)
            taken += 1
    finally:
        source.close()
    assert first.image.shape == (240, 320, 3)
    assert later is not None and later.id >= first.id + 20


def test_compare_mode_second_model_classifies_the_same_frames(store, scene_video):
    from camapp.capture.relay import RelaySource

    source = VideoSource(str(scene_video), loop=True, realtime=True).start()
    relay = RelaySource()
    a_log, b_log = RecordingListener(), RecordingListener()
    roi = ROI.central(0.875)
    a = _worker(store, source, a_log, roi=roi, threads=1, tag="a")
    b = _worker(store, relay, b_log, roi=roi, threads=1, tag="b")
    a.relay = relay.slot
    a.load_now("mobilenet_v3_small_1.0_224_uint8")
    b.load_now("mobilenet_v2_1.0_224_uint8")
    a.start()
    b.start()
    try:
        assert b_log.wait_for(lambda r: len(r.predictions) >= 10)
    finally:
        a.close()
        b.close()
        source.close()
    a_frames = {p.frame_id: p for p in a_log.predictions}
    shared = [p for p in b_log.predictions if p.frame_id in a_frames]
    assert len(shared) >= 10
    assert {p.model for p in shared} == {"mobilenet_v2_1.0_224_uint8"}
    first = shared[0]
    assert CAT_LABELS & set(first.classification.labels[:3])
    assert CAT_LABELS & set(a_frames[first.frame_id].classification.labels[:3])
    assert {p.tag for p in a_log.predictions} == {"a"} and {p.tag for p in shared} == {"b"}


def test_rate_meter_counts_events_in_the_last_second():
    from camapp.base.meters import RateMeter

    meter = RateMeter(window_s=1.0)
    for i in range(60):  # 30 per second for two seconds
        meter.tick(float(i), now=100.0 + i / 30.0)
    assert meter.rate(now=102.0) == pytest.approx(30.0, abs=1.0)
    assert meter.median(now=102.0) == pytest.approx(44.5, abs=1.0)
    young = RateMeter(window_s=1.0)
    for i in range(10):
        young.tick(now=50.0 + i / 20.0)
    assert young.rate(now=50.5) == pytest.approx(20.0, abs=1.0)
    assert RateMeter().rate() == 0.0
