"""Class-set files: a folder (or one ``.zip``) of YAML, a NumPy table and PNG thumbnails.

The layout, the same in a folder and in a zip::

    classset.yaml        format, the embedding model (catalog id, sha256, dimensions),
                         recognition settings, the classes with their example counts
    embeddings.npy       float32, one row per example in class order (np.save, no pickle)
    thumbnails/00000.png one small BGR thumbnail per row

Reading never executes anything from the set: YAML goes through a safe loader, the table
through ``np.load(allow_pickle=False)``, thumbnails through OpenCV's PNG decoder, and a zip's
members are read by their expected names only (nothing is extracted, sizes are capped).
"""

from __future__ import annotations

import io
import logging
import math
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

from camapp.base.config import atomic_write, parse_yaml
from camapp.base.errors import CamappError

log = logging.getLogger(__name__)

#: The files of a class set.
CLASSSET_FILE, EMBEDDINGS_FILE, THUMBNAILS_DIR = "classset.yaml", "embeddings.npy", "thumbnails"
#: The layout version written (and the only one read).
FORMAT = 1
#: The most classes a set holds (keys 1 to 9 capture them).
MAX_CLASSES = 9
#: Limits on what a set may hold, so a hostile file cannot exhaust memory.
_MAX_EMBEDDINGS_BYTES = 256 << 20
_MAX_THUMBNAIL_BYTES = 1 << 20
_MAX_YAML_BYTES = 1 << 20
_MAX_THUMBNAIL_SIDE = 512
_HEADER_COMMENT = (
    "# A camapp class set (teach mode): use it with 'camapp classify --class-set' or\n"
    "# 'camapp run --model'. embeddings.npy has one row per example, in class order.\n"
)

#: ``read(name, limit)``: a member's bytes, ``None`` when it is missing.
Reader = Callable[[str, int], "bytes | None"]


def is_class_set(path: str | Path) -> bool:
    """Whether ``path`` looks like a saved set: a folder with ``classset.yaml``, or a ``.zip``."""
    path = Path(path)
    if path.is_dir():
        return (path / CLASSSET_FILE).is_file()
    return path.suffix.lower() == ".zip" and path.is_file()


# -- writing --------------------------------------------------------------------------------
def write_class_set(
    path: Path, header: dict[str, Any], matrix: np.ndarray, thumbnails: Sequence[np.ndarray]
) -> None:
    """Writes a set atomically: a ``.zip`` file, or else a folder.

    A folder is built beside ``path`` and renamed over it; an existing folder is replaced
    only when it is a class set (or empty).

    Raises:
        CamappError: When ``path`` is something else, or cannot be written.
    """
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(matrix, np.float32), allow_pickle=False)
    text = _HEADER_COMMENT + yaml.safe_dump(header, sort_keys=False)
    files = {CLASSSET_FILE: text.encode("utf-8"), EMBEDDINGS_FILE: buffer.getvalue()}
    for row, picture in enumerate(thumbnails):
        ok, png = cv2.imencode(".png", picture)
        if not ok:
            raise CamappError(f"cannot encode thumbnail {row} as PNG")
        files[f"{THUMBNAILS_DIR}/{row:05d}.png"] = png.tobytes()
    try:
        if path.suffix.lower() == ".zip":
            _write_zip(path, files)
        else:
            _write_folder(path, files)
    except OSError as exc:
        raise CamappError(f"cannot save the class set to {path}: {exc.strerror or exc}") from exc


def _write_zip(path: Path, files: dict[str, bytes]) -> None:
    with atomic_write(path, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
        for name, data in files.items():
            stored = name.endswith(".png")  # PNG is compressed already
            archive.writestr(name, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)


def _write_folder(path: Path, files: dict[str, bytes]) -> None:
    if path.exists() and not (path.is_dir() and (path / CLASSSET_FILE).is_file()):
        if not path.is_dir() or any(path.iterdir()):
            raise CamappError(
                f"{path} exists and is not a class set", "choose a new or an empty folder"
            )
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=parent))
    old = None
    try:
        (staging / THUMBNAILS_DIR).mkdir()
        for name, data in files.items():
            (staging / name).write_bytes(data)
        if path.exists():
            old = parent / f".{path.name}.old-{os.getpid()}-{time.monotonic_ns()}"
            os.rename(path, old)
        os.rename(staging, path)
    except BaseException:
        if old is not None and not path.exists():
            os.rename(old, path)  # put the previous set back
            old = None
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- reading --------------------------------------------------------------------------------
def read_header(path: str | Path) -> dict[str, Any]:
    """``classset.yaml`` of a saved set, checked; nothing else is read.

    Raises:
        CamappError: When ``path`` is no class set or its YAML is broken.
    """
    path = Path(path)
    with _reader(path) as read:
        return _check_header(read(CLASSSET_FILE, _MAX_YAML_BYTES), path)


def read_class_set(
    path: str | Path, accept: Callable[[dict[str, Any]], None]
) -> tuple[dict[str, Any], np.ndarray, list[np.ndarray]]:
    """Reads a saved set: its header, the embeddings table and one thumbnail per row.

    Args:
        path: The folder or ``.zip``.
        accept: Called with the checked header before anything else is read; it raises to
            refuse the set (another embedding model).

    Raises:
        CamappError: When ``path`` is no class set, is broken, or ``accept`` refuses it.
    """
    path = Path(path)
    with _reader(path) as read:
        header = _check_header(read(CLASSSET_FILE, _MAX_YAML_BYTES), path)
        accept(header)
        matrix = _load_matrix(read(EMBEDDINGS_FILE, _MAX_EMBEDDINGS_BYTES), path)
        counted = sum(int(c["examples"]) for c in header["classes"])
        if matrix.shape[0] != counted:
            raise CamappError(
                f"{path.name} is broken: {EMBEDDINGS_FILE} has {matrix.shape[0]} rows but "
                f"{CLASSSET_FILE} counts {counted} examples"
            )
        dims = header["embedder"].get("dimensions")
        if matrix.shape[0] and dims is not None and matrix.shape[1] != dims:
            raise CamappError(
                f"{path.name} is broken: embeddings of {matrix.shape[1]} values, not {dims}"
            )
        thumbs = [_load_thumbnail(read, row, path) for row in range(matrix.shape[0])]
    return header, matrix, thumbs


@contextmanager
def _reader(path: Path) -> Iterator[Reader]:
    """Yields a :data:`Reader` over a set's folder or zip."""
    if path.is_dir():
        if not (path / CLASSSET_FILE).is_file():
            raise CamappError(
                f"{path} is not a class set (no {CLASSSET_FILE})",
                "save one in teach mode or with 'camapp teach'",
            )

        def read_file(name: str, limit: int) -> bytes | None:
            member = path / name
            if not member.is_file():
                return None
            if member.stat().st_size > limit:
                raise CamappError(f"{path.name} is broken: {name} is too large")
            return member.read_bytes()

        yield read_file
        return
    if not path.exists():
        raise CamappError(f"class set not found: {path}", "check the path")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CamappError(f"{path} is not a class set ({exc})") from exc
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        if CLASSSET_FILE not in members:
            raise CamappError(
                f"{path} is not a class set (no {CLASSSET_FILE} inside)",
                "save one in teach mode or with 'camapp teach'",
            )

        def read_member(name: str, limit: int) -> bytes | None:
            info = members.get(name)
            if info is None:
                return None
            if info.file_size > limit:
                raise CamappError(f"{path.name} is broken: {name} is too large")
            try:
                return archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                raise CamappError(f"{path.name} is broken: cannot read {name} ({exc})") from exc

        yield read_member


def _check_header(data: bytes | None, path: Path) -> dict[str, Any]:
    broken = f"{path.name}: {CLASSSET_FILE} is broken"
    if data is None:
        raise CamappError(f"{path} is not a class set (no {CLASSSET_FILE})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CamappError(f"{broken} ({str(exc).splitlines()[0]})") from exc
    header = parse_yaml(text, f"{path.name}: {CLASSSET_FILE}", "save the set again")  # no aliases
    if header.get("format") != FORMAT:
        raise CamappError(
            f"{path.name} has class-set format {header.get('format')!r}; camapp reads {FORMAT}",
            "update camapp, or save the set again",
        )
    embedder = header.get("embedder")
    if not isinstance(embedder, dict) or not all(
        isinstance(embedder.get(key), str) and embedder.get(key) for key in ("id", "sha256")
    ):
        raise CamappError(f"{broken}: it does not name its embedding model (id and sha256)")
    dims = embedder.get("dimensions")
    if dims is not None and not (isinstance(dims, int) and dims > 0):
        raise CamappError(f"{broken}: embedder dimensions must be a positive whole number")
    classes = header.get("classes")
    if not isinstance(classes, list) or not 1 <= len(classes) <= MAX_CLASSES:
        raise CamappError(f"{broken}: it needs 1 to {MAX_CLASSES} classes")
    for entry in classes:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("examples"), int)
            and entry["examples"] >= 0
        ):
            raise CamappError(f"{broken}: each class needs a name and a count of examples")
    recognition = header.setdefault("recognition", {})
    if not isinstance(recognition, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        for v in recognition.values()
    ):
        raise CamappError(f"{broken}: recognition settings must be numbers")
    return header


def _load_matrix(data: bytes | None, path: Path) -> np.ndarray:
    if data is None:
        raise CamappError(f"{path.name} is broken: no {EMBEDDINGS_FILE}")
    try:
        matrix = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise CamappError(f"{path.name} is broken: {EMBEDDINGS_FILE} ({exc})") from exc
    if not isinstance(matrix, np.ndarray) or matrix.dtype != np.float32 or matrix.ndim != 2:
        raise CamappError(f"{path.name} is broken: {EMBEDDINGS_FILE} is not a float32 table")
    if not np.isfinite(matrix).all():
        raise CamappError(f"{path.name} is broken: {EMBEDDINGS_FILE} holds NaN or infinity")
    return matrix


def _load_thumbnail(read: Reader, row: int, path: Path) -> np.ndarray:
    """Thumbnail ``row``; grey (and a warning) when it is missing or unreadable."""
    name = f"{THUMBNAILS_DIR}/{row:05d}.png"
    data = read(name, _MAX_THUMBNAIL_BYTES)
    picture = None
    if data is not None:
        picture = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if picture is None or max(picture.shape[:2]) > _MAX_THUMBNAIL_SIDE:
        log.warning("%s: thumbnail %s is missing or unreadable; showing grey", path.name, name)
        return np.full((64, 64, 3), 128, np.uint8)
    decoded: np.ndarray = picture
    return decoded
