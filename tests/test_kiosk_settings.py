"""The kiosk: section of the settings, opening hours and the exit chord (no Qt here)."""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from camapp.base.config import app_defaults
from camapp.base.errors import CamappError
from camapp.base.kiosk_rules import OpeningHours, parse_chord, parse_hours
from camapp.base.settings import KioskSettings, Settings, load_settings

#: A Monday.
MONDAY = datetime(2024, 6, 3)


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The user's config file and a state file, both private."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("CAMAPP_CONFIG", "CAMAPP_STATE", "CAMAPP_SETTINGS", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "camapp.yaml", tmp_path / "state.yaml"


def test_every_kiosk_setting_is_in_the_packaged_yaml_with_the_dataclass_default() -> None:
    packaged = app_defaults()["kiosk"]
    names = [item.name for item in dataclasses.fields(KioskSettings)]
    assert sorted(packaged) == sorted(names)
    defaults = KioskSettings()
    for name in names:
        assert KioskSettings(**{name: packaged[name]}) == defaults, name
    assert Settings().kiosk == defaults
    assert 2 <= len(defaults.models) <= 4


def test_a_kiosk_key_in_the_users_file_changes_only_that_key(files: tuple[Path, Path]) -> None:
    config, state = files
    config.write_text('kiosk:\n  pin: "2468"\n  idle_seconds: 20\n', encoding="utf-8")
    loaded = load_settings(config, state)
    assert loaded.warnings == ()
    kiosk = loaded.settings.kiosk
    assert (kiosk.pin, kiosk.idle_seconds) == ("2468", 20.0)
    assert kiosk.models == KioskSettings().models and kiosk.exit_chord == "Ctrl+Alt+Shift+Q"
    assert loaded.origin["kiosk"] == "config"


def test_bad_kiosk_values_are_one_line_each_and_only_those_keys_fall_back(
    files: tuple[Path, Path],
) -> None:
    config, state = files
    config.write_text(
        "kiosk:\n  pin: 2468\n  idel_seconds: 5\n  fps_floor: 12\n  hours: '18:00-09:00'\n",
        encoding="utf-8",
    )
    loaded = load_settings(config, state)
    assert [w.split(": ", 1)[1] for w in loaded.warnings] == [
        "kiosk.pin: 2468 is not a text of 4 to 12 digits in quotes, or null for no PIN; using null",
        "unknown key 'kiosk.idel_seconds' (did you mean 'idle_seconds'?); ignored",
        "kiosk.hours: '18:00-09:00' is not a daily range such as '09:00-17:30', or weekdays "
        "(mon, tue-fri, ...) mapped to ranges or closed, or null for always open; using null",
    ]
    assert loaded.settings.kiosk.fps_floor == 12.0  # the good key in the same section stays


def test_a_kiosk_section_that_is_not_a_mapping_keeps_the_defaults(
    files: tuple[Path, Path],
) -> None:
    config, state = files
    config.write_text("kiosk: yes\n", encoding="utf-8")
    loaded = load_settings(config, state)
    assert loaded.settings.kiosk == KioskSettings()
    (warning,) = loaded.warnings
    assert warning.endswith(
        "kiosk: true is not a mapping of kiosk settings (see config/camapp.yaml); "
        "using the defaults of that section"
    )


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"models": ["a"]}, None),
        ({"models": ["a", "b", "c", "d", "e"]}, "models"),
        ({"models": ["a", "a"]}, "models"),
        ({"split": "yes"}, "split"),
        ({"idle_seconds": 0}, "idle_seconds"),
        ({"pin": "12a4"}, "pin"),
        ({"pin": "123"}, "pin"),
        ({"exit_chord": "Q"}, "exit_chord"),
        ({"fps_floor": -1}, "fps_floor"),
    ],
)
def test_kiosk_rules(value: dict[str, object], expected: str | None) -> None:
    if expected is None:
        KioskSettings(**value)  # type: ignore[arg-type]
        return
    with pytest.raises(CamappError, match=f"^{expected}: "):
        KioskSettings(**value)  # type: ignore[arg-type]


def test_opening_hours_spellings() -> None:
    weekdays = ("09:00-17:30",) * 5
    assert parse_hours("9:00 - 17:30") == ("09:00-17:30",) * 7
    assert parse_hours({"mon-fri": "09:00-17:30", "sat": "10:00-16:00"}) == (
        *weekdays,
        "10:00-16:00",
        "closed",
    )
    assert parse_hours({"Friday-Monday": "10:00-24:00", "wed": "closed"}) == (
        "10:00-24:00",
        "closed",
        "closed",
        "closed",
        "10:00-24:00",
        "10:00-24:00",
        "10:00-24:00",
    )
    assert parse_hours(list(parse_hours("08:00-12:00"))) == ("08:00-12:00",) * 7
    for bad in ("17:30-09:00", "25:00-26:00", "09:60-10:00", {"funday": "09:00-10:00"}, 5, {}):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_opening_hours_say_when_the_kiosk_opens_next() -> None:
    hours = OpeningHours(parse_hours({"mon-fri": "09:00-17:30"}))
    assert not hours.is_open(MONDAY.replace(hour=8, minute=59))
    assert hours.is_open(MONDAY.replace(hour=9))
    assert not hours.is_open(MONDAY.replace(hour=17, minute=30))
    assert hours.next_change(MONDAY.replace(hour=8)) == MONDAY.replace(hour=9)
    assert hours.next_change(MONDAY.replace(hour=12)) == MONDAY.replace(hour=17, minute=30)
    assert hours.opening_text(MONDAY.replace(hour=7)) == "Opens again today at 09:00"
    assert hours.opening_text(MONDAY.replace(hour=18)) == "Opens again tomorrow at 09:00"
    friday_night = MONDAY.replace(day=7, hour=18)
    assert hours.next_opening(friday_night) == MONDAY.replace(day=10, hour=9)
    assert hours.opening_text(friday_night) == "Opens again on Monday at 09:00"
    assert OpeningHours(("closed",) * 7).next_change(MONDAY) is None


def test_exit_chords_are_normalised_and_need_a_modifier() -> None:
    assert parse_chord("shift+ctrl+alt+q") == "Ctrl+Alt+Shift+Q"
    assert parse_chord("Meta + F12") == "Meta+F12"
    for bad in ("Q", "Ctrl+Ctrl+Q", "Hyper+Q", "Ctrl+", "", 5):
        with pytest.raises(ValueError):
            parse_chord(bad)


def test_the_readme_kiosk_example_is_a_valid_config(files: tuple[Path, Path]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Kiosk", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    config, state = files
    config.write_text(textwrap.dedent(example), encoding="utf-8")
    loaded = load_settings(config, state)
    assert loaded.warnings == ()
    kiosk = loaded.settings.kiosk
    assert kiosk.pin == "2468" and kiosk.hours is not None and kiosk.hours[6] == "closed"
    assert len(kiosk.models) == 2 and kiosk.scenes == "~/exhibit/photos"
