"""The classroom worksheet without a window: top-k, your own photo, speed on a still photo."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest
from conftest import IMAGES, MIRROR

from camapp.base.errors import CamappError
from camapp.capture.scenes import SceneSource
from camapp.inference.classifier import Classifier, top_k_indices
from camapp.inference.options import ClassifierOptions
from camapp.pipeline.events import NullListener
from camapp.pipeline.session import Session

V2 = "mobilenet_v2_1.0_224_uint8"
TINY = "mobilenet_v1_0.25_128_uint8"


# -- top-k ------------------------------------------------------------------------------------
def test_top_k_breaks_ties_by_the_lower_class_index_as_tensorflow_does():
    scores = np.array([0.2, 0.2, 0.0, 0.2, 0.4, 0.2], np.float32)
    assert top_k_indices(scores, 3)[0] == [4, 0, 1]  # of the four 0.2s, the lowest indices
    assert top_k_indices(scores, 6)[0] == [4, 0, 1, 3, 5]  # and never the 0.0
    assert top_k_indices(scores, 3, skip=(0,))[0] == [4, 1, 3]
    assert top_k_indices(np.zeros(5, np.float32), 3) == ([], [])


def test_a_real_model_never_answers_with_a_zero_score_and_orders_its_ties(load_image):
    # The quantised V2 gives most classes exactly 0 and many the same small score on a white
    # frame: real ties, real zeros.
    options = ClassifierOptions(
        model_paths=(str(MIRROR / "mobilenet_v2_1.0_224_quant.tflite"),),
        labels_path=str(MIRROR / "labels.txt"),
    )
    with Classifier.create(options) as classifier:
        white = np.full((240, 320, 3), 255, np.uint8)
        result = classifier.classify(white, top_k=1001)
        scores = classifier.scores()
        positive = int((scores[1:] > 0).sum())
    assert 0 < len(result.categories) == positive < 1000
    pairs = [(c.score, c.index) for c in result.categories]
    assert pairs == sorted(pairs, key=lambda pair: (-pair[0], pair[1]))
    assert any(a[0] == b[0] for a, b in zip(pairs, pairs[1:])), "the test needs a tie"


def test_background_is_never_an_answer_even_when_it_scores(load_image):
    # This V2 outputs logits: after the softmax every class, background too, scores above 0.
    options = ClassifierOptions(
        model_paths=(str(MIRROR / "mobilenet_v2_1.0_224.uint8.tflite"),),
        labels_path=str(MIRROR / "labels.txt"),
    )
    with Classifier.create(options) as classifier:
        result = classifier.classify(load_image("cat.bmp"), top_k=1001)
        assert classifier.labels[0] == "background" and classifier.scores()[0] > 0
    assert len(result.categories) == 1000
    assert 0 not in {c.index for c in result.categories}
    assert "background" not in result.labels


# -- your own photo ---------------------------------------------------------------------------
@pytest.fixture
def photo_folder(tmp_path):
    folder = tmp_path / "scenes"
    folder.mkdir()
    for name in ("cat.bmp", "owl.jpg", "sunflower.bmp"):
        shutil.copy(IMAGES / name, folder / name)
    return folder


def test_a_photo_is_inserted_after_the_one_shown_and_shown(photo_folder):
    source = SceneSource.from_path(photo_folder).start()
    source.go_to(1)  # owl.jpg
    frame = source.insert(IMAGES / "parrot.jpg")
    assert [p.name for p in source.paths] == ["cat.bmp", "owl.jpg", "parrot.jpg", "sunflower.bmp"]
    assert (source.position, frame.index, frame.name) == (2, 2, "parrot.jpg")
    assert source.latest() is frame
    assert source.step(+1).name == "sunflower.bmp"
    # The same photo again is shown where it is, not listed twice.
    assert source.insert(IMAGES / "parrot.jpg").index == 2 and len(source.paths) == 4


def test_an_unreadable_photo_is_refused_and_the_list_stays(photo_folder, tmp_path):
    source = SceneSource.from_path(photo_folder).start()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(CamappError, match="cannot read image"):
        source.insert(broken)
    assert len(source.paths) == 3 and source.position == 0


class SceneRecorder(NullListener):
    def __init__(self) -> None:
        self.scenes: list[tuple[str, int, int]] = []
        self.sources: list[str] = []
        self.changed = threading.Condition()

    def on_scene_changed(self, name: str, index: int, count: int) -> None:
        with self.changed:
            self.scenes.append((name, index, count))
            self.changed.notify_all()

    def on_source_changed(self, info) -> None:
        with self.changed:
            self.sources.append(info.spec)
            self.changed.notify_all()

    def wait(self, predicate) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, 10.0)


def test_the_session_adds_your_photo_to_the_scenes_and_recognises_it(store, photo_folder):
    recorder = SceneRecorder()
    with Session(
        source=str(photo_folder), model=V2, store=store, threads=2, listener=recorder
    ) as session:
        assert session.wait_for_source() and session.latest_prediction(timeout=10) is not None
        before = session.source
        assert session.add_photo(str(IMAGES / "parrot.jpg")) is True
        assert recorder.wait(lambda: recorder.scenes)
        assert recorder.scenes == [("parrot.jpg", 1, 4)]
        assert session.source is before  # the same photos, one more
        names = [p.name for p in session.source.paths]
        assert names == ["cat.bmp", "parrot.jpg", "owl.jpg", "sunflower.bmp"]
        answer = session.latest_prediction(timeout=10)
        while answer is not None and answer.frame_id < session.source.latest().id:
            answer = session.latest_prediction(timeout=10)
        assert answer is not None and answer.top.label == "macaw"


def test_without_photos_showing_your_photo_opens_as_the_source(store, scene_video):
    recorder = SceneRecorder()
    with Session(source=str(scene_video), store=store, listener=recorder) as session:
        assert recorder.wait(lambda: recorder.sources)
        assert session.add_photo(str(IMAGES / "owl.jpg")) is False
        assert recorder.wait(lambda: len(recorder.sources) == 2)
        assert session.source.kind == "scenes" and session.source.paths == [IMAGES / "owl.jpg"]
        assert recorder.scenes == []


# -- speed on a still photo -------------------------------------------------------------------
def test_a_still_photo_answered_once_still_gets_its_model_measured(store):
    with Session(
        source=str(IMAGES / "owl.jpg"), model=TINY, store=store, threads=1, mode="click"
    ) as session:
        info = session.wait_for_model(TINY)
        assert info is not None
        assert session.worker.wait_idle(), "the worker measures, then has nothing to do"
        measured = session.worker.measured
        assert measured is not None
        assert (measured.spec, measured.generation, measured.threads) == (TINY, info.generation, 1)
        assert measured.runs >= 5 and measured.median_ms > 0
        assert measured.fps == pytest.approx(1000.0 / measured.median_ms)
        assert session.stats().primary.predictions == 0  # measuring is no answer
        session.request_model(V2)
        assert session.wait_for_model(V2) is not None and session.worker.wait_idle()
        again = session.worker.measured
        assert again is not None and again.spec == V2 and again.generation > measured.generation
