"""Per-frame cost of camapp's classify against the bare runtime (and peers), interleaved.

Not a test: it measures and prints a ratio table. Each contender runs in its own worker
process (this same file with ``--worker``), started once and kept warm; the parent asks
them in turn, round after round (the order alternating each round), to classify the same
640x480 frame back-to-back for ``--seconds`` and report the median per-frame time. So
every contender sees the same machine state within a round, and the per-round paired
ratio ``camapp / other`` cancels slow drifts (thermal, other load). The table gives the
median over the rounds of each ratio and, in brackets, their range over the rounds.

Contenders:

* ``camapp``: :meth:`camapp.inference.classifier.Classifier.classify` on the frame with
  the window's default box (crop + resize + colour + invoke + top-5), as the app does.
* ``raw``: ``ai_edge_litert`` ``Interpreter.invoke()`` on the same model and thread count,
  input set once (the floor camapp can reach).
* ``mediapipe``: ``mediapipe.tasks.vision.ImageClassifier.classify`` with the same box as
  its region of interest (MediaPipe chooses its own threads; it runs on one core).
* ``tasklib``: TF Lite Task Library ``tflite_support.task.vision.ImageClassifier``
  with the same box and ``num_threads``.

MediaPipe and the Task Library pin their own NumPy/protobuf/TF-Lite builds, so give each
its own venv and point the script at that venv's python; the worker imports only its own
contender's package::

    python3 -m venv /tmp/mp-venv && /tmp/mp-venv/bin/pip install mediapipe
    python3 -m venv /tmp/tl-venv && /tmp/tl-venv/bin/pip install tflite-support==0.4.4
    .venv/bin/python packaging/bench-overhead.py \\
        --mediapipe /tmp/mp-venv/bin/python --tasklib /tmp/tl-venv/bin/python

(The Task Library has wheels for CPython <= 3.11 only.) A contender whose python is not
given, or whose worker fails to start, is left out with one line saying why.

Usage (from the repository, with the project's venv)::

    .venv/bin/python packaging/bench-overhead.py                  # 3 models x 1,2 threads
    .venv/bin/python packaging/bench-overhead.py --rounds 20 --seconds 0.5 --json out.json
    git worktree add /tmp/camapp-before main    # before and after a change, same rounds:
    .venv/bin/python packaging/bench-overhead.py --before /tmp/camapp-before
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent

#: (label, model file in the mirror, labels file) - the issue's three models.
MODELS = [
    ("V2 1.0 224", "mobilenet_v2_1.0_224_quant.tflite"),
    ("V3 small", "v3-small_224_1.0_uint8.tflite"),
    ("V1 0.25/128", "mobilenet_v1_0.25_128_quant.tflite"),
]
DEFAULT_MIRROR = REPO.parent / "shared" / "models"
DEFAULT_IMAGE = REPO.parent / "shared" / "images" / "cat.bmp"
#: The window's default box (config/camapp.yaml ``roi``), used if camapp cannot be read.
DEFAULT_ROI = (0.3, 0.2, 0.7, 0.8)


# -- worker side: one contender, one model, one thread count -------------------------------
def _roi_pixels(roi: tuple[float, ...], width: int, height: int) -> tuple[int, int, int, int]:
    left, top, right, bottom = roi
    return (round(left * width), round(top * height), round(right * width), round(bottom * height))


def _make_runner(kind: str, model: str, threads: int, frame: Any, roi: tuple[float, ...]) -> Any:
    """Returns a no-argument callable that does one frame's work for ``kind``."""
    if kind in ("camapp", "before"):
        sys.path.insert(0, os.environ.get("CAMAPP_CODE", str(REPO)))
        from camapp.base.roi import ROI
        from camapp.inference.classifier import Classifier
        from camapp.inference.options import ClassifierOptions

        labels = Path(model).parent / "imagenet_labels.txt"
        options = ClassifierOptions(
            model_paths=(model,),
            labels_path=str(labels) if labels.is_file() else None,
            num_threads=threads,
        )
        classifier = Classifier.create(options)
        box = ROI.clamped(*roi)
        return lambda: classifier.classify(frame, box, 5)
    if kind == "raw":
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            from tflite_runtime.interpreter import Interpreter  # type: ignore[no-redef]
        import numpy as np

        interpreter = Interpreter(model_path=model, num_threads=threads)
        interpreter.allocate_tensors()
        detail = interpreter.get_input_details()[0]
        interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
        return interpreter.invoke
    if kind == "mediapipe":
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions
        from mediapipe.tasks.python.components.containers import Rect
        from mediapipe.tasks.python.vision import ImageClassifier, ImageClassifierOptions
        from mediapipe.tasks.python.vision.core.image_processing_options import (
            ImageProcessingOptions,
        )

        mp_classifier = ImageClassifier.create_from_options(
            ImageClassifierOptions(base_options=BaseOptions(model_asset_path=model), max_results=5)
        )
        rgb = frame[:, :, ::-1].copy()
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        left, top, right, bottom = roi
        processing = ImageProcessingOptions(region_of_interest=Rect(left, top, right, bottom))
        return lambda: mp_classifier.classify(image, processing)
    if kind == "tasklib":
        from tflite_support.task import core, processor, vision

        options = vision.ImageClassifierOptions(
            base_options=core.BaseOptions(file_name=model, num_threads=threads),
            classification_options=processor.ClassificationOptions(max_results=5),
        )
        tl_classifier = vision.ImageClassifier.create_from_options(options)
        rgb = frame[:, :, ::-1].copy()
        tensor = vision.TensorImage.create_from_array(rgb)
        x0, y0, x1, y1 = _roi_pixels(roi, rgb.shape[1], rgb.shape[0])
        box = processor.BoundingBox(origin_x=x0, origin_y=y0, width=x1 - x0, height=y1 - y0)
        # TensorImage borrows rgb's memory without keeping it alive: the closure keeps it.
        return lambda: (rgb, tl_classifier.classify(tensor, box))
    raise SystemExit(f"unknown contender {kind}")


def worker(args: argparse.Namespace) -> None:
    """Serves ``run SECONDS`` requests on stdin with one JSON line each on stdout."""
    import numpy as np

    frame = np.load(args.frame)
    roi = tuple(float(v) for v in args.roi.split(","))
    run = _make_runner(args.worker, args.model, args.threads, frame, roi)
    for _ in range(10):  # warm-up: kernels prepared, caches and thread pools up
        run()
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    clock = time.perf_counter
    for line in sys.stdin:
        seconds = float(line.split()[1])
        times: list[float] = []
        end = clock() + seconds
        while True:
            t0 = clock()
            run()
            t1 = clock()
            times.append(t1 - t0)
            if t1 >= end and len(times) >= 5:
                break
        out.write(json.dumps({"ms": statistics.median(times) * 1e3, "n": len(times)}) + "\n")
        out.flush()


# -- parent side --------------------------------------------------------------------------
class Contender:
    """One worker process, kept running for every round."""

    def __init__(
        self, kind: str, python: str, model: str, threads: int, frame: str, roi: str, code: str
    ):
        self.kind = kind
        cmd = [python, str(HERE), "--worker", kind, "--model", model, "--threads", str(threads)]
        cmd += ["--frame", frame, "--roi", roi]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", GLOG_minloglevel="3")
        env["PYTHONPATH"] = env["CAMAPP_CODE"] = code
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.times: list[float] = []
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        if not first.startswith("{"):
            error = (self.proc.stderr.read() if self.proc.stderr else "").strip().splitlines()
            self.proc.kill()
            raise RuntimeError(error[-1] if error else "worker exited")

    def round(self, seconds: float) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"run {seconds}\n")
        self.proc.stdin.flush()
        ms = float(json.loads(self.proc.stdout.readline())["ms"])
        self.times.append(ms)
        return ms

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(10)


def _frame_file(image: Path, folder: str) -> str:
    import cv2
    import numpy as np

    picture = cv2.imread(str(image), cv2.IMREAD_COLOR)
    if picture is None:
        raise SystemExit(f"cannot read {image}")
    frame = cv2.resize(picture, (640, 480), interpolation=cv2.INTER_AREA)
    path = os.path.join(folder, "frame.npy")
    np.save(path, np.ascontiguousarray(frame))
    return path


def _app_roi() -> tuple[float, ...]:
    try:
        sys.path.insert(0, str(REPO))
        from camapp.base.config import app_defaults

        roi = app_defaults().get("roi")
        return tuple(float(v) for v in roi) if roi else DEFAULT_ROI
    except Exception:  # noqa: BLE001 - the script still runs with the packaged default
        return DEFAULT_ROI


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Runs every model x thread count; returns one row per pairing with its ratios."""
    pythons = {"camapp": sys.executable, "raw": sys.executable}
    codes = dict.fromkeys(("camapp", "raw", "mediapipe", "tasklib"), str(REPO))
    if args.before:
        pythons["before"] = sys.executable
        codes["before"] = str(Path(args.before).resolve())
    if args.mediapipe:
        pythons["mediapipe"] = args.mediapipe
    if args.tasklib:
        pythons["tasklib"] = args.tasklib
    roi = ",".join(str(v) for v in _app_roi())
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="camapp-bench-") as folder:
        frame = _frame_file(Path(args.image), folder)
        for label, file in MODELS:
            if args.models and not any(m.lower() in label.lower() for m in args.models):
                continue
            model = str(Path(args.mirror) / file)
            for threads in args.threads:
                contenders: list[Contender] = []
                for kind, python in pythons.items():
                    if kind == "mediapipe" and threads != args.threads[0]:
                        continue  # MediaPipe has no thread setting: one column is enough
                    try:
                        contenders.append(
                            Contender(kind, python, model, threads, frame, roi, codes[kind])
                        )
                    except (RuntimeError, OSError) as exc:
                        print(f"  {kind} left out for {label}: {exc}", file=sys.stderr)
                for r in range(args.rounds):
                    order = contenders if r % 2 == 0 else contenders[::-1]
                    for contender in order:
                        contender.round(args.seconds)
                for contender in contenders:
                    contender.close()
                rows.append(_row(label, threads, contenders))
                print(_row_line(rows[-1]), file=sys.stderr)
    return rows


def _row(label: str, threads: int, contenders: list[Contender]) -> dict[str, Any]:
    by_kind = {c.kind: c.times for c in contenders}
    camapp = by_kind["camapp"]
    row: dict[str, Any] = {
        "model": label,
        "threads": threads,
        "median_ms": {k: statistics.median(v) for k, v in by_kind.items()},
        "ratios": {},
    }
    for kind, times in by_kind.items():
        if kind == "camapp":
            continue
        paired = [a / b for a, b in zip(camapp, times)]
        row["ratios"][kind] = {
            "median": statistics.median(paired),
            "low": min(paired),
            "high": max(paired),
            "rounds": len(paired),
        }
    return row


def _row_line(row: dict[str, Any]) -> str:
    times = ", ".join(f"{k} {v:.2f} ms" for k, v in row["median_ms"].items())
    return f"  {row['model']} @ {row['threads']} thread(s): {times}"


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table: one line per contender, one column per model and thread count."""
    columns = [(r["model"], r["threads"]) for r in rows]
    head = "| per frame | " + " | ".join(f"{m} @{t}t" for m, t in columns) + " |"
    lines = [head, "|---" * (len(columns) + 1) + "|"]
    ms = "| camapp classify ms | "
    ms += " | ".join(f"{r['median_ms']['camapp']:.2f}" for r in rows) + " |"
    lines.append(ms)
    kinds = []
    for r in rows:
        kinds += [k for k in r["ratios"] if k not in kinds]
    names = {
        "raw": "raw LiteRT invoke",
        "mediapipe": "MediaPipe",
        "tasklib": "Task Library",
        "before": "camapp before (--before)",
    }
    for kind in kinds:
        cells = []
        for r in rows:
            q = r["ratios"].get(kind)
            cells.append(
                "-" if q is None else f"{q['median']:.2f} ({q['low']:.2f}-{q['high']:.2f})"
            )
        lines.append(f"| camapp / {names.get(kind, kind)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", default=os.environ.get("CAMAPP_MODEL_MIRROR", DEFAULT_MIRROR))
    parser.add_argument("--image", default=str(DEFAULT_IMAGE), help="photo scaled to 640x480")
    parser.add_argument(
        "--models",
        type=lambda s: s.split(","),
        default=None,
        help="subset of the model labels, e.g. 'V3,V1'",
    )
    parser.add_argument(
        "--threads",
        type=lambda s: [int(v) for v in s.split(",")],
        default=[1, 2],
        help="thread counts, comma separated (default 1,2)",
    )
    parser.add_argument("--rounds", type=int, default=12, help="interleaved rounds (>= 12)")
    parser.add_argument("--seconds", type=float, default=0.4, help="each contender per round")
    parser.add_argument(
        "--mediapipe",
        default=None,
        metavar="PYTHON",
        help="python of a venv with mediapipe installed",
    )
    parser.add_argument(
        "--tasklib",
        default=None,
        metavar="PYTHON",
        help="python of a venv with tflite-support installed",
    )
    parser.add_argument(
        "--before",
        default=None,
        metavar="DIR",
        help="another checkout of camapp (e.g. a worktree of main before a change) as one more "
        "contender, so before and after are measured in the same rounds",
    )
    parser.add_argument("--json", default=None, help="also write the rows here")
    # worker mode (internal)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--model", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--frame", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--roi", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.threads = args.threads[0] if isinstance(args.threads, list) else int(args.threads)
        worker(args)
        return
    rows = measure(args)
    print(format_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
