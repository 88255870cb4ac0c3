"""The command line as a user runs it: real models, real photos, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from conftest import CAT_LABELS, IMAGES, MIRROR, REPO

from camapp.cli import main


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    """Runs ``python -m camapp`` as a user would; returns the completed process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "camapp", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=120,
    )


def test_classify_json_names_the_cat_with_every_installed_model(
    models_dir, installed_classifiers, capsys
):
    for model in installed_classifiers:
        code = main(
            [
                "--models-dir",
                str(models_dir),
                "classify",
                str(IMAGES / "cat.bmp"),
                "--model",
                model,
                "--top-k",
                "3",
                "--json",
                "--threads",
                "2",
            ]
        )
        assert code == 0
        record = json.loads(capsys.readouterr().out)
        assert CAT_LABELS & set(record["labels"]), model
        assert set(record) >= {"labels", "scores", "indices", "timings_ms"}
        assert set(record["timings_ms"]) >= {"preprocess", "invoke", "postprocess"}


def test_classify_prints_one_block_per_image(models_dir, capsys):
    code = main(
        [
            "--models-dir",
            str(models_dir),
            "classify",
            str(IMAGES / "parrot.jpg"),
            str(IMAGES / "burger.jpg"),
            "--model",
            "mobilenet_v3_small_1.0_224_uint8",
            "--top-k",
            "2",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "macaw" in out and "cheeseburger" in out


def test_classify_with_roi_and_path_plus_labels(capsys):
    code = main(
        [
            "classify",
            str(IMAGES / "parrot.jpg"),
            "--model",
            str(MIRROR / "mobilenet_v1_0.75_192_quant.tflite"),
            "--labels",
            str(MIRROR / "labels.txt"),
            "--roi",
            "0.1,0.1,0.9,0.9",
            "--json",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["labels"][0] == "macaw"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["classify", "/no/such/cat.jpg"], "/no/such/cat.jpg: not found"),
        (["classify", "{img}", "--model", "mobilenet_v9_huge"], "unknown model id"),
        (
            ["classify", "{img}", "--model", "mobilenet_v3_large_1.0_224_uint8"],
            "is not installed (run 'camapp models install mobilenet_v3_large_1.0_224_uint8')",
        ),
        (["classify", "{img}", "--model", "{corrupt}"], "is not a usable TFLite model"),
        (
            ["classify", "{img}", "--model", "{model}", "--labels", "{badlabels}"],
            "has 2 labels but the model has 1001 outputs",
        ),
        (["classify", "{img}", "--roi", "1,2"], "cannot read ROI"),
    ],
)
def test_errors_are_one_line_without_traceback(args, message, models_dir, tmp_path):
    corrupt = tmp_path / "corrupt.tflite"
    corrupt.write_bytes(b"not a model at all" * 100)
    badlabels = tmp_path / "labels.txt"
    badlabels.write_text("cat\ndog\n")
    fill = {
        "img": str(IMAGES / "cat.bmp"),
        "corrupt": str(corrupt),
        "model": str(MIRROR / "mobilenet_v1_0.25_128_quant.tflite"),
        "badlabels": str(badlabels),
    }
    argv = [a.format(**fill) for a in args]
    result = run_cli(
        "--models-dir",
        str(models_dir),
        *argv,
        cwd=tmp_path,
        env={"XDG_DATA_HOME": str(tmp_path / "data")},
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr


def test_models_list_json_has_the_documented_fields(models_dir, capsys):
    assert main(["--models-dir", str(models_dir), "models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) >= 80
    for row in rows:
        assert set(row) >= {
            "id",
            "kind",
            "family",
            "width_multiplier",
            "resolution",
            "quantization",
            "installed",
            "top1",
        }
    by_id = {row["id"]: row for row in rows}
    assert by_id["mobilenet_v2_1.0_224_uint8"]["installed"] is True
    assert by_id["mobilenet_v3_large_1.0_224_uint8"]["installed"] is False
    assert by_id["mobilenet_v1_1.0_224_uint8_embedder"]["kind"] == "embedder"


def test_models_install_from_mirror_then_verify(tmp_path, capsys):
    target = tmp_path / "models"
    code = main(
        [
            "--models-dir",
            str(target),
            "models",
            "install",
            "mobilenet_v1_0.25_128_uint8",
            "mobilenet_v3_large_1.0_224_uint8",
            "--from",
            str(MIRROR),
        ]
    )
    out = capsys.readouterr()
    assert code == 1  # one id was not available from the mirror
    assert "installed   mobilenet_v1_0.25_128_uint8" in out.out
    assert "unavailable mobilenet_v3_large_1.0_224_uint8" in out.out
    assert main(["--models-dir", str(target), "models", "verify"]) == 0
    assert "ok        mobilenet_v1_0.25_128_quant.tflite" in capsys.readouterr().out


def test_models_install_uses_the_mirror_environment_variable(tmp_path):
    result = run_cli(
        "--models-dir",
        str(tmp_path / "m"),
        "models",
        "install",
        "--defaults",
        env={"CAMAPP_MODEL_MIRROR": str(MIRROR)},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "4 of 4 ready" in result.stdout


def test_eval_reports_top1_and_top5_on_a_labelled_folder(tmp_path, models_dir, capsys):
    for folder, name in (
        ("tabby", "cat.bmp"),
        ("macaw", "parrot.jpg"),
        ("cheeseburger", "burger.jpg"),
        ("n01592084", "bird.bmp"),
    ):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_bytes((IMAGES / name).read_bytes())
    code = main(
        [
            "--models-dir",
            str(models_dir),
            "eval",
            str(tmp_path),
            "--model",
            "mobilenet_v2_1.0_224_uint8",
            "--model",
            "mobilenet_v1_0.25_128_uint8",
            "--json",
        ]
    )
    assert code == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in results] == [
        "mobilenet_v2_1.0_224_uint8",
        "mobilenet_v1_0.25_128_uint8",
    ]
    v2 = results[0]
    # The cat photo is top-1 'Egyptian cat', so 'tabby' is only in the top-5.
    assert v2["images"] == 4 and v2["skipped"] == 0
    assert v2["top1"] == 75.0 and v2["top5"] == 100.0


def test_eval_accepts_a_csv_of_file_and_label(tmp_path, models_dir, capsys):
    (tmp_path / "cat.bmp").write_bytes((IMAGES / "cat.bmp").read_bytes())
    (tmp_path / "parrot.jpg").write_bytes((IMAGES / "parrot.jpg").read_bytes())
    (tmp_path / "set.csv").write_text("file,label\ncat.bmp,Egyptian cat\nparrot.jpg,macaw\n")
    code = main(
        [
            "--models-dir",
            str(models_dir),
            "eval",
            str(tmp_path / "set.csv"),
            "--model",
            "mobilenet_v2_1.0_224_uint8",
            "--json",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)[0]["top1"] == 100.0


def test_version_prints_runtime_opencv_and_threads(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert "runtime litert" in out and "opencv" in out and "threads" in out


def test_tflite_runtime_is_refused_under_numpy_2_with_the_reason():
    import numpy

    if int(numpy.__version__.split(".")[0]) < 2:
        pytest.skip("only meaningful under NumPy 2")
    result = run_cli(
        "--runtime",
        "tflite-runtime",
        "classify",
        str(IMAGES / "cat.bmp"),
        "--model",
        str(MIRROR / "mobilenet_v1_0.25_128_quant.tflite"),
        "--labels",
        str(MIRROR / "labels.txt"),
    )
    assert result.returncode == 1
    assert "tflite-runtime does not work with NumPy 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_core_modules_do_not_import_pyqt():
    code = (
        "import sys\n"
        "import camapp.cli, camapp.inference.classifier, camapp.capture.sources, "
        "camapp.pipeline.worker, camapp.store.model_store, camapp.store.install, "
        "camapp.store.catalog, "
        "camapp.bench.evaluate, camapp.bench\n"
        "from camapp.cli import build_parser; build_parser()\n"
        "assert not [m for m in sys.modules if m.startswith('PyQt')], 'PyQt imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- the default command, options everywhere, exit statuses, logging -------------------------
@pytest.fixture
def window_calls(monkeypatch) -> list:
    """Stands in for the window: records what ``run_app`` was given (no Qt is loaded)."""
    calls: list = []
    fake = types.ModuleType("camapp.ui.app")
    fake.run_app = lambda args: calls.append(args) or 0
    monkeypatch.setitem(sys.modules, "camapp.ui.app", fake)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.delenv("CAMAPP_RUNTIME", raising=False)
    return calls


def test_run_options_without_a_command_open_the_window(window_calls):
    assert main(["--runtime=litert", "--source", "photo.jpg"]) == 0
    [args] = window_calls
    assert (args.runtime, args.source, args.model, args.swap_after) == (
        "litert",
        "photo.jpg",
        None,
        5.0,
    )
    assert "CAMAPP_RUNTIME" not in os.environ  # passed along, not through the environment


def test_a_source_named_like_a_command_is_a_source(window_calls):
    assert main(["--source", "models"]) == 0
    assert window_calls[0].source == "models"


def test_run_command_keeps_working_and_takes_options_from_both_sides(window_calls):
    assert main(["run", "--source", "0", "--threads", "2"]) == 0
    assert main(["--source", "a.mp4", "--model", "m1", "run", "--model", "m2"]) == 0
    first, second = window_calls
    assert (first.source, first.threads, first.fullscreen) == ("0", 2, False)
    assert (second.source, second.model) == ("a.mp4", "m2")


def test_a_window_option_before_another_command_is_a_usage_error(window_calls, capsys):
    assert main(["--model", "m", "classify", "cat.jpg"]) == 2
    assert "--model: window options go after 'camapp run'" in capsys.readouterr().err
    assert window_calls == []


def test_top_level_help_lists_the_run_options(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--source SOURCE" in out and "--fullscreen" in out and "classify" in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["run"],
        ["info"],
        ["classify", "x.jpg"],
        ["eval", "dir"],
        ["models"],
        ["models", "list"],
        ["models", "install"],
        ["models", "verify"],
        ["models", "dirs"],
        ["bench"],
    ],
)
def test_verbose_and_quiet_are_accepted_by_every_command(argv):
    from camapp.cli.parser import build_parser, parse_args

    parser = build_parser()
    assert parse_args(parser, ["-v", *argv]).verbose == 1
    after = parse_args(parser, [*argv, "-q", "-q"])
    assert (after.verbose, after.quiet) == (0, 2)
    assert parse_args(parser, ["--verbose", *argv, "--quiet"]).quiet == 1


@pytest.mark.parametrize(
    "argv", [["--bogus"], ["models", "frobnicate"], ["classify"], ["--mode", "x"]]
)
def test_usage_errors_exit_with_2(argv, capsys):
    assert main(argv) == 2
    assert "usage: camapp" in capsys.readouterr().err


def test_an_unknown_model_id_is_a_failure_not_a_usage_error(models_dir, capsys):
    code = main(
        ["--models-dir", str(models_dir), "classify", str(IMAGES / "cat.bmp"), "--model", "nope"]
    )
    assert code == 1
    assert capsys.readouterr().err.startswith("camapp: unknown model id 'nope'")


def _broken_catalog(monkeypatch, exc: BaseException) -> None:
    from camapp.store.catalog import Catalog

    def load(path=None):
        raise exc

    monkeypatch.setattr(Catalog, "load", staticmethod(load))


def test_an_unexpected_error_is_one_line_and_exit_1(monkeypatch, capsys):
    _broken_catalog(monkeypatch, RuntimeError("boom"))
    assert main(["models", "list"]) == 1
    assert capsys.readouterr().err == "camapp: RuntimeError: boom (run with -v for details)\n"


def test_verbose_shows_the_traceback_of_an_unexpected_error(monkeypatch, capsys):
    _broken_catalog(monkeypatch, RuntimeError("boom"))
    assert main(["models", "list", "-v"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().endswith("camapp: RuntimeError: boom (run with -v for details)")


def test_ctrl_c_exits_with_130(monkeypatch, capsys):
    _broken_catalog(monkeypatch, KeyboardInterrupt())
    assert main(["models", "list"]) == 130
    assert capsys.readouterr().err == "camapp: interrupted\n"


def test_quiet_levels_hide_info_then_warnings_but_never_errors(capsys):
    import logging

    from camapp.cli.logs import configure_logging

    log = logging.getLogger("camapp.test")
    for verbosity, shown in ((0, "iwe"), (-1, "we"), (-2, "e"), (1, "diwe")):
        configure_logging(verbosity)
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.error("e")
        lines = capsys.readouterr().err.splitlines()
        assert lines == [f"camapp: {c}" for c in shown], verbosity
    configure_logging()


def test_models_list_loads_neither_opencv_numpy_runtime_nor_qt(models_dir):
    code = (
        "import io, sys, contextlib\n"
        "from camapp.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['--models-dir', {str(models_dir)!r}, 'models', 'list']) == 0\n"
        "heavy = ('cv2', 'numpy', 'ai_edge_litert', 'tflite_runtime', 'PyQt6')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
