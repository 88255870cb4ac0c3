"""The runtime gap on one model: bare LiteRT/TF Lite invoke per runtime build vs the Task Library.

Not a test and not part of camapp (it imports nothing from it): a reproducer for the
question "why does the TF Lite Task Library 0.4.4 classify MobileNet V2 1.0 224 quant
faster than LiteRT's bare ``Interpreter.invoke()``?" (docs/runtime-gap.md).

Every contender runs in its own worker process (this same file with ``--worker``),
started once with its own venv's python and kept warm. The parent asks them in turn,
round after round (order reversed every other round), to run back-to-back for
``--seconds`` and report the median time per call; so within a round all contenders see
the same machine state, and the per-round paired ratio ``a / b`` cancels slow drifts
(thermal, the other load on the machine). The table gives, per thread count, the median
ms over the rounds and the median of the paired ratios with their range over the rounds.

Contenders:

* ``--runtime LABEL=PYTHON[;key=value...]``: bare ``invoke()`` (input set once, the photo
  resized to the model's input) of ``ai_edge_litert`` (or ``tflite_runtime``) in that
  python's venv. Keys: ``resolver=AUTO|BUILTIN|BUILTIN_REF|BUILTIN_WITHOUT_DEFAULT_DELEGATES``
  (``experimental_op_resolver_type``), ``latest=1``
  (``experimental_default_delegate_latest_features``), ``api=compiled`` (LiteRT 2.x
  ``CompiledModel`` on the CPU accelerator instead of the Interpreter), with it
  ``xnnpack_flags=N`` (``CpuOptions.xnnpack_flags``: QS8=1, QU8=2, FP16=4, dynamic FC=8,
  variable ops=16, transient indirection buffer=32, latest ops=64, subgraph reshaping=128,
  Slinky=256) and ``kernel_mode=BUILTIN|REFERENCE|DELEGATE``.
* ``--tasklib PYTHON``: ``tflite_support`` 0.4.4 ``ImageClassifier.classify`` with
  ``num_threads``, twice: on the 640x480 frame with a full-frame box (what an app does:
  resize + invoke + top-5) and on the photo already at the model's input size (``--size``,
  224 by default) with no box (pre-processing
  nearly nothing, so this is close to the Task Library's own invoke).

Set-up (wheels only; the Task Library has wheels for CPython <= 3.11)::

    python3.11 -m venv /tmp/rt-1.4.0 && /tmp/rt-1.4.0/bin/pip install ai-edge-litert==1.4.0
    python3.11 -m venv /tmp/tl-venv && /tmp/tl-venv/bin/pip install tflite-support==0.4.4
    .venv/bin/python packaging/runtime-gap.py \\
        --runtime "litert 2.3.0=.venv/bin/python" \\
        --runtime "litert 1.4.0=/tmp/rt-1.4.0/bin/python" \\
        --runtime "2.3.0 no XNNPACK=.venv/bin/python;resolver=BUILTIN_WITHOUT_DEFAULT_DELEGATES" \\
        --tasklib /tmp/tl-venv/bin/python --threads 1,2 --rounds 12

The parent needs NumPy and OpenCV (to read and scale the photo); workers need NumPy and
their runtime only. The first ``--runtime`` is the reference column unless ``--reference``.
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
DEFAULT_MODEL = REPO.parent / "shared" / "models" / "mobilenet_v2_1.0_224_quant.tflite"
DEFAULT_IMAGE = REPO.parent / "shared" / "images" / "cat.bmp"
TASKLIB_FULL = "Task Library classify 640x480"
TASKLIB_SMALL = "Task Library classify at input size"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
#: Other load (cores) below which a round counts as quiet, above which as busy.
QUIET, BUSY = 0.25, 0.6


# -- worker side ---------------------------------------------------------------------------
def _resize_nearest(image: Any, height: int, width: int) -> Any:
    import numpy as np

    rows = np.linspace(0, image.shape[0] - 1, height).astype(np.intp)
    cols = np.linspace(0, image.shape[1] - 1, width).astype(np.intp)
    return np.ascontiguousarray(image[rows][:, cols])


def _runtime_version() -> str:
    try:
        import ai_edge_litert

        return f"ai-edge-litert {getattr(ai_edge_litert, '__version__', '?')}"
    except ImportError:
        import tflite_runtime

        return f"tflite-runtime {tflite_runtime.__version__}"


def _interpreter_runner(model: str, threads: int, rgb: Any, opts: dict[str, str]) -> Any:
    import numpy as np

    try:
        from ai_edge_litert import interpreter as tfl
    except ImportError:
        from tflite_runtime import interpreter as tfl  # type: ignore[no-redef]

    kwargs: dict[str, Any] = {"model_path": model, "num_threads": threads}
    if "resolver" in opts:
        kwargs["experimental_op_resolver_type"] = tfl.OpResolverType[opts["resolver"]]
    if opts.get("latest") == "1":
        kwargs["experimental_default_delegate_latest_features"] = True
    interpreter = tfl.Interpreter(**kwargs)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    _, height, width, _ = detail["shape"]
    pixels = _resize_nearest(rgb, height, width)[None]
    if opts.get("input") == "zeros":  # what packaging/bench-overhead.py feeds its raw contender
        pixels = np.zeros_like(pixels)
    interpreter.set_tensor(detail["index"], pixels)
    delegated = sum(op["op_name"] == "DELEGATE" for op in interpreter._get_ops_details())
    return interpreter.invoke, f"{delegated} delegate partition(s)"


def _compiled_runner(model: str, threads: int, rgb: Any, opts: dict[str, str], size: int) -> Any:
    from ai_edge_litert.compiled_model import CompiledModel
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator
    from ai_edge_litert.options import CpuKernelMode, CpuOptions, Options

    cpu: dict[str, Any] = {"num_threads": threads}
    if "xnnpack_flags" in opts:
        cpu["xnnpack_flags"] = int(opts["xnnpack_flags"], 0)
    if "kernel_mode" in opts:
        cpu["kernel_mode"] = CpuKernelMode[opts["kernel_mode"]]
    options = Options(hardware_accelerators=HardwareAccelerator.CPU, cpu_options=CpuOptions(**cpu))
    compiled = CompiledModel.from_file(model, options=options)
    inputs = compiled.create_input_buffers(0)
    outputs = compiled.create_output_buffers(0)
    inputs[0].write(_resize_nearest(rgb, size, size).ravel())
    return (lambda: compiled.run_by_index(0, inputs, outputs)), (
        f"fully accelerated: {compiled.is_fully_accelerated()}"
    )


def _tasklib_runner(model: str, threads: int, rgb: Any, small: bool, size: int) -> Any:
    from tflite_support.task import core, processor, vision

    options = vision.ImageClassifierOptions(
        base_options=core.BaseOptions(file_name=model, num_threads=threads),
        classification_options=processor.ClassificationOptions(max_results=5),
    )
    classifier = vision.ImageClassifier.create_from_options(options)
    # TensorImage does not copy: the array must outlive it (kept in the closure below).
    pixels = _resize_nearest(rgb, size, size) if small else rgb
    tensor = vision.TensorImage.create_from_array(pixels)
    height, width = pixels.shape[:2]
    box = processor.BoundingBox(origin_x=0, origin_y=0, width=width, height=height)

    def run() -> Any:
        result = classifier.classify(tensor) if small else classifier.classify(tensor, box)
        return result, pixels

    return run, "no box" if small else "full-frame box"


def worker(args: argparse.Namespace) -> None:
    """Serves ``run SECONDS`` requests on stdin with one JSON line each on stdout."""
    import numpy as np

    rgb = np.load(args.frame)
    opts = dict(kv.split("=", 1) for kv in args.opts.split(";") if kv)
    if args.worker == "tasklib":
        small = opts.get("small") == "1"
        run, note = _tasklib_runner(args.model, args.threads, rgb, small, args.size)
        version = "tflite-support 0.4.4"
    elif opts.get("api") == "compiled":
        run, note = _compiled_runner(args.model, args.threads, rgb, opts, args.size)
        version = _runtime_version()
    else:
        run, note = _interpreter_runner(args.model, args.threads, rgb, opts)
        version = _runtime_version()
    for _ in range(10):  # warm-up: kernels packed, caches and thread pools up
        run()
    out = sys.stdout
    out.write(json.dumps({"ready": True, "version": version, "note": note}) + "\n")
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
        out.write(json.dumps({"ms": statistics.median(times) * 1e3}) + "\n")
        out.flush()


# -- parent side ---------------------------------------------------------------------------
class Contender:
    """One warm worker process."""

    def __init__(self, label: str, kind: str, python: str, opts: str, common: list[str]):
        self.label = label
        cmd = [python, str(HERE), "--worker", kind, "--opts", opts, *common]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", GLOG_minloglevel="3")
        # The runtimes log to stderr: a file, so a chatty worker never blocks on a pipe.
        self._log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        self.times: list[float] = []
        #: CPU the rest of the machine used while this contender ran, in cores, per round.
        self.foreign: list[float] = []
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        if not first.startswith("{"):
            self.proc.kill()
            error = self._tail()
            raise RuntimeError(error[-1] if error else "worker exited")
        hello = json.loads(first)
        self.version = hello["version"]
        self.note = hello["note"]

    def _tail(self) -> list[str]:
        self.proc.wait(10)
        self._log.seek(0)
        return self._log.read().strip().splitlines()[-3:]

    def cpu_seconds(self) -> float:
        """User + system CPU of the worker process (all its threads) so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def ask(self, seconds: float) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"run {seconds}\n")
        self.proc.stdin.flush()

    def answer(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label}: worker died: {' / '.join(self._tail())}")
        self.times.append(float(json.loads(line)["ms"]))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(10)
        self._log.close()


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (all cores, from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def _frame_file(image: Path, folder: str) -> str:
    import cv2
    import numpy as np

    picture = cv2.imread(str(image), cv2.IMREAD_COLOR)
    if picture is None:
        raise SystemExit(f"cannot read {image}")
    frame = cv2.resize(picture, (640, 480), interpolation=cv2.INTER_AREA)
    path = os.path.join(folder, "frame.npy")
    np.save(path, np.ascontiguousarray(frame[:, :, ::-1]))  # RGB
    return path


def _specs(args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    """(label, kind, python, opts) for every contender asked for."""
    specs = []
    for item in args.runtime:
        label, _, rest = item.partition("=")
        python, _, opts = rest.partition(";")
        if not label or not python:
            raise SystemExit(f"--runtime wants LABEL=PYTHON[;key=value...], got {item!r}")
        specs.append((label, "runtime", python, opts))
    if args.tasklib:
        specs.append((TASKLIB_FULL, "tasklib", args.tasklib, ""))
        specs.append((TASKLIB_SMALL, "tasklib", args.tasklib, "small=1"))
    return specs


def measure(args: argparse.Namespace) -> dict[int, list[Contender]]:
    """Runs every thread count; returns the finished contenders per thread count."""
    results: dict[int, list[Contender]] = {}
    with tempfile.TemporaryDirectory(prefix="runtime-gap-") as folder:
        frame = _frame_file(Path(args.image), folder)
        for threads in args.threads:
            common = ["--model", str(args.model), "--threads", str(threads), "--frame", frame]
            common += ["--size", str(args.size)]
            contenders = []
            for label, kind, python, opts in _specs(args):
                try:
                    contenders.append(Contender(label, kind, python, opts, common))
                except (RuntimeError, OSError) as exc:
                    print(f"  {label} left out: {exc}", file=sys.stderr)
            for r in range(args.rounds):
                for contender in contenders if r % 2 == 0 else contenders[::-1]:
                    busy0, own0, t0 = _machine_busy(), contender.cpu_seconds(), time.monotonic()
                    contender.ask(args.seconds)
                    contender.answer()
                    wall = time.monotonic() - t0
                    own = contender.cpu_seconds() - own0
                    contender.foreign.append(max(0.0, (_machine_busy() - busy0 - own) / wall))
            for contender in contenders:
                contender.close()
                print(
                    f"  {threads}t {contender.label}: {contender.version}, {contender.note}, "
                    f"{statistics.median(contender.times):.2f} ms, other load on the machine "
                    f"{statistics.median(contender.foreign):.2f} cores (median)",
                    file=sys.stderr,
                )
            results[threads] = contenders
    return results


def _ratio(a: list[float], b: list[float]) -> str:
    paired = [x / y for x, y in zip(a, b)]
    return f"{statistics.median(paired):.2f} ({min(paired):.2f}-{max(paired):.2f})"


def format_table(results: dict[int, list[Contender]], reference: str | None) -> str:
    """A Markdown table: one line per contender, three columns per thread count."""
    head = "| contender |"
    rule = "|---|"
    for threads in results:
        head += f" ms @{threads}t | / {TASKLIB_FULL.split(' classify')[0]} @{threads}t |"
        head += f" / {reference} @{threads}t |"
        rule += "---|---|---|"
    lines = [head, rule]
    labels = [c.label for c in next(iter(results.values()))]
    for label in labels:
        cells = [label]
        for contenders in results.values():
            by_label = {c.label: c.times for c in contenders}
            mine = by_label.get(label)
            if mine is None:
                cells += ["-", "-", "-"]
                continue
            cells.append(f"{statistics.median(mine):.2f}")
            tasklib = by_label.get(TASKLIB_FULL)
            cells.append(_ratio(mine, tasklib) if tasklib else "-")
            ref = by_label.get(reference or "")
            cells.append(_ratio(mine, ref) if ref else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_load_split(results: dict[int, list[Contender]]) -> str:
    """Paired ratios to the Task Library in quiet vs busy rounds (other load on the machine)."""
    lines = [
        f"| contender / {TASKLIB_FULL} | threads | quiet rounds (other load < {QUIET} core) "
        f"| busy rounds (> {BUSY} core) |",
        "|---|---|---|---|",
    ]
    for threads, contenders in results.items():
        by_label = {c.label: c for c in contenders}
        tasklib = by_label.get(TASKLIB_FULL)
        if tasklib is None:
            continue
        for c in contenders:
            if c is tasklib:
                continue
            quiet, busy = [], []
            for a, b, fa, fb in zip(c.times, tasklib.times, c.foreign, tasklib.foreign):
                if max(fa, fb) < QUIET:
                    quiet.append(a / b)
                elif min(fa, fb) > BUSY:
                    busy.append(a / b)
            cells = [
                f"{statistics.median(q):.2f} ({len(q)} rounds)" if q else "-" for q in (quiet, busy)
            ]
            lines.append(f"| {c.label} | {threads} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--image", default=str(DEFAULT_IMAGE), help="photo scaled to 640x480")
    parser.add_argument("--size", type=int, default=224, help="the model's input height/width")
    parser.add_argument(
        "--runtime",
        action="append",
        default=[],
        metavar="LABEL=PYTHON[;key=value...]",
        help="a runtime's venv python and options (repeat); see the module docstring",
    )
    parser.add_argument("--tasklib", default=None, metavar="PYTHON", help="tflite-support venv")
    parser.add_argument("--reference", default=None, help="label of the reference column")
    parser.add_argument(
        "--threads",
        type=lambda s: [int(v) for v in s.split(",")],
        default=[1, 2],
        help="thread counts, comma separated (default 1,2)",
    )
    parser.add_argument("--rounds", type=int, default=12, help="interleaved rounds (>= 12)")
    parser.add_argument("--seconds", type=float, default=0.3, help="each contender per round")
    # worker mode (internal)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--opts", default="", help=argparse.SUPPRESS)
    parser.add_argument("--frame", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.threads = args.threads[0]
        worker(args)
        return
    if not args.runtime and not args.tasklib:
        parser.error("give at least one --runtime or --tasklib")
    reference = args.reference or (args.runtime[0].partition("=")[0] if args.runtime else None)
    results = measure(args)
    print(format_table(results, reference))
    print()
    print(format_load_split(results))


if __name__ == "__main__":
    main()
