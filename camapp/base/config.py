"""Configuration files: packaged defaults, user settings, atomic writes, user dirs."""

from __future__ import annotations

import json
import os
import secrets
import stat
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from camapp.base.errors import CamappError

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the camapp package


def _yaml() -> tuple[Any, Any]:
    """PyYAML and its fastest safe loader, imported on first use (10 ms a command that reads
    only cached files never pays). libyaml's loader reads the 134 KB model catalog about six
    times faster than the pure-Python one; PyYAML built without libyaml has only the latter.
    """
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/camapp`` (default ``~/.cache/camapp``): anything camapp can rebuild."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "camapp"


#: Largest YAML file camapp reads unless told otherwise: settings and state are a few KB.
MAX_YAML_BYTES = 1 << 20


#: Deepest nesting of lists and mappings read; libyaml's composer recurses in C and
#: overflows the stack (a segfault) on some ten thousand ``[``.
MAX_YAML_DEPTH = 64


class _Refused(Exception):
    """A YAML document camapp will not construct (aliases, nesting); the message says why."""


def _check_events(text: str) -> None:
    """Refuses anchors, aliases and deep nesting from the parser's events, before composing.

    An alias (``*name``) makes the composer reuse the anchored node, so a few hundred bytes
    of nested aliases ("billion laughs") stand for billions of values: anything that walks
    the result (validation, an error message that shows the value) hangs and eats memory.
    camapp's own files never use them. The event pass is iterative and costs about a third
    of the load (7 ms for the 134 KB catalog).
    """
    yaml, loader = _yaml()
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                "uses YAML aliases (&/*), which camapp does not read", "write each value out"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise _Refused(
                    f"is nested more than {MAX_YAML_DEPTH} levels deep", "is it the right file?"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_yaml(
    path: str | Path, what: str = "config file", max_bytes: int = MAX_YAML_BYTES
) -> dict[str, Any]:
    """Reads a YAML mapping, refusing files over ``max_bytes`` and YAML aliases.

    Args:
        path: The file.
        what: What it is, for messages (``"model catalog"``).
        max_bytes: The largest file read; a bigger one is refused unread.

    Raises:
        CamappError: When the file is missing, unreadable, too big, uses aliases, is nested
            too deeply or is not a YAML mapping, naming the line of a syntax error.
    """
    return parse_yaml(_read_text(path, what, max_bytes), f"{what} {path}")


def load_yaml_cached(
    path: str | Path, what: str = "config file", max_bytes: int = MAX_YAML_BYTES
) -> dict[str, Any]:
    """:func:`load_yaml`, remembering the result as JSON in the user's cache folder.

    Checking and parsing a large YAML file (the 130 KB model catalog: some 50 ms, most of
    ``camapp classify``'s own start-up) happens once per file content: the cache entry is
    named by the CRC-32 and length of the file's text, so an edited file is simply read
    again. A cache that cannot be read or written is passed by.
    """
    text = _read_text(path, what, max_bytes)
    data_bytes = text.encode("utf-8")
    # CRC-32 and length name the content (hashlib's OpenSSL import alone costs 3 ms here).
    cached = user_cache_dir() / "parsed" / f"{zlib.crc32(data_bytes):08x}-{len(data_bytes)}.json"
    try:
        data = json.loads(cached.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return data
    except (OSError, ValueError, RecursionError):
        pass  # none yet, or damaged: parsed again below
    data = parse_yaml(text, f"{what} {path}")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(cached) as handle:
            json.dump(data, handle)
    except (OSError, TypeError, ValueError):
        pass  # not JSON-able (a date, a set) or no cache folder: parsed each time, as before
    return data


def _read_text(path: str | Path, what: str, max_bytes: int) -> str:
    """The file's text: at most ``max_bytes`` bytes of UTF-8 (a BOM is dropped)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise CamappError(f"{what} not found: {path}") from exc
    except OSError as exc:
        raise CamappError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    if len(raw) > max_bytes:
        raise CamappError(
            f"{what} {path} is larger than {max_bytes // 1024} KB, which camapp does not read",
            "is it the right file? fix it or delete it to start from the defaults",
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CamappError(
            f"cannot read {what} {path}: not UTF-8 text (byte {exc.start})",
            "save it as UTF-8 or delete it to start from the defaults",
        ) from exc


def parse_yaml(
    text: str,
    source: str = "YAML text",
    fix: str = "fix the line or delete the file to start from the defaults",
) -> dict[str, Any]:
    """Parses YAML text as a mapping with the safe loader, refusing aliases.

    Args:
        text: The YAML.
        source: What it is and where it came from, for messages (``"config file x.yaml"``).
        fix: The hint for a broken or non-mapping document.

    Raises:
        CamappError: For invalid YAML, aliases, nesting too deep or a non-mapping.
    """
    yaml, loader = _yaml()
    try:
        _check_events(text)
        data = yaml.load(text, Loader=loader)  # a safe loader, C or Python
    except _Refused as exc:
        problem, hint = exc.args
        raise CamappError(f"{source} {problem}", hint) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise CamappError(f"{source} is broken{where}: {problem}", fix) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CamappError(f"{source} is not a YAML mapping", fix)
    return data


#: Partial files are ``.NAME.XXXXXXXX.part`` beside the file they will become.
PARTIAL_SUFFIX = ".part"


def open_partial(path: str | Path) -> tuple[int, Path]:
    """Creates a new hidden ``.NAME.XXXXXXXX.part`` file beside ``path``, open for writing.

    ``tempfile.mkstemp`` makes files mode 0600; a file renamed into place from it stays
    unreadable by the other users of a shared models folder. This one is created with 0666
    less the umask, as any program's new file is, or with the mode of the file it replaces.

    Returns:
        The open file descriptor and the partial file's path.
    """
    path = Path(path)
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        if mode is not None:
            with _suppress_oserror():
                os.fchmod(fd, mode)
        return fd, tmp
    raise FileExistsError(f"no free partial file name beside {path}")


def sweep_partials(folder: str | Path, older_than_s: float) -> list[Path]:
    """Deletes partial files left in ``folder`` by a process that was killed mid-write.

    Only files untouched for ``older_than_s`` go: a write under way (here or in another
    process) keeps its file's modification time fresh.

    Returns:
        The files deleted.
    """
    gone: list[Path] = []
    cutoff = time.time() - older_than_s
    try:
        candidates = list(Path(folder).glob(f".*{PARTIAL_SUFFIX}"))
    except OSError:
        return gone
    for candidate in candidates:
        with _suppress_oserror():
            if candidate.is_file() and candidate.stat().st_mtime < cutoff:
                candidate.unlink()
                gone.append(candidate)
    return gone


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Writes to a partial file beside ``path`` and renames it over ``path`` on success.

    A crash or an exception leaves the old file as it was and no partial file behind; the
    new file's mode is the old one's, or 0666 less the umask (see :func:`open_partial`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = open_partial(path)
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
        _yaml()[0].safe_dump(data, handle, sort_keys=False, default_flow_style=None)


def app_defaults() -> dict[str, Any]:
    """The packaged default settings (``config/camapp.yaml``)."""
    return load_yaml(packaged_file("camapp.yaml"), what="default config")
