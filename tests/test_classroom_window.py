"""The worksheet flow in the window: stale answers, your own photo, speed, cards, labels."""

from __future__ import annotations

import argparse
import shutil

import pytest
from conftest import IMAGES

pytest.importorskip("PyQt6")

from PyQt6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PyQt6.QtGui import QDropEvent  # noqa: E402
from PyQt6.QtWidgets import QDialog, QMenu  # noqa: E402

from camapp.store.model_store import ModelStore  # noqa: E402
from camapp.ui import files  # noqa: E402
from camapp.ui.video_view import HOME_ROI  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("private_settings")]

V2 = "mobilenet_v2_1.0_224_uint8"
V3 = "mobilenet_v3_small_1.0_224_uint8"
V3_LARGE = "mobilenet_v3_large_1.0_224_uint8"
WAIT = 20_000


def drop(window, *paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    window.dropEvent(
        QDropEvent(
            QPointF(50, 50),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    )


# -- stale state ----------------------------------------------------------------------------
def test_n_in_click_mode_clears_the_answer_about_the_photo_before(qtbot, open_window, photos):
    window = open_window(str(photos), mode="click")
    assert window.session.wait_for_model(timeout=WAIT / 1000) is not None
    window.recognise_once()
    qtbot.waitUntil(lambda: window.results.bars.rows != [], timeout=WAIT)
    assert window.video._label_text().startswith(window.results.bars.rows[0][0])
    window.next_scene()
    qtbot.waitUntil(lambda: window.source.position == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: window.results.bars.rows == [], timeout=WAIT)
    assert window.results.heading.text() == "" and window.results.detail.text() == ""
    qtbot.waitUntil(lambda: window.video._label_text().startswith("click"), timeout=WAIT)
    window.recognise_once()  # the new photo's own answer
    qtbot.waitUntil(lambda: window.results.bars.rows != [], timeout=WAIT)
    assert window.last_prediction.frame_id == window.source.latest().id


def test_nothing_open_says_no_source_not_still_photo(qtbot, open_window):
    window = open_window(None)
    qtbot.waitUntil(lambda: window.rates_label.text() != "", timeout=WAIT)
    assert window.rates_label.text().startswith("no source")
    assert "still photo" not in window.rates_label.text()
    assert window.results.rates.text("camera") == "no source"


def test_a_long_status_message_ends_before_the_frame_rates(qtbot, open_window):
    window = open_window(str(IMAGES / "owl.jpg"))
    window.resize(800, 480)
    qtbot.waitUntil(lambda: window.rates_label.text() != "", timeout=WAIT)
    bar = window.status_bar
    message = "Cannot open /media/usb/a/very/long/folder/name/of/photos: " + "x" * 200
    window._status(message)
    qtbot.waitUntil(lambda: bar.width() <= 800 and window.rates_label.width() > 100, timeout=WAIT)
    shown = bar.shown_message()
    assert bar.currentMessage() == message and shown != message and shown.endswith("…")
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.message_rect().width()
    assert bar.message_rect().right() < window.rates_label.x() - 8  # a gap, and a line


def test_a_model_that_fails_to_load_leaves_the_settings_on_the_running_one(
    qtbot, tmp_path, models_dir, catalog
):
    # A store of its own whose V3 small file is broken: choosing it in the settings fails.
    folder = tmp_path / "models"
    shutil.copytree(models_dir, folder)
    broken = next(folder.rglob("v3-small_224_1.0_uint8.tflite"))
    broken.write_bytes(b"not a model")
    from camapp.ui.app import make_session
    from camapp.ui.window import MainWindow

    store = ModelStore(catalog, folder)
    values = {"source": str(IMAGES / "owl.jpg"), "model": V2, "threads": 2, "mode": "continuous"}
    args = argparse.Namespace(runtime=None, model=None, labels=None, no_xnnpack=False)
    window = MainWindow(make_session(store, args, values), values)
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitUntil(lambda: window.model_info is not None, timeout=WAIT)
        panel = window.settings_panel
        family = panel.combos["Family"]
        family.setCurrentIndex(family.findText("V3"))
        family.activated.emit(family.currentIndex())
        assert panel.selected_id == V3  # chosen ...
        qtbot.waitUntil(lambda: "cannot load" in panel.running.text(), timeout=WAIT)
        assert panel.selected_id == V2  # ... but V2 still runs, and the settings say so
        assert "MobileNet V2 1.0 224" in panel.running.text()
        assert window.session.model_info.spec == V2
    finally:
        window.close()


def test_with_no_model_running_the_settings_say_so(qtbot, open_window, tmp_path):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a model")
    window = open_window(str(IMAGES / "owl.jpg"), model=str(broken))
    panel = window.settings_panel
    qtbot.waitUntil(lambda: "cannot load" in panel.running.text(), timeout=WAIT)
    assert "no model" in panel.running.text() and window.session.model_info is None


# -- your own photo -------------------------------------------------------------------------
def test_your_own_photo_is_added_next_to_the_photo_shown(qtbot, open_window, photos, monkeypatch):
    window = open_window(str(photos))
    qtbot.waitUntil(lambda: window.video.frame_size is not None, timeout=WAIT)
    monkeypatch.setattr(files, "ask_for_path", lambda parent, kind: str(IMAGES / "sunflower.bmp"))
    window.actions_by_name["open_image"].trigger()
    qtbot.waitUntil(lambda: window.source.latest().name == "sunflower.bmp", timeout=WAIT)
    names = [p.name for p in window.source.paths]
    assert names == ["cat.bmp", "sunflower.bmp", "owl.jpg", "parrot.jpg"]
    assert window.source.position == 1
    qtbot.waitUntil(lambda: "Photo 2 of 4" in window.statusBar().currentMessage(), timeout=WAIT)
    drop(window, IMAGES / "hot_dog.jpg", IMAGES / "burger.jpg")  # two at once, in order
    qtbot.waitUntil(lambda: len(window.source.paths) == 6, timeout=WAIT)
    qtbot.waitUntil(lambda: window.source.latest().name == "burger.jpg", timeout=WAIT)
    assert [p.name for p in window.source.paths][1:4] == [
        "sunflower.bmp",
        "hot_dog.jpg",
        "burger.jpg",
    ]
    qtbot.waitUntil(
        lambda: [label for label, _ in window.results.bars.rows][:1] == ["cheeseburger"],
        timeout=WAIT,
    )


def test_reset_the_box_is_a_key_and_a_menu_item(qtbot, open_window):
    window = open_window(str(IMAGES / "owl.jpg"), roi=[0.05, 0.1, 0.4, 0.5])
    action = window.actions_by_name["reset_box"]
    menus = {menu.title(): menu for menu in window.menuBar().findChildren(QMenu)}
    assert action in menus["&View"].actions()
    assert [k.toString() for k in action.shortcuts()] == ["R", "Home"]
    action.trigger()
    assert window.video.roi == HOME_ROI == window.session.roi
    window.video.set_roi(window.video.roi.scaled(0.5))
    qtbot.keyClick(window, Qt.Key.Key_R)
    assert window.video.roi == HOME_ROI


# -- speed on a still photo ---------------------------------------------------------------------
def test_a_still_photo_shows_its_last_answer_and_the_model_speed_here(qtbot, open_window):
    window = open_window(str(IMAGES / "owl.jpg"))
    worker = window.session.worker
    qtbot.waitUntil(lambda: window.last_prediction is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: worker.measured is not None, timeout=WAIT)
    # A second after the answer the live meter has nothing left: 0 fps, 0 ms.
    qtbot.waitUntil(lambda: worker.stats()["inference_fps"] == 0.0, timeout=WAIT)
    window._on_stats_timer_timeout()
    rates = window.results.rates
    last = window.last_prediction.classification.timings.invoke_ms
    assert rates.text("ms") == f"{last:.1f} ms (last)" and rates.text("camera") == "still photo"
    measured = worker.measured
    assert rates.text("device").startswith(f"{measured.median_ms:.1f} ms per image")
    assert f"{measured.fps:.0f} fps" in rates.text("device")
    card = window.model_card.text()
    assert f"<b>{measured.median_ms:.1f} ms</b> per image" in card and "measuring" not in card
    assert "fps here" in window.settings_panel.running.text()
    assert "capture to answer" not in window.results.latency.text()  # the photo's age: no
    assert "0.0 fps" not in window.rates_label.text()


def test_a_live_video_still_says_capture_to_answer(qtbot, open_window, scene_video):
    window = open_window(str(scene_video))
    qtbot.waitUntil(lambda: "capture to answer" in window.results.latency.text(), timeout=WAIT)
    # The live speed is in the rates; the card keeps the model's own measurement (it would
    # otherwise be redrawn four times a second).
    rates = window.results.rates
    qtbot.waitUntil(lambda: "live, last second" in rates.text("device"), timeout=WAIT)
    qtbot.waitUntil(lambda: "median of" in window.model_card.text(), timeout=WAIT)
    assert "live" not in window.model_card.text()


# -- every model's card -----------------------------------------------------------------------
def test_a_model_not_installed_can_be_chosen_to_read_its_card(qtbot, open_window, store):
    assert not store.is_installed(store.catalog.get(V3_LARGE))
    window = open_window(str(IMAGES / "owl.jpg"))
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=WAIT)
    panel = window.settings_panel
    family = panel.combos["Family"]
    family.setCurrentIndex(family.findText("V3"))
    family.activated.emit(family.currentIndex())
    qtbot.waitUntil(lambda: window.model_info.spec == V3, timeout=WAIT)
    size = panel.combos["Size"]
    large = size.findData("large")
    assert size.model().item(large).isEnabled() and "not installed" in size.itemText(large)
    size.setCurrentIndex(large)
    size.activated.emit(large)
    assert panel.selected_id == V3_LARGE and window.session.loading is None
    card = window.model_card
    assert card.entry.id == V3_LARGE and not card.showing_running_model
    for words in ("MobileNet V3 large", "73.9 %", "217 M", "5.4 M", "Pixel 1 44.0 ms", "no"):
        assert words in card.text(), words
    assert not card.install_button.isHidden()
    panel.hint.linkActivated.emit("card")  # "Read its card"
    qtbot.waitUntil(lambda: window.docks["model_card"].isVisible(), timeout=WAIT)
    card.install_button.click()  # opens the models manager on that model
    dialog = window.findChild(QDialog, "modelsDialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.selected_ids() == [V3_LARGE]
    dialog.close()
    card.back_button.click()
    assert card.showing_running_model and card.entry.id == V3 and panel.selected_id == V3


def test_the_card_comparison_of_v3_large_and_small(qtbot, open_window):
    window = open_window(str(IMAGES / "owl.jpg"), model=V3)
    worker = window.session.worker
    qtbot.waitUntil(lambda: worker.measured is not None, timeout=WAIT)
    window.panels.show_card_comparison([V3_LARGE, V3])
    view = window.panels.card_compare
    qtbot.waitUntil(lambda: "fps" in view.cell("Measured here", 1), timeout=WAIT)
    assert view.chosen() == [V3_LARGE, V3]
    assert (view.cell("Top-1", 0), view.cell("Top-1", 1)) == ("73.9 %", "64.9 %")
    assert view.is_best("Top-1", 0) and not view.is_best("Top-1", 1)
    assert (view.cell("Multiply-adds", 0), view.cell("Multiply-adds", 1)) == ("217 M", "66 M")
    assert view.is_best("Multiply-adds", 1) and view.is_best("Parameters", 1)
    assert view.cell("Pixel 1 latency", 0) == "44.0 ms" and view.is_best("Pixel 1 latency", 1)
    assert view.cell("File size", 1) == "2.6 MB"
    assert view.cell("Measured here", 0) == "not installed"
    assert view.cell("Installed", 0) == "no" and view.cell("Installed", 1) == "yes"
    with pytest.raises(KeyError):
        view.cell("Top-5", 0)  # published for neither: no row
    view.add_button.click()
    assert len(view.chosen()) == 3 and view.table.columnCount() == 3


# -- labels -----------------------------------------------------------------------------------
def test_results_and_the_label_list_name_classes_alike_and_list_no_background(qtbot, open_window):
    window = open_window(str(IMAGES / "cat.bmp"))
    qtbot.waitUntil(lambda: len(window.results.bars.rows) >= 2, timeout=WAIT)
    labels = window.labels_panel
    rows = [labels.list.item(i).text() for i in range(labels.list.count())]
    assert len(rows) == 1000 and labels.count.text() == "1000 classes"
    assert not any(row.split(None, 1)[1] == "background" for row in rows)
    names = {row.split(None, 1)[1] for row in rows}
    for category in window.last_prediction.categories:
        assert f"{category.index:4d}  {category.label}" in rows  # the same name and index
    assert {label for label, _ in window.results.bars.rows} <= names


def test_compare_mode_from_the_settings_shows_in_the_compare_tab(qtbot, open_window):
    window = open_window(str(IMAGES / "cat.bmp"), model=V3, compare=V2)
    qtbot.waitUntil(lambda: window.compare_info is not None, timeout=WAIT)
    panel = window.compare_panel
    qtbot.waitUntil(lambda: panel.active, timeout=WAIT)
    assert panel.choice.currentData() == V2
    assert panel.columns[1].isVisibleTo(panel) and panel.chart.isVisibleTo(panel)
    qtbot.waitUntil(lambda: bool(panel.columns[1].bars.rows), timeout=WAIT)
    qtbot.waitUntil(lambda: "possible here" in panel.columns[1].speed.text(), timeout=WAIT)


def test_models_installed_or_removed_reach_the_compare_list(qtbot, open_window, store):
    window = open_window(str(IMAGES / "owl.jpg"))
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=WAIT)
    installed = {e.id for e in store.installed()}
    assert V3 in window.compare_panel.offered()
    window.settings_panel.set_installed(installed - {V3})  # what the models manager does
    assert V3 not in window.compare_panel.offered()
    window.settings_panel.set_installed(installed)
    assert V3 in window.compare_panel.offered()
