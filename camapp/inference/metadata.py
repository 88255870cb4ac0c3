"""What a ``.tflite`` file says about itself: tensor types, packed label files, normalisation.

TF Hub, Model Maker and the TFLite metadata writer put two things into a model file: a
``TFLITE_METADATA`` buffer (a second FlatBuffer, schema ``M001``) describing the input's
normalisation and the output's label file, and a zip archive appended after the model
holding that label file. This module reads just enough of both FlatBuffers to answer three
questions, with no dependency beyond the standard library:

- the input tensor's type and the output's number of values (the model schema:
  ``Model.subgraphs[0].inputs/outputs`` -> ``Tensor.type/shape``);
- the label file packed in the model (the output's ``AssociatedFile`` of type
  ``TENSOR_AXIS_LABELS``; else the archive's only ``.txt`` member);
- the input's ``NormalizationOptions`` (mean and std, one per channel or one for all).

Score calibration, tokenizers, locales and the rest of the metadata schema are not read.
A file that is not a FlatBuffer, or whose tables point outside it, gives empty answers
(:func:`read_model_info` never raises for a damaged file: loading the model says what is wrong
with it far better).
"""

from __future__ import annotations

import logging
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: ``TensorType`` values of the TFLite schema that an image input can have.
TENSOR_TYPES = {0: "float32", 3: "uint8", 9: "int8"}
#: ``AssociatedFileType.TENSOR_AXIS_LABELS``: labels of the output's classes.
_AXIS_LABELS = 2
#: ``ProcessUnitOptions.NormalizationOptions``.
_NORMALIZATION = 1
#: Model files are read whole only up to this size (a MobileNet is 0.5 to 20 MB).
MAX_MODEL_BYTES = 256 << 20
#: A packed label file larger than this is not a label file.
MAX_LABEL_BYTES = 4 << 20


class _Broken(ValueError):
    """An offset points outside the buffer: not a FlatBuffer we can read."""


class _Table:
    """One FlatBuffer table: fields read by their index in the schema."""

    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf = buf
        self.pos = pos
        vtable = pos - _i32(buf, pos)
        self._vtable = vtable
        self._vsize = _u16(buf, vtable)

    def _field(self, index: int) -> int | None:
        slot = 4 + 2 * index
        if slot >= self._vsize:
            return None
        offset = _u16(self.buf, self._vtable + slot)
        return self.pos + offset if offset else None

    def scalar(self, index: int, fmt: str, default: int | float = 0) -> int | float:
        at = self._field(index)
        if at is None:
            return default
        value: int | float = _unpack(fmt, self.buf, at)
        return value

    def _ref(self, index: int) -> int | None:
        at = self._field(index)
        return None if at is None else at + _u32(self.buf, at)

    def table(self, index: int) -> _Table | None:
        at = self._ref(index)
        return None if at is None else _Table(self.buf, at)

    def string(self, index: int) -> str | None:
        at = self._ref(index)
        if at is None:
            return None
        size = _u32(self.buf, at)
        data = _slice(self.buf, at + 4, size)
        return data.decode("utf-8", "replace")

    def tables(self, index: int) -> list[_Table]:
        at = self._ref(index)
        if at is None:
            return []
        count = _u32(self.buf, at)
        _slice(self.buf, at + 4, 4 * count)
        items = (at + 4 + 4 * i for i in range(count))
        return [_Table(self.buf, item + _u32(self.buf, item)) for item in items]

    def numbers(self, index: int, fmt: str) -> list[float]:
        at = self._ref(index)
        if at is None:
            return []
        count = _u32(self.buf, at)
        size = struct.calcsize("<" + fmt)
        data = _slice(self.buf, at + 4, size * count)
        return [float(v) for v in struct.unpack(f"<{count}{fmt}", data)]

    def blob(self, index: int) -> bytes:
        at = self._ref(index)
        if at is None:
            return b""
        return _slice(self.buf, at + 4, _u32(self.buf, at))


def _slice(buf: bytes, start: int, size: int) -> bytes:
    if start < 0 or size < 0 or start + size > len(buf):
        raise _Broken(f"{size} bytes at {start} lie outside {len(buf)}")
    return buf[start : start + size]


def _unpack(fmt: str, buf: bytes, at: int) -> int | float:
    data = _slice(buf, at, struct.calcsize("<" + fmt))
    value: int | float = struct.unpack("<" + fmt, data)[0]
    return value


def _u16(buf: bytes, at: int) -> int:
    return int(_unpack("H", buf, at))


def _u32(buf: bytes, at: int) -> int:
    return int(_unpack("I", buf, at))


def _i32(buf: bytes, at: int) -> int:
    return int(_unpack("i", buf, at))


def _root(buf: bytes) -> _Table:
    return _Table(buf, _u32(buf, 0))


@dataclass(frozen=True)
class ModelInfo:
    """What a ``.tflite`` file says about itself (see the module docstring).

    Attributes:
        input_type: ``float32``, ``uint8``, ``int8``, another type's name, or ``None`` when
            the file could not be read.
        num_outputs: Values in the first output tensor (classes for a classifier), or
            ``None``.
        labels_member: The label file packed in the model (a zip member name), or ``None``.
        mean: The input's normalisation means (one per channel, or one), empty if none.
        std: The input's normalisation standard deviations, empty if none.
        name: The model's name in its metadata (``""`` if none).
    """

    input_type: str | None = None
    num_outputs: int | None = None
    labels_member: str | None = None
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    name: str = ""

    @property
    def normalisation(self) -> tuple[float, float] | None:
        """``(mean, std)`` when the metadata gives the same pair for every channel."""
        if not self.mean or not self.std or len(set(self.mean)) > 1 or len(set(self.std)) > 1:
            return None
        if self.std[0] == 0.0:
            return None
        return self.mean[0], self.std[0]


def read_model_info(path: str | Path) -> ModelInfo:
    """Reads the tensor types, packed label file and normalisation of a ``.tflite`` file.

    Args:
        path: The model file.

    Returns:
        What could be read; every field empty for a file that is missing, too large or not a
        TFLite FlatBuffer.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_MODEL_BYTES:
            return ModelInfo()
        buf = path.read_bytes()
    except OSError:
        return ModelInfo()
    try:
        model = _root(buf)
        input_type, num_outputs = _tensor_facts(model)
        meta = _metadata(model)
    except (_Broken, struct.error) as exc:
        log.debug("%s: not a readable TFLite FlatBuffer (%s)", path.name, exc)
        return ModelInfo()
    members = _zip_members(path)
    labels = _labels_member(meta, members) if members else None
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    name = ""
    if meta is not None:
        try:
            name = meta.string(0) or ""
            mean, std = _normalisation(meta)
        except (_Broken, struct.error) as exc:
            log.debug("%s: unreadable metadata (%s)", path.name, exc)
    return ModelInfo(input_type, num_outputs, labels, mean, std, name)


def read_packed_file(path: str | Path, member: str) -> bytes:
    """The bytes of a file packed in a model (the zip archive after the FlatBuffer).

    Raises:
        KeyError: When there is no such member.
        ValueError: When it is larger than :data:`MAX_LABEL_BYTES`.
        zipfile.BadZipFile: When the model has no readable archive.
        OSError: When the file cannot be read.
    """
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
        if info.file_size > MAX_LABEL_BYTES:
            raise ValueError(f"{member} is {info.file_size} bytes; a label file is smaller")
        return archive.read(info)


def _tensor_facts(model: _Table) -> tuple[str | None, int | None]:
    """The first input's type and the first output's number of values."""
    subgraphs = model.tables(2)  # Model.subgraphs
    if not subgraphs:
        return None, None
    graph = subgraphs[0]
    tensors = graph.tables(0)  # SubGraph.tensors
    inputs = [int(v) for v in graph.numbers(1, "i")]  # SubGraph.inputs
    outputs = [int(v) for v in graph.numbers(2, "i")]  # SubGraph.outputs
    input_type = None
    if inputs and 0 <= inputs[0] < len(tensors):
        code = int(tensors[inputs[0]].scalar(1, "b"))  # Tensor.type
        input_type = TENSOR_TYPES.get(code, f"type {code}")
    num_outputs = None
    if outputs and 0 <= outputs[0] < len(tensors):
        shape = [int(v) for v in tensors[outputs[0]].numbers(0, "i")]  # Tensor.shape
        if shape:
            num_outputs = 1
            for dim in shape:
                num_outputs *= max(dim, 1)
    return input_type, num_outputs


def _metadata(model: _Table) -> _Table | None:
    """The ``TFLITE_METADATA`` FlatBuffer (``ModelMetadata``), if the model has one."""
    for entry in model.tables(6):  # Model.metadata
        if entry.string(0) != "TFLITE_METADATA":  # Metadata.name
            continue
        buffers = model.tables(4)  # Model.buffers
        index = int(entry.scalar(1, "I"))  # Metadata.buffer
        if not 0 <= index < len(buffers):
            return None
        buffer = buffers[index]
        data = buffer.blob(0)  # Buffer.data
        offset = int(buffer.scalar(1, "Q"))  # Buffer.offset: data kept after the FlatBuffer
        if not data and offset > 1:
            data = _slice(model.buf, offset, int(buffer.scalar(2, "Q")))  # Buffer.size
        if len(data) < 8 or data[4:8] != b"M001":  # the metadata schema's file identifier
            return None
        return _root(data)
    return None


def _labels_member(meta: _Table | None, members: list[str]) -> str | None:
    """The packed label file: the output's TENSOR_AXIS_LABELS file, else the only .txt."""
    if meta is not None:
        try:
            for graph in meta.tables(3)[:1]:  # ModelMetadata.subgraph_metadata
                for tensor in graph.tables(3)[:1]:  # SubGraphMetadata.output_tensor_metadata
                    for file in tensor.tables(6):  # TensorMetadata.associated_files
                        name = file.string(0)
                        if int(file.scalar(2, "b")) == _AXIS_LABELS and name in members:
                            return name
        except (_Broken, struct.error):
            pass
    texts = [m for m in members if m.lower().endswith(".txt")]
    return texts[0] if len(texts) == 1 else None


def _normalisation(meta: _Table) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The first input's ``NormalizationOptions`` (mean, std); empty when there are none."""
    for graph in meta.tables(3)[:1]:  # ModelMetadata.subgraph_metadata
        for tensor in graph.tables(2)[:1]:  # SubGraphMetadata.input_tensor_metadata
            for unit in tensor.tables(4):  # TensorMetadata.process_units
                if int(unit.scalar(0, "B")) != _NORMALIZATION:  # ProcessUnit.options_type
                    continue
                options = unit.table(1)  # ProcessUnit.options
                if options is None:
                    continue
                mean = tuple(options.numbers(0, "f"))  # NormalizationOptions.mean
                std = tuple(options.numbers(1, "f"))  # NormalizationOptions.std
                return mean, std
    return (), ()


def _zip_members(path: Path) -> list[str]:
    """The names in the zip archive appended to a model, or ``[]``."""
    try:
        if not zipfile.is_zipfile(path):
            return []
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return []
