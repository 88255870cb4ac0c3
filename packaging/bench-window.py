"""What the window costs: the same video and model in ``camapp run`` and in a headless Session.

Not a test: it measures and prints a ratio table. Each round starts two processes in turn
(the order alternating each round), both reading the same 30 fps 640x480 video and
classifying with the same model and thread count:

* ``window``: ``camapp run --source VIDEO --model M --threads T --quit-after ...
  --stats-json ...`` (Qt offscreen by default; ``--xvfb`` runs it on a real X server at
  the given size, whose own CPU is not counted);
* ``headless``: a :class:`camapp.Session` on the same source, model and box, no Qt at all.

The parent reads each process's CPU time (user + system, all threads) from
``/proc/PID/stat`` after ``--warmup`` seconds and again ``--seconds`` later, so start-up
and the model load are left out; each child reports its invoke times over the same
window. The table gives, per model and thread count, the median over the rounds of the
paired ratios window / headless for CPU and for invoke p50, with their range.

Usage (from the repository, with the project's venv)::

    CAMAPP_MODEL_MIRROR=../shared/models .venv/bin/python packaging/bench-window.py
    .venv/bin/python packaging/bench-window.py --models mobilenet_v2_1.0_224_uint8 \\
        --threads 2 --rounds 6 --seconds 8 --json out.json
    # main before a change against this checkout, interleaved in one run:
    git worktree add /tmp/camapp-before main
    .venv/bin/python packaging/bench-window.py --checkouts /tmp/camapp-before,.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
from soak import write_video  # noqa: E402 - the soak's 30 fps video of six photos, one a second

DEFAULT_IMAGES = REPO.parent / "shared" / "images"
MODELS = ["mobilenet_v2_1.0_224_uint8", "mobilenet_v3_small_1.0_224_uint8"]
TICKS = os.sysconf("SC_CLK_TCK")

# The headless child: a Session over the same video, reporting invoke times in its window.
HEADLESS = r"""
import json, sys, time
from camapp import Session
source, model, threads, total, out = sys.argv[1:6]
times = []
with Session(source=source, model=model, threads=int(threads)) as session:
    def keep(p):
        times.append((time.monotonic(), p.classification.timings.invoke_ms))
    session.on_prediction(keep)
    session.wait_for_model(timeout=30)
    time.sleep(float(total))
    predictions = session.stats().primary.predictions
with open(out, "w") as f:
    json.dump({"times": times, "predictions": predictions}, f)
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (every thread) so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def run_one(
    kind: str,
    args: argparse.Namespace,
    model: str,
    threads: int,
    folder: str,
    video: str,
    code: str = "",
) -> dict[str, Any]:
    """One process: its CPU share and invoke p50 between warm-up and the end of the window."""
    total = args.warmup + args.seconds + 1.0
    out = os.path.join(folder, f"{kind}.json")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    if code:  # another checkout's camapp (e.g. main before a change), same venv
        env["PYTHONPATH"] = str(Path(code).resolve())
    if kind == "window":
        cmd = [
            sys.executable,
            "-m",
            "camapp",
            "run",
            "--source",
            video,
            "--model",
            model,
            "--threads",
            str(threads),
            "--quit-after",
            str(total),
            "--stats-json",
            out,
            "--no-save",
            "-q",
        ]
        if args.display:
            env["DISPLAY"] = args.display
            env["QT_QPA_PLATFORM"] = "xcb"
    else:
        cmd = [sys.executable, "-c", HEADLESS, video, model, str(threads), str(total), out]
    # Started in the scratch folder: "python -m" puts the working folder first on sys.path,
    # which would otherwise pick the checkout it is run from over --checkouts.
    proc = subprocess.Popen(
        cmd, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    # Start counting when the first answer is out, plus the warm-up: not the start-up.
    time.sleep(args.warmup + 1.0)
    t0, c0 = time.monotonic(), cpu_seconds(proc.pid)
    time.sleep(args.seconds)
    t1, c1 = time.monotonic(), cpu_seconds(proc.pid)
    _, err = proc.communicate(timeout=60)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed ({proc.returncode}): {err.strip()[-400:]}")
    data = json.loads(Path(out).read_text())
    if kind == "window":
        p50 = data["inference_ms_p50"]
    else:
        # Over the whole run, as camapp run's --stats-json gives it.
        p50 = statistics.median(ms for _, ms in data["times"])
    return {"cpu": (c1 - c0) / (t1 - t0), "invoke_p50_ms": p50}


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    codes = args.checkouts or [""]
    with tempfile.TemporaryDirectory(prefix="camapp-window-") as folder:
        video = str(write_video(Path(folder) / "scenes.avi", Path(args.images)))
        for model in args.models:
            for threads in args.threads:
                got: dict[str, dict[str, list[dict[str, Any]]]] = {
                    code: {"window": [], "headless": []} for code in codes
                }
                for r in range(args.rounds):
                    runs = [(code, kind) for code in codes for kind in ("window", "headless")]
                    for code, kind in runs if r % 2 == 0 else runs[::-1]:
                        got[code][kind].append(
                            run_one(kind, args, model, threads, folder, video, code)
                        )
                for code in codes:
                    rows.append(_row(model, threads, got[code], code))
                    print(_row_line(rows[-1]), file=sys.stderr)
    return rows


def _row(
    model: str, threads: int, got: dict[str, list[dict[str, Any]]], code: str
) -> dict[str, Any]:
    row: dict[str, Any] = {"model": model, "threads": threads, "code": code or "this checkout"}
    for key in ("cpu", "invoke_p50_ms"):
        w = [g[key] for g in got["window"]]
        h = [g[key] for g in got["headless"]]
        paired = [a / b for a, b in zip(w, h)]
        row[key] = {
            "window": statistics.median(w),
            "headless": statistics.median(h),
            "ratio": statistics.median(paired),
            "low": min(paired),
            "high": max(paired),
        }
    return row


def _row_line(row: dict[str, Any]) -> str:
    c, i = row["cpu"], row["invoke_p50_ms"]
    return (
        f"  {row['code']}: {row['model']} @ {row['threads']}t: CPU window {c['window']:.2f}"
        f" / headless {c['headless']:.2f} cores;"
        f" invoke p50 {i['window']:.2f} / {i['headless']:.2f} ms"
    )


def format_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| code | model @ threads | CPU window / headless (cores) | window / headless CPU "
        "| invoke p50 window / headless (ms) | window / headless invoke |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        c, i = r["cpu"], r["invoke_p50_ms"]
        lines.append(
            f"| {r['code']} | {r['model']} @{r['threads']}t "
            f"| {c['window']:.2f} / {c['headless']:.2f} "
            f"| {c['ratio']:.2f} ({c['low']:.2f}-{c['high']:.2f}) "
            f"| {i['window']:.2f} / {i['headless']:.2f} "
            f"| {i['ratio']:.2f} ({i['low']:.2f}-{i['high']:.2f}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default=str(DEFAULT_IMAGES))
    parser.add_argument("--models", type=lambda s: s.split(","), default=MODELS)
    parser.add_argument("--threads", type=lambda s: [int(v) for v in s.split(",")], default=[2])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds left out at start")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds measured")
    parser.add_argument(
        "--xvfb",
        default=None,
        metavar="WxH",
        help="run the window on an Xvfb server of this size, e.g. 800x480",
    )
    parser.add_argument(
        "--checkouts",
        type=lambda s: s.split(","),
        default=None,
        metavar="DIR,DIR",
        help="measure these checkouts' camapp side by side (e.g. a worktree of main before a "
        "change, and this one: .), interleaved",
    )
    parser.add_argument("--json", default=None, help="also write the rows here")
    args = parser.parse_args()
    args.display = None
    xvfb = None
    if args.xvfb:
        if shutil.which("Xvfb") is None:
            raise SystemExit("--xvfb needs Xvfb: sudo apt install xvfb")
        args.display = ":77"
        xvfb = subprocess.Popen(
            ["Xvfb", args.display, "-screen", "0", f"{args.xvfb}x24"], stderr=subprocess.DEVNULL
        )
        time.sleep(1.0)
    try:
        rows = measure(args)
    finally:
        if xvfb is not None:
            xvfb.terminate()
    print(format_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
