"""The variant cascade and catalog wording, headless, on the real catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from camapp.store.catalog import Catalog, ModelEntry
from camapp.store.variants import (
    FAMILY_NAMES,
    candidates,
    choice_index,
    classifiers,
    closest_variant,
    dimensions,
    figure_text,
    file_size,
    grouped,
    install_hint,
    phone_latency_text,
    short_authors,
    sort_key,
    width_text,
)

V2 = "mobilenet_v2_1.0_224_uint8"
V3_SMALL_FLOAT = "mobilenet_v3_small_1.0_224_float32"


@pytest.fixture(scope="module")
def entries() -> list[ModelEntry]:
    return classifiers(Catalog.load())


def dim(name: str):
    return next(d for d in dimensions() if d.name == name)


def test_the_module_runs_without_qt_or_numpy():
    code = (
        "import sys, camapp.store.variants\n"
        "assert not [m for m in sys.modules if m.startswith(('PyQt', 'numpy'))], 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_install_hint_names_the_install_command():
    assert install_hint(V2).endswith(f"camapp models install {V2}")


@pytest.mark.parametrize(
    ("value", "text"), [(1.0, "1.0"), (0.75, "0.75"), (0.35, "0.35"), (1.4, "1.4"), (None, "-")]
)
def test_width_reads_as_papers_write_it(value, text):
    assert width_text(value) == text


def test_the_cascade_goes_from_family_to_one_file(entries):
    assert [d.name for d in dimensions()] == [
        "Family",
        "Size",
        "Width",
        "Resolution",
        "Quantisation",
        "File",
    ]
    keys = {tuple(d.key(e) for d in dimensions()) for e in entries}
    assert len(keys) == len(entries)


def test_every_catalog_classifier_is_offered_and_nothing_else(entries):
    catalog = Catalog.load()
    assert entries and all(e.kind == "classifier" for e in entries)
    assert len(entries) == sum(e.kind == "classifier" for e in catalog)


def test_families_are_listed_oldest_first_with_their_names(entries):
    values = [value for value, _ in grouped(entries, dim("Family"))]
    assert values == sorted(values, key=lambda v: ["v1", "v2", "v3", "edgetpu"].index(v))
    assert [dim("Family").text(v) for v in values] == [FAMILY_NAMES[v] for v in values]
    assert values[:3] == ["v1", "v2", "v3"]


def test_sizes_quantisations_and_resolutions_have_a_reading_order(entries):
    v3 = candidates(entries, dimensions(), ["v3"])
    assert [v for v, _ in grouped(v3, dim("Size"))] == ["small", "large"]
    assert [v for v, _ in grouped(v3, dim("Quantisation"))] == ["uint8", "float32"]
    resolutions = [v for v, _ in grouped(entries, dim("Resolution"))]
    assert resolutions == sorted(resolutions) and 224 in resolutions
    assert dim("Resolution").text(224) == "224 px"
    assert sort_key("Quantisation", "uint8") < sort_key("Quantisation", "int8")


def test_the_plain_file_comes_before_its_re_exports(entries):
    v2_224 = candidates(entries, dimensions(), ["v2", "", 1.0, 224, "uint8"])
    files = [v for v, _ in grouped(v2_224, dim("File"))]
    assert files[0] == V2 and len(files) > 1


def test_candidates_keep_the_entries_that_match_every_choice(entries):
    chosen = candidates(entries, dimensions(), ["v3", "small"])
    assert chosen and all(e.family == "v3" and e.size == "small" for e in chosen)
    assert candidates(entries, dimensions(), []) == entries


def test_choice_prefers_the_current_value_then_an_installed_one(entries):
    groups = grouped(candidates(entries, dimensions(), ["v3"]), dim("Quantisation"))
    everything = {e.id for e in entries}
    assert choice_index(groups, everything, "float32") == 1
    only_uint8 = {"mobilenet_v3_small_1.0_224_uint8"}
    assert choice_index(groups, only_uint8, "float32") == 0
    assert choice_index(groups, set(), "float32") == 1
    assert choice_index(groups, set(), "int8") == 0


def test_changing_family_keeps_the_lower_choices_where_it_can(entries):
    current = Catalog.load().get(V2)
    v3 = candidates(entries, dimensions(), ["v3"])
    lower = dimensions()[1:]
    closest = closest_variant(v3, current, {e.id for e in entries}, lower)
    assert (closest.width_multiplier, closest.resolution, closest.quantization) == (
        1.0,
        224,
        "uint8",
    )
    # An installed variant wins over a closer one that is not installed.
    assert closest_variant(v3, current, {V3_SMALL_FLOAT}, lower).id == V3_SMALL_FLOAT
    assert closest_variant(v3 + [current], current, set(), lower) is current
    assert closest_variant([], current, set(), lower) is current


def test_published_figures_read_with_units_or_say_not_published():
    assert figure_text(71.8, " %") == "71.8 %"
    assert figure_text(300, " M", 0) == "300 M"
    assert figure_text(56.44, " M", 0) == "56 M"
    assert figure_text(None) == "not published"
    assert figure_text("") == "not published"


def test_phone_latencies_read_as_one_line():
    entry = Catalog.load().get("mobilenet_v2_1.0_224_float32")
    text = phone_latency_text(entry.published.latency_ms)
    assert text == "Pixel 1 73.8 ms, Pixel 2 not published, Pixel 3 not published"
    assert phone_latency_text({}) == "not published"


def test_long_author_lists_keep_the_first_author():
    catalog = Catalog.load()
    v3 = catalog.get("mobilenet_v3_small_1.0_224_uint8")
    v2 = catalog.get(V2)
    assert short_authors(v3.authors) == v3.authors.split(",")[0].strip() + " et al."
    assert short_authors(v2.authors) == v2.authors


def test_file_size_adds_existing_files_only(tmp_path: Path):
    model = tmp_path / "model.tflite"
    labels = tmp_path / "labels.txt"
    model.write_bytes(b"x" * 1000)
    labels.write_bytes(b"y" * 24)
    assert file_size([model, labels, tmp_path / "missing"]) == 1024
    assert file_size([tmp_path / "missing", tmp_path]) is None
