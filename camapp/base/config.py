"""Configuration files: packaged defaults, user settings, atomic writes, user dirs."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import yaml

from camapp.base.errors import CamappError

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the camapp package

# libyaml's loader reads the 134 KB model catalog about six times faster than the pure-Python
# one (a start-up cost of every command); PyYAML built without libyaml has only the latter.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def packaged_file(name: str) -> Path:
    """A file of the packaged defaults (``models.yaml``, ``camapp.yaml``).

    A wheel carries them in ``camapp/data/``; a source checkout reads ``config/``.
    """
    inside = _PACKAGE_DIR / "data" / name
    if inside.is_file():
        return inside
    return _PACKAGE_DIR.parent / "config" / name


def user_config_dir() -> Path:
    """``$XDG_CONFIG_HOME/camapp`` (default ``~/.config/camapp``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "camapp"


def user_data_dir() -> Path:
    """``$XDG_DATA_HOME/camapp`` (default ``~/.local/share/camapp``)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "camapp"


def load_yaml(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """Reads a YAML mapping.

    Raises:
        CamappError: When the file is missing, unreadable or not a YAML mapping, naming the
            line of a syntax error.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CamappError(f"{what} not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CamappError(f"cannot read {what} {path}: {exc}") from exc
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)  # a safe loader, C or Python
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise CamappError(
            f"{what} {path} is broken{where}: {problem}",
            "fix the line or delete the file to start from the defaults",
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CamappError(
            f"{what} {path} is not a YAML mapping",
            "fix it or delete it to start from the defaults",
        )
    return data


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Writes to a temporary file beside ``path`` and renames it over ``path`` on success.

    A crash or an exception leaves the old file as it was and no temporary file behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with _suppress_oserror():
            os.unlink(tmp)
        raise


@contextmanager
def _suppress_oserror() -> Iterator[None]:
    try:
        yield
    except OSError:
        pass


def save_yaml(path: str | Path, data: dict[str, Any], header: str = "") -> None:
    """Writes ``data`` as YAML atomically."""
    with atomic_write(path) as handle:
        if header:
            handle.write("".join(f"# {line}\n" for line in header.splitlines()))
        yaml.safe_dump(data, handle, sort_keys=False, default_flow_style=None)


def app_defaults() -> dict[str, Any]:
    """The packaged default settings (``config/camapp.yaml``)."""
    return load_yaml(packaged_file("camapp.yaml"), what="default config")
