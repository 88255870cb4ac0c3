"""The model store: where model files live, installing them verified, checking them."""

from __future__ import annotations

import hashlib
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

from camapp.base.config import user_data_dir
from camapp.base.errors import CamappError
from camapp.inference.options import ClassifierOptions
from camapp.store.catalog import Catalog, ModelEntry, ModelFile

#: Progress callback: (file name, bytes done, bytes total or None).
Progress = Callable[[str, int, "int | None"], None]

_CHUNK = 1 << 16


def model_dirs(models_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for model files, in order.

    ``--models-dir``, ``$CAMAPP_MODELS_DIR``, ``./models``, then the user data dir.
    """
    dirs: list[Path] = []
    if models_dir:
        dirs.append(Path(models_dir))
    if os.environ.get("CAMAPP_MODELS_DIR"):
        dirs.append(Path(os.environ["CAMAPP_MODELS_DIR"]))
    dirs.append(Path.cwd() / "models")
    dirs.append(user_data_dir() / "models")
    unique: list[Path] = []
    for d in dirs:
        if d.resolve() not in [u.resolve() for u in unique]:
            unique.append(d)
    return unique


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class InstallResult:
    """What happened to one entry: ``installed``, ``present``, ``unavailable`` or ``failed``."""

    model_id: str
    status: str
    detail: str = ""


class ModelStore:
    """Finds installed model files and installs catalog entries into the first folder.

    Args:
        catalog: The catalog.
        models_dir: ``--models-dir``; otherwise see :func:`model_dirs`.
    """

    def __init__(self, catalog: Catalog, models_dir: str | Path | None = None) -> None:
        self.catalog = catalog
        self.dirs = model_dirs(models_dir)
        self._explicit = models_dir is not None or bool(os.environ.get("CAMAPP_MODELS_DIR"))

    @property
    def install_dir(self) -> Path:
        """Where installs go: an explicit dir, else ``./models`` if it exists, else user data."""
        if self._explicit:
            return self.dirs[0]
        local = Path.cwd() / "models"
        return local if local.is_dir() else user_data_dir() / "models"

    # -- lookup ---------------------------------------------------------------------------
    def find(self, file: ModelFile | str) -> Path | None:
        """The first installed copy of a file, or ``None``."""
        name = file.file if isinstance(file, ModelFile) else file
        for folder in self.dirs:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        return None

    def is_installed(self, entry: ModelEntry) -> bool:
        return all(self.find(f) is not None for f in entry.all_files)

    def installed(self) -> list[ModelEntry]:
        return [entry for entry in self.catalog if self.is_installed(entry)]

    def options_for(
        self, spec: str, labels: str | None = None, **kwargs: object
    ) -> ClassifierOptions:
        """Classifier options for a catalog id or a ``.tflite`` path.

        Raises:
            CamappError: Unknown id, an embedder, a model not installed, or a missing path.
        """
        path = Path(spec)
        if spec.endswith(".tflite") or path.is_file():
            if not path.is_file():
                raise CamappError(f"model file not found: {spec}", "check the path")
            return ClassifierOptions(model_paths=(str(path),), labels_path=labels, **kwargs)
        entry = self.catalog.get(spec)
        if entry.kind != "classifier":
            raise CamappError(
                f"{entry.id} is an {entry.kind}, not a classifier",
                "choose a classifier from 'camapp models list'",
            )
        paths = []
        for f in entry.files:
            found = self.find(f)
            if found is None:
                raise CamappError(
                    f"model {entry.id} is not installed",
                    f"run 'camapp models install {entry.id}'",
                )
            paths.append(str(found))
        label_path = labels
        if label_path is None and entry.labels is not None:
            found = self.find(entry.labels)
            if found is None:
                raise CamappError(
                    f"label file {entry.labels.file} of {entry.id} is not installed",
                    f"run 'camapp models install {entry.id}'",
                )
            label_path = str(found)
        return ClassifierOptions(
            model_paths=tuple(paths),
            labels_path=label_path,
            input_mean=entry.input_mean,
            input_std=entry.input_std,
            output=entry.output,
            name=entry.id,
            **kwargs,  # type: ignore[arg-type]
        )

    # -- install --------------------------------------------------------------------------
    def install(
        self,
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
        """
        results = []
        target = self.install_dir
        for entry in entries:
            try:
                notes = []
                for f in entry.all_files:
                    notes.append(
                        self._install_file(f, target, source, allow_unverified, force, progress)
                    )
                fresh = [n for n in notes if n != "present"]
                status = "installed" if fresh else "present"
                detail = "; ".join(n for n in fresh if n not in ("installed",))
                results.append(InstallResult(entry.id, status, detail))
            except _Unavailable as exc:
                results.append(InstallResult(entry.id, "unavailable", str(exc)))
            except CamappError as exc:
                results.append(InstallResult(entry.id, "failed", str(exc)))
        return results

    def _install_file(
        self,
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
                self._fetch(f, source, out, progress)
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

    def _fetch(self, f: ModelFile, source: str | None, out, progress: Progress | None) -> None:
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

    # -- verify ---------------------------------------------------------------------------
    def verify(self) -> list[tuple[str, Path, str]]:
        """Re-checks every installed file: ``(file, path, 'ok'|'mismatch'|'unknown')``."""
        seen: dict[Path, tuple[str, Path, str]] = {}
        for entry in self.catalog:
            for f in entry.all_files:
                path = self.find(f)
                if path is None or path in seen:
                    continue
                if f.sha256 is None:
                    status = "unknown"
                else:
                    status = "ok" if sha256_of(path) == f.sha256 else "mismatch"
                seen[path] = (f.file, path, status)
        return list(seen.values())


class _Unavailable(CamappError):
    """The chosen source does not have this file."""


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://", "file://"))


def _copy(src, out, name: str, total: int | None, progress: Progress | None) -> None:
    done = 0
    for chunk in iter(lambda: src.read(_CHUNK), b""):
        out.write(chunk)
        done += len(chunk)
        if progress:
            progress(name, done, total)


def _download(url: str, out, name: str, progress: Progress | None) -> None:
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


def _extract(archive, url: str, member: str, out) -> None:
    try:
        if url.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf, zf.open(member) as src:
                shutil.copyfileobj(src, out)
            return
        with tarfile.open(fileobj=archive, mode="r:*") as tf:
            names = {m.name.lstrip("./"): m for m in tf.getmembers()}
            info = names.get(member.lstrip("./"))
            src = tf.extractfile(info) if info is not None else None
            if src is None:
                raise _Unavailable(f"{url} has no member {member}")
            shutil.copyfileobj(src, out)
    except (tarfile.TarError, zipfile.BadZipFile, KeyError) as exc:
        raise CamappError(f"cannot extract {member} from {url}: {exc}") from exc


def install_from(
    store: ModelStore,
    entries: Iterable[ModelEntry],
    sources: Iterable[str | None],
    allow_unverified: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> list[InstallResult]:
    """Installs each entry from the first source that has it (mirrors, then the web)."""
    entries = list(entries)
    results: dict[str, InstallResult] = {}
    remaining = list(entries)
    for source in sources:
        if not remaining:
            break
        for result in store.install(remaining, source, allow_unverified, force, progress):
            results[result.model_id] = result
        remaining = [e for e in remaining if results[e.id].status == "unavailable"]
    return [results[e.id] for e in entries]


def default_mirrors(configured: Iterable[str] = ()) -> list[str]:
    """Mirror folders to try before the web: ``$CAMAPP_MODEL_MIRROR`` then the config's."""
    mirrors = []
    if os.environ.get("CAMAPP_MODEL_MIRROR"):
        mirrors.append(os.environ["CAMAPP_MODEL_MIRROR"])
    mirrors.extend(str(m) for m in configured if m)
    return [m for m in mirrors if _is_url(m) or Path(m).is_dir()]


def text_progress(stream=sys.stderr) -> Progress:
    """A one-line progress bar for terminals (silent when ``stream`` is not a TTY)."""
    last: dict[str, int] = {}

    def report(name: str, done: int, total: int | None) -> None:
        if not stream.isatty():
            return
        if total:
            pct = int(100 * done / total)
            if last.get(name) == pct:
                return
            last[name] = pct
            bar = "#" * (pct // 4)
            stream.write(f"\r  {name[:40]:<40} [{bar:<25}] {pct:3d}%")
            if done >= total:
                stream.write("\n")
        else:
            stream.write(f"\r  {name[:40]:<40} {done / 1e6:.1f} MB")
        stream.flush()

    return report
