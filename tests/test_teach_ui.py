"""Teach mode in the live window: keys and buttons capture, thumbnails remove, modes switch."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import IMAGES

pytest.importorskip("PyQt6")

from PyQt6.QtCore import Qt  # noqa: E402

from camapp.inference.teach import BACKGROUND  # noqa: E402
from camapp.inference.teach_classifier import Recognition  # noqa: E402

pytestmark = pytest.mark.gui

EMBEDDER = "mobilenet_v1_1.0_224_uint8_embedder"
V2 = "mobilenet_v2_1.0_224_uint8"
TEACH = IMAGES / "teach"


@pytest.fixture
def teaching(qtbot, open_window, private_settings):
    """A window on the cat photo, switched to teach mode with the T key."""
    window = open_window(str(TEACH / "cat" / "train_0.bmp"), model=V2)
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: window.panels.teach.teaching, timeout=10000)
    return window


def shown_answer(window) -> Recognition | None:
    prediction = window.last_prediction
    if prediction is None or not isinstance(prediction.classification, Recognition):
        return None
    return prediction.classification


def test_holding_a_class_key_captures_embeddings_and_thumbnails(qtbot, teaching):
    window = teaching
    panel = window.panels.teach_panel
    assert window.model_info.spec == f"teach:{EMBEDDER}"
    assert window.panels.docks["teach"].isVisible()
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    class_set = window.session.teach.require_set()
    qtbot.waitUntil(lambda: len(panel.rows) == 2, timeout=5000)
    assert class_set.names == (BACKGROUND, "class 2")
    panel.rows[1].name.setText("cat")
    panel.rows[1].name.editingFinished.emit()
    assert class_set.names == (BACKGROUND, "cat")
    qtbot.keyPress(window, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: class_set.counts == (0, 1), timeout=10000)
    qtbot.keyRelease(window, Qt.Key.Key_2)
    assert window.session.teach.capturing is None
    (example,) = class_set.classes[1].examples
    assert example.embedding.shape == (1024,) and example.embedding.dtype == np.float32
    assert abs(float(np.linalg.norm(example.embedding)) - 1.0) < 1e-5
    assert example.thumbnail.shape == (64, 64, 3) and example.thumbnail.std() > 10
    qtbot.waitUntil(lambda: panel.rows[1].thumbs.count() == 1, timeout=5000)
    qtbot.waitUntil(lambda: panel.rows[1].bar.format().endswith("(1 example)"), timeout=5000)
    qtbot.waitUntil(lambda: (a := shown_answer(window)) is not None and a.version >= 3)
    answer = shown_answer(window)
    assert answer.top.label == "cat" and panel.heading.text().startswith("cat (")
    assert window.results.heading.text().startswith("cat (")  # the usual views show it too
    assert window.labels_panel.count.text() != ""


def test_pressing_and_holding_a_class_button_captures_too(qtbot, teaching):
    window = teaching
    panel = window.panels.teach_panel
    class_set = window.session.teach.require_set()
    button = panel.rows[0].capture
    qtbot.mousePress(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: class_set.counts == (1,), timeout=10000)
    qtbot.mouseRelease(button, Qt.MouseButton.LeftButton)
    assert window.session.teach.capturing is None
    qtbot.waitUntil(lambda: panel.rows[0].thumbs.count() == 1, timeout=5000)


def test_clicking_a_thumbnail_removes_that_example(qtbot, teaching):
    window = teaching
    panel = window.panels.teach_panel
    teach = window.session.teach
    class_set = teach.require_set()
    teach.add_class("cat")
    window.video.setFocus()  # as after a click on the picture: the keys reach the video first
    for _ in range(2):
        before = class_set.counts[1]
        qtbot.keyPress(window.video, Qt.Key.Key_2)
        qtbot.keyRelease(window.video, Qt.Key.Key_2)
        qtbot.waitUntil(lambda n=before: class_set.counts[1] == n + 1, timeout=10000)
    strip = panel.rows[1].thumbs
    qtbot.waitUntil(lambda: strip.count() == 2, timeout=5000)
    first = class_set.classes[1].examples[0]
    item = strip.item(0)
    qtbot.mouseClick(
        strip.viewport(), Qt.MouseButton.LeftButton, pos=strip.visualItemRect(item).center()
    )
    qtbot.waitUntil(lambda: class_set.counts == (0, 1), timeout=5000)
    assert first.id not in [e.id for e in class_set.classes[1].examples]
    qtbot.waitUntil(lambda: strip.count() == 1, timeout=5000)


def test_class_keys_do_nothing_outside_teach_mode_and_the_examples_survive_imagenet(
    qtbot, teaching
):
    window = teaching
    teach = window.session.teach
    class_set = teach.require_set()
    qtbot.keyPress(window, Qt.Key.Key_1)
    qtbot.keyRelease(window, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: class_set.counts == (1,), timeout=10000)
    qtbot.mouseClick(window.panels.teach_panel.imagenet_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model_info.spec == V2, timeout=10000)
    assert not window.panels.teach.teaching
    qtbot.keyPress(window, Qt.Key.Key_1)
    qtbot.keyRelease(window, Qt.Key.Key_1)
    assert teach.capturing is None
    assert "teach mode" in window.status_bar.currentMessage().lower()
    window.session.worker.wait_idle()
    assert class_set.counts == (1,)
    qtbot.keyClick(window, Qt.Key.Key_T)  # back: the same set, still taught
    qtbot.waitUntil(lambda: window.panels.teach.teaching, timeout=10000)
    assert teach.require_set() is class_set and class_set.counts == (1,)


def test_a_taken_name_is_refused_in_the_status_bar_and_the_old_name_comes_back(qtbot, teaching):
    window = teaching
    panel = window.panels.teach_panel
    window.session.teach.add_class("cat")
    qtbot.waitUntil(lambda: len(panel.rows) == 2, timeout=5000)
    panel.rows[1].name.setText(BACKGROUND.upper())
    panel.rows[1].name.editingFinished.emit()
    assert "already a class called" in window.status_bar.currentMessage()
    assert panel.rows[1].name.text() == "cat"
    panel.rows[1].name.setFocus()  # a digit typed into a name is text, not a capture
    panel.rows[1].name.end(False)
    qtbot.keyClicks(panel.rows[1].name, "2")
    assert panel.rows[1].name.text() == "cat2"
    assert window.session.teach.capturing is None
    window.session.worker.wait_idle()
    assert window.session.teach.require_set().counts == (0, 0)


def test_saving_and_loading_in_the_window(qtbot, teaching, tmp_path):
    window = teaching
    controller = window.panels.teach
    teach = window.session.teach
    teach.add_class("cat")
    qtbot.keyPress(window, Qt.Key.Key_2)
    qtbot.keyRelease(window, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: teach.require_set().counts == (0, 1), timeout=10000)
    controller.save(str(tmp_path / "mine.zip"))
    assert "saved to" in window.status_bar.currentMessage()
    teach.reset()
    qtbot.waitUntil(lambda: len(window.panels.teach_panel.rows) == 1, timeout=5000)
    controller.load(str(tmp_path / "mine.zip"))
    qtbot.waitUntil(lambda: len(window.panels.teach_panel.rows) == 2, timeout=5000)
    assert teach.require_set().names == (BACKGROUND, "cat")
    controller.load(str(tmp_path / "missing"))
    assert "class set not found" in window.status_bar.currentMessage()


def test_clear_a_class_remove_a_class_and_reset_all_from_the_panel(qtbot, teaching):
    window = teaching
    panel = window.panels.teach_panel
    class_set = window.session.teach.require_set()
    window.session.teach.add_class("cat")
    window.session.teach.add_class("dog")
    qtbot.waitUntil(lambda: len(panel.rows) == 3, timeout=5000)
    qtbot.keyPress(window, Qt.Key.Key_2)
    qtbot.keyRelease(window, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: class_set.counts == (0, 1, 0), timeout=10000)
    panel.rows[1].clear.trigger()
    assert class_set.counts == (0, 0, 0) and class_set.names == (BACKGROUND, "cat", "dog")
    panel.rows[1].remove.trigger()
    assert class_set.names == (BACKGROUND, "dog")
    qtbot.waitUntil(lambda: [r.name.text() for r in panel.rows] == [BACKGROUND, "dog"])
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert class_set.names == (BACKGROUND,)
    qtbot.waitUntil(lambda: len(panel.rows) == 1, timeout=5000)
