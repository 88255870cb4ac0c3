"""Config files: the packaged defaults and atomic writes (settings: test_settings.py)."""

from __future__ import annotations

import pytest

from camapp.base.config import app_defaults, atomic_write


def test_defaults_name_an_installable_default_model(catalog):
    defaults = app_defaults()
    assert defaults["model"] in {e.id for e in catalog.defaults()}
    assert defaults["top_k"] >= 1 and len(defaults["roi"]) == 4


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("model: old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as handle:
            handle.write("model: new, half writt")
            raise RuntimeError("disk full")
    assert path.read_text() == "model: old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.yaml"]
