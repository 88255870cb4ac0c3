"""Typed settings: the user's config file over remembered window state over packaged defaults.

Files, lowest precedence first:

1. Packaged defaults: ``config/camapp.yaml`` (``camapp/data/camapp.yaml`` in a wheel).
2. Remembered state, written by the app on exit: ``$CAMAPP_STATE``, else
   ``$XDG_STATE_HOME/camapp/state.yaml`` (default ``~/.local/state/camapp/state.yaml``). When it
   does not exist, the ``settings.yaml`` of earlier versions (``$CAMAPP_SETTINGS``, else
   ``~/.config/camapp/settings.yaml``) is read in its place; it is never written again.
3. The user's config file, which the app never writes, moves or rewrites: ``$CAMAPP_CONFIG``,
   else ``$XDG_CONFIG_HOME/camapp/camapp.yaml`` (default ``~/.config/camapp/camapp.yaml``).
4. The command line, applied by the caller with :meth:`Settings.replace`.

A bad key or value costs one warning line and only that key falls back to the layer below; a
file that cannot be read costs one line and all of that file falls back (a broken state file
is moved aside as ``state.yaml.broken``). Relative ``model_mirrors`` in the user's file are
relative to its folder; the packaged file names none (no folder is guessed for anyone).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camapp.base import config
from camapp.base.errors import CamappError
from camapp.base.kiosk_rules import parse_chord, parse_hours

_STATE_HEADER = (
    "camapp window state, rewritten by the app on exit.\n"
    "Put your own settings in camapp.yaml in the config folder; they win over these."
)


class _Invalid(ValueError):
    """A value a rule does not accept."""


@dataclass(frozen=True)
class _Rule:
    """How one setting is checked: the accepted values in words and a converter."""

    expects: str
    convert: Callable[[Any], Any]
    nullable: bool = False

    def check(self, value: Any) -> Any:
        """The normalised value; raises ``_Invalid`` when the value is not accepted."""
        if value is None and self.nullable:
            return None
        return self.convert(value)

    def or_null(self, meaning: str) -> _Rule:
        """The same rule, also accepting null (``meaning`` says what null stands for)."""
        return _Rule(f"{self.expects}, or null for {meaning}", self.convert, nullable=True)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _accept(ok: bool, value: Any) -> Any:
    if not ok:
        raise _Invalid
    return value


def _text(value: Any) -> str:
    return str(_accept(isinstance(value, str) and bool(value.strip()), value))


def _whole(low: int, high: int) -> Callable[[Any], Any]:
    return lambda value: _accept(_is_whole(value) and low <= value <= high, value)


def _number(low: float, high: float) -> Callable[[Any], Any]:
    # NaN fails the comparison; YAML ints are accepted and become floats.
    return lambda value: float(_accept(_is_number(value) and low <= value <= high, value))


def _choice(*options: str) -> Callable[[Any], Any]:
    return lambda value: _accept(isinstance(value, str) and value in options, value)


def _roi(value: Any) -> tuple[float, float, float, float]:
    if isinstance(value, str):
        try:
            value = [float(part) for part in value.split(",")]
        except ValueError:
            raise _Invalid from None
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        raise _Invalid
    if not all(_is_number(v) and 0.0 <= v <= 1.0 for v in value):
        raise _Invalid
    left, top, right, bottom = (float(v) for v in value)
    if not (left < right and top < bottom):
        raise _Invalid
    return left, top, right, bottom


def _paths(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple)):
        return tuple(_text(item) for item in value)
    raise _Invalid


def _window(value: Any) -> dict[str, str]:
    ok = isinstance(value, dict) and all(isinstance(i, str) for kv in value.items() for i in kv)
    return dict(_accept(ok, value))


_RUNTIMES = ("auto", "litert", "tflite-runtime")
_MODES = ("continuous", "click")
_TEXT = _Rule("a text", _text)  # a catalog id or a path
_SOURCE = _Rule(
    "a camera index, a device, a file, a folder or a URL",
    lambda value: str(value) if _is_whole(value) else _text(value),
)
_ROI = _Rule(
    "four fractions left,top,right,bottom from 0 to 1 with left < right and top < bottom", _roi
)


def _setting(default: Any, rule: _Rule) -> Any:
    return field(default=default, metadata={"rule": rule})


def _rule(item: dataclasses.Field[Any]) -> _Rule:
    rule = item.metadata["rule"]
    assert isinstance(rule, _Rule)
    return rule


def _validate_fields(obj: Any) -> None:
    """Checks and normalises every field of a frozen dataclass in place.

    Raises:
        CamappError: Naming the first field whose value is not accepted.
    """
    for item in dataclasses.fields(obj):
        value = getattr(obj, item.name)
        try:
            object.__setattr__(obj, item.name, _rule(item).check(value))
        except _Invalid:
            raise CamappError(f"{item.name}: {_bad(value, _rule(item))}") from None


_BOOL = _Rule("true or false", lambda value: _accept(isinstance(value, bool), value))


def _models(value: Any) -> tuple[str, ...]:
    items = _paths(value)
    return tuple(_accept(1 <= len(items) <= 4 and len(set(items)) == len(items), items))


def _strict(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A parser that raises ``ValueError`` (:mod:`camapp.base.kiosk_rules`) as a converter."""

    def convert(value: Any) -> Any:
        try:
            return parse(value)
        except ValueError:
            raise _Invalid from None

    return convert


def _pin(value: Any) -> str:
    return str(_accept(isinstance(value, str) and bool(re.fullmatch(r"\d{4,12}", value)), value))


@dataclass(frozen=True)
class KioskSettings:
    """The ``kiosk:`` section: what ``camapp kiosk`` shows and who may leave it.

    A key missing from a file keeps the value of the layer below (see :func:`load_settings`).

    Raises:
        CamappError: When a value is outside its rule.
    """

    models: tuple[str, ...] = _setting(
        (
            "mobilenet_v1_0.25_128_uint8",
            "mobilenet_v3_small_1.0_224_uint8",
            "mobilenet_v2_1.0_224_uint8",
        ),
        _Rule("a list of one to four different catalog ids or .tflite paths", _models),
    )
    split: bool = _setting(False, _BOOL)
    idle_seconds: float = _setting(
        60.0, _Rule("a number of seconds from 1 to 86400", _number(1.0, 86400.0))
    )
    cursor_seconds: float = _setting(
        3.0, _Rule("a number of seconds from 0.5 to 3600", _number(0.5, 3600.0))
    )
    exit_chord: str = _setting(
        "Ctrl+Alt+Shift+Q",
        _Rule("modifiers and a key joined by +, such as Ctrl+Alt+Shift+Q", _strict(parse_chord)),
    )
    pin: str | None = _setting(
        None, _Rule("a text of 4 to 12 digits in quotes", _pin).or_null("no PIN")
    )
    fps_floor: float = _setting(
        5.0, _Rule("a number of frames per second from 0 to 1000", _number(0.0, 1000.0))
    )
    hours: tuple[str, ...] | None = _setting(
        None,
        _Rule(
            "a daily range such as '09:00-17:30', or weekdays (mon, tue-fri, ...) mapped to "
            "ranges or closed",
            _strict(parse_hours),
        ).or_null("always open"),
    )
    scenes: str | None = _setting(None, _TEXT.or_null("none"))
    scene_seconds: float = _setting(
        5.0, _Rule("a number of seconds from 0.2 to 3600", _number(0.2, 3600.0))
    )

    def __post_init__(self) -> None:
        _validate_fields(self)


def _section(cls: type[Any]) -> Callable[[Any], Any]:
    """Accepts an instance of ``cls`` or a mapping of its fields (every value checked)."""

    def convert(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise _Invalid
        try:
            return cls(**value)
        except (TypeError, CamappError):
            raise _Invalid from None

    return convert


@dataclass(frozen=True)
class Settings:
    """Every setting of camapp, validated on construction.

    Each field's metadata holds its rule (type, range or choices, in words for messages);
    the defaults here and in the packaged ``config/camapp.yaml`` agree (a test checks).

    Raises:
        CamappError: When a value is outside its rule.
    """

    model: str = _setting("mobilenet_v3_small_1.0_224_uint8", _TEXT)
    source: str = _setting("0", _SOURCE)
    roi: tuple[float, float, float, float] = _setting((0.3, 0.2, 0.7, 0.8), _ROI)
    threads: int | None = _setting(
        None, _Rule("a whole number from 1 to 64", _whole(1, 64)).or_null("every core")
    )
    xnnpack: bool = _setting(
        True, _Rule("true or false", lambda value: _accept(isinstance(value, bool), value))
    )
    tune: bool = _setting(
        True, _Rule("true or false", lambda value: _accept(isinstance(value, bool), value))
    )
    runtime: str = _setting("auto", _Rule(f"one of {', '.join(_RUNTIMES)}", _choice(*_RUNTIMES)))
    top_k: int = _setting(5, _Rule("a whole number from 1 to 20", _whole(1, 20)))
    threshold: float = _setting(0.01, _Rule("a number from 0 to 1", _number(0.0, 1.0)))
    mode: str = _setting("continuous", _Rule(f"one of {', '.join(_MODES)}", _choice(*_MODES)))
    model_mirrors: tuple[str, ...] = _setting((), _Rule("a list of folders or URLs", _paths))
    compare: str | None = _setting(None, _TEXT.or_null("none"))
    stream_timeout: float = _setting(
        10.0, _Rule("a number of seconds from 0.5 to 300", _number(0.5, 300.0))
    )
    reconnect_max_wait: float = _setting(
        10.0, _Rule("a number of seconds from 0.5 to 3600", _number(0.5, 3600.0))
    )

    kiosk: KioskSettings = _setting(
        KioskSettings(),
        _Rule("a mapping of kiosk settings (see config/camapp.yaml)", _section(KioskSettings)),
    )

    def __post_init__(self) -> None:
        _validate_fields(self)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (the command line's values), validated.

        Raises:
            CamappError: For an unknown name (with the closest known one) or a bad value.
        """
        for name in changes:
            if name not in _SETTING_NAMES:
                raise CamappError(f"unknown setting '{name}'", _closest(name, _SETTING_NAMES))
        return dataclasses.replace(self, **changes)


_SETTING_NAMES = tuple(item.name for item in dataclasses.fields(Settings))
_SETTING_RULES = {item.name: _rule(item) for item in dataclasses.fields(Settings)}
_SETTING_DEFAULTS = {item.name: item.default for item in dataclasses.fields(Settings)}


def _remembered(name: str, nothing: bool = False) -> Any:
    """A :class:`WindowState` field with the rule and default of the setting ``name``.

    With ``nothing``, null is accepted too and is the default: nothing remembered.
    """
    if nothing:
        return field(default=None, metadata={"rule": _SETTING_RULES[name].or_null("nothing")})
    return field(default=_SETTING_DEFAULTS[name], metadata={"rule": _SETTING_RULES[name]})


@dataclass(frozen=True)
class WindowState:
    """What the app remembers between runs, validated with the rules of :class:`Settings`.

    ``model`` and ``source`` are None when there is nothing to remember. ``window`` holds the
    window's own base64 strings (geometry, dock state), opaque here; treat it as read-only.

    Raises:
        CamappError: When a value is outside its rule.
    """

    model: str | None = _remembered("model", nothing=True)
    source: str | None = _remembered("source", nothing=True)
    roi: tuple[float, float, float, float] = _remembered("roi")
    threads: int | None = _remembered("threads")
    top_k: int = _remembered("top_k")
    threshold: float = _remembered("threshold")
    mode: str = _remembered("mode")
    compare: str | None = _remembered("compare")
    window: dict[str, str] = field(
        default_factory=dict, metadata={"rule": _Rule("a mapping of names to texts", _window)}
    )

    def __post_init__(self) -> None:
        _validate_fields(self)


_STATE_RULES = {item.name: _rule(item) for item in dataclasses.fields(WindowState)}
_STATE_DEFAULTS = dataclasses.asdict(WindowState())


@dataclass(frozen=True)
class LoadedSettings:
    """The result of :func:`load_settings`.

    Attributes:
        settings: The merged, valid settings.
        state: The remembered state as read (defaults for what was not remembered).
        warnings: One line per problem found, for the user.
        origin: For each setting, ``"default"``, ``"state"`` or ``"config"``.
        config_file: The user's config file (read if it exists; never written).
        state_file: Where :func:`save_state` writes by default.
    """

    settings: Settings
    state: WindowState
    warnings: tuple[str, ...]
    origin: Mapping[str, str]
    config_file: Path
    state_file: Path


def user_config_file() -> Path:
    """The user's config file: ``$CAMAPP_CONFIG``, else ``<XDG config>/camapp/camapp.yaml``."""
    override = os.environ.get("CAMAPP_CONFIG")
    return Path(override).expanduser() if override else config.user_config_dir() / "camapp.yaml"


def _legacy_settings_file() -> Path:
    """Where versions before 0.2 saved the window's choices (now read once, as state)."""
    override = os.environ.get("CAMAPP_SETTINGS")
    return Path(override) if override else config.user_config_dir() / "settings.yaml"


def state_file() -> Path:
    """The state file: ``$CAMAPP_STATE``, else ``$XDG_STATE_HOME/camapp/state.yaml``."""
    override = os.environ.get("CAMAPP_STATE")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "camapp" / "state.yaml"


def load_settings(
    config_path: Path | None = None, state_path: Path | None = None
) -> LoadedSettings:
    """Reads the packaged defaults, the remembered state and the user's config file.

    Never raises for the content of a file: every problem becomes one line in ``warnings``.

    Args:
        config_path: The user's config file; default :func:`user_config_file`.
        state_path: The state file; default :func:`state_file`, with the ``settings.yaml`` of
            earlier versions read in its place when it does not exist.

    Returns:
        The settings, the state, the warnings and where each value came from.
    """
    warnings: list[str] = []
    values: dict[str, Any] = dict(_SETTING_DEFAULTS)
    origin = dict.fromkeys(_SETTING_NAMES, "default")
    try:
        packaged = config.app_defaults()
    except CamappError as exc:
        warnings.append(f"{exc}; using the built-in defaults")
        packaged = {}
    packaged_path = config.packaged_file("camapp.yaml")
    for key, value in _checked(packaged, packaged_path, _SETTING_RULES, warnings, values):
        values[key] = value  # folders stay as written: a checkout names them from its root

    config_path = Path(config_path) if config_path else user_config_file()
    saving_to = Path(state_path) if state_path else state_file()
    reading = saving_to
    legacy = _legacy_settings_file()
    if state_path is None and not saving_to.exists() and legacy.is_file():
        reading = legacy  # written by earlier versions: read once, never written
    state_data = _read(reading, "state file", warnings, move_aside=reading == saving_to)
    remembered = dict(
        _checked(state_data, reading, _STATE_RULES, warnings, _STATE_DEFAULTS, _SETTING_NAMES)
    )
    state = WindowState(**remembered)
    for key, value in remembered.items():
        # A null model or source means nothing was remembered; null threads is every core.
        if key in values and (value is not None or _SETTING_RULES[key].nullable):
            values[key], origin[key] = value, "state"

    written = _read(config_path, "config file", warnings, move_aside=False)
    for key, value in _checked(written, config_path, _SETTING_RULES, warnings, values):
        if key == "model_mirrors":
            value = tuple(_beside(config_path, item) for item in value)
        values[key], origin[key] = value, "config"

    return LoadedSettings(
        settings=Settings(**values),
        state=state,
        warnings=tuple(warnings),
        origin=origin,
        config_file=config_path,
        state_file=saving_to,
    )


def save_state(state: WindowState, path: Path | None = None) -> Path:
    """Writes ``state`` atomically (creating the folder) and returns the path written.

    Args:
        state: What to remember.
        path: Where; default :func:`state_file`.

    Raises:
        CamappError: When the file cannot be written, or ``path`` is the user's config file.
    """
    path = Path(path) if path else state_file()
    if path.resolve() == user_config_file().resolve():
        raise CamappError(
            f"refusing to write window state into your config file {_shown(path)}",
            "set CAMAPP_STATE to another file",
        )
    data = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(state).items()}
    try:
        config.save_yaml(path, data, header=_STATE_HEADER)
    except OSError as exc:
        raise CamappError(f"cannot save window state to {_shown(path)}: {exc}") from exc
    return path


def _read(path: Path, what: str, warnings: list[str], move_aside: bool) -> dict[str, Any]:
    """The mapping in ``path``; {} and one warning when it is there but cannot be used."""
    if not path.exists():
        return {}
    try:
        return config.load_yaml(path, what=what)
    except CamappError as exc:
        message = str(exc)
        if move_aside:  # kept for the curious; the hint to fix or delete it no longer applies
            backup = path.with_name(path.name + ".broken")
            try:
                os.replace(path, backup)
                message = f"{exc.message}; moved aside as {backup.name}"
            except OSError:
                pass
        warnings.append(f"{message.replace(str(path), _shown(path))}; nothing in it is used")
        return {}


def _checked(
    data: Mapping[str, Any],
    path: Path,
    rules: Mapping[str, _Rule],
    warnings: list[str],
    fallback: Mapping[str, Any],
    elsewhere: tuple[str, ...] = (),
    section: str = "",
) -> list[tuple[str, Any]]:
    """The accepted ``(key, value)`` pairs of the mapping read from ``path``.

    Each key not in ``rules`` or value they reject adds one line to ``warnings``, naming
    the value from ``fallback`` used instead; ``elsewhere`` are keys of another file. A
    section (``kiosk:``) is checked key by key over its value in ``fallback``; ``section``
    prefixes the names of its keys in the warnings.
    """
    accepted: list[tuple[str, Any]] = []
    where = _shown(path)
    for key, value in data.items():
        name = str(key)
        below: Any = fallback.get(name)
        if name in rules and isinstance(value, Mapping) and _is_section(below):
            rules_below = {item.name: _rule(item) for item in dataclasses.fields(below)}
            values_below = {item: getattr(below, item) for item in rules_below}
            changes = _checked(value, path, rules_below, warnings, values_below, (), f"{name}.")
            accepted.append((name, dataclasses.replace(below, **dict(changes))))
            continue
        if name not in rules:
            if name in elsewhere:
                warnings.append(
                    f"{where}: {name} is a setting, not remembered state; put it in "
                    f"{_shown(user_config_file())}; ignored"
                )
            else:
                hint = _closest(name, tuple(rules))
                warnings.append(f"{where}: unknown key {section + name!r} ({hint}); ignored")
            continue
        try:
            accepted.append((name, rules[name].check(value)))
        except _Invalid:
            using = _show(fallback[name])
            bad = _bad(value, rules[name])
            warnings.append(f"{where}: {section}{name}: {bad}; using {using}")
    return accepted


def _is_section(value: Any) -> bool:
    """Whether ``value`` is a nested settings section (:class:`KioskSettings`)."""
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _closest(name: str, known: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    if match:
        return f"did you mean {match[0]!r}?"
    return f"known keys: {', '.join(known)}"


def _bad(value: Any, rule: _Rule) -> str:
    return f"{_show(value)} is not {rule.expects}"


def _show(value: Any) -> str:
    """A value as the user wrote it, short."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_show(item) for item in value) + "]"
    elif _is_section(value):
        text = "the defaults of that section"
    else:
        text = repr(value)
    text = " ".join(text.split())  # one line, whatever the value held
    return text if len(text) <= 80 else text[:77] + "..."


def _shown(path: Path) -> str:
    """``path`` with the home folder written as ``~``."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def _beside(path: Path, item: str) -> str:
    """A mirror named in ``path``: URLs as given, folders relative to ``path``'s folder."""
    if "://" in item:
        return item
    return str(path.parent / Path(item).expanduser())
