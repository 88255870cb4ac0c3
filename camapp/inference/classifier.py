"""The TFLite image classifier: crop, resize, quantise, invoke, dequantise, top-k."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from camapp.base.errors import CamappError
from camapp.base.roi import ROI
from camapp.inference.labels import align_labels, read_labels, short_label
from camapp.inference.options import ClassifierOptions
from camapp.inference.results import Category, Classification, Timings
from camapp.inference.runtime import Runtime, default_threads, load_runtime

#: Ops that pass a tensor through unchanged in meaning (walked over to find a softmax).
_PASS_THROUGH_OPS = {"RESHAPE", "SQUEEZE", "QUANTIZE", "DEQUANTIZE"}
_INPUT_DTYPES = (np.uint8, np.int8, np.float32)


#: File descriptor 2 is one per process: only one model load at a time may redirect it.
_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Captures what the C++ runtime prints on fd 2 (its INFO lines and error details).

    The runtime writes straight to file descriptor 2, so the only way to read its error
    details is to point fd 2 at a temporary file for the moment of the load. That is
    process-wide state: loads on two threads at once (compare mode starts exactly that)
    would each save and restore the other's redirection and leave fd 2 pointing at a
    deleted file. One lock makes every redirection a whole save-redirect-restore in turn.
    """
    captured: list[str] = []
    with _STDERR_LOCK:
        try:
            saved = os.dup(2)
        except OSError:
            yield captured
            return
        with tempfile.TemporaryFile(mode="w+b") as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                yield captured
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                tmp.seek(0)
                text = tmp.read().decode("utf-8", "replace")
                captured.extend(
                    line for line in text.splitlines() if line and not line.startswith("INFO:")
                )


class _Stage:
    """One interpreter with its single input and output tensor details."""

    def __init__(self, runtime: Runtime, path: str, threads: int, use_xnnpack: bool) -> None:
        self.path = path
        self.notes: list[str] = []
        self.xnnpack = use_xnnpack
        if not Path(path).is_file():
            raise CamappError(
                f"model file not found: {path}", "install it with 'camapp models install ID'"
            )
        try:
            self.interpreter = self._allocate(runtime, threads, use_xnnpack)
        except CamappError:
            if not use_xnnpack:
                raise
            self.interpreter = self._allocate(runtime, threads, False)
            self.xnnpack = False
            self.notes.append(f"XNNPACK could not run {Path(path).name}; running without it")
        name = Path(path).name
        try:
            inputs = self.interpreter.get_input_details()
            outputs = self.interpreter.get_output_details()
        except UnicodeDecodeError as exc:  # the runtime decodes tensor names as UTF-8
            raise CamappError(
                f"{name} has tensor names that are not UTF-8 text, so it cannot be read; "
                "the file is damaged or not a TFLite model",
                "re-install it with 'camapp models install --force ID' or check the file",
            ) from exc
        if len(inputs) != 1:
            raise CamappError(
                f"{name} has {len(inputs)} inputs; an image classifier has one",
                "choose an image-classification model",
            )
        if len(outputs) != 1:
            raise CamappError(
                f"{name} has {len(outputs)} outputs; an image classifier has one "
                "(is it a detector or segmenter?)",
                "choose an image-classification model",
            )
        self.input = inputs[0]
        self.output = outputs[0]
        self.output_producer = self._producer_of(self.output["index"])

    def _allocate(self, runtime: Runtime, threads: int, use_xnnpack: bool) -> Any:
        name = Path(self.path).name
        with _captured_stderr() as messages:
            try:
                interpreter = runtime.interpreter(self.path, threads, use_xnnpack)
                self.ops = self._ops(interpreter)
                interpreter.allocate_tensors()
            except (ValueError, RuntimeError) as exc:
                error = exc
            else:
                return interpreter
        detail = "; ".join(messages[-2:]) or str(error).splitlines()[0]
        raise CamappError(
            f"{name} is not a usable TFLite model ({detail})",
            "re-install it with 'camapp models install --force ID' or check the file",
        )

    @staticmethod
    def _ops(interpreter: Any) -> list[dict[str, Any]]:
        try:
            return list(interpreter._get_ops_details())  # before delegation: the real ops
        except Exception:  # noqa: BLE001 - older runtimes lack it; we fall back to heuristics
            return []

    def _producer_of(self, tensor_index: int) -> str | None:
        producers = {int(t): op for op in self.ops for t in op.get("outputs", [])}
        op = producers.get(int(tensor_index))
        while op is not None and op["op_name"] in _PASS_THROUGH_OPS:
            op = producers.get(int(op["inputs"][0]))
        return None if op is None else str(op["op_name"])


class Classifier:
    """An image classifier over one TFLite model (or an extractor + head pair).

    Use :meth:`create` to build one; it validates the model up front. :meth:`classify`
    takes a BGR frame as OpenCV gives it and a normalised :class:`~camapp.base.roi.ROI`, writes
    the resized RGB crop straight into the interpreter's input buffer (no per-frame
    allocation), invokes, and returns the top-k with stage timings. Not thread-safe: one
    thread owns a classifier.
    """

    def __init__(self, options: ClassifierOptions, runtime: Runtime, stages: list[_Stage]):
        self.options = options
        self.runtime = runtime
        self._stages = stages
        first, last = stages[0], stages[-1]
        self.num_threads = options.num_threads or default_threads()
        self.name = options.name or Path(options.model_paths[0]).stem
        self.notes = [note for stage in stages for note in stage.notes]
        self.notes += options.extra.get("notes", ())  # e.g. a model file without labels
        self.xnnpack = all(stage.xnnpack for stage in stages)

        shape = [int(v) for v in first.input["shape"]]
        dtype = np.dtype(first.input["dtype"])
        if len(shape) != 4 or shape[0] != 1 or shape[3] != 3 or dtype.type not in _INPUT_DTYPES:
            raise CamappError(
                f"{Path(first.path).name} takes {dtype.name} {shape}; an image classifier "
                "takes one [1, height, width, 3] uint8, int8 or float32 image",
                "choose an image-classification model",
            )
        self.input_height, self.input_width = shape[1], shape[2]
        self.input_dtype = dtype
        self._input_index = first.input["index"]
        self._input_lut = _input_lut(dtype, first.input["quantization"], options)

        out_shape = [int(v) for v in last.output["shape"]]
        self.num_outputs = int(np.prod(out_shape))
        if len(out_shape) not in (2, 4) or self.num_outputs != out_shape[-1]:
            raise CamappError(
                f"{Path(last.path).name} outputs {out_shape}; a classifier outputs [1, classes]",
                "choose an image-classification model",
            )
        self._out_dtype = np.dtype(last.output["dtype"])
        self._out_scale, self._out_zero = _quant(last.output["quantization"])
        self._rank = RawRanking(self.num_outputs)
        self.applies_softmax = _needs_softmax(options.output, last, self._out_dtype)
        for prev, nxt in zip(stages, stages[1:]):
            if list(prev.output["shape"]) != list(nxt.input["shape"]):
                raise CamappError(
                    f"{Path(prev.path).name} output {list(prev.output['shape'])} does not fit "
                    f"{Path(nxt.path).name} input {list(nxt.input['shape'])}",
                    "the two files of a chained model must belong together",
                )

        source = options.labels_path or "labels"
        if options.output == "features":  # an embedder: its outputs are features, not classes
            self.labels = [str(i) for i in range(self.num_outputs)]
        elif options.labels_path:
            labels = read_labels(options.labels_path)
            self.labels = align_labels(labels, self.num_outputs, source=Path(source).name)
        elif self.num_outputs > 4096:
            raise CamappError(
                f"{self.name} has {self.num_outputs} outputs; that is not a classifier",
                "give a classification model and its --labels file",
            )
        else:
            self.labels = [str(i) for i in range(self.num_outputs)]
        self.short_labels = [short_label(label) for label in self.labels]
        #: ``background`` of 1001-output ImageNet models is never an answer.
        self._background = (0,) if self.labels[:1] == ["background"] else ()

        # Buffers reused for every frame.
        self._resized = np.empty((self.input_height, self.input_width, 3), np.uint8)
        self._rgb = np.empty_like(self._resized)
        self._scores = np.empty(self.num_outputs, np.float32)
        self._input_view = first.interpreter.tensor(self._input_index)
        self._closed = False

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def create(cls, options: ClassifierOptions) -> Classifier:
        """Loads and validates the model(s).

        Raises:
            CamappError: For a missing, corrupt or non-classifier model or a bad label file.
        """
        if not options.model_paths:
            raise CamappError("no model file given", "pass --model ID or a .tflite path")
        runtime = load_runtime(options.runtime)
        threads = options.num_threads or default_threads()
        stages = [
            _Stage(runtime, str(p), threads, options.use_xnnpack) for p in options.model_paths
        ]
        return cls(options, runtime, stages)

    def __enter__(self) -> Classifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Releases the interpreters; idempotent."""
        if not self._closed:
            self._closed = True
            self._input_view = None
            self._stages = []

    # -- the three stages -----------------------------------------------------------------
    @property
    def input_size(self) -> tuple[int, int]:
        """Model input ``(width, height)``."""
        return self.input_width, self.input_height

    def preprocess(self, frame_bgr: np.ndarray, roi: ROI | None = None) -> None:
        """Crops ``roi`` from the BGR frame, resizes (bilinear) and writes RGB into the input."""
        if frame_bgr.ndim == 2:
            frame_bgr = cv2.cvtColor(frame_bgr, cv2.COLOR_GRAY2BGR)
        elif frame_bgr.ndim != 3 or frame_bgr.shape[2] not in (3, 4):
            raise CamappError(f"cannot classify an image of shape {frame_bgr.shape}")
        if frame_bgr.shape[2] == 4:
            frame_bgr = cv2.cvtColor(frame_bgr, cv2.COLOR_BGRA2BGR)
        height, width = frame_bgr.shape[:2]
        x0, y0, x1, y1 = (roi or ROI.full()).to_pixels(width, height)
        crop = frame_bgr[y0:y1, x0:x1]
        cv2.resize(crop, self.input_size, dst=self._resized, interpolation=cv2.INTER_LINEAR)
        target = self._input_view()[0]
        if self._input_lut is None:
            cv2.cvtColor(self._resized, cv2.COLOR_BGR2RGB, dst=target)
        else:
            cv2.cvtColor(self._resized, cv2.COLOR_BGR2RGB, dst=self._rgb)
            np.take(self._input_lut, self._rgb, out=target)
        del target  # the interpreter refuses to invoke while a view of its buffer is alive

    def invoke(self) -> None:
        """Runs the model (each stage in turn, handing the features on)."""
        stages = self._stages
        stages[0].interpreter.invoke()
        for prev, nxt in zip(stages, stages[1:]):
            features = prev.interpreter.get_tensor(prev.output["index"])
            nxt.interpreter.set_tensor(nxt.input["index"], _requantise(features, prev, nxt))
            nxt.interpreter.invoke()

    def scores(self) -> np.ndarray:
        """Dequantised class probabilities of the last invoke (a reused buffer)."""
        last = self._stages[-1]
        raw = last.interpreter.get_tensor(last.output["index"]).reshape(-1)
        if self._out_dtype == np.float32:
            np.copyto(self._scores, raw)
        else:
            np.subtract(raw, self._out_zero, out=self._scores, dtype=np.float32)
            self._scores *= self._out_scale
        if self.applies_softmax:
            self._scores -= self._scores.max()
            np.exp(self._scores, out=self._scores)
            self._scores /= self._scores.sum()
        return self._scores

    def features(self, frame_bgr: np.ndarray, roi: ROI | None = None) -> np.ndarray:
        """The dequantised outputs for the ROI crop, as a new float32 vector (embedders).

        The same crop, resize and invoke as :meth:`classify`; with ``output: features`` no
        softmax is applied, so these are the embedder's raw features.
        """
        self.crop_and_invoke(frame_bgr, roi)
        features: np.ndarray = self.scores().copy()
        return features

    def crop_and_invoke(self, frame_bgr: np.ndarray, roi: ROI | None = None) -> tuple[float, float]:
        """Runs the model on the ROI crop: :meth:`preprocess`, then :meth:`invoke`.

        Returns:
            The milliseconds each took (what :class:`Timings` reports as the first two).

        Raises:
            CamappError: When the classifier was closed, or for an unusable frame.
        """
        if self._closed:
            raise CamappError("this classifier was closed")
        t0 = time.perf_counter()
        self.preprocess(frame_bgr, roi)
        t1 = time.perf_counter()
        self.invoke()
        return (t1 - t0) * 1e3, (time.perf_counter() - t1) * 1e3

    def postprocess(self, top_k: int = 5, threshold: float = 0.0) -> tuple[list[int], list[float]]:
        """Top-k class indices and scores (highest first) above ``threshold``.

        A quantised output that needs no softmax is ranked as it is (dequantising is
        monotonic: a positive scale keeps the order and the ties), and only the winners are
        dequantised; :func:`top_k_indices`' rules (ties, zero scores, background) hold.
        """
        background = self._background
        if self._out_dtype == np.float32 or self.applies_softmax or self._out_scale <= 0:
            return top_k_indices(self.scores(), top_k, threshold, skip=background)
        last = self._stages[-1]
        raw = last.interpreter.get_tensor(last.output["index"]).reshape(-1)
        # Zero score <=> raw == zero point; below threshold <=> raw < the threshold's level.
        zero, scale = self._out_zero, self._out_scale
        floor = max(zero + 1, math.ceil(threshold / scale + zero - 1e-6))
        indices = self._rank.top(raw, top_k, background)
        values = raw[indices]
        kept = values >= floor
        indices, values = indices[kept], values[kept]
        scores = (values.astype(np.float32) - np.float32(zero)) * np.float32(scale)
        return indices.tolist(), scores.tolist()

    def classify(
        self,
        frame_bgr: np.ndarray,
        roi: ROI | None = None,
        top_k: int = 5,
        threshold: float = 0.0,
    ) -> Classification:
        """Classifies the ROI crop of a BGR frame.

        Args:
            frame_bgr: ``H x W x 3`` uint8 BGR frame (grey and BGRA are converted).
            roi: Normalised box; ``None`` is the whole frame.
            top_k: How many classes to return.
            threshold: Drop classes scoring below this.
        """
        preprocess_ms, invoke_ms = self.crop_and_invoke(frame_bgr, roi)
        t2 = time.perf_counter()
        indices, scores = self.postprocess(top_k, threshold)
        labels = self.short_labels
        categories = tuple(Category(i, s, labels[i]) for i, s in zip(indices, scores))
        postprocess_ms = (time.perf_counter() - t2) * 1e3
        return Classification(categories, Timings(preprocess_ms, invoke_ms, postprocess_ms))


# -- pure helpers -------------------------------------------------------------------------
def top_k_indices(
    scores: np.ndarray,
    k: int,
    threshold: float = 0.0,
    skip: Sequence[int] = (),
    raw: bool = False,
) -> tuple[list[int], list[float]]:
    """Indices and values of the ``k`` largest scores, highest first, at least ``threshold``.

    As TensorFlow's ``top_k``: equal scores keep the lower class index first, also at the
    k-th place (the lowest indices of a tie are the ones kept). A score of 0 is never
    returned (a class the model gives nothing is no answer), nor an index in ``skip``
    (``background`` of 1001-output ImageNet models).

    With ``raw``, ``scores`` are quantised integers and ``threshold`` the lowest integer
    kept (the caller has made it above the zero point): the rank is the same, nothing is
    converted to float.
    """
    flat = np.asarray(scores).reshape(-1)
    if skip:
        flat = flat.copy()
        flat[list(skip)] = np.iinfo(flat.dtype).min if raw else -np.inf
    k = max(1, min(int(k), flat.size))
    kth = np.partition(flat, flat.size - k)[flat.size - k]  # the k-th largest score
    above = np.flatnonzero(flat > kth)
    tied = np.flatnonzero(flat == kth)[: k - above.size]
    chosen = np.concatenate([above, tied])
    keys = flat[chosen].astype(np.float64)  # exact for every input; no unsigned wrap-around
    order = chosen[np.lexsort((chosen, -keys))]  # score down, then index up
    if raw:
        kept = [int(i) for i in order if flat[i] >= threshold]
    else:
        kept = [int(i) for i in order if flat[i] >= threshold and flat[i] > 0]
    return kept, [float(flat[i]) for i in kept]


class RawRanking:
    """Top-k of quantised scores in one pass, ranked as :func:`top_k_indices` ranks them.

    Each score becomes the key ``score * 2^b - index`` (``2^b`` > the class count), unique
    per class: sorting keys down sorts scores down and, among equal scores, indices up -
    TensorFlow's tie rule - so one ``argpartition`` and a sort of the k winners do what
    top_k_indices does with a partition, two scans and a lexsort (6 us instead of 15 us for
    1001 classes). The key buffer is reused frame after frame.

    Args:
        size: The number of classes.
    """

    def __init__(self, size: int) -> None:
        self._shift = max(1, int(size - 1).bit_length())
        self._index = np.arange(size, dtype=np.int64)
        self._key = np.empty(size, np.int64)

    def top(self, raw: np.ndarray, k: int, skip: Sequence[int] = ()) -> np.ndarray:
        """Indices of the ``k`` highest of ``raw`` (integers), highest first, never ``skip``."""
        key = self._key
        np.left_shift(raw, self._shift, out=key, dtype=np.int64)
        key -= self._index
        for index in skip:
            key[index] = np.iinfo(np.int64).min
        k = max(1, min(int(k), key.size - len(skip)))
        top = np.argpartition(key, key.size - k)[key.size - k :]
        ranked: np.ndarray = top[np.argsort(-key[top])]
        return ranked


def _quant(params: Sequence[float]) -> tuple[float, int]:
    scale, zero = (params or (0.0, 0))[:2]
    return float(scale), int(zero)


def dequantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """``scale * (q - zero_point)`` as float32."""
    # Typed locals here and in quantize: under python_version 3.10 NumPy's stubs give Any.
    floats: np.ndarray = (values.astype(np.float32) - np.float32(zero_point)) * np.float32(scale)
    return floats


def quantize(values: np.ndarray, scale: float, zero_point: int, dtype: np.dtype) -> np.ndarray:
    """``round(x / scale + zero_point)`` clipped to ``dtype``'s range."""
    info = np.iinfo(dtype)
    q = np.round(np.asarray(values, np.float32) / np.float32(scale) + zero_point)
    quantized: np.ndarray = np.clip(q, info.min, info.max).astype(dtype)
    return quantized


def _input_lut(
    dtype: np.dtype, quantization: Sequence[float], options: ClassifierOptions
) -> np.ndarray | None:
    """A 256-entry table from a pixel value to the model's input value.

    uint8 image models take raw pixels (their input quantisation maps 0..255 onto the
    normalised range), so they get no table. int8 models take the normalised pixel
    quantised with the tensor's scale and zero point; float models the normalised pixel.
    """
    if dtype == np.uint8:
        return None
    normalised = (np.arange(256, dtype=np.float32) - options.input_mean) / options.input_std
    if dtype == np.float32:
        return normalised.astype(np.float32)
    scale, zero = _quant(quantization)
    if scale == 0.0:
        raise CamappError("the model's int8 input has no quantisation parameters")
    return quantize(normalised, scale, zero, dtype)


def _needs_softmax(mode: str, stage: _Stage, dtype: np.dtype) -> bool:
    if mode == "logits":
        return True
    if mode in ("probabilities", "softmax", "features"):
        return False
    if stage.output_producer is not None:
        return stage.output_producer != "SOFTMAX"
    # No graph to read: quantised softmax outputs use scale 1/256 over the full range.
    scale, zero = _quant(stage.output["quantization"])
    if dtype == np.uint8:
        return not (abs(scale - 1 / 256) < 1e-6 and zero == 0)
    if dtype == np.int8:
        return not (abs(scale - 1 / 256) < 1e-6 and zero == -128)
    return False


def _requantise(features: np.ndarray, prev: _Stage, nxt: _Stage) -> np.ndarray:
    src, dst = _quant(prev.output["quantization"]), _quant(nxt.input["quantization"])
    dst_dtype = np.dtype(nxt.input["dtype"])
    if src == dst and features.dtype == dst_dtype:
        return features
    real = dequantize(features, *src) if features.dtype != np.float32 else features
    if dst_dtype == np.float32:
        return real.astype(np.float32)
    return quantize(real, dst[0], dst[1], dst_dtype)
