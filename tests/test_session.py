"""The headless Session, driven with real models and real photos/videos, no Qt."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
from conftest import CAT_LABELS, IMAGES

from camapp.capture.frames import FrameSource
from camapp.capture.sources import open_source
from camapp.pipeline.events import NullListener
from camapp.pipeline.session import Session

V2 = "mobilenet_v2_1.0_224_uint8"
V3 = "mobilenet_v3_small_1.0_224_uint8"
TINY = "mobilenet_v1_0.25_128_uint8"


class Recorder(NullListener):
    """Every event in arrival order, and a way to wait for one."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self._cond = threading.Condition()

    def _add(self, kind: str, value: object) -> None:
        with self._cond:
            self.events.append((kind, value))
            self._cond.notify_all()

    def on_prediction(self, prediction):
        self._add("prediction", prediction)

    def on_model_changed(self, info):
        self._add("model", info)

    def on_source_changed(self, info):
        self._add("source", info)

    def on_source_failed(self, spec, message):
        self._add("source_failed", (spec, message))

    def on_error(self, message):
        self._add("error", message)

    def wait(self, predicate, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(list(self.events)), timeout)

    def of(self, kind: str) -> list:
        with self._cond:
            return [value for k, value in self.events if k == kind]


def predictions_after(events, kind_value) -> list:
    """The predictions that arrived after the event ``kind_value`` (a (kind, value) pair)."""
    index = events.index(kind_value)
    return [value for kind, value in events[index + 1 :] if kind == "prediction"]


@pytest.fixture
def session_factory(store):
    sessions: list[Session] = []

    def make(**kwargs) -> tuple[Session, Recorder]:
        recorder = Recorder()
        kwargs.setdefault("threads", 2)
        session = Session(store=store, listener=recorder, **kwargs)
        sessions.append(session)
        return session.start(), recorder

    yield make
    for session in sessions:
        session.close()


def test_a_session_names_the_cat_without_any_window(session_factory):
    session, _ = session_factory(source=str(IMAGES / "cat.bmp"), model=V2, roi=(0.1, 0.1, 0.9, 0.9))
    prediction = session.latest_prediction(timeout=10)
    assert prediction is not None
    assert prediction.top.label in CAT_LABELS
    assert prediction.top == prediction.categories[0]
    assert 0.5 < prediction.top.score <= 1.0
    assert session.stats().primary.model == V2


def test_swapping_while_running_moves_every_later_answer_to_the_new_model(
    session_factory, scene_video
):
    session, recorder = session_factory(source=str(scene_video), model=V2)
    assert recorder.wait(lambda ev: sum(k == "prediction" for k, _ in ev) >= 5)
    session.request_model(TINY)
    info = session.wait_for_model(TINY)
    assert info is not None and info.generation == 2
    assert recorder.wait(lambda ev: len(predictions_after(ev, ("model", info))) >= 5)
    events = recorder.events
    after = predictions_after(events, ("model", info))
    assert {p.model for p in after} == {TINY}  # nothing stale reaches a listener
    assert {p.generation for p in after} == {2}
    before = predictions_after(events, ("model", recorder.of("model")[0]))
    assert V2 in {p.model for p in before}  # the old model answered while the new one loaded
    swap = session.stats().swaps[-1]
    assert swap.model == TINY and swap.answered_after_s is not None


def test_a_model_that_cannot_load_leaves_the_current_one_answering(
    session_factory, scene_video, tmp_path
):
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(b"not a flatbuffer" * 64)
    session, recorder = session_factory(source=str(scene_video), model=V2, synchronous=True)
    assert session.wait_for_model(V2) is not None
    session.request_model(str(bad))  # synchronous: the load has failed when this returns
    errors = recorder.of("error")
    assert len(errors) == 1 and "broken.tflite" in errors[0] and f"still running {V2}" in errors[0]
    assert session.loading is None
    count = len(recorder.of("prediction"))
    assert recorder.wait(lambda ev: sum(k == "prediction" for k, _ in ev) > count + 3)
    assert session.model_info.spec == V2


def test_compare_mode_classifies_exactly_the_frames_the_first_model_did(
    session_factory, scene_video
):
    session, recorder = session_factory(source=str(scene_video), model=V2, compare=TINY)
    assert recorder.wait(
        lambda ev: sum(k == "prediction" and v.tag == "compare" for k, v in ev) >= 10
    )
    predictions = recorder.of("prediction")
    first = {p.frame_id for p in predictions if not p.tag}
    second = [p for p in predictions if p.tag == "compare"]
    assert {p.frame_id for p in second} <= first
    assert {p.model for p in second} == {TINY}
    assert session.model_info.threads + session.compare_info.threads == 2
    compare_threads = list(session.compare_worker.threads)
    session.stop_compare()
    assert session.compare_worker is None and session.compare_info is None
    assert not any(t.is_alive() for t in compare_threads)
    assert session.stats().compare is None


def test_opening_a_slow_source_never_blocks_and_the_old_one_keeps_running(
    session_factory, scene_video
):
    release = threading.Event()
    opening = threading.Event()

    def slow_opener(spec: str) -> FrameSource:
        if spec.startswith("slow:"):
            opening.set()
            release.wait(20)  # like a network stream that takes seconds to answer
            spec = spec[len("slow:") :]
        return open_source(spec)

    session, recorder = session_factory(source=str(scene_video), model=V2, opener=slow_opener)
    assert recorder.wait(lambda ev: sum(k == "prediction" for k, _ in ev) >= 3)
    session.open_source(f"slow:{IMAGES / 'parrot.jpg'}")  # returns at once
    assert opening.wait(5)
    count = len(recorder.of("prediction"))
    assert recorder.wait(lambda ev: sum(k == "prediction" for k, _ in ev) >= count + 5)
    assert session.source.kind == "video"  # still the old source while the new one opens
    release.set()
    assert recorder.wait(lambda ev: any(k == "source" and v.kind == "scenes" for k, v in ev))
    assert recorder.wait(lambda ev: any(p.top.label == "macaw" for p in recorder.of("prediction")))


def test_a_source_that_cannot_open_is_one_line_and_the_current_one_stays(session_factory, tmp_path):
    session, recorder = session_factory(source=str(IMAGES / "owl.jpg"), model=V2, synchronous=True)
    session.open_source(str(tmp_path / "missing.mp4"))
    [(spec, message)] = recorder.of("source_failed")
    assert spec.endswith("missing.mp4") and "missing.mp4" in message and "\n" not in message
    assert session.source.latest().name == "owl.jpg"


def test_the_latest_request_wins_when_sources_are_switched_quickly(session_factory):
    session, recorder = session_factory(model=V2)
    for name in ("owl.jpg", "parrot.jpg", "cat.bmp"):
        session.open_source(str(IMAGES / name))
    assert session.wait_for_source(10)
    assert recorder.wait(lambda ev: any(k == "source" and "cat" in v.name for k, v in ev))
    assert session.source.latest().name == "cat.bmp"


def test_closing_during_a_model_load_joins_every_thread_and_reports_nothing_after(
    store, scene_video
):
    recorder = Recorder()
    session = Session(source=str(scene_video), model=V2, store=store, listener=recorder)
    session.start()
    session.request_model(V3)
    owned = session.threads()
    session.close()
    assert not any(t.is_alive() for t in owned)
    events = len(recorder.events)
    session.request_model(TINY)  # a closed session ignores requests
    assert len(recorder.events) == events
    assert session.closed


def test_latest_prediction_gives_each_answer_once_in_a_loop(session_factory, scene_video):
    session, _ = session_factory(source=str(scene_video), model=TINY)
    seen = [session.latest_prediction(timeout=5) for _ in range(5)]
    assert all(p is not None for p in seen)
    ids = [p.frame_id for p in seen]
    assert ids == sorted(ids) and len(set(ids)) == 5
    session.set_mode("click")
    session.latest_prediction(timeout=1)  # drain what was in flight
    assert session.latest_prediction(timeout=0.3) is None  # click mode: nothing new
    session.recognise_once()
    assert session.latest_prediction(timeout=5) is not None


def test_settings_fan_out_to_both_workers(session_factory, scene_video):
    session, recorder = session_factory(source=str(scene_video), model=V2, compare=TINY)
    assert session.wait_for_model(V2) is not None
    session.set_top_k(2)
    session.set_roi((0.2, 0.2, 0.6, 0.6))
    assert session.worker.roi == session.compare_worker.roi == session.roi
    assert recorder.wait(
        lambda ev: (
            sum(
                1
                for k, v in ev
                if k == "prediction" and v.tag == "compare" and len(v.categories) == 2
            )
            >= 3
        )
    )
    late = [p for p in recorder.of("prediction")[-4:]]
    assert all(len(p.categories) <= 2 for p in late)


def test_statistics_are_a_bounded_frozen_snapshot(session_factory, scene_video):
    session, _ = session_factory(source=str(scene_video), model=TINY)
    for _ in range(5):
        session.latest_prediction(timeout=5)
    stats = session.stats()
    with pytest.raises(AttributeError):
        stats.primary.predictions = 0  # type: ignore[misc]
    assert stats.primary.predictions >= 5 and stats.primary.inference_ms_p50 > 0
    assert stats.camera_fps > 0 and stats.first_prediction_s is not None
    assert session._records[""].history._values.maxlen == 2000


def test_two_model_loads_at_once_leave_stderr_working(models_dir):
    # Each load points fd 2 at a temporary file for a moment; two at once used to leave it
    # pointing at a deleted file, losing every later error message.
    code = textwrap.dedent(
        f"""
        import os, sys, threading
        from camapp.store.catalog import Catalog
        from camapp.store.model_store import ModelStore
        from camapp.inference.classifier import Classifier
        store = ModelStore(Catalog.load(), {str(models_dir)!r})
        ids = ["{V2}", "{TINY}", "{V3}", "mobilenet_v1_0.5_160_uint8"] * 3
        def load(spec):
            Classifier.create(store.options_for(spec, num_threads=1)).close()
        threads = [threading.Thread(target=load, args=(i,)) for i in ids]
        [t.start() for t in threads]
        [t.join() for t in threads]
        os.write(2, b"stderr still works\\n")
        """
    )
    for _ in range(3):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert "stderr still works" in result.stderr
