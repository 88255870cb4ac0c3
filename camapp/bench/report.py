"""Output of ``camapp bench``: the text table and the JSON and CSV files."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from camapp.store.variants import count_text

if TYPE_CHECKING:
    from camapp.bench.measure import BenchReport, BenchResult

#: JSON keys and CSV columns, in order.
FIELDS = (
    "model",
    "variant",
    "runtime",
    "runtime_version",
    "threads",
    "xnnpack",
    "source",
    "rounds",
    "load_ms",
    "invoke_ms_p50",
    "invoke_ms_p95",
    "invoke_ms_round_min",
    "invoke_ms_round_max",
    "invoke_samples",
    "invoke_vs_fastest",
    "e2e_fps",
    "e2e_fps_round_min",
    "e2e_fps_round_max",
    "e2e_frames",
    "e2e_invoke_ms_p50",
    "overhead_ratio",
    "cpu_percent",
    "invoke_cpu_percent",
    "peak_rss_mb",
    "macs_m",
    "top1_published",
    "top5_published",
    "top1_measured",
    "top5_measured",
    "eval_images",
    "published_latency_ms_pixel1",
    "published_latency_ms_pixel2",
    "published_latency_ms_pixel3",
    "tuned",
)


def write_json(results: Sequence[BenchResult], path: str | Path) -> None:
    """Writes the results as a JSON list of :data:`FIELDS`-keyed objects (atomically).

    Args:
        results: What :func:`~camapp.bench.measure.run_bench` measured.
        path: The file to write.
    """
    from camapp.base.config import atomic_write

    with atomic_write(path) as handle:
        json.dump([r.as_dict() for r in results], handle, indent=2)
        handle.write("\n")


def write_csv(results: Sequence[BenchResult], path: str | Path) -> None:
    """Writes the results as CSV with the JSON keys as columns (atomically; null is empty).

    Args:
        results: What :func:`~camapp.bench.measure.run_bench` measured.
        path: The file to write.
    """
    from camapp.base.config import atomic_write

    with atomic_write(path) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FIELDS), lineterminator="\n")
        writer.writeheader()
        for result in results:
            writer.writerow({k: "" if v is None else v for k, v in result.as_dict().items()})


def _num(value: float | None, spec: str = ".1f") -> str:
    """``value`` formatted with ``spec``, or ``-`` when unknown."""
    return "-" if value is None else format(value, spec)


def format_table(report: BenchReport) -> str:
    """The results as a fixed-width text table with a header line and notes.

    Args:
        report: What :func:`~camapp.bench.measure.run_bench` returned (at least one result).

    Returns:
        The table, lines joined with newlines, no trailing newline.
    """
    results = report.results
    several = len({r.runtime for r in results}) > 1
    first = results[0]
    width = max([len("model")] + [len(r.model) for r in results])
    lines = [
        f"camapp bench: {first.runtime} {first.runtime_version}"
        if not several
        else "camapp bench: "
        + ", ".join(sorted({f"{r.runtime} {r.runtime_version}" for r in results})),
    ]
    lines[0] += (
        f", {count_text(first.threads, 'thread')}, source {report.source} "
        f"({report.frame_size[0]}x{report.frame_size[1]}), {first.rounds} rounds, "
        f"{report.seconds:.0f} s"
    )
    runtime_col = f" {'runtime':<14}" if several else ""
    header = (
        f"{'model':<{width}}{runtime_col} {'load':>6} {'invoke':>7} {'p95':>7} "
        f"{'rounds p50':>13} {'vs':>6} {'e2e':>7} {'over-':>6} {'CPU':>5} {'RSS':>5} "
        f"{'MACs':>5} {'top-1':>5} {'top-1':>5} {'Pixel1':>6}  {'fastest here'}"
    )
    units = (
        f"{'':<{width}}{' ' * len(runtime_col)} {'ms':>6} {'p50 ms':>7} {'ms':>7} "
        f"{'min-max ms':>13} {'fastest':>6} {'fps':>7} {'head':>6} {'%':>5} {'MB':>5} "
        f"{'M':>5} {'publ':>5} {'meas':>5} {'ms':>6}  {'(tuned)'}"
    )
    lines += [header, units]
    for r in results:
        spread = f"{r.invoke_ms_round_min:.2f}-{r.invoke_ms_round_max:.2f}"
        runtime = f" {r.runtime:<14}" if several else ""
        lines.append(
            f"{r.model:<{width}}{runtime} {r.load_ms:>6.1f} {r.invoke_ms_p50:>7.2f} "
            f"{r.invoke_ms_p95:>7.2f} {spread:>13} {r.invoke_vs_fastest:>5.1f}x "
            f"{r.e2e_fps:>7.1f} {r.overhead_ratio:>6.2f} {r.cpu_percent:>5.0f} "
            f"{r.peak_rss_mb:>5.0f} {_num(r.macs_m, 'g'):>5} {_num(r.top1_published):>5} "
            f"{_num(r.top1_measured):>5} {_num(r.published_phone_ms):>6}  {r.tuned or '-'}"
        )
    lines.append(
        "invoke: interpreter only, after the app's preprocessing; e2e: capture thread + "
        "latest-frame slot + worker at full speed, no window; overhead = e2e ms per frame / "
        "invoke p50 in the same phase (ideal 1.00); CPU of that GUI-less pipeline (100 = one "
        "core); Pixel1: published phone latency; fastest here: the tuned threads x XNNPACK "
        "(camapp bench --tune, or the app on first use; - not tuned yet)."
    )
    return "\n".join(lines)


__all__ = ["FIELDS", "format_table", "write_csv", "write_json"]
