"""The picture's keys work after touching a panel control, and never while typing."""

from __future__ import annotations

import pytest
from conftest import IMAGES

pytest.importorskip("PyQt6")

from PyQt6.QtCore import QPoint, Qt  # noqa: E402
from PyQt6.QtWidgets import QApplication, QDialog, QStyle, QStyleOptionSpinBox  # noqa: E402

from camapp.ui.video_view import HOME_ROI  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("private_settings")]

WAIT = 20_000


@pytest.fixture
def window(qtbot, open_window, photos):
    window = open_window(str(photos), roi=[0.3, 0.3, 0.6, 0.6])
    qtbot.waitUntil(lambda: window.video.frame_size is not None, timeout=WAIT)
    return window


def click_spin_arrow(qtbot, spin, up: bool = True) -> None:
    """Clicks the up (or down) arrow of a spin box, as a hand would: it takes the focus."""
    option = QStyleOptionSpinBox()
    spin.initStyleOption(option)
    control = QStyle.SubControl.SC_SpinBoxUp if up else QStyle.SubControl.SC_SpinBoxDown
    rect = spin.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, option, control, spin)
    qtbot.mouseClick(spin, Qt.MouseButton.LeftButton, pos=rect.center())


def test_after_touching_top_k_the_arrows_and_n_go_to_the_picture(qtbot, window):
    top_k = window.results.top_k
    click_spin_arrow(qtbot, top_k)  # 5 -> 6: the teacher touched Top-k
    assert top_k.value() == 6 and QApplication.focusWidget() is top_k
    before = window.video.roi
    qtbot.keyClick(top_k, Qt.Key.Key_Up)
    assert top_k.value() == 6  # not 7: Up made the box larger instead
    larger = window.video.roi
    assert larger.width > before.width and larger.center == pytest.approx(before.center)
    assert window.session.roi == larger
    qtbot.keyClick(top_k, Qt.Key.Key_Left)
    assert window.video.roi.height > larger.height and top_k.value() == 6
    qtbot.keyClick(top_k, Qt.Key.Key_N)  # N did nothing before
    qtbot.waitUntil(lambda: window.source.position == 1, timeout=WAIT)
    qtbot.keyClick(top_k, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: window.source.position == 0, timeout=WAIT)
    qtbot.keyClick(top_k, Qt.Key.Key_R)  # reset the box, also from here
    assert window.video.roi == HOME_ROI == window.session.roi


def test_the_keys_also_pass_a_combo_box_the_labels_list_and_a_button(qtbot, window):
    mode = window.settings_panel.mode
    window.docks["settings"].raise_()
    qtbot.waitUntil(mode.isVisible, timeout=WAIT)
    mode.setFocus()  # as after choosing in its pop-up
    assert QApplication.focusWidget() is mode
    index = mode.currentIndex()
    before = window.video.roi
    qtbot.keyClick(mode, Qt.Key.Key_Down)
    assert mode.currentIndex() == index and window.video.roi.width < before.width
    window.docks["labels"].raise_()
    labels = window.labels_panel.list
    labels.setFocus()
    qtbot.keyClick(labels, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: window.source.position == 1, timeout=WAIT)
    window.panels.show_card_comparison([])  # the card comparison and its button show
    button = window.panels.card_compare.add_button
    qtbot.waitUntil(button.isVisible, timeout=WAIT)
    button.setFocus()
    assert QApplication.focusWidget() is button
    qtbot.keyClick(button, Qt.Key.Key_Home)  # Home: the box goes home too
    assert window.video.roi == HOME_ROI


def test_typing_in_a_text_field_keeps_every_key(qtbot, window):
    window.docks["labels"].raise_()
    search = window.labels_panel.search
    search.setFocus()
    roi = window.video.roi
    qtbot.keyClicks(search, "np")
    qtbot.keyClick(search, Qt.Key.Key_Left)
    qtbot.keyClick(search, Qt.Key.Key_Space)
    assert search.text() == "n p" and search.cursorPosition() == 2
    assert window.video.roi == roi and window.source.position == 0
    assert window.session.worker.wait_idle() and window.source.position == 0


def test_typing_a_number_keeps_the_arrows_until_return(qtbot, window):
    threshold = window.results.threshold
    edit = threshold.lineEdit()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(4, edit.height() // 2))
    assert window.keys.typing_in is threshold  # a click into its text: typing
    roi = window.video.roi
    before = threshold.value()
    qtbot.keyClick(threshold, Qt.Key.Key_Up)
    assert threshold.value() == before + 1.0 and window.video.roi == roi
    qtbot.keyClick(threshold, Qt.Key.Key_Return)
    assert window.keys.typing_in is None
    qtbot.keyClick(threshold, Qt.Key.Key_Up)
    assert threshold.value() == before + 1.0 and window.video.roi.width > roi.width


def test_clicking_the_picture_gives_it_the_keys_without_moving_the_box(qtbot, window):
    top_k = window.results.top_k
    top_k.setFocus()
    roi = window.video.roi
    r = window.video.image_rect()
    outside = QPoint(int(r.left() + 0.1 * r.width()), int(r.top() + 0.9 * r.height()))
    qtbot.mouseClick(window.video, Qt.MouseButton.LeftButton, pos=outside)
    assert QApplication.focusWidget() is window.video
    assert window.video.roi == roi == window.session.roi


def test_space_recognises_in_click_mode_from_a_panel_control(qtbot, open_window):
    window = open_window(str(IMAGES / "parrot.jpg"), mode="click")
    assert window.session.wait_for_model(timeout=WAIT / 1000) is not None
    assert window.session.worker.wait_idle()
    shown = []
    window.prediction_shown.connect(shown.append)
    threads = window.settings_panel.threads
    window.docks["settings"].raise_()
    click_spin_arrow(qtbot, threads)
    assert QApplication.focusWidget() is threads
    qtbot.keyClick(threads, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=WAIT)
    assert shown[0].classification.labels[0] == "macaw"


def test_teach_mode_digits_capture_from_a_panel_control(qtbot, open_window):
    window = open_window(str(IMAGES / "teach" / "cat" / "train_0.bmp"))
    assert window.session.wait_for_model(timeout=WAIT / 1000) is not None
    top_k = window.results.top_k
    click_spin_arrow(qtbot, top_k, up=False)
    assert QApplication.focusWidget() is top_k
    qtbot.keyClick(top_k, Qt.Key.Key_T)  # teach mode, from the spin box too
    qtbot.waitUntil(lambda: window.panels.teach.teaching, timeout=WAIT)
    class_set = window.session.teach.require_set()
    top_k.setFocus()
    qtbot.keyPress(top_k, Qt.Key.Key_1)  # held: captures examples of class 1
    qtbot.waitUntil(lambda: class_set.counts[0] >= 1, timeout=WAIT)
    qtbot.keyRelease(top_k, Qt.Key.Key_1)
    assert window.session.teach.capturing is None
    assert top_k.value() == 4  # the digit was no number typed into Top-k


def test_a_dialog_and_a_floating_dock(qtbot, window):
    # The models manager is a dialog of the window: its table keeps its arrow keys.
    window.actions_by_name["models"].trigger()
    dialog = window.findChild(QDialog, "modelsDialog")
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    table = dialog.table
    dialog.activateWindow()
    table.setFocus()
    table.setCurrentCell(0, 0)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is table, timeout=WAIT)
    roi = window.video.roi
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentRow() == 1 and window.video.roi == roi
    dialog.close()
    # A floating dock is still the window's: its controls pass the picture's keys on.
    dock = window.docks["results"]
    dock.setFloating(True)
    qtbot.waitUntil(dock.isVisible, timeout=WAIT)
    dock.activateWindow()
    top_k = window.results.top_k
    top_k.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is top_k, timeout=WAIT)
    qtbot.keyClick(top_k, Qt.Key.Key_Up)
    assert top_k.value() == 5 and window.video.roi.width > roi.width
