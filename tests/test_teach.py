"""Teach mode without a window: the real embedder, the real teach photos, files, CLI, API."""

from __future__ import annotations

import json
import threading

import cv2
import numpy as np
import pytest
import yaml
from conftest import IMAGES

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.cli import main
from camapp.inference.teach import BACKGROUND, ClassSet, VoteRule
from camapp.inference.teach_classifier import Recognition
from camapp.pipeline.events import NullListener
from camapp.pipeline.session import Session
from camapp.pipeline.teach import model_sha256, open_class_set, open_embedder, teach_folders

EMBEDDER = "mobilenet_v1_1.0_224_uint8_embedder"
V2 = "mobilenet_v2_1.0_224_uint8"
TEACH = IMAGES / "teach"
CLASSES = ("cat", "dog", "hotdog")
BOX = ROI.central(0.875)


@pytest.fixture(scope="module")
def train_folder(tmp_path_factory):
    """The teach photos' train_* files, one folder per class (test_0 is held out)."""
    root = tmp_path_factory.mktemp("train")
    for name in CLASSES:
        (root / name).mkdir()
        for photo in sorted((TEACH / name).glob("train_*.bmp")):
            (root / name / photo.name).symlink_to(photo)
    return root


@pytest.fixture(scope="module")
def embedder(store):
    with open_embedder(store, EMBEDDER, threads=2) as model:
        yield model


@pytest.fixture
def taught(embedder, train_folder):
    """A fresh set taught from the train photos (cat 1, dog 1, hotdog 2 examples)."""
    fresh = ClassSet(EMBEDDER, embedder.embedder_sha256, ())
    embedder._class_set_of = lambda: fresh
    assert teach_folders(embedder, train_folder) == []
    return embedder.class_set


def held_out(name: str) -> np.ndarray:
    image = cv2.imread(str(TEACH / name / "test_0.bmp"))
    assert image is not None
    return image


def test_a_set_taught_from_the_train_photos_names_every_held_out_photo(embedder, taught):
    assert taught.names == CLASSES
    assert taught.counts == (1, 1, 2)
    for name in CLASSES:
        answer = embedder.classify(held_out(name), BOX)
        assert isinstance(answer, Recognition)
        assert answer.top.label == name
        assert not answer.unsure, answer.reason
        assert answer.labels[0] == name and sorted(answer.labels) == sorted(CLASSES)
        assert answer.top.score == max(answer.class_scores) > 0.5
        assert abs(sum(answer.class_scores) - 1.0) < 1e-6


def test_a_class_with_more_examples_does_not_outvote_a_nearer_one(embedder, taught):
    # Global 3-NN majority voting names the held-out cat a hot dog: two of its three nearest
    # examples are the two hot-dog photos. Each class voting with its own nearest does not.
    unit = embedder.embed(held_out("cat"), BOX)
    rows = [(c.name, float(e.embedding @ unit)) for c in taught.classes for e in c.examples]
    three_nearest = [name for name, _ in sorted(rows, key=lambda row: -row[1])[:3]]
    assert three_nearest.count("hotdog") == 2 and three_nearest[0] == "cat"
    assert embedder.classify(held_out("cat"), BOX).top.label == "cat"


def test_a_photo_unlike_any_class_is_unsure(embedder, taught, load_image):
    answer = embedder.classify(load_image("sunflower.bmp"), BOX)
    assert answer.unsure
    assert "far from every example" in answer.reason
    assert max(answer.similarities) < taught.rule.min_similarity


def test_two_classes_of_nearly_the_same_thing_are_unsure_between_them(embedder, load_image):
    fresh = ClassSet(EMBEDDER, embedder.embedder_sha256, ("cat", "another cat"))
    embedder._class_set_of = lambda: fresh
    embedder.teach(0, cv2.imread(str(TEACH / "cat" / "train_0.bmp")), BOX)
    embedder.teach(1, load_image("cat.bmp"), BOX)
    answer = embedder.classify(held_out("cat"), BOX)
    assert answer.unsure
    assert answer.reason in ("between cat and another cat", "between another cat and cat")


def test_removing_an_example_changes_the_answer_where_it_should(embedder, taught, load_image):
    before = {name: embedder.classify(held_out(name), BOX).top.label for name in CLASSES}
    assert before == {name: name for name in CLASSES}
    (only_cat,) = taught.classes[0].examples
    assert taught.remove_example(only_cat.id)
    assert taught.counts == (0, 1, 2)
    after = embedder.classify(held_out("cat"), BOX)
    assert after.top.label != "cat" and "cat" not in after.labels
    for name in ("dog", "hotdog"):  # what the removed example did not decide stays
        assert embedder.classify(held_out(name), BOX).top.label == name


def test_removing_a_mislabelled_example_puts_the_answer_right(embedder, load_image):
    # Nearest-neighbour (k=1): the cat photo captured under 'dog' by mistake wins for a cat.
    fresh = ClassSet(EMBEDDER, embedder.embedder_sha256, ("cat", "dog"), VoteRule(k=1))
    embedder._class_set_of = lambda: fresh
    embedder.teach(0, load_image("cat.bmp"), BOX)
    embedder.teach(1, cv2.imread(str(TEACH / "dog" / "train_0.bmp")), BOX)
    mistake = embedder.teach(1, cv2.imread(str(TEACH / "cat" / "train_0.bmp")), BOX)
    assert embedder.classify(held_out("cat"), BOX).top.label == "dog"
    fresh.remove_example(mistake.id)
    assert embedder.classify(held_out("cat"), BOX).top.label == "cat"


@pytest.mark.parametrize("name", ["set", "set.zip"])
def test_save_and_load_round_trip_exactly(taught, tmp_path, name):
    taught.set_rule(VoteRule(k=2, min_similarity=0.45, smoothing=3))
    path = taught.save(tmp_path / name)
    loaded = ClassSet.load(path, EMBEDDER, taught.embedder_sha256)
    assert loaded.names == taught.names and loaded.counts == taught.counts
    assert loaded.rule == taught.rule and loaded.dimensions == taught.dimensions == 1024
    for mine, theirs in zip(taught.classes, loaded.classes, strict=True):
        for a, b in zip(mine.examples, theirs.examples, strict=True):
            assert a.embedding.dtype == b.embedding.dtype == np.float32
            assert np.array_equal(a.embedding, b.embedding)
            assert np.array_equal(a.thumbnail, b.thumbnail) and a.thumbnail.shape == (64, 64, 3)
    header = yaml.safe_load((path / "classset.yaml").read_text()) if path.is_dir() else None
    if header is not None:
        assert header["embedder"] == {
            "id": EMBEDDER,
            "sha256": taught.embedder_sha256,
            "dimensions": 1024,
        }
        assert [c["examples"] for c in header["classes"]] == [1, 1, 2]
        assert sorted(p.name for p in (path / "thumbnails").iterdir())[-1] == "00003.png"


def test_saving_over_a_folder_that_is_not_a_class_set_is_refused(taught, tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "holiday.jpg").write_bytes(b"not yours to replace")
    with pytest.raises(CamappError, match="exists and is not a class set"):
        taught.save(tmp_path / "photos")
    assert (tmp_path / "photos" / "holiday.jpg").read_bytes() == b"not yours to replace"
    taught.save(tmp_path / "set")
    taught.clear_class(2)
    taught.save(tmp_path / "set")  # a class set is replaced, nothing left beside it
    assert ClassSet.load(tmp_path / "set", EMBEDDER, taught.embedder_sha256).counts == (1, 1, 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "set"]


def test_loading_a_set_made_with_another_embedding_model_is_refused(store, taught, tmp_path):
    path = taught.save(tmp_path / "pets.zip")
    other = store.find("mobilenet_v2_1.0_224_quant.tflite")
    with pytest.raises(CamappError) as refused:
        ClassSet.load(path, other.name, model_sha256(other))
    message = str(refused.value)
    assert EMBEDDER in message and other.name in message and "\n" not in message
    with pytest.raises(CamappError, match="made with the embedding model"):
        open_class_set(store, path, str(other))


def test_loading_never_unpickles_anything(taught, tmp_path):
    path = taught.save(tmp_path / "set")
    hostile = np.array([{"__reduce__": "os.system"}] * 4, dtype=object)
    np.save(path / "embeddings.npy", hostile, allow_pickle=True)
    with pytest.raises(CamappError, match="broken: embeddings.npy"):
        ClassSet.load(path, EMBEDDER, taught.embedder_sha256)


def test_class_names_and_counts_are_checked(taught):
    with pytest.raises(CamappError, match="already a class called 'cat'"):
        taught.add_class("Cat")
    for _ in range(9 - len(taught.classes)):
        taught.add_class()
    assert taught.names[-1] == "class 9"
    with pytest.raises(CamappError, match="at most 9 classes"):
        taught.add_class("tenth")
    taught.reset()
    assert taught.names == (BACKGROUND,) and taught.size == 0


# -- the live session ------------------------------------------------------------------------
class Models(NullListener):
    def __init__(self) -> None:
        self.specs: list[str] = []
        self.changed = threading.Event()

    def on_model_changed(self, info):
        self.specs.append(info.spec)


def answers_until(session: Session, condition, limit: int = 20) -> bool:
    """Waits answer by answer (at most ``limit``) until ``condition()`` holds."""
    for _ in range(limit):
        latest = session.latest_prediction()
        if latest is not None and condition():
            return True
        session.latest_prediction(timeout=5)
    return session.latest_prediction() is not None and condition()


def test_switching_imagenet_and_teach_keeps_the_examples_and_counts_like_a_model(store):
    listener = Models()
    photo = str(TEACH / "cat" / "train_0.bmp")
    with Session(source=photo, model=V2, store=store, threads=2, listener=listener) as session:
        assert session.wait_for_model(V2)
        session.teach.start()
        assert session.wait_for_model(f"teach:{EMBEDDER}") is not None
        assert session.teach.active
        class_set = session.teach.require_set()
        assert class_set.names == (BACKGROUND,)
        session.teach.add_class("cat")
        session.teach.start_capture(1)
        session.teach.stop_capture()  # a tap: one example, even on a still photo
        assert answers_until(session, lambda: class_set.counts == (0, 1))
        assert answers_until(session, lambda: session.latest_prediction().top.label == "cat")
        assert isinstance(session.latest_prediction().classification, Recognition)
        assert session.stats().primary.model == f"teach:{EMBEDDER}"
        session.teach.stop()
        assert session.wait_for_model(V2) is not None
        assert session.teach.class_set is class_set and class_set.counts == (0, 1)
        session.teach.start()
        assert session.wait_for_model(f"teach:{EMBEDDER}") is not None
        assert answers_until(session, lambda: session.latest_prediction().top.label == "cat")
    assert listener.specs == [V2, f"teach:{EMBEDDER}", V2, f"teach:{EMBEDDER}"]


def test_holding_a_key_on_a_video_captures_a_few_examples_then_stops(store, scene_video):
    with Session(source=str(scene_video), store=store, threads=2, model=f"teach:{EMBEDDER}") as s:
        assert s.wait_for_model(f"teach:{EMBEDDER}") is not None
        s.teach.capture_interval = 0.05
        s.teach.start_capture(0)
        assert answers_until(s, lambda: s.teach.require_set().counts[0] >= 3, limit=100)
        s.teach.stop_capture()
        s.latest_prediction(timeout=5)  # the frame being classified at the release
        held = s.teach.require_set().counts[0]
        assert held >= 3
        for _ in range(5):  # five more answers, no more examples
            assert s.latest_prediction(timeout=5) is not None
        assert s.teach.require_set().counts[0] == held


def test_a_saved_set_runs_as_the_model_of_a_session(store, taught, tmp_path):
    path = taught.save(tmp_path / "exhibit")
    photo = str(TEACH / "dog" / "test_0.bmp")
    with Session(source=photo, model=str(path), store=store, threads=2, roi=BOX) as session:
        assert session.wait_for_model(str(path)) is not None
        assert answers_until(session, lambda: session.latest_prediction().top.label == "dog")
        assert session.teach.require_set().names == CLASSES
        other = taught.save(tmp_path / "other.zip")
        session.teach.load(other)  # the same embedder: accepted
        assert session.teach.require_set().counts == taught.counts


# -- command line and API --------------------------------------------------------------------
def test_cli_teach_then_classify_with_the_class_set_as_json(
    models_dir, train_folder, tmp_path, capsys
):
    saved = tmp_path / "pets.zip"
    code = main(
        [
            "--models-dir",
            str(models_dir),
            "teach",
            "--classes",
            str(train_folder),
            "--save",
            str(saved),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "hotdog: 2 examples" in out and f"embedding model {EMBEDDER}" in out
    photos = [str(TEACH / name / "test_0.bmp") for name in CLASSES] + [
        str(IMAGES / "sunflower.bmp")
    ]
    args = ["--models-dir", str(models_dir), "classify", "--class-set", str(saved), "--json"]
    assert main([*args, *photos]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["labels"][0] for r in records[:3]] == list(CLASSES)
    for record in records:
        assert set(record) >= {"image", "labels", "scores", "indices", "timings_ms", "unsure"}
        assert len(record["labels"]) == len(record["scores"]) == 3
        assert record["scores"] == sorted(record["scores"], reverse=True)
    assert [r["unsure"] for r in records] == [False, False, False, True]


def test_cli_refuses_a_class_set_with_another_embedder_in_one_line(
    models_dir, taught, tmp_path, capsys
):
    saved = taught.save(tmp_path / "pets")
    other = models_dir / "mobilenet_v2_1.0_224_quant.tflite"
    args = ["--models-dir", str(models_dir), "classify", "--class-set", str(saved)]
    assert main([*args, "--model", str(other), str(IMAGES / "cat.bmp")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "made with the embedding model" in err[0]
    assert main([*args, "--model", V2, str(IMAGES / "cat.bmp")]) == 1
    assert "is a classifier, not an embedding model" in capsys.readouterr().err


def test_the_scripting_api_teaches_saves_and_recognises(models_dir, train_folder, tmp_path):
    import camapp

    with camapp.ClassSet.from_folders(train_folder, models_dir=models_dir, threads=2) as classes:
        assert classes.classify(TEACH / "hotdog" / "test_0.bmp").top.label == "hotdog"
        classes.add_image("owl", IMAGES / "owl.jpg")
        classes.save(tmp_path / "mine.zip")
    with camapp.ClassSet.open(tmp_path / "mine.zip", models_dir=models_dir) as again:
        assert again.names == (*CLASSES, "owl") and again.counts == (1, 1, 2, 1)
        answer = again.classify(IMAGES / "owl.jpg")
        assert isinstance(answer, camapp.Recognition) and answer.top.label == "owl"
