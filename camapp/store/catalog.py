"""The model catalog: every MobileNet variant camapp offers, with published figures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camapp.base.config import load_yaml, packaged_file
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
    def from_dict(cls, data: dict[str, Any]) -> ModelFile:
        sha = data.get("sha256")
        return cls(
            file=str(data["file"]),
            sha256=str(sha).lower() if sha else None,
            bytes=int(data["bytes"]) if data.get("bytes") is not None else None,
            url=data.get("url"),
            archive_member=data.get("archive_member"),
        )


@dataclass(frozen=True)
class Published:
    """Figures as their publishers state them (never measurements)."""

    top1: float | None = None
    top5: float | None = None
    macs_m: float | None = None
    params_m: float | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)
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
        data = load_yaml(path, what="model catalog")
        try:
            label_files = {
                key: ModelFile.from_dict(value)
                for key, value in (data.get("label_files") or {}).items()
            }
            entries = [_entry(raw, label_files) for raw in data["models"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise CamappError(
                f"model catalog {path} is malformed ({type(exc).__name__}: {exc})",
                "fix the entry or restore the file from the camapp release",
            ) from exc
        ids = [entry.id for entry in entries]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise CamappError(f"model catalog {path} repeats ids: {', '.join(duplicates)}")
        return cls(entries, path)


def _entry(raw: dict[str, Any], label_files: dict[str, ModelFile]) -> ModelEntry:
    labels_key = raw.get("labels")
    if labels_key and labels_key not in label_files:
        raise ValueError(f"{raw['id']}: unknown label file '{labels_key}'")
    norm = raw.get("input_norm") or {}
    pub = raw.get("published") or {}
    width = raw.get("width_multiplier")
    resolution = raw.get("resolution")
    return ModelEntry(
        id=str(raw["id"]),
        name=str(raw.get("name") or raw["id"]),
        kind=str(raw.get("kind", "classifier")),
        family=str(raw.get("family", "")),
        size=raw.get("size"),
        width_multiplier=float(width) if width is not None else None,
        resolution=int(resolution) if resolution is not None else None,
        quantization=str(raw.get("quantization", "")),
        files=tuple(ModelFile.from_dict(f) for f in raw["files"]),
        labels=label_files[labels_key] if labels_key else None,
        output=str(raw.get("output") or "auto"),
        input_mean=float(norm.get("mean", 127.5)),
        input_std=float(norm.get("std", 127.5)),
        default=bool(raw.get("default", False)),
        license=str(raw.get("license") or ""),
        authors=str(raw.get("authors") or ""),
        year=raw.get("year"),
        paper=str(raw.get("paper") or ""),
        paper_url=str(raw.get("paper_url") or ""),
        dataset=str(raw.get("dataset") or ""),
        source=str(raw.get("source") or ""),
        published=Published(
            top1=pub.get("top1"),
            top5=pub.get("top5"),
            macs_m=pub.get("macs_m"),
            params_m=pub.get("params_m"),
            latency_ms=dict(pub.get("latency_ms") or {}),
            notes=str(pub.get("notes") or ""),
        ),
    )
