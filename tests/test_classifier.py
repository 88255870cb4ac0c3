"""The classifier on the real models of the mirror and real photos."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
from conftest import CAT_LABELS, FIXTURES, MIRROR

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.inference.classifier import (
    Classifier,
    ClassifierOptions,
    dequantize,
    quantize,
    top_k_indices,
)

EVAL_CROP = ROI.central(0.875)


def test_every_installed_model_sees_a_cat_in_the_cat_photo(
    store, installed_classifiers, load_image
):
    image = load_image("cat.bmp")
    assert len(installed_classifiers) >= 10
    for model_id in installed_classifiers:
        with Classifier.create(store.options_for(model_id, num_threads=2)) as classifier:
            result = classifier.classify(image, EVAL_CROP, top_k=3)
        assert CAT_LABELS & set(result.labels), f"{model_id} saw {result.labels}"


def test_every_installed_model_sees_a_macaw_in_the_parrot_photo(
    store, installed_classifiers, load_image
):
    image = load_image("parrot.jpg")
    for model_id in installed_classifiers:
        with Classifier.create(store.options_for(model_id, num_threads=2)) as classifier:
            result = classifier.classify(image, EVAL_CROP, top_k=1)
        assert result.labels == ("macaw",), f"{model_id} saw {result.labels}"


def test_scores_are_probabilities_highest_first(store, load_image):
    with Classifier.create(store.options_for("mobilenet_v2_1.0_224_uint8")) as classifier:
        result = classifier.classify(load_image("burger.jpg"), EVAL_CROP, top_k=5)
        total = float(classifier.scores().sum())
    assert result.labels[0] == "cheeseburger"
    assert list(result.scores) == sorted(result.scores, reverse=True)
    assert 0.99 < total < 1.01


def test_logits_model_gets_softmax_and_agrees_with_softmax_model(store, load_image):
    image = load_image("cat.bmp")
    with Classifier.create(store.options_for("mobilenet_v2_1.0_224_uint8_tfhub")) as logits:
        assert logits.applies_softmax
        a = logits.classify(image, EVAL_CROP, top_k=1)
        assert 0.99 < float(logits.scores().sum()) < 1.01
    with Classifier.create(store.options_for("mobilenet_v2_1.0_224_uint8")) as softmax:
        assert not softmax.applies_softmax
        b = softmax.classify(image, EVAL_CROP, top_k=1)
    assert a.labels == b.labels


def test_float32_input_model_takes_normalised_pixels(store, load_image):
    with Classifier.create(store.options_for("mobilenet_v1_0.25_224_float32")) as classifier:
        assert classifier.input_dtype == np.float32
        result = classifier.classify(load_image("parrot.jpg"), EVAL_CROP, top_k=1)
    assert result.labels == ("macaw",)


def test_chained_extractor_and_head_give_the_v1_1_0_classifier(store, load_image):
    options = store.options_for("mobilenet_v1_1.0_224_uint8")
    assert len(options.model_paths) == 2
    with Classifier.create(options) as classifier:
        result = classifier.classify(load_image("cat.bmp"), EVAL_CROP, top_k=3)
    assert CAT_LABELS & set(result.labels)


def _solid(bgr: tuple[int, int, int], size: int = 64) -> np.ndarray:
    image = np.zeros((size, size, 3), np.uint8)
    image[:] = bgr
    return image


@pytest.mark.parametrize(
    "model", ["tiny_int8.tflite", "tiny_float.tflite", "tiny_logits_uint8.tflite"]
)
def test_int8_float_and_logits_inputs_pick_the_dominant_colour(model):
    options = ClassifierOptions(
        model_paths=(str(FIXTURES / model),), labels_path=str(FIXTURES / "tiny_int8_labels.txt")
    )
    with Classifier.create(options) as classifier:
        # OpenCV frames are BGR: (0, 0, 255) is red.
        for bgr, name in (((0, 0, 255), "red"), ((0, 255, 0), "green"), ((255, 0, 0), "blue")):
            result = classifier.classify(_solid(bgr), top_k=3)
            assert result.labels[0] == name
            assert result.scores[0] > 0.9


def test_int8_input_is_quantised_with_the_tensor_scale_and_zero_point():
    options = ClassifierOptions(model_paths=(str(FIXTURES / "tiny_int8.tflite"),))
    with Classifier.create(options) as classifier:
        detail = classifier._stages[0].input
        scale, zero = detail["quantization"]
        frame = np.zeros((32, 32, 3), np.uint8)
        frame[..., 2] = 255  # red channel in BGR
        frame[..., 1] = 100
        classifier.preprocess(frame)
        fed = classifier._stages[0].interpreter.get_tensor(detail["index"])[0]
    # Hand-computed: red 255 -> (255 - 127.5) / 127.5 = 1.0 -> 1.0 / scale + zero.
    assert fed.dtype == np.int8
    assert fed[0, 0, 0] == int(np.clip(round(1.0 / scale + zero), -128, 127))
    assert fed[0, 0, 1] == int(round(((100 - 127.5) / 127.5) / scale + zero))
    assert fed[0, 0, 2] == int(round(-1.0 / scale + zero))


def test_quantisation_helpers_match_hand_computed_values():
    q = np.array([0, 58, 128, 255], np.uint8)
    np.testing.assert_allclose(
        dequantize(q, 0.098893, 58), [-5.735794, 0.0, 6.92251, 19.481921], rtol=1e-5
    )
    assert quantize(np.array([-1.0, 0.0, 1.0]), 1 / 128, 0, np.int8).tolist() == [-128, 0, 127]
    assert quantize(np.array([-1.0, 0.0, 1.0]), 1 / 128, 128, np.uint8).tolist() == [0, 128, 255]


def test_top_k_orders_and_applies_threshold():
    scores = np.array([0.1, 0.5, 0.05, 0.3, 0.05], np.float32)
    assert top_k_indices(scores, 3) == ([1, 3, 0], pytest.approx([0.5, 0.3, 0.1]))
    assert top_k_indices(scores, 5, threshold=0.2)[0] == [1, 3]


def test_1001_outputs_with_1000_labels_are_shifted_past_background(tmp_path, load_image):
    labels = (MIRROR / "imagenet_labels.txt").read_text().splitlines()[1:]
    assert len(labels) == 1000
    short = tmp_path / "labels1000.txt"
    short.write_text("\n".join(labels) + "\n")
    model = str(MIRROR / "mobilenet_v2_1.0_224_quant.tflite")
    image = load_image("parrot.jpg")
    with Classifier.create(ClassifierOptions((model,), str(short))) as a:
        r1000 = a.classify(image, EVAL_CROP, top_k=1)
        assert a.labels[0] == "background" and len(a.labels) == 1001
    with Classifier.create(ClassifierOptions((model,), str(MIRROR / "imagenet_labels.txt"))) as b:
        r1001 = b.classify(image, EVAL_CROP, top_k=1)
    assert r1000.labels == r1001.labels == ("macaw",)
    assert r1000.indices == r1001.indices


def test_roi_selects_what_is_classified(store, load_image):
    # Left half: the cat photo; right half: the parrot photo.
    cat = cv2.resize(load_image("cat.bmp"), (320, 320))
    parrot = cv2.resize(load_image("parrot.jpg"), (320, 320))
    frame = np.hstack([cat, parrot])
    with Classifier.create(store.options_for("mobilenet_v2_1.0_224_uint8")) as classifier:
        left = classifier.classify(frame, ROI(0.0, 0.0, 0.5, 1.0), top_k=3)
        right = classifier.classify(frame, ROI(0.5, 0.0, 1.0, 1.0), top_k=1)
    assert CAT_LABELS & set(left.labels)
    assert right.labels == ("macaw",)


def test_preprocess_writes_into_the_interpreter_buffer_without_new_arrays(store, load_image):
    frame = load_image("cat.bmp")
    with Classifier.create(store.options_for("mobilenet_v2_1.0_224_uint8")) as classifier:
        classifier.preprocess(frame, EVAL_CROP)
        stage = classifier._stages[0]
        fed = stage.interpreter.get_tensor(stage.input["index"])[0]
        x0, y0, x1, y1 = EVAL_CROP.to_pixels(frame.shape[1], frame.shape[0])
        reference = cv2.cvtColor(
            cv2.resize(frame[y0:y1, x0:x1], (224, 224), interpolation=cv2.INTER_LINEAR),
            cv2.COLOR_BGR2RGB,
        )
        np.testing.assert_array_equal(fed, reference)
        resized_id = id(classifier._resized)
        classifier.preprocess(frame, ROI(0.1, 0.1, 0.4, 0.9))
        assert id(classifier._resized) == resized_id


def test_every_classification_carries_stage_timings(store, load_image):
    with Classifier.create(store.options_for("mobilenet_v3_small_1.0_224_uint8")) as classifier:
        timings = classifier.classify(load_image("owl.jpg")).timings
    assert timings.preprocess_ms > 0 and timings.invoke_ms > 0 and timings.postprocess_ms > 0
    assert timings.total_ms == pytest.approx(
        timings.preprocess_ms + timings.invoke_ms + timings.postprocess_ms
    )


def test_grey_and_bgra_frames_are_accepted(store, load_image):
    bgr = load_image("parrot.jpg")
    with Classifier.create(store.options_for("mobilenet_v2_1.0_224_uint8")) as classifier:
        bgra = classifier.classify(cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA), EVAL_CROP, top_k=1)
        grey = classifier.classify(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), EVAL_CROP, top_k=5)
    assert bgra.labels == ("macaw",)
    assert len(grey.labels) == 5


def test_xnnpack_can_be_turned_off(store, load_image):
    options = store.options_for("mobilenet_v1_0.25_128_uint8", use_xnnpack=False)
    with Classifier.create(options) as classifier:
        assert not classifier.xnnpack
        assert classifier.classify(load_image("parrot.jpg"), EVAL_CROP, top_k=1).labels == (
            "macaw",
        )


# -- refusals ---------------------------------------------------------------------------------
def test_detector_with_four_outputs_is_refused_with_a_reason():
    options = ClassifierOptions(model_paths=(str(FIXTURES / "tiny_detector.tflite"),))
    with pytest.raises(CamappError, match="has 4 outputs.*detector"):
        Classifier.create(options)


def test_label_file_matching_no_output_is_refused(tmp_path):
    labels = tmp_path / "five.txt"
    labels.write_text("a\nb\nc\nd\ne\n")
    options = ClassifierOptions(
        model_paths=(str(MIRROR / "mobilenet_v1_0.25_128_quant.tflite"),), labels_path=str(labels)
    )
    with pytest.raises(CamappError, match="5 labels but the model has 1001 outputs"):
        Classifier.create(options)


def test_corrupt_model_file_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "broken.tflite"
    good = (MIRROR / "mobilenet_v1_0.25_128_quant.tflite").read_bytes()
    bad.write_bytes(good[: len(good) // 3])
    with pytest.raises(CamappError) as info:
        Classifier.create(ClassifierOptions(model_paths=(str(bad),)))
    assert "broken.tflite is not a usable TFLite model" in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_model_file_says_how_to_install(tmp_path):
    with pytest.raises(CamappError, match="model file not found"):
        Classifier.create(ClassifierOptions(model_paths=(str(tmp_path / "none.tflite"),)))


def test_embedder_is_not_offered_as_a_classifier(store):
    with pytest.raises(CamappError, match="embedder, not a classifier"):
        store.options_for("mobilenet_v1_1.0_224_uint8_embedder")


def test_embedding_extractor_by_path_is_refused_as_classifier():
    path = str(MIRROR / "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite")
    labels = str(MIRROR / "imagenet_labels.txt")
    with pytest.raises(CamappError, match="1001 labels but the model has 1024 outputs"):
        Classifier.create(ClassifierOptions(model_paths=(path,), labels_path=labels))


def test_copied_model_works_from_any_path(tmp_path, load_image):
    target = tmp_path / "my model.tflite"
    shutil.copy(MIRROR / "mobilenet_v1_0.5_160_quant.tflite", target)
    options = ClassifierOptions((str(target),), str(MIRROR / "labels.txt"))
    with Classifier.create(options) as classifier:
        assert classifier.name == "my model"
        assert classifier.classify(load_image("parrot.jpg"), EVAL_CROP, top_k=1).labels == (
            "macaw",
        )


def test_xnnpack_failure_retries_without_it_and_says_so(store, load_image, monkeypatch):
    from camapp.inference.runtime import Runtime

    real = Runtime.interpreter

    def refuse_xnnpack(self, model_path, num_threads, use_xnnpack=True):
        if use_xnnpack:
            raise RuntimeError("Failed to apply XNNPACK delegate")
        return real(self, model_path, num_threads, use_xnnpack)

    monkeypatch.setattr(Runtime, "interpreter", refuse_xnnpack)
    with Classifier.create(store.options_for("mobilenet_v1_0.25_128_uint8")) as classifier:
        assert not classifier.xnnpack
        assert any("running without it" in note for note in classifier.notes)
        result = classifier.classify(load_image("parrot.jpg"), EVAL_CROP, top_k=1)
    assert result.labels == ("macaw",)


@pytest.mark.parametrize(
    "model",
    [
        "mobilenet_v2_1.0_224_uint8",
        "mobilenet_v3_small_1.0_224_uint8",
        "mobilenet_v1_0.25_128_uint8",
        "mobilenet_v2_1.0_224_uint8_tf2ptq",
    ],
)
@pytest.mark.parametrize("photo", ["cat.bmp", "parrot.jpg", "sunflower.bmp"])
def test_top_k_on_the_raw_quantised_output_matches_the_float_path(store, load_image, model, photo):
    """Ranking the raw integers and dequantising only the winners gives the float answer."""
    with Classifier.create(store.options_for(model)) as classifier:
        classifier.preprocess(load_image(photo))
        classifier.invoke()
        background = (0,) if classifier.labels[:1] == ["background"] else ()
        scale = classifier._out_scale
        for k, threshold in ((5, 0.0), (10, 0.0), (3, 0.05), (1001, 0.0)):
            raw_indices, raw_scores = classifier.postprocess(k, threshold)
            floats = classifier.scores().copy()
            indices, scores = top_k_indices(floats, k, threshold, skip=background)
            assert raw_indices == indices
            assert raw_scores == pytest.approx(scores, abs=scale)
            assert raw_indices and not set(raw_indices) & set(background)
            assert not classifier.applies_softmax  # the raw path ran
