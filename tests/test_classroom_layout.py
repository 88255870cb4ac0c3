"""The window on small screens and the Compare tab at the default size: nothing clipped."""

from __future__ import annotations

import pytest
from conftest import IMAGES, write_scene_video

pytest.importorskip("PyQt6")

from PyQt6.QtCore import QRect, QSize  # noqa: E402
from PyQt6.QtWidgets import QScrollArea, QWidget  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("private_settings")]

V2 = "mobilenet_v2_1.0_224_uint8"
V3 = "mobilenet_v3_small_1.0_224_uint8"
WAIT = 20_000


def inside(widget: QWidget, area: QScrollArea) -> bool:
    """Whether all of ``widget`` shows in the scroll area's viewport (not clipped, no scroll)."""
    viewport = area.viewport()
    top_left = widget.mapTo(viewport, widget.rect().topLeft())
    return viewport.rect().contains(QRect(top_left, widget.size()))


@pytest.fixture
def cat_video(tmp_path):
    return write_scene_video(tmp_path / "cat.avi", ["cat.bmp"], seconds=2.0)


@pytest.mark.parametrize("size", [None, (1280, 720)], ids=["default", "1280x720"])
def test_the_compare_tab_fits_its_dock(qtbot, open_window, cat_video, size):
    window = open_window(str(cat_video), model=V3, threads=2)
    if size is not None:
        window.resize(*size)
        qtbot.waitUntil(lambda: window.size() == QSize(*size), timeout=WAIT)
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=WAIT)
    panel = window.compare_panel
    assert V3 not in panel.offered() and V2 in panel.offered()  # never the model running
    window.start_compare(V2)
    qtbot.waitUntil(lambda: window.compare_info is not None, timeout=WAIT)
    columns = panel.columns
    qtbot.waitUntil(lambda: bool(columns[0].bars.rows and columns[1].bars.rows), timeout=WAIT)
    qtbot.waitUntil(lambda: "fps" in columns[1].speed.text(), timeout=WAIT)
    area = window.docks["compare"].widget()
    assert isinstance(area, QScrollArea)
    assert window.docks["compare"].width() <= 400  # the default dock width, not a wide one

    def fits() -> bool:
        return not area.horizontalScrollBar().isVisible() and not (
            area.verticalScrollBar().isVisible()
        )

    qtbot.waitUntil(fits, timeout=WAIT)  # the tab takes the room it needs once laid out
    for widget in (
        panel.choice,
        columns[0].title,
        columns[0].bars,
        columns[1].title,
        columns[1].bars,
        columns[1].speed,
        panel.chart,
        panel.sharing,
    ):
        assert inside(widget, area), widget
    assert panel.chart.height() >= 100
    assert columns[1].bars.width() >= 140  # labels and scores have room
    assert len(columns[1].bars.rows) * columns[1].bars.row <= columns[1].bars.height()
    assert V3 not in panel.offered() and V2 in panel.offered()


@pytest.mark.parametrize("size", [(800, 480), (1024, 600)], ids=["800x480", "1024x600"])
def test_the_window_works_on_a_small_screen(qtbot, open_window, size):
    window = open_window(str(IMAGES / "cat.bmp"))
    hint = window.minimumSizeHint()
    assert hint.width() <= 800 and hint.height() <= 480, hint
    for dock in window.docks.values():
        assert dock.minimumSizeHint().height() <= 200, dock.objectName()
        assert dock.minimumSizeHint().width() <= 360, dock.objectName()
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size() == QSize(*size), timeout=WAIT)
    qtbot.waitUntil(lambda: window.results.bars.rows != [], timeout=WAIT)
    frame = window.rect()
    essential = [window.menuBar(), window.status_bar, window.video, window.rates_label]
    essential += [dock for dock in window.docks.values() if not dock.visibleRegion().isEmpty()]
    for widget in essential:
        rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
        assert frame.contains(rect), (widget.objectName(), rect, frame)
        assert widget.isVisible(), widget.objectName()
    assert window.video.width() >= 320 and window.video.height() >= 240
    results = window.docks["results"].widget()
    settings = window.docks["settings"].widget()
    for area in (results, settings):
        assert isinstance(area, QScrollArea)
        assert not area.horizontalScrollBar().isVisible()  # only ever up and down
    assert inside(window.results.heading, results)  # the answer shows without scrolling
    assert inside(window.settings_panel.running, settings)
