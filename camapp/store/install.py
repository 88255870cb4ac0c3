"""Installing models: from a mirror folder, a base URL or the web, verified before use."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TextIO

from camapp.base.config import app_defaults, open_partial, sweep_partials
from camapp.base.errors import CamappError
from camapp.base.stopping import stop_signals_unwind
from camapp.base.types import Choice
from camapp.store.catalog import ModelEntry, ModelFile
from camapp.store.model_store import ModelStore, sha256_of

log = logging.getLogger(__name__)

#: Progress callback: (file name, bytes done, bytes total or None).
Progress = Callable[[str, int, int | None], None]

_CHUNK = 1 << 16


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class InstallStatus(Choice):
    """What happened to one catalog entry in an install."""

    #: Copied or downloaded, and verified.
    INSTALLED = "installed"
    #: Already there and verified; nothing to do.
    PRESENT = "present"
    #: The source does not have it (try the next source).
    UNAVAILABLE = "unavailable"
    #: The catalog has no sha256 for a file, so it cannot be checked (``allow_unverified``).
    UNVERIFIED = "unverified"
    #: The source's copy does not match the catalog's sha256, or its archive is broken.
    CORRUPT = "corrupt"
    #: It could not be written (a read-only folder, a full disk) or fetched for another reason.
    FAILED = "failed"

    @property
    def ok(self) -> bool:
        """Installed or already present."""
        return self in (InstallStatus.INSTALLED, InstallStatus.PRESENT)


@dataclass(frozen=True)
class InstallResult:
    """What happened to one entry (see :class:`InstallStatus`)."""

    model_id: str
    status: InstallStatus
    detail: str = ""


#: Partial files untouched this long were left by a process killed mid-install.
STALE_PARTIAL_S = 300.0


class _Unavailable(CamappError):
    """The chosen source does not have this file."""


class _Unverified(CamappError):
    """The catalog has no checksum for this file."""


class _Corrupt(CamappError):
    """The source's copy is not the file the catalog describes."""


class _WriteFailed(CamappError):
    """The models folder could not take the file (read-only, full, not a folder)."""


def install(
    store: ModelStore,
    entries: Iterable[ModelEntry],
    source: str | None = None,
    allow_unverified: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> list[InstallResult]:
    """Installs entries from a mirror folder, a base URL, or each file's catalog URL.

    Every file is written to a temporary file in the target folder, checked against its
    sha256 and only then renamed into place, so no partial or unverified file is ever
    visible. A file with no known sha256 is refused unless ``allow_unverified``; then the
    hash seen is reported so it can be recorded in the catalog.

    Args:
        store: The store; files go to its :attr:`~ModelStore.install_dir`.
        entries: The catalog entries to install.
        source: A mirror folder, a base URL, or ``None`` for each file's catalog URL.
        allow_unverified: Install files the catalog has no sha256 for.
        force: Re-install files that are already present and intact.
        progress: Called with (file name, bytes done, bytes total or ``None``).

    Returns:
        One :class:`InstallResult` per entry, in order.

    Raises:
        CamappError: When ``source`` is a URL that is not ``https://``.
        Stopped: On SIGTERM or SIGHUP (in the main thread), once the partial file is gone.
    """
    check_source(source)
    target = store.install_dir
    swept = sweep_partials(target, STALE_PARTIAL_S)
    if swept:
        log.info("removed %d partial file(s) left by an interrupted install", len(swept))
    with stop_signals_unwind():  # SIGTERM/SIGHUP: the partial file goes before we do
        return _install_entries(store, entries, source, allow_unverified, force, progress)


def _install_entries(
    store: ModelStore,
    entries: Iterable[ModelEntry],
    source: str | None,
    allow_unverified: bool,
    force: bool,
    progress: Progress | None,
) -> list[InstallResult]:
    results = []
    target = store.install_dir
    for entry in entries:
        try:
            notes = [
                _install_file(f, target, source, allow_unverified, force, progress)
                for f in entry.all_files
            ]
            fresh = [n for n in notes if n != "present"]
            status = InstallStatus.INSTALLED if fresh else InstallStatus.PRESENT
            detail = "; ".join(n for n in fresh if n not in ("installed",))
            results.append(InstallResult(entry.id, status, detail))
        except _Unavailable as exc:
            results.append(InstallResult(entry.id, InstallStatus.UNAVAILABLE, str(exc)))
        except _Unverified as exc:
            results.append(InstallResult(entry.id, InstallStatus.UNVERIFIED, str(exc)))
        except _Corrupt as exc:
            results.append(InstallResult(entry.id, InstallStatus.CORRUPT, str(exc)))
        except CamappError as exc:
            results.append(InstallResult(entry.id, InstallStatus.FAILED, str(exc)))
    return results


def install_from(
    store: ModelStore,
    entries: Iterable[ModelEntry],
    sources: Iterable[str | None],
    allow_unverified: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> list[InstallResult]:
    """Installs each entry from the first source that has it (mirrors, then the web).

    Args:
        store: The store to install into.
        entries: The catalog entries to install.
        sources: Mirror folders or base URLs, ``None`` meaning each file's catalog URL.
        allow_unverified: See :func:`install`.
        force: See :func:`install`.
        progress: See :func:`install`.

    Returns:
        One :class:`InstallResult` per entry, in order: the first source's that had it, or
        the last source's.
    """
    sources = list(sources)
    for source in sources:
        check_source(source)
    entries = list(entries)
    results: dict[str, InstallResult] = {}
    remaining = list(entries)
    for source in sources:
        if not remaining:
            break
        for result in install(store, remaining, source, allow_unverified, force, progress):
            results[result.model_id] = result
        remaining = [e for e in remaining if results[e.id].status == InstallStatus.UNAVAILABLE]
    return [results[e.id] for e in entries]


def default_mirrors(configured: Iterable[str] = ()) -> list[str]:
    """Mirror folders to try before the web: ``$CAMAPP_MODEL_MIRROR`` then the config's.

    Args:
        configured: The config's ``model_mirrors``.

    Returns:
        The URLs and the folders that exist, in order.
    """
    mirrors = []
    if os.environ.get("CAMAPP_MODEL_MIRROR"):
        mirrors.append(os.environ["CAMAPP_MODEL_MIRROR"])
    mirrors.extend(str(m) for m in configured if m)
    usable = []
    for mirror in mirrors:
        try:
            check_source(mirror)
        except CamappError as exc:
            log.warning("%s", exc)
            continue
        if _is_url(mirror) or Path(mirror).is_dir():
            usable.append(mirror)
    return usable


def check_source(source: str | None) -> None:
    """Accepts a mirror folder, an ``https://`` base URL or ``None`` (the catalog's URLs).

    Raises:
        CamappError: For any other URL: ``http://`` can be tampered with on the way (the
            checksum would catch it, but only after the download), and a ``file://`` URL is a
            folder better given as a path.
    """
    if source is None or not _is_url(source) or source.startswith("https://"):
        return
    if source.startswith("file://"):
        folder = urllib.request.url2pathname(source.removeprefix("file://"))
        raise CamappError(
            f"model source {source} is a file:// URL", f"give the folder itself: {folder}"
        )
    raise CamappError(
        f"model source {source} is not https://; camapp downloads models over HTTPS only",
        "give an https:// address or a mirror folder",
    )


def _log_report(line: str) -> None:
    log.info(line.removeprefix("camapp: "))


def install_default_models(
    store: ModelStore,
    report: Callable[[str], None] = _log_report,
    progress: Progress | None = None,
    mirrors: Iterable[str] | None = None,
) -> list[InstallResult]:
    """Installs the catalog's default models when no classifier is installed yet.

    Tries ``$CAMAPP_MODEL_MIRROR``, the ``model_mirrors`` setting (``mirrors``; the packaged
    default when ``None``), then the web. Every model is tried, whatever happened to the
    ones before; nothing raises for a read-only folder, a full disk or no network.

    Args:
        store: The store to install into.
        report: Called with each ``camapp: ...`` line of news (default: logged at INFO).
        progress: See :func:`install`.
        mirrors: The ``model_mirrors`` setting.

    Returns:
        One result per default model; empty when a classifier was installed already.
    """
    if any(entry.kind == "classifier" for entry in store.installed()):
        return []
    entries = store.catalog.defaults()
    if mirrors is None:
        mirrors = app_defaults().get("model_mirrors") or []
    folders = default_mirrors(mirrors)
    where = ", ".join([*folders, "the web"])
    report(
        f"camapp: no model installed yet; installing {len(entries)} default models "
        f"into {store.install_dir} (from {where})"
    )
    results = install_from(store, entries, [*folders, None], progress=progress)
    for result in results:
        if result.status.ok:
            report(f"camapp: installed {result.model_id}")
    return results


def ensure_default_models(
    store: ModelStore,
    report: Callable[[str], None] = _log_report,
    progress: Progress | None = None,
    mirrors: Iterable[str] | None = None,
) -> list[str]:
    """:func:`install_default_models`, answered as one line per model not installed.

    Returns:
        ``"ID: what went wrong"`` per model that could not be installed (empty when all is
        well or a classifier was installed already).
    """
    results = install_default_models(store, report, progress, mirrors)
    return [f"{r.model_id}: {r.detail}" for r in results if not r.status.ok]


def no_model_notice(store: ModelStore, results: list[InstallResult]) -> str | None:
    """The one line the window shows when the first run could install no model at all.

    Args:
        store: The store that was installed into.
        results: :func:`install_default_models`' results.

    Returns:
        What happened and what to do, naming the first problem (a write failure before a
        download one: it is the one to fix); None when a classifier is installed.
    """
    if not results or any(e.kind == "classifier" for e in store.installed()):
        return None
    problems = [r for r in results if not r.status.ok]
    if not problems:
        return None
    first = next((r for r in problems if r.status == InstallStatus.FAILED), problems[0])
    return (
        f"No model is installed, so nothing can be recognised: none of the "
        f"{len(results)} default models could be installed into {store.install_dir}. "
        f"{first.model_id}: {first.detail}"
    )


def text_progress(stream: TextIO | None = None) -> Progress:
    """A one-line progress bar for terminals.

    Args:
        stream: Where to draw (default: ``sys.stderr`` at the time of the call); silent when
            it is not a TTY.

    Returns:
        A :data:`Progress` callback.
    """
    out = sys.stderr if stream is None else stream
    last: dict[str, int] = {}

    def report(name: str, done: int, total: int | None) -> None:
        if not out.isatty():
            return
        if total:
            pct = int(100 * done / total)
            if last.get(name) == pct:
                return
            last[name] = pct
            bar = "#" * (pct // 4)
            out.write(f"\r  {name[:40]:<40} [{bar:<25}] {pct:3d}%")
            if done >= total:
                out.write("\n")
        else:
            out.write(f"\r  {name[:40]:<40} {done / 1e6:.1f} MB")
        out.flush()

    return report


# -- one file ----------------------------------------------------------------------------------
def _install_file(
    f: ModelFile,
    target: Path,
    source: str | None,
    allow_unverified: bool,
    force: bool,
    progress: Progress | None,
) -> str:
    existing = target / f.file
    if existing.is_file() and not force:
        if f.sha256 is None or sha256_of(existing) == f.sha256:
            return "present"
    folder = Path(source) if source and not _is_url(source) else None
    if folder is not None and folder.is_dir() and not (folder / f.file).is_file():
        raise _Unavailable(f"{f.file} is not in {source}")
    if f.sha256 is None and not allow_unverified:
        raise _Unverified(
            f"{f.file} has no known sha256, so it cannot be checked",
            "pass --allow-unverified to install it anyway and record the hash it prints",
        )
    try:
        target.mkdir(parents=True, exist_ok=True)
        fd, tmp = open_partial(existing)
    except OSError as exc:
        raise _write_failed(f.file, target, exc) from exc
    try:
        with os.fdopen(fd, "wb") as out:
            _fetch(f, source, _Target(out, f.file, target), progress)
            _flush(out, f.file, target)
        seen = sha256_of(tmp)
        if f.sha256 is not None and seen != f.sha256:
            raise _Corrupt(
                f"{f.file} from {source or f.url} has sha256 {seen[:12]}..., "
                f"expected {f.sha256[:12]}...",
                "the source copy is corrupt or a different file; nothing was installed",
            )
        try:
            os.replace(tmp, existing)
        except OSError as exc:
            raise _write_failed(f.file, target, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    if f.sha256 is None:
        return f"unverified: {f.file} sha256 {seen}"
    return "installed"


def _write_failed(name: str, target: Path, exc: OSError) -> _WriteFailed:
    """One line for a write that failed: what, where, why and what to do."""
    if exc.errno == errno.ENOSPC:
        hint = "free some space, or install elsewhere with --models-dir or CAMAPP_MODELS_DIR"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "the folder is read-only: choose a writable one with --models-dir"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        hint = "part of that path is a file, not a folder: choose another --models-dir"
    else:
        hint = "choose another folder with --models-dir or CAMAPP_MODELS_DIR"
    why = exc.strerror or type(exc).__name__
    return _WriteFailed(f"cannot write {name} into {target}: {why}", hint)


class _Target:
    """The partial file being written; a failed write says so as :class:`_WriteFailed`.

    Kept apart from read errors so a full disk during a download is not reported as
    "cannot download ... offline?".
    """

    def __init__(self, out: BinaryIO, name: str, folder: Path) -> None:
        self._out = out
        self._name = name
        self._folder = folder

    def write(self, data: bytes) -> None:
        try:
            self._out.write(data)
        except OSError as exc:
            raise _write_failed(self._name, self._folder, exc) from exc


def _flush(out: BinaryIO, name: str, folder: Path) -> None:
    try:
        out.flush()
        os.fsync(out.fileno())
    except OSError as exc:
        raise _write_failed(name, folder, exc) from exc


def _fetch(f: ModelFile, source: str | None, out: _Target, progress: Progress | None) -> None:
    if source and not _is_url(source):
        folder = Path(source)
        if not folder.is_dir():
            raise CamappError(f"mirror folder not found: {source}", "check --from")
        src = folder / f.file
        if not src.is_file():
            raise _Unavailable(f"{f.file} is not in {source}")
        try:
            total = src.stat().st_size
            with open(src, "rb") as handle:
                _copy(handle, out, f.file, total, progress)
        except OSError as exc:
            raise CamappError(
                f"cannot read {src}: {exc.strerror or exc}", "check the mirror folder"
            ) from exc
        return
    url = source.rstrip("/") + "/" + f.file if source else f.url
    if not url:
        raise _Unavailable(f"{f.file} has no download location")
    if not url.startswith("https://"):
        raise CamappError(
            f"{f.file}: the catalog's address {url} is not https://; camapp downloads "
            "models over HTTPS only",
            "fix the catalog entry, or put the file in a mirror folder",
        )
    if f.archive_member and not source:
        with tempfile.TemporaryFile() as archive:
            _download(url, _Target(archive, f.file, Path(tempfile.gettempdir())), f.file, progress)
            archive.seek(0)
            _extract(archive, url, f.archive_member, out)
        return
    _download(url, out, f.file, progress)


def _is_url(text: str) -> bool:
    """Whether ``text`` is a URL (``scheme://...``) rather than a folder."""
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text) is not None


def _copy(
    src: _Readable, out: _Target, name: str, total: int | None, progress: Progress | None
) -> None:
    done = 0
    for chunk in iter(lambda: src.read(_CHUNK), b""):
        out.write(chunk)
        done += len(chunk)
        if progress:
            progress(name, done, total)


def _download(url: str, out: _Target, name: str, progress: Progress | None) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "camapp"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - catalog URLs
            length = response.headers.get("Content-Length")
            _copy(response, out, name, int(length) if length else None, progress)
    except urllib.error.HTTPError as exc:
        raise _Unavailable(f"{name}: {url} answered {exc.code}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Unavailable(
            f"{name}: cannot download {url} ({reason}); offline? set CAMAPP_MODEL_MIRROR "
            "to a folder of model files"
        ) from exc


def _extract(archive: BinaryIO, url: str, member: str, out: _Target) -> None:
    try:
        if url.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf, zf.open(member) as src:
                shutil.copyfileobj(src, out)
            return
        with tarfile.open(fileobj=archive, mode="r:*") as tf:
            names = {m.name.lstrip("./"): m for m in tf.getmembers()}
            info = names.get(member.lstrip("./"))
            extracted = tf.extractfile(info) if info is not None else None
            if extracted is None:
                raise _Unavailable(f"{url} has no member {member}")
            shutil.copyfileobj(extracted, out)
    except (tarfile.TarError, zipfile.BadZipFile, KeyError, EOFError, zlib.error) as exc:
        raise _Corrupt(f"cannot extract {member} from {url}: {exc}") from exc
