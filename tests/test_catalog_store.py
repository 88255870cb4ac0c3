"""The model catalog and the model store (install, verify, refuse)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import MIRROR

from camapp.base.config import packaged_file
from camapp.base.errors import CamappError
from camapp.store.catalog import Catalog, ModelFile
from camapp.store.install import ensure_default_models, install, install_from
from camapp.store.install import install as install_models
from camapp.store.model_store import ModelStore, sha256_of


def test_catalog_covers_the_variants_the_app_offers(catalog):
    ids = {e.id for e in catalog}
    for size in ("small", "large"):
        for depth in ("1.0", "0.75"):
            assert f"mobilenet_v3_{size}_{depth}_224_uint8" in ids
    for width in ("0.35", "0.5", "0.75", "1.0"):
        for res in (96, 128, 160, 192, 224):
            assert f"mobilenet_v2_{width}_{res}_float32" in ids
    assert "mobilenet_v2_1.4_224_float32" in ids
    for width in ("0.25", "0.5", "0.75", "1.0"):
        for res in (128, 160, 192, 224):
            assert f"mobilenet_v1_{width}_{res}_uint8" in ids
            assert f"mobilenet_v1_{width}_{res}_float32" in ids
    embedders = [e for e in catalog if e.kind == "embedder"]
    assert [e.id for e in embedders] == ["mobilenet_v1_1.0_224_uint8_embedder"]


def test_catalog_checksums_match_every_mirror_file(catalog):
    checked = 0
    for entry in catalog:
        for f in entry.all_files:
            mirrored = MIRROR / f.file
            if mirrored.is_file():
                assert f.sha256 == sha256_of(mirrored), f.file
                assert f.bytes == mirrored.stat().st_size, f.file
                checked += 1
    assert checked >= 14


def test_catalog_published_figures_come_from_the_published_tables(catalog):
    v3 = catalog.get("mobilenet_v3_large_1.0_224_float32").published
    assert v3.top1 == 75.2 and v3.latency_ms["pixel1"] == 51.2
    v2 = catalog.get("mobilenet_v2_0.35_96_float32").published
    assert (v2.macs_m, v2.params_m, v2.top1, v2.top5) == (11, 1.66, 45.5, 70.4)
    v1 = catalog.get("mobilenet_v1_0.25_128_uint8").published
    assert (v1.top1, v1.top5) == (39.5, 64.4)


def test_every_entry_has_a_download_location_and_archive_members_are_named(catalog):
    for entry in catalog:
        for f in entry.files:
            assert f.url and f.url.startswith("https://"), entry.id
            if f.url.endswith((".tgz", ".tar.gz", ".zip")):
                assert f.archive_member, entry.id


def test_unknown_id_suggests_close_ids(catalog):
    with pytest.raises(CamappError, match="did you mean mobilenet_v3_small_1.0_224_uint8"):
        catalog.get("mobilenet_v3_smal_1.0_224_uint8")


def test_broken_catalog_file_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "models.yaml"
    bad.write_text("models:\n  - id: x\n   files: [\n")
    with pytest.raises(CamappError, match="broken at line"):
        Catalog.load(bad)


def test_catalog_reads_the_same_with_the_c_and_the_python_yaml_loader():
    import yaml

    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML without libyaml")
    text = packaged_file("models.yaml").read_text(encoding="utf-8")
    assert yaml.load(text, Loader=yaml.CSafeLoader) == yaml.load(text, Loader=yaml.SafeLoader)


def test_packaged_catalog_is_the_one_in_config():
    assert (
        packaged_file("models.yaml").read_bytes()
        == (Path(__file__).resolve().parents[1] / "config" / "models.yaml").read_bytes()
    )


def test_install_from_mirror_verifies_and_leaves_no_partial_files(tmp_path, catalog):
    store = ModelStore(catalog, tmp_path)
    entry = catalog.get("mobilenet_v1_0.25_128_uint8")
    results = install_models(store, [entry], str(MIRROR))
    assert [r.status for r in results] == ["installed"]
    assert store.is_installed(entry)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.file for f in entry.all_files)
    again = install_models(store, [entry], str(MIRROR))
    assert again[0].status == "present"


def test_install_from_takes_each_entry_from_the_first_source_that_has_it(tmp_path, catalog):
    store = ModelStore(catalog, tmp_path / "models")
    have = catalog.get("mobilenet_v1_0.25_128_uint8")
    missing = catalog.get("mobilenet_v3_large_1.0_224_uint8")
    empty = tmp_path / "empty"
    empty.mkdir()
    results = install_from(store, [have, missing], [str(empty), str(MIRROR)])
    assert [(r.model_id, r.status) for r in results] == [
        (have.id, "installed"),
        (missing.id, "unavailable"),
    ]
    assert "is not in " + str(MIRROR) in results[1].detail


def test_first_run_installs_the_default_models_once(tmp_path, catalog, monkeypatch):
    monkeypatch.setenv("CAMAPP_MODEL_MIRROR", str(MIRROR))
    store = ModelStore(catalog, tmp_path / "models")
    lines: list[str] = []
    assert ensure_default_models(store, report=lines.append) == []
    assert {e.id for e in store.installed()} == {e.id for e in catalog.defaults()}
    assert lines[0].startswith("camapp: no model installed yet")
    assert len(lines) == 1 + len(catalog.defaults())
    lines.clear()
    assert ensure_default_models(store, report=lines.append) == []
    assert lines == []  # a classifier is installed: nothing to do


def test_install_refuses_a_file_whose_checksum_does_not_match(tmp_path, catalog):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    entry = catalog.get("mobilenet_v1_0.25_128_uint8")
    for f in entry.all_files:
        data = (MIRROR / f.file).read_bytes()
        (mirror / f.file).write_bytes(data[:-10] + b"0123456789")
    target = tmp_path / "models"
    results = install(ModelStore(catalog, target), [entry], str(mirror))
    assert results[0].status == "corrupt" and "expected" in results[0].detail
    assert not any(p.suffix == ".tflite" for p in target.iterdir())
    assert not any(p.name.endswith(".part") for p in target.iterdir())


def test_install_says_which_ids_the_source_does_not_have(tmp_path, catalog):
    store = ModelStore(catalog, tmp_path / "models")
    results = install_models(store, [catalog.get("mobilenet_v3_large_1.0_224_uint8")], str(MIRROR))
    assert results[0].status == "unavailable"
    assert "v3-large_224_1.0_uint8.tflite is not in" in results[0].detail


def test_unknown_checksum_needs_explicit_flag_and_reports_the_hash(tmp_path, catalog):
    entry = catalog.get("mobilenet_v1_0.25_128_uint8")
    unverified = replace(entry, files=tuple(replace(f, sha256=None) for f in entry.files))
    store = ModelStore(catalog, tmp_path / "models")
    refused = install_models(store, [unverified], str(MIRROR))
    assert refused[0].status == "unverified" and "--allow-unverified" in refused[0].detail
    assert not (tmp_path / "models" / entry.files[0].file).exists()
    allowed = install_models(store, [unverified], str(MIRROR), allow_unverified=True)
    digest = hashlib.sha256((MIRROR / entry.files[0].file).read_bytes()).hexdigest()
    assert allowed[0].status == "installed" and digest in allowed[0].detail


def test_verify_reports_a_file_changed_after_install(tmp_path, catalog):
    store = ModelStore(catalog, tmp_path)
    entry = catalog.get("mobilenet_v1_0.25_128_uint8")
    install_models(store, [entry], str(MIRROR))
    assert {status for _, _, status in store.verify()} == {"ok"}
    path = tmp_path / entry.files[0].file
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    bad = [name for name, _, status in store.verify() if status == "mismatch"]
    assert bad == [entry.files[0].file]


def test_options_for_names_the_install_command_when_missing(tmp_path, catalog, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("CAMAPP_MODELS_DIR", raising=False)
    store = ModelStore(catalog, tmp_path)
    with pytest.raises(CamappError, match="camapp models install mobilenet_v2_1.0_224_uint8"):
        store.options_for("mobilenet_v2_1.0_224_uint8")


def test_model_file_sha_is_lowercased():
    sha = "ABCDEF0123456789" * 4
    assert ModelFile.from_dict({"file": "a", "sha256": sha}).sha256 == sha.lower()


def test_the_catalog_is_parsed_once_per_content_and_an_edit_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    packaged = Catalog.load()
    parsed = tmp_path / "cache" / "camapp" / "parsed"
    assert len(list(parsed.glob("*.json"))) == 1  # kept for the next command
    assert [e.id for e in Catalog.load().entries] == [e.id for e in packaged.entries]
    # An edited catalog is read again, not served from the cache.
    mine = tmp_path / "models.yaml"
    text = packaged_file("models.yaml").read_text(encoding="utf-8")
    first = packaged.entries[0]
    mine.write_text(text.replace(f'name: "{first.name}"', "name: My renamed model", 1))
    assert Catalog.load(mine).get(first.id).name == "My renamed model"
    assert len(list(parsed.glob("*.json"))) == 2
    # A damaged cache entry is passed by: the file is parsed again and the entry rewritten.
    for entry in parsed.glob("*.json"):
        entry.write_text("{not json")
    assert Catalog.load(mine).get(first.id).name == "My renamed model"
    assert Catalog.load().get(first.id).name == first.name
