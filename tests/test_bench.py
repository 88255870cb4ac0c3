"""``camapp bench`` on real models: schema of its files, the chart, --eval, errors."""

from __future__ import annotations

import csv
import json

import cv2
import pytest
from conftest import IMAGES

from camapp.bench.chart import pareto_front, plot_results
from camapp.cli import main

TWO = "mobilenet_v1_0.25_128_uint8,mobilenet_v2_1.0_224_uint8"
REQUIRED = {
    "model",
    "runtime",
    "threads",
    "load_ms",
    "invoke_ms_p50",
    "invoke_ms_p95",
    "e2e_fps",
    "overhead_ratio",
    "cpu_percent",
    "peak_rss_mb",
    "top1_published",
    "top1_measured",
}


@pytest.fixture(scope="module")
def tiny_run(models_dir, tmp_path_factory):
    """Two real models, synthetic frames, about a second of measuring."""
    out = tmp_path_factory.mktemp("bench")
    code = main(
        [
            "--models-dir",
            str(models_dir),
            "bench",
            "--models",
            TWO,
            "--source",
            "synthetic",
            "--e2e-seconds",
            "0.3",
            "--duration",
            "1",
            "--rounds",
            "2",
            "--warmup",
            "3",
            "--threads",
            "2",
            "--json",
            str(out / "b.json"),
            "--csv",
            str(out / "b.csv"),
            "--plot",
            str(out / "b.png"),
        ]
    )
    assert code == 0
    return out


def test_bench_json_has_one_sane_record_per_model(tiny_run, catalog):
    records = json.loads((tiny_run / "b.json").read_text())
    assert [r["model"] for r in records] == TWO.split(",")
    for record in records:
        assert REQUIRED <= set(record)
        assert record["runtime"] == "litert" and record["threads"] == 2
        assert record["invoke_ms_p50"] > 0 and record["invoke_ms_p95"] >= record["invoke_ms_p50"]
        assert record["e2e_fps"] > 0 and record["overhead_ratio"] > 0.5
        assert record["peak_rss_mb"] > 10 and record["cpu_percent"] > 0
        assert record["top1_published"] == catalog.get(record["model"]).published.top1
        assert record["top1_measured"] is None
    # The published size of each variant comes with its timing (no timing is compared here:
    # a noisy machine makes that a benchmark's job, not a test's).
    assert [r["macs_m"] for r in records] == [
        catalog.get(r["model"]).published.macs_m for r in records
    ]


def test_bench_csv_has_the_same_columns_and_rows(tiny_run):
    with open(tiny_run / "b.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    assert REQUIRED <= set(rows[0])
    records = json.loads((tiny_run / "b.json").read_text())
    assert [float(r["invoke_ms_p50"]) for r in rows] == [r["invoke_ms_p50"] for r in records]


def test_bench_chart_is_a_png_with_a_point_per_model(tiny_run, models_dir, tmp_path):
    data = (tiny_run / "b.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(tiny_run / "b.png"))
    assert image is not None and image.shape[0] > 300
    from camapp.bench.measure import BenchResult

    records = json.loads((tiny_run / "b.json").read_text())
    results = [BenchResult(**r) for r in records]
    points = plot_results(results, tmp_path / "again.png")
    measured = [p for p in points if p.series == "measured"]
    assert sorted(p.label for p in measured) == sorted(r.label for r in results)
    assert len({p.label for p in measured}) == 2


def test_pareto_front_keeps_only_unbeaten_points():
    points = [(1.0, 40.0), (2.0, 70.0), (3.0, 65.0), (4.0, 75.0), (0.5, 30.0)]
    assert pareto_front(points) == [4, 0, 1, 3]


def test_bench_with_eval_measures_top1(models_dir, tmp_path):
    for folder, name in (("tabby", "cat.bmp"), ("macaw", "parrot.jpg")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_bytes((IMAGES / name).read_bytes())
    out = tmp_path / "e.json"
    code = main(
        [
            "--models-dir",
            str(models_dir),
            "bench",
            "--models",
            "mobilenet_v2_1.0_224_uint8",
            "--e2e-seconds",
            "0.3",
            "--duration",
            "0.5",
            "--rounds",
            "1",
            "--warmup",
            "2",
            "--eval",
            str(tmp_path),
            "--json",
            str(out),
        ]
    )
    assert code == 0
    record = json.loads(out.read_text())[0]
    assert record["top1_measured"] == 50.0  # macaw right; the cat's top-1 is 'Egyptian cat'


def test_bench_on_a_video_uses_the_real_capture_thread(models_dir, scene_video, tmp_path):
    out = tmp_path / "v.json"
    code = main(
        [
            "--models-dir",
            str(models_dir),
            "bench",
            "--models",
            "mobilenet_v1_0.25_128_uint8",
            "--source",
            str(scene_video),
            "--e2e-seconds",
            "0.3",
            "--duration",
            "0.5",
            "--rounds",
            "1",
            "--warmup",
            "2",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    assert json.loads(out.read_text())[0]["e2e_fps"] > 0
    # The pipeline phase reads the video unpaced: on demand, one frame ahead of the worker.
    from camapp.capture.still_loop import open_unpaced_source

    source = open_unpaced_source(str(scene_video))
    try:
        assert source.on_demand and not source.realtime
    finally:
        source.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", "mobilenet_v9"], "unknown model id"),
        (["--source", "/no/such.mp4"], "source not found"),
        (["--runtimes", "tflite-runtime"], "tflite-runtime"),
    ],
)
def test_bench_errors_are_one_line(args, message, models_dir, capsys):
    code = main(
        [
            "--models-dir",
            str(models_dir),
            "bench",
            "--models",
            "mobilenet_v1_0.25_128_uint8",
            "--e2e-seconds",
            "0.3",
            "--duration",
            "0.2",
            *args,
        ]
    )
    err = capsys.readouterr().err
    assert code != 0
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("source", ["synthetic", "scene_video", str(IMAGES / "cat.bmp")])
def test_invoke_phase_samples_several_frames_from_on_demand_sources(source, scene_video):
    # On-demand sources produce the next frame only once the current one was taken.
    from camapp.capture.still_loop import sample_frames

    spec = str(scene_video) if source == "scene_video" else source
    frames = sample_frames(spec, count=8)
    assert len(frames) == 8
    assert all(f.shape[2] == 3 for f in frames)


def test_the_table_and_json_show_the_path_tuned_here(models_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = TWO.split(",")[0]
    base = ["--models-dir", str(models_dir), "bench", "--models", model]
    assert main([*base, "--tune"]) == 0
    grid = capsys.readouterr().out
    fastest = next(line for line in grid.splitlines() if line.endswith("<- fastest"))
    measured = base + ["--source", "synthetic", "--duration", "0.5", "--e2e-seconds", "0.3"]
    assert main([*measured, "--rounds", "2", "--json", str(tmp_path / "b.json")]) == 0
    table = capsys.readouterr().out
    record = json.loads((tmp_path / "b.json").read_text())[0]
    # The path the grid marked fastest is the one the table and the JSON name.
    assert record["tuned"] and record["tuned"] == fastest.split("(")[0].strip()
    assert "fastest here" in table and record["tuned"] in table
