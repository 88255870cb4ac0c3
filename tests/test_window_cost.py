"""What keeps the window light: one-line live text without layouts, panels paced at a few Hz,
a live frame shown with its answer. The CPU figures themselves come from
packaging/bench-window.py (a benchmark, not a test); these check the mechanisms.
"""

from __future__ import annotations

import time

import cv2
import pytest
from conftest import CAT_LABELS, IMAGES

from camapp.base.roi import ROI
from camapp.capture.frames import Frame, FrameSource
from camapp.inference.classifier import Classifier
from camapp.pipeline.events import Prediction

pytestmark = pytest.mark.gui

V2 = "mobilenet_v2_1.0_224_uint8"


def _layout_requests(qtbot, make_label, texts):
    """How many layout requests a label in a laid-out dock column posts for ``texts``."""
    from PyQt6.QtCore import QEvent, QObject
    from PyQt6.QtWidgets import QVBoxLayout, QWidget

    class Counter(QObject):
        count = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.LayoutRequest:
                Counter.count += 1
            return False

    column = QWidget()
    qtbot.addWidget(column)
    layout = QVBoxLayout(column)
    label = make_label()
    layout.addWidget(label)
    column.resize(300, 200)
    column.show()
    qtbot.waitExposed(column)
    qtbot.wait(10)
    counter = Counter()
    column.installEventFilter(counter)
    for text in texts:
        label.setText(text)
        qtbot.wait(1)  # the posted layout requests are delivered
    column.removeEventFilter(counter)
    return Counter.count, label


def test_live_text_changes_without_asking_for_a_layout_where_a_wrapped_label_does(qtbot):
    from PyQt6.QtWidgets import QLabel

    from camapp.ui.panels.live_text import LiveText

    texts = [f"tabby {p}% (frame {i})" for i, p in enumerate(range(40, 100, 3))]

    def wrapped():
        label = QLabel("")
        label.setWordWrap(True)
        return label

    qlabel_requests, _ = _layout_requests(qtbot, wrapped, texts)
    live_requests, live = _layout_requests(qtbot, LiveText, texts)
    assert qlabel_requests >= len(texts) // 2  # the cost LiveText exists to avoid
    assert live_requests == 0
    assert live.text() == texts[-1]


def test_the_pacer_shows_the_newest_value_at_most_once_per_interval(qtbot, monkeypatch):
    # Plumbing: the clock is the test's, so the pacing is checked without timing anything.
    from camapp.ui import pacer as pacer_module
    from camapp.ui.pacer import Pacer

    now = [100.0]
    monkeypatch.setattr(pacer_module.time, "monotonic", lambda: now[0])
    shown: list[int] = []
    pacer: Pacer[int] = Pacer(200, shown.append)
    for value in range(30):  # one second of answers at 30 per second
        pacer.push(value)
        now[0] += 1 / 30
    assert shown[0] == 0 and len(shown) <= 6  # the first at once, then at most 5 Hz
    pacer.flush()  # the timer's job: the newest value waiting is the one shown
    assert shown[-1] == 29
    pacer.push(30, now=True)  # a still photo's answer: at once
    assert shown[-1] == 30
    pacer.push(31)
    pacer.clear()  # a new model: the waiting answer is out of date
    pacer.flush()
    assert shown[-1] == 30


class _LiveFrames(FrameSource):
    """Plumbing: a live source whose slot gets whatever frame the test puts there."""

    is_still = False


def test_a_live_frame_is_shown_with_its_own_answer(qtbot, store, monkeypatch):
    from camapp.ui.video_view import ANSWER_WAIT_S, VideoView

    view = VideoView()
    qtbot.addWidget(view)
    view.resize(640, 480)
    view.show()
    qtbot.waitExposed(view)
    source = _LiveFrames("live")
    view.set_source(source)
    view._timer.stop()  # the test drives the display ticks
    image = cv2.imread(str(IMAGES / "cat.bmp"), cv2.IMREAD_COLOR)
    frame = Frame.wrap(image, "camera")
    source.slot.put(frame)
    view._on_display_timer_timeout()
    assert view._frame_id != frame.id  # held: the model is on it now
    with Classifier.create(store.options_for(V2)) as classifier:
        result = classifier.classify(image, ROI.full(), 5)
    assert CAT_LABELS & set(result.labels[:3])
    answer = Prediction(frame.id, 1, V2, result, ROI.full(), frame.timestamp, time.monotonic())
    view.set_prediction(answer)
    assert view._frame_id == frame.id  # shown at once with its answer
    assert view._label_text().startswith(result.labels[0])
    # A frame whose answer does not come (a slow model) is shown after ANSWER_WAIT_S.
    later = Frame.wrap(image, "camera")
    source.slot.put(later)
    view._on_display_timer_timeout()
    assert view._frame_id == frame.id
    qtbot.wait(int(ANSWER_WAIT_S * 1000) + 10)
    view._on_display_timer_timeout()
    assert view._frame_id == later.id
    # Its answer, coming after all, is painted (now, or with the next frame) like any other.
    updates: list[int] = []
    monkeypatch.setattr(view, "update", lambda: updates.append(1))
    late = Prediction(later.id, 1, V2, result, ROI.full(), later.timestamp, time.monotonic())
    view.set_prediction(late)
    assert updates or view._dirty_since


@pytest.mark.usefixtures("private_settings")
def test_a_screenshot_shows_the_panels_up_to_the_answer_on_the_video(
    qtbot, open_window, scene_video, tmp_path
):
    from dataclasses import replace

    from camapp.ui.app import _save_screenshot

    window = open_window(str(scene_video))
    qtbot.waitUntil(lambda: window.last_prediction is not None, timeout=20_000)
    answer = window.last_prediction
    window.panels.show_prediction(answer)  # shown, or waiting: either way the newest
    parrot = replace(
        answer,
        classification=replace(
            answer.classification,
            categories=(replace(answer.classification.categories[0], label="macaw"),),
        ),
    )
    window.panels.show_prediction(parrot)  # within the 5 Hz interval: it waits
    _save_screenshot(window, str(tmp_path / "shot.png"))
    assert window.results.heading.text().startswith("macaw")
    assert (tmp_path / "shot.png").stat().st_size > 0
