"""The live window, offscreen, with real models and a real video of real photos."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

pytest.importorskip("PyQt6")

from conftest import CAT_LABELS, IMAGES  # noqa: E402
from PyQt6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl  # noqa: E402
from PyQt6.QtGui import QDropEvent  # noqa: E402

from camapp.base.roi import ROI  # noqa: E402
from camapp.inference.classifier import Classifier  # noqa: E402
from camapp.pipeline.events import Prediction  # noqa: E402
from camapp.ui.window import MainWindow  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("private_settings")]

V2 = "mobilenet_v2_1.0_224_uint8"
V3 = "mobilenet_v3_small_1.0_224_uint8"
#: How long a test waits for something that must happen (ms). Only a failing test waits this
#: long; a passing one goes on the moment the condition holds, so no test measures the machine.
WAIT = 20_000


def record_predictions(window: MainWindow) -> list[Prediction]:
    shown: list[Prediction] = []
    window.prediction_shown.connect(shown.append)
    return shown


@pytest.fixture
def photo_folder(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("cat.bmp", "owl.jpg", "parrot.jpg"):
        shutil.copy(IMAGES / name, folder / name)
    return folder


# -- recognition ----------------------------------------------------------------------------
def test_predictions_arrive_and_name_the_cat_in_the_video(qtbot, open_window, scene_video):
    window = open_window(str(scene_video))
    shown = record_predictions(window)

    def saw_cat() -> bool:
        return any(CAT_LABELS & set(p.classification.labels[:3]) for p in shown)

    qtbot.waitUntil(saw_cat, timeout=WAIT)
    assert window.results.heading.text()
    # A frame is painted with its answer, at the next paint: just after the answer came.
    qtbot.waitUntil(lambda: window.video.frames_shown > 0, timeout=WAIT)
    assert all(p.model == V2 for p in shown)


def test_the_first_prediction_reaches_the_screen(qtbot, open_window, scene_video):
    window = open_window(str(scene_video))
    qtbot.waitUntil(lambda: window.recorder.first_prediction_time is not None, timeout=WAIT)
    assert window.recorder.first_prediction_time >= window.session.started
    assert window.recorder.predictions_shown >= 1
    shown = window.last_prediction
    assert shown is not None and shown.model == V2
    label = shown.classification.labels[0]
    assert window.results.bars.rows[0][0] == label
    assert window.results.heading.text().startswith(label)
    assert window.session.stats().first_prediction_s is not None


def test_click_mode_recognises_only_on_space_or_click(qtbot, open_window):
    window = open_window(str(IMAGES / "parrot.jpg"), mode="click")
    shown = record_predictions(window)
    session = window.session
    # The model is loaded and the worker has taken the photo: in continuous mode it would
    # answer now. The session counts every answer the worker gives, so the counts are exact.
    assert session.wait_for_model(V2, timeout=WAIT / 1000) is not None
    frame = window.source.latest()
    assert frame is not None and window.source.slot.wait_taken(frame.id, WAIT / 1000)
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=WAIT)
    assert session.stats().primary.predictions == 0
    assert window.recorder.predictions_shown == 0
    window.recognise_once()  # what Space and a click on the video do
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=WAIT)
    assert session.stats().primary.predictions == 1  # one click, one answer
    assert shown[0].classification.labels[0] == "macaw"
    assert window.results.bars.rows[0][0] == "macaw"  # the answer is held
    box_centre = window.video.box_rect().center().toPoint()
    qtbot.mouseClick(window.video, Qt.MouseButton.LeftButton, pos=box_centre)
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=WAIT)
    assert session.stats().primary.predictions == 2
    assert window.recorder.predictions_shown == 2


# -- the ROI box ----------------------------------------------------------------------------
@pytest.fixture
def photo_window(qtbot, open_window):
    window = open_window(str(IMAGES / "cat.bmp"), roi=[0.3, 0.3, 0.6, 0.6])
    qtbot.waitUntil(lambda: window.video.frame_size is not None, timeout=WAIT)
    window.video.setFocus()
    return window


def _to_widget(window: MainWindow, x: float, y: float) -> QPoint:
    r = window.video.image_rect()
    return QPointF(r.left() + x * r.width(), r.top() + y * r.height()).toPoint()


def test_dragging_inside_the_box_moves_it_without_resizing(qtbot, photo_window):
    video = photo_window.video
    before = video.roi
    start = _to_widget(photo_window, 0.45, 0.45)
    end = _to_widget(photo_window, 0.65, 0.55)
    qtbot.mousePress(video, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(video, end)
    qtbot.mouseRelease(video, Qt.MouseButton.LeftButton, pos=end)
    after = video.roi
    assert after.left == pytest.approx(before.left + 0.2, abs=0.01)
    assert after.top == pytest.approx(before.top + 0.1, abs=0.01)
    assert after.width == pytest.approx(before.width, abs=1e-6)
    assert after.height == pytest.approx(before.height, abs=1e-6)
    assert photo_window.session.worker.roi == after  # the worker classifies the new box


def test_dragging_a_corner_handle_resizes_the_box(qtbot, photo_window):
    video = photo_window.video
    corner = _to_widget(photo_window, 0.6, 0.6)
    end = _to_widget(photo_window, 0.8, 0.9)
    qtbot.mousePress(video, Qt.MouseButton.LeftButton, pos=corner)
    qtbot.mouseMove(video, end)
    qtbot.mouseRelease(video, Qt.MouseButton.LeftButton, pos=end)
    roi = video.roi
    assert (roi.left, roi.top) == pytest.approx((0.3, 0.3), abs=0.01)
    assert (roi.right, roi.bottom) == pytest.approx((0.8, 0.9), abs=0.01)


def test_a_click_outside_the_box_leaves_it_and_a_drag_from_there_brings_it(qtbot, photo_window):
    video = photo_window.video
    before = video.roi
    qtbot.mouseClick(video, Qt.MouseButton.LeftButton, pos=_to_widget(photo_window, 0.2, 0.8))
    assert video.roi == before  # a click gives the picture the keys, it moves nothing
    start, end = _to_widget(photo_window, 0.2, 0.8), _to_widget(photo_window, 0.25, 0.75)
    qtbot.mousePress(video, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(video, end)
    qtbot.mouseRelease(video, Qt.MouseButton.LeftButton, pos=end)
    assert video.roi.center == pytest.approx((0.25, 0.75), abs=0.01)
    assert video.roi.width == pytest.approx(0.3, abs=1e-6)


def test_arrow_keys_change_the_box_as_in_the_classroom_project(qtbot, photo_window):
    video = photo_window.video
    before = video.roi
    qtbot.keyClick(video, Qt.Key.Key_Up)
    larger = video.roi
    assert larger.width > before.width and larger.height > before.height
    assert larger.center == pytest.approx(before.center)
    qtbot.keyClick(video, Qt.Key.Key_Down)
    assert video.roi.width == pytest.approx(before.width)
    qtbot.keyClick(video, Qt.Key.Key_Left)
    taller = video.roi
    assert taller.height > before.height and taller.width < before.width
    qtbot.keyClick(video, Qt.Key.Key_Right)
    qtbot.keyClick(video, Qt.Key.Key_Right)
    wider = video.roi
    assert wider.width > before.width and wider.height < before.height


def test_the_box_stays_inside_the_frame_however_large(qtbot, photo_window):
    video = photo_window.video
    for _ in range(30):
        qtbot.keyClick(video, Qt.Key.Key_Up)
    for _ in range(30):
        qtbot.keyClick(video, Qt.Key.Key_Right)
    roi = video.roi
    assert 0.0 <= roi.left < roi.right <= 1.0 and 0.0 <= roi.top < roi.bottom <= 1.0
    far = _to_widget(photo_window, 0.99, 0.99)
    qtbot.mouseClick(video, Qt.MouseButton.LeftButton, pos=far)
    roi = video.roi
    assert roi.right <= 1.0 and roi.bottom <= 1.0


def test_mouse_wheel_scales_the_box(qtbot, photo_window):
    from PyQt6.QtCore import QPoint as P
    from PyQt6.QtGui import QWheelEvent

    video = photo_window.video
    before = video.roi
    at = QPointF(_to_widget(photo_window, 0.45, 0.45))
    event = QWheelEvent(
        at,
        QPointF(video.mapToGlobal(at.toPoint())),
        P(0, 0),
        P(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    video.wheelEvent(event)
    assert video.roi.width == pytest.approx(before.width * 1.1)


# -- model swaps ----------------------------------------------------------------------------
def test_model_swap_keeps_the_event_loop_responsive_and_answers_come_from_the_new_model(
    qtbot, open_window, scene_video, monkeypatch
):
    window = open_window(str(scene_video))
    shown = record_predictions(window)
    qtbot.waitUntil(lambda: len(shown) >= 3, timeout=WAIT)
    old_generation = window.generation
    # The new model loads only when the test lets it: while it is held, the window must keep
    # drawing frames and showing the old model's answers (a GUI blocked by the load cannot).
    loading, release = threading.Event(), threading.Event()
    create = Classifier.create

    def held_create(options):
        loading.set()
        release.wait(WAIT / 1000)
        return create(options)

    monkeypatch.setattr(Classifier, "create", staticmethod(held_create))
    try:
        window.request_model(V3)
        assert loading.wait(WAIT / 1000), "the new model never started loading"
        frames, answers = window.video.frames_shown, len(shown)
        qtbot.waitUntil(
            lambda: window.video.frames_shown >= frames + 5 and len(shown) >= answers + 5,
            timeout=WAIT,
        )
        assert window.generation == old_generation
        assert all(p.model == V2 for p in shown)
    finally:
        release.set()
    qtbot.waitUntil(lambda: window.generation > old_generation, timeout=WAIT)
    changed_at = len(shown)
    qtbot.waitUntil(lambda: len(shown) >= changed_at + 5, timeout=WAIT)
    assert all(p.model == V3 and p.generation == window.generation for p in shown[changed_at:])
    assert window.settings_panel.selected_id == V3
    assert "V3" in window.model_card.text()


def test_predictions_of_an_older_generation_are_ignored(qtbot, open_window, scene_video):
    window = open_window(str(scene_video))
    shown = record_predictions(window)
    qtbot.waitUntil(lambda: len(shown) >= 1, timeout=WAIT)
    window.request_model(V3)
    qtbot.waitUntil(lambda: window.generation == 2, timeout=WAIT)
    stale = shown[0]
    assert stale.generation == 1
    count = window.recorder.predictions_shown
    window._on_session_prediction_ready(stale)
    assert window.recorder.predictions_shown == count
    assert window.recorder.stale_dropped >= 1


def test_model_swap_keeps_old_model_when_new_file_is_corrupt(
    qtbot, open_window, scene_video, tmp_path
):
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(b"this is not a flatbuffer" * 100)
    window = open_window(str(scene_video))
    shown = record_predictions(window)
    qtbot.waitUntil(lambda: len(shown) >= 3, timeout=WAIT)
    window.request_model(str(bad))
    qtbot.waitUntil(lambda: "cannot load" in window.last_error, timeout=WAIT)
    assert "broken.tflite" in window.statusBar().currentMessage()
    before = len(shown)
    qtbot.waitUntil(lambda: len(shown) >= before + 5, timeout=WAIT)
    assert all(p.model == V2 and p.generation == 1 for p in shown)
    assert window.model_info.spec == V2


def test_settings_panel_shows_every_variant_and_marks_the_ones_not_installed(
    qtbot, open_window, store
):
    window = open_window(str(IMAGES / "owl.jpg"))
    panel = window.settings_panel
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=WAIT)
    assert panel.selected_id == V2
    combo = panel.combos["Family"]
    assert [combo.itemText(i) for i in range(combo.count())][:3] == ["V1", "V2", "V3"]
    files = panel.combos["File"]
    model = files.model()
    installed = {e.id for e in store.installed()}
    resolution = panel.combos["Resolution"]
    missing = [i for i in range(resolution.count()) if "not installed" in resolution.itemText(i)]
    assert missing, "V2 1.0 has resolutions that are not in the mirror"
    tip = resolution.model().item(missing[0]).toolTip()
    assert "camapp models install mobilenet_v2_1.0_" in tip
    for i in range(files.count()):  # every variant can be chosen, to read its card
        assert model.item(i).isEnabled()
        assert ("(not installed)" in files.itemText(i)) == (files.itemData(i) not in installed)


def test_choosing_v3_small_in_the_settings_switches_the_model_while_running(
    qtbot, open_window, scene_video
):
    window = open_window(str(scene_video))
    qtbot.waitUntil(lambda: window.generation == 1, timeout=WAIT)
    family = window.settings_panel.combos["Family"]
    family.setCurrentIndex(family.findText("V3"))
    family.activated.emit(family.currentIndex())
    qtbot.waitUntil(lambda: window.generation == 2, timeout=WAIT)
    assert window.model_info.spec.startswith("mobilenet_v3_")
    assert window.settings_panel.combos["Size"].currentText() in ("small", "large")


# -- panels ---------------------------------------------------------------------------------
def test_results_show_top_k_bars_and_k_and_threshold_are_adjustable(qtbot, open_window):
    # The owl: over ten classes score above 0 (for the parrot only one does: macaw).
    window = open_window(str(IMAGES / "owl.jpg"))
    qtbot.waitUntil(lambda: len(window.results.bars.rows) == 5, timeout=WAIT)
    assert window.results.bars.rows[0][0] == "ruffed grouse"
    window.results.top_k.setValue(3)
    qtbot.waitUntil(lambda: len(window.results.bars.rows) == 3, timeout=WAIT)
    assert window.settings_panel.top_k.value() == 3
    window.results.threshold.setValue(40.0)
    qtbot.waitUntil(lambda: len(window.results.bars.rows) == 1, timeout=WAIT)


def test_frame_rates_are_shown_on_the_video_and_in_the_panel(qtbot, open_window, scene_video):
    window = open_window(str(scene_video))
    rates = window.results.rates

    def measured(key: str) -> bool:
        return rates.text(key) not in ("-", "0.0 fps", "0.0 ms")

    qtbot.waitUntil(
        lambda: all(measured(k) for k in ("camera", "display", "inference", "ms")), timeout=WAIT
    )
    text = window.rates_label.text()  # the same line is drawn on the video
    assert "camera" in text and "display" in text and "inference" in text
    assert set(window.recorder.rates()) == {
        "camera_fps",
        "display_fps",
        "inference_fps",
        "inference_ms",
    }
    assert all(value >= 0.0 for value in window.recorder.rates().values())


def test_model_card_and_labels_browser_describe_the_current_model(qtbot, open_window):
    window = open_window(str(IMAGES / "owl.jpg"))
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=WAIT)
    card = window.model_card.text()
    for words in (
        "MobileNet V2",
        "Sandler",
        "2018",
        "ImageNet",
        "Published top-1",
        "Multiply-adds",
        "Parameters",
        "File size",
        "Apache",
        "Phone latency",
    ):
        assert words in card, words
    qtbot.waitUntil(lambda: "ms</b> per image" in window.model_card.text(), timeout=WAIT)
    labels = window.labels_panel
    assert labels.list.count() >= 1000
    labels.search.setText("owl")
    visible = labels.visible_labels()
    assert any("great grey owl" in v for v in visible)
    assert len(visible) < 10


def test_help_overlay_lists_every_shortcut_and_toggles_with_f1(qtbot, open_window):
    window = open_window(str(IMAGES / "owl.jpg"))
    window.actions_by_name["help"].trigger()
    assert window.help.isVisible()
    for key in ("Up / Down", "Left / Right", "N / P", "F11", "Esc", "S"):
        assert key in window.help.label.text()
    window.actions_by_name["leave"].trigger()  # Esc closes the help first
    assert not window.help.isVisible()


def test_snapshot_saves_the_view_with_box_and_says_where(qtbot, open_window, tmp_path):
    window = open_window(str(IMAGES / "owl.jpg"))
    window.snapshot_dir = tmp_path
    qtbot.waitUntil(lambda: window.recorder.predictions_shown > 0, timeout=WAIT)
    path = window.save_snapshot()
    assert path is not None and path.is_file() and path.suffix == ".png"
    assert str(path) in window.statusBar().currentMessage()


# -- sources --------------------------------------------------------------------------------
def test_n_and_p_step_through_the_scenes_of_a_folder(qtbot, open_window, photo_folder):
    window = open_window(str(photo_folder))
    qtbot.waitUntil(lambda: window.video.frame_size is not None, timeout=WAIT)
    names = sorted(p.name for p in photo_folder.iterdir())
    assert window.source.position == 0
    window.video.setFocus()
    # N / P return at once; the photo decodes on the session's scene-stepper thread.
    qtbot.keyClick(window, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: window.source.position == 1, timeout=WAIT)
    assert window.source.latest().name == names[1]
    qtbot.keyClick(window, Qt.Key.Key_N)
    qtbot.keyClick(window, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: window.source.position == 0, timeout=WAIT)  # wraps round
    shown = record_predictions(window)  # before P: its answer can come at once
    qtbot.keyClick(window, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: window.source.latest().name == names[-1], timeout=WAIT)
    qtbot.waitUntil(lambda: any(p.classification.labels[0] == "macaw" for p in shown), timeout=WAIT)


def test_no_camera_shows_the_friendly_panel_and_a_photo_can_be_opened(qtbot, open_window):
    window = open_window("/dev/video97")
    assert window.stack.currentWidget() is window.no_source
    assert window.no_source.title.text() == "No camera found"
    assert set(window.no_source.buttons) == {"image", "folder", "video"}
    assert window.no_source.isVisible()
    window.open_source(str(IMAGES / "parrot.jpg"))  # opens off the GUI thread
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.video, timeout=WAIT)
    qtbot.waitUntil(lambda: window.recorder.predictions_shown > 0, timeout=WAIT)


def test_dropping_an_image_file_on_the_window_loads_it(qtbot, open_window, photo_folder):
    window = open_window(str(IMAGES / "owl.jpg"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo_folder / "parrot.jpg"))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.source.latest().name == "parrot.jpg", timeout=WAIT)


def test_a_source_that_fails_later_keeps_the_current_one(qtbot, open_window, tmp_path):
    window = open_window(str(IMAGES / "owl.jpg"))
    window.open_source(str(tmp_path / "missing.mp4"))
    qtbot.waitUntil(lambda: "missing.mp4" in window.last_error, timeout=WAIT)
    assert window.stack.currentWidget() is window.video
    assert window.source.latest().name == "owl.jpg"


def test_closing_the_window_joins_every_thread(qtbot, open_window, scene_video):
    window = open_window(str(scene_video))
    qtbot.waitUntil(lambda: window.recorder.predictions_shown > 0, timeout=WAIT)
    window.request_model(V3)  # a loader thread may be running too
    owned = window.session.threads()
    assert {t.name for t in owned} >= {"camapp-inference", "camapp-capture-video"}
    window.close()
    assert not any(t.is_alive() for t in owned)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("camapp")]


def test_settings_snapshot_keeps_the_roi_normalised(qtbot, open_window):
    window = open_window(str(IMAGES / "owl.jpg"), roi=[0.2, 0.2, 0.5, 0.7])
    window.resize(700, 500)
    snapshot = window.settings_snapshot()
    assert ROI.clamped(*snapshot["roi"]) == ROI.clamped(0.2, 0.2, 0.5, 0.7)
    assert snapshot["model"] == V2
    assert snapshot["window"]["geometry"] and snapshot["window"]["state"]
