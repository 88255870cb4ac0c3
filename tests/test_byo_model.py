"""Bring your own model: labels from --labels, the model's metadata, a labels.txt beside it, or
numbers with a notice; a float model's normalisation from its metadata. Real mirror files."""

from __future__ import annotations

import json
import shutil
import struct
import zipfile
from pathlib import Path

import pytest
from conftest import CAT_LABELS, IMAGES, MIRROR

from camapp.cli import main
from camapp.inference.classifier import Classifier
from camapp.inference.labels import labels_for_model, read_labels
from camapp.inference.metadata import read_model_info

#: Mirror files that carry their labels in a zip after the model (TF Hub / metadata writer),
#: with the packed label file's name: three kinds (coral's, tflite-support's uint8 and float).
PACKED = {
    "mobilenet_v1_0.25_128_quant.tflite": "imagenet_labels.txt",
    "mobilenet_v1_0.25_224_quant.tflite": "labels.txt",
    "mobilenet_v1_0.25_224_1_metadata_1.tflite": "labels.txt",
}
#: A mirror model with no metadata and no packed labels.
BARE = "v3-small_224_1.0_uint8.tflite"


def classify_json(capsys, *args: str) -> tuple[dict, str]:
    """``camapp classify cat.bmp --json``: the record, and what went to stderr."""
    assert main(["classify", str(IMAGES / "cat.bmp"), "--json", "--top-k", "3", *args]) == 0
    out, err = capsys.readouterr()
    return json.loads(out.splitlines()[-1]), err


def test_three_mirror_files_are_zips_that_carry_their_labels():
    for name, member in PACKED.items():
        assert zipfile.is_zipfile(MIRROR / name), name
        info = read_model_info(MIRROR / name)
        assert info.labels_member == member, name
        assert info.num_outputs == 1001
    bare = read_model_info(MIRROR / BARE)
    assert bare.labels_member is None and bare.input_type == "uint8"
    assert not zipfile.is_zipfile(MIRROR / BARE)


@pytest.mark.parametrize("name", sorted(PACKED))
def test_classify_names_the_cat_from_the_labels_packed_in_the_model_file(name, tmp_path, capsys):
    model = tmp_path / name  # alone in a folder: no labels.txt beside it to fall back on
    shutil.copyfile(MIRROR / name, model)
    record, err = classify_json(capsys, "--model", str(model))
    assert record["labels"][0] in CAT_LABELS  # was "286"
    assert not any(label.isdigit() for label in record["labels"])
    assert "classes are shown as numbers" not in err


def test_read_labels_of_a_model_file_reads_the_packed_label_file():
    labels = read_labels(MIRROR / "mobilenet_v1_0.25_224_quant.tflite")
    assert labels == read_labels(MIRROR / "labels.txt")  # the same 1001 short names
    coral = read_labels(MIRROR / "mobilenet_v1_0.25_128_quant.tflite")
    assert coral == read_labels(MIRROR / "imagenet_labels.txt")


def test_a_labels_file_given_wins_over_the_packed_one(tmp_path, capsys):
    mine = tmp_path / "mine.txt"
    mine.write_text("\n".join(f"thing {i}" for i in range(1001)) + "\n")
    model = MIRROR / "mobilenet_v1_0.25_224_quant.tflite"
    record, _ = classify_json(capsys, "--model", str(model), "--labels", str(mine))
    assert all(label.startswith("thing ") for label in record["labels"])


def test_a_labels_txt_beside_a_model_without_metadata_names_the_classes(tmp_path, capsys):
    folder = tmp_path / "teachable_machine_export"
    folder.mkdir()
    shutil.copyfile(MIRROR / BARE, folder / BARE)
    shutil.copyfile(MIRROR / "labels.txt", folder / "labels.txt")
    record, _ = classify_json(capsys, "--model", str(folder / BARE))
    assert record["labels"][0] in CAT_LABELS


def test_with_no_labels_anywhere_classes_are_numbers_and_a_notice_says_why(tmp_path, capsys):
    shutil.copyfile(MIRROR / BARE, tmp_path / BARE)
    record, err = classify_json(capsys, "--model", str(tmp_path / BARE))
    assert all(label.isdigit() for label in record["labels"])
    assert f"{BARE} carries no labels" in err and "classes are shown as numbers" in err
    assert err.count("\n") == 1


def test_a_labels_txt_beside_that_does_not_fit_the_outputs_is_left_out_with_a_notice(tmp_path):
    shutil.copyfile(MIRROR / BARE, tmp_path / BARE)
    (tmp_path / "labels.txt").write_text("cat\ndog\n")  # another model's two classes
    choice = labels_for_model(tmp_path / BARE)
    assert choice.path is None
    assert "has 2 labels for 1001 outputs" in choice.note
    with Classifier.create(_options(tmp_path / BARE)) as classifier:  # loads, numbered
        assert classifier.labels[:2] == ["0", "1"]
        assert any("classes are shown as numbers" in note for note in classifier.notes)


def test_the_windows_open_model_file_reads_a_labels_txt_beside_it(open_window, qtbot, tmp_path):
    shutil.copyfile(MIRROR / BARE, tmp_path / BARE)
    shutil.copyfile(MIRROR / "labels.txt", tmp_path / "labels.txt")
    window = open_window(str(IMAGES / "cat.bmp"))
    path = str(tmp_path / BARE)
    window.request_model(path)  # what File > Open model file... does with the chosen path
    qtbot.waitUntil(lambda: window.model_info is not None and window.model_info.spec == path)
    assert window.model_info.labels[286] == "Egyptian cat"  # 1001 outputs, background first
    qtbot.waitUntil(
        lambda: window.last_prediction is not None and window.last_prediction.model == path
    )
    assert window.last_prediction.top.label in CAT_LABELS


def test_a_float_models_normalisation_comes_from_its_metadata(tmp_path):
    name = "mobilenet_v1_0.25_224_1_metadata_1.tflite"
    info = read_model_info(MIRROR / name)
    assert info.input_type == "float32"
    assert info.mean == (127.5,) and info.std == (127.5,)
    # The same file with other figures in its NormalizationOptions: camapp follows them.
    data = (MIRROR / name).read_bytes()
    one_value = struct.pack("<If", 1, 127.5)  # a [float] vector of one 127.5
    assert data.count(one_value) == 2  # mean and std, nowhere else
    edited = tmp_path / name
    edited.write_bytes(data.replace(one_value, struct.pack("<If", 1, 64.0)))
    options = _options(edited)
    assert (options.input_mean, options.input_std) == (64.0, 64.0)
    assert _options(MIRROR / name).input_mean == 127.5
    # No metadata at all (the same model without it): MobileNet's (x - 127.5) / 127.5.
    bare = _options(MIRROR / "mobilenet_v1_0.25_224_1_default_1.tflite")
    assert (bare.input_mean, bare.input_std) == (127.5, 127.5)


def test_a_damaged_model_file_gives_empty_metadata_not_an_exception(tmp_path):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes((MIRROR / BARE).read_bytes()[:5000])
    assert read_model_info(broken).input_type is None  # no exception
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"\xff" * 64)
    assert read_model_info(garbage).labels_member is None


def _options(path: Path):
    from camapp.store.catalog import Catalog
    from camapp.store.model_store import ModelStore

    return ModelStore(Catalog.load(), path.parent / "no-models").options_for(str(path))
