"""Installing models: from a mirror folder, a base URL or the web, verified before use."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TextIO

from camapp.base.config import app_defaults
from camapp.base.errors import CamappError
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
    #: The source had it but it could not be installed (corrupt, checksum, disk).
    FAILED = "failed"


@dataclass(frozen=True)
class InstallResult:
    """What happened to one entry (see :class:`InstallStatus`)."""

    model_id: str
    status: InstallStatus
    detail: str = ""


class _Unavailable(CamappError):
    """The chosen source does not have this file."""


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
    """
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
    entries = list(entries)
    results: dict[str, InstallResult] = {}
    remaining = list(entries)
    for source in sources:
        if not remaining:
            break
        for result in install(store, remaining, source, allow_unverified, force, progress):
            results[result.model_id] = result
        remaining = [e for e in remaining if results[e.id].status == "unavailable"]
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
    return [m for m in mirrors if _is_url(m) or Path(m).is_dir()]


def _log_report(line: str) -> None:
    log.info(line.removeprefix("camapp: "))


def ensure_default_models(
    store: ModelStore,
    report: Callable[[str], None] = _log_report,
    progress: Progress | None = None,
    mirrors: Iterable[str] | None = None,
) -> list[str]:
    """Installs the catalog's default models when no classifier is installed yet.

    Tries ``$CAMAPP_MODEL_MIRROR``, the ``model_mirrors`` setting (``mirrors``; the packaged
    default when ``None``), then the web.

    Args:
        store: The store to install into.
        report: Called with each ``camapp: ...`` line of news (default: logged at INFO).
        progress: See :func:`install`.

    Returns:
        One line per model that could not be installed (empty when all is well).
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
    problems = []
    for result in results:
        if result.status in ("installed", "present"):
            report(f"camapp: installed {result.model_id}")
        else:
            problems.append(f"{result.model_id}: {result.detail}")
    return problems


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
    if f.sha256 is None and not allow_unverified:
        raise CamappError(
            f"{f.file} has no known sha256, so it cannot be checked",
            "pass --allow-unverified to install it anyway and record the hash it prints",
        )
    target.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{f.file}.", suffix=".part", dir=target)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            _fetch(f, source, out, progress)
        seen = sha256_of(tmp)
        if f.sha256 is not None and seen != f.sha256:
            raise CamappError(
                f"{f.file} from {source or f.url} has sha256 {seen[:12]}..., "
                f"expected {f.sha256[:12]}...",
                "the source copy is corrupt or a different file; nothing was installed",
            )
        os.replace(tmp, existing)
    finally:
        tmp.unlink(missing_ok=True)
    if f.sha256 is None:
        return f"unverified: {f.file} sha256 {seen}"
    return "installed"


def _fetch(f: ModelFile, source: str | None, out: BinaryIO, progress: Progress | None) -> None:
    if source and not _is_url(source):
        folder = Path(source)
        if not folder.is_dir():
            raise CamappError(f"mirror folder not found: {source}", "check --from")
        src = folder / f.file
        if not src.is_file():
            raise _Unavailable(f"{f.file} is not in {source}")
        total = src.stat().st_size
        with open(src, "rb") as handle:
            _copy(handle, out, f.file, total, progress)
        return
    url = source.rstrip("/") + "/" + f.file if source else f.url
    if not url:
        raise _Unavailable(f"{f.file} has no download location")
    if f.archive_member and not source:
        with tempfile.TemporaryFile() as archive:
            _download(url, archive, f.file, progress)
            archive.seek(0)
            _extract(archive, url, f.archive_member, out)
        return
    _download(url, out, f.file, progress)


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://", "file://"))


def _copy(
    src: _Readable, out: BinaryIO, name: str, total: int | None, progress: Progress | None
) -> None:
    done = 0
    for chunk in iter(lambda: src.read(_CHUNK), b""):
        out.write(chunk)
        done += len(chunk)
        if progress:
            progress(name, done, total)


def _download(url: str, out: BinaryIO, name: str, progress: Progress | None) -> None:
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


def _extract(archive: BinaryIO, url: str, member: str, out: BinaryIO) -> None:
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
    except (tarfile.TarError, zipfile.BadZipFile, KeyError) as exc:
        raise CamappError(f"cannot extract {member} from {url}: {exc}") from exc
