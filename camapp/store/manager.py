"""The models manager without a screen: one row per catalog variant, and jobs on a thread.

The window's models dialog (:mod:`camapp.ui.models_dialog`) and ``camapp models list`` show
the same rows: whether each variant is installed and where it could come from
(:class:`Availability`). :class:`ModelJobs` installs and verifies on one named thread, one job
at a time, reports progress through a callback and can be cancelled between two chunks of a
file; the file being written is removed, the ones already verified stay.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from camapp.base.errors import CamappError
from camapp.base.types import Choice
from camapp.store.catalog import ModelEntry
from camapp.store.install import (
    InstallResult,
    InstallStatus,
    default_mirrors,
    install_from,
)
from camapp.store.model_store import ModelStore, sha256_of

log = logging.getLogger(__name__)

#: The name of the thread installs and checks run on.
THREAD_NAME = "camapp-model-installer"


class Availability(Choice):
    """Where a catalog variant can be installed from, seen from this machine."""

    #: A configured mirror folder holds every file (checked against the catalog's sha256).
    MIRROR = "mirror"
    #: Every file has a download address and a known sha256.
    WEB = "web"
    #: Some file has no known sha256: ``--allow-unverified`` installs it unchecked.
    UNVERIFIED = "unverified"
    #: No configured folder has it and it has no download address.
    NONE = "no"


@dataclass(frozen=True)
class ModelRow:
    """One catalog variant as the models manager lists it.

    Attributes:
        entry: The catalog entry.
        installed: Every file of it is found in the store.
        available: Where it could be installed from (whether installed or not).
        source: The mirror folder that has it, ``"the web"``, or ``""``.
        size: Bytes: on disk when installed, else the catalog's (or the mirror's) figure.
    """

    entry: ModelEntry
    installed: bool
    available: Availability
    source: str
    size: int | None

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def installable(self) -> bool:
        """Not installed, and a configured folder or the web has it with a known checksum."""
        return not self.installed and self.available in (Availability.MIRROR, Availability.WEB)

    @property
    def status(self) -> str:
        """The status in a few words: ``installed``, ``available to download``, ..."""
        if self.installed:
            return "installed"
        return {
            Availability.MIRROR: "available from the model folder",
            Availability.WEB: "available to download",
            Availability.UNVERIFIED: "needs --allow-unverified",
            Availability.NONE: "not available from here",
        }[self.available]

    @property
    def status_tip(self) -> str:
        """One sentence on the status: where from, or why not."""
        if self.installed:
            return f"{self.id} is installed"
        if self.available == Availability.MIRROR:
            return f"Install copies it from {self.source}"
        if self.available == Availability.WEB:
            return "Install downloads it and checks its sha256"
        if self.available == Availability.UNVERIFIED:
            return (
                "The catalog has no sha256 for it, so it cannot be checked; in a terminal: "
                f"camapp models install --allow-unverified {self.id}"
            )
        return "No configured folder has it and it has no download address"


def availability(entry: ModelEntry, folders: Sequence[str]) -> tuple[Availability, str]:
    """Where ``entry`` could be installed from: a mirror folder, the web, or not at all.

    Args:
        entry: A catalog entry.
        folders: Mirror folders to look in, in order (URLs among them are skipped: nothing
            is fetched to find out).

    Returns:
        The availability and its source (the folder, ``"the web"`` or ``""``).
    """
    checked = all(f.sha256 for f in entry.all_files)
    for folder in folders:
        if "://" in folder:
            continue
        if all((Path(folder) / f.file).is_file() for f in entry.all_files):
            return (Availability.MIRROR if checked else Availability.UNVERIFIED), folder
    if all(f.url for f in entry.all_files):
        return (Availability.WEB if checked else Availability.UNVERIFIED), "the web"
    return Availability.NONE, ""


def model_rows(store: ModelStore, mirrors: Iterable[str] = ()) -> list[ModelRow]:
    """Every catalog entry as a :class:`ModelRow`, in catalog order.

    Args:
        store: The store.
        mirrors: The ``model_mirrors`` setting (``$CAMAPP_MODEL_MIRROR`` is added first, as
            installs do: :func:`~camapp.store.install.default_mirrors`).
    """
    folders = default_mirrors(mirrors)
    rows = []
    for entry in store.catalog:
        paths = [store.find(f) for f in entry.all_files]
        installed = all(p is not None for p in paths)
        available, source = availability(entry, folders)
        rows.append(ModelRow(entry, installed, available, source, _size(entry, paths, source)))
    return rows


def _size(entry: ModelEntry, paths: Sequence[Path | None], source: str) -> int | None:
    """Bytes of the model files: installed copies, the catalog's figure, or the mirror's."""
    sizes: list[int | None] = []
    for f, path in zip(entry.files, paths):
        if path is not None:
            sizes.append(path.stat().st_size)
        elif f.bytes:
            sizes.append(f.bytes)
        elif source and "://" not in source and source != "the web":
            sizes.append((Path(source) / f.file).stat().st_size)
        else:
            sizes.append(None)
    return None if None in sizes else sum(s for s in sizes if s is not None)


def size_text(size: int | None) -> str:
    """``2.6 MB``, or ``?`` when unknown."""
    return "?" if not size else f"{size / 1e6:.1f} MB"


def sources_for(mirrors: Iterable[str] = ()) -> list[str | None]:
    """Where installs look, in order: the mirrors (see :func:`model_rows`), then the web."""
    return [*default_mirrors(mirrors), None]


def no_model_explanation(store: ModelStore, mirrors: Iterable[str] = ()) -> str:
    """What the models manager says when no model is installed: why, and what to do.

    Args:
        store: The store.
        mirrors: The ``model_mirrors`` setting.

    Returns:
        A few plain sentences (no terminal commands: the reader has buttons).
    """
    folders = [m for m in default_mirrors(mirrors) if "://" not in m]
    target = store.install_dir
    if not _writable(target):
        why = (
            f"camapp cannot write into {target}, so no model could be installed there. "
            "Start camapp with another models folder (--models-dir or CAMAPP_MODELS_DIR)."
        )
    elif folders:
        why = (
            f"camapp looked for the default models in {', '.join(folders)} and on the web, "
            "and could not get them."
        )
    else:
        why = (
            "camapp tried to download the default models and could not: this computer seems "
            "to be offline, and no folder of model files is set up."
        )
    return (
        f"No model is installed yet, so camapp cannot recognise anything. {why} "
        "To fix it: put in a USB stick or choose a folder that holds model files and press "
        '"Install from folder...", or connect to the internet, select models in the list '
        f'and press "Install". Models are kept in {target}.'
    )


def _writable(folder: Path) -> bool:
    """Whether ``folder`` (or, if it does not exist yet, its nearest existing parent) is a
    writable folder."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK)
    return False


# -- removing ----------------------------------------------------------------------------------
def remove_models(store: ModelStore, ids: Collection[str]) -> list[str]:
    """Deletes the files of these entries that no other installed entry uses.

    A label file shared by many variants (``imagenet_labels.txt``) stays while another
    installed variant needs it. Every copy found in the store's folders goes, so the model
    is not found again in a folder further down the search order.

    Args:
        store: The store.
        ids: Catalog ids to remove.

    Returns:
        One line per file that could not be deleted (empty when all went).
    """
    keep = {f.file for entry in store.installed() if entry.id not in ids for f in entry.all_files}
    problems = []
    for model_id in ids:
        for f in store.catalog.get(model_id).all_files:
            if f.file in keep:
                continue
            for folder in store.dirs:
                path = folder / f.file
                try:
                    path.unlink(missing_ok=True)
                except OSError as exc:
                    why = "read-only" if exc.errno in (errno.EACCES, errno.EROFS) else exc
                    problems.append(f"cannot delete {path}: {why}")
    return problems


# -- install and verify jobs --------------------------------------------------------------------
class InstallCancelled(Exception):
    """Raised through the installer from its progress callback when Cancel was pressed."""


@dataclass(frozen=True)
class JobResult:
    """What a job did.

    Attributes:
        kind: ``install`` or ``verify``.
        summary: One line for the user.
        results: Install results, one per entry tried (empty after a cancel).
        checks: Verify results: ``(model id, status)`` with status ``ok``, ``mismatch`` or
            ``unknown``.
        cancelled: Cancel was pressed before it finished.
        failed: Something went wrong that the user should fix (a corrupt or unwritable file).
    """

    kind: str
    summary: str
    results: tuple[InstallResult, ...] = ()
    checks: tuple[tuple[str, str], ...] = ()
    cancelled: bool = False
    failed: bool = False


#: Progress callback of a job: (file name, bytes done, bytes total or None, file number,
#: files in the job).
JobProgress = Callable[[str, int, int | None, int, int], None]


@dataclass
class _Job:
    kind: str
    work: Callable[[], JobResult]
    cancel: threading.Event = field(default_factory=threading.Event)


class ModelJobs:
    """Installs and verifies models on one named thread, one job at a time.

    ``on_progress`` and ``on_done`` are called on that thread: a window passes them through a
    Qt bridge (queued signals), never to a widget directly.

    Args:
        store: The store to install into.
        on_progress: Called with (file name, bytes done, bytes total or ``None``, file number
            from 1, files in the job), at most once per percent of a file.
        on_done: Called with the :class:`JobResult` when a job ends (also after a cancel).
    """

    def __init__(
        self,
        store: ModelStore,
        on_progress: JobProgress | None = None,
        on_done: Callable[[JobResult], None] | None = None,
    ) -> None:
        self.store = store
        self._on_progress = on_progress or (lambda *_args: None)
        self._on_done = on_done or (lambda _result: None)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._job: _Job | None = None

    @property
    def busy(self) -> bool:
        """A job is running."""
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def install(self, ids: Sequence[str], sources: Sequence[str | None], where: str = "") -> None:
        """Starts installing ``ids`` from the first of ``sources`` that has each.

        Args:
            ids: Catalog ids.
            sources: Mirror folders or base URLs, ``None`` for each file's catalog URL.
            where: How the summary names the sources (default: listed).

        Raises:
            CamappError: While another job runs, or for an unknown id.
        """
        entries = [self.store.catalog.get(i) for i in ids]
        where = where or ", ".join(s or "the web" for s in sources)
        job = _Job("install", lambda: JobResult("install", ""))
        job.work = lambda: self._install(job, entries, list(sources), where)
        self._start(job)

    def install_folder(self, folder: str | Path) -> None:
        """Starts installing every variant not installed yet that ``folder`` holds.

        Raises:
            CamappError: While another job runs, or when ``folder`` is not a folder.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise CamappError(f"{folder} is not a folder", "choose a folder of model files")
        rows = model_rows(self.store, ())
        entries = [
            row.entry
            for row in rows
            if not row.installed and availability(row.entry, [str(folder)])[0] == "mirror"
        ]
        job = _Job("install", lambda: JobResult("install", ""))
        if not entries:
            have = any(availability(r.entry, [str(folder)])[1] for r in rows if r.installed)
            summary = (
                f"{folder} holds no model that is not installed already"
                if have
                else f"{folder} holds no model files of the catalog (with a known checksum)"
            )
            job.work = lambda: JobResult("install", summary)
        else:
            job.work = lambda: self._install(job, entries, [str(folder)], str(folder))
        self._start(job)

    def verify(self, ids: Sequence[str] = ()) -> None:
        """Starts re-checking the sha256 of the installed files of ``ids`` (all: empty).

        Raises:
            CamappError: While another job runs.
        """
        job = _Job("verify", lambda: JobResult("verify", ""))
        job.work = lambda: self._verify(job, list(ids))
        self._start(job)

    def cancel(self) -> None:
        """Asks the running job to stop at its next chunk (a no-op when none runs)."""
        with self._lock:
            if self._job is not None:
                self._job.cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Waits for the running job to end; ``True`` when none runs any more."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Cancels the running job and joins its thread; idempotent."""
        self.cancel()
        if not self.wait(timeout):
            log.warning("the model installer did not stop within %.0f s", timeout)

    # -- on the installer thread --------------------------------------------------------------
    def _start(self, job: _Job) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise CamappError(
                    "models are being installed or checked already",
                    "wait for it to finish, or press Cancel",
                )
            self._job = job
            self._thread = threading.Thread(
                target=self._run, args=(job,), name=THREAD_NAME, daemon=True
            )
            self._thread.start()

    def _run(self, job: _Job) -> None:
        try:
            result = job.work()
        except InstallCancelled:
            result = JobResult(job.kind, "Cancelled", cancelled=True)
        except CamappError as exc:
            result = JobResult(job.kind, str(exc), failed=True)
        except Exception as exc:  # noqa: BLE001 - a job's failure is a line, not a dead thread
            log.debug("model job failed", exc_info=True)
            result = JobResult(job.kind, f"{type(exc).__name__}: {exc}", failed=True)
        try:
            self._on_done(result)
        except Exception:  # noqa: BLE001 - the listener's problem must not kill the thread
            log.exception("reporting the end of a model job failed")

    def _progress(self, job: _Job, files: list[str]) -> Callable[[str, int, int | None], None]:
        last: dict[str, int] = {}

        def report(name: str, done: int, total: int | None) -> None:
            if job.cancel.is_set():
                raise InstallCancelled
            step = int(100 * done / total) if total else done >> 20
            if last.get(name) == step:
                return
            last[name] = step
            number = files.index(name) + 1 if name in files else len(files)
            self._on_progress(name, done, total, number, len(files))

        return report

    def _install(
        self, job: _Job, entries: list[ModelEntry], sources: list[str | None], where: str
    ) -> JobResult:
        files = list(dict.fromkeys(f.file for e in entries for f in e.all_files))
        try:
            results = install_from(
                self.store, entries, sources, progress=self._progress(job, files)
            )
        except InstallCancelled:
            done = [e.id for e in entries if self.store.is_installed(e)]
            summary = "Cancelled" + (
                f"; installed before that: {', '.join(done)}" if done else "; nothing installed"
            )
            return JobResult("install", summary, cancelled=True)
        return JobResult(
            "install",
            install_summary(results, where),
            results=tuple(results),
            failed=any(r.status in ("corrupt", "failed") for r in results),
        )

    def _verify(self, job: _Job, ids: list[str]) -> JobResult:
        entries = [e for e in self.store.installed() if not ids or e.id in ids]
        files = list(dict.fromkeys(f.file for e in entries for f in e.all_files))
        report = self._progress(job, files)
        seen: dict[str, str] = {}
        checks = []
        for entry in entries:
            statuses = []
            for f in entry.all_files:
                path = self.store.find(f)
                if path is None:
                    statuses.append("mismatch")
                    continue
                if f.file not in seen:
                    size = path.stat().st_size
                    report(f.file, 0, size)
                    if f.sha256 is None:
                        seen[f.file] = "unknown"
                    else:
                        seen[f.file] = "ok" if sha256_of(path) == f.sha256 else "mismatch"
                    report(f.file, size, size)
                statuses.append(seen[f.file])
            status = next((s for s in ("mismatch", "unknown") if s in statuses), "ok")
            checks.append((entry.id, status))
        bad = [i for i, s in checks if s == "mismatch"]
        if not checks:
            summary = "No model is installed, so there is nothing to check"
        elif bad:
            summary = (
                f"{len(bad)} of {len(checks)} do not match the catalog ({', '.join(bad)}): "
                "remove and install them again"
            )
        else:
            summary = f"All {len(checks)} checked: every file matches the catalog"
        return JobResult("verify", summary, checks=tuple(checks), failed=bool(bad))


def install_summary(results: Sequence[InstallResult], where: str) -> str:
    """One line on an install: how many are ready, and what became of the rest.

    Args:
        results: The install's results.
        where: The sources, in words.
    """
    ok = [r for r in results if r.status.ok]
    parts = [f"{len(ok)} of {len(results)} ready"]
    counts: dict[str, list[str]] = {}
    for r in results:
        if not r.status.ok:
            counts.setdefault(str(r.status), []).append(r.model_id)
    offline = " (is this computer offline?)" if where.endswith("the web") else ""
    words = {
        InstallStatus.UNAVAILABLE: f"not available from {where}{offline}",
        InstallStatus.UNVERIFIED: "with no known sha256 (not installed unchecked)",
        InstallStatus.CORRUPT: "not matching the catalog's sha256 (nothing installed)",
        InstallStatus.FAILED: "could not be written",
    }
    for status, text in words.items():
        ids = counts.get(str(status), [])
        if ids:
            parts.append(f"{len(ids)} {text}")
    line = "; ".join(parts)
    problems = [r for r in results if r.status in ("corrupt", "failed")]
    if problems:
        line += f". {problems[0].model_id}: {problems[0].detail}"
    return line
