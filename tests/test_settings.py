"""Typed settings: precedence, one-line warnings, remembered state apart from the user's file."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camapp.base.config import app_defaults
from camapp.base.errors import CamappError
from camapp.base.settings import (
    LoadedSettings,
    Settings,
    WindowState,
    load_settings,
    save_state,
    state_file,
    user_config_file,
)

CONFIG_BODY = "# my camapp\ntop_k: 3   # three is enough\nmode: click\n"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private home: no test reads or writes the real one."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in (
        "CAMAPP_CONFIG",
        "CAMAPP_STATE",
        "CAMAPP_SETTINGS",
        "XDG_CONFIG_HOME",
        "XDG_STATE_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_file(home: Path) -> Path:
    return home / ".config" / "camapp" / "camapp.yaml"


def state_path(home: Path) -> Path:
    return home / ".local" / "state" / "camapp" / "state.yaml"


# -- defaults and locations -----------------------------------------------------------------
def test_dataclass_defaults_agree_with_the_packaged_yaml() -> None:
    packaged = app_defaults()
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    assert set(packaged) <= set(fields), "a packaged key the dataclass does not know"
    for name, item in fields.items():
        if name in packaged:
            assert Settings(**{name: packaged[name]}) == Settings(), name
        else:  # nothing to agree on: the packaged file leaves it out, so it must be null
            assert item.default is None, name


def test_no_files_give_the_packaged_defaults_without_warnings() -> None:
    loaded = load_settings()
    assert loaded.settings == Settings()
    assert loaded.warnings == ()
    assert set(loaded.origin.values()) == {"default"}
    assert loaded.state == WindowState()


def test_files_live_in_the_xdg_folders(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert user_config_file() == config_file(home)
    assert state_file() == state_path(home)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "cfg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "st"))
    assert user_config_file() == home / "cfg" / "camapp" / "camapp.yaml"
    assert state_file() == home / "st" / "camapp" / "state.yaml"
    monkeypatch.setenv("CAMAPP_CONFIG", str(home / "mine.yaml"))
    monkeypatch.setenv("CAMAPP_STATE", str(home / "remembered.yaml"))
    assert user_config_file() == home / "mine.yaml"
    assert state_file() == home / "remembered.yaml"


# -- precedence -----------------------------------------------------------------------------
def test_the_users_file_wins_over_state_which_wins_over_defaults(home: Path) -> None:
    write(state_path(home), "top_k: 7\nthreshold: 0.5\nsource: video.mp4\n")
    write(config_file(home), "top_k: 3\nxnnpack: false\n")
    loaded = load_settings()
    assert loaded.warnings == ()
    assert loaded.settings.top_k == 3 and loaded.origin["top_k"] == "config"
    assert loaded.settings.xnnpack is False and loaded.origin["xnnpack"] == "config"
    assert loaded.settings.threshold == 0.5 and loaded.origin["threshold"] == "state"
    assert loaded.settings.source == "video.mp4" and loaded.origin["source"] == "state"
    assert loaded.settings.mode == "continuous" and loaded.origin["mode"] == "default"
    assert loaded.state.top_k == 7  # what was remembered, even where the user's file wins


def test_the_command_line_is_applied_last_and_validated() -> None:
    loaded = load_settings()
    assert loaded.settings.replace(top_k=2, source=1).top_k == 2
    assert loaded.settings.replace(source=1).source == "1"
    with pytest.raises(CamappError, match="top_k: 0 is not a whole number from 1 to 20"):
        loaded.settings.replace(top_k=0)
    with pytest.raises(CamappError, match="did you mean 'threshold'"):
        loaded.settings.replace(treshold=0.2)
    with pytest.raises(CamappError):
        dataclasses.replace(loaded.settings, mode="sometimes")


def test_explicit_paths_override_the_locations(tmp_path: Path) -> None:
    config = write(tmp_path / "a.yaml", "top_k: 4\n")
    state = write(tmp_path / "b.yaml", "threshold: 0.25\n")
    loaded = load_settings(config, state)
    assert (loaded.settings.top_k, loaded.settings.threshold) == (4, 0.25)
    assert (loaded.config_file, loaded.state_file) == (config, state)


# -- one line per problem -------------------------------------------------------------------
def test_unknown_key_warns_with_the_closest_known_key_and_is_ignored(home: Path) -> None:
    write(config_file(home), "topk: 3\nmode: click\n")
    loaded = load_settings()
    assert loaded.warnings == (
        "~/.config/camapp/camapp.yaml: unknown key 'topk' (did you mean 'top_k'?); ignored",
    )
    assert loaded.settings.top_k == 5 and loaded.settings.mode == "click"


def test_unknown_key_without_a_close_match_lists_the_known_keys(home: Path) -> None:
    write(config_file(home), "colour: blue\n")
    (warning,) = load_settings().warnings
    assert "unknown key 'colour' (known keys: model, source, roi," in warning


def test_top_k_five_is_one_line_and_only_that_key_falls_back(home: Path) -> None:
    write(config_file(home), "top_k: five\nmode: click\nthreshold: 0.2\n")
    loaded = load_settings()
    assert loaded.warnings == (
        "~/.config/camapp/camapp.yaml: top_k: 'five' is not a whole number from 1 to 20; using 5",
    )
    assert loaded.settings.top_k == 5 and loaded.origin["top_k"] == "default"
    assert loaded.settings.mode == "click" and loaded.settings.threshold == 0.2


def test_a_bad_config_value_falls_back_to_the_remembered_one(home: Path) -> None:
    write(state_path(home), "top_k: 7\n")
    write(config_file(home), "top_k: 99\n")
    loaded = load_settings()
    assert loaded.warnings[0].endswith("top_k: 99 is not a whole number from 1 to 20; using 7")
    assert loaded.settings.top_k == 7 and loaded.origin["top_k"] == "state"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("roi: [0.1, 0.2, 1.5, 0.8]", "roi: [0.1, 0.2, 1.5, 0.8] is not four fractions"),
        ("roi: [0.7, 0.2, 0.3, 0.8]", "roi: [0.7, 0.2, 0.3, 0.8] is not four fractions"),
        ("roi: [0.1, 0.2, 0.3]", "roi: [0.1, 0.2, 0.3] is not four fractions"),
        ("roi: 'a,b,c,d'", "roi: 'a,b,c,d' is not four fractions"),
        ("threshold: 1.5", "threshold: 1.5 is not a number from 0 to 1; using 0.01"),
        ("threshold: -0.1", "threshold: -0.1 is not a number from 0 to 1; using 0.01"),
        ("threshold: .nan", "threshold: nan is not a number from 0 to 1"),
        ("threads: 0", "threads: 0 is not a whole number from 1 to 64, or null for every core"),
        ("xnnpack: 'off'", "xnnpack: 'off' is not true or false; using true"),
        ("runtime: tflite", "runtime: 'tflite' is not one of auto, litert, tflite-runtime"),
        ("source: ''", "source: '' is not a camera index"),
        ("model: null", "model: null is not a text; using 'mobilenet_v3_small_1.0_224_uint8'"),
    ],
)
def test_out_of_range_values_are_one_line_each(home: Path, text: str, expected: str) -> None:
    write(config_file(home), text + "\nmode: click\n")
    loaded = load_settings()
    assert len(loaded.warnings) == 1 and "\n" not in loaded.warnings[0]
    assert expected in loaded.warnings[0]
    assert loaded.settings.replace(mode="continuous") == Settings()


def test_friendly_spellings_are_accepted(home: Path) -> None:
    write(
        config_file(home),
        "source: 0\nroi: '0.1, 0.2, 0.9, 0.8'\nthreshold: 1\nthreads: null\ncompare: mobilenet_a\n",
    )
    loaded = load_settings()
    assert loaded.warnings == ()
    assert loaded.settings.source == "0"
    assert loaded.settings.roi == (0.1, 0.2, 0.9, 0.8)
    assert loaded.settings.threshold == 1.0 and isinstance(loaded.settings.threshold, float)
    assert loaded.settings.threads is None and loaded.origin["threads"] == "config"
    assert loaded.settings.compare == "mobilenet_a"


# -- broken files ---------------------------------------------------------------------------
def test_broken_config_is_one_line_and_left_byte_for_byte(home: Path) -> None:
    broken = "top_k: [3\nmode: click\n"
    path = write(config_file(home), broken)
    write(state_path(home), "top_k: 7\n")
    loaded = load_settings()
    (warning,) = loaded.warnings
    assert "~/.config/camapp/camapp.yaml is broken at line" in warning and "\n" not in warning
    assert "fix the line" in warning  # the hint of load_yaml
    assert loaded.settings.top_k == 7 and loaded.settings.mode == "continuous"
    assert path.read_text() == broken
    assert sorted(p.name for p in path.parent.iterdir()) == ["camapp.yaml"]


def test_config_that_is_not_a_mapping_is_one_line_and_left_alone(home: Path) -> None:
    path = write(config_file(home), "- top_k\n- 3\n")
    loaded = load_settings()
    (warning,) = loaded.warnings
    assert "is not a YAML mapping" in warning
    assert loaded.settings == Settings() and path.read_text() == "- top_k\n- 3\n"


def test_broken_state_is_moved_aside(home: Path) -> None:
    path = write(state_path(home), "top_k: 3\n  mode: [\n")
    loaded = load_settings()
    (warning,) = loaded.warnings
    assert "broken at line" in warning and "moved aside as state.yaml.broken" in warning
    assert loaded.settings == Settings() and loaded.state == WindowState()
    assert not path.exists()
    assert path.with_name("state.yaml.broken").read_text() == "top_k: 3\n  mode: [\n"


def test_a_setting_in_the_state_file_points_to_the_config_file(home: Path) -> None:
    write(state_path(home), "xnnpack: false\ntop_k: 4\n")
    loaded = load_settings()
    assert loaded.warnings == (
        "~/.local/state/camapp/state.yaml: xnnpack is a setting, not remembered state; "
        "put it in ~/.config/camapp/camapp.yaml; ignored",
    )
    assert loaded.settings.xnnpack is True and loaded.settings.top_k == 4


def test_null_model_and_source_in_state_mean_nothing_remembered(home: Path) -> None:
    write(state_path(home), "model: null\nsource: null\nthreads: null\ncompare: null\n")
    loaded = load_settings()
    assert loaded.warnings == ()
    assert loaded.settings == Settings()
    assert loaded.origin["model"] == "default" and loaded.origin["threads"] == "state"


# -- the settings.yaml of earlier versions --------------------------------------------------
def test_legacy_settings_yaml_is_read_as_state_once(home: Path) -> None:
    legacy_text = "# old\nmodel: mobilenet_v1_0.25_128_uint8\ntop_k: 3\nwindow: {geometry: AAA=}\n"
    legacy = write(home / ".config" / "camapp" / "settings.yaml", legacy_text)
    loaded = load_settings()
    assert loaded.warnings == ()
    assert loaded.settings.model == "mobilenet_v1_0.25_128_uint8"
    assert loaded.origin["top_k"] == "state" and loaded.state.window == {"geometry": "AAA="}
    assert loaded.state_file == state_path(home)

    save_state(dataclasses.replace(loaded.state, top_k=9))
    assert legacy.read_text() == legacy_text  # never written again
    again = load_settings()
    assert again.settings.top_k == 9 and again.settings.model == "mobilenet_v1_0.25_128_uint8"


def test_broken_legacy_settings_yaml_is_not_moved(home: Path) -> None:
    legacy = write(home / ".config" / "camapp" / "settings.yaml", "top_k: [\n")
    (warning,) = load_settings().warnings
    assert "broken" in warning and "moved aside" not in warning
    assert legacy.read_text() == "top_k: [\n"


# -- saving state ---------------------------------------------------------------------------
def test_save_state_round_trips_atomically_and_creates_the_folder(home: Path) -> None:
    state = WindowState(
        model="mobilenet_v2_1.0_224_uint8",
        source="/videos/cat.mp4",
        roi=(0.1, 0.2, 0.9, 0.8),
        threads=2,
        top_k=3,
        threshold=0.25,
        mode="click",
        compare="mobilenet_v1_0.25_128_uint8",
        window={"geometry": "AdnQywADAAA=", "state": "AAAA/wAAAAD9"},
    )
    path = save_state(state)
    assert path == state_path(home)
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.yaml"]  # no temp file
    loaded = load_settings()
    assert loaded.warnings == () and loaded.state == state
    assert loaded.settings.roi == (0.1, 0.2, 0.9, 0.8) and loaded.settings.threads == 2
    assert set(yaml.safe_load(path.read_text())) == {f.name for f in dataclasses.fields(state)}


def test_the_users_file_is_byte_identical_after_load_and_save(home: Path) -> None:
    path = write(config_file(home), CONFIG_BODY + "topk: 1\n")
    before = path.stat()
    loaded = load_settings()
    save_state(dataclasses.replace(loaded.state, top_k=11, mode="continuous"))
    assert path.read_bytes() == (CONFIG_BODY + "topk: 1\n").encode()
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in path.parent.iterdir()) == ["camapp.yaml"]
    assert load_settings().settings.top_k == 3  # the user's 3 still wins over the saved 11


def test_save_state_refuses_to_write_the_users_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(config_file(home), CONFIG_BODY)
    monkeypatch.setenv("CAMAPP_STATE", str(path))
    with pytest.raises(CamappError, match="refusing"):
        save_state(WindowState())
    assert path.read_text() == CONFIG_BODY


def test_window_state_validates_like_settings() -> None:
    with pytest.raises(CamappError, match="roi: "):
        WindowState(roi=(0.5, 0.5, 0.4, 0.6))
    assert WindowState(source=0).source == "0"  # type: ignore[arg-type]


# -- model mirrors --------------------------------------------------------------------------
def test_relative_model_mirrors_are_relative_to_the_file_naming_them(
    tmp_path: Path, home: Path
) -> None:
    config = write(
        tmp_path / "team" / "camapp.yaml",
        "model_mirrors: [models, ../usb, /abs/models, ~/mine, https://example.org/models]\n",
    )
    loaded = load_settings(config, tmp_path / "state.yaml")
    assert loaded.warnings == ()
    assert loaded.settings.model_mirrors == (
        str(tmp_path / "team" / "models"),
        str(tmp_path / "team" / ".." / "usb"),
        "/abs/models",
        str(home / "mine"),
        "https://example.org/models",
    )
    assert load_settings(write(tmp_path / "one.yaml", "model_mirrors: m\n")).settings.model_mirrors


# -- properties -----------------------------------------------------------------------------
TEXT = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != "")
NOT_NUMBER = st.one_of(st.none(), st.booleans(), TEXT, st.lists(st.integers(), max_size=2))
FRACTION = st.floats(0.0, 1.0) | st.integers(0, 1)


@st.composite
def good_roi(draw: st.DrawFn) -> Any:
    left, right = sorted(draw(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2, unique=True)))
    top, bottom = sorted(draw(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2, unique=True)))
    box = [left, top, right, bottom]
    return draw(st.sampled_from([box, ",".join(repr(v) for v in box)]))


VALID: dict[str, st.SearchStrategy[Any]] = {
    "model": TEXT,
    "source": TEXT | st.integers(0, 10),
    "roi": good_roi(),
    "threads": st.none() | st.integers(1, 64),
    "xnnpack": st.booleans(),
    "runtime": st.sampled_from(["auto", "litert", "tflite-runtime"]),
    "top_k": st.integers(1, 20),
    "threshold": FRACTION,
    "mode": st.sampled_from(["continuous", "click"]),
    "model_mirrors": st.none() | TEXT | st.lists(TEXT, max_size=3),
    "compare": st.none() | TEXT,
}
INVALID: dict[str, st.SearchStrategy[Any]] = {
    "model": st.one_of(st.none(), st.just(" "), st.integers(), st.booleans()),
    "source": st.one_of(st.none(), st.just(""), st.booleans(), st.floats()),
    "roi": st.one_of(
        NOT_NUMBER,
        st.lists(FRACTION, max_size=3),
        st.lists(st.floats().filter(lambda v: not 0.0 <= v <= 1.0), min_size=4, max_size=4),
        st.just([0.9, 0.1, 0.1, 0.9]),
    ),
    "threads": st.one_of(st.integers().filter(lambda n: not 1 <= n <= 64), st.floats(), TEXT),
    "xnnpack": st.one_of(st.none(), st.integers(), TEXT),
    "runtime": st.one_of(NOT_NUMBER, st.just("LiteRT")),
    "top_k": st.one_of(NOT_NUMBER, st.integers().filter(lambda n: not 1 <= n <= 20), st.floats()),
    "threshold": st.one_of(NOT_NUMBER, st.floats().filter(lambda v: not 0.0 <= v <= 1.0)),
    "mode": st.one_of(NOT_NUMBER, st.just("Click")),
    "model_mirrors": st.one_of(st.integers(), st.booleans(), st.lists(st.integers(), min_size=1)),
    "compare": st.one_of(st.just(""), st.integers(), st.booleans(), st.lists(TEXT, max_size=2)),
}
TAGGED = st.dictionaries(
    st.sampled_from(sorted(VALID)), st.booleans(), max_size=len(VALID)
).flatmap(
    lambda wanted: st.fixed_dictionaries(
        {k: st.tuples(st.just(ok), (VALID if ok else INVALID)[k]) for k, ok in wanted.items()}
    )
)
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the fixture is constant
)


def load_written(data: dict[str, Any], name: str) -> tuple[LoadedSettings, Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        other = Path(folder) / "absent.yaml"
        loaded = load_settings(path, other) if name == "camapp.yaml" else load_settings(other, path)
        assert path.is_file(), "a file with bad values is never moved"
        return loaded, path


@PROPERTY
@given(TAGGED)
def test_any_config_gives_valid_settings_and_warns_exactly_for_bad_keys(
    tagged: dict[str, tuple[bool, Any]],
) -> None:
    loaded, path = load_written({k: v for k, (_, v) in tagged.items()}, "camapp.yaml")
    assert Settings(**dataclasses.asdict(loaded.settings)) == loaded.settings
    bad = {k for k, (ok, _) in tagged.items() if not ok}
    assert len(loaded.warnings) == len(bad)
    assert {w.split(": ")[1] for w in loaded.warnings} == bad
    assert all("\n" not in w and w.startswith(str(path)) for w in loaded.warnings)
    for key in Settings.__dataclass_fields__:
        expected = "config" if key in tagged and key not in bad else "default"
        assert loaded.origin[key] == expected, key


@PROPERTY
@given(TAGGED)
def test_any_state_gives_valid_settings_and_warns_exactly_for_bad_keys(
    tagged: dict[str, tuple[bool, Any]],
) -> None:
    remembered = {k: v for k, v in tagged.items() if k in WindowState.__dataclass_fields__}
    loaded, _ = load_written({k: v for k, (_, v) in remembered.items()}, "state.yaml")
    bad = {
        k
        for k, (ok, v) in remembered.items()
        if not ok and not (k in ("model", "source") and v is None)
    }
    assert {w.split(": ")[1] for w in loaded.warnings} == bad
    assert len(loaded.warnings) == len(bad)
    assert WindowState(**dataclasses.asdict(loaded.state)) == loaded.state


# -- layers ---------------------------------------------------------------------------------
def test_settings_import_neither_qt_nor_numpy() -> None:
    code = (
        "import sys, camapp.base.settings; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PyQt6', 'numpy', 'cv2')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
