"""Settings files: defaults, a broken user file, atomic writes."""

from __future__ import annotations

import pytest

from camapp.base.config import app_defaults, atomic_write, load_settings, save_yaml


def test_defaults_name_an_installable_default_model(catalog):
    defaults = app_defaults()
    assert defaults["model"] in {e.id for e in catalog.defaults()}
    assert defaults["top_k"] >= 1 and len(defaults["roi"]) == 4


def test_saved_settings_override_defaults(tmp_path):
    path = tmp_path / "settings.yaml"
    save_yaml(path, {"top_k": 3, "model": "mobilenet_v1_0.25_128_uint8"})
    settings, warning = load_settings(path)
    assert warning is None
    assert settings["top_k"] == 3 and settings["model"] == "mobilenet_v1_0.25_128_uint8"
    assert settings["mode"] == app_defaults()["mode"]


def test_broken_settings_file_gives_one_line_and_is_kept_aside(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("top_k: [3\nmodel: x\n")
    settings, warning = load_settings(path)
    assert settings == app_defaults()
    assert "broken at line" in warning and "\n" not in warning
    assert (tmp_path / "settings.yaml.broken").read_text() == "top_k: [3\nmodel: x\n"
    assert not path.exists()


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("model: old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as handle:
            handle.write("model: new, half writt")
            raise RuntimeError("disk full")
    assert path.read_text() == "model: old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.yaml"]
