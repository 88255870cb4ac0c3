"""``camapp run`` end to end, offscreen: statistics, settings saved and restored, warnings."""

from __future__ import annotations

import json
import time

import pytest
import yaml

pytest.importorskip("PyQt6")

from conftest import CAT_LABELS, IMAGES, MIRROR, write_scene_video  # noqa: E402
from PyQt6.QtCore import QTimer  # noqa: E402

import camapp.ui.app as app_module  # noqa: E402
from camapp.cli import main  # noqa: E402

pytestmark = pytest.mark.gui

V2 = "mobilenet_v2_1.0_224_uint8"
V3 = "mobilenet_v3_small_1.0_224_uint8"
STATS_KEYS = {
    "camera_fps",
    "display_fps",
    "inference_fps",
    "inference_ms_p50",
    "inference_ms_p95",
    "predictions",
    "first_prediction_s",
    "max_gui_stall_ms",
    "model",
    "top_k",
}
SWAP_KEYS = {"model", "requested_s", "answered_after_s", "load_ms", "max_gui_stall_ms"}
#: Longest a run waits past ``--quit-after`` for what its test needs (only a failing test waits).
PATIENCE_S = 30.0


def settled(window) -> bool:
    """The source has opened (or failed) and a model answers (or failed to load)."""
    return not window.source_pending and (window.model_info is not None or bool(window.last_error))


def answered_by(model: str):
    """A run condition: ``model``'s answer is on screen."""
    return lambda window: (
        window.last_prediction is not None and window.last_prediction.model == model
    )


@pytest.fixture(autouse=True)
def finish_when(monkeypatch):
    """``--quit-after`` ends a run at that time or, if later, once the run has what it needs.

    The condition is :func:`settled` unless a test passes another to this fixture; it is
    checked every 20 ms from the ``--quit-after`` moment on. A loaded machine then makes a
    run longer, never different: no test depends on how fast this machine is.
    """
    ready = [settled]
    original = app_module.finish

    def finish(window, screenshot, stats_json, deadline=None):
        deadline = deadline if deadline is not None else time.monotonic() + PATIENCE_S
        if ready[0](window) or time.monotonic() > deadline:
            original(window, screenshot, stats_json)
        else:
            QTimer.singleShot(20, lambda: finish(window, screenshot, stats_json, deadline))

    monkeypatch.setattr(app_module, "finish", finish)

    def set_condition(condition) -> None:
        ready[0] = condition

    return set_condition


def assert_numbers(record: dict, keys) -> None:
    """Each of ``keys`` is measured: a number, not negative."""
    for key in keys:
        value = record[key]
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (key, value)
        assert value >= 0, (key, value)


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    """The state file the window writes on exit (the user's config file is never written)."""
    path = tmp_path / "state" / "state.yaml"
    monkeypatch.setenv("CAMAPP_STATE", str(path))
    monkeypatch.setenv("CAMAPP_CONFIG", str(tmp_path / "config" / "camapp.yaml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state-home"))
    monkeypatch.delenv("CAMAPP_SETTINGS", raising=False)
    return path


@pytest.fixture
def config_file(tmp_path, settings_file):
    """The user's own config file."""
    return tmp_path / "config" / "camapp.yaml"


@pytest.fixture
def windows(monkeypatch):
    """Every window ``run_app`` opens, kept for inspection after it closed."""
    opened = []

    class RecordingWindow(app_module.MainWindow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(app_module, "MainWindow", RecordingWindow)
    return opened


@pytest.fixture
def cat_video(tmp_path):
    return write_scene_video(tmp_path / "cat.avi", ["cat.bmp"], seconds=2.0)


def run(models_dir, *options: str) -> int:
    return main(["--models-dir", str(models_dir), "run", *options])


def test_stats_json_has_every_key_and_names_the_cat(
    qapp, models_dir, settings_file, cat_video, tmp_path, finish_when
):
    finish_when(answered_by(V2))
    stats = tmp_path / "stats.json"
    code = run(
        models_dir,
        "--source",
        str(cat_video),
        "--model",
        V2,
        "--roi",
        "0.2,0.1,0.8,0.95",
        "--threads",
        "2",
        "--quit-after",
        "3",
        "--stats-json",
        str(stats),
        "--no-save",
    )
    assert code == 0
    record = json.loads(stats.read_text())
    assert STATS_KEYS <= set(record)
    assert record["model"] == V2
    assert_numbers(record, STATS_KEYS - {"model", "top_k"})
    assert record["predictions"] >= 1
    assert record["first_prediction_s"] > 0
    assert (
        record["inference_ms_p50"] > 0 and record["inference_ms_p95"] >= record["inference_ms_p50"]
    )
    assert all(set(item) == {"label", "score"} for item in record["top_k"])
    assert CAT_LABELS & {item["label"] for item in record["top_k"][:3]}
    assert not settings_file.exists()  # --no-save


def test_settings_are_saved_on_exit_and_restored_on_the_next_start(
    qapp, models_dir, settings_file, windows
):
    photo = str(IMAGES / "owl.jpg")
    assert (
        run(
            models_dir,
            "--source",
            photo,
            "--model",
            V3,
            "--roi",
            "0.1,0.2,0.5,0.6",
            "--mode",
            "click",
            "--quit-after",
            "1",
        )
        == 0
    )
    saved = yaml.safe_load(settings_file.read_text())
    assert saved["source"] == photo and saved["model"] == V3 and saved["mode"] == "click"
    assert saved["roi"] == pytest.approx([0.1, 0.2, 0.5, 0.6])
    assert saved["window"]["geometry"] and saved["window"]["state"]

    assert run(models_dir, "--quit-after", "1") == 0  # nothing on the command line
    restored = windows[-1]
    assert restored.source.latest().name == "owl.jpg"
    assert restored.video.roi.as_tuple() == pytest.approx((0.1, 0.2, 0.5, 0.6))
    assert restored.model_info is not None and restored.model_info.spec == V3
    assert restored.settings_panel.mode.currentData() == "click"


def test_a_broken_settings_file_is_a_visible_one_line_warning_not_a_crash(
    qapp, models_dir, settings_file, windows, capsys
):
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text("roi: [0.1, 0.2\nmodel: : :\n")
    assert run(models_dir, "--source", str(IMAGES / "owl.jpg"), "--quit-after", "1") == 0
    notice = windows[-1].notices.text()
    assert "broken" in notice and "\n" not in notice
    assert "broken" in capsys.readouterr().err
    assert settings_file.with_name("state.yaml.broken").is_file()
    assert yaml.safe_load(settings_file.read_text())["source"].endswith("owl.jpg")


def test_no_camera_opens_the_window_with_the_friendly_panel(
    qapp, models_dir, settings_file, windows
):
    assert run(models_dir, "--source", "/dev/video97", "--quit-after", "0.5", "--no-save") == 0
    window = windows[-1]
    assert window.stack.currentWidget() is window.no_source
    assert window.no_source.title.text() == "No camera found"


def test_swap_to_measures_the_gui_stall_while_the_new_model_loads(
    qapp, models_dir, settings_file, cat_video, tmp_path, finish_when
):
    finish_when(answered_by(V3))
    stats = tmp_path / "stats.json"
    assert (
        run(
            models_dir,
            "--source",
            str(cat_video),
            "--model",
            V2,
            "--threads",
            "2",
            "--swap-to",
            V3,
            "--swap-after",
            "1.5",
            "--quit-after",
            "3.5",
            "--stats-json",
            str(stats),
            "--no-save",
        )
        == 0
    )
    record = json.loads(stats.read_text())
    assert record["model"] == V3
    (swap,) = record["swaps"]
    assert set(swap) == SWAP_KEYS and swap["model"] == V3
    assert_numbers(swap, SWAP_KEYS - {"model"})  # measured and reported, not judged
    assert_numbers(record, ["max_gui_stall_ms", "max_gui_stall_during_swap_ms"])


def test_the_users_config_file_wins_is_never_rewritten_and_a_bad_value_is_one_line(
    qapp, models_dir, config_file, settings_file, windows, capsys
):
    config_file.parent.mkdir(parents=True)
    text = (
        "# my classroom settings\n"
        "top_k: five\n"  # a typo: one line, and that key falls back to its default
        "mode: click\n"
        "tresholds: 0.5\n"  # an unknown key: one line with the closest known one
        f"model_mirrors: [{str(MIRROR)!r}]\n"
    )
    config_file.write_text(text)
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text("mode: continuous\ntop_k: 3\n")  # remembered; the config wins
    assert run(models_dir, "--source", str(IMAGES / "owl.jpg"), "--quit-after", "0.5") == 0
    window = windows[-1]
    err = capsys.readouterr().err
    assert "top_k: 'five' is not a whole number" in err and "Traceback" not in err
    assert "tresholds" in err and "threshold" in err
    assert window.session.mode == "click"
    assert window.session.top_k == 3  # the config's value was bad: the remembered one stays
    assert config_file.read_text() == text  # byte for byte: the app never writes it
    assert yaml.safe_load(settings_file.read_text())["mode"] == "click"
