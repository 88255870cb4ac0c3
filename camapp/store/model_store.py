"""The model store: where model files live, finding them, checking them, resolving model ids."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import replace
from pathlib import Path

from camapp.base.config import app_defaults, user_data_dir
from camapp.base.errors import CamappError
from camapp.inference.labels import labels_for_model
from camapp.inference.metadata import read_model_info
from camapp.inference.options import ClassifierOptions, OutputKind
from camapp.store.catalog import Catalog, ModelEntry, ModelFile

log = logging.getLogger(__name__)


def model_dirs(models_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for model files, in order.

    Never the current folder: camapp started from the desktop menu, the kiosk unit or a
    terminal in any folder finds the same models, and a ``models`` folder wherever it happens
    to start never takes over.

    Args:
        models_dir: ``--models-dir``, searched first when given.

    Returns:
        ``models_dir``, ``$CAMAPP_MODELS_DIR``, then the user data dir
        (``~/.local/share/camapp/models``), each folder once.
    """
    dirs: list[Path] = []
    if models_dir:
        dirs.append(Path(models_dir))
    if os.environ.get("CAMAPP_MODELS_DIR"):
        dirs.append(Path(os.environ["CAMAPP_MODELS_DIR"]))
    dirs.append(user_data_dir() / "models")
    unique: list[Path] = []
    for d in dirs:
        if d.resolve() not in [u.resolve() for u in unique]:
            unique.append(d)
    return unique


def file_options(path: Path, labels: str | None = None) -> ClassifierOptions:
    """Options for a model file outside the catalog: its labels and input normalisation.

    Labels come from ``labels`` (``--labels``), the label file packed in the model, a
    ``labels.txt`` beside it, else none (classes numbered, with a note: see
    :func:`~camapp.inference.labels.labels_for_model`). A float model's input normalisation
    comes from its metadata when it has one (``NormalizationOptions``), else MobileNet's
    ``(pixel - 127.5) / 127.5``.

    Args:
        path: The ``.tflite`` file (it exists).
        labels: A label file named by the user.

    Returns:
        The options; notes for the user (no labels, per-channel normalisation) are in
        ``extra["notes"]``, which the classifier reports with its own.
    """
    info = read_model_info(path)
    choice = labels_for_model(path, labels, info)
    notes = [choice.note] if choice.note else []
    if choice.source:
        log.debug("%s: labels from %s", path.name, choice.source)
    mean, std = 127.5, 127.5
    if info.input_type == "float32":
        if info.normalisation is not None:
            mean, std = info.normalisation
            log.debug("%s: input (pixel - %g) / %g, from its metadata", path.name, mean, std)
        elif info.mean and info.std and min(info.std) > 0:
            mean, std = sum(info.mean) / len(info.mean), sum(info.std) / len(info.std)
            notes.append(
                f"{path.name} normalises each colour channel differently (mean "
                f"{', '.join(f'{m:g}' for m in info.mean)}); camapp uses one value for all: "
                f"(pixel - {mean:g}) / {std:g}"
            )
        else:
            log.debug("%s: no normalisation in its metadata; (pixel - 127.5) / 127.5", path.name)
    return ClassifierOptions(
        model_paths=(str(path),),
        labels_path=choice.path,
        input_mean=mean,
        input_std=std,
        extra={"notes": tuple(notes), "labels_source": choice.source},
    )


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file.

    Args:
        path: The file, read in 1 MiB chunks.

    Returns:
        The lower-case hex digest.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ModelStore:
    """Finds installed model files and turns catalog ids into classifier options.

    Installing lives in :mod:`camapp.store.install`; installs go to :attr:`install_dir`.

    Args:
        catalog: The catalog.
        models_dir: ``--models-dir``; otherwise see :func:`model_dirs`.
    """

    def __init__(self, catalog: Catalog, models_dir: str | Path | None = None) -> None:
        self.catalog = catalog
        self.dirs = model_dirs(models_dir)

    @property
    def install_dir(self) -> Path:
        """Where installs go: ``--models-dir``, else ``$CAMAPP_MODELS_DIR``, else user data."""
        return self.dirs[0]

    # -- lookup ---------------------------------------------------------------------------
    def find(self, file: ModelFile | str) -> Path | None:
        """The first installed copy of a file.

        Args:
            file: A catalog file or a bare file name.

        Returns:
            Its path in the first folder of :attr:`dirs` that has it, or ``None``.
        """
        name = file.file if isinstance(file, ModelFile) else file
        for folder in self.dirs:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        return None

    def is_installed(self, entry: ModelEntry) -> bool:
        """Whether every model and label file of ``entry`` is found."""
        return all(self.find(f) is not None for f in entry.all_files)

    def installed(self) -> list[ModelEntry]:
        """The catalog entries whose files are all found, in catalog order."""
        return [entry for entry in self.catalog if self.is_installed(entry)]

    def usable_model(self, wanted: str = "", default: str | None = None) -> str:
        """The model to run: ``wanted`` if it is installed (or a file), else a stand-in.

        The stand-in is ``default`` (the packaged default setting when ``None``) when it is
        installed, else the first installed classifier. With no classifier installed at all,
        ``wanted`` comes back unchanged, so the error that follows names what was asked for.
        """
        if wanted and (Path(wanted).is_file() or self._usable_teach_spec(wanted)):
            return wanted
        installed = [e.id for e in self.installed() if e.kind == "classifier"]
        if wanted in installed or not installed:
            return wanted
        if default is None:
            default = str(app_defaults().get("model") or "")
        return default if default in installed else installed[0]

    def _usable_teach_spec(self, spec: str) -> bool:
        """Teach mode (``teach:ID`` with ID installed) or a saved class set's path."""
        if not (spec.startswith("teach:") or Path(spec).is_dir()):
            return False  # (without importing teach mode, which loads NumPy and OpenCV)
        from camapp.inference.teach import TEACH_PREFIX, is_class_set

        if spec.startswith(TEACH_PREFIX):
            embedder = spec.removeprefix(TEACH_PREFIX)
            return embedder in self.catalog and self.is_installed(self.catalog.get(embedder))
        return is_class_set(spec)

    def embedders(self) -> list[ModelEntry]:
        """The installed catalog embedders (models whose outputs are features), in order."""
        return [entry for entry in self.installed() if entry.kind == "embedder"]

    def embedder_options(
        self,
        spec: str = "",
        *,
        num_threads: int | None = None,
        use_xnnpack: bool = True,
        runtime: str | None = None,
    ) -> ClassifierOptions:
        """Options for an embedding model: its raw dequantised outputs are the features.

        Args:
            spec: A catalog embedder id or a ``.tflite`` path; ``""`` picks the first
                installed catalog embedder.
            num_threads: Interpreter threads; ``None`` uses every core.
            use_xnnpack: Use the XNNPACK delegate.
            runtime: Runtime name; ``None`` lets the runtime loader choose.

        Returns:
            ``output: features`` options named after the catalog id (or the file).

        Raises:
            CamappError: Unknown id, a classifier id, nothing installed, or a missing path.
        """
        embedders = [e for e in self.catalog if e.kind == "embedder"]
        if not spec:
            installed = self.embedders()
            if not installed:
                first = embedders[0].id if embedders else "an embedder"
                raise CamappError(
                    "teach mode needs an embedding model and none is installed",
                    f"run 'camapp models install {first}'",
                )
            spec = installed[0].id
        path = Path(spec)
        if spec.endswith(".tflite") or path.is_file():
            if not path.is_file():
                raise CamappError(f"model file not found: {spec}", "check the path")
            options = ClassifierOptions(model_paths=(str(path),), name=path.name)
        else:
            entry = self.catalog.get(spec)
            if entry.kind != "embedder":
                names = ", ".join(e.id for e in embedders) or "none in the catalog"
                raise CamappError(
                    f"{entry.id} is a {entry.kind}, not an embedding model",
                    f"teach mode uses an embedder: {names}",
                )
            paths = [self.find(f) for f in entry.files]
            if any(p is None for p in paths):
                raise CamappError(
                    f"embedding model {entry.id} is not installed",
                    f"run 'camapp models install {entry.id}'",
                )
            options = ClassifierOptions(
                model_paths=tuple(str(p) for p in paths),
                input_mean=entry.input_mean,
                input_std=entry.input_std,
                name=entry.id,
            )
        return replace(
            options,
            output=OutputKind.FEATURES,
            num_threads=num_threads,
            use_xnnpack=use_xnnpack,
            runtime=runtime,
        )

    def options_for(
        self,
        spec: str,
        labels: str | None = None,
        *,
        num_threads: int | None = None,
        use_xnnpack: bool = True,
        runtime: str | None = None,
    ) -> ClassifierOptions:
        """Classifier options for a catalog id or a ``.tflite`` path.

        A path's labels and input normalisation are found by :func:`file_options`.

        Args:
            spec: A catalog id or the path of a ``.tflite`` file.
            labels: A label file overriding the catalog's or the model file's own.
            num_threads: Interpreter threads; ``None`` uses every core.
            use_xnnpack: Use the XNNPACK delegate.
            runtime: Runtime name (``auto``, ``litert``, ``tflite-runtime``); ``None`` lets
                :func:`camapp.inference.runtime.load_runtime` choose.

        Returns:
            The options, with the installed paths of the model and label files.

        Raises:
            CamappError: Unknown id, an embedder, a model not installed, or a missing path.
        """
        path = Path(spec)
        if spec.endswith(".tflite") or path.is_file():
            if not path.is_file():
                raise CamappError(f"model file not found: {spec}", "check the path")
            return replace(
                file_options(path, labels),
                num_threads=num_threads,
                use_xnnpack=use_xnnpack,
                runtime=runtime,
            )
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
        try:
            output = OutputKind.parse(entry.output)
        except ValueError as exc:
            raise CamappError(f"catalog entry {entry.id}: output: {exc}") from None
        return ClassifierOptions(
            model_paths=tuple(paths),
            labels_path=label_path,
            input_mean=entry.input_mean,
            input_std=entry.input_std,
            output=output,
            name=entry.id,
            num_threads=num_threads,
            use_xnnpack=use_xnnpack,
            runtime=runtime,
        )

    # -- verify ---------------------------------------------------------------------------
    def verify(self) -> list[tuple[str, Path, str]]:
        """Re-checks the sha256 of every installed file.

        Returns:
            ``(file name, path, status)`` per installed file, status ``ok``, ``mismatch`` or
            ``unknown`` (the catalog has no checksum for it).
        """
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
