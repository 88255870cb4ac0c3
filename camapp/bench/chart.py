"""The ``camapp bench --plot`` chart: latency against ImageNet top-1, Pareto front marked."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from camapp.base.errors import CamappError
from camapp.bench.measure import PHONE
from camapp.store.variants import count_text

if TYPE_CHECKING:
    from camapp.bench.measure import BenchResult

PLOT_INSTALL_HINT = "install it with: pip install 'camapp[plot]'"


@dataclass(frozen=True)
class PlotPoint:
    """One plotted marker: ``series`` is ``measured`` or ``published``."""

    label: str
    latency_ms: float
    top1: float
    series: str
    pareto: bool = False


def require_matplotlib() -> None:
    """Checks that the optional plotting extra is installed.

    Raises:
        CamappError: One line with the install hint when matplotlib is missing.
    """
    if importlib.util.find_spec("matplotlib") is None:
        raise CamappError("--plot needs matplotlib, which is not installed", PLOT_INSTALL_HINT)


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both latency (lower) and top-1 (higher).

    Args:
        points: ``(latency, top1)`` pairs.

    Returns:
        The indices of the front, in order of increasing latency.
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], float("-inf")
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def _cpu_name() -> str:
    """The CPU model for the chart's title (``/proc/cpuinfo``, else ``platform``)."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def plot_results(
    results: Sequence[BenchResult], path: str | Path, measured_accuracy: bool = False
) -> list[PlotPoint]:
    """Draws the MobileNet papers' chart: latency (x, log) against ImageNet top-1 (y).

    One labelled point per model and runtime at its measured median invoke latency, the
    Pareto front highlighted, and the published phone latency (Pixel 1) of the same model
    as a second series where the catalog knows it. Models without a top-1 figure are named
    in a footnote instead.

    Args:
        results: What :func:`run_bench` measured.
        path: The PNG to write (atomically).
        measured_accuracy: Plot measured top-1 (``--eval``) instead of the published one.

    Returns:
        Every plotted point (measured points first).

    Raises:
        CamappError: When matplotlib is not installed.
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from camapp.base.config import atomic_write
    from camapp.inference.runtime import default_threads

    several = len({r.runtime for r in results}) > 1

    def top1_of(r: BenchResult) -> float | None:
        return r.top1_measured if measured_accuracy else r.top1_published

    def label_of(r: BenchResult) -> str:
        return f"{r.label} ({r.runtime})" if several else r.label

    plotted = [r for r in results if top1_of(r) is not None]
    missing = [label_of(r) for r in results if top1_of(r) is None]
    coords = [(r.invoke_ms_p50, float(top1_of(r))) for r in plotted]  # type: ignore[arg-type]
    front = set(pareto_front(coords))
    points = [
        PlotPoint(label_of(r), x, y, "measured", i in front)
        for i, (r, (x, y)) in enumerate(zip(plotted, coords, strict=True))
    ]
    phone_pairs = []
    for r, point in zip(plotted, points, strict=True):
        phone_ms = r.published_phone_ms
        y = r.top1_published if r.top1_published is not None else point.top1
        if phone_ms is not None and y is not None:
            phone_pairs.append((point, PlotPoint(label_of(r), phone_ms, float(y), "published")))

    fig = Figure(figsize=(11, 7), dpi=110)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.grid(True, which="major", color="#dddddd", linewidth=0.8)
    ax.grid(True, which="minor", axis="x", color="#f0f0f0", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    blue, orange, grey = "#1f5fa8", "#e8710a", "#8a8a8a"
    for measured, phone in phone_pairs:
        ax.plot(
            [measured.latency_ms, phone.latency_ms],
            [measured.top1, phone.top1],
            color=grey,
            linewidth=0.8,
            linestyle=":",
            zorder=1,
        )
    if phone_pairs:
        ax.scatter(
            [p.latency_ms for _, p in phone_pairs],
            [p.top1 for _, p in phone_pairs],
            s=46,
            facecolors="white",
            edgecolors=grey,
            linewidths=1.4,
            marker="D",
            zorder=2,
            label=f"published latency, {PHONE.replace('pixel', 'Pixel ')} (model card)",
        )
    front_points = sorted((p for p in points if p.pareto), key=lambda p: p.latency_ms)
    if len(front_points) > 1:
        ax.plot(
            [p.latency_ms for p in front_points],
            [p.top1 for p in front_points],
            color=orange,
            linewidth=6,
            alpha=0.25,
            solid_capstyle="round",
            zorder=2,
        )
    rest = [p for p in points if not p.pareto]
    ax.scatter(
        [p.latency_ms for p in rest],
        [p.top1 for p in rest],
        s=42,
        color=blue,
        alpha=0.75,
        zorder=3,
        label="measured here (median invoke)",
    )
    ax.scatter(
        [p.latency_ms for p in front_points],
        [p.top1 for p in front_points],
        s=60,
        color=blue,
        edgecolors=orange,
        linewidths=2.0,
        zorder=4,
        label="Pareto front (nothing both faster and more accurate)",
    )

    all_points = points + [p for _, p in phone_pairs]
    if all_points:
        xs = [p.latency_ms for p in all_points]
        ys = [p.top1 for p in all_points]
        ax.set_xlim(min(xs) / 1.6, max(xs) * 1.9)
        pad = max(2.0, (max(ys) - min(ys)) * 0.08)
        ax.set_ylim(min(ys) - pad, max(ys) + pad)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("latency per image, ms (log scale)")
    accuracy = "measured with --eval" if measured_accuracy else "published"
    ax.set_ylabel(f"ImageNet top-1, % ({accuracy})")
    first = results[0]
    runtimes = ", ".join(sorted({f"{r.runtime} {r.runtime_version}" for r in results}))
    ax.set_title(
        f"Accuracy vs latency: {len(points)} MobileNet variants measured on this machine\n"
        f"{_cpu_name()}, {default_threads()} cores, "
        f"{count_text(first.threads, 'interpreter thread')}, "
        f"{runtimes}, XNNPACK {'on' if first.xnnpack else 'off'}",
        fontsize=11,
        loc="left",
    )
    if all_points:
        ax.legend(loc="lower right", fontsize=8.5, frameon=True, framealpha=0.9)
    if missing:
        fig.text(
            0.01,
            0.01,
            "not plotted (no top-1 figure): " + ", ".join(missing),
            fontsize=7.5,
            color=grey,
            ha="left",
            va="bottom",
            wrap=True,
        )
    fig.tight_layout(rect=(0, 0.03 if missing else 0, 1, 1))
    _place_labels(ax, canvas, points + [p for _, p in phone_pairs], blue, grey)
    with atomic_write(path, "wb") as handle:
        canvas.print_png(handle)  # type: ignore[no-untyped-call]
    return all_points


def _place_labels(
    ax: Any, canvas: Any, points: list[PlotPoint], color: str, phone_color: str
) -> None:
    """Labels each point where its text overlaps no other label, marker or the legend."""
    renderer = canvas.get_renderer()
    to_display = ax.transData.transform
    taken = []
    for p in points:
        x, y = to_display((p.latency_ms, p.top1))
        taken.append((x - 5, y - 5, x + 5, y + 5))
    legend = ax.get_legend()
    if legend is not None:
        box = legend.get_window_extent(renderer)
        taken.append((box.x0, box.y0, box.x1, box.y1))
    axes_box = ax.get_window_extent(renderer)
    candidates: list[tuple[float, float, str, str]] = [
        (7, 0, "left", "center"),
        (-7, 0, "right", "center"),
        (6, 6, "left", "bottom"),
        (6, -6, "left", "top"),
        (-6, 6, "right", "bottom"),
        (-6, -6, "right", "top"),
        (0, 8, "center", "bottom"),
        (0, -8, "center", "top"),
    ]
    candidates += [
        (dx * k, dy * k, ha, va) for k in (2.2, 3.5) for dx, dy, ha, va in candidates[2:]
    ]

    def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    def place(
        label: str,
        xy: tuple[float, float],
        style: dict[str, Any],
        dx: float,
        dy: float,
        ha: str,
        va: str,
    ) -> tuple[Any, Any]:
        """``label`` at this offset from ``xy`` (with a leader line when far): text, box."""
        far = abs(dx) > 10 or abs(dy) > 10
        text = ax.annotate(
            label,
            xy,
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            arrowprops=dict(arrowstyle="-", color="#b0b0b0", linewidth=0.6) if far else None,
            **style,
        )
        return text, text.get_window_extent(renderer)

    # Points in dense places first, so they get the nearest free spots.
    for p in sorted(points, key=lambda p: (p.series != "measured", p.latency_ms)):
        phone = p.series == "published"
        text_kwargs = dict(
            fontsize=7.5 if phone else 8.5, color=phone_color if phone else "#222222", zorder=5
        )
        label = f"{p.label} (phone)" if phone else p.label
        chosen = None
        for candidate in candidates:
            text, box = place(label, (p.latency_ms, p.top1), text_kwargs, *candidate)
            rect = (box.x0 - 1, box.y0 - 1, box.x1 + 1, box.y1 + 1)
            inside = (
                box.x0 >= axes_box.x0
                and box.x1 <= axes_box.x1
                and box.y0 >= axes_box.y0
                and box.y1 <= axes_box.y1
            )
            if inside and not any(overlaps(rect, other) for other in taken):
                chosen = rect
                break
            text.remove()
        if chosen is None:  # crowded: accept the first spot rather than drop the label
            _, box = place(label, (p.latency_ms, p.top1), text_kwargs, *candidates[0])
            chosen = (box.x0, box.y0, box.x1, box.y1)
        taken.append(chosen)


__all__ = ["PLOT_INSTALL_HINT", "PlotPoint", "pareto_front", "plot_results", "require_matplotlib"]
