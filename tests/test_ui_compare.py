"""Compare mode in the window: two real models on the same frames, side by side."""

from __future__ import annotations

import pytest

pytest.importorskip("PyQt6")

from conftest import CAT_LABELS, write_scene_video  # noqa: E402
from test_ui_window import V2, V3, WAIT  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("private_settings")]


@pytest.fixture
def cat_video(tmp_path):
    """Only the cat, so every frame the two models share shows it, whenever they start."""
    return write_scene_video(tmp_path / "cat.avi", ["cat.bmp"], seconds=2.0)


def test_compare_mode_shows_both_models_on_the_same_frames(qtbot, open_window, cat_video):
    window = open_window(str(cat_video), model=V3, threads=2)
    first, second = [], []
    window.prediction_shown.connect(first.append)
    window.compare_prediction_shown.connect(second.append)
    window.start_compare(V2)
    qtbot.waitUntil(lambda: window.compare_info is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: window.model_info.threads == 1, timeout=WAIT)

    def shared() -> list:
        """The second model's answers on frames the first model answered on screen."""
        ids = {p.frame_id for p in first}
        return [p for p in second if p.frame_id in ids]

    qtbot.waitUntil(lambda: len(second) >= 10 and len(shared()) >= 5, timeout=WAIT)
    assert {p.model for p in second} == {V2}
    assert CAT_LABELS & set(shared()[0].classification.labels[:3])
    # Both columns show answers; the cores are split and the UI says how.
    assert window.compare_panel.columns[0].bars.rows
    assert window.compare_panel.columns[1].bars.rows
    assert window.compare_info.threads == 1
    assert "1 for the second" in window.compare_panel.sharing.text()
    qtbot.waitUntil(lambda: len(window.compare_panel.chart.series[1]) >= 2, timeout=WAIT)
    stats = window.recorder.run_stats()
    assert stats["compare"]["model"] == V2 and stats["compare"]["predictions"] >= 10


def test_stopping_compare_joins_its_threads_and_gives_the_cores_back(
    qtbot, open_window, scene_video
):
    window = open_window(str(scene_video), model=V3, threads=2)
    window.start_compare(V2)
    qtbot.waitUntil(lambda: window.compare_info is not None, timeout=WAIT)
    compare_threads = list(window.session.compare_worker.threads)
    window.stop_compare()
    assert window.session.compare_worker is None
    assert not any(t.is_alive() for t in compare_threads)
    qtbot.waitUntil(lambda: window.model_info.threads == 2, timeout=WAIT)
    assert window.recorder.run_stats()["compare"] is None
    assert window.settings_snapshot()["compare"] is None
