"""The model catalog: every MobileNet variant camapp offers, with published figures."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any

from camapp.base.config import load_yaml_cached, packaged_file
from camapp.base.errors import CamappError


@dataclass(frozen=True)
class ModelFile:
    """One file to install: its store name, checksum, size and public location."""

    file: str
    sha256: str | None = None
    bytes: int | None = None
    url: str | None = None
    archive_member: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> ModelFile:
        """A file from its catalog mapping, every field checked.

        Raises:
            ValueError: Naming the field and what is wrong with it (:class:`BadField`).
        """
        data = _as_mapping(data, "files", "file, sha256, bytes, url")
        sha = _text(data, "sha256")
        if sha is not None and not _SHA256.fullmatch(sha):
            raise BadField("sha256", f"must be 64 hex digits, not {sha!r}")
        url = _text(data, "url")
        size = _whole(data, "bytes")
        return cls(
            file=plain_file_name(data.get("file"), "file"),
            sha256=sha.lower() if sha else None,
            bytes=size,
            url=url,
            archive_member=_text(data, "archive_member"),
        )


@dataclass(frozen=True)
class Published:
    """Figures as their publishers state them (never measurements)."""

    top1: float | None = None
    top5: float | None = None
    macs_m: float | None = None
    params_m: float | None = None
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    notes: str = ""


@dataclass(frozen=True)
class ModelEntry:
    """One catalog entry (see ``config/models.yaml`` for the meaning of each field)."""

    id: str
    name: str
    kind: str
    family: str
    size: str | None
    width_multiplier: float | None
    resolution: int | None
    quantization: str
    files: tuple[ModelFile, ...]
    labels: ModelFile | None
    output: str = "auto"
    input_mean: float = 127.5
    input_std: float = 127.5
    default: bool = False
    license: str = ""
    authors: str = ""
    year: int | None = None
    paper: str = ""
    paper_url: str = ""
    dataset: str = ""
    source: str = ""
    published: Published = field(default_factory=Published)

    @property
    def all_files(self) -> tuple[ModelFile, ...]:
        """Model files plus the label file."""
        return self.files + ((self.labels,) if self.labels else ())

    @property
    def variant(self) -> str:
        """A short human description: ``V3 small 1.0 224 uint8``."""
        family = {"v1": "V1", "v2": "V2", "v3": "V3", "edgetpu": "EdgeTPU"}.get(
            self.family, self.family
        )
        parts = [
            family,
            self.size or "",
            f"{self.width_multiplier:g}" if self.width_multiplier else "",
            str(self.resolution or ""),
            self.quantization,
        ]
        return " ".join(p for p in parts if p)


class Catalog:
    """The list of :class:`ModelEntry`, looked up by id."""

    def __init__(self, entries: list[ModelEntry], path: Path | None = None) -> None:
        self.entries = entries
        self.path = path
        self._by_id = {entry.id: entry for entry in entries}

    def __iter__(self) -> Iterator[ModelEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._by_id

    def get(self, model_id: str) -> ModelEntry:
        """The entry with this id.

        Raises:
            CamappError: With the closest ids when it is unknown.
        """
        try:
            return self._by_id[model_id]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(model_id, self._by_id, n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}?" if close else "see 'camapp models list'"
            raise CamappError(f"unknown model id '{model_id}'", hint) from None

    def defaults(self) -> list[ModelEntry]:
        """Entries installed on first run."""
        return [entry for entry in self.entries if entry.default]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalog:
        """Loads the catalog from ``path``, ``$CAMAPP_CATALOG`` or the packaged file.

        Raises:
            CamappError: When the file is missing or malformed.
        """
        path = Path(path or os.environ.get("CAMAPP_CATALOG") or packaged_file("models.yaml"))
        data = load_yaml_cached(path, what="model catalog", max_bytes=MAX_CATALOG_BYTES)
        hint = "fix the entry or restore the file from the camapp release"
        models = data.get("models")
        if not isinstance(models, list):
            raise CamappError(f"model catalog {path} has no list of 'models'", hint)
        try:
            label_files = {
                str(key): ModelFile.from_dict(value)
                for key, value in _mapping(data, "label_files", "name: {file: ...}").items()
            }
        except BadField as exc:
            raise CamappError(f"model catalog {path}: label_files: {exc}", hint) from exc
        entries = []
        for number, raw in enumerate(models, start=1):
            model_id = raw.get("id") if isinstance(raw, dict) else None
            try:
                entries.append(_entry(raw, label_files))
            except BadField as exc:
                which = f"'{model_id}'" if isinstance(model_id, str) else f"number {number}"
                raise CamappError(f"model catalog {path}: entry {which}: {exc}", hint) from exc
        ids = [entry.id for entry in entries]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise CamappError(f"model catalog {path} repeats ids: {', '.join(duplicates)}")
        return cls(entries, path)


class BadField(ValueError):
    """A catalog field with a value of the wrong kind; the message names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"'{field}' {problem}")


#: The catalog is 134 KB; four times that and more is not a catalog.
MAX_CATALOG_BYTES = 4 << 20

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def plain_file_name(value: object, field: str = "file") -> str:
    """``value`` if it is a plain file name: no folders, ``..``, drive or leading dot.

    Catalog file names become paths inside the models folder; ``../../etc/x`` or ``/etc/x``
    would write outside it. A leading dot is refused too: hidden names are how partial
    downloads look (``.NAME.XXXXXXXX.part``) and would be swept as such.

    Raises:
        BadField: Naming ``field`` otherwise.
    """
    name = value if isinstance(value, str) else ""
    if (
        not name
        or name.startswith(".")
        or any(c in name for c in "/\\\0")
        or PureWindowsPath(name).drive
        or name != name.strip()
    ):
        raise BadField(
            field,
            f"must be a plain file name (no folders, '..', drive or leading dot), not {value!r}",
        )
    return name


def _mapping(raw: dict[str, Any], field: str, example: str) -> dict[str, Any]:
    """``raw[field]`` as a mapping (empty when absent)."""
    return _as_mapping(raw.get(field), field, example)


def _as_mapping(value: object, field: str, example: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadField(field, f"must be a mapping ({example}), not {value!r}")
    return value


def _field(raw: dict[str, Any], field: str, kinds: tuple[type, ...], what: str) -> Any:
    value = raw.get(field)
    if value is None:
        return None
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        raise BadField(field, f"must be {what}, not {value!r}")
    return value


def _text(raw: dict[str, Any], field: str) -> str | None:
    value = _field(raw, field, (str,), "text")
    return None if value is None else str(value)


def _number(raw: dict[str, Any], field: str) -> float | None:
    value = _field(raw, field, (int, float), "a number")
    return None if value is None else float(value)


def _whole(raw: dict[str, Any], field: str) -> int | None:
    value = _field(raw, field, (int,), "a whole number")
    return None if value is None else int(value)


def _entry(raw: object, label_files: dict[str, ModelFile]) -> ModelEntry:
    if not isinstance(raw, dict):
        raise BadField("models", f"entries must be mappings (id, files, ...), not {raw!r}")
    model_id = _text(raw, "id")
    if not model_id:
        raise BadField("id", "is missing")
    labels_key = _text(raw, "labels")
    if labels_key and labels_key not in label_files:
        raise BadField("labels", f"names an unknown label file '{labels_key}'")
    files = raw.get("files")
    if not isinstance(files, list) or not files:
        raise BadField("files", f"must be a list of files, not {files!r}")
    norm = _mapping(raw, "input_norm", "mean: 127.5, std: 127.5")
    std = _number(norm, "std")
    if std == 0.0:
        raise BadField("input_norm", "std must not be 0")
    pub = _mapping(raw, "published", "top1, top5, macs_m, params_m, latency_ms, notes")
    latency = _mapping(pub, "latency_ms", "device: milliseconds")
    mean = _number(norm, "mean")
    return ModelEntry(
        id=model_id,
        name=_text(raw, "name") or model_id,
        kind=_text(raw, "kind") or "classifier",
        family=_text(raw, "family") or "",
        size=_text(raw, "size"),
        width_multiplier=_number(raw, "width_multiplier"),
        resolution=_whole(raw, "resolution"),
        quantization=_text(raw, "quantization") or "",
        files=tuple(ModelFile.from_dict(f) for f in files),
        labels=label_files[labels_key] if labels_key else None,
        output=_text(raw, "output") or "auto",
        input_mean=127.5 if mean is None else mean,
        input_std=127.5 if std is None else std,
        default=bool(_field(raw, "default", (bool,), "true or false")),
        license=_text(raw, "license") or "",
        authors=_text(raw, "authors") or "",
        year=_whole(raw, "year"),
        paper=_text(raw, "paper") or "",
        paper_url=_text(raw, "paper_url") or "",
        dataset=_text(raw, "dataset") or "",
        source=_text(raw, "source") or "",
        published=Published(
            top1=_number(pub, "top1"),
            top5=_number(pub, "top5"),
            macs_m=_number(pub, "macs_m"),
            params_m=_number(pub, "params_m"),
            latency_ms={str(device): _number(latency, device) for device in latency},
            notes=_text(pub, "notes") or "",
        ),
    )
